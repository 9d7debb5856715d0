//===- FormatsTest.cpp - Element formats against the SPEC and the oracles -===//
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

float q(float x, Format f) { return decode(encode(x, f), f); }

//===----------------------------------------------------------------------===//
// Names and properties
//===----------------------------------------------------------------------===//

TEST(FormatProps, NamesRoundTrip) {
  const char *names[] = {"radix4_even", "radix4_odd", "radix2_fp4", "e2m1",
                         "int4",        "uint4",      "e4m3",       "e5m2",
                         "f16",         "bf16"};
  for (unsigned i = 0; i < kNumFormats; ++i) {
    Format f = static_cast<Format>(i);
    EXPECT_STREQ(formatName(f), names[i]);
    ASSERT_TRUE(parseFormat(names[i]).has_value());
    EXPECT_EQ(*parseFormat(names[i]), f);
  }
  EXPECT_FALSE(parseFormat("radix4").has_value());
  EXPECT_FALSE(parseFormat("E2M1").has_value());
  EXPECT_FALSE(parseFormat("").has_value());
}

TEST(FormatProps, WidthsAndMax) {
  const unsigned widths[] = {4, 4, 4, 4, 4, 4, 8, 8, 16, 16};
  const float maxes[] = {64, 32, 8, 6, 7, 15, 448, 57344, 65504, 0x1.fep127f};
  for (unsigned i = 0; i < kNumFormats; ++i) {
    Format f = static_cast<Format>(i);
    EXPECT_EQ(bitWidth(f), widths[i]) << formatName(f);
    EXPECT_EQ(maxMagnitude(f), maxes[i]) << formatName(f);
    if (isMiniFloat(f))
      EXPECT_EQ(maxMagnitude(f), apLargest(f)) << formatName(f);
  }
  EXPECT_EQ(storageBytes(Format::Int4, 5), 3u);
  EXPECT_EQ(storageBytes(Format::E2M1, 4), 2u);
  EXPECT_EQ(storageBytes(Format::E4M3, 5), 5u);
  EXPECT_EQ(storageBytes(Format::BF16, 5), 10u);
}

//===----------------------------------------------------------------------===//
// SPEC worked values
//===----------------------------------------------------------------------===//

TEST(WorkedValues, Radix4Even) {
  const std::pair<float, float> cases[] = {
      {0.009f, 0.0f},  {0.0098f, 1.0f / 64}, {0.15f, 1.0f / 16},
      {0.16f, 0.25f},  {0.6f, 0.25f},        {0.625f, 1.0f},
      {2.4f, 1.0f},    {2.5f, 4.0f},         {9.9f, 4.0f},
      {10.0f, 16.0f},  {39.9f, 16.0f},       {40.0f, 64.0f},
      {-0.7f, -1.0f},  {-3.0f, -4.0f},       {1000.0f, 64.0f}};
  for (auto [x, want] : cases)
    EXPECT_EQ(fbits(q(x, Format::Radix4Even)), fbits(want)) << show(x);
  // |x| < 1/102.4 flushes. Saturation to 64 starts at 64/1.6 = 40 (the
  // formula and the worked values 39.9 -> 16, 40 -> 64; the SPEC's prose
  // "everything >= 25 (= 40/1.6)" is an erratum: 25 -> fl32(1.6f*25) = 40,
  // floor(log4(40)) = 2 -> 16).
  EXPECT_EQ(q(0.0097f, Format::Radix4Even), 0.0f);
  EXPECT_EQ(q(25.0f, Format::Radix4Even), 16.0f);
  EXPECT_EQ(q(std::nextafter(40.0f, 0.0f), Format::Radix4Even), 16.0f);
}

TEST(WorkedValues, Radix4Odd) {
  const std::pair<float, float> cases[] = {
      {0.009f, 1.0f / 128}, {0.1f, 0.125f}, {0.6f, 0.5f},   {1.0f, 0.5f},
      {2.4f, 2.0f},         {9.9f, 8.0f},   {10.0f, 8.0f},  {40.0f, 32.0f},
      {-0.7f, -0.5f},       {-3.0f, -2.0f}};
  for (auto [x, want] : cases)
    EXPECT_EQ(fbits(q(x, Format::Radix4Odd)), fbits(want)) << show(x);
}

