//===- CPUConvToGemm.cpp - Convolutions as GEMMs over im2col buffers ------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// `fp4-cpu-conv-to-gemm`: per image (and group), the input windows of a
// convolution are copied into a column buffer col[q = (c, kh, kw), p = (oh,
// ow)] and the convolution becomes a GEMM on it:
//
//   forward / input gradient:  out[n][f, p] += W[f, q] * col_n[q, p]
//   weight gradient:           dW^T[q, f]   += col_n[q, p] * dY_n^T[p, f]
//
// The GEMMs are `linalg.matmul`s that fp4-cpu-tile-and-vectorize tiles and
// vectorizes; the copies are `linalg.copy`s of (strided) input windows.
// Every output element still sums its products in the original loop order
// (c, kh, kw for the forward convolution; n, oh, ow for the weight gradient),
// with one rounding per multiply and add.
//
//===----------------------------------------------------------------------===//

#include "fp4/Transforms/CPUPasses.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace fp4 {
#define GEN_PASS_DEF_FP4CPUCONVTOGEMM
#include "fp4/Transforms/CPUPasses.h.inc"
} // namespace fp4

using namespace mlir;

namespace {

/// Geometry of a 2-D convolution (g = 1 when not grouped).
struct ConvGeometry {
  bool grouped = false;
  int64_t n = 0, g = 1, c = 0, h = 0, w = 0, f = 0, kh = 0, kw = 0, oh = 0,
          ow = 0;
  int64_t sh = 1, sw = 1, dh = 1, dw = 1;
  int64_t q() const { return c * kh * kw; }
  int64_t p() const { return oh * ow; }
};

Value cIndex(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

SmallVector<OpFoldResult> attrs(OpBuilder &b, ArrayRef<int64_t> v) {
  return getAsIndexOpFoldResult(b.getContext(), v);
}

/// Reassociation of `drop` leading unit dims and `rank` more dims: the unit
/// dims merge into the first of the others.
SmallVector<ReassociationIndices> leadingUnitDimGroups(size_t drop,
                                                       int64_t rank) {
  SmallVector<ReassociationIndices> groups;
  for (int64_t i = 0; i < rank; ++i) {
    ReassociationIndices g;
    if (i == 0)
      for (size_t j = 0; j < drop; ++j)
        g.push_back(j);
    g.push_back(drop + i);
    groups.push_back(g);
  }
  return groups;
}

/// A slice of `t` at `offsets` with `sizes` and `strides`, whose leading
/// unit dims are then dropped down to `resultShape` by a collapse_shape
/// (rather than a rank-reducing slice, which is ambiguous when other dims
/// are 1 too).
Value slice(OpBuilder &b, Location loc, Value t, ArrayRef<OpFoldResult> offsets,
            ArrayRef<int64_t> sizes, ArrayRef<int64_t> resultShape,
            ArrayRef<int64_t> strides = {}) {
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<int64_t> unit(sizes.size(), 1);
  if (strides.empty())
    strides = unit;
  Value full = tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get(sizes, type.getElementType()), t, offsets,
      attrs(b, sizes), attrs(b, strides));
  size_t drop = sizes.size() - resultShape.size();
  if (drop == 0)
    return full;
  return tensor::CollapseShapeOp::create(
      b, loc, full, leadingUnitDimGroups(drop, resultShape.size()));
}

/// `src` with leading unit dims added up to the rank of `sizes` (the inverse
/// of the collapse in `slice`).
Value unsqueeze(OpBuilder &b, Location loc, Value src, ArrayRef<int64_t> sizes) {
  auto type = cast<RankedTensorType>(src.getType());
  size_t drop = sizes.size() - type.getRank();
  if (drop == 0)
    return src;
  SmallVector<ReassociationIndices> groups =
      leadingUnitDimGroups(drop, type.getRank());
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(sizes, type.getElementType()), src,
      groups);
}

Value insert(OpBuilder &b, Location loc, Value src, Value dst,
             ArrayRef<OpFoldResult> offsets, ArrayRef<int64_t> sizes) {
  SmallVector<OpFoldResult> strides(sizes.size(), b.getIndexAttr(1));
  return tensor::InsertSliceOp::create(b, loc, unsqueeze(b, loc, src, sizes),
                                       dst, offsets, attrs(b, sizes), strides);
}

Value collapse(OpBuilder &b, Location loc, Value t,
               ArrayRef<ReassociationIndices> groups) {
  return tensor::CollapseShapeOp::create(b, loc, t, groups);
}

Value expandTo(OpBuilder &b, Location loc, Value t, ArrayRef<int64_t> shape,
               ArrayRef<ReassociationIndices> groups) {
  auto type = cast<RankedTensorType>(t.getType());
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), t, groups);
}

/// Copies the windows of one image (and group), `image` [c, h, w], into
/// `dest` [q, chunk, oh, ow] at position `slot` of the chunk dim.
Value emitIm2colInto(OpBuilder &b, Location loc, Value image,
                     const ConvGeometry &geo, Value dest, OpFoldResult slot) {
  auto loop = scf::ForOp::create(
      b, loc, cIndex(b, loc, 0), cIndex(b, loc, geo.q()), cIndex(b, loc, 1),
      ValueRange{dest},
      [&](OpBuilder &nb, Location l, Value q, ValueRange args) {
        // q = (c * KH + kh) * KW + kw.
        Value kwI = arith::RemUIOp::create(nb, l, q, cIndex(nb, l, geo.kw));
        Value rest = arith::DivUIOp::create(nb, l, q, cIndex(nb, l, geo.kw));
        Value khI = arith::RemUIOp::create(nb, l, rest, cIndex(nb, l, geo.kh));
        Value cI = arith::DivUIOp::create(nb, l, rest, cIndex(nb, l, geo.kh));
        Value hOff = arith::MulIOp::create(nb, l, khI, cIndex(nb, l, geo.dh));
        Value wOff = arith::MulIOp::create(nb, l, kwI, cIndex(nb, l, geo.dw));
        // 3-D copies [1, OH, OW]: a collapse of the strided window to 2-D
        // would bufferize to a temporary and a generic copy.
        Value window = slice(nb, l, image,
                             SmallVector<OpFoldResult>{cI, hOff, wOff},
                             {1, geo.oh, geo.ow}, {1, geo.oh, geo.ow},
                             {1, geo.sh, geo.sw});
        SmallVector<OpFoldResult> dstOffsets{q, slot, nb.getIndexAttr(0),
                                             nb.getIndexAttr(0)};
        Value dst = slice(nb, l, args[0], dstOffsets, {1, 1, geo.oh, geo.ow},
                          {1, geo.oh, geo.ow});
        Value copied =
            linalg::CopyOp::create(nb, l, window, dst).getResult(0);
        scf::YieldOp::create(nb, l,
                             insert(nb, l, copied, args[0], dstOffsets,
                                    {1, 1, geo.oh, geo.ow}));
      });
  return loop.getResult(0);
}

bool isPointwise(const ConvGeometry &geo) { return geo.kh == 1 && geo.kw == 1; }

