//===- MiniFloat.cpp - Correctly rounded small floating-point formats -----===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "fp4/Numerics/MiniFloat.h"

#include "BitUtils.h"

#include <limits>

using namespace fp4::numerics;
using namespace fp4::numerics::detail;

//===----------------------------------------------------------------------===//
// Generic rounding
//===----------------------------------------------------------------------===//

uint16_t fp4::numerics::roundToMiniFloat(double v, const MiniFloatSpec &s,
                                         bool saturate, MiniRound mode) {
  const unsigned m = s.manBits;
  const unsigned expMask = (1u << s.expBits) - 1;
  const uint16_t signBit = miniFloatSignBit(s);
  const uint16_t maxCode = miniFloatMaxCode(s);

  uint64_t b = bitsOf(v);
  uint16_t sign = (b >> 63) ? signBit : 0;
  int bexp = static_cast<int>((b >> 52) & 0x7FF);
  uint64_t frac = b & ((uint64_t(1) << 52) - 1);

  // Overflow result (also used for Inf inputs).
  auto overflow = [&]() -> uint16_t {
    if (saturate || mode == MiniRound::TowardZero ||
        s.nonFinite == NonFiniteKind::None)
      return sign | maxCode;
    if (s.nonFinite == NonFiniteKind::IEEE)
      return sign | static_cast<uint16_t>(expMask << m);
    return sign | static_cast<uint16_t>((expMask << m) | ((1u << m) - 1));
  };

  if (bexp == 0x7FF) {
    if (frac == 0)
      return overflow();
    switch (s.nonFinite) {
    case NonFiniteKind::IEEE:
      return sign | static_cast<uint16_t>(expMask << m) |
             static_cast<uint16_t>(1u << (m - 1)) |
             static_cast<uint16_t>(frac >> (52 - m));
    case NonFiniteKind::NanOnly:
      return sign | static_cast<uint16_t>((expMask << m) | ((1u << m) - 1));
    case NonFiniteKind::None:
      return maxCode;
    }
  }
  if (bexp == 0 && frac == 0)
    return sign;

  // |v| = sig * 2^(E - 52). Double subnormals are not normalized; they are far
  // below the smallest subnormal of every target and round to zero.
  uint64_t sig = bexp ? (frac | (uint64_t(1) << 52)) : frac;
  int E = bexp ? bexp - 1023 : -1022;
  const int emin = 1 - s.bias;
  const int binade = E > emin ? E : emin;
  // Quantum (ulp) of the result is 2^(binade - m); drop `shift` bits of sig.
  const int shift = binade - static_cast<int>(m) - (E - 52);
  uint64_t n;
  if (shift >= 64) {
    // |v| < 2^(E+1) <= quantum / 2^11: rounds to zero in both modes.
    n = 0;
  } else {
    n = sig >> shift;
    uint64_t rem = sig & ((uint64_t(1) << shift) - 1);
    uint64_t half = uint64_t(1) << (shift - 1);
    if (mode == MiniRound::NearestEven &&
        (rem > half || (rem == half && (n & 1))))
      ++n;
  }
  // Normal: field (E + bias) and n = 2^m + fraction; a carry out of the
  // mantissa bumps the exponent field. Subnormal: field 0 and n = fraction.
  int64_t code = (static_cast<int64_t>(binade + s.bias - 1) << m) +
                 static_cast<int64_t>(n);
  if (code > maxCode)
    return overflow();
  return sign | static_cast<uint16_t>(code);
}

