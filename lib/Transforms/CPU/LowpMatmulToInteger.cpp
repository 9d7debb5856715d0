//===- LowpMatmulToInteger.cpp - Exact integer lowp_matmul ----------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// `fp4-lowp-matmul-to-integer`: fp4.lowp_matmul with f32 accumulation on two
// formats whose values are small integers times a power of two becomes an
// integer GEMM with i32 accumulation (docs/performance.md, "Exact integer
// lowp_matmul").
//
// The integer values of the codes come from the numerics library's decoder
// (`fp4::numerics::decode`), the same oracle the tests compare with: a format
// qualifies when every finite value of its 16 codes is `i * 2^-s` with an
// integer `i` small enough for i16; NaN codes (radix-4 0b1000) decode to 0 and
// set a flag that makes the rows/columns they touch NaN, as a NaN product
// does in the f32 sum.
//
//===----------------------------------------------------------------------===//

#include "fp4/Transforms/CPUPasses.h"

#include "fp4/Dialect/FP4/IR/FP4Dialect.h"
#include "fp4/Numerics/Numerics.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/ControlFlowSinkUtils.h"

#include <cmath>
#include <limits>

namespace fp4 {
#define GEN_PASS_DEF_FP4LOWPMATMULTOINTEGER
#include "fp4/Transforms/CPUPasses.h.inc"
} // namespace fp4

using namespace mlir;
using namespace mlir::fp4;

namespace {

/// A 4-bit format whose finite values are `value[c] * 2^-shift` with small
/// integers `value[c]`.
struct IntegerFormat {
  std::string name;
  int shift = 0;
  int64_t value[16] = {};
  bool isNaN[16] = {};
  int64_t maxAbs = 0;
  bool nonNegative = true;
  bool hasNaN = false;
};

std::optional<IntegerFormat> getIntegerFormat(FormatAttr format) {
  if (format.getBitWidth() != 4 || format.getBlock())
    return std::nullopt;
  std::optional<::fp4::numerics::Format> f = ::fp4::numerics::parseFormat(format.getName());
  if (!f)
    return std::nullopt;
  IntegerFormat r;
  r.name = format.getName();
  float values[16];
  for (int c = 0; c < 16; ++c) {
    values[c] = ::fp4::numerics::decode(c, *f);
    if (std::isnan(values[c])) {
      r.isNaN[c] = r.hasNaN = true;
      continue;
    }
    if (std::isinf(values[c]))
      return std::nullopt;
    // Fractional bits of the value.
    for (; r.shift <= 24; ++r.shift) {
      double scaled = std::ldexp(static_cast<double>(values[c]), r.shift);
      if (scaled == std::floor(scaled))
        break;
    }
    if (r.shift > 24)
      return std::nullopt;
  }
  for (int c = 0; c < 16; ++c) {
    if (r.isNaN[c])
      continue;
    double scaled = std::ldexp(static_cast<double>(values[c]), r.shift);
    if (std::fabs(scaled) > 32767)
      return std::nullopt;
    r.value[c] = static_cast<int64_t>(scaled);
    r.maxAbs = std::max<int64_t>(r.maxAbs, std::llabs(r.value[c]));
    r.nonNegative &= r.value[c] >= 0;
  }
  return r;
}

/// Storage of one operand after layout decisions.
struct OperandPlan {
  IntegerFormat format;
  Type elementType;   // i8 or i16
  int64_t offset = 0; // added to every value (A only)
  bool zeroExtend = false;
};

/// The integer layouts of a GEMM's two operands: u8 x s8 quads for
/// vpdpbusd, else i16 pairs; nullopt when a pair of i16 products could
/// exceed `limit`.
struct GemmPlan {
  OperandPlan a, b;
  int64_t group = 2;
};
std::optional<GemmPlan> planGemm(const IntegerFormat &fa,
                                 const IntegerFormat &fb, bool vnni,
                                 int64_t limit, MLIRContext *ctx) {
  GemmPlan plan{{fa, {}, 0, false}, {fb, {}, 0, false}, 2};
  OperandPlan &a = plan.a, &b = plan.b;
  bool quads = false;
  if (vnni) {
    auto fitsS8 = [](const IntegerFormat &f) { return f.maxAbs <= 127; };
    auto fitsU8 = [](const IntegerFormat &f) {
      return f.nonNegative && f.maxAbs <= 255;
    };
    if (fitsU8(fb) && fitsS8(fa)) {
      b.zeroExtend = true;
      quads = true;
    } else if (fitsU8(fa) && fitsS8(fb)) {
      a.zeroExtend = true;
      quads = true;
    } else if (fitsS8(fb) && 2 * fa.maxAbs <= 255) {
      a.offset = fa.maxAbs;
      a.zeroExtend = true;
      quads = true;
    }
  }
  plan.group = quads ? 4 : 2;
  a.elementType = b.elementType =
      IntegerType::get(ctx, quads ? 8 : 16);
  // A pair of i16 products must not overflow vpmaddwd's i32 sum.
  if (!quads && 2 * fa.maxAbs * fb.maxAbs > limit)
    return std::nullopt;
  return plan;
}

/// The stored integer of each code of an operand: its value plus the
/// plan's offset; NaN codes (and codes excluded from the bound) as 0.
SmallVector<int64_t> tableOf(const OperandPlan &p) {
  SmallVector<int64_t> t;
  for (int c = 0; c < 16; ++c)
    t.push_back(p.format.isNaN[c] ? p.offset : p.format.value[c] + p.offset);
  return t;
}

Value cIndex(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value splat(OpBuilder &b, Location loc, VectorType type, int64_t v) {
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(
          type, b.getIntegerAttr(type.getElementType(), APInt(
                                     type.getElementTypeBitWidth(), v,
                                     /*isSigned=*/true))));
}

/// Maps a vector of nibbles (i8, 0..15) to `table[nibble]` as `type`:
/// arithmetic for the integer formats (uint4: c + o; int4: the
/// sign-extended nibble + o), else a chain of compares and selects.
Value lookup(OpBuilder &b, Location loc, Value nibbles, VectorType type,
             ArrayRef<int64_t> table) {
  auto nibbleType = cast<VectorType>(nibbles.getType());
  bool unsignedIdentity = true, signedIdentity = true;
  for (int c = 0; c < 16; ++c) {
    unsignedIdentity &= table[c] - table[0] == c;
    signedIdentity &= table[c] - table[0] == ((c ^ 8) - 8);
  }
  auto widen = [&](Value v, bool isSigned) -> Value {
    if (type.getElementType() == nibbleType.getElementType())
      return v;
    if (isSigned)
      return arith::ExtSIOp::create(b, loc, type, v);
    return arith::ExtUIOp::create(b, loc, type, v);
  };
  if (unsignedIdentity || signedIdentity) {
    Value v = nibbles;
    if (signedIdentity)
      v = arith::ShRSIOp::create(
          b, loc,
          arith::ShLIOp::create(b, loc, v, splat(b, loc, nibbleType, 4)),
          splat(b, loc, nibbleType, 4));
    v = widen(v, signedIdentity);
    if (table[0] != 0)
      v = arith::AddIOp::create(b, loc, v, splat(b, loc, type, table[0]));
    return v;
  }
  Value result = splat(b, loc, type, table[0]);
  for (int c = 1; c < 16; ++c) {
    if (table[c] == table[0])
      continue;
    Value eq = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, nibbles,
                                     splat(b, loc, nibbleType, c));
    result = arith::SelectOp::create(b, loc, eq, splat(b, loc, type, table[c]),
                                     result);
  }
  return result;
}

