//===- Oracle.h - Independent reference implementations for the tests ----===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// Oracles the FP4Numerics library is checked against. They are written
// independently of the library:
// - e2m1/e4m3/e5m2/f16/bf16: llvm::APFloat conversions (round to nearest
//   even), with the project's saturation/NaN rules applied on top;
// - radix4/radix2/int4/uint4: straight from the SPEC text, in double, by
//   enumerating the grid.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_UNITTESTS_NUMERICS_ORACLE_H
#define FP4_UNITTESTS_NUMERICS_ORACLE_H

#include "fp4/Numerics/Numerics.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/APInt.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace fp4::test {

using numerics::Format;

inline constexpr Format kAllFormats[] = {
    Format::Radix4Even, Format::Radix4Odd, Format::Radix2FP4, Format::E2M1,
    Format::Int4,       Format::UInt4,     Format::E4M3,      Format::E5M2,
    Format::F16,        Format::BF16};

inline uint32_t fbits(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  return b;
}
inline float bitsf(uint32_t b) {
  float x;
  std::memcpy(&x, &b, 4);
  return x;
}

/// "%a (0x%08x)" of a float, for failure messages.
inline std::string show(float x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a (0x%08x)", static_cast<double>(x),
                fbits(x));
  return buf;
}

/// Bit equality of floats, any NaN equal to any NaN.
inline bool sameFloat(float a, float b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b);
  return fbits(a) == fbits(b);
}

inline bool isMiniFloat(Format f) {
  return f == Format::E2M1 || f == Format::E4M3 || f == Format::E5M2 ||
         f == Format::F16 || f == Format::BF16;
}

inline const llvm::fltSemantics &apSemantics(Format f) {
  switch (f) {
  case Format::E2M1:
    return llvm::APFloat::Float4E2M1FN();
  case Format::E4M3:
    return llvm::APFloat::Float8E4M3FN();
  case Format::E5M2:
    return llvm::APFloat::Float8E5M2();
  case Format::F16:
    return llvm::APFloat::IEEEhalf();
  case Format::BF16:
    return llvm::APFloat::BFloat();
  default:
    return llvm::APFloat::IEEEsingle();
  }
}

inline unsigned apBits(Format f) { return numerics::bitWidth(f); }

inline constexpr unsigned kNumFormatsForCache = numerics::kNumFormats;

/// APFloat value of a code of a minifloat format, as f32 (exact).
inline float apDecode(uint16_t code, Format f) {
  llvm::APFloat a(apSemantics(f), llvm::APInt(apBits(f), code));
  bool loses;
  a.convert(llvm::APFloat::IEEEsingle(), llvm::RoundingMode::NearestTiesToEven,
            &loses);
  return a.convertToFloat();
}

/// apDecode through a per-format table (built once).
inline float apDecodeCached(uint16_t code, Format f) {
  static std::vector<float> tables[kNumFormatsForCache];
  std::vector<float> &t = tables[static_cast<unsigned>(f)];
  if (t.empty()) {
    unsigned n = 1u << apBits(f);
    t.resize(n);
    for (unsigned c = 0; c < n; ++c)
      t[c] = apDecode(static_cast<uint16_t>(c), f);
  }
  return t[code];
}

/// Largest finite value of a minifloat format according to APFloat.
inline float apLargest(Format f) {
  static float cache[kNumFormatsForCache] = {};
  float &v = cache[static_cast<unsigned>(f)];
  if (v == 0.0f) {
    llvm::APFloat a = llvm::APFloat::getLargest(apSemantics(f));
    bool loses;
    a.convert(llvm::APFloat::IEEEsingle(),
              llvm::RoundingMode::NearestTiesToEven, &loses);
    v = a.convertToFloat();
  }
  return v;
}

