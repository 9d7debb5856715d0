//===- FP4ToStandard.cpp - Lower fp4 ops to upstream tensor-level IR ------===//
//
// Part of the fp4 project.
//
// One dialect conversion that (1) replaces every !fp4.qtensor value by its
// storage (a 1-D tensor of codes and an f32 scale, a 1:2 type conversion that
// also rewrites function signatures, calls, returns and scf loops) and (2)
// rewrites the fp4 ops into vector loops on tensors and linalg ops whose
// arithmetic follows SPEC-numerics bit for bit (see FormatCodec).
//
//===----------------------------------------------------------------------===//

#include "fp4/Conversion/FP4ToStandard.h"
#include "fp4/Conversion/FormatCodec.h"
#include "fp4/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/Passes.h"

#include <limits>

namespace fp4 {
#define GEN_PASS_DEF_CONVERTFP4TOSTANDARD
#include "fp4/Conversion/Passes.h.inc"
} // namespace fp4

using namespace mlir;
using namespace mlir::fp4;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Reshapes a statically shaped tensor to 1-D.
Value flatten(OpBuilder &b, Location loc, Value t) {
  auto type = cast<RankedTensorType>(t.getType());
  auto flatType = RankedTensorType::get({type.getNumElements()},
                                        type.getElementType());
  if (type.getRank() == 1)
    return t;
  if (type.getRank() == 0)
    return tensor::ExpandShapeOp::create(b, loc, flatType, t,
                                         ArrayRef<ReassociationIndices>{});
  ReassociationIndices all;
  for (int64_t i = 0; i < type.getRank(); ++i)
    all.push_back(i);
  return tensor::CollapseShapeOp::create(b, loc, flatType, t,
                                         ArrayRef<ReassociationIndices>{all});
}

/// Reshapes a 1-D tensor to `shape`.
Value unflatten(OpBuilder &b, Location loc, Value flat,
                ArrayRef<int64_t> shape) {
  auto flatType = cast<RankedTensorType>(flat.getType());
  auto type = RankedTensorType::get(shape, flatType.getElementType());
  if (type.getRank() == 1)
    return flat;
  if (type.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, type, flat,
                                           ArrayRef<ReassociationIndices>{});
  ReassociationIndices all;
  for (int64_t i = 0; i < type.getRank(); ++i)
    all.push_back(i);
  return tensor::ExpandShapeOp::create(b, loc, type, flat,
                                       ArrayRef<ReassociationIndices>{all});
}