/// col[q, p] of one image (and group): `image` is [c, h, w].
Value emitIm2col(OpBuilder &b, Location loc, Value image,
                 const ConvGeometry &geo) {
  Type et = cast<RankedTensorType>(image.getType()).getElementType();
  if (isPointwise(geo)) {
    // A 1 x 1 filter's windows are the (strided) image itself: col is the
    // image, or one strided copy of it.
    if (geo.sh != 1 || geo.sw != 1 || geo.oh != geo.h || geo.ow != geo.w) {
      Value window = slice(b, loc, image,
                           attrs(b, {0, 0, 0}), {geo.c, geo.oh, geo.ow},
                           {geo.c, geo.oh, geo.ow}, {1, geo.sh, geo.sw});
      image = linalg::CopyOp::create(
                  b, loc, window,
                  tensor::EmptyOp::create(
                      b, loc, ArrayRef<int64_t>{geo.c, geo.oh, geo.ow}, et)
                      .getResult())
                  .getResult(0);
    }
    return collapse(b, loc, image, {{0}, {1, 2}});
  }
  Value col = tensor::EmptyOp::create(
      b, loc, ArrayRef<int64_t>{geo.q(), 1, geo.oh, geo.ow}, et);
  col = emitIm2colInto(b, loc, image, geo, col, b.getIndexAttr(0));
  return collapse(b, loc, col, {{0}, {1, 2, 3}});
}

/// col[q, chunk, oh, ow] of images n0 .. n0 + chunk - 1 (of group `g`, null
/// when not grouped): the columns of one GEMM over several images.
Value emitChunkIm2col(OpBuilder &b, Location loc, Value x,
                      const ConvGeometry &geo, Value n0, int64_t chunk,
                      Value g) {
  Type et = cast<RankedTensorType>(x.getType()).getElementType();
  OpFoldResult z = b.getIndexAttr(0);
  Value col = tensor::EmptyOp::create(
      b, loc, ArrayRef<int64_t>{geo.q(), chunk, geo.oh, geo.ow}, et);
  if (isPointwise(geo) && !g) {
    // A 1 x 1 filter: col is the chunk's (strided) images with the image and
    // channel dims swapped, one transpose instead of a copy per channel and
    // image.
    Value window = tensor::ExtractSliceOp::create(
        b, loc,
        RankedTensorType::get({chunk, geo.c, geo.oh, geo.ow}, et), x,
        SmallVector<OpFoldResult>{n0, z, z, z},
        attrs(b, {chunk, geo.c, geo.oh, geo.ow}),
        attrs(b, {1, 1, geo.sh, geo.sw}));
    return linalg::TransposeOp::create(b, loc, window, col,
                                       ArrayRef<int64_t>{1, 0, 2, 3})
        .getResult()[0];
  }
  auto images = scf::ForOp::create(
      b, loc, cIndex(b, loc, 0), cIndex(b, loc, chunk), cIndex(b, loc, 1),
      ValueRange{col},
      [&](OpBuilder &ib, Location il, Value i, ValueRange iargs) {
        Value n = arith::AddIOp::create(ib, il, n0, i);
        Value image =
            g ? slice(ib, il, x, {n, g, z, z, z}, {1, 1, geo.c, geo.h, geo.w},
                      {geo.c, geo.h, geo.w})
              : slice(ib, il, x, {n, z, z, z}, {1, geo.c, geo.h, geo.w},
                      {geo.c, geo.h, geo.w});
        scf::YieldOp::create(
            ib, il, emitIm2colInto(ib, il, image, geo, iargs[0], i));
      });
  return images.getResult(0);
}

/// C[m, n] += A[m, k] * B[k, n] as linalg.matmul.
Value matmul(OpBuilder &b, Location loc, Value a, Value bm, Value c) {
  return linalg::MatmulOp::create(b, loc, TypeRange{c.getType()},
                                  ValueRange{a, bm}, ValueRange{c})
      .getResult(0);
}

/// Runs `body(builder, n, acc) -> acc'` for n in [0, count) over the
/// tensor `init`, where `acc` is the slice [n] (rank-reduced, `sliceShape`)
/// of the loop's tensor: an scf.forall when `parallel`, else an scf.for.
///
/// With `chunk` > 1 the loop runs over `count` chunks of `chunk` images:
/// `acc` is the slice [chunk * i, chunk) (not rank-reduced: `sliceShape`
/// starts with chunk) and `body` gets the chunk's first image.
Value loopOverImages(OpBuilder &b, Location loc, int64_t count, Value init,
                     ArrayRef<int64_t> sliceShape, bool parallel,
                     function_ref<Value(OpBuilder &, Location, Value, Value)>
                         body,
                     int64_t chunk = 1) {
  auto type = cast<RankedTensorType>(init.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> sizes;
  if (chunk == 1)
    sizes.push_back(1);
  sizes.append(sliceShape.begin(), sliceShape.end());
  auto offsetsAt = [&](OpBuilder &nb, Value &n) {
    SmallVector<OpFoldResult> offsets(rank, nb.getIndexAttr(0));
    if (chunk > 1)
      n = arith::MulIOp::create(nb, n.getLoc(), n,
                                cIndex(nb, n.getLoc(), chunk));
    offsets[0] = n;
    return offsets;
  };
  if (parallel) {
    auto forall = scf::ForallOp::create(
        b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(count)},
        ValueRange{init}, std::nullopt);
    OpBuilder nb = OpBuilder::atBlockBegin(forall.getBody());
    Value n = forall.getInductionVars()[0];
    Value out = forall.getRegionIterArgs()[0];
    SmallVector<OpFoldResult> offsets = offsetsAt(nb, n);
    Value acc = slice(nb, loc, out, offsets, sizes, sliceShape);
    Value result = unsqueeze(nb, loc, body(nb, loc, n, acc), sizes);
    nb.setInsertionPointToEnd(forall.getTerminator().getBody());
    SmallVector<OpFoldResult> strides(rank, nb.getIndexAttr(1));
    tensor::ParallelInsertSliceOp::create(nb, loc, result, out, offsets,
                                          attrs(nb, sizes), strides);
    return forall.getResult(0);
  }
  auto loop = scf::ForOp::create(
      b, loc, cIndex(b, loc, 0), cIndex(b, loc, count), cIndex(b, loc, 1),
      ValueRange{init},
      [&](OpBuilder &nb, Location l, Value n, ValueRange args) {
        SmallVector<OpFoldResult> offsets = offsetsAt(nb, n);
        Value acc = slice(nb, l, args[0], offsets, sizes, sliceShape);
        Value result = body(nb, l, n, acc);
        scf::YieldOp::create(nb, l,
                             insert(nb, l, result, args[0], offsets, sizes));
      });
  return loop.getResult(0);
}

/// Images per GEMM of a convolution whose images have few output pixels:
/// one GEMM over `chunk` images' columns, out[f, (i, p)] += W[f, q] *
/// col[q, (i, p)], has N = chunk * p columns where one image's GEMM would
/// have p (7 x 7 = 49: 3 vectors of 16 lanes and a 1-lane remainder).
/// The smallest divisor of n with at least kMinGemmColumns columns and col
/// of at most 4 MiB; 1 when p alone is wide enough.
constexpr int64_t kMinGemmColumns = 256;

