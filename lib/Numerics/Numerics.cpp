//===- Numerics.cpp - Element formats, encode/decode, bulk quantize -------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// Reference implementation of SPEC-numerics.md sections 2, 3, 5 and 6. Every
// format is implemented once as a template over Format so that the bulk loops
// have no per-element dispatch; the scalar entry points instantiate the same
// code through a switch.
//
//===----------------------------------------------------------------------===//

#include "fp4/Numerics/Numerics.h"

#include "BitUtils.h"

#include <limits>

using namespace fp4::numerics;
using namespace fp4::numerics::detail;

//===----------------------------------------------------------------------===//
// Format properties
//===----------------------------------------------------------------------===//

const char *fp4::numerics::formatName(Format f) {
  switch (f) {
  case Format::Radix4Even:
    return "radix4_even";
  case Format::Radix4Odd:
    return "radix4_odd";
  case Format::Radix2FP4:
    return "radix2_fp4";
  case Format::E2M1:
    return "e2m1";
  case Format::Int4:
    return "int4";
  case Format::UInt4:
    return "uint4";
  case Format::E4M3:
    return "e4m3";
  case Format::E5M2:
    return "e5m2";
  case Format::F16:
    return "f16";
  case Format::BF16:
    return "bf16";
  }
  return "unknown";
}

std::optional<Format> fp4::numerics::parseFormat(std::string_view name) {
  for (unsigned i = 0; i < kNumFormats; ++i) {
    Format f = static_cast<Format>(i);
    if (name == formatName(f))
      return f;
  }
  return std::nullopt;
}

unsigned fp4::numerics::bitWidth(Format f) {
  switch (f) {
  case Format::E4M3:
  case Format::E5M2:
    return 8;
  case Format::F16:
  case Format::BF16:
    return 16;
  default:
    return 4;
  }
}