double fp4::numerics::miniFloatToDouble(uint16_t code,
                                        const MiniFloatSpec &s) {
  const unsigned m = s.manBits;
  const unsigned expMask = (1u << s.expBits) - 1, manMask = (1u << m) - 1;
  bool neg = (code & miniFloatSignBit(s)) != 0;
  unsigned e = (code >> m) & expMask, f = code & manMask;
  double mag;
  if (s.nonFinite == NonFiniteKind::IEEE && e == expMask)
    mag = f ? std::numeric_limits<double>::quiet_NaN()
            : std::numeric_limits<double>::infinity();
  else if (s.nonFinite == NonFiniteKind::NanOnly && e == expMask &&
           f == manMask)
    mag = std::numeric_limits<double>::quiet_NaN();
  else if (e == 0)
    mag = static_cast<double>(f) * pow2d(1 - s.bias - static_cast<int>(m));
  else
    mag = static_cast<double>(f + (1u << m)) *
          pow2d(static_cast<int>(e) - s.bias - static_cast<int>(m));
  return neg ? -mag : mag;
}

//===----------------------------------------------------------------------===//
// Named conversions
//===----------------------------------------------------------------------===//

namespace {

/// IEEE NaN code of a float NaN taken from the f32 bits (not through a
/// float -> double conversion): sign | all-ones exponent | quiet bit | the
/// top payload bits.
uint16_t ieeeNaNFromFloat(float x, const MiniFloatSpec &s) {
  uint32_t b = bitsOf(x);
  const unsigned m = s.manBits;
  uint32_t code = ((b >> 31) ? miniFloatSignBit(s) : 0u) |
                  (((1u << s.expBits) - 1) << m) | (1u << (m - 1)) |
                  ((b & 0x7FFFFFu) >> (23 - m));
  return static_cast<uint16_t>(code);
}

} // namespace

uint16_t fp4::numerics::floatToF16Bits(float x) {
  if (isNaNBits(x))
    return ieeeNaNFromFloat(x, kF16Spec);
  return roundToMiniFloat(x, kF16Spec, /*saturate=*/false);
}

uint16_t fp4::numerics::doubleToF16Bits(double x) {
  return roundToMiniFloat(x, kF16Spec, /*saturate=*/false);
}

float fp4::numerics::f16BitsToFloat(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000) << 16;
  uint32_t e = (bits >> 10) & 0x1F, f = bits & 0x3FF;
  if (e == 0) {
    // Zero or subnormal: f * 2^-24, exact in f32.
    float mag = static_cast<float>(f) * 0x1p-24f;
    return floatOf(bitsOf(mag) | sign);
  }
  if (e == 0x1F) // Inf, or NaN with its payload moved to the top bits.
    return floatOf(sign | 0x7F800000u | (f << 13));
  return floatOf(sign | ((e + 112) << 23) | (f << 13));
}

uint16_t fp4::numerics::floatToBF16Bits(float x) {
  if (isNaNBits(x))
    return ieeeNaNFromFloat(x, kBF16Spec);
  return roundToMiniFloat(x, kBF16Spec, /*saturate=*/false);
}

float fp4::numerics::bf16BitsToFloat(uint16_t bits) {
  return floatOf(static_cast<uint32_t>(bits) << 16);
}

uint8_t fp4::numerics::floatToE4M3Bits(float x, bool saturate) {
  return static_cast<uint8_t>(roundToMiniFloat(x, kE4M3Spec, saturate));
}

float fp4::numerics::e4m3BitsToFloat(uint8_t bits) {
  return static_cast<float>(miniFloatToDouble(bits, kE4M3Spec));
}

uint8_t fp4::numerics::floatToE5M2Bits(float x, bool saturate) {
  if (isNaNBits(x))
    return static_cast<uint8_t>(((bitsOf(x) >> 31) << 7) | 0x7F);
  return static_cast<uint8_t>(roundToMiniFloat(x, kE5M2Spec, saturate));
}

float fp4::numerics::e5m2BitsToFloat(uint8_t bits) {
  return static_cast<float>(miniFloatToDouble(bits, kE5M2Spec));
}

uint8_t fp4::numerics::floatToE2M1Bits(float x) {
  if (isNaNBits(x))
    return 0x7;
  return static_cast<uint8_t>(roundToMiniFloat(x, kE2M1Spec, true));
}

float fp4::numerics::e2m1BitsToFloat(uint8_t bits) {
  return static_cast<float>(miniFloatToDouble(bits & 0xF, kE2M1Spec));
}