Value cIndex(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// Body of a vector loop: gets the first element index `iv`, the element
/// index that position 0 of the destination tensor (the first loop-carried
/// value of a loop that writes one) stands for (`base`: 0, or the first
/// element of a parallel chunk), whether this is the partial tail iteration
/// (then `count` lanes are valid), and the loop-carried values; returns the
/// new loop-carried values.
using VectorBody = function_ref<SmallVector<Value>(
    OpBuilder &, Location, Value iv, Value base, bool tail, int64_t count,
    ValueRange)>;

/// Emits `for i = start .. n step width` over full vectors, then one tail
/// iteration for the remaining elements, threading `inits`.
SmallVector<Value> emitVectorLoop(OpBuilder &b, Location loc, int64_t n,
                                  int64_t width, ValueRange inits,
                                  VectorBody body, int64_t start = 0) {
  SmallVector<Value> values(inits);
  int64_t full = start + ((n - start) / width) * width;
  Value base = cIndex(b, loc, 0);
  if (full > start) {
    auto loop = scf::ForOp::create(
        b, loc, cIndex(b, loc, start), cIndex(b, loc, full),
        cIndex(b, loc, width), values,
        [&](OpBuilder &nb, Location nloc, Value iv, ValueRange args) {
          SmallVector<Value> next =
              body(nb, nloc, iv, base, false, width, args);
          scf::YieldOp::create(nb, nloc, next);
        });
    values.assign(loop.getResults().begin(), loop.getResults().end());
  }
  if (n > full)
    values = body(b, loc, cIndex(b, loc, full), base, true, n - full, values);
  return values;
}

/// Combines two partial values of a loop-carried accumulator.
using Combine =
    function_ref<Value(OpBuilder &, Location, Value partial, Value acc)>;

/// The loop of emitVectorLoop with its full chunks of `chunk` elements as
/// the iterations of an scf.forall (threads, on the CPU), when there are at
/// least two. With `hasOut`, inits[0] is a destination tensor whose
/// position i holds element i * outDiv (the body writes it relative to
/// `base`); every other init is an accumulator whose init is the identity
/// of `combine`: each chunk starts from it, and the partial results of the
/// chunks are combined in chunk order, then the remainder runs on. The
/// callers' accumulators are exact (integer counts, maxima), so the result
/// does not depend on the chunking.
SmallVector<Value> emitChunkedVectorLoop(OpBuilder &b, Location loc,
                                         int64_t n, int64_t width,
                                         int64_t chunk, bool hasOut,
                                         int64_t outDiv, ValueRange inits,
                                         VectorBody body, Combine combine) {
  chunk = chunk / (width * outDiv) * (width * outDiv);
  int64_t chunks = chunk > 0 ? n / chunk : 0;
  if (chunks < 2)
    return emitVectorLoop(b, loc, n, width, inits, body);

  // Per-chunk partials of the accumulators: tensor<chunks x T> (scalars)
  // or tensor<chunks x lanes x T> (vectors).
  unsigned first = hasOut ? 1 : 0;
  SmallVector<Value> outputs;
  if (hasOut)
    outputs.push_back(inits[0]);
  for (Value acc : inits.drop_front(first)) {
    SmallVector<int64_t> shape{chunks};
    Type element = acc.getType();
    if (auto vt = dyn_cast<VectorType>(element)) {
      shape.append(vt.getShape().begin(), vt.getShape().end());
      element = vt.getElementType();
    }
    outputs.push_back(tensor::EmptyOp::create(b, loc, shape, element));
  }
  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(chunks)}, outputs,
      std::nullopt);
  {
    OpBuilder nb = OpBuilder::atBlockBegin(forall.getBody());
    Value c = forall.getInductionVars()[0];
    ValueRange shared = forall.getRegionIterArgs();
    Value start = arith::MulIOp::create(nb, loc, c, cIndex(nb, loc, chunk));
    Value outStart;
    SmallVector<Value> loopInits;
    if (hasOut) {
      outStart = outDiv == 1 ? start
                             : arith::DivUIOp::create(nb, loc, start,
                                                      cIndex(nb, loc, outDiv));
      auto outType = cast<RankedTensorType>(shared[0].getType());
      auto sliceType = RankedTensorType::get({chunk / outDiv},
                                             outType.getElementType());
      loopInits.push_back(tensor::ExtractSliceOp::create(
          nb, loc, sliceType, shared[0], ArrayRef<OpFoldResult>{outStart},
          ArrayRef<OpFoldResult>{nb.getIndexAttr(chunk / outDiv)},
          ArrayRef<OpFoldResult>{nb.getIndexAttr(1)}));
    }
    llvm::append_range(loopInits, inits.drop_front(first));
    Value end = arith::AddIOp::create(nb, loc, start, cIndex(nb, loc, chunk));
    auto loop = scf::ForOp::create(
        nb, loc, start, end, cIndex(nb, loc, width), loopInits,
        [&](OpBuilder &lb, Location l, Value iv, ValueRange args) {
          scf::YieldOp::create(lb, l,
                               body(lb, l, iv, start, false, width, args));
        });
    nb.setInsertionPointToEnd(forall.getTerminator().getBody());
    OpBuilder rb(forall.getTerminator()); // rows: before the terminator
    for (auto [i, result] : llvm::enumerate(loop.getResults())) {
      Value dest = shared[i];
      if (hasOut && i == 0) {
        tensor::ParallelInsertSliceOp::create(
            nb, loc, result, dest, ArrayRef<OpFoldResult>{outStart},
            ArrayRef<OpFoldResult>{nb.getIndexAttr(chunk / outDiv)},
            ArrayRef<OpFoldResult>{nb.getIndexAttr(1)});
        continue;
      }
      // One row of the partials: [c] or [c, 0..lanes), written into its
      // slice of the shared destination (so that it bufferizes in place,
      // without a temporary row and a copy).
      auto destType = cast<RankedTensorType>(dest.getType());
      SmallVector<int64_t> rowShape(destType.getShape());
      rowShape[0] = 1;
      auto rowType = RankedTensorType::get(rowShape, destType.getElementType());
      SmallVector<OpFoldResult> offsets(rowShape.size(), nb.getIndexAttr(0));
      offsets[0] = c;
      SmallVector<OpFoldResult> sizes =
          getAsIndexOpFoldResult(nb.getContext(), rowShape);
      SmallVector<OpFoldResult> strides(rowShape.size(), nb.getIndexAttr(1));
      Value slot = tensor::ExtractSliceOp::create(rb, loc, rowType, dest,
                                                  offsets, sizes, strides);
      Value c0 = cIndex(rb, loc, 0);
      Value row;
      if (auto vt = dyn_cast<VectorType>(result.getType())) {
        auto v2 = VectorType::get({1, vt.getNumElements()},
                                  vt.getElementType());
        Value r2 = vector::ShapeCastOp::create(rb, loc, v2, result);
        row = vector::TransferWriteOp::create(rb, loc, r2, slot,
                                              ValueRange{c0, c0},
                                              ArrayRef<bool>{true, true})
                  .getResult();
      } else {
        row = tensor::InsertOp::create(rb, loc, result, slot, ValueRange{c0});
      }
      tensor::ParallelInsertSliceOp::create(nb, loc, row, dest, offsets, sizes,
                                            strides);
    }
  }

  // Combine the partials in chunk order, then run the remainder.
  SmallVector<Value> values;
  if (hasOut)
    values.push_back(forall.getResult(0));
  for (auto [index, initValue] : llvm::enumerate(inits.drop_front(first))) {
    Value init = initValue;
    Value partials = forall.getResult(first + index);
    auto loop = scf::ForOp::create(
        b, loc, cIndex(b, loc, 0), cIndex(b, loc, chunks), cIndex(b, loc, 1),
        ValueRange{init},
        [&](OpBuilder &lb, Location l, Value c, ValueRange args) {
          Value partial;
          if (auto vt = dyn_cast<VectorType>(init.getType())) {
            Value c0 = cIndex(lb, l, 0);
            Value pad = arith::ConstantOp::create(
                lb, l, lb.getZeroAttr(vt.getElementType()));
            auto v2 = VectorType::get({1, vt.getNumElements()},
                                      vt.getElementType());
            Value r2 = vector::TransferReadOp::create(
                lb, l, v2, partials, ValueRange{c, c0}, pad,
                ArrayRef<bool>{true, true});
            partial = vector::ShapeCastOp::create(lb, l, vt, r2);
          } else {
            partial = tensor::ExtractOp::create(lb, l, partials, ValueRange{c});
          }
          scf::YieldOp::create(lb, l, combine(lb, l, partial, args[0]));
        });
    values.push_back(loop.getResult(0));
  }
  return emitVectorLoop(b, loc, n, width, values, body, chunks * chunk);
}

VectorType vecOf(int64_t width, Type elementType) {
  return VectorType::get({width}, elementType);
}

/// Reads `width` elements at `iv` (padding with zeros past the end).
Value readVector(OpBuilder &b, Location loc, Value src, Value iv,
                 int64_t width, bool inBounds) {
  Type elementType = cast<RankedTensorType>(src.getType()).getElementType();
  Value pad = arith::ConstantOp::create(b, loc, b.getZeroAttr(elementType));
  auto type = vecOf(width, elementType);
  bool flags[1] = {inBounds};
  return vector::TransferReadOp::create(b, loc, type, src, ValueRange{iv}, pad,
                                        ArrayRef<bool>(flags));
}

