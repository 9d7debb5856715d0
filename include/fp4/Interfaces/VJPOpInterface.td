//===- VJPOpInterface.td - Reverse-mode derivative rules ---*- tablegen -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_INTERFACES_VJPOPINTERFACE_TD
#define FP4_INTERFACES_VJPOPINTERFACE_TD

include "mlir/IR/OpBase.td"

def FP4_VJPOpInterface : OpInterface<"VJPOpInterface"> {
  let cppNamespace = "::mlir::fp4";
  let description = [{
    The vector-Jacobian product (reverse-mode derivative rule) of an op.
    `fp4-build-training-step` sweeps the forward ops in reverse and asks each
    op that lies on a path from a parameter to the loss for the cotangents of
    its operands. Rules are attached to upstream ops as external models
    (lib/Autodiff), so a new op plugs in by registering a model; the pass
    never switches over op kinds. The same interface serves tensor-level ops
    (linalg, tensor) and the scalar arith/math ops inside elementwise
    `linalg.generic` bodies.

    The forward op stays in place, so a rule reads any forward value it
    needs (operands, results) as an SSA value: saved activations are kept
    alive, not recomputed.
  }];
  let methods = [
    InterfaceMethod<[{
        Emits the VJP at the builder's insertion point. `resultGrads[i]` is
        the cotangent of result `i`, or a null value when that result does
        not reach the loss. `needed[j]` tells whether operand `j` needs a
        cotangent. On success `operandGrads` holds one entry per operand:
        its cotangent (same type as the operand), or a null value when it is
        not needed or the operand gets none (integer operands, constants).
        Fails, after emitting an error at the op, when the rule cannot
        handle this instance of the op.
      }],
      "::llvm::LogicalResult", "buildVJP",
      (ins "::mlir::OpBuilder &":$builder,
           "::llvm::ArrayRef<::mlir::Value>":$resultGrads,
           "::llvm::ArrayRef<bool>":$needed,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>
  ];
}

#endif // FP4_INTERFACES_VJPOPINTERFACE_TD
