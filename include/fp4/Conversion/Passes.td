//===- Passes.td - fp4 conversion passes -------------------*- tablegen -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_CONVERSION_PASSES_TD
#define FP4_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertFP4ToStandard : Pass<"convert-fp4-to-standard", "::mlir::ModuleOp"> {
  let summary = "Lower fp4 ops to upstream tensor, vector, arith and linalg";
  let description = [{
    Replaces every `!fp4.qtensor<shape x format>` value - function arguments
    and results, call operands, `scf` loop-carried values - by two values:
    its 1-D storage tensor of codes (two 4-bit codes per `i8`, element 2i in
    the low nibble; one `i8` per 8-bit code; one `i16` per 16-bit code) and
    its `f32` scale, and rewrites the fp4 ops into upstream tensor-level IR
    that implements SPEC-numerics bit-exactly: quantize and dequantize become vectorized
    `scf.for` loops over `vector.transfer_read/write` on tensors that compute
    the codes with integer arithmetic on the f32 bits and pack two 4-bit
    codes per byte; gradscale and compute_scale become reductions plus
    exact power-of-two arithmetic; lowp_matmul decodes its operands in format
    units and multiplies them with `linalg.matmul` (f32 accumulation) or a
    chunked f16 accumulation loop, then applies the scales.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::linalg::LinalgDialect"];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "Number of f32 lanes processed per iteration of the "
           "quantize/dequantize loops">,
    Option<"parallelChunk", "parallel-chunk", "int64_t", /*default=*/"0",
           "Elements per iteration of an scf.forall over the elementwise "
           "loops (quantize, dequantize, maxima); 0: sequential loops. The "
           "results do not depend on it">
  ];
}

#endif // FP4_CONVERSION_PASSES_TD