/// Writes `vec` into `dst` at `iv` (masked past the end); returns the tensor.
Value writeVector(OpBuilder &b, Location loc, Value vec, Value dst, Value iv,
                  bool inBounds) {
  bool flags[1] = {inBounds};
  auto write = vector::TransferWriteOp::create(b, loc, vec, dst, ValueRange{iv},
                                               ArrayRef<bool>(flags));
  return write.getResult();
}

/// Number of set lanes of an i1 vector, as i64.
Value countLanes(OpBuilder &b, Location loc, Value mask) {
  auto type = cast<VectorType>(mask.getType());
  Value wide = arith::ExtUIOp::create(b, loc, type.clone(b.getI32Type()), mask);
  Value sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                          wide);
  return arith::ExtUIOp::create(b, loc, b.getI64Type(), sum);
}

/// Index of the byte that holds 4-bit element `iv`.
Value halfIndex(OpBuilder &b, Location loc, Value iv) {
  return arith::DivUIOp::create(b, loc, iv, cIndex(b, loc, 2));
}

/// Decodes a flat storage tensor into a flat f32 tensor of values in format
/// units, divided by `scale` when it is given.
Value emitDecodeLoop(OpBuilder &b, Location loc, FormatAttr format,
                     Value codes, int64_t n, Value scale, Type resultElement,
                     int64_t width, int64_t chunk) {
  Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{n},
                                       resultElement);
  bool four = format.getBitWidth() == 4;
  SmallVector<Value> out = emitChunkedVectorLoop(
      b, loc, n, width, chunk, /*hasOut=*/true, /*outDiv=*/1, ValueRange{init},
      [&](OpBuilder &nb, Location nloc, Value iv, Value base, bool tail,
          int64_t, ValueRange args) -> SmallVector<Value> {
        Value vcodes;
        if (four) {
          Value bytes = readVector(nb, nloc, codes, halfIndex(nb, nloc, iv),
                                   width / 2, !tail);
          auto byteType = vecOf(width / 2, nb.getI8Type());
          Value lo = arith::AndIOp::create(
              nb, nloc, bytes,
              arith::ConstantOp::create(
                  nb, nloc,
                  DenseElementsAttr::get(byteType, nb.getI8IntegerAttr(15))));
          Value hi = arith::ShRUIOp::create(
              nb, nloc, bytes,
              arith::ConstantOp::create(
                  nb, nloc,
                  DenseElementsAttr::get(byteType, nb.getI8IntegerAttr(4))));
          SmallVector<int64_t> interleave;
          for (int64_t i = 0; i < width / 2; ++i) {
            interleave.push_back(i);
            interleave.push_back(i + width / 2);
          }
          vcodes = vector::ShuffleOp::create(nb, nloc, lo, hi, interleave);
        } else {
          vcodes = readVector(nb, nloc, codes, iv, width, !tail);
        }
        ::fp4::FormatCodec codec(nb, nloc, format,
                               vecOf(width, nb.getF32Type()));
        Value vals = codec.decode(vcodes);
        if (scale) {
          Value s = vector::BroadcastOp::create(
              nb, nloc, vecOf(width, nb.getF32Type()), scale);
          vals = arith::DivFOp::create(nb, nloc, vals, s);
        }
        if (resultElement != nb.getF32Type())
          vals = arith::TruncFOp::create(nb, nloc,
                                         vecOf(width, resultElement), vals);
        Value at = arith::SubIOp::create(nb, nloc, iv, base);
        return {writeVector(nb, nloc, vals, args[0], at, !tail)};
      },
      /*combine=*/nullptr);
  return out[0];
}

/// Emits max|x| over a flat f32 tensor (NaN-propagating, so a NaN anywhere
/// gives NaN; Inf gives Inf).
Value emitAbsMax(OpBuilder &b, Location loc, Value flat, int64_t width,
                 int64_t chunk) {
  int64_t n = cast<RankedTensorType>(flat.getType()).getNumElements();
  auto vt = vecOf(width, b.getF32Type());
  Value zero = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vt, b.getF32FloatAttr(0.0f)));
  SmallVector<Value> acc = emitChunkedVectorLoop(
      b, loc, n, width, chunk, /*hasOut=*/false, 1, ValueRange{zero},
      [&](OpBuilder &nb, Location nloc, Value iv, Value, bool tail, int64_t,
          ValueRange args) -> SmallVector<Value> {
        Value v = readVector(nb, nloc, flat, iv, width, !tail);
        Value a = math::AbsFOp::create(nb, nloc, v);
        return {arith::MaximumFOp::create(nb, nloc, args[0], a)};
      },
      [](OpBuilder &nb, Location l, Value partial, Value acc) -> Value {
        return arith::MaximumFOp::create(nb, l, acc, partial);
      });
  return vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXIMUMF,
                                     acc[0]);
}

//===----------------------------------------------------------------------===//
// Scalar power-of-two arithmetic on f32 bits (SPEC 4.1)
//===----------------------------------------------------------------------===//

