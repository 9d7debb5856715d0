//===- MiniFloatTest.cpp - Generic minifloat conversions vs APFloat -------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "Oracle.h"

#include "gtest/gtest.h"

#include <random>

using namespace fp4::numerics;
using namespace fp4::test;

namespace {

const MiniFloatSpec &specOf(Format f) {
  switch (f) {
  case Format::E2M1:
    return kE2M1Spec;
  case Format::E4M3:
    return kE4M3Spec;
  case Format::E5M2:
    return kE5M2Spec;
  case Format::F16:
    return kF16Spec;
  default:
    return kBF16Spec;
  }
}

const Format kMini[] = {Format::E2M1, Format::E4M3, Format::E5M2, Format::F16,
                        Format::BF16};

TEST(MiniFloat, MaxCodes) {
  EXPECT_EQ(miniFloatMaxCode(kF16Spec), 0x7BFF);
  EXPECT_EQ(miniFloatMaxCode(kBF16Spec), 0x7F7F);
  EXPECT_EQ(miniFloatMaxCode(kE4M3Spec), 0x7E);
  EXPECT_EQ(miniFloatMaxCode(kE5M2Spec), 0x7B);
  EXPECT_EQ(miniFloatMaxCode(kE2M1Spec), 0x7);
  for (Format f : kMini)
    EXPECT_EQ(miniFloatToDouble(miniFloatMaxCode(specOf(f)), specOf(f)),
              apLargest(f));
}

/// Non-saturating round-to-nearest-even and toward-zero of finite f32 inputs
/// against APFloat, for every f32 exponent.
TEST(MiniFloat, GenericRoundingMatchesAPFloat) {
  std::mt19937 rng(77);
  for (Format f : kMini) {
    const MiniFloatSpec &s = specOf(f);
    unsigned bad = 0;
    std::string msg;
    for (uint32_t e = 0; e < 255; ++e)
      for (int i = 0; i < 300; ++i) {
        uint32_t bits = ((rng() & 1u) << 31) | (e << 23) | (rng() & 0x7FFFFF);
        float x = bitsf(bits);
        float mx = apLargest(f);
        // Nearest, IEEE formats, non-saturating: APFloat exactly (overflow
        // gives Inf, also for e5m2).
        if (s.nonFinite == NonFiniteKind::IEEE) {
          uint16_t got = roundToMiniFloat(x, s, false);
          uint16_t want =
              apConvert(x, f, llvm::RoundingMode::NearestTiesToEven);
          if (got != want) {
            ++bad;
            if (msg.size() < 1000)
              msg += show(x) + " rne " + std::to_string(got) + " vs " +
                     std::to_string(want) + "\n";
          }
        }
        // Toward zero: APFloat when in range, max when beyond.
        uint16_t got = roundToMiniFloat(x, s, true, MiniRound::TowardZero);
        float clamped = std::fabs(x) > mx ? std::copysign(mx, x) : x;
        uint16_t want = apConvert(clamped, f, llvm::RoundingMode::TowardZero);
        if (got != want) {
          ++bad;
          if (msg.size() < 1000)
            msg += show(x) + " rtz " + std::to_string(got) + " vs " +
                   std::to_string(want) + "\n";
        }
      }
    EXPECT_EQ(bad, 0u) << formatName(f) << "\n" << msg;
  }
}

TEST(MiniFloat, DoubleToF16SingleRounding) {
  // Doubles that are not f32 values: a double->f32->f16 path would double
  // round; the library rounds once.
  std::mt19937_64 rng(31);
  unsigned bad = 0;
  for (int i = 0; i < 200000; ++i) {
    int e = -30 + static_cast<int>(rng() % 50);
    double x = std::ldexp(1.0 + static_cast<double>(rng() >> 12) * 0x1p-52, e);
    if (rng() & 1)
      x = -x;
    bad += doubleToF16Bits(x) !=
           apConvert(x, Format::F16, llvm::RoundingMode::NearestTiesToEven);
  }
  EXPECT_EQ(bad, 0u);
  // A classic double-rounding case: 1 + 2^-11 + 2^-40 rounds up in one step,
  // but to f32 first it becomes 1 + 2^-11 (a tie) and then 1.
  double x = 1.0 + 0x1p-11 + 0x1p-40;
  EXPECT_EQ(doubleToF16Bits(x), 0x3C01);
  EXPECT_EQ(floatToF16Bits(static_cast<float>(x)), 0x3C00);
  EXPECT_EQ(doubleToF16Bits(1e300), 0x7C00);
  EXPECT_EQ(doubleToF16Bits(-1e-300), 0x8000);
  EXPECT_EQ(doubleToF16Bits(0x1p-1074), 0x0000);
}

TEST(MiniFloat, NamedConversions) {
  // Saturating and non-saturating FP8.
  EXPECT_EQ(floatToE4M3Bits(1000.0f, true), 0x7E);
  EXPECT_EQ(floatToE4M3Bits(1000.0f, false), 0x7F);
  EXPECT_EQ(floatToE4M3Bits(-INFINITY, false), 0xFF);
  EXPECT_EQ(floatToE4M3Bits(464.0f, false), 0x7E); // tie to even stays 448
  EXPECT_EQ(floatToE4M3Bits(465.0f, false), 0x7F);
  EXPECT_EQ(floatToE5M2Bits(1e6f, true), 0x7B);
  EXPECT_EQ(floatToE5M2Bits(1e6f, false), 0x7C);
  EXPECT_EQ(floatToE5M2Bits(-INFINITY, false), 0xFC);
  EXPECT_EQ(floatToE5M2Bits(std::numeric_limits<float>::quiet_NaN(), false),
            0x7F);
  EXPECT_EQ(floatToE2M1Bits(100.0f), 0x7);
  EXPECT_EQ(floatToE2M1Bits(-100.0f), 0xF);
  EXPECT_EQ(e2m1BitsToFloat(0xF), -6.0f);
  EXPECT_EQ(e4m3BitsToFloat(0x01), 0x1p-9f);
  EXPECT_EQ(e5m2BitsToFloat(0x01), 0x1p-16f);
  EXPECT_TRUE(std::isnan(e4m3BitsToFloat(0xFF)));
  EXPECT_EQ(e4m3BitsToFloat(0x7E), 448.0f);
  EXPECT_EQ(e5m2BitsToFloat(0x7C), INFINITY);
  // f16 decode: every code against APFloat (NaN-ness only for NaN codes).
  unsigned bad = 0;
  for (uint32_t h = 0; h < 0x10000; ++h) {
    bad += !sameFloat(f16BitsToFloat(static_cast<uint16_t>(h)),
                      apDecode(static_cast<uint16_t>(h), Format::F16));
    bad += !sameFloat(bf16BitsToFloat(static_cast<uint16_t>(h)),
                      apDecode(static_cast<uint16_t>(h), Format::BF16));
  }
  EXPECT_EQ(bad, 0u);
}

} // namespace