int64_t imagesPerGemm(const ConvGeometry &geo, Type et) {
  if (geo.grouped || geo.p() >= kMinGemmColumns)
    return 1;
  int64_t bytesPerImage =
      geo.q() * geo.p() * static_cast<int64_t>(et.getIntOrFloatBitWidth() / 8);
  int64_t chunk = 1;
  for (int64_t c = 2; c <= geo.n; ++c) {
    if (geo.n % c != 0)
      continue;
    if (c * bytesPerImage > (int64_t(4) << 20))
      break;
    chunk = c;
    if (c * geo.p() >= kMinGemmColumns)
      break;
  }
  return chunk;
}

/// True for a constant +0.0 (not -0.0).
bool isPositiveZero(Value v) {
  FloatAttr value;
  return v && matchPattern(v, m_Constant(&value)) &&
         value.getValue().isPosZero();
}

/// The +0.0 that a convolution's output `init` is filled with (null if it
/// is anything else). Such an output is not read: each GEMM's accumulator
/// is filled with it instead, right before the GEMM (which
/// fp4-cpu-tile-and-vectorize then starts from zero without a pass over
/// memory), and the loop over images starts from a new empty tensor.
Value zeroFillValue(Value init) {
  auto fill = init.getDefiningOp<linalg::FillOp>();
  if (!fill || !fill.hasPureTensorSemantics() ||
      !isPositiveZero(fill.getInputs()[0]))
    return Value();
  return fill.getInputs()[0];
}

Value emptyLike(OpBuilder &b, Location loc, Value t) {
  auto type = cast<RankedTensorType>(t.getType());
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType());
}

Value fillWith(OpBuilder &b, Location loc, Value value, Value t) {
  return linalg::FillOp::create(b, loc, value, t).getResult(0);
}

/// Forward convolution of `chunk` images per GEMM (imagesPerGemm): the
/// accumulator [chunk, f, oh, ow] is transposed to [f, chunk * p] and back,
/// copies only. Each output element sums W[f, q] * col[q, p] over q in the
/// same order as the per-image GEMM: the same bits.
Value emitForwardChunked(OpBuilder &b, Location loc, Value x, Value w,
                         Value init, const ConvGeometry &geo, int64_t chunk,
                         bool parallel) {
  Type et = cast<RankedTensorType>(init.getType()).getElementType();
  int64_t p = geo.p();
  Value zero = zeroFillValue(init);
  if (zero)
    init = emptyLike(b, loc, init);
  return loopOverImages(
      b, loc, geo.n / chunk, init, {chunk, geo.f, geo.oh, geo.ow}, parallel,
      [&](OpBuilder &nb, Location l, Value n0, Value acc) -> Value {
        Value col = emitChunkIm2col(nb, l, x, geo, n0, chunk, Value());
        Value col2 = collapse(nb, l, col, {{0}, {1, 2, 3}});
        Value w2 = collapse(nb, l, w, {{0}, {1, 2, 3}});
        Value c2;
        if (zero) {
          // Zeros need no transpose.
          c2 = fillWith(nb, l, zero,
                        tensor::EmptyOp::create(
                            nb, l, ArrayRef<int64_t>{geo.f, chunk * p}, et));
        } else {
          Value acc3 = collapse(nb, l, acc, {{0}, {1}, {2, 3}});
          Value accT =
              linalg::TransposeOp::create(
                  nb, l, acc3,
                  tensor::EmptyOp::create(
                      nb, l, ArrayRef<int64_t>{geo.f, chunk, p}, et),
                  ArrayRef<int64_t>{1, 0, 2})
                  .getResult()[0];
          c2 = collapse(nb, l, accT, {{0}, {1, 2}});
        }
        Value r = matmul(nb, l, w2, col2, c2);
        Value r3 = expandTo(nb, l, r, {geo.f, chunk, p}, {{0}, {1, 2}});
        // Transposed straight into the chunk's slice of the output (no copy
        // of the chunk from a temporary).
        Value back = linalg::TransposeOp::create(
                         nb, l, r3, collapse(nb, l, acc, {{0}, {1}, {2, 3}}),
                         ArrayRef<int64_t>{1, 0, 2})
                         .getResult()[0];
        return expandTo(nb, l, back, {chunk, geo.f, geo.oh, geo.ow},
                        {{0}, {1}, {2, 3}});
      },
      chunk);
}

/// Forward (and input-gradient) convolution: per image and group,
/// out[f, p] += W[f, q] * col[q, p].
Value emitForward(OpBuilder &b, Location loc, Value x, Value w, Value init,
                  const ConvGeometry &geo, int64_t numThreads,
                  bool parallelOK) {
  Type et = cast<RankedTensorType>(init.getType()).getElementType();
  if (int64_t chunk = imagesPerGemm(geo, et); chunk > 1)
    return emitForwardChunked(b, loc, x, w, init, geo, chunk,
                              parallelOK && geo.n / chunk >= numThreads);
  bool parallel = parallelOK && geo.n >= numThreads;
  Value zero = geo.grouped ? Value() : zeroFillValue(init);
  if (zero)
    init = emptyLike(b, loc, init);
  // Per-image output slice: [(g,) f, oh, ow].
  SmallVector<int64_t> outSlice;
  if (geo.grouped)
    outSlice.push_back(geo.g);
  outSlice.append({geo.f, geo.oh, geo.ow});
  auto perGroup = [&](OpBuilder &nb, Location l, Value image, Value filter,
                      Value acc) -> Value {
    // image [c, h, w], filter [f, c, kh, kw], acc [f, oh, ow].
    Value col = emitIm2col(nb, l, image, geo);
    Value w2 = collapse(nb, l, filter, {{0}, {1, 2, 3}});
    Value c2 = collapse(nb, l, acc, {{0}, {1, 2}});
    if (zero)
      c2 = fillWith(nb, l, zero, c2);
    Value r = matmul(nb, l, w2, col, c2);
    return expandTo(nb, l, r, {geo.f, geo.oh, geo.ow}, {{0}, {1, 2}});
  };
  return loopOverImages(
      b, loc, geo.n, init, outSlice, parallel,
      [&](OpBuilder &nb, Location l, Value n, Value acc) -> Value {
        if (!geo.grouped) {
          Value image = slice(nb, l, x,
                              {n, nb.getIndexAttr(0), nb.getIndexAttr(0),
                               nb.getIndexAttr(0)},
                              {1, geo.c, geo.h, geo.w}, {geo.c, geo.h, geo.w});
          return perGroup(nb, l, image, w, acc);
        }
        auto loop = scf::ForOp::create(
            nb, l, cIndex(nb, l, 0), cIndex(nb, l, geo.g), cIndex(nb, l, 1),
            ValueRange{acc},
            [&](OpBuilder &gb, Location gl, Value g, ValueRange args) {
              OpFoldResult z = gb.getIndexAttr(0);
              Value image =
                  slice(gb, gl, x, {n, g, z, z, z},
                        {1, 1, geo.c, geo.h, geo.w}, {geo.c, geo.h, geo.w});
              Value filter = slice(gb, gl, w, {g, z, z, z, z},
                                   {1, geo.f, geo.c, geo.kh, geo.kw},
                                   {geo.f, geo.c, geo.kh, geo.kw});
              SmallVector<OpFoldResult> offsets{g, z, z, z};
              Value accG = slice(gb, gl, args[0], offsets,
                                 {1, geo.f, geo.oh, geo.ow},
                                 {geo.f, geo.oh, geo.ow});
              Value r = perGroup(gb, gl, image, filter, accG);
              scf::YieldOp::create(gb, gl,
                                   insert(gb, gl, r, args[0], offsets,
                                          {1, geo.f, geo.oh, geo.ow}));
            });
        return loop.getResult(0);
      });
}