struct ScalarBuilder {
  OpBuilder &b;
  Location loc;
  Value i32(int64_t v) {
    return arith::ConstantOp::create(
        b, loc, b.getI32IntegerAttr(static_cast<int32_t>(v)));
  }
  Value f32(float v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value bits(Value f) {
    return arith::BitcastOp::create(b, loc, b.getI32Type(), f);
  }
  Value fromBits(Value i) {
    return arith::BitcastOp::create(b, loc, b.getF32Type(), i);
  }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  Value icmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value fcmp(arith::CmpFPredicate p, Value x, Value y) {
    return arith::CmpFOp::create(b, loc, p, x, y);
  }
  Value isNonFinite(Value f) {
    Value ab = arith::AndIOp::create(b, loc, bits(f), i32(0x7FFFFFFF));
    return icmp(arith::CmpIPredicate::uge, ab, i32(0x7F800000));
  }

  /// s * 2^k with the exponent clamped to the normal range; s must be a
  /// positive normal power of two (other s are returned unchanged).
  Value mulPow2Clamped(Value s, Value k) {
    Value sb = bits(s);
    Value be = arith::AndIOp::create(
        b, loc, arith::ShRUIOp::create(b, loc, sb, i32(23)), i32(0xFF));
    Value nbe = arith::AddIOp::create(b, loc, be, k);
    nbe = arith::MaxSIOp::create(b, loc, nbe, i32(1));
    nbe = arith::MinSIOp::create(b, loc, nbe, i32(254));
    Value r = fromBits(arith::OrIOp::create(
        b, loc, arith::AndIOp::create(b, loc, sb, i32(0x807FFFFF)),
        arith::ShLIOp::create(b, loc, nbe, i32(23))));
    Value special = arith::OrIOp::create(
        b, loc,
        arith::OrIOp::create(b, loc,
                             icmp(arith::CmpIPredicate::eq, be, i32(0)),
                             icmp(arith::CmpIPredicate::eq, be, i32(255))),
        icmp(arith::CmpIPredicate::ne,
             arith::ShRUIOp::create(b, loc, sb, i32(31)), i32(0)));
    return select(special, s, r);
  }

  /// s * 2^k with k the largest integer such that m * 2^k <= maxMag, for a
  /// finite m > 0 (the numerics library's gradscaleFromMax).
  Value fromMax(Value s, Value m, double maxMag) {
    // MAX = sx * 2^(ex - 23) with a normalized 24-bit sx (compile time).
    int ex = 0;
    double frac = std::frexp(maxMag, &ex); // maxMag = frac * 2^ex
    ex -= 1;
    uint32_t sx = static_cast<uint32_t>(std::ldexp(frac, 24));
    // m = sm * 2^(em - 23), normalizing subnormals with a count of zeros.
    Value mb = arith::AndIOp::create(b, loc, bits(m), i32(0x7FFFFFFF));
    Value be = arith::ShRUIOp::create(b, loc, mb, i32(23));
    Value fracM = arith::AndIOp::create(b, loc, mb, i32(0x7FFFFF));
    Value isSub = icmp(arith::CmpIPredicate::eq, be, i32(0));
    Value lz = math::CountLeadingZerosOp::create(b, loc, fracM);
    Value shift = arith::SubIOp::create(b, loc, lz, i32(8));
    Value smSub = arith::ShLIOp::create(b, loc, fracM, shift);
    Value emSub = arith::SubIOp::create(b, loc, i32(-126), shift);
    Value smNorm = arith::OrIOp::create(b, loc, fracM, i32(0x800000));
    Value emNorm = arith::SubIOp::create(b, loc, be, i32(127));
    Value sm = select(isSub, smSub, smNorm);
    Value em = select(isSub, emSub, emNorm);
    Value k = arith::SubIOp::create(b, loc, i32(ex), em);
    Value dec = arith::ExtUIOp::create(
        b, loc, b.getI32Type(),
        icmp(arith::CmpIPredicate::ugt, sm, i32(sx)));
    k = arith::SubIOp::create(b, loc, k, dec);
    return mulPow2Clamped(s, k);
  }
};

//===----------------------------------------------------------------------===//
// Type conversion
//===----------------------------------------------------------------------===//

class QTensorTypeConverter : public TypeConverter {
public:
  QTensorTypeConverter() {
    addConversion([](Type type) { return type; });
    addConversion([](QTensorType type, SmallVectorImpl<Type> &results) {
      results.push_back(type.getStorageType());
      results.push_back(Float32Type::get(type.getContext()));
      return success();
    });
  }
};

/// The storage values (codes, scale) of a converted qtensor operand.
struct Storage {
  Value codes, scale;
};
Storage storageOf(ValueRange converted) {
  assert(converted.size() == 2 && "qtensor converts to codes and scale");
  return {converted[0], converted[1]};
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

struct PackLowering : OpConversionPattern<PackOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PackOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<Value> storage;
    llvm::append_range(storage, adaptor.getCodes());
    llvm::append_range(storage, adaptor.getScale());
    rewriter.replaceOpWithMultiple(op, {storage});
    return success();
  }
};

struct UnpackLowering : OpConversionPattern<UnpackOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(UnpackOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Storage s = storageOf(adaptor.getInput());
    rewriter.replaceOp(op, ValueRange{s.codes, s.scale});
    return success();
  }
};

struct QuantizeLowering : OpConversionPattern<QuantizeOp> {
  QuantizeLowering(const TypeConverter &converter, MLIRContext *ctx,
                   int64_t width, int64_t chunk)
      : OpConversionPattern(converter, ctx), width(width), chunk(chunk) {}