/// Decodes the packed 4-bit `codes` (numel elements, element 2i in the low
/// nibble of byte i) to integers `table[code]` of `elementType`, and, when
/// `nanMask` is requested, an i8 tensor that is 1 where the code is NaN.
std::pair<Value, Value> emitDecode(OpBuilder &b, Location loc, Value codes,
                                   int64_t numel, Type elementType,
                                   ArrayRef<int64_t> table,
                                   ArrayRef<bool> isNaN, bool wantMask) {
  constexpr int64_t kBytes = 32; // bytes per iteration: 64 elements
  int64_t numBytes = (numel + 1) / 2;
  int64_t padded = numBytes * 2;
  Type i8 = b.getI8Type();
  Value out = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{padded},
                                      elementType);
  Value mask;
  if (wantMask)
    mask = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{padded}, i8);
  SmallVector<int64_t> nanTable;
  for (bool n : isNaN)
    nanTable.push_back(n ? 1 : 0);

  // One step over `bytes` bytes at byte offset `iv` (in bounds, or masked at
  // the end of the tensors).
  auto step = [&](OpBuilder &nb, Location l, Value iv, int64_t bytes,
                  bool inBounds, ValueRange args) -> SmallVector<Value> {
    auto byteType = VectorType::get({bytes}, i8);
    Value zero8 = arith::ConstantOp::create(nb, l, nb.getI8IntegerAttr(0));
    Value raw = vector::TransferReadOp::create(
        nb, l, byteType, codes, ValueRange{iv}, zero8,
        ArrayRef<bool>{inBounds});
    Value lo = arith::AndIOp::create(nb, l, raw, splat(nb, l, byteType, 15));
    Value hi = arith::ShRUIOp::create(nb, l, raw, splat(nb, l, byteType, 4));
    Value outIndex = arith::MulIOp::create(nb, l, iv, cIndex(nb, l, 2));
    auto valueType = VectorType::get({bytes}, elementType);
    Value v = vector::InterleaveOp::create(
        nb, l, lookup(nb, l, lo, valueType, table),
        lookup(nb, l, hi, valueType, table));
    SmallVector<Value> results;
    results.push_back(vector::TransferWriteOp::create(
                          nb, l, v, args[0], ValueRange{outIndex},
                          ArrayRef<bool>{inBounds})
                          .getResult());
    if (wantMask) {
      Value m = vector::InterleaveOp::create(
          nb, l, lookup(nb, l, lo, byteType, nanTable),
          lookup(nb, l, hi, byteType, nanTable));
      results.push_back(vector::TransferWriteOp::create(
                            nb, l, m, args[1], ValueRange{outIndex},
                            ArrayRef<bool>{inBounds})
                            .getResult());
    }
    return results;
  };

  SmallVector<Value> inits{out};
  if (wantMask)
    inits.push_back(mask);
  int64_t full = numBytes / kBytes * kBytes;
  SmallVector<Value> results = inits;
  if (full > 0) {
    auto loop = scf::ForOp::create(
        b, loc, cIndex(b, loc, 0), cIndex(b, loc, full),
        cIndex(b, loc, kBytes), inits,
        [&](OpBuilder &nb, Location l, Value iv, ValueRange args) {
          scf::YieldOp::create(nb, l, step(nb, l, iv, kBytes, true, args));
        });
    results = loop.getResults();
  }
  if (full < numBytes)
    results = step(b, loc, cIndex(b, loc, full), kBytes, false, results);

  auto slice = [&](Value t) -> Value {
    if (padded == numel)
      return t;
    auto type = cast<RankedTensorType>(t.getType());
    return tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({numel}, type.getElementType()), t,
        ValueRange{}, ValueRange{}, ValueRange{},
        b.getDenseI64ArrayAttr({0}), b.getDenseI64ArrayAttr({numel}),
        b.getDenseI64ArrayAttr({1}));
  };
  return {slice(results[0]), wantMask ? slice(results[1]) : Value()};
}