/// Weight gradient: dW^T[q, f] += col_n[q, p] * dY_n^T[p, f] for n in
/// increasing order, per group; dW = transpose(dW^T).
Value emitFilterGrad(OpBuilder &b, Location loc, Value x, Value dy,
                     Value init, const ConvGeometry &geo) {
  Type et = cast<RankedTensorType>(init.getType()).getElementType();
  int64_t q = geo.q(), p = geo.p();
  // dY^T per image and group: [n, (g,) p, f] from [n, (g,) f, oh, ow].
  SmallVector<int64_t> dyShape{geo.n};
  if (geo.grouped)
    dyShape.push_back(geo.g);
  dyShape.append({geo.f, p});
  SmallVector<ReassociationIndices> dyGroups =
      geo.grouped ? SmallVector<ReassociationIndices>{{0}, {1}, {2}, {3, 4}}
                  : SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}};
  Value dy3 = collapse(b, loc, dy, dyGroups);
  // [(g,) n, p, f]: the rows of one group's chunk of images are contiguous.
  SmallVector<int64_t> permDy =
      geo.grouped ? SmallVector<int64_t>{1, 0, 3, 2}
                  : SmallVector<int64_t>{0, 2, 1};
  SmallVector<int64_t> dyTShape;
  for (int64_t d : permDy)
    dyTShape.push_back(dyShape[d]);
  Value dyT = linalg::TransposeOp::create(
                  b, loc, dy3,
                  tensor::EmptyOp::create(b, loc, dyTShape, et), permDy)
                  .getResult()[0];
  // dW^T [(g,) q, f], starting from the transposed init.
  SmallVector<int64_t> wShape{geo.f, q};
  SmallVector<int64_t> wTShape{q, geo.f};
  SmallVector<int64_t> permW{1, 0};
  Value init2;
  if (geo.grouped) {
    init2 = collapse(b, loc, init, {{0}, {1}, {2, 3, 4}});
    wShape.insert(wShape.begin(), geo.g);
    wTShape.insert(wTShape.begin(), geo.g);
    permW = {0, 2, 1};
  } else {
    init2 = collapse(b, loc, init, {{0}, {1, 2, 3}});
  }
  Value accT = linalg::TransposeOp::create(
                   b, loc, init2,
                   tensor::EmptyOp::create(b, loc, wTShape, et), permW)
                   .getResult()[0];
  // Chunks of images per GEMM (K = chunk * p): fewer, longer GEMMs, each
  // reloading the dW^T tile once; col[q, chunk, p] of about 4 MiB at most.
  int64_t bytesPerImage =
      q * p * static_cast<int64_t>(et.getIntOrFloatBitWidth() / 8);
  int64_t chunk = 1;
  for (int64_t c = 1; c <= geo.n; ++c)
    if (geo.n % c == 0 && c * bytesPerImage <= (int64_t(4) << 20))
      chunk = c;
  // dY^T as [(g,) n * p, f] rows.
  Value dyRows;
  if (geo.grouped) {
    dyRows = collapse(b, loc, dyT, {{0}, {1, 2}, {3}});
  } else {
    dyRows = collapse(b, loc, dyT, {{0, 1}, {2}});
  }
  // One chunk of group `g` (null when not grouped) into the accumulator
  // `acc` [q, f].
  auto chunkGemm = [&](OpBuilder &nb, Location l, Value n0, Value g,
                       Value acc) -> Value {
    OpFoldResult z = nb.getIndexAttr(0);
    Value col = emitChunkIm2col(nb, l, x, geo, n0, chunk, g);
    Value col2 = collapse(nb, l, col, {{0}, {1, 2, 3}});
    Value row0 = arith::MulIOp::create(nb, l, n0, cIndex(nb, l, p));
    Value dyn = g ? slice(nb, l, dyRows, {g, row0, z}, {1, chunk * p, geo.f},
                          {chunk * p, geo.f})
                  : slice(nb, l, dyRows, {row0, z}, {chunk * p, geo.f},
                          {chunk * p, geo.f});
    return matmul(nb, l, col2, dyn, acc);
  };
  auto loop = scf::ForOp::create(
      b, loc, cIndex(b, loc, 0), cIndex(b, loc, geo.n), cIndex(b, loc, chunk),
      ValueRange{accT},
      [&](OpBuilder &nb, Location l, Value n0, ValueRange args) {
        if (!geo.grouped) {
          scf::YieldOp::create(nb, l,
                               chunkGemm(nb, l, n0, Value(), args[0]));
          return;
        }
        OpFoldResult z = nb.getIndexAttr(0);
        auto inner = scf::ForOp::create(
            nb, l, cIndex(nb, l, 0), cIndex(nb, l, geo.g), cIndex(nb, l, 1),
            ValueRange{args[0]},
            [&](OpBuilder &gb, Location gl, Value g, ValueRange gargs) {
              SmallVector<OpFoldResult> offsets{g, z, z};
              Value accG =
                  slice(gb, gl, gargs[0], offsets, {1, q, geo.f}, {q, geo.f});
              Value r = chunkGemm(gb, gl, n0, g, accG);
              scf::YieldOp::create(
                  gb, gl, insert(gb, gl, r, gargs[0], offsets, {1, q, geo.f}));
            });
        scf::YieldOp::create(nb, l, inner.getResult(0));
      });
  Value w2 = linalg::TransposeOp::create(
                 b, loc, loop.getResult(0),
                 tensor::EmptyOp::create(b, loc, wShape, et),
                 geo.grouped ? SmallVector<int64_t>{0, 2, 1}
                             : SmallVector<int64_t>{1, 0})
                 .getResult()[0];
  auto initType = cast<RankedTensorType>(init.getType());
  return expandTo(b, loc, w2, initType.getShape(),
                  geo.grouped
                      ? SmallVector<ReassociationIndices>{{0}, {1}, {2, 3, 4}}
                      : SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
}

