//===- FP4ToGPU.cpp - Lower fp4 ops to GPU-mapped parallel loops ----------===//
//
// Part of the fp4 project.
//
// One dialect conversion that (1) replaces every !fp4.qtensor value by its
// storage (1-D tensor of codes, f32 scale), like convert-fp4-to-standard, and
// (2) rewrites each fp4 op into kernels: two-level scf.parallel nests on
// memrefs mapped to GPU blocks and threads (see KernelBuilder.h), bridged to
// the surrounding tensor IR with bufferization.to_buffer / to_tensor. Every
// code is computed by FormatCodec, the emitter the CPU lowering uses, so the
// kernels are bit-identical to it; only the iteration order of reductions
// differs, which matters for nothing but the f64 sums of SAWB (SPEC 4.2).
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"

#include "fp4/Conversion/FP4ToNVVM.h"
#include "fp4/Conversion/FormatCodec.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

namespace fp4 {
#define GEN_PASS_DEF_CONVERTFP4TOGPU
#include "fp4/Conversion/GPUPasses.h.inc"
} // namespace fp4

using namespace mlir;
using namespace mlir::fp4;
using ::fp4::gpu_kernels::KernelBuilder;

namespace {

/// Elements one thread handles per iteration of the elementwise kernels.
constexpr int64_t kChunk = 8;

/// Marks the fp4 ops this pass leaves to the CPU lowering: scalar host logic
/// applied to a one-element tensor (the maximum a kernel computed).
constexpr llvm::StringLiteral kHostAttr = "fp4.host";

//===----------------------------------------------------------------------===//
// Tensor/buffer helpers
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

/// The buffer of a 1-D tensor, for reading in kernels.
Value readBuffer(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  auto memrefType = MemRefType::get(type.getShape(), type.getElementType());
  return bufferization::ToBufferOp::create(b, loc, memrefType, tensor,
                                           /*read_only=*/true);
}

/// A fresh 64-byte aligned buffer.
Value allocBuffer(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                  Type elementType) {
  return memref::AllocOp::create(b, loc, MemRefType::get(shape, elementType),
                                 b.getI64IntegerAttr(64));
}

/// The tensor of a buffer the kernels have written.
Value resultTensor(OpBuilder &b, Location loc, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  auto tensorType =
      RankedTensorType::get(type.getShape(), type.getElementType());
  return bufferization::ToTensorOp::create(b, loc, tensorType, buffer,
                                           /*restrict=*/true,
                                           /*writable=*/true);
}

Value cIdx(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}
Value cI32(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantOp::create(
      b, loc, b.getI32IntegerAttr(static_cast<int32_t>(v)));
}
Value cI64(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
}
Value cF32(OpBuilder &b, Location loc, float v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}
Value splat(OpBuilder &b, Location loc, VectorType type, Value scalar) {
  return vector::BroadcastOp::create(b, loc, type, scalar);
}
VectorType vecOf(int64_t n, Type elementType) {
  return VectorType::get({n}, elementType);
}

/// Number of set lanes of an i1 vector, as i64 (a sum of extracted lanes:
/// no vector reduction intrinsic, which not every back end expands).
Value countLanes(OpBuilder &b, Location loc, Value mask) {
  auto type = cast<VectorType>(mask.getType());
  Value wide = arith::ExtUIOp::create(b, loc, type.clone(b.getI64Type()), mask);
  Value sum = vector::ExtractOp::create(b, loc, wide, ArrayRef<int64_t>{0});
  for (int64_t i = 1; i < type.getNumElements(); ++i)
    sum = arith::AddIOp::create(
        b, loc, sum, vector::ExtractOp::create(b, loc, wide, ArrayRef<int64_t>{i}));
  return sum;
}

/// |x| by clearing the sign bit (f32 or vector of f32): what math.absf
/// computes, without the libdevice call convert-gpu-to-nvvm makes of it.
Value absBits(OpBuilder &b, Location loc, Value x) {
  Type i32 = b.getI32Type();
  Type intType = i32;
  TypedAttr mask = b.getI32IntegerAttr(0x7FFFFFFF);
  if (auto vec = dyn_cast<VectorType>(x.getType())) {
    intType = vec.clone(i32);
    mask = DenseElementsAttr::get(cast<VectorType>(intType), mask);
  }
  Value bits = arith::BitcastOp::create(b, loc, intType, x);
  Value masked = arith::AndIOp::create(
      b, loc, bits, arith::ConstantOp::create(b, loc, mask));
  return arith::BitcastOp::create(b, loc, x.getType(), masked);
}

/// 0 or 1 as i64.
Value countOne(OpBuilder &b, Location loc, Value flag) {
  return arith::ExtUIOp::create(b, loc, b.getI64Type(), flag);
}

/// Loads the 4-bit (low nibble first), 8-bit or 16-bit code of element `e`
/// (index) of a flat storage buffer, as i8/i16.
Value loadCode(OpBuilder &b, Location loc, Value codes, Value e, bool four) {
  if (!four)
    return memref::LoadOp::create(b, loc, codes, ValueRange{e});
  Value byte = memref::LoadOp::create(
      b, loc, codes,
      ValueRange{arith::ShRUIOp::create(b, loc, e, cIdx(b, loc, 1))});
  Value odd = arith::IndexCastOp::create(
      b, loc, b.getI8Type(), arith::AndIOp::create(b, loc, e, cIdx(b, loc, 1)));
  Value shift = arith::ShLIOp::create(
      b, loc, odd,
      arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(2)));
  return arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, byte, shift),
      arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(15)));
}

//===----------------------------------------------------------------------===//
// Host scalar helpers (the SAWB formula of SPEC 4.2).
//===----------------------------------------------------------------------===//