/// Reshapes `t` to `shape` by splitting its dims along `groups`.
Value expand(OpBuilder &b, Location loc, Value t, ArrayRef<int64_t> shape,
             ArrayRef<ReassociationIndices> groups) {
  auto type = cast<RankedTensorType>(t.getType());
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), t, groups);
}

/// Reshapes the 1-D `flat` to `shape`.
Value expand(OpBuilder &b, Location loc, Value flat, ArrayRef<int64_t> shape) {
  ReassociationIndices all;
  for (size_t i = 0; i < shape.size(); ++i)
    all.push_back(i);
  return expand(b, loc, flat, shape, {all});
}

Value transpose(OpBuilder &b, Location loc, Value t, ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getShape()[p]);
  Value init = tensor::EmptyOp::create(b, loc, shape, type.getElementType());
  return linalg::TransposeOp::create(b, loc, t, init, perm).getResult()[0];
}

/// Zero-pads `t` at the high end to `shape`.
Value padHigh(OpBuilder &b, Location loc, Value t, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(t.getType());
  if (type.getShape() == shape)
    return t;
  SmallVector<OpFoldResult> lo(shape.size(), b.getIndexAttr(0)), hi;
  for (auto [from, to] : llvm::zip(type.getShape(), shape))
    hi.push_back(b.getIndexAttr(to - from));
  Value zero = arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(type.getElementType(), 0));
  return tensor::PadOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), t, lo, hi,
      zero);
}

/// Sums `t` (2-D, iX) over dim `dim` in i32 (for the offset correction), or
/// ORs an i8 mask over it (`orMask`).
Value reduce2D(OpBuilder &b, Location loc, Value t, int64_t dim,
               bool orMask) {
  auto type = cast<RankedTensorType>(t.getType());
  int64_t keep = type.getShape()[1 - dim];
  Type accType = orMask ? b.getI8Type() : b.getI32Type();
  Value zero = arith::ConstantOp::create(b, loc, b.getIntegerAttr(accType, 0));
  Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{keep},
                                       accType);
  init = linalg::FillOp::create(b, loc, zero, init).getResult(0);
  MLIRContext *ctx = b.getContext();
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx);
  // Loops (kept, reduced).
  AffineMap inMap = dim == 0 ? AffineMap::get(2, 0, {d1, d0}, ctx)
                             : AffineMap::get(2, 0, {d0, d1}, ctx);
  AffineMap outMap = AffineMap::get(2, 0, {d0}, ctx);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{t},
             ValueRange{init}, ArrayRef<AffineMap>{inMap, outMap},
             ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                           utils::IteratorType::reduction},
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value v = args[0];
               Value r;
               if (orMask) {
                 r = arith::OrIOp::create(nb, l, args[1], v);
               } else {
                 if (v.getType() != accType)
                   v = arith::ExtSIOp::create(nb, l, accType, v);
                 r = arith::AddIOp::create(nb, l, args[1], v);
               }
               linalg::YieldOp::create(nb, l, r);
             })
      .getResult(0);
}

/// out[i, j] = body(inputs at (i, j)) as an f32 [m, n] tensor; `maps` are
/// the inputs' indexing maps followed by the output's.
Value emitF32Map2D(OpBuilder &b, Location loc, ValueRange inputs,
                   ArrayRef<AffineMap> maps, int64_t m, int64_t n,
                   function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  Value out = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{m, n},
                                      b.getF32Type());
  return linalg::GenericOp::create(
             b, loc, TypeRange{out.getType()}, inputs, ValueRange{out}, maps,
             ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                           utils::IteratorType::parallel},
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, ValueRange{body(nb, l, args)});
             })
      .getResult(0);
}