/// Coefficients of a linear affine expression in dims (nullopt otherwise).
std::optional<SmallVector<int64_t>> linearCoefficients(AffineExpr e,
                                                       unsigned numDims) {
  SmallVector<int64_t> coeffs(numDims + 1, 0);
  std::function<bool(AffineExpr, int64_t)> walk = [&](AffineExpr x,
                                                      int64_t scale) {
    if (auto d = dyn_cast<AffineDimExpr>(x)) {
      coeffs[d.getPosition()] += scale;
      return true;
    }
    if (auto cst = dyn_cast<AffineConstantExpr>(x)) {
      coeffs[numDims] += scale * cst.getValue();
      return true;
    }
    auto bin = dyn_cast<AffineBinaryOpExpr>(x);
    if (!bin)
      return false;
    if (x.getKind() == AffineExprKind::Add)
      return walk(bin.getLHS(), scale) && walk(bin.getRHS(), scale);
    if (x.getKind() == AffineExprKind::Mul) {
      if (auto c = dyn_cast<AffineConstantExpr>(bin.getRHS()))
        return walk(bin.getLHS(), scale * c.getValue());
      if (auto c = dyn_cast<AffineConstantExpr>(bin.getLHS()))
        return walk(bin.getRHS(), scale * c.getValue());
    }
    return false;
  };
  if (!walk(e, 1))
    return std::nullopt;
  return coeffs;
}

bool isMulAddBody(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  if (body.getOperations().size() != 3)
    return false;
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value out = body.getArgument(2);
  Value other = add.getLhs() == out ? add.getRhs()
                : add.getRhs() == out ? add.getLhs()
                                      : Value();
  auto mul = other ? other.getDefiningOp<arith::MulFOp>() : nullptr;
  if (!mul)
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1);
  return (mul.getLhs() == a && mul.getRhs() == b) ||
         (mul.getLhs() == b && mul.getRhs() == a);
}

/// Matches the weight-gradient contraction of a convolution (LinalgVJP's
/// convFilterGrad): loops [g,] f, c, kh, kw (parallel), n, oh, ow
/// (reduction); X[n, (g,) c, oh*sh + kh*dh, ow*sw + kw*dw],
/// dY[n, (g,) f, oh, ow], dW[(g,) f, c, kh, kw].
std::optional<ConvGeometry> matchFilterGrad(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !op.hasPureTensorSemantics() || !isMulAddBody(op))
    return std::nullopt;
  unsigned loops = op.getNumLoops();
  if (loops != 7 && loops != 8)
    return std::nullopt;
  bool grouped = loops == 8;
  unsigned o = grouped ? 1 : 0;
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  for (unsigned i = 0; i < loops; ++i)
    if ((i >= o + 4) != (iters[i] == utils::IteratorType::reduction))
      return std::nullopt;
  MLIRContext *ctx = op.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  unsigned fD = o, cD = o + 1, khD = o + 2, kwD = o + 3, nD = o + 4,
           ohD = o + 5, owD = o + 6;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<AffineExpr> dyExpect{d(nD)}, wExpect;
  if (grouped) {
    dyExpect.push_back(d(0));
    wExpect.push_back(d(0));
  }
  dyExpect.append({d(fD), d(ohD), d(owD)});
  wExpect.append({d(fD), d(cD), d(khD), d(kwD)});
  if (maps[1] != AffineMap::get(loops, 0, dyExpect, ctx) ||
      maps[2] != AffineMap::get(loops, 0, wExpect, ctx))
    return std::nullopt;
  AffineMap xm = maps[0];
  if (xm.getNumResults() != (grouped ? 5u : 4u) || xm.getResult(0) != d(nD) ||
      (grouped && xm.getResult(1) != d(0)) || xm.getResult(o + 1) != d(cD))
    return std::nullopt;
  auto hc = linearCoefficients(xm.getResult(o + 2), loops);
  auto wc = linearCoefficients(xm.getResult(o + 3), loops);
  if (!hc || !wc)
    return std::nullopt;
  for (unsigned i = 0; i <= loops; ++i) {
    if (i != ohD && i != khD && (*hc)[i] != 0)
      return std::nullopt;
    if (i != owD && i != kwD && (*wc)[i] != 0)
      return std::nullopt;
  }
  ConvGeometry geo;
  geo.grouped = grouped;
  geo.sh = (*hc)[ohD];
  geo.dh = (*hc)[khD];
  geo.sw = (*wc)[owD];
  geo.dw = (*wc)[kwD];
  if (geo.sh < 1 || geo.dh < 1 || geo.sw < 1 || geo.dw < 1)
    return std::nullopt;
  auto xT = cast<RankedTensorType>(op.getDpsInputOperand(0)->get().getType());
  auto dyT = cast<RankedTensorType>(op.getDpsInputOperand(1)->get().getType());
  auto wT = cast<RankedTensorType>(op.getDpsInitOperand(0)->get().getType());
  if (!xT.hasStaticShape() || !dyT.hasStaticShape() || !wT.hasStaticShape())
    return std::nullopt;
  geo.n = xT.getShape()[0];
  if (grouped)
    geo.g = xT.getShape()[1];
  geo.c = xT.getShape()[o + 1];
  geo.h = xT.getShape()[o + 2];
  geo.w = xT.getShape()[o + 3];
  geo.f = dyT.getShape()[o + 1];
  geo.oh = dyT.getShape()[o + 2];
  geo.ow = dyT.getShape()[o + 3];
  geo.kh = wT.getShape()[o + 2];
  geo.kw = wT.getShape()[o + 3];
  // The windows must lie inside X (they do for a valid convolution).
  if ((geo.oh - 1) * geo.sh + (geo.kh - 1) * geo.dh >= geo.h ||
      (geo.ow - 1) * geo.sw + (geo.kw - 1) * geo.dw >= geo.w)
    return std::nullopt;
  return geo;
}

template <typename ConvOp>
std::optional<ConvGeometry> matchConv(ConvOp op, bool grouped) {
  if (!op.hasPureTensorSemantics())
    return std::nullopt;
  auto xT = cast<RankedTensorType>(op.getInputs()[0].getType());
  auto wT = cast<RankedTensorType>(op.getInputs()[1].getType());
  auto oT = cast<RankedTensorType>(op.getOutputs()[0].getType());
  if (!xT.hasStaticShape() || !wT.hasStaticShape() || !oT.hasStaticShape())
    return std::nullopt;
  // Only the plain f32/f64 multiply-add body (no mixed types).
  if (xT.getElementType() != oT.getElementType() ||
      wT.getElementType() != oT.getElementType() ||
      !isa<FloatType>(oT.getElementType()))
    return std::nullopt;
  ConvGeometry geo;
  geo.grouped = grouped;
  unsigned o = grouped ? 1 : 0;
  geo.n = xT.getShape()[0];
  if (grouped)
    geo.g = xT.getShape()[1];
  geo.c = xT.getShape()[o + 1];
  geo.h = xT.getShape()[o + 2];
  geo.w = xT.getShape()[o + 3];
  geo.f = wT.getShape()[o];
  geo.kh = wT.getShape()[o + 2];
  geo.kw = wT.getShape()[o + 3];
  geo.oh = oT.getShape()[o + 2];
  geo.ow = oT.getShape()[o + 3];
  auto values = [](DenseIntElementsAttr a) {
    SmallVector<int64_t> v;
    for (const APInt &x : a.getValues<APInt>())
      v.push_back(x.getSExtValue());
    return v;
  };
  SmallVector<int64_t> s = values(op.getStrides()),
                       d = values(op.getDilations());
  geo.sh = s[0];
  geo.sw = s[1];
  geo.dh = d[0];
  geo.dw = d[1];
  if ((geo.oh - 1) * geo.sh + (geo.kh - 1) * geo.dh >= geo.h ||
      (geo.ow - 1) * geo.sw + (geo.kw - 1) * geo.dw >= geo.w)
    return std::nullopt;
  return geo;
}

