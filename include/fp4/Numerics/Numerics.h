//===- Numerics.h - Reference numerics of the fp4 formats -------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// The plain C++ reference ("oracle") implementation of every number format,
// rounding mode, scaling rule and low-precision matmul of
// shared/SPEC-numerics.md. Every other back end (CPU lowering, GPU lowering,
// Python API) is checked bit for bit against this library.
//
// Conventions:
// - A *code* is the bit pattern of one element: 4-bit formats use the low
//   nibble of a uint16_t, 8-bit formats the low byte, 16-bit formats all bits.
// - Values passed to encode()/returned by decode() are in *format units*
//   (x * scale); quantize() applies the scale (SPEC section 1).
// - The library is compiled with -ffp-contract=off: every f32 operation named
//   in the documentation is exactly one IEEE f32 operation (round to nearest
//   even).
//
// This header has no dependency on LLVM or MLIR. See docs/numerics.md.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_NUMERICS_NUMERICS_H
#define FP4_NUMERICS_NUMERICS_H

#include "fp4/Numerics/MiniFloat.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace fp4::numerics {

//===----------------------------------------------------------------------===//
// Formats
//===----------------------------------------------------------------------===//

/// Element formats of SPEC section 2.
enum class Format : uint8_t {
  Radix4Even, ///< IBM radix-4 FP4, even phase {0, 4^-3 .. 4^3}.
  Radix4Odd,  ///< IBM radix-4 FP4, odd phase {0, 0.5 * 4^-3 .. 0.5 * 4^3}.
  Radix2FP4,  ///< radix-2 [1,3,0] {0, 2^-3 .. 2^3} (ablation).
  E2M1,       ///< OCP FP4 E2M1 {0, 0.5, 1, 1.5, 2, 3, 4, 6}.
  Int4,       ///< signed symmetric integers -7..7.
  UInt4,      ///< unsigned integers 0..15.
  E4M3,       ///< OCP FP8 E4M3FN (saturating).
  E5M2,       ///< OCP FP8 E5M2 (saturating).
  F16,        ///< IEEE binary16.
  BF16,       ///< bfloat16.
};

/// Number of formats; formats are 0 .. kNumFormats - 1.
inline constexpr unsigned kNumFormats = 10;

/// Rounding mode of a quantizer.
enum class Rounding : uint8_t { Nearest, Stochastic };

/// "radix4_even", "radix4_odd", "radix2_fp4", "e2m1", "int4", "uint4", "e4m3",
/// "e5m2", "f16", "bf16".
const char *formatName(Format f);
/// Inverse of formatName (exact, case-sensitive match).
std::optional<Format> parseFormat(std::string_view name);
/// Bits per element: 4, 8 or 16.
unsigned bitWidth(Format f);
/// True for the 4-bit formats (stored two per byte).
inline bool isFourBit(Format f) { return bitWidth(f) == 4; }
/// Largest finite magnitude in format units: 64 (radix4 even), 32 (odd), 8,
/// 6, 7, 15, 448, 57344, 65504, 0x1.fep127 (bf16).
float maxMagnitude(Format f);

//===----------------------------------------------------------------------===//
// Element encode / decode
//===----------------------------------------------------------------------===//

/// Exact per-call event counts (SPEC section 6); encode functions add to them.
struct Counters {
  /// Finite inputs whose magnitude is > maxMagnitude (f16/bf16 in nearest
  /// mode: finite inputs that round to Inf; never negative uint4 inputs).
  uint64_t saturated = 0;
  /// Finite nonzero inputs whose result is zero (incl. negative uint4 inputs).
  uint64_t flushed = 0;
  /// NaN or +-Inf inputs (Inf is not also counted as saturated).
  uint64_t nonfinite = 0;
};

/// Code of \p x (already in format units) in format \p f, round to nearest
/// (SPEC section 2 and docs/numerics.md for NaN/Inf/-0 rules).
uint16_t encode(float x, Format f, Counters *c = nullptr);