/// APFloat conversion of x to a minifloat format with rounding mode rm.
inline uint16_t apConvert(float x, Format f, llvm::RoundingMode rm) {
  llvm::APFloat a(x);
  bool loses;
  a.convert(apSemantics(f), rm, &loses);
  return static_cast<uint16_t>(a.bitcastToAPInt().getZExtValue());
}
inline uint16_t apConvert(double x, Format f, llvm::RoundingMode rm) {
  llvm::APFloat a(x);
  bool loses;
  a.convert(apSemantics(f), rm, &loses);
  return static_cast<uint16_t>(a.bitcastToAPInt().getZExtValue());
}

/// Expected nearest-mode code of x for a minifloat format: APFloat round to
/// nearest even, plus the project's rules: e2m1/e4m3/e5m2 saturate (|x| >
/// max and +-Inf -> +-max), e2m1 NaN -> 0b0111, e4m3/e5m2 NaN -> sign | 0x7F,
/// f16/bf16 NaN -> APFloat's conversion (quiet, payload truncated).
inline uint16_t apEncodeNearest(float x, Format f) {
  bool saturating = f == Format::E2M1 || f == Format::E4M3 || f == Format::E5M2;
  if (std::isnan(x)) {
    if (f == Format::E2M1)
      return 0x7;
    if (f == Format::E4M3 || f == Format::E5M2)
      return static_cast<uint16_t>((std::signbit(x) ? 0x80 : 0) | 0x7F);
  }
  if (saturating && !std::isnan(x)) {
    float mx = apLargest(f);
    if (!(std::fabs(x) <= mx))
      x = std::copysign(mx, x);
  }
  return apConvert(x, f, llvm::RoundingMode::NearestTiesToEven);
}

//===----------------------------------------------------------------------===//
// SPEC-text references for the non-IEEE-like formats
//===----------------------------------------------------------------------===//

/// Nearest grid value by distance; ties resolved by `tieUp` (larger
/// magnitude) or to the value with even grid index.
inline double nearestOnGrid(double ax, const std::vector<double> &grid,
                            bool tieUp) {
  if (ax >= grid.back())
    return grid.back(); // saturate (distances would round for huge ax)
  double best = grid[0];
  size_t bestIdx = 0;
  for (size_t i = 1; i < grid.size(); ++i) {
    double d = std::fabs(ax - grid[i]), db = std::fabs(ax - best);
    if (d < db || (d == db && (tieUp || (i % 2 == 0 && bestIdx % 2 == 1)))) {
      best = grid[i];
      bestIdx = i;
    }
  }
  return best;
}

/// SPEC 2.1 even phase of a finite or infinite x >= 0 written with the
/// thresholds: a = fl32(1.6f * x) (the double product is exact, so the cast is
/// the one f32 rounding); result is the largest 4^k <= a, k in -3..3, or 0.
inline double refRadix4EvenMag(double ax) {
  double prod = static_cast<double>(1.6f) * ax;
  if (prod >= 64.0)
    return 64.0;
  double a = static_cast<float>(prod);
  double r = 0.0;
  for (int k = -3; k <= 3; ++k)
    if (a >= std::pow(4.0, k))
      r = std::pow(4.0, k);
  return r;
}