namespace {

/// Event of one element for the counters.
enum Event : unsigned { EvNone = 0, EvSaturated, EvFlushed, EvNonFinite };

constexpr float kRadix4EvenMag[8] = {0.0f,  0x1p-6f, 0x1p-4f, 0x1p-2f,
                                     1.0f,  4.0f,    16.0f,   64.0f};
constexpr float kRadix4OddMag[8] = {0.0f,  0x1p-7f, 0x1p-5f, 0x1p-3f,
                                    0.5f,  2.0f,    8.0f,    32.0f};
constexpr float kRadix2Mag[8] = {0.0f, 0.125f, 0.25f, 0.5f,
                                 1.0f, 2.0f,   4.0f,  8.0f};
constexpr float kE2M1Mag[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};

template <Format F> constexpr float maxMag() {
  switch (F) {
  case Format::Radix4Even:
    return 64.0f;
  case Format::Radix4Odd:
    return 32.0f;
  case Format::Radix2FP4:
    return 8.0f;
  case Format::E2M1:
    return 6.0f;
  case Format::Int4:
    return 7.0f;
  case Format::UInt4:
    return 15.0f;
  case Format::E4M3:
    return 448.0f;
  case Format::E5M2:
    return 57344.0f;
  case Format::F16:
    return 65504.0f;
  case Format::BF16:
    return 0x1.fep127f;
  }
  return 0.0f;
}

/// Positive code of the largest magnitude.
template <Format F> constexpr uint16_t maxMagCode() {
  switch (F) {
  case Format::UInt4:
    return 15;
  case Format::E4M3:
    return miniFloatMaxCode(kE4M3Spec);
  case Format::E5M2:
    return miniFloatMaxCode(kE5M2Spec);
  case Format::F16:
    return miniFloatMaxCode(kF16Spec);
  case Format::BF16:
    return miniFloatMaxCode(kBF16Spec);
  default:
    return 7;
  }
}

template <Format F> constexpr const MiniFloatSpec &miniSpec() {
  switch (F) {
  case Format::E4M3:
    return kE4M3Spec;
  case Format::E5M2:
    return kE5M2Spec;
  case Format::F16:
    return kF16Spec;
  case Format::BF16:
    return kBF16Spec;
  default:
    return kE2M1Spec;
  }
}

template <Format F> constexpr bool isMiniFloat() {
  return F == Format::E2M1 || F == Format::E4M3 || F == Format::E5M2 ||
         F == Format::F16 || F == Format::BF16;
}

/// Magnitude part of a code (sign removed; int4: two's complement magnitude).
template <Format F> inline uint16_t magnitudeOf(uint16_t code) {
  switch (F) {
  case Format::Int4:
    return (code & 8) ? static_cast<uint16_t>((16 - code) & 15) : code;
  case Format::UInt4:
    return code;
  case Format::E4M3:
  case Format::E5M2:
    return code & 0x7F;
  case Format::F16:
  case Format::BF16:
    return code & 0x7FFF;
  default:
    return code & 7;
  }
}

/// Code of magnitude code \p mag with the sign \p neg. A zero magnitude of
/// radix4/radix2 is always code 0 (0b1000 is the NaN marker).
template <Format F> inline uint16_t withSign(uint16_t mag, bool neg) {
  if (!neg)
    return mag;
  switch (F) {
  case Format::Radix4Even:
  case Format::Radix4Odd:
  case Format::Radix2FP4:
    return mag ? static_cast<uint16_t>(mag | 8) : 0;
  case Format::E2M1:
    return mag | 8;
  case Format::Int4:
    return static_cast<uint16_t>((16 - mag) & 15);
  case Format::UInt4:
    return 0;
  case Format::E4M3:
  case Format::E5M2:
    return mag | 0x80;
  case Format::F16:
  case Format::BF16:
    return mag | 0x8000;
  }
  return mag;
}

/// Value of a non-negative magnitude code (as used by stochastic rounding).
template <Format F> inline float magValue(uint16_t mag) {
  switch (F) {
  case Format::Radix4Even:
    return kRadix4EvenMag[mag];
  case Format::Radix4Odd:
    return kRadix4OddMag[mag];
  case Format::Radix2FP4:
    return kRadix2Mag[mag];
  case Format::E2M1:
    return kE2M1Mag[mag];
  case Format::Int4:
  case Format::UInt4:
    return static_cast<float>(mag);
  case Format::F16:
    return f16BitsToFloat(mag);
  case Format::BF16:
    return bf16BitsToFloat(mag);
  default:
    return static_cast<float>(miniFloatToDouble(mag, miniSpec<F>()));
  }
}

/// SPEC 2.1: even-phase radix-4 magnitude code of a finite ax >= 0 (ax may
/// also be +Inf, from the odd phase's 2x): a = fl32(1.6f * ax), e = floor(E/2)
/// from the bits of a; e < -3 -> 0, e >= 3 -> 64, else 4^e.
inline uint16_t radix4EvenMagCode(float ax) {
  float a = 1.6f * ax;
  int be = static_cast<int>(bitsOf(a) >> 23); // sign bit is 0
  if (be == 0)
    return 0; // zero or subnormal a flushes
  if (be == 255)
    return 7; // a overflowed to Inf
  int e = floorHalf(be - 127);
  if (e < -3)
    return 0;
  if (e >= 3)
    return 7;
  return static_cast<uint16_t>(e + 4);
}

/// SPEC 2.2: radix-2 magnitude code of a finite ax >= 0: nearest in the
/// linear domain, ties to the larger magnitude, < 1/16 -> 0, >= 12 -> 8.
inline uint16_t radix2MagCode(float ax) {
  if (ax < 0.0625f)
    return 0;
  if (ax < 0.125f)
    return 1;
  uint32_t b = bitsOf(ax);
  int k = static_cast<int>(b >> 23) - 127 + ((b >> 22) & 1);
  return k > 3 ? 7 : static_cast<uint16_t>(k + 4);
}

/// Round half to even of 0 <= ax < 2^23.
inline float roundHalfEven(float ax) {
  const float magic = 0x1p23f;
  float t = ax + magic;
  return t - magic;
}

/// Code of a NaN or +-Inf input (both rounding modes).
template <Format F> inline uint16_t nonFiniteCode(float x) {
  bool nan = isNaNBits(x);
  bool neg = signOf(x);
  switch (F) {
  case Format::Radix4Even:
  case Format::Radix4Odd:
  case Format::Radix2FP4:
    return nan ? 8 : withSign<F>(7, neg);
  case Format::E2M1:
    return nan ? 7 : withSign<F>(7, neg);
  case Format::Int4:
    return nan ? 0 : withSign<F>(7, neg);
  case Format::UInt4:
    return (nan || neg) ? 0 : 15;
  case Format::E4M3:
    return floatToE4M3Bits(x, true);
  case Format::E5M2:
    return floatToE5M2Bits(x, true);
  case Format::F16:
    return floatToF16Bits(x);
  default:
    return floatToBF16Bits(x);
  }
}

/// Nearest-mode code of a finite x.
template <Format F> inline uint16_t finiteNearestCode(float x) {
  float ax = absOf(x);
  bool neg = signOf(x);
  switch (F) {
  case Format::Radix4Even:
    return withSign<F>(radix4EvenMagCode(ax), neg);
  case Format::Radix4Odd:
    // Q_odd(x) = 0.5 * Q_even(2x); 2x is exact unless it overflows to Inf.
    return withSign<F>(radix4EvenMagCode(2.0f * ax), neg);
  case Format::Radix2FP4:
    return withSign<F>(radix2MagCode(ax), neg);
  case Format::Int4:
    return withSign<F>(
        ax >= 7.0f ? 7 : static_cast<uint16_t>(roundHalfEven(ax)), neg);
  case Format::UInt4:
    if (neg)
      return 0;
    return ax >= 15.0f ? 15 : static_cast<uint16_t>(roundHalfEven(ax));
  case Format::F16:
  case Format::BF16:
    return roundToMiniFloat(x, miniSpec<F>(), /*saturate=*/false);
  default: // E2M1, E4M3, E5M2: saturating.
    return roundToMiniFloat(x, miniSpec<F>(), /*saturate=*/true);
  }
}

/// Event of a finite input x whose code is \p code.
template <Format F> inline unsigned classifyFinite(float x, uint16_t code) {
  float ax = absOf(x);
  uint16_t mag = magnitudeOf<F>(code);
  if (F == Format::UInt4 && signOf(x))
    return ax != 0.0f ? EvFlushed : EvNone;
  if (F == Format::F16 || F == Format::BF16) {
    // Nearest mode: saturated means "rounded to Inf".
    if (mag == (F == Format::F16 ? 0x7C00 : 0x7F80))
      return EvSaturated;
  } else if (ax > maxMag<F>()) {
    return EvSaturated;
  }
  if (mag == 0 && ax != 0.0f)
    return EvFlushed;
  return EvNone;
}

template <Format F> inline uint16_t encodeNearestT(float x, unsigned &ev) {
  if (isNonFinite(x)) {
    ev = EvNonFinite;
    return nonFiniteCode<F>(x);
  }
  uint16_t code = finiteNearestCode<F>(x);
  ev = classifyFinite<F>(x, code);
  return code;
}

/// Magnitude code of the largest grid value <= ax, for finite 0 <= ax < max.
template <Format F> inline uint16_t truncMagCode(float ax) {
  switch (F) {
  case Format::Radix4Even:
  case Format::Radix4Odd: {
    // Even grid of ax (or of 2*ax, exact since ax < 32, for the odd phase).
    float ae = F == Format::Radix4Odd ? 2.0f * ax : ax;
    if (ae < 0x1p-6f)
      return 0;
    int e = floorHalf(static_cast<int>(bitsOf(ae) >> 23) - 127);
    return static_cast<uint16_t>(e + 4);
  }
  case Format::Radix2FP4:
    if (ax < 0.125f)
      return 0;
    return static_cast<uint16_t>(static_cast<int>(bitsOf(ax) >> 23) - 127 +
                                 4);
  case Format::Int4:
  case Format::UInt4:
    return static_cast<uint16_t>(ax); // truncation, ax < 15
  default:
    return roundToMiniFloat(ax, miniSpec<F>(), /*saturate=*/true,
                            MiniRound::TowardZero);
  }
}

template <Format F>
inline uint16_t encodeStochasticT(float x, float u, unsigned &ev) {
  if (isNonFinite(x)) {
    ev = EvNonFinite;
    return nonFiniteCode<F>(x);
  }
  float ax = absOf(x);
  bool neg = signOf(x);
  if (F == Format::UInt4 && neg) {
    ev = ax != 0.0f ? EvFlushed : EvNone;
    return 0;
  }
  uint16_t mag;
  if (ax >= maxMag<F>()) {
    mag = maxMagCode<F>();
    ev = ax > maxMag<F>() ? EvSaturated : EvNone;
  } else {
    uint16_t loCode = truncMagCode<F>(ax);
    float lo = magValue<F>(loCode);
    float hi = magValue<F>(static_cast<uint16_t>(loCode + 1));
    float num = ax - lo;
    float den = hi - lo;
    float p = num / den;
    mag = static_cast<uint16_t>(loCode + (u < p ? 1 : 0));
    ev = (mag == 0 && ax != 0.0f) ? EvFlushed : EvNone;
  }
  return withSign<F>(mag, neg);
}

template <Format F> inline float decodeT(uint16_t code) {
  switch (F) {
  case Format::Radix4Even:
  case Format::Radix4Odd:
  case Format::Radix2FP4: {
    code &= 15;
    if (code == 8)
      return std::numeric_limits<float>::quiet_NaN();
    float v = magValue<F>(code & 7);
    return (code & 8) ? -v : v;
  }
  case Format::E2M1: {
    float v = kE2M1Mag[code & 7];
    return (code & 8) ? -v : v;
  }
  case Format::Int4:
    code &= 15;
    return static_cast<float>((code & 8) ? static_cast<int>(code) - 16
                                         : static_cast<int>(code));
  case Format::UInt4:
    return static_cast<float>(code & 15);
  case Format::E4M3:
    return e4m3BitsToFloat(static_cast<uint8_t>(code));
  case Format::E5M2:
    return e5m2BitsToFloat(static_cast<uint8_t>(code));
  case Format::F16:
    return f16BitsToFloat(code);
  case Format::BF16:
    return bf16BitsToFloat(code);
  }
  return 0.0f;
}

inline void addEvent(Counters *c, unsigned ev) {
  if (!c)
    return;
  if (ev == EvSaturated)
    ++c->saturated;
  else if (ev == EvFlushed)
    ++c->flushed;
  else if (ev == EvNonFinite)
    ++c->nonfinite;
}

/// Expands BODY once per format with `F` a constexpr Format equal to the
/// runtime format \p fmt (BODY must return or break out of the switch).
#define FP4_FORMAT_SWITCH(fmt, ...)                                            \
  switch (fmt) {                                                               \
  case Format::Radix4Even: {                                                   \
    constexpr Format F = Format::Radix4Even;                                   \
    __VA_ARGS__;                                                               \
  }                                                                            \
  case Format::Radix4Odd: {                                                    \
    constexpr Format F = Format::Radix4Odd;                                    \
    __VA_ARGS__;                                                               \
  }                                                                            \
  case Format::Radix2FP4: {                                                    \
    constexpr Format F = Format::Radix2FP4;                                    \
    __VA_ARGS__;                                                               \
  }                                                                            \
  case Format::E2M1: {                                                         \
    constexpr Format F = Format::E2M1;                                         \
    __VA_ARGS__;                                                               \
  }                                                                            \
  case Format::Int4: {                                                         \
    constexpr Format F = Format::Int4;                                         \
    __VA_ARGS__;                                                               \
  }                                                                            \
  case Format::UInt4: {                                                        \
    constexpr Format F = Format::UInt4;                                        \
    __VA_ARGS__;                                                               \
  }                                                                            \
  case Format::E4M3: {                                                         \
    constexpr Format F = Format::E4M3;                                         \
    __VA_ARGS__;                                                               \
  }                                                                            \
  case Format::E5M2: {                                                         \
    constexpr Format F = Format::E5M2;                                         \
    __VA_ARGS__;                                                               \
  }                                                                            \
  case Format::F16: {                                                          \
    constexpr Format F = Format::F16;                                          \
    __VA_ARGS__;                                                               \
  }                                                                            \
  case Format::BF16: {                                                         \
    constexpr Format F = Format::BF16;                                         \
    __VA_ARGS__;                                                               \
  }                                                                            \
  }

} // namespace

