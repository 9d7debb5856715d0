//===- ScalingTest.cpp - GradScale, SAWB and PACT -------------------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "Oracle.h"

#include "gtest/gtest.h"

#include <limits>
#include <random>

using namespace fp4::numerics;
using namespace fp4::test;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

//===----------------------------------------------------------------------===//
// GradScale
//===----------------------------------------------------------------------===//

TEST(GradScale, MaxPerFormat) {
  EXPECT_EQ(gradscaleMax(Format::Radix4Even), 64.0f);
  EXPECT_EQ(gradscaleMax(Format::Radix4Odd), 64.0f);
  EXPECT_EQ(gradscaleMax(Format::Radix2FP4), 8.0f);
  EXPECT_EQ(gradscaleMax(Format::E2M1), 6.0f);
  EXPECT_EQ(gradscaleMax(Format::E5M2), 57344.0f);
  EXPECT_EQ(gradscaleMax(Format::E4M3), 448.0f);
}

TEST(GradScale, Signal) {
  EXPECT_EQ(gradscaleSignal(64.5f, 64), -1);
  EXPECT_EQ(gradscaleSignal(std::nextafter(64.0f, INFINITY), 64), -1);
  EXPECT_EQ(gradscaleSignal(64.0f, 64), 0);
  EXPECT_EQ(gradscaleSignal(32.5f, 64), 0);
  EXPECT_EQ(gradscaleSignal(std::nextafter(32.0f, INFINITY), 64), 0);
  EXPECT_EQ(gradscaleSignal(32.0f, 64), +1);
  EXPECT_EQ(gradscaleSignal(1e-30f, 64), +1);
  EXPECT_EQ(gradscaleSignal(0.0f, 64), 0);
  EXPECT_EQ(gradscaleSignal(kNaN, 64), -1);
  EXPECT_EQ(gradscaleSignal(INFINITY, 64), -1);
}

TEST(GradScale, DelayedRule) {
  const Format f = Format::Radix4Even; // MAX = 64
  auto next = [&](float s, float m) {
    return gradscaleNext(s, m, f, GradScaleMode::Delayed, false);
  };
  EXPECT_EQ(next(8.0f, 65.0f), 4.0f);   // overflow halves
  EXPECT_EQ(next(8.0f, 64.0f), 8.0f);   // at MAX keeps
  EXPECT_EQ(next(8.0f, 40.0f), 8.0f);   // in between keeps
  EXPECT_EQ(next(8.0f, 32.0f), 16.0f);  // <= MAX/2 doubles
  EXPECT_EQ(next(8.0f, 0.001f), 16.0f); // one step at a time
  EXPECT_EQ(next(8.0f, 0.0f), 8.0f);    // zero keeps
  EXPECT_EQ(next(8.0f, kNaN), 4.0f);    // NaN halves
  EXPECT_EQ(next(8.0f, INFINITY), 4.0f);
  EXPECT_EQ(next(8.0f, -INFINITY), 4.0f);
  // e5m2
  EXPECT_EQ(gradscaleNext(1.0f, 57345.0f, Format::E5M2, GradScaleMode::Delayed,
                          false),
            0.5f);
  EXPECT_EQ(gradscaleNext(1.0f, 28672.0f, Format::E5M2, GradScaleMode::Delayed,
                          false),
            2.0f);
  // Clamped to the normal f32 range.
  EXPECT_EQ(next(0x1p127f, 1.0f), 0x1p127f);
  EXPECT_EQ(next(0x1p-126f, 100.0f), 0x1p-126f);
}

TEST(GradScale, SeveralWorkers) {
  auto combine = [](float s, std::initializer_list<float> ms) {
    int sum = 0;
    for (float m : ms)
      sum += gradscaleSignal(m, 6.0f);
    return gradscaleApply(s, sum);
  };
  EXPECT_EQ(combine(4.0f, {1.0f, 2.0f, 7.0f}), 8.0f); // +1 +1 -1
  EXPECT_EQ(combine(4.0f, {1.0f, 7.0f}), 4.0f);       // +1 -1
  EXPECT_EQ(combine(4.0f, {4.0f, 5.0f, 7.0f}), 2.0f); // 0 0 -1
  EXPECT_EQ(combine(4.0f, {4.0f, 0.0f}), 4.0f);
  EXPECT_EQ(combine(4.0f, {kNaN, 1.0f, 1.0f}), 8.0f); // -1 +1 +1
}

