//===- FormatCodec.h - Emit IR that encodes/decodes SPEC formats -*- C++ -*-===//
//
// Part of the fp4 project.
//
// Builds arith IR that computes the codes of SPEC-numerics formats from f32
// values (and back) with integer arithmetic on the f32 bits. The same code
// works on scalars and on vectors (every constant is splat to the operand's
// shape), so the CPU lowering uses it on vector<Vxf32> and a GPU lowering can
// use it on scalars inside a kernel.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_CONVERSION_FORMATCODEC_H
#define FP4_CONVERSION_FORMATCODEC_H

#include "fp4/Dialect/FP4/IR/FP4Dialect.h"

#include "mlir/IR/Builders.h"

namespace fp4 {

/// The result of encoding: the codes (i8 for 4/8-bit formats, i16 for
/// 16-bit ones) and i1 masks that feed the SPEC section 6 counters.
struct EncodeResult {
  mlir::Value codes;
  mlir::Value saturated;
  mlir::Value flushed;
  mlir::Value nonfinite;
};

/// Emits encode/decode IR for one format on values shaped like `shapeLike`
/// (f32 or vector<N x f32>).
class FormatCodec {
public:
  FormatCodec(mlir::OpBuilder &b, mlir::Location loc,
              mlir::fp4::FormatAttr format, mlir::Type shapeLike);

  /// Codes of `x` (already multiplied by the scale), nearest rounding.
  EncodeResult encodeNearest(mlir::Value x);
  /// Codes of `x` with stochastic rounding driven by uniform numbers `u` in
  /// [0, 1) (SPEC section 5).
  EncodeResult encodeStochastic(mlir::Value x, mlir::Value u);
  /// Values in format units of `codes` (i8 or i16), as f32.
  mlir::Value decode(mlir::Value codes);

  /// The integer type that holds one code (i8 or i16) in this shape.
  mlir::Type getCodeType() const;

  /// Philox4x32-10 uniform numbers (SPEC section 5) for element indices
  /// `index` (i64, this shape) under `seed` (i64 scalar) and `stream` (i32
  /// scalar): returns f32 values u = (r >> 8) * 2^-24.
  mlir::Value philoxUniform(mlir::Value index, mlir::Value seed,
                            mlir::Value stream);

private:
  mlir::Type like(mlir::Type elementType) const;
  mlir::Value cI32(int64_t v);
  mlir::Value cI64(int64_t v);
  mlir::Value cF32(float v);
  mlir::Value splatScalar(mlir::Value scalar);

  /// Magnitude code (sign removed) of |x| in the format, nearest rounding,
  /// for finite non-NaN inputs; `ab` are the i32 bits of |x|.
  mlir::Value magNearest(mlir::Value ab, mlir::Value absx);
  /// Magnitude code of the largest grid value <= |x| (truncation).
  mlir::Value magTruncate(mlir::Value ab, mlir::Value absx);
  /// |value| in format units of a magnitude code (i32 in, f32 out).
  mlir::Value decodeMag(mlir::Value mag);
  /// Assembles the final code from magnitude, sign and the special cases.
  /// `nearest` selects the saturation counter of nearest rounding (IEEE
  /// formats: rounded to Inf) over that of stochastic rounding (|x| > max).
  EncodeResult finish(mlir::Value x, mlir::Value mag, bool nearest);

  mlir::OpBuilder &b;
  mlir::Location loc;
  mlir::fp4::FormatAttr format;
  mlir::Type shapeLike;
};

} // namespace fp4

#endif // FP4_CONVERSION_FORMATCODEC_H
