//===- Scaling.cpp - GradScale, SAWB and PACT scaling rules ---------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// SPEC-numerics.md section 4.1 - 4.3. Power-of-two arithmetic is done on the
// exponent bits: no log2/frexp rounding questions.
//
//===----------------------------------------------------------------------===//

#include "fp4/Numerics/Numerics.h"

#include "BitUtils.h"

#include <cmath>
#include <limits>

using namespace fp4::numerics;
using namespace fp4::numerics::detail;

namespace {

/// Splits a finite x > 0 into a normalized 24-bit significand (bit 23 set)
/// and an exponent: x = sig * 2^(exp - 23).
void splitFloat(float x, uint32_t &sig, int &exp) {
  uint32_t b = bitsOf(x) & 0x7FFFFFFFu;
  int be = static_cast<int>(b >> 23);
  sig = b & 0x7FFFFFu;
  if (be == 0) {
    // Subnormal: normalize.
    exp = -126;
    while (!(sig & 0x800000u)) {
      sig <<= 1;
      --exp;
    }
  } else {
    sig |= 0x800000u;
    exp = be - 127;
  }
}

/// s * 2^k for a finite s > 0, exact; the exponent is clamped so that the
/// result stays a normal finite f32 (2^-126 <= |result| < 2^128). Other s
/// (0, negative, subnormal, non-finite) are returned unchanged.
float mulPow2Clamped(float s, int k) {
  uint32_t b = bitsOf(s);
  int be = static_cast<int>((b >> 23) & 0xFF);
  if ((b >> 31) || be == 0 || be == 255)
    return s;
  long nbe = static_cast<long>(be) + k;
  if (nbe < 1)
    nbe = 1;
  if (nbe > 254)
    nbe = 254;
  return floatOf((b & 0x807FFFFFu) | (static_cast<uint32_t>(nbe) << 23));
}

} // namespace

//===----------------------------------------------------------------------===//
// GradScale (SPEC 4.1)
//===----------------------------------------------------------------------===//

float fp4::numerics::gradscaleMax(Format f) {
  if (f == Format::Radix4Even || f == Format::Radix4Odd)
    return 64.0f;
  return maxMagnitude(f);
}

int fp4::numerics::gradscaleSignal(float m, float maxMag) {
  m = absOf(m);
  if (isNonFinite(m) || m > maxMag)
    return -1;
  if (m == 0.0f)
    return 0;
  if (m <= maxMag * 0.5f)
    return +1;
  return 0;
}

float fp4::numerics::gradscaleApply(float s, int signalSum) {
  if (signalSum > 0)
    return mulPow2Clamped(s, 1);
  if (signalSum < 0)
    return mulPow2Clamped(s, -1);
  return s;
}

float fp4::numerics::gradscaleFromMax(float s, float m, float maxMag) {
  m = absOf(m);
  if (isNonFinite(m) || m == 0.0f || isNonFinite(maxMag) || !(maxMag > 0.0f))
    return s;
  // m = sm * 2^(em-23), MAX = sx * 2^(ex-23). m * 2^k <= MAX iff
  // sm * 2^(em + k) <= sx * 2^ex iff k <= ex - em - (sm > sx).
  uint32_t sm, sx;
  int em, ex;
  splitFloat(m, sm, em);
  splitFloat(maxMag, sx, ex);
  int k = ex - em - (sm > sx ? 1 : 0);
  return mulPow2Clamped(s, k);
}

float fp4::numerics::gradscaleNext(float s, float m, Format f,
                                   GradScaleMode mode, bool firstStep) {
  float maxMag = gradscaleMax(f);
  m = absOf(m);
  if (isNonFinite(m))
    return mulPow2Clamped(s, -1);
  if (m == 0.0f)
    return s;
  if (mode == GradScaleMode::Current || firstStep)
    return gradscaleFromMax(s, m, maxMag);
  return gradscaleApply(s, gradscaleSignal(m, maxMag));
}

//===----------------------------------------------------------------------===//
// SAWB (SPEC 4.2) and PACT (SPEC 4.3)
//===----------------------------------------------------------------------===//

double fp4::numerics::sawbAlpha(const float *w, size_t n) {
  if (n == 0)
    return 0.0;
  double sumAbs = 0.0, sumSq = 0.0;
  float maxAbs = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    float a = absOf(w[i]);
    if (isNonFinite(a))
      return 0.0;
    double d = a;
    sumAbs += d;
    sumSq += d * d; // exact product, one rounding per add
    if (a > maxAbs)
      maxAbs = a;
  }
  if (maxAbs == 0.0f)
    return 0.0;
  double dn = static_cast<double>(n);
  double meanAbs = sumAbs / dn;
  double meanSq = sumSq / dn;
  double t1 = 12.1 * std::sqrt(meanSq);
  double t2 = 12.2 * meanAbs;
  double alpha = t1 - t2;
  if (!(alpha > 0.0) || alpha > static_cast<double>(maxAbs))
    alpha = maxAbs;
  return alpha;
}

float fp4::numerics::sawbScale(const float *w, size_t n) {
  double alpha = sawbAlpha(w, n);
  if (alpha == 0.0)
    return 1.0f;
  return static_cast<float>(7.0 / alpha);
}

float fp4::numerics::pactScale(float alpha) { return 15.0f / alpha; }

float fp4::numerics::amaxScale(const float *x, size_t n, Format f) {
  float m = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    float a = absOf(x[i]);
    if (isNonFinite(a))
      return 1.0f;
    if (a > m)
      m = a;
  }
  if (m == 0.0f)
    return 1.0f;
  float s = maxMagnitude(f) / m;
  return isNonFinite(s) ? std::numeric_limits<float>::max() : s;
}
