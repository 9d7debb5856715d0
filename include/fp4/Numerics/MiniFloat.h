//===- MiniFloat.h - Correctly rounded small float formats ------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// One generic, correctly rounded conversion from a double (every f32 is exact
// in a double) to a sign-magnitude binary floating-point format with a given
// number of exponent and mantissa bits, and its inverse. f16, bf16, OCP e4m3
// (E4M3FN), OCP e5m2 and OCP e2m1 are all instances of it.
//
// This header has no dependency on LLVM or MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_NUMERICS_MINIFLOAT_H
#define FP4_NUMERICS_MINIFLOAT_H

#include <cstdint>

namespace fp4::numerics {

/// How a small format uses its largest exponent field.
enum class NonFiniteKind : uint8_t {
  /// IEEE 754: exponent all ones is Inf (mantissa 0) or NaN (mantissa != 0).
  IEEE,
  /// "FN" formats (OCP E4M3FN): no Inf; only S.1111.111 is NaN, the other
  /// codes with the largest exponent are finite.
  NanOnly,
  /// "FN" formats without NaN (OCP E2M1): every code is finite.
  None,
};

/// Shape of a sign-magnitude binary floating-point format. The code is
/// [sign | exponent (expBits) | mantissa (manBits)], the sign bit is bit
/// expBits + manBits. Exponent field 0 holds zero and the subnormals.
struct MiniFloatSpec {
  unsigned expBits;
  unsigned manBits;
  int bias;
  NonFiniteKind nonFinite;
};

inline constexpr MiniFloatSpec kF16Spec{5, 10, 15, NonFiniteKind::IEEE};
inline constexpr MiniFloatSpec kBF16Spec{8, 7, 127, NonFiniteKind::IEEE};
inline constexpr MiniFloatSpec kE4M3Spec{4, 3, 7, NonFiniteKind::NanOnly};
inline constexpr MiniFloatSpec kE5M2Spec{5, 2, 15, NonFiniteKind::IEEE};
inline constexpr MiniFloatSpec kE2M1Spec{2, 1, 1, NonFiniteKind::None};

/// Rounding direction of roundToMiniFloat.
enum class MiniRound : uint8_t { NearestEven, TowardZero };

/// The sign bit of a code of format \p s.
constexpr uint16_t miniFloatSignBit(const MiniFloatSpec &s) {
  return static_cast<uint16_t>(1u << (s.expBits + s.manBits));
}

/// The positive code of the largest finite magnitude of \p s.
constexpr uint16_t miniFloatMaxCode(const MiniFloatSpec &s) {
  unsigned expMask = (1u << s.expBits) - 1, manMask = (1u << s.manBits) - 1;
  switch (s.nonFinite) {
  case NonFiniteKind::IEEE:
    return static_cast<uint16_t>(((expMask - 1) << s.manBits) | manMask);
  case NonFiniteKind::NanOnly:
    return static_cast<uint16_t>((expMask << s.manBits) | (manMask - 1));
  case NonFiniteKind::None:
    return static_cast<uint16_t>((expMask << s.manBits) | manMask);
  }
  return 0;
}

/// Correctly rounds \p v to the format \p s and returns its code.
///
/// - Finite values are rounded once (round to nearest, ties to even mantissa,
///   or toward zero), subnormals of the target included; a result that rounds
///   to zero keeps the sign of \p v (negative zero code).
/// - Overflow (the rounded magnitude exceeds the largest finite value): with
///   \p saturate, or with TowardZero, or for NonFiniteKind::None, the result
///   is the signed largest finite value; otherwise IEEE formats give signed
///   Inf and NanOnly formats give the (signed) NaN code.
/// - Inf input: like overflow.
/// - NaN input: IEEE formats give sign | all-ones exponent | quiet bit | the
///   top payload bits of \p v (the IEEE/APFloat/compiler-rt truncation);
///   NanOnly formats give sign | all ones; None formats give the positive
///   largest finite code (callers that need another rule handle NaN first).
uint16_t roundToMiniFloat(double v, const MiniFloatSpec &s, bool saturate,
                          MiniRound mode = MiniRound::NearestEven);

/// Exact value of code \p code (low expBits + manBits + 1 bits) of format \p s.
double miniFloatToDouble(uint16_t code, const MiniFloatSpec &s);

//===----------------------------------------------------------------------===//
// Named conversions (all built on roundToMiniFloat / miniFloatToDouble).
//===----------------------------------------------------------------------===//

/// IEEE binary16, round to nearest even, overflow -> Inf, NaN kept quiet.
uint16_t floatToF16Bits(float x);
/// IEEE binary16 of a double, one correct rounding (no double rounding).
uint16_t doubleToF16Bits(double x);
float f16BitsToFloat(uint16_t bits);

/// bfloat16, round to nearest even, overflow -> Inf, NaN kept quiet.
uint16_t floatToBF16Bits(float x);
float bf16BitsToFloat(uint16_t bits);

/// OCP E4M3FN. Saturating: overflow and +-Inf -> +-448; NaN -> sign | 0x7F.
/// Non-saturating: overflow and +-Inf -> NaN (sign | 0x7F).
uint8_t floatToE4M3Bits(float x, bool saturate = true);
float e4m3BitsToFloat(uint8_t bits);

/// OCP E5M2. Saturating: overflow and +-Inf -> +-57344. Non-saturating:
/// overflow -> +-Inf, Inf kept. NaN -> sign | 0x7F in both modes.
uint8_t floatToE5M2Bits(float x, bool saturate = true);
float e5m2BitsToFloat(uint8_t bits);

/// OCP E2M1 (saturating, no NaN): NaN -> 0b0111 (+6), +-Inf -> +-6, -0 kept.
uint8_t floatToE2M1Bits(float x);
float e2m1BitsToFloat(uint8_t bits);

} // namespace fp4::numerics

#endif // FP4_NUMERICS_MINIFLOAT_H
