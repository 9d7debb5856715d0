//===- StochasticTest.cpp - Philox and stochastic rounding ----------------===//
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

//===----------------------------------------------------------------------===//
// Philox4x32-10 known answers (SPEC 5 / Random123 kat_vectors)
//===----------------------------------------------------------------------===//

TEST(Philox, KnownAnswers) {
  using C = std::array<uint32_t, 4>;
  using K = std::array<uint32_t, 2>;
  EXPECT_EQ(philox4x32_10(C{0, 0, 0, 0}, K{0, 0}),
            (C{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32_10(C{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                          K{0xffffffff, 0xffffffff}),
            (C{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox4x32_10(C{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                          K{0xa4093822, 0x299f31d0}),
            (C{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(Philox, UniformMapping) {
  // key (lo, hi) = (299f31d0, a4093822)
  const uint64_t seed = 0xa4093822299f31d0ull;
  const uint32_t stream = 0x13198a2e;
  for (uint64_t idx : {0ull, 1ull, 2ull, 3ull, 4ull, 7ull, 0x123456789ull,
                       0xFFFFFFFFFFFFFFFFull}) {
    uint64_t g = idx >> 2;
    auto r = philox4x32_10({static_cast<uint32_t>(g),
                            static_cast<uint32_t>(g >> 32), stream, 0},
                           {static_cast<uint32_t>(seed),
                            static_cast<uint32_t>(seed >> 32)});
    float want = static_cast<float>(r[idx & 3] >> 8) / 16777216.0f;
    EXPECT_EQ(stochasticUniform(seed, stream, idx), want) << idx;
  }
  // Counter 0, key 0, stream 0: u = (0x6627e8d5 >> 8) * 2^-24, etc.
  EXPECT_EQ(stochasticUniform(0, 0, 0), 0x6627e8 * 0x1p-24f);
  EXPECT_EQ(stochasticUniform(0, 0, 1), 0xe169c5 * 0x1p-24f);
  EXPECT_EQ(stochasticUniform(0, 0, 3), 0x9b00db * 0x1p-24f);
}

TEST(Philox, Reproducibility) {
  const uint64_t seed = 99;
  unsigned same = 0, sameOtherSeed = 0;
  for (uint64_t i = 0; i < 4096; ++i) {
    float u = stochasticUniform(seed, 5, i);
    EXPECT_GE(u, 0.0f);
    EXPECT_LT(u, 1.0f);
    EXPECT_EQ(u, stochasticUniform(seed, 5, i));
    same += u == stochasticUniform(seed, 6, i);
    sameOtherSeed += u == stochasticUniform(seed + 1, 5, i);
  }
  // Equal 24-bit values by chance: expected 4096 / 2^24.
  EXPECT_LE(same, 2u);
  EXPECT_LE(sameOtherSeed, 2u);
  EXPECT_EQ(quantize(0.3f, Format::E2M1, 1.0f, Rounding::Stochastic, 7, 1, 10),
            quantize(0.3f, Format::E2M1, 1.0f, Rounding::Stochastic, 7, 1, 10));
}

//===----------------------------------------------------------------------===//
// Stochastic rounding against the grid-list reference
//===----------------------------------------------------------------------===//

/// Exponent range of interesting inputs for a format (f32 unbiased).
std::pair<int, int> interestingExponents(Format f) {
  switch (f) {
  case Format::E4M3:
    return {-12, 10};
  case Format::E5M2:
    return {-19, 17};
  case Format::F16:
    return {-27, 17};
  case Format::BF16:
    return {-136, 127};
  default:
    return {-10, 6};
  }
}

TEST(Stochastic, MatchesReferenceAllFormats) {
  std::mt19937 rng(2024);
  for (Format f : kAllFormats) {
    std::vector<float> grid = gridMagnitudes(f);
    auto [eLo, eHi] = interestingExponents(f);
    std::string msg;
    unsigned bad = 0;
    for (int it = 0; it < 100000; ++it) {
      int e = eLo + static_cast<int>(rng() %
                                     static_cast<unsigned>(eHi - eLo + 1));
      float x = std::ldexp(1.0f + (rng() & 0x7FFFFF) * 0x1p-23f, e);
      if (rng() & 1)
        x = -x;
      float u = (rng() >> 8) * 0x1p-24f;
      // Sometimes put u right at the decision boundary p (u < p rounds up).
      if (it % 4 == 0 && std::fabs(x) < grid.back()) {
        float ax = std::fabs(x);
        auto up = std::upper_bound(grid.begin(), grid.end(), ax);
        volatile float num = ax - *(up - 1), den = *up - *(up - 1);
        float p = num / den;
        u = (it % 8 == 0) ? p : std::nextafter(p, 0.0f);
        if (!(u < 1.0f))
          u = std::nextafter(1.0f, 0.0f);
      }
      Counters c;
      uint16_t code = encodeStochastic(x, f, u, &c);
      float got = decode(code, f);
      float want = refStochasticValue(x, f, u, grid);
      bool ok = sameFloat(got, want);
      // Counters from their definitions.
      bool sat = std::isfinite(x) && !(f == Format::UInt4 && x < 0) &&
                 std::fabs(x) > grid.back();
      bool fl = std::isfinite(x) && x != 0 && want == 0;
      ok = ok && c.saturated == sat && c.flushed == fl && c.nonfinite == 0;
      if (!ok) {
        ++bad;
        if (msg.size() < 2000)
          msg += std::string(formatName(f)) + " x=" + show(x) + " u=" +
                 show(u) + " got=" + show(got) + " want=" + show(want) + "\n";
      }
    }
    EXPECT_EQ(bad, 0u) << msg;
  }
}

TEST(Stochastic, GridValuesAreExactForAnyU) {
  const float us[] = {0.0f, 0x1p-24f, 0.5f, std::nextafter(1.0f, 0.0f)};
  for (Format f : kAllFormats) {
    std::vector<float> grid = gridMagnitudes(f);
    unsigned bad = 0;
    for (float g : grid)
      for (float u : us)
        for (float s : {1.0f, -1.0f}) {
          if (f == Format::UInt4 && s < 0)
            continue;
          float x = s * g;
          bad += decode(encodeStochastic(x, f, u), f) != x;
          bad += encodeStochastic(x, f, u) != encode(x, f);
        }
    EXPECT_EQ(bad, 0u) << formatName(f);
  }
}

TEST(Stochastic, SpecialValues) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (Format f : kAllFormats)
    for (float x : {nan, INFINITY, -INFINITY})
      for (float u : {0.0f, 0.999f}) {
        Counters c;
        EXPECT_EQ(encodeStochastic(x, f, u, &c), encode(x, f))
            << formatName(f) << " " << show(x);
        EXPECT_EQ(c.nonfinite, 1u);
      }
  // Beyond max: max (also for f16/bf16, which round to Inf in nearest mode).
  EXPECT_EQ(decode(encodeStochastic(70000.0f, Format::F16, 0.0f), Format::F16),
            65504.0f);
  EXPECT_EQ(decode(encodeStochastic(3.4e38f, Format::BF16, 0.0f), Format::BF16),
            maxMagnitude(Format::BF16));
  EXPECT_EQ(decode(encodeStochastic(-1e9f, Format::E4M3, 0.0f), Format::E4M3),
            -448.0f);
  // Below the smallest magnitude: between 0 and it, no flush threshold.
  EXPECT_EQ(decode(encodeStochastic(0.001f, Format::Radix4Even, 0.0f),
                   Format::Radix4Even),
            1.0f / 64);
  EXPECT_EQ(decode(encodeStochastic(0.001f, Format::Radix4Even, 0.1f),
                   Format::Radix4Even),
            0.0f);
  EXPECT_EQ(decode(encodeStochastic(0.005f, Format::Radix4Odd, 0.6f),
                   Format::Radix4Odd),
            1.0f / 128); // p = 0.64
  // uint4 negatives -> 0, int4 symmetric.
  Counters c;
  EXPECT_EQ(encodeStochastic(-3.7f, Format::UInt4, 0.0f, &c), 0u);
  EXPECT_EQ(c.flushed, 1u);
  EXPECT_EQ(encodeStochastic(-3.25f, Format::Int4, 0.2f),
            encode(-4.0f, Format::Int4));
  EXPECT_EQ(encodeStochastic(-3.25f, Format::Int4, 0.3f),
            encode(-3.0f, Format::Int4));
  // p computed in f32: 3.25 between 3 and 4 gives p = 0.25 exactly.
  EXPECT_EQ(encodeStochastic(3.25f, Format::Int4, std::nextafter(0.25f, 0.0f)),
            4u);
  EXPECT_EQ(encodeStochastic(3.25f, Format::Int4, 0.25f), 3u);
  // e2m1 keeps the sign of a zero result.
  EXPECT_EQ(encodeStochastic(-0.1f, Format::E2M1, 0.9f), 0x8u);
  EXPECT_EQ(encodeStochastic(-0.001f, Format::Radix4Even, 0.99f), 0x0u);
  EXPECT_EQ(encodeStochastic(-0.001f, Format::Radix4Even, 0.0f), 0x9u);
}

/// The empirical mean of SR over many uniforms equals x (unbiased), within
/// 5 standard deviations.
TEST(Stochastic, UnbiasedMean) {
  struct Case {
    Format f;
    float x;
  };
  const Case cases[] = {
      {Format::Radix4Even, 0.3f},  {Format::Radix4Even, 0.004f},
      {Format::Radix4Even, 40.0f}, {Format::Radix4Odd, 0.3f},
      {Format::Radix4Odd, 20.0f},  {Format::Radix2FP4, 0.3f},
      {Format::Radix2FP4, -5.0f},  {Format::E2M1, 0.3f},
      {Format::E2M1, -5.2f},       {Format::Int4, 2.3f},
      {Format::Int4, -0.7f},       {Format::UInt4, 13.9f},
      {Format::E4M3, 0.3f},        {Format::E4M3, 300.0f},
      {Format::E4M3, 0.001f},      {Format::E5M2, 0.3f},
      {Format::E5M2, 1e-5f},       {Format::F16, 0.3f},
      {Format::F16, 1e-7f},        {Format::BF16, 0.3f},
      {Format::BF16, 1e-39f}};
  const int n = 100000;
  std::vector<float> xs(n);
  std::vector<float> qs(n);
  for (auto [f, x] : cases) {
    std::fill(xs.begin(), xs.end(), x);
    std::vector<uint8_t> out(storageBytes(f, n));
    quantizeToCodes(xs.data(), n, f, 1.0f, Rounding::Stochastic,
                    0xC0FFEEull, 3, out.data(), nullptr);
    dequantizeCodes(out.data(), n, f, 1.0f, qs.data());
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    for (float v : qs) {
      sum += v;
      lo = std::min<double>(lo, v);
      hi = std::max<double>(hi, v);
    }
    double mean = sum / n;
    double gap = hi - lo;
    ASSERT_GT(gap, 0.0) << formatName(f) << " " << x;
    double p = (std::fabs(x) - std::fabs(lo < 0 ? hi : lo)) / gap;
    double sigma = gap * std::sqrt(p * (1 - p) / n);
    EXPECT_NEAR(mean, x, 5 * sigma + std::fabs(x) * 1e-6)
        << formatName(f) << " x=" << x;
  }
}

} // namespace