/// Brute force: the largest k with m * 2^k <= MAX, in exact double arithmetic.
int bruteK(float m, float mx) {
  int k = 0;
  double dm = m;
  while (std::ldexp(dm, k) > mx)
    --k;
  while (std::ldexp(dm, k + 1) <= mx)
    ++k;
  return k;
}

TEST(GradScale, CurrentModeExactPowersOfTwo) {
  EXPECT_EQ(gradscaleNext(1.0f, 3.0f, Format::Radix4Even,
                          GradScaleMode::Current, false),
            16.0f); // 3 * 16 = 48 <= 64 < 96
  EXPECT_EQ(gradscaleNext(1.0f, 64.0f, Format::Radix4Even,
                          GradScaleMode::Current, false),
            1.0f);
  EXPECT_EQ(gradscaleNext(1.0f, std::nextafter(64.0f, INFINITY),
                          Format::Radix4Even, GradScaleMode::Current, false),
            0.5f);
  EXPECT_EQ(gradscaleNext(1.0f, 1.75f, Format::E5M2, GradScaleMode::Current,
                          false),
            0x1p15f); // 57344 = 1.75 * 2^15
  EXPECT_EQ(gradscaleNext(1.0f, std::nextafter(1.75f, INFINITY), Format::E5M2,
                          GradScaleMode::Current, false),
            0x1p14f);
  EXPECT_EQ(gradscaleNext(1.0f, 1.5f, Format::E2M1, GradScaleMode::Current,
                          false),
            4.0f);
  // Delayed first step uses the same formula.
  EXPECT_EQ(gradscaleNext(1.0f, 3.0f, Format::Radix4Even,
                          GradScaleMode::Delayed, true),
            16.0f);
  // m is max|g*s| with s in force: the result does not depend on s.
  EXPECT_EQ(gradscaleNext(0.25f, 0.75f, Format::Radix4Even,
                          GradScaleMode::Current, false),
            16.0f);
  // Zero keeps, NaN halves.
  EXPECT_EQ(gradscaleNext(2.0f, 0.0f, Format::E4M3, GradScaleMode::Current,
                          false),
            2.0f);
  EXPECT_EQ(gradscaleNext(2.0f, kNaN, Format::E4M3, GradScaleMode::Current,
                          true),
            1.0f);
  // Random m (normal and subnormal) against brute force.
  std::mt19937 rng(3);
  for (int i = 0; i < 20000; ++i) {
    float m = bitsf(rng() & 0x7FFFFFFFu);
    if (!std::isfinite(m) || m == 0.0f)
      continue;
    for (Format f : {Format::Radix4Even, Format::E5M2, Format::E4M3,
                     Format::E2M1, Format::Radix2FP4}) {
      float mx = gradscaleMax(f);
      int k = bruteK(m, mx);
      float want = std::ldexp(1.0f, std::clamp(k, -126, 127));
      float got = gradscaleNext(1.0f, m, f, GradScaleMode::Current, false);
      ASSERT_EQ(got, want) << show(m) << " " << formatName(f);
      if (k >= -126 && k <= 127)
        ASSERT_LE(static_cast<double>(m) * got, mx);
    }
  }
}

//===----------------------------------------------------------------------===//
// SAWB and PACT
//===----------------------------------------------------------------------===//