struct HostScalars {
  OpBuilder &b;
  Location loc;
  Value i32(int64_t v) { return cI32(b, loc, v); }
  Value f32(float v) { return cF32(b, loc, v); }
  Value bits(Value f) {
    return arith::BitcastOp::create(b, loc, b.getI32Type(), f);
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

struct Storage {
  Value codes, scale;
};
Storage storageOf(ValueRange converted) {
  assert(converted.size() == 2 && "qtensor converts to codes and scale");
  return {converted[0], converted[1]};
}

/// Base of the patterns: the kernel builder and the target chip.
template <typename OpTy>
struct GPUPattern : OpConversionPattern<OpTy> {
  GPUPattern(const TypeConverter &converter, MLIRContext *ctx,
             KernelBuilder &kernels, const ::fp4::GPUChip &chip)
      : OpConversionPattern<OpTy>(converter, ctx), kernels(kernels),
        chip(chip) {}
  KernelBuilder &kernels;
  const ::fp4::GPUChip &chip;
};

//===----------------------------------------------------------------------===//
// pack / unpack: storage only
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

//===----------------------------------------------------------------------===//
// Shared kernels
//===----------------------------------------------------------------------===//

/// Emits a kernel that decodes `n` codes of `format` from the flat storage
/// buffer `codes` into a new f32/f16 buffer of `n` elements, dividing by
/// `scale` when it is given (dequantize) or not (values in format units).
Value emitDecodeKernel(OpBuilder &b, Location loc, KernelBuilder &kernels,
                       StringRef name, FormatAttr format, Value codes,
                       int64_t n, Value scale, Type resultElement) {
  bool four = format.getBitWidth() == 4;
  Type f32 = b.getF32Type();
  Type codeType = b.getIntegerType(format.getBitWidth() == 16 ? 16 : 8);
  Value out = allocBuffer(b, loc, {n}, resultElement);
  int64_t chunks = n / kChunk, rem = n % kChunk;
  kernels.gridStride(
      b, loc, name, chunks, [&](OpBuilder &kb, Location kl, Value gid,
                                Value threads) {
        auto chunkLoop = scf::ForOp::create(kb, kl, gid, cIdx(kb, kl, chunks),
                                            threads);
        {
          OpBuilder::InsertionGuard guard(kb);
          kb.setInsertionPointToStart(chunkLoop.getBody());
          Value c = chunkLoop.getInductionVar();
          Value base =
              arith::MulIOp::create(kb, kl, c, cIdx(kb, kl, kChunk));
          Value vcodes;
          if (four) {
            Value byteIndex =
                arith::MulIOp::create(kb, kl, c, cIdx(kb, kl, kChunk / 2));
            auto byteType = vecOf(kChunk / 2, kb.getI8Type());
            Value bytes = vector::LoadOp::create(
                kb, kl, byteType, codes, ValueRange{byteIndex},
                /*nontemporal=*/false, llvm::MaybeAlign(kChunk / 2));
            Value lo = arith::AndIOp::create(
                kb, kl, bytes,
                arith::ConstantOp::create(
                    kb, kl,
                    DenseElementsAttr::get(byteType, kb.getI8IntegerAttr(15))));
            Value hi = arith::ShRUIOp::create(
                kb, kl, bytes,
                arith::ConstantOp::create(
                    kb, kl,
                    DenseElementsAttr::get(byteType, kb.getI8IntegerAttr(4))));
            SmallVector<int64_t> interleave;
            for (int64_t i = 0; i < kChunk / 2; ++i) {
              interleave.push_back(i);
              interleave.push_back(i + kChunk / 2);
            }
            vcodes = vector::ShuffleOp::create(kb, kl, lo, hi, interleave);
          } else {
            unsigned bytesPerCode = codeType.getIntOrFloatBitWidth() / 8;
            vcodes = vector::LoadOp::create(
                kb, kl, vecOf(kChunk, codeType), codes, ValueRange{base},
                /*nontemporal=*/false,
                llvm::MaybeAlign(kChunk * bytesPerCode));
          }
          ::fp4::FormatCodec codec(kb, kl, format, vecOf(kChunk, f32));
          Value vals = codec.decode(vcodes);
          if (scale)
            vals = arith::DivFOp::create(kb, kl, vals,
                                         splat(kb, kl, vecOf(kChunk, f32),
                                               scale));
          if (resultElement != f32)
            vals = arith::TruncFOp::create(kb, kl,
                                           vecOf(kChunk, resultElement), vals);
          unsigned bytesPerValue = resultElement.getIntOrFloatBitWidth() / 8;
          vector::StoreOp::create(kb, kl, vals, out, ValueRange{base},
                                  /*nontemporal=*/false,
                                  llvm::MaybeAlign(std::min<unsigned>(
                                      16, kChunk * bytesPerValue)));
        }
        if (rem == 0)
          return;
        // The last n % 8 elements: thread 0, one element at a time.
        Value first = arith::CmpIOp::create(kb, kl, arith::CmpIPredicate::eq,
                                            gid, cIdx(kb, kl, 0));
        auto ifOp = scf::IfOp::create(kb, kl, first, /*withElseRegion=*/false);
        OpBuilder::InsertionGuard guard(kb);
        kb.setInsertionPointToStart(ifOp.thenBlock());
        ::fp4::FormatCodec codec(kb, kl, format, f32);
        for (int64_t j = 0; j < rem; ++j) {
          Value e = cIdx(kb, kl, chunks * kChunk + j);
          Value v = codec.decode(loadCode(kb, kl, codes, e, four));
          if (scale)
            v = arith::DivFOp::create(kb, kl, v, scale);
          if (resultElement != f32)
            v = arith::TruncFOp::create(kb, kl, resultElement, v);
          memref::StoreOp::create(kb, kl, v, out, ValueRange{e});
        }
      });
  return out;
}

/// Emits max|x| over a flat f32 buffer of `n` elements (NaN-propagating,
/// like the CPU lowering): per-thread partial maxima, then a reduction.
Value emitAbsMax(OpBuilder &b, Location loc, KernelBuilder &kernels,
                 StringRef name, Value in, int64_t n) {
  Type f32 = b.getF32Type();
  auto vf32 = vecOf(kChunk, f32);
  int64_t chunks = n / kChunk, rem = n % kChunk;
  int64_t threads = kernels.getGridStrideThreads(chunks);
  Value partials = allocBuffer(b, loc, {1, threads}, f32);
  kernels.gridStride(
      b, loc, name, chunks, [&](OpBuilder &kb, Location kl, Value gid,
                                Value numThreads) {
        Value zero = cF32(kb, kl, 0.0f);
        auto loop = scf::ForOp::create(
            kb, kl, gid, cIdx(kb, kl, chunks), numThreads, ValueRange{zero},
            [&](OpBuilder &lb, Location ll, Value c, ValueRange args) {
              Value base = arith::MulIOp::create(lb, ll, c, cIdx(lb, ll, kChunk));
              Value v = vector::LoadOp::create(lb, ll, vf32, in,
                                               ValueRange{base}, false,
                                               llvm::MaybeAlign(16));
              Value a = absBits(lb, ll, v);
              Value m = args[0];
              for (int64_t i = 0; i < kChunk; ++i)
                m = arith::MaximumFOp::create(
                    lb, ll, m,
                    vector::ExtractOp::create(lb, ll, a, ArrayRef<int64_t>{i}));
              scf::YieldOp::create(lb, ll, m);
            });
        Value m = loop.getResult(0);
        if (rem > 0) {
          Value first = arith::CmpIOp::create(
              kb, kl, arith::CmpIPredicate::eq, gid, cIdx(kb, kl, 0));
          auto ifOp = scf::IfOp::create(kb, kl, TypeRange{f32}, first,
                                        /*withElseRegion=*/true);
          {
            OpBuilder::InsertionGuard guard(kb);
            kb.setInsertionPointToStart(ifOp.thenBlock());
            Value t = m;
            for (int64_t j = 0; j < rem; ++j) {
              Value x = memref::LoadOp::create(
                  kb, kl, in, ValueRange{cIdx(kb, kl, chunks * kChunk + j)});
              t = arith::MaximumFOp::create(kb, kl, t,
                                            absBits(kb, kl, x));
            }
            scf::YieldOp::create(kb, kl, t);
            kb.setInsertionPointToStart(ifOp.elseBlock());
            scf::YieldOp::create(kb, kl, m);
          }
          m = ifOp.getResult(0);
        }
        memref::StoreOp::create(kb, kl, m, partials,
                                ValueRange{cIdx(kb, kl, 0), gid});
      });
  return kernels.reducePartials(b, loc, name, partials,
                                KernelBuilder::Combine::MaxF)[0];
}

//===----------------------------------------------------------------------===//
// quantize
//===----------------------------------------------------------------------===//

struct QuantizeLowering : GPUPattern<QuantizeOp> {
  using GPUPattern::GPUPattern;

  LogicalResult
  matchAndRewrite(QuantizeOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    QTensorType qtype = op.getResultType();
    FormatAttr format = qtype.getFormat();
    bool stochastic = op.getRounding() == Rounding::stochastic;
    bool withCounters = op.hasCounters();
    bool nativeE2M1 = chip.hasE2M1Convert &&
                      format.getKind() == ElementKind::e2m1 && !stochastic;
    int64_t n = qtype.getNumElements();

    Value input = flatten(rewriter, loc, adaptor.getInput().front());
    Type inElement = cast<RankedTensorType>(input.getType()).getElementType();
    Value in = readBuffer(rewriter, loc, input);
    Value scale = adaptor.getScale().front();
    Value seed = adaptor.getSeed().empty() ? Value() : adaptor.getSeed().front();
    Value stream = cI32(rewriter, loc,
                        op.getStream() ? static_cast<int32_t>(*op.getStream())
                                       : 0);
    RankedTensorType storageType = qtype.getStorageType();
    Type codeType = storageType.getElementType();
    Value out = allocBuffer(rewriter, loc, storageType.getShape(), codeType);

    int64_t chunks = n / kChunk, rem = n % kChunk;
    int64_t threads = kernels.getGridStrideThreads(chunks);
    Value partials;
    if (withCounters)
      partials = allocBuffer(rewriter, loc, {3, threads},
                             rewriter.getI64Type());
    std::string name = kernels.uniqueStem(
        "fp4_quantize_" + formatName(format) + (stochastic ? "_sr" : ""));

    kernels.gridStride(
        rewriter, loc, name, chunks,
        [&](OpBuilder &kb, Location kl, Value gid, Value numThreads) {
          Value zero = cI64(kb, kl, 0);
          SmallVector<Value> inits;
          if (withCounters)
            inits.assign(3, zero);
          auto loop = scf::ForOp::create(
              kb, kl, gid, cIdx(kb, kl, chunks), numThreads, inits,
              [&](OpBuilder &lb, Location ll, Value c, ValueRange args) {
                SmallVector<Value> next = emitChunk(
                    lb, ll, format, c, in, inElement, scale, seed, stream, out,
                    codeType, nativeE2M1, stochastic, args);
                scf::YieldOp::create(lb, ll, next);
              });
          SmallVector<Value> counts(loop.getResults());
          if (rem > 0) {
            Value first = arith::CmpIOp::create(
                kb, kl, arith::CmpIPredicate::eq, gid, cIdx(kb, kl, 0));
            SmallVector<Type> types(counts.size(), kb.getI64Type());
            // Without results, scf.if builds its own (empty) terminators.
            auto ifOp = scf::IfOp::create(kb, kl, types, first,
                                          /*withElseRegion=*/!counts.empty());
            OpBuilder::InsertionGuard guard(kb);
            kb.setInsertionPointToStart(ifOp.thenBlock());
            SmallVector<Value> tail =
                emitTail(kb, kl, format, chunks * kChunk, rem, in, scale,
                         seed, stream, out, stochastic, counts);
            if (!counts.empty()) {
              scf::YieldOp::create(kb, kl, tail);
              kb.setInsertionPointToStart(ifOp.elseBlock());
              scf::YieldOp::create(kb, kl, counts);
              counts.assign(ifOp.getResults().begin(),
                            ifOp.getResults().end());
            }
          }
          for (auto [k, count] : llvm::enumerate(counts))
            memref::StoreOp::create(kb, kl, count, partials,
                                    ValueRange{cIdx(kb, kl, k), gid});
        });

    SmallVector<SmallVector<Value>> replacements;
    replacements.push_back({resultTensor(rewriter, loc, out), scale});
    if (withCounters) {
      SmallVector<Value> sums = kernels.reducePartials(
          rewriter, loc, name, partials, KernelBuilder::Combine::AddI);
      for (Value sum : sums)
        replacements.push_back({sum});
    }
    rewriter.replaceOpWithMultiple(op, replacements);
    return success();
  }

  static std::string formatName(FormatAttr format) {
    std::string name = stringifyElementKind(format.getKind()).str();
    if (auto phase = format.getPhase())
      name += "_" + stringifyPhase(*phase).str();
    return name;
  }

  /// One chunk of 8 elements starting at element 8c: loads, encodes, stores
  /// the codes and returns the counters plus this chunk's counts.
  SmallVector<Value> emitChunk(OpBuilder &b, Location loc, FormatAttr format,
                               Value c, Value in, Type inElement, Value scale,
                               Value seed, Value stream, Value out,
                               Type codeType, bool nativeE2M1, bool stochastic,
                               ValueRange counts) const {
    Type f32 = b.getF32Type();
    auto vf32 = vecOf(kChunk, f32);
    Value base = arith::MulIOp::create(b, loc, c, cIdx(b, loc, kChunk));
    unsigned inBytes = inElement.getIntOrFloatBitWidth() / 8;
    Value v = vector::LoadOp::create(
        b, loc, vecOf(kChunk, inElement), in, ValueRange{base}, false,
        llvm::MaybeAlign(std::min<unsigned>(16, kChunk * inBytes)));
    if (inElement != f32)
      v = arith::ExtFOp::create(b, loc, vf32, v);
    Value x = arith::MulFOp::create(b, loc, v, splat(b, loc, vf32, scale));

    Value stored;
    Value saturated, flushed, nonfinite;
    if (nativeE2M1) {
      std::tie(stored, saturated, flushed, nonfinite) =
          emitNativeE2M1(b, loc, x);
    } else {
      ::fp4::FormatCodec codec(b, loc, format, vf32);
      ::fp4::EncodeResult enc;
      if (stochastic) {
        auto vi64 = vecOf(kChunk, b.getI64Type());
        SmallVector<int64_t> lanes;
        for (int64_t i = 0; i < kChunk; ++i)
          lanes.push_back(i);
        Value iota = arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(vi64, ArrayRef<int64_t>(lanes)));
        Value base64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), base);
        Value index =
            arith::AddIOp::create(b, loc, splat(b, loc, vi64, base64), iota);
        Value u = codec.philoxUniform(index, seed, stream);
        enc = codec.encodeStochastic(x, u);
      } else {
        enc = codec.encodeNearest(x);
      }
      saturated = enc.saturated;
      flushed = enc.flushed;
      nonfinite = enc.nonfinite;
      stored = enc.codes;
      if (format.getBitWidth() == 4)
        stored = packNibbles(b, loc, stored);
    }
    // 8 codes: 4 bytes (4-bit), 8 bytes (8-bit) or 16 bytes (16-bit).
    Value index = base;
    int64_t storeBytes = kChunk * codeType.getIntOrFloatBitWidth() / 8;
    if (format.getBitWidth() == 4) {
      index = arith::MulIOp::create(b, loc, c, cIdx(b, loc, kChunk / 2));
      storeBytes = kChunk / 2;
    }
    vector::StoreOp::create(b, loc, stored, out, ValueRange{index}, false,
                            llvm::MaybeAlign(storeBytes));
    if (counts.empty())
      return {};
    Value masks[3] = {saturated, flushed, nonfinite};
    SmallVector<Value> next;
    for (int i = 0; i < 3; ++i)
      next.push_back(arith::AddIOp::create(b, loc, counts[i],
                                           countLanes(b, loc, masks[i])));
    return next;
  }

  /// Packs vector<8xi8> codes (one per lane, < 16) into vector<4xi8>: element
  /// 2i in the low nibble of byte i (SPEC 3).
  static Value packNibbles(OpBuilder &b, Location loc, Value codes) {
    SmallVector<int64_t> evens, odds;
    for (int64_t i = 0; i < kChunk; i += 2) {
      evens.push_back(i);
      odds.push_back(i + 1);
    }
    Value lo = vector::ShuffleOp::create(b, loc, codes, codes, evens);
    Value hi = vector::ShuffleOp::create(b, loc, codes, codes, odds);
    auto byteType = vecOf(kChunk / 2, b.getI8Type());
    Value four8 = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(byteType, b.getI8IntegerAttr(4)));
    return arith::OrIOp::create(b, loc, lo,
                                arith::ShLIOp::create(b, loc, hi, four8));
  }

  /// e2m1 codes of the 8 lanes of `x` with sm_100a's
  /// `cvt.rn.satfinite.e2m1x2.f32` (round to nearest even, saturating to
  /// +-6: SPEC 2.3), packed two per byte. The instruction leaves NaN to the
  /// implementation; SPEC wants +6 (0b0111), so NaN lanes are patched. The
  /// counters follow FormatCodec's definitions.
  static std::tuple<Value, Value, Value, Value>
  emitNativeE2M1(OpBuilder &b, Location loc, Value x) {
    Type i8 = b.getI8Type();
    Type f4 = Float4E2M1FNType::get(b.getContext());
    auto vi32 = vecOf(kChunk, b.getI32Type());
    auto vf32 = vecOf(kChunk, b.getF32Type());
    SmallVector<Value> bytes;
    for (int64_t p = 0; p < kChunk / 2; ++p) {
      Value lo = vector::ExtractOp::create(b, loc, x, ArrayRef<int64_t>{2 * p});
      Value hi =
          vector::ExtractOp::create(b, loc, x, ArrayRef<int64_t>{2 * p + 1});
      // `a` goes to the upper nibble, `b` to the lower one.
      bytes.push_back(NVVM::ConvertF32x2ToF4x2Op::create(
          b, loc, i8, hi, lo, /*relu=*/false, f4));
    }
    auto byteType = vecOf(kChunk / 2, i8);
    Value packed = vector::FromElementsOp::create(b, loc, byteType, bytes);
    // Unpack to one code per lane to patch NaNs and count.
    Value mask15 = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(byteType, b.getI8IntegerAttr(15)));
    Value four8 = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(byteType, b.getI8IntegerAttr(4)));
    Value loN = arith::AndIOp::create(b, loc, packed, mask15);
    Value hiN = arith::ShRUIOp::create(b, loc, packed, four8);
    SmallVector<int64_t> interleave;
    for (int64_t i = 0; i < kChunk / 2; ++i) {
      interleave.push_back(i);
      interleave.push_back(i + kChunk / 2);
    }
    Value codes = vector::ShuffleOp::create(b, loc, loN, hiN, interleave);
    auto ci32 = [&](int64_t v) {
      return arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(vi32,
                                 b.getI32IntegerAttr(static_cast<int32_t>(v))));
    };
    Value ab = arith::AndIOp::create(
        b, loc, arith::BitcastOp::create(b, loc, vi32, x), ci32(0x7FFFFFFF));
    Value isNaN =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, ab,
                              ci32(0x7F800000));
    Value finite = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, ab,
                                         ci32(0x7F800000));
    Value nonfinite = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge,
                                            ab, ci32(0x7F800000));
    auto codeType = vecOf(kChunk, i8);
    codes = arith::SelectOp::create(
        b, loc, isNaN,
        arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(codeType, b.getI8IntegerAttr(7))),
        codes);
    Value absx = arith::BitcastOp::create(b, loc, vf32, ab);
    Value six = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vf32, b.getF32FloatAttr(6.0f)));
    Value saturated = arith::AndIOp::create(
        b, loc, finite,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, absx, six));
    Value mag = arith::AndIOp::create(
        b, loc, codes,
        arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(codeType, b.getI8IntegerAttr(7))));
    Value zeroMag = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::eq, mag,
        arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(codeType, b.getI8IntegerAttr(0))));
    Value nonzero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, ab,
                                          ci32(0));
    Value flushed = arith::AndIOp::create(
        b, loc, arith::AndIOp::create(b, loc, finite, nonzero), zeroMag);
    return {packNibbles(b, loc, codes), saturated, flushed, nonfinite};
  }

  /// Elements [first, first + rem) one at a time (thread 0 only).
  SmallVector<Value> emitTail(OpBuilder &b, Location loc, FormatAttr format,
                              int64_t first, int64_t rem, Value in, Value scale,
                              Value seed, Value stream, Value out,
                              bool stochastic, ValueRange counts) const {
    Type f32 = b.getF32Type();
    bool four = format.getBitWidth() == 4;
    ::fp4::FormatCodec codec(b, loc, format, f32);
    SmallVector<Value> codes;
    SmallVector<Value> next(counts);
    for (int64_t j = 0; j < rem; ++j) {
      Value x = memref::LoadOp::create(b, loc, in,
                                       ValueRange{cIdx(b, loc, first + j)});
      if (x.getType() != f32)
        x = arith::ExtFOp::create(b, loc, f32, x);
      x = arith::MulFOp::create(b, loc, x, scale);
      ::fp4::EncodeResult enc;
      if (stochastic) {
        Value u = codec.philoxUniform(cI64(b, loc, first + j), seed, stream);
        enc = codec.encodeStochastic(x, u);
      } else {
        enc = codec.encodeNearest(x);
      }
      codes.push_back(enc.codes);
      if (!next.empty()) {
        Value masks[3] = {enc.saturated, enc.flushed, enc.nonfinite};
        for (int i = 0; i < 3; ++i)
          next[i] = arith::AddIOp::create(b, loc, next[i],
                                          countOne(b, loc, masks[i]));
      }
    }
    if (!four) {
      for (int64_t j = 0; j < rem; ++j)
        memref::StoreOp::create(b, loc, codes[j], out,
                                ValueRange{cIdx(b, loc, first + j)});
      return next;
    }
    // Two codes per byte; an odd count pads the last high nibble with 0.
    Value four8 = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(4));
    for (int64_t j = 0; j < rem; j += 2) {
      Value byte = codes[j];
      if (j + 1 < rem)
        byte = arith::OrIOp::create(
            b, loc, byte, arith::ShLIOp::create(b, loc, codes[j + 1], four8));
      memref::StoreOp::create(b, loc, byte, out,
                              ValueRange{cIdx(b, loc, (first + j) / 2)});
    }
    return next;
  }
};