/// Reference value (format units) of nearest-mode quantization for the
/// non-minifloat formats. NaN means "the NaN marker".
inline double refNearestValue(float x, Format f) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  double ax = std::fabs(static_cast<double>(x));
  bool neg = std::signbit(x);
  double mag = 0.0;
  switch (f) {
  case Format::Radix4Even:
    if (std::isnan(x))
      return nan;
    mag = refRadix4EvenMag(ax);
    break;
  case Format::Radix4Odd: {
    if (std::isnan(x))
      return nan;
    double two = 2.0 * ax; // exact; Inf if it leaves the f32 range
    if (two > static_cast<double>(std::numeric_limits<float>::max()))
      two = std::numeric_limits<double>::infinity();
    mag = 0.5 * refRadix4EvenMag(two);
    break;
  }
  case Format::Radix2FP4: {
    if (std::isnan(x))
      return nan;
    std::vector<double> g = {0, 0.125, 0.25, 0.5, 1, 2, 4, 8};
    mag = std::isinf(ax) ? 8.0 : nearestOnGrid(ax, g, /*tieUp=*/true);
    break;
  }
  case Format::Int4: {
    if (std::isnan(x))
      return 0.0;
    std::vector<double> g = {0, 1, 2, 3, 4, 5, 6, 7};
    mag = std::isinf(ax) ? 7.0 : nearestOnGrid(ax, g, /*tieUp=*/false);
    break;
  }
  case Format::UInt4: {
    if (std::isnan(x) || neg)
      return 0.0;
    std::vector<double> g;
    for (int i = 0; i <= 15; ++i)
      g.push_back(i);
    return std::isinf(ax) ? 15.0 : nearestOnGrid(ax, g, /*tieUp=*/false);
  }
  case Format::E2M1: {
    if (std::isnan(x))
      return 6.0;
    std::vector<double> g = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
    mag = std::isinf(ax) ? 6.0 : nearestOnGrid(ax, g, /*tieUp=*/false);
    return neg ? -mag : mag; // e2m1 keeps -0
  }
  default:
    return nan;
  }
  if (mag == 0.0)
    return 0.0; // radix/int zero is +0
  return neg ? -mag : mag;
}

/// Sorted non-negative finite grid magnitudes of a format (0 first), built
/// from the SPEC lists or from APFloat decoding.
inline std::vector<float> gridMagnitudes(Format f) {
  std::vector<float> g;
  switch (f) {
  case Format::Radix4Even:
  case Format::Radix4Odd:
    g.push_back(0.0f);
    for (int k = -3; k <= 3; ++k)
      g.push_back(static_cast<float>(std::pow(4.0, k) *
                                     (f == Format::Radix4Odd ? 0.5 : 1.0)));
    return g;
  case Format::Radix2FP4:
    g.push_back(0.0f);
    for (int k = -3; k <= 3; ++k)
      g.push_back(static_cast<float>(std::ldexp(1.0, k)));
    return g;
  case Format::Int4:
  case Format::UInt4:
    for (int i = 0; i <= (f == Format::Int4 ? 7 : 15); ++i)
      g.push_back(static_cast<float>(i));
    return g;
  default: {
    unsigned n = 1u << (apBits(f) - 1);
    for (unsigned c = 0; c < n; ++c) {
      float v = apDecode(static_cast<uint16_t>(c), f);
      if (std::isfinite(v))
        g.push_back(v);
    }
    std::sort(g.begin(), g.end());
    g.erase(std::unique(g.begin(), g.end()), g.end());
    return g;
  }
  }
}

/// Reference stochastic rounding value of x with uniform u (SPEC 5), using the
/// grid list: lo <= |x| < hi adjacent, p = fl32(fl32(|x|-lo)/fl32(hi-lo)),
/// up iff u < p, |x| >= max -> max. Non-finite x: the nearest-mode value.
inline float refStochasticValue(float x, Format f, float u,
                                const std::vector<float> &grid) {
  if (!std::isfinite(x)) {
    if (isMiniFloat(f))
      return apDecodeCached(apEncodeNearest(x, f), f);
    return static_cast<float>(refNearestValue(x, f));
  }
  float ax = std::fabs(x);
  bool neg = std::signbit(x);
  if (f == Format::UInt4 && neg)
    return 0.0f;
  float r;
  if (ax >= grid.back()) {
    r = grid.back();
  } else {
    auto it = std::upper_bound(grid.begin(), grid.end(), ax);
    float hi = *it, lo = *(it - 1);
    volatile float num = ax - lo;
    volatile float den = hi - lo;
    volatile float p = num / den;
    r = u < p ? hi : lo;
  }
  if (r == 0.0f)
    return isMiniFloat(f) ? std::copysign(0.0f, x) : 0.0f;
  return neg ? -r : r;
}

} // namespace fp4::test

#endif // FP4_UNITTESTS_NUMERICS_ORACLE_H