/// Splits a stride-1 convolution over a zero-stuffed input - the input
/// gradient of a strided convolution, pad(insert_slice(dY into zeros,
/// strides s)) - by output phase. Along one spatial dim, with the pad's low
/// amount lo, the slice offset off, kernel extent K and stride s, output row
/// r = s*t + rho reads nonzero rows only through the taps
/// k = k0 + s*m (k0 = (lo + off - rho) mod s, m = 0, 1, ... while k < K),
/// namely dY row t + m + delta (delta = (rho + k0 - lo - off) / s). So each
/// phase (rho_h, rho_w) is a stride-1 convolution of dY (padded where
/// delta + m runs outside it) with the sub-filter of those taps, whose
/// result fills every s-th output element. Each output element sums the
/// products it summed before in the same order, less the ones of stuffed
/// zeros: adding a zero product changes no sum that starts at +0 (the
/// results are bit-identical for finite filters; a non-finite filter value
/// times a stuffed zero was NaN and is now skipped). s x s fewer products.
/// Phases of few pixels are fine: their GEMMs take several images at once
/// (imagesPerGemm).

void decomposeStuffedConvs(func::FuncOp func, RewriterBase &rw) {
  SmallVector<linalg::Conv2DNchwFchwOp> convs;
  func.walk([&](linalg::Conv2DNchwFchwOp c) { convs.push_back(c); });
  for (linalg::Conv2DNchwFchwOp conv : convs) {
    if (conv->hasAttr("fp4.cold"))
      continue;
    auto geo = matchConv(conv, false);
    if (!geo || geo->sh != 1 || geo->sw != 1 || geo->dh != 1 ||
        geo->dw != 1)
      continue;
    Value init = conv.getOutputs()[0];
    auto fill = init.getDefiningOp<linalg::FillOp>();
    if (!fill || !isPositiveZero(fill.getInputs()[0]))
      continue;
    auto pad = conv.getInputs()[0].getDefiningOp<tensor::PadOp>();
    if (!pad || !pad.getLow().empty() || !pad.getHigh().empty() ||
        !isPositiveZero(pad.getConstantPaddingValue()))
      continue;
    auto stuff = pad.getSource().getDefiningOp<tensor::InsertSliceOp>();
    if (!stuff || !stuff.getOffsets().empty() || !stuff.getSizes().empty() ||
        !stuff.getStrides().empty())
      continue;
    auto zeros = stuff.getDest().getDefiningOp<linalg::FillOp>();
    if (!zeros || !isPositiveZero(zeros.getInputs()[0]))
      continue;
    Value src = stuff.getSource();
    auto srcT = cast<RankedTensorType>(src.getType());
    if (srcT.getRank() != 4)
      continue;
    ArrayRef<int64_t> offs = stuff.getStaticOffsets(),
                      strides = stuff.getStaticStrides();
    if (offs[0] != 0 || offs[1] != 0 || strides[0] != 1 || strides[1] != 1 ||
        srcT.getDimSize(0) != geo->n || srcT.getDimSize(1) != geo->c ||
        (strides[2] == 1 && strides[3] == 1))
      continue;

    struct Phase {
      int64_t rho, k0, taps, count, delta;
    };
    int64_t extent[2] = {geo->kh, geo->kw}, outs[2] = {geo->oh, geo->ow};
    SmallVector<Phase> phases[2];
    for (int d = 0; d < 2; ++d) {
      int64_t s = strides[2 + d], lo = pad.getStaticLow()[2 + d],
              off = offs[2 + d];
      for (int64_t rho = 0; rho < std::min(s, outs[d]); ++rho) {
        Phase p;
        p.rho = rho;
        p.k0 = ((lo + off - rho) % s + s) % s;
        p.taps = p.k0 < extent[d] ? (extent[d] - p.k0 + s - 1) / s : 0;
        p.count = (outs[d] - rho + s - 1) / s;
        p.delta = (rho + p.k0 - lo - off) / s;
        phases[d].push_back(p);
      }
    }

    rw.setInsertionPoint(conv);
    Location loc = conv.getLoc();
    Type et = srcT.getElementType();
    auto oT = cast<RankedTensorType>(init.getType());
    Value result = tensor::EmptyOp::create(rw, loc, oT.getShape(), et);
    Value zero = arith::ConstantOp::create(rw, loc, rw.getFloatAttr(et, 0.0));
    Value w = conv.getInputs()[1];
    for (const Phase &ph : phases[0])
      for (const Phase &pw : phases[1]) {
        SmallVector<int64_t> shape = {geo->n, geo->f, ph.count, pw.count};
        auto phaseT = RankedTensorType::get(shape, et);
        Value phaseInit = linalg::FillOp::create(
                              rw, loc, zero,
                              tensor::EmptyOp::create(rw, loc, shape, et)
                                  .getResult())
                              .getResult(0);
        Value out = phaseInit;
        // dY rows [delta, delta + count + taps - 1) (zeros outside it).
        const Phase *p2[2] = {&ph, &pw};
        int64_t lo[2], hi[2], first[2], len[2];
        bool any = ph.taps > 0 && pw.taps > 0;
        for (int d = 0; d < 2 && any; ++d) {
          int64_t begin = p2[d]->delta,
                  end = p2[d]->delta + p2[d]->count + p2[d]->taps - 1;
          int64_t size = srcT.getDimSize(2 + d);
          first[d] = std::max<int64_t>(begin, 0);
          int64_t last = std::min(end, size);
          len[d] = last - first[d];
          lo[d] = first[d] - begin;
          hi[d] = end - last;
          any &= len[d] > 0;
        }
        if (any) {
          SmallVector<int64_t> inShape = {geo->n, geo->c, len[0], len[1]};
          Value in = tensor::ExtractSliceOp::create(
              rw, loc, RankedTensorType::get(inShape, et), src,
              attrs(rw, {0, 0, first[0], first[1]}), attrs(rw, inShape),
              attrs(rw, {1, 1, 1, 1}));
          if (lo[0] || lo[1] || hi[0] || hi[1]) {
            SmallVector<int64_t> padded = {geo->n, geo->c,
                                           ph.count + ph.taps - 1,
                                           pw.count + pw.taps - 1};
            in = tensor::PadOp::create(rw, loc,
                                       RankedTensorType::get(padded, et), in,
                                       attrs(rw, {0, 0, lo[0], lo[1]}),
                                       attrs(rw, {0, 0, hi[0], hi[1]}), zero);
          }
          SmallVector<int64_t> wShape = {geo->f, geo->c, ph.taps, pw.taps};
          // Copied (vectorized) out of the strided taps: the GEMM reads
          // the sub-filter as a matrix, which the slice itself would give
          // as a memrefCopy call.
          Value subW = tensor::ExtractSliceOp::create(
              rw, loc, RankedTensorType::get(wShape, et), w,
              attrs(rw, {0, 0, ph.k0, pw.k0}), attrs(rw, wShape),
              attrs(rw, {1, 1, strides[2], strides[3]}));
          subW = linalg::CopyOp::create(
                     rw, loc, subW,
                     tensor::EmptyOp::create(rw, loc, wShape, et).getResult())
                     .getResult(0);
          auto sub = linalg::Conv2DNchwFchwOp::create(
              rw, loc, TypeRange{phaseT}, ValueRange{in, subW},
              ValueRange{phaseInit}, conv.getStrides(), conv.getDilations());
          for (NamedAttribute a : conv->getDiscardableAttrs())
            sub->setAttr(a.getName(), a.getValue());
          out = sub.getResult(0);
        }
        result = tensor::InsertSliceOp::create(
            rw, loc, out, result, attrs(rw, {0, 0, ph.rho, pw.rho}),
            attrs(rw, shape), attrs(rw, {1, 1, strides[2], strides[3]}));
      }
    rw.replaceOp(conv, result);
  }
}