TEST(WorkedValues, E2M1) {
  const std::pair<float, float> cases[] = {
      {0.25f, 0.0f}, {0.26f, 0.5f}, {0.75f, 1.0f}, {1.25f, 1.0f},
      {1.75f, 2.0f}, {2.5f, 2.0f},  {3.5f, 4.0f},  {5.0f, 4.0f},
      {5.1f, 6.0f},  {7.0f, 6.0f},  {-0.3f, -0.5f}};
  for (auto [x, want] : cases)
    EXPECT_EQ(fbits(q(x, Format::E2M1)), fbits(want)) << show(x);
}

TEST(WorkedValues, Radix2AndIntegers) {
  EXPECT_EQ(q(0.0624f, Format::Radix2FP4), 0.0f);
  EXPECT_EQ(q(0.0625f, Format::Radix2FP4), 0.125f); // tie -> larger
  EXPECT_EQ(q(0.75f, Format::Radix2FP4), 1.0f);     // tie -> larger
  EXPECT_EQ(q(0.7499f, Format::Radix2FP4), 0.5f);
  EXPECT_EQ(q(11.9f, Format::Radix2FP4), 8.0f);
  EXPECT_EQ(q(100.0f, Format::Radix2FP4), 8.0f);
  EXPECT_EQ(q(-3.0f, Format::Radix2FP4), -4.0f);
  EXPECT_EQ(q(2.5f, Format::Int4), 2.0f);
  EXPECT_EQ(q(3.5f, Format::Int4), 4.0f);
  EXPECT_EQ(q(-2.5f, Format::Int4), -2.0f);
  EXPECT_EQ(q(-9.0f, Format::Int4), -7.0f);
  EXPECT_EQ(encode(-1.0f, Format::Int4), 0xFu);
  EXPECT_EQ(encode(-7.0f, Format::Int4), 0x9u);
  EXPECT_EQ(q(14.5f, Format::UInt4), 14.0f);
  EXPECT_EQ(q(15.5f, Format::UInt4), 15.0f);
  EXPECT_EQ(q(-3.0f, Format::UInt4), 0.0f);
  EXPECT_EQ(encode(0.5f, Format::UInt4), 0u);
  EXPECT_EQ(encode(1.5f, Format::UInt4), 2u);
}

//===----------------------------------------------------------------------===//
// Exhaustive / sweeping comparison against the oracles
//===----------------------------------------------------------------------===//

/// Checks encode(x, f) (code, value and counters) against the oracle; returns
/// false (and records a failure message) on mismatch.
bool checkNearest(float x, Format f, std::string &msg) {
  Counters c;
  uint16_t code = encode(x, f, &c);
  float got = decode(code, f);
  float want;
  bool ok;
  if (isMiniFloat(f)) {
    uint16_t wantCode = apEncodeNearest(x, f);
    want = apDecodeCached(wantCode, f);
    ok = code == wantCode;
    if (f == Format::E2M1) // second, enumeration-based oracle
      ok = ok && sameFloat(got, static_cast<float>(refNearestValue(x, f)));
  } else {
    double ref = refNearestValue(x, f);
    want = static_cast<float>(ref);
    ok = sameFloat(got, want);
    if (std::isnan(ref))
      ok = ok && code == 8; // the radix NaN marker
  }
  // Counters straight from their definitions.
  uint64_t nonfinite = !std::isfinite(x);
  uint64_t saturated = 0, flushed = 0;
  if (std::isfinite(x)) {
    if (f == Format::F16 || f == Format::BF16)
      saturated = std::isinf(want);
    else if (!(f == Format::UInt4 && x < 0))
      saturated = std::fabs(x) > maxMagnitude(f);
    flushed = x != 0.0f && want == 0.0f;
  }
  ok = ok && c.nonfinite == nonfinite && c.saturated == saturated &&
       c.flushed == flushed;
  if (!ok && msg.size() < 2000)
    msg += std::string(formatName(f)) + ": x=" + show(x) + " code=" +
           std::to_string(code) + " got=" + show(got) + " want=" + show(want) +
           " counters(s,f,n)=" + std::to_string(c.saturated) + "," +
           std::to_string(c.flushed) + "," + std::to_string(c.nonfinite) +
           "\n";
  return ok;
}

TEST(Exhaustive, AllF16PatternsAllFormats) {
  for (Format f : kAllFormats) {
    std::string msg;
    unsigned bad = 0;
    for (uint32_t h = 0; h < 0x10000; ++h) {
      // Input built by APFloat (independent of the library's decoder).
      float x = apDecode(static_cast<uint16_t>(h), Format::F16);
      bad += !checkNearest(x, f, msg);
    }
    EXPECT_EQ(bad, 0u) << msg;
  }
}