  LogicalResult
  matchAndRewrite(QuantizeOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    QTensorType qtype = op.getResultType();
    FormatAttr format = qtype.getFormat();
    Value input = adaptor.getInput().front();
    Value scale = adaptor.getScale().front();
    Value seed = adaptor.getSeed().empty() ? Value() : adaptor.getSeed().front();
    bool stochastic = op.getRounding() == Rounding::stochastic;
    bool withCounters = op.hasCounters();
    int64_t n = qtype.getNumElements();
    bool four = format.getBitWidth() == 4;
    Type f32 = rewriter.getF32Type();

    Value flat = flatten(rewriter, loc, input);
    RankedTensorType storageType = qtype.getStorageType();
    Value init = tensor::EmptyOp::create(rewriter, loc, storageType.getShape(),
                                         storageType.getElementType());
    Value zero64 = arith::ConstantOp::create(rewriter, loc,
                                             rewriter.getI64IntegerAttr(0));
    Value stream = arith::ConstantOp::create(
        rewriter, loc,
        rewriter.getI32IntegerAttr(
            op.getStream() ? static_cast<int32_t>(*op.getStream()) : 0));
    SmallVector<Value> inits{init};
    if (withCounters)
      inits.append({zero64, zero64, zero64});

    SmallVector<Value> results = emitChunkedVectorLoop(
        rewriter, loc, n, width, chunk, /*hasOut=*/true,
        /*outDiv=*/four ? 2 : 1, inits,
        [&](OpBuilder &b, Location l, Value iv, Value base, bool tail,
            int64_t count, ValueRange args) -> SmallVector<Value> {
          auto vf32 = vecOf(width, f32);
          Value v = readVector(b, l, flat, iv, width, !tail);
          if (v.getType() != vf32)
            v = arith::ExtFOp::create(b, l, vf32, v);
          Value s = vector::BroadcastOp::create(b, l, vf32, scale);
          Value x = arith::MulFOp::create(b, l, v, s);
          ::fp4::FormatCodec codec(b, l, format, vf32);
          ::fp4::EncodeResult enc;
          if (stochastic) {
            auto vi64 = vecOf(width, b.getI64Type());
            SmallVector<int64_t> lanes;
            for (int64_t i = 0; i < width; ++i)
              lanes.push_back(i);
            Value iota = arith::ConstantOp::create(
                b, l, DenseElementsAttr::get(vi64, ArrayRef<int64_t>(lanes)));
            Value base = vector::BroadcastOp::create(
                b, l, vi64,
                arith::IndexCastOp::create(b, l, b.getI64Type(), iv));
            Value index = arith::AddIOp::create(b, l, base, iota);
            Value u = codec.philoxUniform(index, seed, stream);
            enc = codec.encodeStochastic(x, u);
          } else {
            enc = codec.encodeNearest(x);
          }
          Value codes = enc.codes;
          Value valid;
          if (tail) {
            valid = vector::ConstantMaskOp::create(
                b, l, vecOf(width, b.getI1Type()), ArrayRef<int64_t>{count});
            // Past the end: code 0 (SPEC 3 pads an odd count's last nibble
            // with 0).
            Value zeros = arith::ConstantOp::create(
                b, l, b.getZeroAttr(codes.getType()));
            codes = arith::SelectOp::create(b, l, valid, codes, zeros);
          }
          SmallVector<Value> next;
          if (four) {
            SmallVector<int64_t> evens, odds;
            for (int64_t i = 0; i < width; i += 2) {
              evens.push_back(i);
              odds.push_back(i + 1);
            }
            Value lo = vector::ShuffleOp::create(b, l, codes, codes, evens);
            Value hi = vector::ShuffleOp::create(b, l, codes, codes, odds);
            auto byteType = vecOf(width / 2, b.getI8Type());
            Value four8 = arith::ConstantOp::create(
                b, l, DenseElementsAttr::get(byteType, b.getI8IntegerAttr(4)));
            Value bytes = arith::OrIOp::create(
                b, l, lo, arith::ShLIOp::create(b, l, hi, four8));
            Value at = arith::SubIOp::create(b, l, iv, base);
            next.push_back(writeVector(b, l, bytes, args[0],
                                       halfIndex(b, l, at), !tail));
          } else {
            Value at = arith::SubIOp::create(b, l, iv, base);
            next.push_back(writeVector(b, l, codes, args[0], at, !tail));
          }
          if (withCounters) {
            Value masks[3] = {enc.saturated, enc.flushed, enc.nonfinite};
            for (int i = 0; i < 3; ++i) {
              Value m = masks[i];
              if (tail)
                m = arith::AndIOp::create(b, l, m, valid);
              next.push_back(arith::AddIOp::create(b, l, args[1 + i],
                                                   countLanes(b, l, m)));
            }
          }
          return next;
        },
        [](OpBuilder &b, Location l, Value partial, Value acc) -> Value {
          return arith::AddIOp::create(b, l, acc, partial);
        });

    SmallVector<SmallVector<Value>> replacements;
    replacements.push_back({results[0], scale});
    for (size_t i = 1; i < results.size(); ++i)
      replacements.push_back({results[i]});
    rewriter.replaceOpWithMultiple(op, replacements);
    return success();
  }

  int64_t width;
  int64_t chunk;
};

struct DequantizeLowering : OpConversionPattern<DequantizeOp> {
  DequantizeLowering(const TypeConverter &converter, MLIRContext *ctx,
                     int64_t width, int64_t chunk)
      : OpConversionPattern(converter, ctx), width(width), chunk(chunk) {}

  LogicalResult
  matchAndRewrite(DequantizeOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto qtype = cast<QTensorType>(op.getInput().getType());
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Storage s = storageOf(adaptor.getInput());
    Operation *before = op->getPrevNode();
    Value flat = emitDecodeLoop(rewriter, loc, qtype.getFormat(), s.codes,
                                qtype.getNumElements(), s.scale,
                                resultType.getElementType(), width, chunk);
    // A backward-pass decode (fp4-apply-recipe) stays apart from an equal
    // forward one: its loops carry the tag, which CSE compares.
    if (op->hasAttr("fp4.backward_decode"))
      for (Operation *o = before ? before->getNextNode()
                                 : &op->getBlock()->front();
           o && o != op; o = o->getNextNode())
        if (o->getNumRegions() > 0)
          o->setAttr("fp4.backward_decode", rewriter.getUnitAttr());
    rewriter.replaceOp(op, unflatten(rewriter, loc, flat, qtype.getShape()));
    return success();
  }

  int64_t width;
  int64_t chunk;
};

struct GradScaleLowering : OpConversionPattern<GradScaleOp> {
  GradScaleLowering(const TypeConverter &converter, MLIRContext *ctx,
                    int64_t width, int64_t chunk)
      : OpConversionPattern(converter, ctx), width(width), chunk(chunk) {}