/// Taps of a convolution that read only zero padding. Along one spatial
/// dim of a padded input (pad low `lo`, `size` source rows, `outs` output
/// rows, stride `s`, dilation `dl`, `k` taps), tap t reads padded rows
/// o * s + t * dl; it is live when one of them is a source row. The live
/// taps' bounding range [first, last] (nullopt when none is live).
struct TapRange {
  int64_t first = 0, last = 0;
  int64_t count() const { return last - first + 1; }
};

std::optional<TapRange> liveTaps(int64_t lo, int64_t size, int64_t outs,
                                 int64_t s, int64_t dl, int64_t k) {
  std::optional<TapRange> range;
  for (int64_t t = 0; t < k; ++t) {
    bool live = false;
    for (int64_t o = 0; o < outs && !live; ++o) {
      int64_t r = o * s + t * dl;
      live = r >= lo && r < lo + size;
    }
    if (!live)
      continue;
    if (!range)
      range = TapRange{t, t};
    range->last = t;
  }
  return range;
}

/// The zero padding (static, +0, spatial dims 2 and 3 only) of a
/// convolution input, or null.
tensor::PadOp spatialZeroPad(Value input) {
  auto pad = input.getDefiningOp<tensor::PadOp>();
  if (!pad || !pad.getLow().empty() || !pad.getHigh().empty() ||
      !isPositiveZero(pad.getConstantPaddingValue()) ||
      cast<RankedTensorType>(pad.getType()).getRank() != 4)
    return {};
  for (int d = 0; d < 2; ++d)
    if (pad.getStaticLow()[d] != 0 || pad.getStaticHigh()[d] != 0)
      return {};
  return pad;
}

/// Rows [begin[d], begin[d] + span[d]) of dims 2 and 3 of the padded tensor
/// `pad`: a slice of its source, padded with +0 where the rows run outside
/// it.
Value padWindow(OpBuilder &b, Location loc, tensor::PadOp pad,
                const int64_t begin[2], const int64_t span[2]) {
  Value src = pad.getSource();
  auto srcT = cast<RankedTensorType>(src.getType());
  Type et = srcT.getElementType();
  SmallVector<int64_t> offsets(4, 0), sizes(srcT.getShape()), lo(4, 0),
      hi(4, 0), shape(srcT.getShape());
  for (int d = 0; d < 2; ++d) {
    int64_t size = srcT.getDimSize(2 + d);
    int64_t start = begin[d] - pad.getStaticLow()[2 + d];
    int64_t end = start + span[d];
    offsets[2 + d] = std::max<int64_t>(start, 0);
    sizes[2 + d] = std::min(end, size) - offsets[2 + d];
    lo[2 + d] = std::max<int64_t>(-start, 0);
    hi[2 + d] = std::max<int64_t>(end - size, 0);
    shape[2 + d] = span[d];
  }
  Value in = src;
  if (ArrayRef<int64_t>(sizes) != srcT.getShape())
    in = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get(sizes, et), src, attrs(b, offsets),
        attrs(b, sizes), attrs(b, {1, 1, 1, 1}));
  if (llvm::any_of(lo, [](int64_t v) { return v != 0; }) ||
      llvm::any_of(hi, [](int64_t v) { return v != 0; })) {
    Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(et, 0.0));
    in = tensor::PadOp::create(b, loc, RankedTensorType::get(shape, et), in,
                               attrs(b, lo), attrs(b, hi), zero);
  }
  return in;
}

/// The taps [offsets, offsets + sizes) of the filter `w` [f, c, kh, kw].
/// A filter that only moves the elements of another tensor (the flipped,
/// channel-swapped filter of an input gradient: a linalg.generic that
/// yields its input, used by nothing else) is rebuilt to produce just those
/// taps; any other filter is sliced.
Value sliceFilter(OpBuilder &b, Location loc, Value w,
                  ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes) {
  auto wT = cast<RankedTensorType>(w.getType());
  auto type = RankedTensorType::get(sizes, wT.getElementType());
  auto g = w.getDefiningOp<linalg::GenericOp>();
  if (g && w.hasOneUse() && fp4::isElementMove(g) &&
      g.getMatchingIndexingMap(g.getDpsInitOperand(0)).isIdentity()) {
    // Loop i of the new generic is loop i of the old one minus offset i.
    MLIRContext *ctx = b.getContext();
    SmallVector<AffineExpr> shifted;
    for (auto [i, off] : llvm::enumerate(offsets))
      shifted.push_back(getAffineDimExpr(i, ctx) + off);
    AffineMap shift = AffineMap::get(4, 0, shifted, ctx);
    AffineMap in = simplifyAffineMap(
        g.getMatchingIndexingMap(g.getDpsInputOperand(0)).compose(shift));
    Value init =
        tensor::EmptyOp::create(b, loc, sizes, wT.getElementType());
    auto moved = linalg::GenericOp::create(
        b, loc, TypeRange{type}, g.getDpsInputs(), ValueRange{init},
        ArrayRef<AffineMap>{in, AffineMap::getMultiDimIdentityMap(4, ctx)},
        g.getIteratorTypesArray(),
        [](OpBuilder &nb, Location l, ValueRange args) {
          linalg::YieldOp::create(nb, l, args[0]);
        });
    return moved.getResult(0);
  }
  // A copy of the strided slice (vectorized by fp4-cpu-tile-and-vectorize)
  // rather than the slice itself, which bufferizes to a memrefCopy call
  // where the GEMM reads it as a matrix.
  Value taps = tensor::ExtractSliceOp::create(b, loc, type, w,
                                              attrs(b, offsets),
                                              attrs(b, sizes),
                                              attrs(b, {1, 1, 1, 1}));
  return linalg::CopyOp::create(
             b, loc, taps,
             tensor::EmptyOp::create(b, loc, sizes, wT.getElementType())
                 .getResult())
      .getResult(0);
}