TEST(Exhaustive, F32ExponentSweepAllFormats) {
  std::mt19937 rng(12345);
  const int kMantissas = 2000;
  std::vector<float> xs;
  xs.reserve(2 * 256 * (kMantissas + 2));
  for (uint32_t sign = 0; sign < 2; ++sign)
    for (uint32_t e = 0; e < 256; ++e) {
      xs.push_back(bitsf((sign << 31) | (e << 23)));
      xs.push_back(bitsf((sign << 31) | (e << 23) | 0x7FFFFF));
      for (int i = 0; i < kMantissas; ++i)
        xs.push_back(bitsf((sign << 31) | (e << 23) | (rng() & 0x7FFFFF)));
    }
  for (Format f : kAllFormats) {
    std::string msg;
    unsigned bad = 0;
    for (float x : xs)
      bad += !checkNearest(x, f, msg);
    EXPECT_EQ(bad, 0u) << msg;
  }
}

//===----------------------------------------------------------------------===//
// Ties and boundaries
//===----------------------------------------------------------------------===//

/// For every pair of adjacent grid magnitudes: the exact midpoint (a tie,
/// resolved to the even grid index, or to the larger for radix2) and its f32
/// neighbours, with both signs.
TEST(Boundaries, MidpointsAndNeighbours) {
  for (Format f : kAllFormats) {
    if (f == Format::Radix4Even || f == Format::Radix4Odd)
      continue; // threshold rule, tested below
    std::vector<float> g = gridMagnitudes(f);
    std::string msg;
    unsigned bad = 0;
    for (size_t i = 0; i + 1 < g.size(); ++i) {
      double midD = (static_cast<double>(g[i]) + g[i + 1]) / 2;
      float mid = static_cast<float>(midD);
      ASSERT_EQ(static_cast<double>(mid), midD);
      float tie = f == Format::Radix2FP4 ? g[i + 1] : (i % 2 ? g[i + 1] : g[i]);
      const std::pair<float, float> cases[] = {
          {mid, tie},
          {std::nextafter(mid, 0.0f), g[i]},
          {std::nextafter(mid, INFINITY), g[i + 1]}};
      for (auto [x, want] : cases)
        for (float sgn : {1.0f, -1.0f}) {
          if (f == Format::UInt4 && sgn < 0)
            continue;
          float wantS = sgn * want;
          if (want == 0.0f && !isMiniFloat(f))
            wantS = 0.0f;
          float got = q(sgn * x, f);
          if (!sameFloat(got, wantS)) {
            ++bad;
            if (msg.size() < 2000)
              msg += std::string(formatName(f)) + " x=" + show(sgn * x) +
                     " got=" + show(got) + " want=" + show(wantS) + "\n";
          }
          bad += !checkNearest(sgn * x, f, msg);
        }
    }
    EXPECT_EQ(bad, 0u) << msg;
  }
}

/// Radix-4 thresholds 4^n / 1.6: the smallest f32 x with fl32(1.6f * x) >=
/// 4^n rounds up, its predecessor rounds down, and it is within one ulp of
/// the real threshold. Same for the odd phase (thresholds halved).
TEST(Boundaries, Radix4Thresholds) {
  for (int n = -3; n <= 3; ++n) {
    float p = static_cast<float>(std::pow(4.0, n));
    // Smallest x with fl32(1.6f * x) >= p, by bisection on the bits.
    uint32_t lo = 0, hi = fbits(100.0f);
    while (hi - lo > 1) {
      uint32_t mid = lo + (hi - lo) / 2;
      volatile float a = 1.6f * bitsf(mid);
      if (a >= p)
        hi = mid;
      else
        lo = mid;
    }
    float xs = bitsf(hi), below = bitsf(lo);
    double real = std::pow(4.0, n) / 1.6;
    EXPECT_LE(std::fabs(xs - real), std::nextafter(xs, INFINITY) - xs) << n;
    float up = n == 3 ? 64.0f : p;
    float down = n == -3 ? 0.0f : p / 4;
    EXPECT_EQ(q(xs, Format::Radix4Even), up) << n;
    EXPECT_EQ(q(below, Format::Radix4Even), down) << n;
    EXPECT_EQ(q(-xs, Format::Radix4Even), -up) << n;
    EXPECT_EQ(fbits(q(-below, Format::Radix4Even)),
              fbits(n == -3 ? 0.0f : -down))
        << n;
    // The threshold is the arithmetic midpoint (4^(n-1) + 4^n) / 2.
    if (n > -3)
      EXPECT_EQ(real, (std::pow(4.0, n - 1) + std::pow(4.0, n)) / 2);
    // Odd phase: thresholds and values halved (x/2 is exact here).
    EXPECT_EQ(q(xs / 2, Format::Radix4Odd), up / 2) << n;
    EXPECT_EQ(q(below / 2, Format::Radix4Odd), down / 2) << n;
    // Far from the threshold the rule is the arithmetic midpoint.
    EXPECT_EQ(q(static_cast<float>(real * (1 + 1e-6)), Format::Radix4Even),
              up);
    EXPECT_EQ(q(static_cast<float>(real * (1 - 1e-6)), Format::Radix4Even),
              down);
    std::string msg;
    unsigned bad = 0;
    float x = xs;
    for (int k = 0; k < 8; ++k)
      x = std::nextafter(x, 0.0f);
    for (int k = 0; k < 16; ++k, x = std::nextafter(x, INFINITY))
      for (Format f : {Format::Radix4Even, Format::Radix4Odd})
        for (float y : {x, -x, x / 2, -x / 2})
          bad += !checkNearest(y, f, msg);
    EXPECT_EQ(bad, 0u) << msg;
  }
}