/// Code of \p x with stochastic rounding driven by the uniform \p u in [0, 1)
/// (SPEC section 5): between the adjacent grid magnitudes lo <= |x| < hi the
/// result is hi iff u < fl32(fl32(|x| - lo) / fl32(hi - lo)); |x| >= max gives
/// max; NaN and +-Inf are encoded as in encode().
uint16_t encodeStochastic(float x, Format f, float u, Counters *c = nullptr);

/// Value of code \p code in format units. Only the low bitWidth(f) bits of
/// \p code are used. radix4/radix2 code 0b1000 decodes to NaN; int4 code
/// 0b1000 decodes to -8 (never produced by encode).
float decode(uint16_t code, Format f);

//===----------------------------------------------------------------------===//
// Random numbers (SPEC section 5)
//===----------------------------------------------------------------------===//

/// Philox4x32-10 (Random123) of counter \p ctr with key \p key.
std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> ctr,
                                      std::array<uint32_t, 2> key);

/// The uniform number of element \p index of a tensor quantized with \p seed
/// and \p stream: r = Philox(ctr = (lo32(i>>2), hi32(i>>2), stream, 0),
/// key = (lo32(seed), hi32(seed)))[i & 3], u = (r >> 8) * 2^-24.
float stochasticUniform(uint64_t seed, uint32_t stream, uint64_t index);

//===----------------------------------------------------------------------===//
// Quantize / dequantize
//===----------------------------------------------------------------------===//

/// quantize(x, f, scale) = decode(encode(fl32(x * scale))) / scale: one f32
/// multiply and one f32 division. With Rounding::Stochastic the uniform is
/// stochasticUniform(seed, stream, index).
float quantize(float x, Format f, float scale,
               Rounding r = Rounding::Nearest, uint64_t seed = 0,
               uint32_t stream = 0, uint64_t index = 0,
               Counters *c = nullptr);

/// Bytes needed to store \p n codes of format \p f: ceil(n/2) for 4-bit
/// formats, n for 8-bit, 2n for 16-bit.
size_t storageBytes(Format f, size_t n);

/// Codes of x[0..n) * scale in format \p f, written to \p out (storageBytes(f,
/// n) bytes): 4-bit formats packed two per byte (element 2i in the low
/// nibble, element 2i+1 in the high nibble, an odd count pads the last high
/// nibble with 0), 8-bit formats one per byte, 16-bit formats little-endian.
/// Element i uses index i for stochastic rounding. \p c may be null.
void quantizeToCodes(const float *x, size_t n, Format f, float scale,
                     Rounding r, uint64_t seed, uint32_t stream, uint8_t *out,
                     Counters *c);

/// out[i] = decode(code_i) / scale (one f32 division), codes stored as by
/// quantizeToCodes.
void dequantizeCodes(const uint8_t *codes, size_t n, Format f, float scale,
                     float *out);

/// Packs n nibbles (low 4 bits of codes[i]) two per byte: ceil(n/2) bytes.
void packNibbles(const uint8_t *codes, size_t n, uint8_t *out);
/// Unpacks n nibbles (one per output byte, high 4 bits zero).
void unpackNibbles(const uint8_t *packed, size_t n, uint8_t *codes);

//===----------------------------------------------------------------------===//
// Scaling rules (SPEC section 4)
//===----------------------------------------------------------------------===//

/// SAWB clip: alpha = 12.1 * sqrt(mean(w^2)) - 12.2 * mean(|w|), both means
/// accumulated in f64 in index order and alpha evaluated in f64; alpha <= 0 or
/// alpha > max|w| -> max|w|. Returns 0 when n == 0, w is all zeros or holds a
/// NaN/Inf.
double sawbAlpha(const float *w, size_t n);
/// SAWB int4 scale fl32(7 / alpha) (f64 division rounded once to f32); 1.0f
/// when sawbAlpha() is 0 (empty, all-zero or non-finite w).
float sawbScale(const float *w, size_t n);

/// GradScale update mode (SPEC 4.1).
enum class GradScaleMode : uint8_t { Delayed, Current };