float fp4::numerics::maxMagnitude(Format f) {
  FP4_FORMAT_SWITCH(f, return maxMag<F>());
  return 0.0f;
}

//===----------------------------------------------------------------------===//
// Scalar encode / decode
//===----------------------------------------------------------------------===//

uint16_t fp4::numerics::encode(float x, Format f, Counters *c) {
  unsigned ev = EvNone;
  uint16_t code = 0;
  FP4_FORMAT_SWITCH(f, code = encodeNearestT<F>(x, ev); break);
  addEvent(c, ev);
  return code;
}

uint16_t fp4::numerics::encodeStochastic(float x, Format f, float u,
                                         Counters *c) {
  unsigned ev = EvNone;
  uint16_t code = 0;
  FP4_FORMAT_SWITCH(f, code = encodeStochasticT<F>(x, u, ev); break);
  addEvent(c, ev);
  return code;
}

float fp4::numerics::decode(uint16_t code, Format f) {
  FP4_FORMAT_SWITCH(f, return decodeT<F>(code));
  return 0.0f;
}

float fp4::numerics::quantize(float x, Format f, float scale, Rounding r,
                              uint64_t seed, uint32_t stream, uint64_t index,
                              Counters *c) {
  float xs = x * scale;
  uint16_t code = r == Rounding::Stochastic
                      ? encodeStochastic(xs, f,
                                         stochasticUniform(seed, stream, index),
                                         c)
                      : encode(xs, f, c);
  float q = decode(code, f);
  return q / scale;
}