/// acc[m, n] = sum_k op(A)[m, k] * op(B)[k, n] in i32, on the decoded
/// integer operands: `aMK` is [m, k]; `bStored` is [k, n], or [n, k] with
/// `tb`. The operands are laid out as `plan` says (zero-padded k).
Value emitIntegerGemm(OpBuilder &rewriter, Location loc, const GemmPlan &plan,
                      Value aMK, Value bStored, bool tb, int64_t m, int64_t k,
                      int64_t n) {
  const OperandPlan &a = plan.a, &b = plan.b;
  int64_t group = plan.group;
  Type i32 = rewriter.getI32Type();
  int64_t kp = (k + group - 1) / group * group, kq = kp / group;
  int64_t np = (n + 15) / 16 * 16;
  // A[m, kq, g]: k contiguous per row, zero-padded (the padding must be 0
  // also when A carries an offset: it is not part of the correction).
  Value a3 = expand(rewriter, loc, padHigh(rewriter, loc, aMK, {m, kp}),
                    {m, kq, group}, {{0}, {1, 2}});
  // B[kq, np, g].
  Value b3;
  if (tb) {
    b3 = expand(rewriter, loc, padHigh(rewriter, loc, bStored, {np, kp}),
                {np, kq, group}, {{0}, {1, 2}});
    b3 = transpose(rewriter, loc, b3, {1, 0, 2});
  } else {
    b3 = expand(rewriter, loc, padHigh(rewriter, loc, bStored, {kp, np}),
                {kq, group, np}, {{0, 1}, {2}});
    b3 = transpose(rewriter, loc, b3, {0, 2, 1});
  }

  // C[m, np] = sum_q sum_t ext(A[m, q, t]) * ext(B[q, n, t]) in i32.
  MLIRContext *ctx = rewriter.getContext();
  AffineExpr dm = getAffineDimExpr(0, ctx), dn = getAffineDimExpr(1, ctx),
             dq = getAffineDimExpr(2, ctx), dt = getAffineDimExpr(3, ctx);
  Value zero32 = arith::ConstantOp::create(rewriter, loc,
                                           rewriter.getI32IntegerAttr(0));
  Value accInit = tensor::EmptyOp::create(rewriter, loc,
                                          ArrayRef<int64_t>{m, np}, i32);
  accInit = linalg::FillOp::create(rewriter, loc, zero32, accInit)
                .getResult(0);
  Value acc =
      linalg::GenericOp::create(
          rewriter, loc, TypeRange{accInit.getType()}, ValueRange{a3, b3},
          ValueRange{accInit},
          ArrayRef<AffineMap>{AffineMap::get(4, 0, {dm, dq, dt}, ctx),
                              AffineMap::get(4, 0, {dq, dn, dt}, ctx),
                              AffineMap::get(4, 0, {dm, dn}, ctx)},
          ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                        utils::IteratorType::parallel,
                                        utils::IteratorType::reduction,
                                        utils::IteratorType::reduction},
          [&](OpBuilder &nb, Location l, ValueRange args) {
            auto ext = [&](Value v, bool zext) -> Value {
              if (zext)
                return arith::ExtUIOp::create(nb, l, i32, v);
              return arith::ExtSIOp::create(nb, l, i32, v);
            };
            Value p = arith::MulIOp::create(nb, l, ext(args[0], a.zeroExtend),
                                            ext(args[1], b.zeroExtend));
            linalg::YieldOp::create(
                nb, l, ValueRange{arith::AddIOp::create(nb, l, args[2], p)});
          })
          .getResult(0);

  if (np != n)
    acc = tensor::ExtractSliceOp::create(
        rewriter, loc, RankedTensorType::get({m, n}, i32), acc, ValueRange{},
        ValueRange{}, ValueRange{}, rewriter.getDenseI64ArrayAttr({0, 0}),
        rewriter.getDenseI64ArrayAttr({m, n}),
        rewriter.getDenseI64ArrayAttr({1, 1}));
  return acc;
}

/// The packed codes and format of `units` when it is the values of a
/// quantized tensor in format units, `dequantize(pack(codes, 1.0))` (how
/// fp4-apply-recipe feeds a low-precision convolution).
std::optional<std::pair<Value, QTensorType>> unitsOf(Value units) {
  auto dq = units.getDefiningOp<DequantizeOp>();
  if (!dq)
    return std::nullopt;
  auto pack = dq.getInput().getDefiningOp<PackOp>();
  if (!pack || !matchPattern(pack.getScale(), m_OneFloat()))
    return std::nullopt;
  return std::make_pair(pack.getCodes(),
                        cast<QTensorType>(pack.getResult().getType()));
}

/// An operand of a low-precision convolution traced back to packed codes:
/// `dequantize(pack(codes, 1.0))`, then zero pads and pure index
/// permutations (`chain`, in order), as fp4-apply-recipe writes the input
/// gradient's zero-padded dY and flipped, channel-swapped filter.
struct TracedUnits {
  Value codes;
  QTensorType type;
  SmallVector<Operation *> chain;
};


std::optional<TracedUnits> traceUnits(Value v) {
  SmallVector<Operation *> chain;
  for (int depth = 0; depth < 4; ++depth) {
    if (auto u = unitsOf(v)) {
      std::reverse(chain.begin(), chain.end());
      return TracedUnits{u->first, u->second, std::move(chain)};
    }
    Operation *def = v.getDefiningOp();
    if (auto pad = dyn_cast_or_null<tensor::PadOp>(def)) {
      // Static zero padding (not the stride-dilated dY of a strided
      // layer: its stuffed zeros are an insert_slice, which the f32 path
      // skips in fp4-cpu-conv-to-gemm and im2col would copy).
      if (!pad.getLow().empty() || !pad.getHigh().empty() ||
          !pad.getConstantPaddingValue() ||
          !matchPattern(pad.getConstantPaddingValue(), m_PosZeroFloat()))
        return std::nullopt;
      chain.push_back(pad);
      v = pad.getSource();
      continue;
    }
    auto g = dyn_cast_or_null<linalg::GenericOp>(def);
    if (!g || !::fp4::isElementMove(g))
      return std::nullopt;
    chain.push_back(g);
    v = g.getDpsInputs()[0];
  }
  return std::nullopt;
}