/// Equivalent form for back ends: Q_even(x) is 4^n for the largest n with
/// |x| >= 4^n / 1.6 = 0x1.4p(2n-1) (exact f32 constants, ties up), 0 below
/// 1/102.4 = 0x1.4p-7. Checked on a stride of all positive f32 (the full
/// 2^31 scan was run once offline: no mismatch).
TEST(Boundaries, Radix4EqualsThresholdCompare) {
  float thr[7], thrOdd[7];
  for (int n = -3; n <= 3; ++n) {
    thr[n + 3] = std::ldexp(1.25f, 2 * n - 1);
    thrOdd[n + 3] = std::ldexp(1.25f, 2 * n - 2);
  }
  unsigned bad = 0;
  for (uint64_t b = 0; b < 0x7F800000u; b += 331) {
    float x = bitsf(static_cast<uint32_t>(b));
    uint16_t want = 0, wantOdd = 0;
    for (int k = 0; k < 7; ++k) {
      if (x >= thr[k])
        want = static_cast<uint16_t>(k + 1);
      if (x >= thrOdd[k])
        wantOdd = static_cast<uint16_t>(k + 1);
    }
    bad += encode(x, Format::Radix4Even) != want;
    bad += encode(x, Format::Radix4Odd) != wantOdd;
    bad += encode(-x, Format::Radix4Even) != (want ? (want | 8) : 0);
  }
  EXPECT_EQ(bad, 0u);
}

TEST(Boundaries, SaturationAndOverflow) {
  const float fmax = std::numeric_limits<float>::max();
  // Saturating formats: max, just above, f32 max, Inf.
  for (Format f : kAllFormats) {
    if (f == Format::F16 || f == Format::BF16)
      continue;
    float mx = maxMagnitude(f);
    for (float x : {mx, std::nextafter(mx, INFINITY), 2 * mx, fmax, INFINITY}) {
      EXPECT_EQ(q(x, f), mx) << formatName(f) << " " << show(x);
      if (f != Format::UInt4)
        EXPECT_EQ(q(-x, f), -mx) << formatName(f) << " " << show(x);
      else
        EXPECT_EQ(fbits(q(-x, f)), 0u);
    }
  }
  EXPECT_EQ(q(464.0f, Format::E4M3), 448.0f);
  EXPECT_EQ(q(61440.0f, Format::E5M2), 57344.0f);
  EXPECT_EQ(encode(-1e9f, Format::E4M3), 0xFEu);
  EXPECT_EQ(encode(-INFINITY, Format::E5M2), 0xFBu);
  // Radix-4 odd: 2x overflows to Inf for the largest finite inputs.
  EXPECT_EQ(q(fmax, Format::Radix4Odd), 32.0f);
  EXPECT_EQ(q(-fmax, Format::Radix4Odd), -32.0f);
  // IEEE f16/bf16 overflow to Inf at max + half ulp.
  EXPECT_EQ(q(65519.0f, Format::F16), 65504.0f);
  EXPECT_EQ(q(std::nextafter(65520.0f, 0.0f), Format::F16), 65504.0f);
  EXPECT_EQ(q(65520.0f, Format::F16), INFINITY);
  EXPECT_EQ(q(-65520.0f, Format::F16), -INFINITY);
  EXPECT_EQ(q(fmax, Format::F16), INFINITY);
  float bfMax = maxMagnitude(Format::BF16);
  EXPECT_EQ(q(std::nextafter(0x1.ffp127f, 0.0f), Format::BF16), bfMax);
  EXPECT_EQ(q(0x1.ffp127f, Format::BF16), INFINITY);
  EXPECT_EQ(q(INFINITY, Format::BF16), INFINITY);
  EXPECT_EQ(q(-INFINITY, Format::F16), -INFINITY);
}