//===----------------------------------------------------------------------===//
// Bulk quantize / dequantize
//===----------------------------------------------------------------------===//

size_t fp4::numerics::storageBytes(Format f, size_t n) {
  switch (bitWidth(f)) {
  case 4:
    return (n + 1) / 2;
  case 8:
    return n;
  default:
    return 2 * n;
  }
}

namespace {

/// Stores code \p code of element \p i.
template <Format F>
inline void storeCode(uint8_t *out, size_t i, uint16_t code) {
  constexpr unsigned width = (F == Format::E4M3 || F == Format::E5M2) ? 8
                             : (F == Format::F16 || F == Format::BF16) ? 16
                                                                       : 4;
  if (width == 4) {
    if (i & 1)
      out[i >> 1] = static_cast<uint8_t>(out[i >> 1] | (code << 4));
    else
      out[i >> 1] = static_cast<uint8_t>(code & 15);
  } else if (width == 8) {
    out[i] = static_cast<uint8_t>(code);
  } else {
    out[2 * i] = static_cast<uint8_t>(code & 0xFF);
    out[2 * i + 1] = static_cast<uint8_t>(code >> 8);
  }
}

template <Format F, bool Stochastic>
void quantizeLoop(const float *x, size_t n, float scale, uint64_t seed,
                  uint32_t stream, uint8_t *out, Counters *c) {
  uint64_t events[4] = {0, 0, 0, 0};
  std::array<uint32_t, 4> block{};
  const std::array<uint32_t, 2> key{static_cast<uint32_t>(seed),
                                    static_cast<uint32_t>(seed >> 32)};
  for (size_t i = 0; i < n; ++i) {
    float xs = x[i] * scale;
    unsigned ev;
    uint16_t code;
    if constexpr (Stochastic) {
      uint64_t g = static_cast<uint64_t>(i) >> 2;
      if ((i & 3) == 0 || i == 0)
        block = philox4x32_10({static_cast<uint32_t>(g),
                               static_cast<uint32_t>(g >> 32), stream, 0},
                              key);
      float u = static_cast<float>(block[i & 3] >> 8) * 0x1p-24f;
      code = encodeStochasticT<F>(xs, u, ev);
    } else {
      code = encodeNearestT<F>(xs, ev);
    }
    ++events[ev];
    storeCode<F>(out, i, code);
  }
  if (c) {
    c->saturated += events[EvSaturated];
    c->flushed += events[EvFlushed];
    c->nonfinite += events[EvNonFinite];
  }
}

} // namespace