/// Applies the pad or permutation `op` to the integer tensor `src`.
Value replay(OpBuilder &b, Location loc, Operation *op, Value src) {
  Type et = cast<RankedTensorType>(src.getType()).getElementType();
  if (auto pad = dyn_cast<tensor::PadOp>(op)) {
    Value zero =
        arith::ConstantOp::create(b, loc, b.getIntegerAttr(et, 0));
    return tensor::PadOp::create(
        b, loc, RankedTensorType::get(pad.getResultType().getShape(), et),
        src, pad.getMixedLowPad(), pad.getMixedHighPad(), zero);
  }
  auto g = cast<linalg::GenericOp>(op);
  Value init = tensor::EmptyOp::create(
      b, loc, cast<RankedTensorType>(g.getResult(0).getType()).getShape(), et);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{src},
             ValueRange{init}, g.getIndexingMapsArray(),
             g.getIteratorTypesArray(),
             [](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, ValueRange{args[0]});
             })
      .getResult(0);
}

/// An i1 that is true when a code of the packed `codes` is one of the
/// format's NaN codes (both nibbles of each byte; a padding nibble is 0,
/// never a NaN code).
Value emitAnyCode(OpBuilder &b, Location loc, Value codes,
                  ArrayRef<bool> isCode) {
  Type i8 = b.getI8Type();
  Value zero = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
  auto scalarType = RankedTensorType::get({}, i8);
  Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{}, i8);
  init = linalg::FillOp::create(b, loc, zero, init).getResult(0);
  MLIRContext *ctx = b.getContext();
  Value any =
      linalg::GenericOp::create(
          b, loc, TypeRange{scalarType}, ValueRange{codes}, ValueRange{init},
          ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(1, ctx),
                              AffineMap::get(1, 0, {}, ctx)},
          ArrayRef<utils::IteratorType>{utils::IteratorType::reduction},
          [&](OpBuilder &nb, Location l, ValueRange args) {
            auto c8 = [&](int64_t v) -> Value {
              return arith::ConstantOp::create(nb, l, nb.getI8IntegerAttr(v));
            };
            Value lo = arith::AndIOp::create(nb, l, args[0], c8(15));
            Value hi = arith::ShRUIOp::create(nb, l, args[0], c8(4));
            Value hit;
            for (int c = 0; c < 16; ++c) {
              if (!isCode[c])
                continue;
              for (Value nibble : {lo, hi}) {
                Value eq = arith::CmpIOp::create(
                    nb, l, arith::CmpIPredicate::eq, nibble, c8(c));
                hit = hit ? arith::OrIOp::create(nb, l, hit, eq).getResult()
                          : eq;
              }
            }
            Value hit8 = arith::ExtUIOp::create(nb, l, i8, hit);
            linalg::YieldOp::create(
                nb, l, ValueRange{arith::OrIOp::create(nb, l, args[1], hit8)});
          })
          .getResult(0);
  Value flag = tensor::ExtractOp::create(b, loc, any, ValueRange{});
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, flag, zero);
}

/// Sinks the side-effect-free producers used only by `ifOp`'s then-region
/// into it (upstream control-flow sinking): the f32 fallback's decodes and
/// padding run only when it is taken.
void sinkIntoThen(scf::IfOp ifOp) {
  DominanceInfo dom(ifOp->getParentOp());
  SmallVector<Region *> regions{&ifOp.getThenRegion()};
  controlFlowSink(
      regions, dom, [](Operation *op, Region *) { return isMemoryEffectFree(op); },
      [](Operation *op, Region *region) {
        op->moveBefore(&region->front(), region->front().begin());
      });
}