/// The MAX of GradScale for gradients in format \p f: 64 for both radix4
/// phases (SPEC 4.1: the odd phase then saturates at 32), maxMagnitude(f)
/// otherwise.
float gradscaleMax(Format f);

/// One worker's GradScale signal from m = max|g * s| (s the scale in force):
/// -1 if m is NaN/Inf or m > maxMag, +1 if 0 < m <= maxMag / 2, else 0
/// (m == 0 gives 0: scale unchanged).
int gradscaleSignal(float m, float maxMag);

/// Applies a (summed) signal: > 0 -> 2s, < 0 -> s/2, 0 -> s (exact, the
/// exponent clamped to the normal f32 range).
float gradscaleApply(float s, int signalSum);

/// s * 2^k for the largest integer k with m * 2^k <= maxMag, computed exactly
/// from the bits (m > 0 finite). With s = 1 and m = max|g| this is
/// 2^floor(log2(maxMag / m)).
float gradscaleFromMax(float s, float m, float maxMag);

/// Next step's scale. \p m is always max|g * s| with the scale \p s that was
/// in force when g was quantized (with s = 1 it is max|g|).
/// - m NaN/Inf -> s/2 (the trainer skips the step); m == 0 -> s.
/// - Current mode, or Delayed with \p firstStep: gradscaleFromMax(s, m, MAX),
///   i.e. 2^floor(log2(MAX / max|g|)) when s is a power of two.
/// - Delayed: gradscaleApply(s, gradscaleSignal(m, MAX)).
/// MAX = gradscaleMax(f).
float gradscaleNext(float s, float m, Format f, GradScaleMode mode,
                    bool firstStep);

/// PACT uint4 scale: 15.0f / alpha, one f32 division.
float pactScale(float alpha);

/// Max-based scale (`fp4.compute_scale rule(amax)`): fl32(maxMagnitude(f) /
/// max|x|), clamped to the largest finite f32 when the division overflows;
/// 1.0 when max|x| is 0 or not finite (also for n == 0).
float amaxScale(const float *x, size_t n, Format f);

//===----------------------------------------------------------------------===//
// Low-precision matmul reference (SPEC section 7)
//===----------------------------------------------------------------------===//

/// Shape and layout of lowpMatmul*: C (M x N, row-major) = op(A) * op(B) with
/// op(A) M x K and op(B) K x N. A is stored row-major M x K (K x M when
/// transA), B row-major K x N (N x K when transB). Operands are dequantized
/// values in format units; the result is divided by fl32(scaleA * scaleB)
/// with one f32 division.
struct MatmulShape {
  size_t M = 0, N = 0, K = 0;
  bool transA = false, transB = false;
};

/// f32 accumulation: acc = +0.0f; for k = 0..K-1: acc = fl32(acc +
/// fl32(a[i,k] * b[k,j])); C[i,j] = acc / fl32(scaleA * scaleB).
void lowpMatmulF32(const float *A, const float *B, float *C,
                   const MatmulShape &shape, float scaleA = 1.0f,
                   float scaleB = 1.0f);

/// f16 chunk accumulation: the K products p = fl32(a * b) are split into
/// chunks of \p chunk (the last may be shorter; chunk == 0 means one chunk of
/// K). Per chunk: h = +0 (f16); for each p: h = RNE_f16(h + p) (exact sum,
/// rounded once; overflow -> Inf). The chunk values are summed in f32 in chunk
/// order from +0.0f, then C[i,j] = sum / fl32(scaleA * scaleB).
void lowpMatmulF16Chunk(const float *A, const float *B, float *C,
                        const MatmulShape &shape, size_t chunk,
                        float scaleA = 1.0f, float scaleB = 1.0f);

/// One dot product of lowpMatmulF32 (a[k * strideA], b[k * strideB]).
float dotF32(const float *a, size_t strideA, const float *b, size_t strideB,
             size_t K);
/// One dot product of lowpMatmulF16Chunk before scaling.
float dotF16Chunk(const float *a, size_t strideA, const float *b,
                  size_t strideB, size_t K, size_t chunk);

} // namespace fp4::numerics

#endif // FP4_NUMERICS_NUMERICS_H