void fp4::numerics::quantizeToCodes(const float *x, size_t n, Format f,
                                    float scale, Rounding r, uint64_t seed,
                                    uint32_t stream, uint8_t *out,
                                    Counters *c) {
  if (r == Rounding::Stochastic) {
    FP4_FORMAT_SWITCH(
        f, quantizeLoop<F, true>(x, n, scale, seed, stream, out, c); return);
  } else {
    FP4_FORMAT_SWITCH(
        f, quantizeLoop<F, false>(x, n, scale, seed, stream, out, c); return);
  }
}

void fp4::numerics::dequantizeCodes(const uint8_t *codes, size_t n, Format f,
                                    float scale, float *out) {
  switch (bitWidth(f)) {
  case 4: {
    float table[16];
    for (unsigned k = 0; k < 16; ++k)
      table[k] = decode(static_cast<uint16_t>(k), f);
    for (size_t i = 0; i < n; ++i) {
      unsigned code = (codes[i >> 1] >> ((i & 1) * 4)) & 15;
      out[i] = table[code] / scale;
    }
    return;
  }
  case 8: {
    float table[256];
    for (unsigned k = 0; k < 256; ++k)
      table[k] = decode(static_cast<uint16_t>(k), f);
    for (size_t i = 0; i < n; ++i)
      out[i] = table[codes[i]] / scale;
    return;
  }
  default:
    if (f == Format::BF16) {
      for (size_t i = 0; i < n; ++i)
        out[i] = bf16BitsToFloat(static_cast<uint16_t>(
                     codes[2 * i] | (codes[2 * i + 1] << 8))) /
                 scale;
    } else {
      for (size_t i = 0; i < n; ++i)
        out[i] = f16BitsToFloat(static_cast<uint16_t>(
                     codes[2 * i] | (codes[2 * i + 1] << 8))) /
                 scale;
    }
    return;
  }
}

void fp4::numerics::packNibbles(const uint8_t *codes, size_t n, uint8_t *out) {
  for (size_t i = 0; i + 1 < n; i += 2)
    out[i >> 1] = static_cast<uint8_t>((codes[i] & 15) | (codes[i + 1] << 4));
  if (n & 1)
    out[n >> 1] = static_cast<uint8_t>(codes[n - 1] & 15);
}

void fp4::numerics::unpackNibbles(const uint8_t *packed, size_t n,
                                  uint8_t *codes) {
  for (size_t i = 0; i < n; ++i)
    codes[i] = static_cast<uint8_t>((packed[i >> 1] >> ((i & 1) * 4)) & 15);
}