/// A low-precision convolution of fp4-apply-recipe (`linalg.conv_2d_nchw_fchw
/// {fp4.lowp}` on operands in format units, from zero) as one integer GEMM
/// over the whole batch: W[f, (c, kh, kw)] x col[(c, kh, kw), (n, oh, ow)],
/// with the im2col copies made on the decoded 1-byte (or 2-byte) integers
/// instead of f32. Every product and partial sum is an exact integer (in
/// units of 2^-shift) below the bound, as in the f32 convolution it
/// replaces, so the result is the same to the bit. Forward convolutions
/// (uint4/int4 x int4) and input gradients (radix-4 dY, zero-padded, x the
/// flipped int4 filter) qualify; a NaN code in an operand (radix-4 0b1000)
/// takes the f32 convolution instead, at run time.
LogicalResult rewriteConv(IRRewriter &rewriter, linalg::Conv2DNchwFchwOp conv,
                          bool vnni, int64_t limit) {
  if (!conv->hasAttr("fp4.lowp"))
    return failure();
  Value init = conv.getDpsInits()[0];
  auto fill = init.getDefiningOp<linalg::FillOp>();
  if (!fill || !matchPattern(fill.getInputs()[0], m_AnyZeroFloat()))
    return failure();
  std::optional<TracedUnits> xs = traceUnits(conv.getDpsInputs()[0]);
  std::optional<TracedUnits> ws = traceUnits(conv.getDpsInputs()[1]);
  if (!xs || !ws)
    return failure();
  std::optional<IntegerFormat> fw = getIntegerFormat(ws->type.getFormat());
  std::optional<IntegerFormat> fx = getIntegerFormat(xs->type.getFormat());
  if (!fw || !fx)
    return failure();
  ArrayRef<int64_t> xShape =
      cast<RankedTensorType>(conv.getDpsInputs()[0].getType()).getShape();
  ArrayRef<int64_t> wShape =
      cast<RankedTensorType>(conv.getDpsInputs()[1].getType()).getShape();
  auto yType = cast<RankedTensorType>(conv.getResult(0).getType());
  ArrayRef<int64_t> yShape = yType.getShape();
  int64_t nImg = xShape[0], c = xShape[1], f = wShape[0], kh = wShape[2],
          kw = wShape[3], oh = yShape[2], ow = yShape[3];
  int64_t sh = conv.getStrides().getValues<int64_t>()[0],
          sw = conv.getStrides().getValues<int64_t>()[1],
          dh = conv.getDilations().getValues<int64_t>()[0],
          dw = conv.getDilations().getValues<int64_t>()[1];
  int64_t k = c * kh * kw, p = nImg * oh * ow;
  // Below 32 filters the GEMM is a few register rows tall and the layout
  // work (im2col and quad interleave of bytes, i32 -> f32, transpose of the
  // result) outweighs the faster products: measured 2x slower than the f32
  // convolution at 16 filters, 1.4x faster at 32, 2.75x at 64
  // (docs/performance.md).
  if (f < 32)
    return failure();
  // The window copies drop one unit dimension of [N, 1, OH, OW] (and of
  // [1, N, OH, OW]); with another unit dimension that drop is ambiguous
  // (and crashes memref.subview folding in MLIR 22). Such layers (1 x 1
  // outputs, one image) are small: they keep the f32 convolution.
  if (nImg < 2 || oh < 2 || ow < 2)
    return failure();
  auto worst = [&] {
    return static_cast<__int128>(k) * fw->maxAbs * fx->maxAbs;
  };
  // int4 from fp4.quantize never holds code 0b1000 (-8: SPEC 2.4, symmetric
  // -7..7). Where the bound needs |w| <= 7 (radix-4 dY x int4 W: K * 4096 *
  // 7 <= 2^24 up to K = 585, e.g. 64 channels of 3 x 3), that code is
  // treated like a NaN code: its presence takes the f32 convolution at run
  // time.
  for (IntegerFormat *fmt : {&*fw, &*fx}) {
    if (worst() <= limit || fmt->name != "int4" || fmt->value[8] != -8)
      continue;
    fmt->isNaN[8] = fmt->hasNaN = true;
    fmt->value[8] = 0;
    fmt->maxAbs = 7;
  }
  if (worst() > limit)
    return failure();
  std::optional<GemmPlan> plan =
      planGemm(*fw, *fx, vnni, limit, rewriter.getContext());
  if (!plan)
    return failure();

  Location loc = conv.getLoc();
  rewriter.setInsertionPoint(conv);
  // A NaN code makes the f32 convolution's sums NaN wherever its window
  // reaches (NaN * 0 included): that case (and int4's excluded -8 above)
  // runs the f32 convolution itself.
  Value anyNaN;
  for (auto [t, fmt] : {std::make_pair(&*xs, &*fx), std::make_pair(&*ws, &*fw)}) {
    if (!fmt->hasNaN)
      continue;
    Value hit = emitAnyCode(rewriter, loc, t->codes, fmt->isNaN);
    anyNaN = anyNaN ? arith::OrIOp::create(rewriter, loc, anyNaN, hit)
                          .getResult()
                    : hit;
  }

  auto emitInteger = [&](OpBuilder &b) -> Value {
    auto decode = [&](const TracedUnits &t, const OperandPlan &pl) -> Value {
      Value flat = emitDecode(b, loc, t.codes, t.type.getNumElements(),
                              pl.elementType, tableOf(pl), pl.format.isNaN,
                              false)
                       .first;
      Value v = expand(b, loc, flat, t.type.getShape());
      for (Operation *op : t.chain)
        v = replay(b, loc, op, v);
      return v;
    };
    Value w4 = decode(*ws, plan->a);
    Value wMK = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({f, k}, plan->a.elementType), w4,
        ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}});
    Value x = decode(*xs, plan->b);

    // col[q, n, oh, ow] = x[n, c, oh * sh + kh * dh, ow * sw + kw * dw] for
    // q = (c, kh, kw): one strided window copy per q.
    Type et = plan->b.elementType;
    auto windowType = RankedTensorType::get({nImg, oh, ow}, et);
    Value col = tensor::EmptyOp::create(
        b, loc, ArrayRef<int64_t>{k, nImg, oh, ow}, et);
    // One scf.forall over q (threads take whole windows; the copies inside
    // stay sequential).
    auto forall = scf::ForallOp::create(
        b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(k)}, ValueRange{col},
        std::nullopt);
    {
      OpBuilder nb = OpBuilder::atBlockBegin(forall.getBody());
      Location l = loc;
      Value q = forall.getInductionVars()[0];
      Value shared = forall.getRegionIterArgs()[0];
      Value kwI = arith::RemUIOp::create(nb, l, q, cIndex(nb, l, kw));
      Value rest = arith::DivUIOp::create(nb, l, q, cIndex(nb, l, kw));
      Value khI = arith::RemUIOp::create(nb, l, rest, cIndex(nb, l, kh));
      Value cI = arith::DivUIOp::create(nb, l, rest, cIndex(nb, l, kh));
      Value hOff = arith::MulIOp::create(nb, l, khI, cIndex(nb, l, dh));
      Value wOff = arith::MulIOp::create(nb, l, kwI, cIndex(nb, l, dw));
      auto I = [&](int64_t v) -> OpFoldResult { return nb.getIndexAttr(v); };
      Value window = tensor::ExtractSliceOp::create(
          nb, l, windowType, x, ArrayRef<OpFoldResult>{I(0), cI, hOff, wOff},
          ArrayRef<OpFoldResult>{I(nImg), I(1), I(oh), I(ow)},
          ArrayRef<OpFoldResult>{I(1), I(1), I(sh), I(sw)});
      SmallVector<OpFoldResult> offsets{q, I(0), I(0), I(0)};
      SmallVector<OpFoldResult> sizes{I(1), I(nImg), I(oh), I(ow)};
      SmallVector<OpFoldResult> ones(4, I(1));
      Value dst = tensor::ExtractSliceOp::create(nb, l, windowType, shared,
                                                 offsets, sizes, ones);
      Value copied = linalg::CopyOp::create(nb, l, window, dst).getResult(0);
      nb.setInsertionPointToEnd(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(nb, l, copied, shared, offsets,
                                            sizes, ones);
    }
    Value bStored = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({k, p}, et), forall.getResult(0),
        ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}});

    Value acc = emitIntegerGemm(b, loc, *plan, wMK, bStored,
                                /*tb=*/false, f, k, p);
    // Units: f32(acc - offset * sum_k col[k, p]) * 2^-shift; exact
    // (|acc| < 2^24, a power-of-two factor).
    MLIRContext *ctx = b.getContext();
    AffineExpr i = getAffineDimExpr(0, ctx), j = getAffineDimExpr(1, ctx);
    SmallVector<Value> inputs{acc};
    SmallVector<AffineMap> maps{AffineMap::get(2, 0, {i, j}, ctx)};
    if (plan->a.offset) {
      inputs.push_back(reduce2D(b, loc, bStored, 0, /*orMask=*/false));
      maps.push_back(AffineMap::get(2, 0, {j}, ctx));
    }
    maps.push_back(AffineMap::get(2, 0, {i, j}, ctx));
    Type f32 = b.getF32Type();
    Value offset = arith::ConstantOp::create(
        b, loc, b.getI32IntegerAttr(plan->a.offset));
    int shift = plan->a.format.shift + plan->b.format.shift;
    Value unit = arith::ConstantOp::create(
        b, loc, b.getF32FloatAttr(std::ldexp(1.0f, -shift)));
    Value units = emitF32Map2D(
        b, loc, inputs, maps, f, p,
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          Value v = args[0];
          if (inputs.size() > 1)
            v = arith::SubIOp::create(
                nb, l, v, arith::MulIOp::create(nb, l, offset, args[1]));
          Value r = arith::SIToFPOp::create(nb, l, f32, v);
          if (shift != 0)
            r = arith::MulFOp::create(nb, l, r, unit);
          return r;
        });
    // [f, (n, oh, ow)] -> [n, f, oh, ow].
    Value units4 = expand(b, loc, units, {f, nImg, oh, ow}, {{0}, {1, 2, 3}});
    return transpose(b, loc, units4, {1, 0, 2, 3});
  };

  if (!anyNaN) {
    rewriter.replaceOp(conv, emitInteger(rewriter));
    return success();
  }
  auto ifOp = scf::IfOp::create(
      rewriter, loc, anyNaN,
      [&](OpBuilder &b, Location l) {
        // Rarely taken: scalar loops (fp4.cold) make the same bits with a
        // fraction of the code and compile time.
        Operation *f32Conv = b.clone(*conv);
        f32Conv->setAttr("fp4.cold", b.getUnitAttr());
        scf::YieldOp::create(b, l, f32Conv->getResults());
      },
      [&](OpBuilder &b, Location l) {
        scf::YieldOp::create(b, l, ValueRange{emitInteger(b)});
      });
  rewriter.replaceOp(conv, ifOp.getResults());
  sinkIntoThen(ifOp);
  return success();
}