TEST(Boundaries, FlushAndSubnormals) {
  struct Case {
    Format f;
    float minPos; // smallest nonzero magnitude
  };
  const Case cases[] = {
      {Format::E2M1, 0.5f},     {Format::Int4, 1.0f},
      {Format::UInt4, 1.0f},    {Format::Radix2FP4, 0.125f},
      {Format::E4M3, 0x1p-9f},  {Format::E5M2, 0x1p-16f},
      {Format::F16, 0x1p-24f},  {Format::BF16, 0x1p-133f}};
  for (auto [f, mn] : cases) {
    float half = mn / 2;
    // radix2 breaks ties up; the others to even (zero).
    float atHalf = f == Format::Radix2FP4 ? mn : 0.0f;
    EXPECT_EQ(q(half, f), atHalf) << formatName(f);
    EXPECT_EQ(q(std::nextafter(half, INFINITY), f), mn) << formatName(f);
    EXPECT_EQ(q(std::nextafter(half, 0.0f), f), 0.0f) << formatName(f);
    EXPECT_EQ(q(mn, f), mn) << formatName(f);
  }
  // Radix-4 even flushes below 1/102.4, odd below 1/204.8.
  EXPECT_EQ(q(1.0f / 102.5f, Format::Radix4Even), 0.0f);
  EXPECT_EQ(q(1.0f / 102.3f, Format::Radix4Even), 1.0f / 64);
  EXPECT_EQ(q(1.0f / 205.0f, Format::Radix4Odd), 0.0f);
  EXPECT_EQ(q(1.0f / 204.0f, Format::Radix4Odd), 1.0f / 128);
  // f32 subnormals: zero everywhere except bf16, which keeps them.
  float sub = 0x1p-140f, minSub = 0x1p-149f;
  for (Format f : kAllFormats) {
    if (f == Format::BF16)
      continue;
    EXPECT_EQ(q(sub, f), 0.0f) << formatName(f);
    EXPECT_EQ(q(minSub, f), 0.0f) << formatName(f);
  }
  EXPECT_EQ(q(0x1p-133f, Format::BF16), 0x1p-133f);
  EXPECT_EQ(q(0x1p-134f, Format::BF16), 0.0f);
  EXPECT_EQ(q(0x3p-134f, Format::BF16), 0x1p-132f); // tie -> even
  EXPECT_EQ(q(0x1.8p-133f, Format::BF16), 0x1p-132f);
  EXPECT_EQ(fbits(q(-0x1p-140f, Format::BF16)), fbits(-0.0f));
}