TEST(SAWB, ClipRule) {
  // alpha = 12.1 * 1 - 12.2 * 1 < 0 -> max|w| = 1 -> scale 7.
  const float w1[] = {1, -1, 1, -1};
  EXPECT_EQ(sawbAlpha(w1, 4), 1.0);
  EXPECT_EQ(sawbScale(w1, 4), 7.0f);
  // One outlier: alpha = 12.1 * sqrt(10) - 12.2 = 26.06... > max 10 -> 10.
  float w2[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, -10};
  EXPECT_EQ(sawbAlpha(w2, 10), 10.0);
  EXPECT_EQ(sawbScale(w2, 10), 0.7f);
  // 1..100: alpha = 12.1 * sqrt(3383.5) - 12.2 * 50.5 = 87.73... in range.
  std::vector<float> w3(100);
  for (int i = 0; i < 100; ++i)
    w3[i] = static_cast<float>(i % 2 ? -(i + 1) : (i + 1));
  double alpha = 12.1 * std::sqrt(3383.5) - 12.2 * 50.5;
  EXPECT_GT(alpha, 87.7);
  EXPECT_LT(alpha, 87.8);
  EXPECT_EQ(sawbAlpha(w3.data(), 100), alpha);
  EXPECT_EQ(sawbScale(w3.data(), 100), static_cast<float>(7.0 / alpha));
  // Degenerate inputs.
  const float zeros[] = {0, -0.0f, 0};
  EXPECT_EQ(sawbScale(zeros, 3), 1.0f);
  EXPECT_EQ(sawbScale(zeros, 0), 1.0f);
  const float bad[] = {1, kNaN};
  EXPECT_EQ(sawbScale(bad, 2), 1.0f);
  const float inf[] = {1, INFINITY};
  EXPECT_EQ(sawbScale(inf, 2), 1.0f);
}

TEST(SAWB, GaussianWeightsMatchFormula) {
  std::mt19937 rng(11);
  std::normal_distribution<float> d(0.0f, 0.02f);
  std::vector<float> w(4096);
  for (auto &x : w)
    x = d(rng);
  double s1 = 0, s2 = 0, mx = 0;
  for (float x : w) {
    s1 += std::fabs(static_cast<double>(x));
    s2 += static_cast<double>(x) * x;
    mx = std::max(mx, std::fabs(static_cast<double>(x)));
  }
  double alpha = 12.1 * std::sqrt(s2 / 4096) - 12.2 * (s1 / 4096);
  ASSERT_GT(alpha, 0.0);
  ASSERT_LE(alpha, mx);
  EXPECT_EQ(sawbScale(w.data(), w.size()), static_cast<float>(7.0 / alpha));
}

TEST(PACT, Scale) {
  EXPECT_EQ(pactScale(10.0f), 1.5f);
  EXPECT_EQ(pactScale(3.0f), 5.0f);
  volatile float a = 7.3f;
  EXPECT_EQ(pactScale(7.3f), 15.0f / a);
  // uint4 with the PACT scale: alpha maps to 15.
  EXPECT_EQ(quantize(10.0f, Format::UInt4, pactScale(10.0f)), 10.0f);
  EXPECT_EQ(quantize(12.0f, Format::UInt4, pactScale(10.0f)), 10.0f);
}

} // namespace

TEST(AmaxScale, Rule) {
  const float w[] = {0.5f, -3.5f, 2.0f};
  EXPECT_EQ(amaxScale(w, 3, Format::Int4), 2.0f);          // 7 / 3.5
  EXPECT_EQ(amaxScale(w, 3, Format::UInt4), 15.0f / 3.5f); // one division
  const float zeros[] = {0.0f, -0.0f};
  EXPECT_EQ(amaxScale(zeros, 2, Format::E4M3), 1.0f);
  EXPECT_EQ(amaxScale(w, 0, Format::E4M3), 1.0f);
  const float bad[] = {1.0f, std::numeric_limits<float>::quiet_NaN()};
  EXPECT_EQ(amaxScale(bad, 2, Format::E2M1), 1.0f);
  const float inf[] = {-std::numeric_limits<float>::infinity()};
  EXPECT_EQ(amaxScale(inf, 1, Format::E2M1), 1.0f);
  // bf16's max over a tiny maximum overflows f32: clamped, never Inf.
  const float tiny[] = {0.5f};
  EXPECT_EQ(amaxScale(tiny, 1, Format::BF16), std::numeric_limits<float>::max());
}