struct LowpMatmulToIntegerPass
    : ::fp4::impl::FP4LowpMatmulToIntegerBase<LowpMatmulToIntegerPass> {
  using Base::Base;

  void runOnOperation() override {
    int64_t limit;
    if (bound == "f32-exact") {
      limit = int64_t(1) << 24;
    } else if (bound == "int32") {
      limit = std::numeric_limits<int32_t>::max();
    } else {
      getOperation().emitError("fp4-lowp-matmul-to-integer: bound must be "
                               "f32-exact or int32, got '")
          << bound << "'";
      return signalPassFailure();
    }
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::Conv2DNchwFchwOp> convs;
    getOperation().walk(
        [&](linalg::Conv2DNchwFchwOp op) { convs.push_back(op); });
    for (linalg::Conv2DNchwFchwOp conv : convs)
      (void)rewriteConv(rewriter, conv, vnni, limit);
    SmallVector<LowpMatmulOp> ops;
    getOperation().walk([&](LowpMatmulOp op) { ops.push_back(op); });
    for (LowpMatmulOp op : ops)
      (void)rewrite(rewriter, op, limit);
  }

  LogicalResult rewrite(IRRewriter &rewriter, LowpMatmulOp op, int64_t limit);
};

LogicalResult LowpMatmulToIntegerPass::rewrite(IRRewriter &rewriter,
                                               LowpMatmulOp op,
                                               int64_t limit) {
  if (op.getAccumulation() != Accumulation::f32)
    return failure();
  auto lhsType = cast<QTensorType>(op.getLhs().getType());
  auto rhsType = cast<QTensorType>(op.getRhs().getType());
  std::optional<IntegerFormat> fa = getIntegerFormat(lhsType.getFormat());
  std::optional<IntegerFormat> fb = getIntegerFormat(rhsType.getFormat());
  if (!fa || !fb)
    return failure();
  bool ta = op.getTransposeA(), tb = op.getTransposeB();
  int64_t m = ta ? lhsType.getShape()[1] : lhsType.getShape()[0];
  int64_t k = ta ? lhsType.getShape()[0] : lhsType.getShape()[1];
  int64_t n = tb ? rhsType.getShape()[0] : rhsType.getShape()[1];
  if (m <= 0 || n <= 0 || k <= 0)
    return failure();
  // The compile-time bound on every partial sum (exact in f32 / in i32).
  __int128 worst = static_cast<__int128>(k) * fa->maxAbs * fb->maxAbs;
  if (worst > limit)
    return failure();

  std::optional<GemmPlan> plan =
      planGemm(*fa, *fb, vnni, limit, rewriter.getContext());
  if (!plan)
    return failure();
  OperandPlan a = plan->a, b = plan->b;

  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  auto ua = UnpackOp::create(rewriter, loc, op.getLhs());
  auto ub = UnpackOp::create(rewriter, loc, op.getRhs());

  auto [aFlat, aMask] = emitDecode(
      rewriter, loc, ua.getCodes(), lhsType.getNumElements(), a.elementType,
      tableOf(a), a.format.isNaN, a.format.hasNaN);
  auto [bFlat, bMask] = emitDecode(
      rewriter, loc, ub.getCodes(), rhsType.getNumElements(), b.elementType,
      tableOf(b), b.format.isNaN, b.format.hasNaN);

  Value aMK = expand(rewriter, loc, aFlat, lhsType.getShape());
  if (ta)
    aMK = transpose(rewriter, loc, aMK, {1, 0});
  Value bStored = expand(rewriter, loc, bFlat, rhsType.getShape());
  Value acc = emitIntegerGemm(rewriter, loc, *plan, aMK, bStored, tb, m, k, n);
  MLIRContext *ctx = rewriter.getContext();

  // Side inputs of the final step: the offset correction sum_k B[k, n] and
  // the NaN flags of the rows of op(A) and the columns of op(B).
  SmallVector<Value> inputs{acc};
  SmallVector<AffineMap> maps;
  AffineExpr i = getAffineDimExpr(0, ctx), j = getAffineDimExpr(1, ctx);
  maps.push_back(AffineMap::get(2, 0, {i, j}, ctx));
  int corrIndex = -1, rowNaNIndex = -1, colNaNIndex = -1;
  if (a.offset) {
    // bStored is [n, k] (transpose_b) or [k, n].
    Value corr = reduce2D(rewriter, loc, bStored, tb ? 1 : 0,
                          /*orMask=*/false);
    corrIndex = inputs.size();
    inputs.push_back(corr);
    maps.push_back(AffineMap::get(2, 0, {j}, ctx));
  }
  if (aMask) {
    Value mask = expand(rewriter, loc, aMask, lhsType.getShape());
    rowNaNIndex = inputs.size();
    inputs.push_back(reduce2D(rewriter, loc, mask, ta ? 0 : 1, true));
    maps.push_back(AffineMap::get(2, 0, {i}, ctx));
  }
  if (bMask) {
    Value mask = expand(rewriter, loc, bMask, rhsType.getShape());
    colNaNIndex = inputs.size();
    inputs.push_back(reduce2D(rewriter, loc, mask, tb ? 1 : 0, true));
    maps.push_back(AffineMap::get(2, 0, {j}, ctx));
  }
  maps.push_back(AffineMap::get(2, 0, {i, j}, ctx));

  // C = f32(acc) * 2^-(sA+sB) / (scale(A) * scale(B)); the first product is
  // exact, the division is the one of the f32 definition.
  Type f32 = rewriter.getF32Type();
  Value denom = arith::MulFOp::create(rewriter, loc, ua.getScale(),
                                      ub.getScale());
  int shift = a.format.shift + b.format.shift;
  Value unit = arith::ConstantOp::create(
      rewriter, loc, rewriter.getF32FloatAttr(std::ldexp(1.0f, -shift)));
  Value nan = arith::ConstantOp::create(
      rewriter, loc,
      rewriter.getF32FloatAttr(std::numeric_limits<float>::quiet_NaN()));
  Value offset = arith::ConstantOp::create(
      rewriter, loc, rewriter.getI32IntegerAttr(a.offset));
  Value result = emitF32Map2D(
      rewriter, loc, inputs, maps, m, n,
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        Value v = args[0];
        if (corrIndex >= 0)
          v = arith::SubIOp::create(
              nb, l, v, arith::MulIOp::create(nb, l, offset, args[corrIndex]));
        Value f = arith::SIToFPOp::create(nb, l, f32, v);
        if (shift != 0)
          f = arith::MulFOp::create(nb, l, f, unit);
        Value isNaN;
        for (int idx : {rowNaNIndex, colNaNIndex}) {
          if (idx < 0)
            continue;
          Value flag =
              arith::TruncIOp::create(nb, l, nb.getI1Type(), args[idx]);
          isNaN = isNaN ? arith::OrIOp::create(nb, l, isNaN, flag).getResult()
                        : flag;
        }
        if (isNaN)
          f = arith::SelectOp::create(nb, l, isNaN, nan, f);
        return arith::DivFOp::create(nb, l, f, denom);
      });
  rewriter.replaceOp(op, result);
  return success();
}

} // namespace

bool ::fp4::isElementMove(linalg::GenericOp g) {
  if (g.getNumDpsInputs() != 1 || g.getNumDpsInits() != 1 ||
      g.getNumReductionLoops() != 0 || !g.hasPureTensorSemantics())
    return false;
  Block &body = g.getRegion().front();
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  return &body.front() == yield.getOperation() &&
         yield.getNumOperands() == 1 &&
         yield.getOperand(0) == body.getArgument(0);
}