TEST(Boundaries, ZerosNaNsAndInfinities) {
  for (Format f : kAllFormats) {
    EXPECT_EQ(fbits(q(0.0f, f)), 0u) << formatName(f);
  }
  // Negative zero: kept by the IEEE-like formats, dropped by radix/int.
  EXPECT_EQ(encode(-0.0f, Format::E2M1), 0x8u);
  EXPECT_EQ(fbits(decode(0x8, Format::E2M1)), fbits(-0.0f));
  EXPECT_EQ(encode(-0.1f, Format::E2M1), 0x8u);
  EXPECT_EQ(encode(-0.0f, Format::E4M3), 0x80u);
  EXPECT_EQ(encode(-0.0f, Format::E5M2), 0x80u);
  EXPECT_EQ(encode(-0.0f, Format::F16), 0x8000u);
  EXPECT_EQ(encode(-0.0f, Format::BF16), 0x8000u);
  for (Format f : {Format::Radix4Even, Format::Radix4Odd, Format::Radix2FP4,
                   Format::Int4, Format::UInt4}) {
    EXPECT_EQ(encode(-0.0f, f), 0u) << formatName(f);
    EXPECT_EQ(encode(-1e-20f, f), 0u) << formatName(f);
  }
  // NaN.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (Format f : {Format::Radix4Even, Format::Radix4Odd, Format::Radix2FP4}) {
    EXPECT_EQ(encode(nan, f), 0x8u);
    EXPECT_EQ(encode(-nan, f), 0x8u);
    EXPECT_TRUE(std::isnan(decode(0x8, f)));
    EXPECT_EQ(encode(INFINITY, f), 0x7u);
    EXPECT_EQ(encode(-INFINITY, f), 0xFu);
  }
  EXPECT_EQ(encode(nan, Format::E2M1), 0x7u);
  EXPECT_EQ(encode(-nan, Format::E2M1), 0x7u);
  EXPECT_EQ(encode(nan, Format::Int4), 0x0u);
  EXPECT_EQ(encode(INFINITY, Format::Int4), 0x7u);
  EXPECT_EQ(encode(-INFINITY, Format::Int4), 0x9u);
  EXPECT_EQ(encode(nan, Format::UInt4), 0x0u);
  EXPECT_EQ(encode(INFINITY, Format::UInt4), 0xFu);
  EXPECT_EQ(encode(-INFINITY, Format::UInt4), 0x0u);
  EXPECT_EQ(encode(nan, Format::E4M3), 0x7Fu);
  EXPECT_EQ(encode(-nan, Format::E4M3), 0xFFu);
  EXPECT_EQ(encode(nan, Format::E5M2), 0x7Fu);
  EXPECT_EQ(encode(-nan, Format::E5M2), 0xFFu);
  EXPECT_EQ(encode(nan, Format::F16), 0x7E00u);
  EXPECT_EQ(encode(-nan, Format::F16), 0xFE00u);
  EXPECT_EQ(encode(nan, Format::BF16), 0x7FC0u);
  // Signalling NaN comes out quiet, top payload bits kept.
  EXPECT_EQ(encode(bitsf(0x7F802000u), Format::F16), 0x7E01u);
  EXPECT_EQ(encode(bitsf(0x7F810000u), Format::BF16), 0x7FC1u);
  EXPECT_EQ(encode(bitsf(0x7F800001u), Format::F16), 0x7E00u);
}

//===----------------------------------------------------------------------===//
// Codes: decode vs APFloat, round trips
//===----------------------------------------------------------------------===//

TEST(Codes, DecodeMatchesAPFloat) {
  for (Format f : {Format::E2M1, Format::E4M3, Format::E5M2, Format::F16,
                   Format::BF16}) {
    unsigned n = 1u << bitWidth(f), bad = 0;
    for (unsigned c = 0; c < n; ++c)
      bad += !sameFloat(decode(static_cast<uint16_t>(c), f),
                        apDecode(static_cast<uint16_t>(c), f));
    EXPECT_EQ(bad, 0u) << formatName(f);
  }
}

TEST(Codes, RoundTripEveryCode) {
  for (Format f : kAllFormats) {
    unsigned n = 1u << bitWidth(f);
    for (unsigned c = 0; c < n; ++c) {
      uint16_t code = static_cast<uint16_t>(c);
      float v = decode(code, f);
      if (f == Format::Int4 && c == 8) {
        EXPECT_EQ(v, -8.0f); // unused code
        EXPECT_EQ(encode(v, f), 0x9u);
        continue;
      }
      if (std::isnan(v)) {
        uint16_t back = encode(v, f);
        if (f == Format::F16)
          EXPECT_EQ(back, code | 0x200) << c; // quieted, payload kept
        else if (f == Format::BF16)
          EXPECT_EQ(back, code | 0x40) << c;
        else if (f == Format::E5M2)
          EXPECT_EQ(back, (code & 0x80) | 0x7F) << c;
        else
          EXPECT_EQ(back, code) << formatName(f) << " " << c;
        continue;
      }
      if (std::isinf(v) && f == Format::E5M2) {
        EXPECT_EQ(encode(v, f), (code & 0x80) | 0x7B); // saturating
        continue;
      }
      EXPECT_EQ(encode(v, f), code) << formatName(f) << " code " << c;
    }
  }
}

