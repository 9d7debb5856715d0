//===- FormatCodec.cpp - Emit IR that encodes/decodes SPEC formats --------===//
//
// Part of the fp4 project.
//
// Every rounding here is integer arithmetic on the f32 bits (or an exact f32
// operation), written to match SPEC-numerics and the numerics library
// (lib/Numerics) bit for bit. Nothing relies on arith.truncf to small float
// types, whose LLVM 22 expansions are wrong for f4E2M1 and f8E8M0.
//
//===----------------------------------------------------------------------===//

#include "fp4/Conversion/FormatCodec.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <cmath>

using namespace mlir;
using mlir::fp4::ElementKind;
using mlir::fp4::FormatAttr;
using mlir::fp4::Phase;

namespace fp4 {

namespace {
/// Parameters of the small IEEE-like formats (SPEC 2.3, 2.5, 2.6).
struct MiniSpec {
  unsigned manBits;
  int bias;
  unsigned width;    // bits of the code: 4, 8 or 16
  uint32_t maxCode;  // largest finite magnitude code
  enum { None, NanOnly, IEEE } nonFinite;
  bool saturate;     // overflow -> max (else IEEE Inf)
  bool canonicalNaN; // NaN -> sign|all ones (else IEEE quiet NaN + payload)
};

std::optional<MiniSpec> miniSpec(ElementKind kind) {
  switch (kind) {
  case ElementKind::e2m1:
    return MiniSpec{1, 1, 4, 0x7, MiniSpec::None, true, false};
  case ElementKind::e4m3:
    return MiniSpec{3, 7, 8, 0x7E, MiniSpec::NanOnly, true, true};
  case ElementKind::e5m2:
    return MiniSpec{2, 15, 8, 0x7B, MiniSpec::IEEE, true, true};
  case ElementKind::f16:
    return MiniSpec{10, 15, 16, 0x7BFF, MiniSpec::IEEE, false, false};
  case ElementKind::bf16:
    return MiniSpec{7, 127, 16, 0x7F7F, MiniSpec::IEEE, false, false};
  default:
    return std::nullopt;
  }
}

/// Largest magnitude code of any format.
uint32_t maxMagCode(FormatAttr format) {
  if (auto spec = miniSpec(format.getKind()))
    return spec->maxCode;
  return format.getKind() == ElementKind::uint4 ? 15 : 7;
}
} // namespace

FormatCodec::FormatCodec(OpBuilder &b, Location loc, FormatAttr format,
                              Type shapeLike)
    : b(b), loc(loc), format(format), shapeLike(shapeLike) {}

Type FormatCodec::like(Type elementType) const {
  if (auto vec = dyn_cast<VectorType>(shapeLike))
    return vec.clone(elementType);
  return elementType;
}

Type FormatCodec::getCodeType() const {
  return like(b.getIntegerType(format.getBitWidth() == 16 ? 16 : 8));
}

static Value constantLike(OpBuilder &b, Location loc, Type type,
                          TypedAttr scalar) {
  if (auto vec = dyn_cast<VectorType>(type))
    return arith::ConstantOp::create(b, loc,
                                     DenseElementsAttr::get(vec, scalar));
  return arith::ConstantOp::create(b, loc, scalar);
}

Value FormatCodec::cI32(int64_t v) {
  return constantLike(b, loc, like(b.getI32Type()),
                      b.getI32IntegerAttr(static_cast<int32_t>(v)));
}
Value FormatCodec::cI64(int64_t v) {
  return constantLike(b, loc, like(b.getI64Type()), b.getI64IntegerAttr(v));
}
Value FormatCodec::cF32(float v) {
  return constantLike(b, loc, like(b.getF32Type()), b.getF32FloatAttr(v));
}
Value FormatCodec::splatScalar(Value scalar) {
  if (auto vec = dyn_cast<VectorType>(shapeLike))
    return vector::BroadcastOp::create(b, loc, vec.clone(scalar.getType()),
                                       scalar);
  return scalar;
}

// Short-hands for the arith ops used below.
#define ADD(x, y) arith::AddIOp::create(b, loc, x, y)
#define SUB(x, y) arith::SubIOp::create(b, loc, x, y)
#define AND(x, y) arith::AndIOp::create(b, loc, x, y)
#define OR(x, y) arith::OrIOp::create(b, loc, x, y)
#define XOR(x, y) arith::XOrIOp::create(b, loc, x, y)
#define SHL(x, y) arith::ShLIOp::create(b, loc, x, y)
#define SHR(x, y) arith::ShRUIOp::create(b, loc, x, y)
#define SEL(c, x, y) arith::SelectOp::create(b, loc, c, x, y)
#define ICMP(p, x, y) arith::CmpIOp::create(b, loc, arith::CmpIPredicate::p, x, y)
#define FCMP(p, x, y) arith::CmpFOp::create(b, loc, arith::CmpFPredicate::p, x, y)
#define MINU(x, y) arith::MinUIOp::create(b, loc, x, y)
#define MAXS(x, y) arith::MaxSIOp::create(b, loc, x, y)

Value FormatCodec::magNearest(Value ab, Value absx) {
  ElementKind kind = format.getKind();
  switch (kind) {
  case ElementKind::radix4: {
    // SPEC 2.1: a = fl32(1.6f * |x|), e = floor(E/2); e < -3 -> 0,
    // e >= 3 -> 64, else 4^e (code e + 4). The odd phase works on 2x.
    Value ax = absx;
    if (format.getPhase() == Phase::odd)
      ax = arith::MulFOp::create(b, loc, ax, cF32(2.0f));
    Value a = arith::MulFOp::create(b, loc, ax, cF32(1.6f));
    Value eb = SHR(arith::BitcastOp::create(b, loc, like(b.getI32Type()), a),
                   cI32(23));
    Value mid = ADD(SHR(SUB(eb, cI32(121)), cI32(1)), cI32(1));
    Value top = SEL(ICMP(uge, eb, cI32(133)), cI32(7), mid);
    return SEL(ICMP(ult, eb, cI32(121)), cI32(0), top);
  }
  case ElementKind::radix2_fp4: {
    // SPEC 2.2: nearest power of two in the linear domain, ties up; adding
    // half a binade's mantissa carries into the exponent iff m >= 1.5.
    Value eb = SHR(ADD(ab, cI32(0x400000)), cI32(23));
    Value c = MAXS(MINU(SUB(eb, cI32(123)), cI32(7)), cI32(1));
    Value small = ICMP(ult, ab, cI32(0x3D800000)); // 1/16
    return SEL(small, cI32(0), c);
  }
  case ElementKind::int4:
  case ElementKind::uint4: {
    // Round half to even with the 2^23 magic number on the clamped value.
    float limit = kind == ElementKind::int4 ? 8.0f : 16.0f;
    Value a = arith::MinimumFOp::create(b, loc, absx, cF32(limit));
    Value r = arith::SubFOp::create(
        b, loc, arith::AddFOp::create(b, loc, a, cF32(0x1p23f)),
        cF32(0x1p23f));
    Value k = arith::FPToUIOp::create(b, loc, like(b.getI32Type()), r);
    return MINU(k, cI32(kind == ElementKind::int4 ? 7 : 15));
  }
  default:
    break;
  }
  MiniSpec s = *miniSpec(kind);
  unsigned shift = 23 - s.manBits;
  // Normal binades: round the f32 mantissa to manBits bits, ties to even.
  Value lsb = AND(SHR(ab, cI32(shift)), cI32(1));
  Value t = SHR(ADD(ADD(ab, cI32((1u << (shift - 1)) - 1)), lsb),
                cI32(shift));
  Value mag = SUB(t, cI32(static_cast<int64_t>(127 - s.bias) << s.manBits));
  if (s.bias != 127) {
    // Below the smallest normal: an integer multiple of the subnormal
    // quantum 2^(1-bias-manBits), rounded half to even by the magic number.
    Value scaled =
        arith::MulFOp::create(b, loc, absx, cF32(std::ldexp(1.0f, s.bias - 1 +
                                                              s.manBits)));
    Value r = arith::SubFOp::create(
        b, loc, arith::AddFOp::create(b, loc, scaled, cF32(0x1p23f)),
        cF32(0x1p23f));
    Value sub = arith::FPToUIOp::create(b, loc, like(b.getI32Type()), r);
    uint32_t minNormalBits = static_cast<uint32_t>(128 - s.bias) << 23;
    mag = SEL(ICMP(ult, ab, cI32(minNormalBits)), sub, mag);
  }
  uint32_t overflow =
      s.saturate ? s.maxCode : ((1u << (s.width - 1 - s.manBits)) - 1)
                                   << s.manBits;
  return SEL(ICMP(ugt, mag, cI32(s.maxCode)), cI32(overflow), mag);
}

Value FormatCodec::magTruncate(Value ab, Value absx) {
  ElementKind kind = format.getKind();
  switch (kind) {
  case ElementKind::radix4: {
    Value ax = absx;
    if (format.getPhase() == Phase::odd)
      ax = arith::MulFOp::create(b, loc, ax, cF32(2.0f));
    Value eb = SHR(arith::BitcastOp::create(b, loc, like(b.getI32Type()), ax),
                   cI32(23));
    Value c = ADD(SHR(SUB(eb, cI32(121)), cI32(1)), cI32(1));
    return SEL(ICMP(ult, eb, cI32(121)), cI32(0), c);
  }
  case ElementKind::radix2_fp4: {
    Value eb = SHR(ab, cI32(23));
    return SEL(ICMP(ult, eb, cI32(124)), cI32(0), SUB(eb, cI32(123)));
  }
  case ElementKind::int4:
  case ElementKind::uint4:
    return arith::FPToUIOp::create(b, loc, like(b.getI32Type()), absx);
  default:
    break;
  }
  MiniSpec s = *miniSpec(kind);
  Value mag = SUB(SHR(ab, cI32(23 - s.manBits)),
                  cI32(static_cast<int64_t>(127 - s.bias) << s.manBits));
  if (s.bias != 127) {
    Value scaled =
        arith::MulFOp::create(b, loc, absx, cF32(std::ldexp(1.0f, s.bias - 1 +
                                                              s.manBits)));
    Value sub = arith::FPToUIOp::create(b, loc, like(b.getI32Type()), scaled);
    uint32_t minNormalBits = static_cast<uint32_t>(128 - s.bias) << 23;
    mag = SEL(ICMP(ult, ab, cI32(minNormalBits)), sub, mag);
  }
  return mag;
}

Value FormatCodec::decodeMag(Value mag) {
  Type f32 = like(b.getF32Type());
  ElementKind kind = format.getKind();
  auto fromBits = [&](Value bits) {
    return arith::BitcastOp::create(b, loc, f32, bits);
  };
  switch (kind) {
  case ElementKind::radix4: {
    // 4^(c-4) = 2^(2c-8) (even), 2^(2c-9) (odd).
    int64_t bias = format.getPhase() == Phase::odd ? 118 : 119;
    Value bits = SHL(ADD(ADD(mag, mag), cI32(bias)), cI32(23));
    return SEL(ICMP(eq, mag, cI32(0)), cF32(0.0f), fromBits(bits));
  }
  case ElementKind::radix2_fp4: {
    Value bits = SHL(ADD(mag, cI32(123)), cI32(23));
    return SEL(ICMP(eq, mag, cI32(0)), cF32(0.0f), fromBits(bits));
  }
  case ElementKind::int4:
  case ElementKind::uint4:
    return arith::UIToFPOp::create(b, loc, f32, mag);
  case ElementKind::bf16:
    return fromBits(SHL(mag, cI32(16)));
  default:
    break;
  }
  MiniSpec s = *miniSpec(kind);
  Value e = SHR(mag, cI32(s.manBits));
  Value f = AND(mag, cI32((1u << s.manBits) - 1));
  Value normal = fromBits(
      OR(SHL(ADD(e, cI32(127 - s.bias)), cI32(23)),
         SHL(f, cI32(23 - s.manBits))));
  Value sub = arith::MulFOp::create(
      b, loc, arith::UIToFPOp::create(b, loc, f32, f),
      cF32(std::ldexp(1.0f, 1 - s.bias - static_cast<int>(s.manBits))));
  return SEL(ICMP(eq, e, cI32(0)), sub, normal);
}

EncodeResult FormatCodec::finish(Value x, Value mag, bool nearest) {
  ElementKind kind = format.getKind();
  Type i32 = like(b.getI32Type());
  Value bits = arith::BitcastOp::create(b, loc, i32, x);
  Value sign = SHR(bits, cI32(31));
  Value ab = AND(bits, cI32(0x7FFFFFFF));
  Value isNaN = ICMP(ugt, ab, cI32(0x7F800000));
  Value nonfinite = ICMP(uge, ab, cI32(0x7F800000));
  Value finite = ICMP(ult, ab, cI32(0x7F800000));
  Value nonzero = ICMP(ne, ab, cI32(0));
  Value isNeg = ICMP(ne, sign, cI32(0));

  // Inf saturates to the largest magnitude (IEEE formats keep Inf).
  std::optional<MiniSpec> spec = miniSpec(kind);
  uint32_t infMag = maxMagCode(format);
  if (spec && !spec->saturate)
    infMag = ((1u << (spec->width - 1 - spec->manBits)) - 1) << spec->manBits;
  mag = SEL(nonfinite, cI32(infMag), mag);
  if (kind == ElementKind::uint4)
    mag = SEL(isNeg, cI32(0), mag);

  // Attach the sign.
  Value code;
  switch (kind) {
  case ElementKind::radix4:
  case ElementKind::radix2_fp4:
    code = SEL(AND(isNeg, ICMP(ne, mag, cI32(0))), OR(mag, cI32(8)), mag);
    break;
  case ElementKind::int4:
    code = SEL(isNeg, AND(SUB(cI32(16), mag), cI32(15)), mag);
    break;
  case ElementKind::uint4:
    code = mag;
    break;
  default:
    code = OR(mag, SHL(sign, cI32(spec->width - 1)));
    break;
  }

  // NaN codes (SPEC 2.1-2.6; payload kept for the IEEE formats, as the
  // numerics library does).
  Value nanCode;
  switch (kind) {
  case ElementKind::radix4:
  case ElementKind::radix2_fp4:
    nanCode = cI32(8);
    break;
  case ElementKind::e2m1:
    nanCode = cI32(7);
    break;
  case ElementKind::int4:
  case ElementKind::uint4:
    nanCode = cI32(0);
    break;
  default: {
    unsigned m = spec->manBits;
    uint32_t expField = ((1u << (spec->width - 1 - m)) - 1) << m;
    Value s = SHL(sign, cI32(spec->width - 1));
    // e4m3 has one NaN pattern per sign; the saturating e5m2 uses the same
    // canonical all-ones NaN (as the numerics library does); f16/bf16 keep
    // the quiet bit and the top payload bits like a CPU conversion.
    if (spec->canonicalNaN) {
      nanCode = OR(s, cI32(expField | ((1u << m) - 1)));
    } else {
      Value payload = SHR(AND(bits, cI32(0x7FFFFF)), cI32(23 - m));
      nanCode = OR(OR(s, cI32(expField | (1u << (m - 1)))), payload);
    }
    break;
  }
  }
  code = SEL(isNaN, nanCode, code);

  // Counters (SPEC 6): see docs/numerics.md for the exact definitions.
  Value saturated;
  if (nearest && spec && !spec->saturate)
    saturated = AND(finite, ICMP(eq, mag, cI32(infMag)));
  else {
    Value absx = arith::BitcastOp::create(b, loc, like(b.getF32Type()), ab);
    Value over = FCMP(OGT, absx, cF32(format.getMaxMagnitude()));
    if (kind == ElementKind::uint4)
      over = AND(over, ICMP(eq, sign, cI32(0)));
    saturated = AND(finite, over);
  }
  Value flushed = AND(AND(finite, nonzero), ICMP(eq, mag, cI32(0)));

  Type codeType = getCodeType();
  Value codes = arith::TruncIOp::create(b, loc, codeType, code);
  return {codes, saturated, flushed, nonfinite};
}

EncodeResult FormatCodec::encodeNearest(Value x) {
  Type i32 = like(b.getI32Type());
  Value ab = AND(arith::BitcastOp::create(b, loc, i32, x), cI32(0x7FFFFFFF));
  // Non-finite lanes compute garbage magnitudes here that finish() replaces;
  // clamp NaN to 0 first so no conversion sees it.
  Value safeAb = SEL(ICMP(ugt, ab, cI32(0x7F800000)), cI32(0), ab);
  Value absx = arith::BitcastOp::create(b, loc, like(b.getF32Type()), safeAb);
  return finish(x, magNearest(safeAb, absx), /*nearest=*/true);
}

EncodeResult FormatCodec::encodeStochastic(Value x, Value u) {
  Type i32 = like(b.getI32Type());
  Value ab = AND(arith::BitcastOp::create(b, loc, i32, x), cI32(0x7FFFFFFF));
  Value big = FCMP(OGE, arith::BitcastOp::create(b, loc, like(b.getF32Type()),
                                                 ab),
                   cF32(format.getMaxMagnitude()));
  // Keep the arithmetic below in range: lanes at or above max (and NaN/Inf)
  // take the max code; compute on 0 for them.
  Value useMax = OR(big, ICMP(ugt, ab, cI32(0x7F800000)));
  Value safeAb = SEL(useMax, cI32(0), ab);
  Value absx = arith::BitcastOp::create(b, loc, like(b.getF32Type()), safeAb);
  Value lo = magTruncate(safeAb, absx);
  Value loV = decodeMag(lo);
  Value hiV = decodeMag(ADD(lo, cI32(1)));
  Value p = arith::DivFOp::create(b, loc,
                                  arith::SubFOp::create(b, loc, absx, loV),
                                  arith::SubFOp::create(b, loc, hiV, loV));
  Value up = FCMP(OLT, u, p);
  Value mag = SEL(up, ADD(lo, cI32(1)), lo);
  mag = SEL(useMax, cI32(maxMagCode(format)), mag);
  return finish(x, mag, /*nearest=*/false);
}

Value FormatCodec::decode(Value codes) {
  ElementKind kind = format.getKind();
  Type i32 = like(b.getI32Type());
  Type f32 = like(b.getF32Type());
  Value code = arith::ExtUIOp::create(b, loc, i32, codes);
  auto fromBits = [&](Value bits) {
    return arith::BitcastOp::create(b, loc, f32, bits);
  };
  auto withSign = [&](Value v, Value signBit) {
    Value bits = arith::BitcastOp::create(b, loc, i32, v);
    return fromBits(OR(bits, SHL(signBit, cI32(31))));
  };
  Value nan = fromBits(cI32(0x7FC00000));
  switch (kind) {
  case ElementKind::radix4:
  case ElementKind::radix2_fp4: {
    code = AND(code, cI32(15));
    Value v = withSign(decodeMag(AND(code, cI32(7))), SHR(code, cI32(3)));
    return SEL(ICMP(eq, code, cI32(8)), nan, v);
  }
  case ElementKind::e2m1:
    code = AND(code, cI32(15));
    return withSign(decodeMag(AND(code, cI32(7))), SHR(code, cI32(3)));
  case ElementKind::int4: {
    Value ext = arith::ShRSIOp::create(b, loc, SHL(code, cI32(28)), cI32(28));
    return arith::SIToFPOp::create(b, loc, f32, ext);
  }
  case ElementKind::uint4:
    return arith::UIToFPOp::create(b, loc, f32, AND(code, cI32(15)));
  case ElementKind::bf16:
    return fromBits(SHL(code, cI32(16)));
  default:
    break;
  }
  MiniSpec s = *miniSpec(kind);
  unsigned signShift = s.width - 1;
  Value mag = AND(code, cI32((1u << signShift) - 1));
  Value sign = SHR(code, cI32(signShift));
  Value v = withSign(decodeMag(mag), sign);
  if (s.nonFinite == MiniSpec::NanOnly)
    return SEL(ICMP(eq, mag, cI32((1u << signShift) - 1)), nan, v);
  uint32_t expField = ((1u << (signShift - s.manBits)) - 1) << s.manBits;
  Value inf = withSign(fromBits(cI32(0x7F800000)), sign);
  Value special = SEL(ICMP(eq, mag, cI32(expField)), inf, nan);
  return SEL(ICMP(uge, mag, cI32(expField)), special, v);
}

Value FormatCodec::philoxUniform(Value index, Value seed, Value stream) {
  Type i32 = like(b.getI32Type());
  auto lo32 = [&](Value v) { return arith::TruncIOp::create(b, loc, i32, v); };
  auto hi32 = [&](Value v) {
    return arith::TruncIOp::create(b, loc, i32, SHR(v, cI64(32)));
  };
  Value group = SHR(index, cI64(2));
  Value seedV = splatScalar(seed);
  Value c0 = lo32(group), c1 = hi32(group), c2 = splatScalar(stream),
        c3 = cI32(0);
  Value k0 = lo32(seedV), k1 = hi32(seedV);
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 = ADD(k0, cI32(static_cast<int32_t>(0x9E3779B9u)));
      k1 = ADD(k1, cI32(static_cast<int32_t>(0xBB67AE85u)));
    }
    auto p0 = arith::MulUIExtendedOp::create(
        b, loc, cI32(static_cast<int32_t>(0xD2511F53u)), c0);
    auto p1 = arith::MulUIExtendedOp::create(
        b, loc, cI32(static_cast<int32_t>(0xCD9E8D57u)), c2);
    Value n0 = XOR(XOR(p1.getHigh(), c1), k0);
    Value n1 = p1.getLow();
    Value n2 = XOR(XOR(p0.getHigh(), c3), k1);
    Value n3 = p0.getLow();
    c0 = n0, c1 = n1, c2 = n2, c3 = n3;
  }
  Value lane = lo32(AND(index, cI64(3)));
  Value r = SEL(ICMP(eq, lane, cI32(0)), c0,
                SEL(ICMP(eq, lane, cI32(1)), c1,
                    SEL(ICMP(eq, lane, cI32(2)), c2, c3)));
  Value top = SHR(r, cI32(8));
  return arith::MulFOp::create(
      b, loc, arith::UIToFPOp::create(b, loc, like(b.getF32Type()), top),
      cF32(0x1p-24f));
}

} // namespace fp4