  LogicalResult
  matchAndRewrite(GradScaleOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput().front();
    Value scale = adaptor.getScale().front();
    auto type = cast<RankedTensorType>(input.getType());
    double maxMag = op.getFormat().getGradScaleMax();
    ScalarBuilder sb{rewriter, loc};
    using P = arith::CmpFPredicate;

    Value flat = flatten(rewriter, loc, input);
    Value m0 = emitAbsMax(rewriter, loc, flat, width, chunk);
    Value nonFinite = sb.isNonFinite(m0);
    Value isZero = sb.fcmp(P::OEQ, m0, sb.f32(0.0f));
    Value one = sb.f32(1.0f);
    Value uninit = sb.fcmp(P::OEQ, scale, sb.f32(0.0f));
    Value base = sb.select(uninit, one, scale);
    // The scale from this step's own maximum (current mode, first step).
    Value fromMax =
        sb.select(arith::OrIOp::create(rewriter, loc, nonFinite, isZero),
                  base, sb.fromMax(one, m0, maxMag));
    Value used, next;
    if (op.getMode() == GradScaleMode::current) {
      used = fromMax;
      next = sb.select(nonFinite, sb.mulPow2Clamped(used, sb.i32(-1)), used);
    } else {
      used = sb.select(uninit, fromMax, scale);
      // m = max|g * s| = max|g| * s: rounding is monotone, so the product
      // of the maximum is the maximum of the products.
      Value m = arith::MulFOp::create(rewriter, loc, m0, used);
      Value mNonFinite = sb.isNonFinite(m);
      Value over = sb.fcmp(P::OGT, m, sb.f32(maxMag));
      Value under = arith::AndIOp::create(
          rewriter, loc, sb.fcmp(P::OLE, m, sb.f32(maxMag * 0.5)),
          sb.fcmp(P::ONE, m, sb.f32(0.0f)));
      Value k = sb.select(arith::OrIOp::create(rewriter, loc, over, mNonFinite),
                          sb.i32(-1), sb.select(under, sb.i32(1), sb.i32(0)));
      next = sb.mulPow2Clamped(used, k);
    }
    // result = g * used, elementwise.
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         type.getElementType());
    auto map = rewriter.getMultiDimIdentityMap(type.getRank());
    SmallVector<utils::IteratorType> iters(type.getRank(),
                                           utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{input}, ValueRange{init},
        ArrayRef<AffineMap>{map, map}, iters,
        [&](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(b, l,
                                  ValueRange{arith::MulFOp::create(
                                      b, l, args[0], used)});
        });
    rewriter.replaceOp(op, ValueRange{generic.getResult(0), used, next});
    return success();
  }

  int64_t width;
  int64_t chunk;
};

struct ComputeScaleLowering : OpConversionPattern<ComputeScaleOp> {
  ComputeScaleLowering(const TypeConverter &converter, MLIRContext *ctx,
                       int64_t width, int64_t chunk)
      : OpConversionPattern(converter, ctx), width(width), chunk(chunk) {}

  LogicalResult
  matchAndRewrite(ComputeScaleOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput().front();
    Value flat = flatten(rewriter, loc, input);
    ScalarBuilder sb{rewriter, loc};
    using P = arith::CmpFPredicate;
    Value one = sb.f32(1.0f);
    if (op.getRule() == ScaleRule::amax) {
      Value amax = emitAbsMax(rewriter, loc, flat, width, chunk);
      Value bad = arith::OrIOp::create(rewriter, loc, sb.isNonFinite(amax),
                                       sb.fcmp(P::OEQ, amax, sb.f32(0.0f)));
      Value s = arith::DivFOp::create(
          rewriter, loc, sb.f32(op.getFormat().getMaxMagnitude()), amax);
      // A tiny maximum can overflow the division: clamp to the largest f32.
      s = arith::MinimumFOp::create(
          rewriter, loc, s, sb.f32(std::numeric_limits<float>::max()));
      rewriter.replaceOp(op, sb.select(bad, one, s));
      return success();
    }
    // SAWB (SPEC 4.2): both means accumulated in f64, in index order, so
    // the CPU result equals the numerics library's exactly.
    int64_t n = cast<RankedTensorType>(flat.getType()).getNumElements();
    Type f64 = rewriter.getF64Type();
    auto cf64 = [&](double v) -> Value {
      return arith::ConstantOp::create(rewriter, loc,
                                       rewriter.getF64FloatAttr(v));
    };
    Value zero32 = sb.f32(0.0f);
    auto loop = scf::ForOp::create(
        rewriter, loc, cIndex(rewriter, loc, 0), cIndex(rewriter, loc, n),
        cIndex(rewriter, loc, 1), ValueRange{cf64(0.0), cf64(0.0)},
        [&](OpBuilder &b, Location l, Value iv, ValueRange args) {
          Value w = tensor::ExtractOp::create(b, l, flat, ValueRange{iv});
          Value a = math::AbsFOp::create(b, l, w);
          Value d = arith::ExtFOp::create(b, l, f64, a);
          Value sumAbs = arith::AddFOp::create(b, l, args[0], d);
          Value sumSq = arith::AddFOp::create(
              b, l, args[1], arith::MulFOp::create(b, l, d, d));
          scf::YieldOp::create(b, l, ValueRange{sumAbs, sumSq});
        });
    Value sumAbs = loop.getResult(0), sumSq = loop.getResult(1);
    // max|w| in its own vectorized pass (any order gives the same maximum;
    // maximumf propagates NaN, so a NaN weight is seen as non-finite): in
    // the sums' loop, the expansion of a scalar maximumf (x86 has no
    // NaN-propagating max) made a loop-carried chain several times longer
    // than the f64 additions'.
    Value maxAbs = emitAbsMax(rewriter, loc, flat, width, chunk);
    Value dn = cf64(static_cast<double>(n));
    Value meanAbs = arith::DivFOp::create(rewriter, loc, sumAbs, dn);
    Value meanSq = arith::DivFOp::create(rewriter, loc, sumSq, dn);
    Value t1 = arith::MulFOp::create(rewriter, loc, cf64(12.1),
                                     math::SqrtOp::create(rewriter, loc,
                                                          meanSq));
    Value t2 = arith::MulFOp::create(rewriter, loc, cf64(12.2), meanAbs);
    Value alpha = arith::SubFOp::create(rewriter, loc, t1, t2);
    Value maxD = arith::ExtFOp::create(rewriter, loc, f64, maxAbs);
    Value useMax = arith::OrIOp::create(
        rewriter, loc,
        arith::CmpFOp::create(rewriter, loc, P::UGT, cf64(0.0), alpha)
            .getResult(),
        arith::CmpFOp::create(rewriter, loc, P::OGT, alpha, maxD).getResult());
    // !(alpha > 0) is "0 >= alpha or unordered".
    useMax = arith::OrIOp::create(
        rewriter, loc, useMax,
        arith::CmpFOp::create(rewriter, loc, P::OEQ, alpha, cf64(0.0)));
    alpha = arith::SelectOp::create(rewriter, loc, useMax, maxD, alpha);
    Value scale = arith::TruncFOp::create(
        rewriter, loc, rewriter.getF32Type(),
        arith::DivFOp::create(rewriter, loc, cf64(7.0), alpha));
    Value bad = arith::OrIOp::create(rewriter, loc, sb.isNonFinite(maxAbs),
                                     sb.fcmp(P::OEQ, maxAbs, zero32));
    rewriter.replaceOp(op, sb.select(bad, one, scale));
    return success();
  }