TEST(Codes, Radix4CodeLayout) {
  for (unsigned c = 1; c < 8; ++c) {
    float even = static_cast<float>(std::pow(4.0, static_cast<int>(c) - 4));
    EXPECT_EQ(decode(static_cast<uint16_t>(c), Format::Radix4Even), even);
    EXPECT_EQ(decode(static_cast<uint16_t>(c | 8), Format::Radix4Even), -even);
    EXPECT_EQ(decode(static_cast<uint16_t>(c), Format::Radix4Odd), even / 2);
    EXPECT_EQ(decode(static_cast<uint16_t>(c), Format::Radix2FP4),
              std::ldexp(1.0f, static_cast<int>(c) - 4));
  }
}

//===----------------------------------------------------------------------===//
// Counters
//===----------------------------------------------------------------------===//

Counters countAll(const std::vector<float> &xs, Format f) {
  Counters c;
  for (float x : xs)
    encode(x, f, &c);
  // The bulk path must agree.
  Counters b;
  std::vector<uint8_t> out(storageBytes(f, xs.size()));
  quantizeToCodes(xs.data(), xs.size(), f, 1.0f, Rounding::Nearest, 0, 0,
                  out.data(), &b);
  EXPECT_EQ(b.saturated, c.saturated);
  EXPECT_EQ(b.flushed, c.flushed);
  EXPECT_EQ(b.nonfinite, c.nonfinite);
  return c;
}

#define EXPECT_COUNTERS(c, s, fl, nf)                                          \
  do {                                                                         \
    EXPECT_EQ((c).saturated, uint64_t(s));                                     \
    EXPECT_EQ((c).flushed, uint64_t(fl));                                      \
    EXPECT_EQ((c).nonfinite, uint64_t(nf));                                    \
  } while (0)

TEST(Counters, Crafted) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_COUNTERS(countAll({0, -0.0f, 0.4f, -0.5f, 0.5000001f, 7.4f, 7.6f,
                            -100, INFINITY, -INFINITY, nan, 3},
                           Format::Int4),
                  3, 2, 3);
  EXPECT_COUNTERS(countAll({-1, -0.0f, -INFINITY, 15.5f, 16, 0.3f, nan, 2},
                           Format::UInt4),
                  2, 2, 2);
  EXPECT_COUNTERS(countAll({65504, 65519, 65520, 1e10f, 1e-8f, -1e-8f,
                            INFINITY, 0x1p-24f},
                           Format::F16),
                  2, 2, 1);
  EXPECT_COUNTERS(countAll({25, 64, 64.5f, 1e30f, 0.009f, -0.009f, 0.0098f,
                            nan},
                           Format::Radix4Even),
                  2, 2, 1);
  EXPECT_COUNTERS(countAll({32, 32.5f, 33, 0.003f, 2e38f, -3.4e38f},
                           Format::Radix4Odd),
                  4, 1, 0);
  EXPECT_COUNTERS(countAll({448, 449, 464, 1e6f, 0x1p-10f, 0x1.0001p-10f,
                            -INFINITY},
                           Format::E4M3),
                  3, 1, 1);
  EXPECT_COUNTERS(countAll({6, 6.5f, -7, 0.25f, -0.25f, 0.2500001f, nan},
                           Format::E2M1),
                  2, 2, 1);
  // quantize() counts on x * scale.
  Counters c;
  quantize(1.0f, Format::Int4, 8.0f, Rounding::Nearest, 0, 0, 0, &c);
  quantize(0.01f, Format::Int4, 8.0f, Rounding::Nearest, 0, 0, 0, &c);
  quantize(1e38f, Format::Int4, 1e10f, Rounding::Nearest, 0, 0, 0, &c);
  EXPECT_COUNTERS(c, 1, 1, 1); // 8 > 7; 0.08 -> 0; 1e48 -> Inf
}

//===----------------------------------------------------------------------===//
// Packing and the bulk functions
//===----------------------------------------------------------------------===//

TEST(Packing, NibbleOrder) {
  const float xs[] = {1, 2, 3, -1, 7};
  uint8_t out[3] = {0xAA, 0xAA, 0xAA};
  quantizeToCodes(xs, 5, Format::Int4, 1.0f, Rounding::Nearest, 0, 0, out,
                  nullptr);
  EXPECT_EQ(out[0], 0x21); // element 0 low nibble, element 1 high nibble
  EXPECT_EQ(out[1], 0xF3);
  EXPECT_EQ(out[2], 0x07); // odd count: high nibble padded with 0
  uint8_t codes[5];
  unpackNibbles(out, 5, codes);
  const uint8_t want[] = {1, 2, 3, 0xF, 7};
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(codes[i], want[i]);
  uint8_t packed[3] = {0xAA, 0xAA, 0xAA};
  packNibbles(codes, 5, packed);
  EXPECT_EQ(packed[0], 0x21);
  EXPECT_EQ(packed[1], 0xF3);
  EXPECT_EQ(packed[2], 0x07);
  // High bits of the input codes are ignored.
  const uint8_t dirty[] = {0x31, 0x42};
  packNibbles(dirty, 2, packed);
  EXPECT_EQ(packed[0], 0x21);
}

