//===- BitUtils.h - Bit-level helpers for the numerics library --*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Numerics.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_LIB_NUMERICS_BITUTILS_H
#define FP4_LIB_NUMERICS_BITUTILS_H

#include <cstdint>
#include <cstring>

namespace fp4::numerics::detail {

inline uint32_t bitsOf(float x) {
  uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

inline uint64_t bitsOf(double x) {
  uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

inline float floatOf(uint32_t b) {
  float x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

inline double doubleOf(uint64_t b) {
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

/// 2^k as a double, for -1022 <= k <= 1023 (exact).
inline double pow2d(int k) {
  return doubleOf(static_cast<uint64_t>(k + 1023) << 52);
}

/// 2^k as a float, for -126 <= k <= 127 (exact).
inline float pow2f(int k) {
  return floatOf(static_cast<uint32_t>(k + 127) << 23);
}

/// True if x is NaN or +-Inf (bit test, independent of fast-math flags).
inline bool isNonFinite(float x) {
  return (bitsOf(x) & 0x7F800000u) == 0x7F800000u;
}

/// True if x is NaN (bit test).
inline bool isNaNBits(float x) {
  return (bitsOf(x) & 0x7FFFFFFFu) > 0x7F800000u;
}

/// |x| as a float (clears the sign bit).
inline float absOf(float x) { return floatOf(bitsOf(x) & 0x7FFFFFFFu); }

/// Sign bit of x.
inline bool signOf(float x) { return (bitsOf(x) >> 31) != 0; }

/// floor(a / 2) for any int (rounds toward -inf).
inline int floorHalf(int a) { return (a + 1024) / 2 - 512; }

} // namespace fp4::numerics::detail

#endif // FP4_LIB_NUMERICS_BITUTILS_H