  int64_t width;
  int64_t chunk;
};

struct LowpMatmulLowering : OpConversionPattern<LowpMatmulOp> {
  LowpMatmulLowering(const TypeConverter &converter, MLIRContext *ctx,
                     int64_t width, int64_t chunk)
      : OpConversionPattern(converter, ctx), width(width), chunk(chunk) {}

  /// Decodes a qtensor operand into an f32 tensor of values in format units.
  Value decodeOperand(OpBuilder &b, Location loc, QTensorType type,
                      Storage s) const {
    Value flat = emitDecodeLoop(b, loc, type.getFormat(), s.codes,
                                type.getNumElements(), /*scale=*/Value(),
                                b.getF32Type(), width, chunk);
    return unflatten(b, loc, flat, type.getShape());
  }

  LogicalResult
  matchAndRewrite(LowpMatmulOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto lhsType = cast<QTensorType>(op.getLhs().getType());
    auto rhsType = cast<QTensorType>(op.getRhs().getType());
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Storage ls = storageOf(adaptor.getLhs()), rs = storageOf(adaptor.getRhs());
    Value a = decodeOperand(rewriter, loc, lhsType, ls);
    Value b = decodeOperand(rewriter, loc, rhsType, rs);
    MLIRContext *ctx = rewriter.getContext();
    Type f32 = rewriter.getF32Type();
    int64_t k = op.getTransposeA() ? lhsType.getShape()[0]
                                   : lhsType.getShape()[1];
    int64_t m = resultType.getShape()[0], n = resultType.getShape()[1];

    Value zero = arith::ConstantOp::create(rewriter, loc,
                                           rewriter.getF32FloatAttr(0.0f));
    Value acc;
    if (op.getAccumulation() == Accumulation::f32) {
      // acc[i,j] = sum over k in increasing order, from 0, in f32.
      AffineExpr i, j, kk;
      bindDims(ctx, i, j, kk);
      auto mapA = AffineMap::get(3, 0, op.getTransposeA()
                                           ? ArrayRef<AffineExpr>{kk, i}
                                           : ArrayRef<AffineExpr>{i, kk},
                                 ctx);
      auto mapB = AffineMap::get(3, 0, op.getTransposeB()
                                           ? ArrayRef<AffineExpr>{j, kk}
                                           : ArrayRef<AffineExpr>{kk, j},
                                 ctx);
      auto mapC = AffineMap::get(3, 0, {i, j}, ctx);
      Value init = tensor::EmptyOp::create(rewriter, loc,
                                           ArrayRef<int64_t>{m, n}, f32);
      init = linalg::FillOp::create(rewriter, loc, zero, init).getResult(0);
      acc = linalg::GenericOp::create(
                rewriter, loc, TypeRange{init.getType()}, ValueRange{a, b},
                ValueRange{init}, ArrayRef<AffineMap>{mapA, mapB, mapC},
                ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                              utils::IteratorType::parallel,
                                              utils::IteratorType::reduction},
                [&](OpBuilder &nb, Location l, ValueRange args) {
                  Value p = arith::MulFOp::create(nb, l, args[0], args[1]);
                  linalg::YieldOp::create(
                      nb, l,
                      ValueRange{arith::AddFOp::create(nb, l, args[2], p)});
                })
                .getResult(0);
    } else {
      acc = emitChunkedF16(rewriter, loc, op, a, b, m, n, k);
    }