/// Drops the taps of padded convolutions that read only the zero padding
/// (3 x 3 filters on 1 x 1 inputs: 8 of 9 taps; resnet18's layer 4): the
/// forward and input-gradient convolutions (linalg.conv_2d_nchw_fchw) get
/// the sub-filter of the live taps and the window of the padded input those
/// taps read; a weight gradient computes the live taps' slice of dW and
/// inserts it into the zeros of its init. Every sum starts at +0 (the
/// outputs must be fills of +0), so leaving out products with a zero
/// factor keeps the bits for finite operands, as in decomposeStuffedConvs:
/// a non-finite filter value (forward) or dY value (weight gradient) times
/// padding, NaN before, is not computed.
void trimPaddingTaps(func::FuncOp func, RewriterBase &rw) {
  SmallVector<Operation *> ops;
  func.walk([&](Operation *op) {
    if (isa<linalg::Conv2DNchwFchwOp, linalg::GenericOp>(op) &&
        !op->hasAttr("fp4.cold"))
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    std::optional<ConvGeometry> geo;
    tensor::PadOp pad;
    Value init;
    if (auto conv = dyn_cast<linalg::Conv2DNchwFchwOp>(op)) {
      geo = matchConv(conv, false);
      pad = spatialZeroPad(conv.getInputs()[0]);
      init = conv.getOutputs()[0];
    } else if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
      geo = matchFilterGrad(generic);
      pad = spatialZeroPad(generic.getDpsInputOperand(0)->get());
      init = generic.getDpsInitOperand(0)->get();
    }
    if (!geo || geo->grouped || !pad || !zeroFillValue(init))
      continue;
    auto srcT = cast<RankedTensorType>(pad.getSource().getType());
    std::optional<TapRange> rh =
        liveTaps(pad.getStaticLow()[2], srcT.getDimSize(2), geo->oh, geo->sh,
                 geo->dh, geo->kh);
    std::optional<TapRange> rw2 =
        liveTaps(pad.getStaticLow()[3], srcT.getDimSize(3), geo->ow, geo->sw,
                 geo->dw, geo->kw);
    if (!rh || !rw2) {
      // No tap reads the input: the output is its +0 init.
      rw.replaceOp(op, init);
      continue;
    }
    if (rh->count() == geo->kh && rw2->count() == geo->kw)
      continue;
    rw.setInsertionPoint(op);
    Location loc = op->getLoc();
    int64_t begin[2] = {rh->first * geo->dh, rw2->first * geo->dw};
    int64_t span[2] = {(geo->oh - 1) * geo->sh + (rh->count() - 1) * geo->dh + 1,
                       (geo->ow - 1) * geo->sw + (rw2->count() - 1) * geo->dw +
                           1};
    Value x = padWindow(rw, loc, pad, begin, span);
    SmallVector<int64_t> tapOffsets{0, 0, rh->first, rw2->first};
    SmallVector<int64_t> tapSizes{geo->f, geo->c, rh->count(), rw2->count()};
    Type et = cast<RankedTensorType>(init.getType()).getElementType();
    if (auto conv = dyn_cast<linalg::Conv2DNchwFchwOp>(op)) {
      Value w =
          sliceFilter(rw, loc, conv.getInputs()[1], tapOffsets, tapSizes);
      auto trimmed = linalg::Conv2DNchwFchwOp::create(
          rw, loc, TypeRange{init.getType()}, ValueRange{x, w},
          ValueRange{init}, conv.getStrides(), conv.getDilations());
      for (NamedAttribute a : conv->getDiscardableAttrs())
        trimmed->setAttr(a.getName(), a.getValue());
      rw.replaceOp(op, trimmed.getResult(0));
      continue;
    }
    auto generic = cast<linalg::GenericOp>(op);
    Value sliceInit = fillWith(
        rw, loc, zeroFillValue(init),
        tensor::EmptyOp::create(rw, loc, tapSizes, et).getResult());
    auto trimmed = linalg::GenericOp::create(
        rw, loc, TypeRange{sliceInit.getType()},
        ValueRange{x, generic.getDpsInputOperand(1)->get()},
        ValueRange{sliceInit}, generic.getIndexingMapsArray(),
        generic.getIteratorTypesArray());
    rw.cloneRegionBefore(generic.getRegion(), trimmed.getRegion(),
                         trimmed.getRegion().end());
    for (NamedAttribute a : generic->getDiscardableAttrs())
      trimmed->setAttr(a.getName(), a.getValue());
    Value whole = tensor::InsertSliceOp::create(
        rw, loc, trimmed.getResult(0), init, attrs(rw, tapOffsets),
        attrs(rw, tapSizes), attrs(rw, {1, 1, 1, 1}));
    rw.replaceOp(op, whole);
  }
}

struct CPUConvToGemmPass
    : fp4::impl::FP4CPUConvToGemmBase<CPUConvToGemmPass> {
  using Base::Base;

  void runOnOperation() override {
    int64_t numThreads =
        threads > 0 ? static_cast<int64_t>(threads) : fp4::getDefaultCPUThreads();
    SmallVector<Operation *> ops;
    IRRewriter rewriter(&getContext());
    decomposeStuffedConvs(getOperation(), rewriter);
    trimPaddingTaps(getOperation(), rewriter);
    // Ops tagged `fp4.cold` (a fallback that runs only on rare input, e.g.
    // the f32 convolution behind fp4-lowp-matmul-to-integer's NaN check)
    // stay for the scalar loops: the same bits, a fraction of the code.
    getOperation().walk([&](Operation *op) {
      if (isa<linalg::Conv2DNchwFchwOp, linalg::Conv2DNgchwGfchwOp,
              linalg::GenericOp>(op) &&
          !op->hasAttr("fp4.cold"))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      rewriter.setInsertionPoint(op);
      Location loc = op->getLoc();
      bool parallelOK = numThreads > 1 &&
                        !op->getParentOfType<scf::ForallOp>();
      if (auto conv = dyn_cast<linalg::Conv2DNchwFchwOp>(op)) {
        if (auto geo = matchConv(conv, false))
          rewriter.replaceOp(
              op, emitForward(rewriter, loc, conv.getInputs()[0],
                              conv.getInputs()[1], conv.getOutputs()[0], *geo,
                              numThreads, parallelOK));
      } else if (auto conv = dyn_cast<linalg::Conv2DNgchwGfchwOp>(op)) {
        if (auto geo = matchConv(conv, true))
          rewriter.replaceOp(
              op, emitForward(rewriter, loc, conv.getInputs()[0],
                              conv.getInputs()[1], conv.getOutputs()[0], *geo,
                              numThreads, parallelOK));
      } else if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
        if (auto geo = matchFilterGrad(generic))
          rewriter.replaceOp(
              op, emitFilterGrad(rewriter, loc,
                                 generic.getDpsInputOperand(0)->get(),
                                 generic.getDpsInputOperand(1)->get(),
                                 generic.getDpsInitOperand(0)->get(), *geo));
      }
    }
  }
};

} // namespace