//===----------------------------------------------------------------------===//
// dequantize
//===----------------------------------------------------------------------===//

struct DequantizeLowering : GPUPattern<DequantizeOp> {
  using GPUPattern::GPUPattern;

  LogicalResult
  matchAndRewrite(DequantizeOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto qtype = cast<QTensorType>(op.getInput().getType());
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Storage s = storageOf(adaptor.getInput());
    Value codes = readBuffer(rewriter, loc, s.codes);
    std::string name = kernels.uniqueStem(
        "fp4_dequantize_" + QuantizeLowering::formatName(qtype.getFormat()));
    Value out = emitDecodeKernel(rewriter, loc, kernels, name,
                                 qtype.getFormat(), codes,
                                 qtype.getNumElements(), s.scale,
                                 resultType.getElementType());
    rewriter.replaceOp(op, unflatten(rewriter, loc,
                                     resultTensor(rewriter, loc, out),
                                     qtype.getShape()));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// gradscale
//===----------------------------------------------------------------------===//

struct GradScaleLowering : GPUPattern<GradScaleOp> {
  using GPUPattern::GPUPattern;

  LogicalResult
  matchAndRewrite(GradScaleOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput().front();
    Value scale = adaptor.getScale().front();
    auto type = cast<RankedTensorType>(input.getType());
    int64_t n = type.getNumElements();
    Value in = readBuffer(rewriter, loc, flatten(rewriter, loc, input));
    std::string name = kernels.uniqueStem("fp4_gradscale");
    Value m0 = emitAbsMax(rewriter, loc, kernels, name + "_absmax", in, n);

    // The scalar logic (SPEC 4.1) depends on max|g| only: the host applies
    // the CPU lowering's gradscale to the one-element tensor {max|g|}.
    auto one = RankedTensorType::get({1}, rewriter.getF32Type());
    Value m0Tensor = tensor::FromElementsOp::create(rewriter, loc, one,
                                                    ValueRange{m0});
    auto host = GradScaleOp::create(rewriter, loc, one, rewriter.getF32Type(),
                                    rewriter.getF32Type(), m0Tensor, scale,
                                    op.getFormatAttr(), op.getModeAttr());
    host->setAttr(kHostAttr, rewriter.getUnitAttr());
    Value used = host.getAppliedScale(), next = host.getNextScale();

    // result = g * used, elementwise.
    Type f32 = rewriter.getF32Type();
    auto vf32 = vecOf(kChunk, f32);
    Value out = allocBuffer(rewriter, loc, {n}, f32);
    int64_t chunks = n / kChunk, rem = n % kChunk;
    kernels.gridStride(
        rewriter, loc, name + "_apply", chunks,
        [&](OpBuilder &kb, Location kl, Value gid, Value numThreads) {
          auto loop = scf::ForOp::create(kb, kl, gid, cIdx(kb, kl, chunks),
                                         numThreads);
          {
            OpBuilder::InsertionGuard guard(kb);
            kb.setInsertionPointToStart(loop.getBody());
            Value base = arith::MulIOp::create(kb, kl, loop.getInductionVar(),
                                               cIdx(kb, kl, kChunk));
            Value v = vector::LoadOp::create(kb, kl, vf32, in,
                                             ValueRange{base}, false,
                                             llvm::MaybeAlign(16));
            Value r = arith::MulFOp::create(kb, kl, v,
                                            splat(kb, kl, vf32, used));
            vector::StoreOp::create(kb, kl, r, out, ValueRange{base}, false,
                                    llvm::MaybeAlign(16));
          }
          if (rem == 0)
            return;
          Value first = arith::CmpIOp::create(
              kb, kl, arith::CmpIPredicate::eq, gid, cIdx(kb, kl, 0));
          auto ifOp = scf::IfOp::create(kb, kl, first, false);
          OpBuilder::InsertionGuard guard(kb);
          kb.setInsertionPointToStart(ifOp.thenBlock());
          for (int64_t j = 0; j < rem; ++j) {
            Value e = cIdx(kb, kl, chunks * kChunk + j);
            Value x = memref::LoadOp::create(kb, kl, in, ValueRange{e});
            memref::StoreOp::create(kb, kl,
                                    arith::MulFOp::create(kb, kl, x, used),
                                    out, ValueRange{e});
          }
        });
    Value result = unflatten(rewriter, loc, resultTensor(rewriter, loc, out),
                             type.getShape());
    rewriter.replaceOp(op, ValueRange{result, used, next});
    return success();
  }
};

//===----------------------------------------------------------------------===//
// compute_scale
//===----------------------------------------------------------------------===//

struct ComputeScaleLowering : GPUPattern<ComputeScaleOp> {
  using GPUPattern::GPUPattern;

  LogicalResult
  matchAndRewrite(ComputeScaleOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = flatten(rewriter, loc, adaptor.getInput().front());
    int64_t n = cast<RankedTensorType>(input.getType()).getNumElements();
    Value in = readBuffer(rewriter, loc, input);
    HostScalars sb{rewriter, loc};
    using P = arith::CmpFPredicate;
    Value one = sb.f32(1.0f);
    if (op.getRule() == ScaleRule::amax) {
      // The scale depends on max|x| only: the host applies the CPU
      // lowering's compute_scale to the one-element tensor {max|x|}.
      Value amax = emitAbsMax(rewriter, loc, kernels,
                              kernels.uniqueStem("fp4_amax"), in, n);
      auto oneType = RankedTensorType::get({1}, rewriter.getF32Type());
      Value t = tensor::FromElementsOp::create(rewriter, loc, oneType,
                                               ValueRange{amax});
      auto host = ComputeScaleOp::create(rewriter, loc, t, op.getRuleAttr(),
                                         op.getFormatAttr());
      host->setAttr(kHostAttr, rewriter.getUnitAttr());
      rewriter.replaceOp(op, host.getScale());
      return success();
    }

    // SAWB (SPEC 4.2): per-thread f64 sums of |w| and w^2 and max|w|, in
    // element order within a thread, then a fixed-order reduction.
    Type f32 = rewriter.getF32Type(), f64 = rewriter.getF64Type();
    auto vf32 = vecOf(kChunk, f32);
    int64_t chunks = n / kChunk, rem = n % kChunk;
    int64_t threads = kernels.getGridStrideThreads(chunks);
    Value sums = allocBuffer(rewriter, loc, {2, threads}, f64);
    Value maxima = allocBuffer(rewriter, loc, {1, threads}, f32);
    std::string name = kernels.uniqueStem("fp4_sawb");
    auto accumulate = [](OpBuilder &b, Location l, Value w,
                         ValueRange acc) -> SmallVector<Value> {
      Value a = absBits(b, l, w);
      Value d = arith::ExtFOp::create(b, l, b.getF64Type(), a);
      Value sumAbs = arith::AddFOp::create(b, l, acc[0], d);
      Value sumSq = arith::AddFOp::create(b, l, acc[1],
                                          arith::MulFOp::create(b, l, d, d));
      Value mx = arith::MaximumFOp::create(b, l, acc[2], a);
      return {sumAbs, sumSq, mx};
    };
    kernels.gridStride(
        rewriter, loc, name, chunks,
        [&](OpBuilder &kb, Location kl, Value gid, Value numThreads) {
          Value zero64 = arith::ConstantOp::create(kb, kl,
                                                   kb.getF64FloatAttr(0.0));
          SmallVector<Value> inits{zero64, zero64, cF32(kb, kl, 0.0f)};
          auto loop = scf::ForOp::create(
              kb, kl, gid, cIdx(kb, kl, chunks), numThreads, inits,
              [&](OpBuilder &lb, Location ll, Value c, ValueRange args) {
                Value base =
                    arith::MulIOp::create(lb, ll, c, cIdx(lb, ll, kChunk));
                Value v = vector::LoadOp::create(lb, ll, vf32, in,
                                                 ValueRange{base}, false,
                                                 llvm::MaybeAlign(16));
                SmallVector<Value> acc(args);
                for (int64_t i = 0; i < kChunk; ++i)
                  acc = accumulate(lb, ll,
                                   vector::ExtractOp::create(
                                       lb, ll, v, ArrayRef<int64_t>{i}),
                                   acc);
                scf::YieldOp::create(lb, ll, acc);
              });
          SmallVector<Value> acc(loop.getResults());
          if (rem > 0) {
            Value first = arith::CmpIOp::create(
                kb, kl, arith::CmpIPredicate::eq, gid, cIdx(kb, kl, 0));
            auto ifOp = scf::IfOp::create(kb, kl, TypeRange{f64, f64, f32},
                                          first, true);
            OpBuilder::InsertionGuard guard(kb);
            kb.setInsertionPointToStart(ifOp.thenBlock());
            SmallVector<Value> t(acc);
            for (int64_t j = 0; j < rem; ++j)
              t = accumulate(kb, kl,
                             memref::LoadOp::create(
                                 kb, kl, in,
                                 ValueRange{cIdx(kb, kl, chunks * kChunk + j)}),
                             t);
            scf::YieldOp::create(kb, kl, t);
            kb.setInsertionPointToStart(ifOp.elseBlock());
            scf::YieldOp::create(kb, kl, acc);
            acc.assign(ifOp.getResults().begin(), ifOp.getResults().end());
          }
          memref::StoreOp::create(kb, kl, acc[0], sums,
                                  ValueRange{cIdx(kb, kl, 0), gid});
          memref::StoreOp::create(kb, kl, acc[1], sums,
                                  ValueRange{cIdx(kb, kl, 1), gid});
          memref::StoreOp::create(kb, kl, acc[2], maxima,
                                  ValueRange{cIdx(kb, kl, 0), gid});
        });
    SmallVector<Value> total = kernels.reducePartials(
        rewriter, loc, name, sums, KernelBuilder::Combine::AddF);
    Value maxAbs = kernels.reducePartials(rewriter, loc, name + "_max", maxima,
                                          KernelBuilder::Combine::MaxF)[0];
    Value sumAbs = total[0], sumSq = total[1];

    // The host part, exactly as the CPU lowering computes it.
    auto cf64 = [&](double v) -> Value {
      return arith::ConstantOp::create(rewriter, loc,
                                       rewriter.getF64FloatAttr(v));
    };
    Value dn = cf64(static_cast<double>(n));
    Value meanAbs = arith::DivFOp::create(rewriter, loc, sumAbs, dn);
    Value meanSq = arith::DivFOp::create(rewriter, loc, sumSq, dn);
    Value t1 = arith::MulFOp::create(
        rewriter, loc, cf64(12.1), math::SqrtOp::create(rewriter, loc, meanSq));
    Value t2 = arith::MulFOp::create(rewriter, loc, cf64(12.2), meanAbs);
    Value alpha = arith::SubFOp::create(rewriter, loc, t1, t2);
    Value maxD = arith::ExtFOp::create(rewriter, loc, f64, maxAbs);
    Value useMax = arith::OrIOp::create(
        rewriter, loc,
        arith::CmpFOp::create(rewriter, loc, P::UGT, cf64(0.0), alpha)
            .getResult(),
        arith::CmpFOp::create(rewriter, loc, P::OGT, alpha, maxD).getResult());
    useMax = arith::OrIOp::create(
        rewriter, loc, useMax,
        arith::CmpFOp::create(rewriter, loc, P::OEQ, alpha, cf64(0.0)));
    alpha = arith::SelectOp::create(rewriter, loc, useMax, maxD, alpha);
    Value scale = arith::TruncFOp::create(
        rewriter, loc, f32, arith::DivFOp::create(rewriter, loc, cf64(7.0),
                                                  alpha));
    Value bad = arith::OrIOp::create(rewriter, loc, sb.isNonFinite(maxAbs),
                                     sb.fcmp(P::OEQ, maxAbs, sb.f32(0.0f)));
    rewriter.replaceOp(op, sb.select(bad, one, scale));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// lowp_matmul
//===----------------------------------------------------------------------===//

/// Whether every value of `format` is exact in e4m3 (radix4 odd after the
/// doubling described below); see docs/gpu.md.
bool isExactInE4M3(FormatAttr format) {
  if (format.getBlock())
    return false;
  switch (format.getKind()) {
  case ElementKind::int4:
  case ElementKind::uint4:
  case ElementKind::e2m1:
  case ElementKind::radix2_fp4:
  case ElementKind::radix4:
  case ElementKind::e4m3:
    return true;
  default:
    return false;
  }
}

struct LowpMatmulLowering : GPUPattern<LowpMatmulOp> {
  using GPUPattern::GPUPattern;

  /// Tile of one block of the MMA kernel (4 warps of 32x32) and K step.
  static constexpr int64_t kTileM = 64, kTileN = 64, kTileK = 32;

  LogicalResult
  matchAndRewrite(LowpMatmulOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto lhsType = cast<QTensorType>(op.getLhs().getType());
    auto rhsType = cast<QTensorType>(op.getRhs().getType());
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Storage ls = storageOf(adaptor.getLhs()), rs = storageOf(adaptor.getRhs());
    int64_t k = op.getTransposeA() ? lhsType.getShape()[0]
                                   : lhsType.getShape()[1];
    int64_t m = resultType.getShape()[0], n = resultType.getShape()[1];
    // C = acc / (scale(A) * scale(B)): the denominator on the host.
    Value denom = arith::MulFOp::create(rewriter, loc, ls.scale, rs.scale);
    Value out = allocBuffer(rewriter, loc, {m * n}, rewriter.getF32Type());

    bool mma = chip.hasFP8MMA && op.getAccumulation() == Accumulation::f32 &&
               isExactInE4M3(lhsType.getFormat()) &&
               isExactInE4M3(rhsType.getFormat()) && m > 0 && n > 0 && k > 0;
    if (mma)
      emitMMA(rewriter, loc, op, lhsType, rhsType, ls, rs, m, n, k, denom,
              out);
    else
      emitFallback(rewriter, loc, op, lhsType, rhsType, ls, rs, m, n, k, denom,
                   out);
    rewriter.replaceOp(op, unflatten(rewriter, loc,
                                     resultTensor(rewriter, loc, out), {m, n}));
    return success();
  }

  /// One thread per result element, both operands decoded to f32 first; the
  /// k order and the arithmetic are those of the CPU lowering.
  void emitFallback(OpBuilder &b, Location loc, LowpMatmulOp op,
                    QTensorType lhsType, QTensorType rhsType, Storage ls,
                    Storage rs, int64_t m, int64_t n, int64_t k, Value denom,
                    Value out) const {
    Type f32 = b.getF32Type(), f16 = b.getF16Type(), f64 = b.getF64Type();
    std::string name = kernels.uniqueStem("fp4_lowp_matmul");
    Value a = emitDecodeKernel(b, loc, kernels, name + "_decode_a",
                               lhsType.getFormat(),
                               readBuffer(b, loc, ls.codes),
                               lhsType.getNumElements(), Value(), f32);
    Value bm = emitDecodeKernel(b, loc, kernels, name + "_decode_b",
                                rhsType.getFormat(),
                                readBuffer(b, loc, rs.codes),
                                rhsType.getNumElements(), Value(), f32);
    bool ta = op.getTransposeA(), tb = op.getTransposeB();
    bool f16Acc = op.getAccumulation() == Accumulation::f16;
    int64_t chunk = f16Acc ? *op.getChunk() : k;
    kernels.grid1D(b, loc, name, m * n, [&](OpBuilder &kb, Location kl,
                                            Value gid) {
      Value i = arith::DivUIOp::create(kb, kl, gid, cIdx(kb, kl, n));
      Value j = arith::RemUIOp::create(kb, kl, gid, cIdx(kb, kl, n));
      auto product = [&](OpBuilder &pb, Location pl, Value kk) -> Value {
        auto idx = [&](Value r, Value c, int64_t cols) -> Value {
          return arith::AddIOp::create(
              pb, pl, arith::MulIOp::create(pb, pl, r, cIdx(pb, pl, cols)), c);
        };
        Value ia = ta ? idx(kk, i, m) : idx(i, kk, k);
        Value ib = tb ? idx(j, kk, k) : idx(kk, j, n);
        Value x = memref::LoadOp::create(pb, pl, a, ValueRange{ia});
        Value y = memref::LoadOp::create(pb, pl, bm, ValueRange{ib});
        return arith::MulFOp::create(pb, pl, x, y);
      };
      Value zero = cF32(kb, kl, 0.0f);
      Value acc;
      if (!f16Acc) {
        auto loop = scf::ForOp::create(
            kb, kl, cIdx(kb, kl, 0), cIdx(kb, kl, k), cIdx(kb, kl, 1),
            ValueRange{zero},
            [&](OpBuilder &lb, Location ll, Value kk, ValueRange args) {
              scf::YieldOp::create(
                  lb, ll,
                  ValueRange{arith::AddFOp::create(lb, ll, args[0],
                                                   product(lb, ll, kk))});
            });
        acc = loop.getResult(0);
      } else {
        // Chunks of `chunk` products summed in f16 (one rounding per
        // addition, computed exactly in f64), chunk sums added in f32. The
        // CPU pads k with zeros; skipping them gives the same sums (+-0
        // products do not change a sum that is never -0).
        int64_t chunks = (k + chunk - 1) / chunk;
        Value zero16 = arith::ConstantOp::create(kb, kl, kb.getF16FloatAttr(0));
        auto outer = scf::ForOp::create(
            kb, kl, cIdx(kb, kl, 0), cIdx(kb, kl, chunks), cIdx(kb, kl, 1),
            ValueRange{zero},
            [&](OpBuilder &ob, Location ol, Value c, ValueRange oargs) {
              Value lo = arith::MulIOp::create(ob, ol, c, cIdx(ob, ol, chunk));
              Value hi = arith::MinUIOp::create(
                  ob, ol, arith::AddIOp::create(ob, ol, lo, cIdx(ob, ol, chunk)),
                  cIdx(ob, ol, k));
              auto inner = scf::ForOp::create(
                  ob, ol, lo, hi, cIdx(ob, ol, 1), ValueRange{zero16},
                  [&](OpBuilder &ib, Location il, Value kk, ValueRange iargs) {
                    Value p = product(ib, il, kk);
                    Value sum = arith::AddFOp::create(
                        ib, il, arith::ExtFOp::create(ib, il, f64, iargs[0]),
                        arith::ExtFOp::create(ib, il, f64, p));
                    scf::YieldOp::create(
                        ib, il,
                        ValueRange{arith::TruncFOp::create(ib, il, f16, sum)});
                  });
              Value part = arith::ExtFOp::create(ob, ol, f32,
                                                 inner.getResult(0));
              scf::YieldOp::create(
                  ob, ol,
                  ValueRange{arith::AddFOp::create(ob, ol, oargs[0], part)});
            });
        acc = outer.getResult(0);
      }
      memref::StoreOp::create(kb, kl, arith::DivFOp::create(kb, kl, acc, denom),
                              out, ValueRange{gid});
    });
  }

  /// Converts an operand to a zero-padded matrix of e4m3 bytes, `rows` x
  /// `kPadded`, k contiguous (row-major for A, "col" layout for B), stored
  /// as i32 words of 4 consecutive k. Element (r, c) of the matrix is
  /// element `flatIndex(r, c)` of the operand's storage.
  Value emitToE4M3(OpBuilder &b, Location loc, StringRef name,
                   FormatAttr format, Value codes, int64_t rows,
                   int64_t rowsPadded, int64_t kdim, int64_t kPadded,
                   function_ref<Value(OpBuilder &, Location, Value, Value)>
                       flatIndex) const {
    int64_t words = kPadded / 4;
    Value out = allocBuffer(b, loc, {rowsPadded * words}, b.getI32Type());
    bool four = format.getBitWidth() == 4;
    bool odd = format.getKind() == ElementKind::radix4 &&
               format.getPhase() == Phase::odd;
    kernels.grid1D(b, loc, name, rowsPadded * words, [&](OpBuilder &kb,
                                                         Location kl,
                                                         Value w) {
      Value r = arith::DivUIOp::create(kb, kl, w, cIdx(kb, kl, words));
      Value c0 = arith::MulIOp::create(
          kb, kl, arith::RemUIOp::create(kb, kl, w, cIdx(kb, kl, words)),
          cIdx(kb, kl, 4));
      Value rowOk = arith::CmpIOp::create(kb, kl, arith::CmpIPredicate::ult, r,
                                          cIdx(kb, kl, rows));
      SmallVector<Value> laneCodes;
      Type i8 = kb.getI8Type();
      for (int64_t i = 0; i < 4; ++i) {
        Value c = arith::AddIOp::create(kb, kl, c0, cIdx(kb, kl, i));
        Value ok = arith::AndIOp::create(
            kb, kl, rowOk,
            arith::CmpIOp::create(kb, kl, arith::CmpIPredicate::ult, c,
                                  cIdx(kb, kl, kdim)));
        Value e = arith::SelectOp::create(kb, kl, ok, flatIndex(kb, kl, r, c),
                                          cIdx(kb, kl, 0));
        Value code = loadCode(kb, kl, codes, e, four);
        laneCodes.push_back(arith::SelectOp::create(
            kb, kl, ok, code,
            arith::ConstantOp::create(kb, kl, kb.getI8IntegerAttr(0))));
      }
      Value v = vector::FromElementsOp::create(kb, kl, vecOf(4, i8), laneCodes);
      if (format.getKind() != ElementKind::e4m3) {
        // Exact: every value of these formats (radix4 odd doubled) is an
        // e4m3 value, so decode + nearest encode is the identity on values.
        auto vf32 = vecOf(4, kb.getF32Type());
        Value vals = ::fp4::FormatCodec(kb, kl, format, vf32).decode(v);
        if (odd)
          vals = arith::MulFOp::create(
              kb, kl, vals,
              arith::ConstantOp::create(
                  kb, kl,
                  DenseElementsAttr::get(vf32, kb.getF32FloatAttr(2.0f))));
        auto e4m3 = FormatAttr::get(kb.getContext(), ElementKind::e4m3,
                                    std::nullopt, BlockScaleAttr());
        v = ::fp4::FormatCodec(kb, kl, e4m3, vf32).encodeNearest(vals).codes;
      }
      Value word = vector::ExtractOp::create(
          kb, kl,
          vector::BitCastOp::create(kb, kl, vecOf(1, kb.getI32Type()), v),
          ArrayRef<int64_t>{0});
      memref::StoreOp::create(kb, kl, word, out, ValueRange{w});
    });
    return out;
  }

  /// FP8 tensor-core path: both operands as e4m3 matrices, 64x64 result
  /// tiles per block of 4 warps, 32x32 per warp (2 x 4 MMAs of m16n8k32).
  void emitMMA(OpBuilder &b, Location loc, LowpMatmulOp op, QTensorType lhsType,
               QTensorType rhsType, Storage ls, Storage rs, int64_t m,
               int64_t n, int64_t k, Value denom, Value out) const {
    bool ta = op.getTransposeA(), tb = op.getTransposeB();
    int64_t mp = llvm::alignTo(m, kTileM), np = llvm::alignTo(n, kTileN);
    int64_t kp = llvm::alignTo(k, kTileK), kw = kp / 4;
    std::string name = kernels.uniqueStem("fp4_lowp_matmul_mma");
    auto idx = [](OpBuilder &ib, Location il, Value r, Value c,
                  int64_t cols) -> Value {
      return arith::AddIOp::create(
          ib, il, arith::MulIOp::create(ib, il, r, cIdx(ib, il, cols)), c);
    };
    // A8[i][kk] = A(i, kk); B8[j][kk] = B(kk, j).
    Value a8 = emitToE4M3(
        b, loc, name + "_a", lhsType.getFormat(), readBuffer(b, loc, ls.codes),
        m, mp, k, kp, [&](OpBuilder &ib, Location il, Value i, Value kk) {
          return ta ? idx(ib, il, kk, i, m) : idx(ib, il, i, kk, k);
        });
    Value b8 = emitToE4M3(
        b, loc, name + "_b", rhsType.getFormat(), readBuffer(b, loc, rs.codes),
        n, np, k, kp, [&](OpBuilder &ib, Location il, Value j, Value kk) {
          return tb ? idx(ib, il, j, kk, k) : idx(ib, il, kk, j, n);
        });
    // Radix-4 odd codes were doubled: scale the sums back (exact).
    int shift = 0;
    for (QTensorType t : {lhsType, rhsType})
      if (t.getFormat().getKind() == ElementKind::radix4 &&
          t.getFormat().getPhase() == Phase::odd)
        ++shift;

    MLIRContext *ctx = b.getContext();
    Type f32 = b.getF32Type();
    auto accType = LLVM::LLVMStructType::getLiteral(ctx, {f32, f32, f32, f32});
    kernels.grid2D(
        b, loc, name, np / kTileN, mp / kTileM, /*blockSize=*/128,
        [&](OpBuilder &kb, Location kl, Value bx, Value by, Value tid) {
          auto c = [&](int64_t v) { return cIdx(kb, kl, v); };
          auto add = [&](Value x, Value y) -> Value {
            return arith::AddIOp::create(kb, kl, x, y);
          };
          auto mul = [&](Value x, int64_t y) -> Value {
            return arith::MulIOp::create(kb, kl, x, c(y));
          };
          Value warp = arith::DivUIOp::create(kb, kl, tid, c(32));
          Value lane = arith::RemUIOp::create(kb, kl, tid, c(32));
          Value g = arith::DivUIOp::create(kb, kl, lane, c(4));
          Value t = arith::RemUIOp::create(kb, kl, lane, c(4));
          Value rowBase =
              add(mul(by, kTileM),
                  mul(arith::DivUIOp::create(kb, kl, warp, c(2)), 32));
          Value colBase =
              add(mul(bx, kTileN),
                  mul(arith::RemUIOp::create(kb, kl, warp, c(2)), 32));
          SmallVector<Value> zeros(32, cF32(kb, kl, 0.0f));
          auto loop = scf::ForOp::create(
              kb, kl, c(0), c(kw), c(kTileK / 4), zeros,
              [&](OpBuilder &lb, Location ll, Value kk, ValueRange acc) {
                auto load = [&](Value row, int64_t wordOffset, Value matrix) {
                  Value word = arith::AddIOp::create(
                      lb, ll,
                      arith::AddIOp::create(
                          lb, ll,
                          arith::MulIOp::create(lb, ll, row, cIdx(lb, ll, kw)),
                          kk),
                      arith::AddIOp::create(lb, ll, t,
                                            cIdx(lb, ll, wordOffset)));
                  return memref::LoadOp::create(lb, ll, matrix,
                                                ValueRange{word})
                      .getResult();
                };
                auto rowPlus = [&](Value base, int64_t off) -> Value {
                  return arith::AddIOp::create(
                      lb, ll, arith::AddIOp::create(lb, ll, base, g),
                      cIdx(lb, ll, off));
                };
                SmallVector<std::array<Value, 4>> afrag;
                for (int64_t mi = 0; mi < 2; ++mi) {
                  Value r0 = rowPlus(rowBase, mi * 16);
                  Value r8 = rowPlus(rowBase, mi * 16 + 8);
                  afrag.push_back({load(r0, 0, a8), load(r8, 0, a8),
                                   load(r0, 4, a8), load(r8, 4, a8)});
                }
                SmallVector<std::array<Value, 2>> bfrag;
                for (int64_t ni = 0; ni < 4; ++ni) {
                  Value col = rowPlus(colBase, ni * 8);
                  bfrag.push_back({load(col, 0, b8), load(col, 4, b8)});
                }
                SmallVector<Value> next;
                for (int64_t mi = 0; mi < 2; ++mi)
                  for (int64_t ni = 0; ni < 4; ++ni) {
                    int64_t base = (mi * 4 + ni) * 4;
                    SmallVector<Value> operands(afrag[mi].begin(),
                                                afrag[mi].end());
                    operands.append(bfrag[ni].begin(), bfrag[ni].end());
                    for (int64_t r = 0; r < 4; ++r)
                      operands.push_back(acc[base + r]);
                    auto asmOp = LLVM::InlineAsmOp::create(
                        lb, ll, accType, operands,
                        "mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 "
                        "{$0, $1, $2, $3}, {$4, $5, $6, $7}, {$8, $9}, "
                        "{$10, $11, $12, $13};",
                        "=f,=f,=f,=f,r,r,r,r,r,r,f,f,f,f",
                        /*has_side_effects=*/false, /*is_align_stack=*/false,
                        LLVM::tailcallkind::TailCallKind::None,
                        LLVM::AsmDialectAttr::get(ctx,
                                                  LLVM::AsmDialect::AD_ATT),
                        /*operand_attrs=*/ArrayAttr());
                    for (int64_t r = 0; r < 4; ++r)
                      next.push_back(LLVM::ExtractValueOp::create(
                          lb, ll, asmOp.getResult(0), ArrayRef<int64_t>{r}));
                  }
                scf::YieldOp::create(lb, ll, next);
              });
          // Epilogue: C[row][col] = acc * 2^-shift / denom where in range.
          Value unshift = cF32(kb, kl, std::ldexp(1.0f, -shift));
          for (int64_t mi = 0; mi < 2; ++mi)
            for (int64_t ni = 0; ni < 4; ++ni)
              for (int64_t r = 0; r < 4; ++r) {
                Value row = add(add(rowBase, g), c(mi * 16 + (r >= 2 ? 8 : 0)));
                Value col = add(add(colBase, mul(t, 2)), c(ni * 8 + (r & 1)));
                Value ok = arith::AndIOp::create(
                    kb, kl,
                    arith::CmpIOp::create(kb, kl, arith::CmpIPredicate::ult,
                                          row, c(m)),
                    arith::CmpIOp::create(kb, kl, arith::CmpIPredicate::ult,
                                          col, c(n)));
                auto ifOp = scf::IfOp::create(kb, kl, ok, false);
                OpBuilder::InsertionGuard guard(kb);
                kb.setInsertionPointToStart(ifOp.thenBlock());
                Value v = loop.getResult((mi * 4 + ni) * 4 + r);
                if (shift)
                  v = arith::MulFOp::create(kb, kl, v, unshift);
                memref::StoreOp::create(
                    kb, kl, arith::DivFOp::create(kb, kl, v, denom), out,
                    ValueRange{add(mul(row, n), col)});
              }
        });
  }
};

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

/// `nvvm.convert.f32x2.to.f4x2` is pure, but LLVM 22.1 does not say so;
/// without a memory-effect model the buffer deallocation pass rejects any
/// function that contains it.
struct PureConvertF32x2ToF4x2
    : MemoryEffectOpInterface::ExternalModel<PureConvertF32x2ToF4x2,
                                             NVVM::ConvertF32x2ToF4x2Op> {
  void getEffects(Operation *,
                  SmallVectorImpl<SideEffects::EffectInstance<
                      MemoryEffects::Effect>> &) const {}
};

struct ConvertFP4ToGPUPass
    : ::fp4::impl::ConvertFP4ToGPUBase<ConvertFP4ToGPUPass> {
  using Base::Base;

  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    ::fp4::registerGPUConversionInterfaces(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    llvm::Expected<const ::fp4::GPUChip *> gpuChip = ::fp4::checkGPUChip(chip);
    if (!gpuChip) {
      module.emitError(llvm::toString(gpuChip.takeError()));
      return signalPassFailure();
    }
    if (blockSize < 32 || blockSize > 1024 || blockSize % 32 != 0) {
      module.emitError("block-size must be a multiple of 32 in [32, 1024], "
                       "got ")
          << static_cast<int64_t>(blockSize);
      return signalPassFailure();
    }
    if (maxBlocks < 1) {
      module.emitError("max-blocks must be positive, got ")
          << static_cast<int64_t>(maxBlocks);
      return signalPassFailure();
    }
    KernelBuilder kernels(module, blockSize, maxBlocks);

    QTensorTypeConverter converter;
    ConversionTarget target(*ctx);
    target.addIllegalDialect<FP4Dialect>();
    target.addDynamicallyLegalOp<GradScaleOp, ComputeScaleOp>(
        [](Operation *op) { return op->hasAttr(kHostAttr); });
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
      return converter.isSignatureLegal(op.getFunctionType()) &&
             converter.isLegal(&op.getBody());
    });
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
                 ComputeScaleLowering, LowpMatmulLowering>(converter, ctx,
                                                           kernels, **gpuChip);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void ::fp4::registerGPUConversionInterfaces(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, NVVM::NVVMDialect *) {
    NVVM::ConvertF32x2ToF4x2Op::attachInterface<PureConvertF32x2ToF4x2>(*ctx);
  });
}
