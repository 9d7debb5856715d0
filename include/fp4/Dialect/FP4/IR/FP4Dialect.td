//===- FP4Dialect.td - The fp4 dialect ---------------------*- tablegen -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_DIALECT_FP4_IR_FP4DIALECT_TD
#define FP4_DIALECT_FP4_IR_FP4DIALECT_TD

include "mlir/IR/OpBase.td"

def FP4_Dialect : Dialect {
  let name = "fp4";
  let cppNamespace = "::mlir::fp4";
  let summary = "Ultra-low-precision (4-bit) training: formats, quantizers, "
                "gradient scaling and low-precision matmul";
  let description = [{
    The `fp4` dialect expresses the numerics of 4-bit neural-network training
    (Sun et al., NeurIPS 2020) and of the OCP/NVIDIA 4-bit formats as ops on
    tensors. Every element format is defined bit-exactly by the project's
    numerics specification (`shared/SPEC-numerics.md`); the ops here name a
    format with `#fp4.format<...>` and carry quantized data in the
    `!fp4.qtensor<...>` type, which bundles the real 4-bit (or 8/16-bit) codes
    with their f32 scale. After lowering, a 4-bit `!fp4.qtensor` occupies 4
    bits per element in memory (two codes per byte, SPEC section 3).

    The dialect is meant to be produced by the recipe pass from a training
    step built from an imported ONNX model and lowered to LLVM (CPU) or NVVM
    (GPU).
  }];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  let hasConstantMaterializer = 0;
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // FP4_DIALECT_FP4_IR_FP4DIALECT_TD