    // C = acc / (scale(A) * scale(B)), one f32 multiply and one division.
    Value denom = arith::MulFOp::create(rewriter, loc, ls.scale, rs.scale);
    auto id = rewriter.getMultiDimIdentityMap(2);
    Value out = tensor::EmptyOp::create(rewriter, loc, ArrayRef<int64_t>{m, n},
                                        f32);
    auto scaled = linalg::GenericOp::create(
        rewriter, loc, TypeRange{out.getType()}, ValueRange{acc},
        ValueRange{out}, ArrayRef<AffineMap>{id, id},
        ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                      utils::IteratorType::parallel},
        [&](OpBuilder &nb, Location l, ValueRange args) {
          linalg::YieldOp::create(
              nb, l, ValueRange{arith::DivFOp::create(nb, l, args[0], denom)});
        });
    rewriter.replaceOp(op, scaled.getResult(0));
    return success();
  }

  /// IBM chunk-based accumulation (SPEC 7): per chunk of `chunk` products
  /// the running f16 sum is rounded once per addition (the exact sum of an
  /// f16 and a product of two decoded values fits f64, so an f64 add and one
  /// f64->f16 rounding give exactly that); chunk sums are then added in f32
  /// in chunk order.
  Value emitChunkedF16(OpBuilder &rewriter, Location loc, LowpMatmulOp op,
                       Value a, Value b, int64_t m, int64_t n,
                       int64_t k) const {
    MLIRContext *ctx = rewriter.getContext();
    int64_t chunk = *op.getChunk();
    int64_t chunks = (k + chunk - 1) / chunk;
    int64_t kp = chunks * chunk;
    Type f32 = rewriter.getF32Type(), f16 = rewriter.getF16Type(),
         f64 = rewriter.getF64Type();
    Value zero = arith::ConstantOp::create(rewriter, loc,
                                           rewriter.getF32FloatAttr(0.0f));
    // Zero-pad the reduction dimension to a multiple of the chunk: adding
    // +0 to an f16 sum that started at +0 leaves it unchanged.
    auto pad = [&](Value t, bool kFirst) -> Value {
      if (kp == k)
        return t;
      auto type = cast<RankedTensorType>(t.getType());
      SmallVector<int64_t> shape(type.getShape());
      SmallVector<OpFoldResult> lo(2, rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> hi(2, rewriter.getIndexAttr(0));
      int dim = kFirst ? 0 : 1;
      shape[dim] = kp;
      hi[dim] = rewriter.getIndexAttr(kp - k);
      return tensor::PadOp::create(
          rewriter, loc, RankedTensorType::get(shape, f32), t, lo, hi, zero);
    };
    a = pad(a, op.getTransposeA());
    b = pad(b, !op.getTransposeB());
    // Split k into (chunk index, position in chunk) so that every indexing
    // map stays a projected permutation.
    auto split = [&](Value t, bool kFirst) -> Value {
      auto type = cast<RankedTensorType>(t.getType());
      int64_t other = type.getShape()[kFirst ? 1 : 0];
      SmallVector<int64_t> shape =
          kFirst ? SmallVector<int64_t>{chunks, chunk, other}
                 : SmallVector<int64_t>{other, chunks, chunk};
      SmallVector<ReassociationIndices> groups =
          kFirst ? SmallVector<ReassociationIndices>{{0, 1}, {2}}
                 : SmallVector<ReassociationIndices>{{0}, {1, 2}};
      return tensor::ExpandShapeOp::create(
          rewriter, loc, RankedTensorType::get(shape, f32), t, groups);
    };
    a = split(a, op.getTransposeA());
    b = split(b, !op.getTransposeB());

    AffineExpr i, j, c, kk;
    bindDims(ctx, i, j, c, kk);
    auto mapA = AffineMap::get(
        4, 0,
        op.getTransposeA() ? ArrayRef<AffineExpr>{c, kk, i}
                           : ArrayRef<AffineExpr>{i, c, kk},
        ctx);
    auto mapB = AffineMap::get(
        4, 0,
        op.getTransposeB() ? ArrayRef<AffineExpr>{j, c, kk}
                           : ArrayRef<AffineExpr>{c, kk, j},
        ctx);
    auto mapD = AffineMap::get(4, 0, {i, j, c}, ctx);
    Value zero16 = arith::ConstantOp::create(rewriter, loc,
                                             rewriter.getF16FloatAttr(0.0f));
    Value dInit = tensor::EmptyOp::create(
        rewriter, loc, ArrayRef<int64_t>{m, n, chunks}, f16);
    dInit = linalg::FillOp::create(rewriter, loc, zero16, dInit).getResult(0);
    Value partial =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{dInit.getType()}, ValueRange{a, b},
            ValueRange{dInit}, ArrayRef<AffineMap>{mapA, mapB, mapD},
            ArrayRef<utils::IteratorType>{
                utils::IteratorType::parallel, utils::IteratorType::parallel,
                utils::IteratorType::parallel,
                utils::IteratorType::reduction},
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value p = arith::MulFOp::create(nb, l, args[0], args[1]);
              Value sum = arith::AddFOp::create(
                  nb, l, arith::ExtFOp::create(nb, l, f64, args[2]),
                  arith::ExtFOp::create(nb, l, f64, p));
              linalg::YieldOp::create(
                  nb, l, ValueRange{arith::TruncFOp::create(nb, l, f16, sum)});
            })
            .getResult(0);

    AffineExpr i2, j2, c2;
    bindDims(ctx, i2, j2, c2);
    auto mapP = AffineMap::get(3, 0, {i2, j2, c2}, ctx);
    auto mapC = AffineMap::get(3, 0, {i2, j2}, ctx);
    Value init = tensor::EmptyOp::create(rewriter, loc,
                                         ArrayRef<int64_t>{m, n}, f32);
    init = linalg::FillOp::create(rewriter, loc, zero, init).getResult(0);
    return linalg::GenericOp::create(
               rewriter, loc, TypeRange{init.getType()}, ValueRange{partial},
               ValueRange{init}, ArrayRef<AffineMap>{mapP, mapC},
               ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                             utils::IteratorType::parallel,
                                             utils::IteratorType::reduction},
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 Value v = arith::ExtFOp::create(nb, l, f32, args[0]);
                 linalg::YieldOp::create(
                     nb, l, ValueRange{arith::AddFOp::create(nb, l, args[1], v)});
               })
        .getResult(0);
  }

  int64_t width;
  int64_t chunk;
};

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct ConvertFP4ToStandardPass
    : ::fp4::impl::ConvertFP4ToStandardBase<ConvertFP4ToStandardPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    if (vectorWidth < 2 || vectorWidth % 2 != 0) {
      getOperation().emitError("vector-width must be an even number >= 2, "
                               "got ")
          << static_cast<int64_t>(vectorWidth);
      return signalPassFailure();
    }
    QTensorTypeConverter converter;
    ConversionTarget target(*ctx);
    target.addIllegalDialect<FP4Dialect>();
    target.addLegalDialect<arith::ArithDialect, math::MathDialect,
                           scf::SCFDialect, tensor::TensorDialect,
                           vector::VectorDialect, linalg::LinalgDialect>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
      return converter.isSignatureLegal(op.getFunctionType()) &&
             converter.isLegal(&op.getBody());
    });
    target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
        [&](Operation *op) { return converter.isLegal(op); });
    target.markUnknownOpDynamicallyLegal(
        [&](Operation *op) { return converter.isLegal(op); });

    RewritePatternSet patterns(ctx);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    scf::populateSCFStructuralTypeConversionsAndLegality(converter, patterns,
                                                         target);
    patterns.add<PackLowering, UnpackLowering>(converter, ctx);
    patterns.add<QuantizeLowering, DequantizeLowering, GradScaleLowering,
                 ComputeScaleLowering, LowpMatmulLowering>(
        converter, ctx, vectorWidth, parallelChunk);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void ::fp4::addFP4ToStandardPasses(OpPassManager &pm, int64_t parallelChunk) {
  ::fp4::ConvertFP4ToStandardOptions options;
  options.parallelChunk = parallelChunk;
  pm.addPass(createConvertFP4ToStandard(options));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}