TEST(Packing, SixteenBitLittleEndian) {
  const float xs[] = {1.0f, -2.0f};
  uint8_t out[4];
  quantizeToCodes(xs, 2, Format::F16, 1.0f, Rounding::Nearest, 0, 0, out,
                  nullptr);
  EXPECT_EQ(out[0], 0x00);
  EXPECT_EQ(out[1], 0x3C);
  EXPECT_EQ(out[2], 0x00);
  EXPECT_EQ(out[3], 0xC0);
  quantizeToCodes(xs, 2, Format::BF16, 1.0f, Rounding::Nearest, 0, 0, out,
                  nullptr);
  EXPECT_EQ(out[0], 0x80);
  EXPECT_EQ(out[1], 0x3F);
}

TEST(Bulk, MatchesScalarAllFormats) {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 3.0f);
  const size_t n = 1001; // odd
  std::vector<float> xs(n);
  for (auto &x : xs)
    x = dist(rng);
  xs[3] = INFINITY;
  xs[10] = std::numeric_limits<float>::quiet_NaN();
  const float scales[] = {1.0f, 0.7f, 16.0f};
  for (Format f : kAllFormats)
    for (float scale : scales)
      for (Rounding r : {Rounding::Nearest, Rounding::Stochastic}) {
        const uint64_t seed = 0x123456789ABCDEFull;
        const uint32_t stream = 42;
        std::vector<uint8_t> out(storageBytes(f, n));
        Counters cb, cs;
        quantizeToCodes(xs.data(), n, f, scale, r, seed, stream, out.data(),
                        &cb);
        std::vector<float> deq(n);
        dequantizeCodes(out.data(), n, f, scale, deq.data());
        unsigned bad = 0;
        for (size_t i = 0; i < n; ++i) {
          float xs_ = xs[i] * scale;
          uint16_t code =
              r == Rounding::Nearest
                  ? encode(xs_, f, &cs)
                  : encodeStochastic(xs_, f,
                                     stochasticUniform(seed, stream, i), &cs);
          uint16_t stored;
          switch (bitWidth(f)) {
          case 4:
            stored = (out[i / 2] >> (4 * (i & 1))) & 15;
            break;
          case 8:
            stored = out[i];
            break;
          default:
            stored = static_cast<uint16_t>(out[2 * i] | (out[2 * i + 1] << 8));
          }
          bad += stored != code;
          float qv = quantize(xs[i], f, scale, r, seed, stream, i);
          bad += !sameFloat(qv, decode(code, f) / scale);
          bad += !sameFloat(deq[i], qv);
        }
        if (bitWidth(f) == 4)
          EXPECT_EQ(out.back() >> 4, 0) << formatName(f);
        EXPECT_EQ(bad, 0u) << formatName(f) << " scale " << scale;
        EXPECT_EQ(cb.saturated, cs.saturated);
        EXPECT_EQ(cb.flushed, cs.flushed);
        EXPECT_EQ(cb.nonfinite, cs.nonfinite);
      }
}

TEST(Bulk, QuantizeIsOneMultiplyOneDivide) {
  // x * scale rounds in f32 before the format sees it.
  float x = 0.1f, scale = 3.0f;
  float xs = x * scale; // 0x1.333334p-2, just above 0.3
  EXPECT_EQ(quantize(x, Format::F16, scale),
            f16BitsToFloat(floatToF16Bits(xs)) / scale);
  EXPECT_EQ(quantize(0.75f, Format::E2M1, 2.0f), 0.75f);  // 1.5 / 2
  EXPECT_EQ(quantize(0.7f, Format::Int4, 10.0f), 0.7f);   // 7 / 10
  EXPECT_EQ(quantize(0.65f, Format::Int4, 10.0f), 0.6f);  // 6.5 -> 6
  EXPECT_EQ(quantize(-40.0f, Format::Radix4Even, 0.25f), -64.0f); // -16
}

} // namespace
