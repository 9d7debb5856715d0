//===- CPUTileAndVectorize.cpp - Tile, vectorize, parallelize for CPUs ----===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// `fp4-cpu-tile-and-vectorize`: the CPU code generation strategy for
// statically shaped linalg ops on tensors (docs/performance.md).
//
// Contractions get a three-level tiling:
//
//   scf.forall (cache blocks of M x N, one per thread or more)
//     scf.for (blocks of K)
//       scf.for (register rows), scf.for (register columns)
//         scf.for (k, unit step)
//           register tile: vector.contract 8x1 * 1x32 -> 8x32 (f32)
//
// after which the accumulator tile is hoisted out of the k loop (it lives in
// registers) and the contraction becomes outer-product FMAs. Every tile is
// full: the op is first split so that its main part is a multiple of the
// register tile, and the block sizes are divisors of the extents. K is never
// split across threads or lanes, so each output element still sums over k in
// increasing order (the f32 accumulation contract of fp4.lowp_matmul).
//
// Other ops are tiled to vectors along the innermost dimension of their
// result and vectorized with the upstream linalg vectorizer.
//
//===----------------------------------------------------------------------===//

#include "fp4/Transforms/CPUPasses.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"
#include "mlir/IR/Dominance.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"

#include <thread>

namespace fp4 {
#define GEN_PASS_DEF_FP4CPUTILEANDVECTORIZE
#include "fp4/Transforms/CPUPasses.h.inc"
} // namespace fp4

using namespace mlir;
using utils::IteratorType;

#ifdef FP4_HAVE_OPENMP
extern "C" int omp_get_max_threads(void);
#endif

bool fp4::hasOpenMPRuntime() {
#ifdef FP4_HAVE_OPENMP
  return true;
#else
  return false;
#endif
}

int64_t fp4::getDefaultCPUThreads() {
#ifdef FP4_HAVE_OPENMP
  int n = omp_get_max_threads();
  if (n > 0)
    return n;
#endif
  unsigned h = std::thread::hardware_concurrency();
  return h == 0 ? 1 : static_cast<int64_t>(h);
}

bool fp4::hostHasAVX512VNNI() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  auto has = [&](llvm::StringRef f) {
    auto it = features.find(f);
    return it != features.end() && it->second;
  };
  return has("avx512f") && has("avx512bw") && has("avx512vnni");
}

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Bits per register the code is vectorized for (AVX-512).
constexpr int64_t kRegisterBits = 512;

bool isStaticTensorOp(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics())
    return false;
  for (OpOperand &operand : op->getOpOperands())
    if (auto shaped = dyn_cast<ShapedType>(operand.get().getType()))
      if (!shaped.hasStaticShape())
        return false;
  return true;
}

unsigned elementBits(Type t) {
  t = getElementTypeOrSelf(t);
  if (t.isIntOrFloat())
    return t.getIntOrFloatBitWidth();
  return 64;
}

/// Largest multiple of `unit` that divides `extent` and is at most `limit`
/// (`unit` itself if none is larger). Requires extent % unit == 0.
int64_t blockSize(int64_t extent, int64_t unit, int64_t limit) {
  int64_t best = unit;
  for (int64_t b = unit; b <= std::min(extent, limit); b += unit)
    if (extent % b == 0)
      best = b;
  return best;
}

/// Largest divisor of `extent` that is at most `limit`.
int64_t largestDivisor(int64_t extent, int64_t limit) {
  for (int64_t d = std::min(extent, limit); d > 1; --d)
    if (extent % d == 0)
      return d;
  return 1;
}

bool insideParallelLoop(Operation *op) {
  return op->getParentOfType<scf::ForallOp>() != nullptr;
}

/// Splits `op` along loop `dim` at the largest multiple of `q`; returns the
/// parts (one if no split is needed).
SmallVector<linalg::LinalgOp> splitAtMultiple(RewriterBase &rewriter,
                                              linalg::LinalgOp op,
                                              unsigned dim, int64_t q) {
  int64_t extent = op.getStaticLoopRanges()[dim];
  int64_t main = extent / q * q;
  if (q <= 0 || main == 0 || main == extent)
    return {op};
  rewriter.setInsertionPoint(op);
  auto [first, second] = linalg::splitOp(
      rewriter, cast<TilingInterface>(op.getOperation()), dim,
      rewriter.getIndexAttr(main));
  SmallVector<linalg::LinalgOp> parts;
  if (first)
    parts.push_back(cast<linalg::LinalgOp>(first.getOperation()));
  if (second)
    parts.push_back(cast<linalg::LinalgOp>(second.getOperation()));
  return parts;
}

/// Tiles `op` with `sizes` (0: not tiled) using scf.for or scf.forall loops
/// and replaces it; returns the tiled op.
FailureOr<linalg::LinalgOp> tileOp(RewriterBase &rewriter, linalg::LinalgOp op,
                                   ArrayRef<int64_t> sizes, bool forall,
                                   ArrayRef<int64_t> interchange = {}) {
  if (llvm::all_of(sizes, [](int64_t s) { return s == 0; }))
    return op;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  bool trivial = true;
  for (auto [s, r] : llvm::zip(sizes, ranges))
    trivial &= s == 0 || s == r;
  // A single tile: no loop (a one-iteration scf.forall would still be a
  // parallel region).
  if (trivial)
    return op;
  scf::SCFTilingOptions options;
  options.setTileSizes(
      getAsIndexOpFoldResult(rewriter.getContext(), sizes));
  options.setLoopType(forall ? scf::SCFTilingOptions::LoopType::ForallOp
                             : scf::SCFTilingOptions::LoopType::ForOp);
  if (!interchange.empty())
    options.setInterchange(interchange);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rewriter, cast<TilingInterface>(op.getOperation()),
                        options);
  if (failed(tiled) || tiled->tiledOps.empty())
    return failure();
  rewriter.replaceOp(op, tiled->replacements);
  return cast<linalg::LinalgOp>(tiled->tiledOps.back());
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

/// The register-tile kernel of a contraction.
enum class KernelKind {
  /// vector.contract lowered to outer products (any element type).
  Contract,
  /// u8 x s8 quads along the innermost reduction dim: vpdpbusd.
  DotU8S8,
  /// i16 x i16 pairs along the innermost reduction dim: vpmaddwd pattern.
  DotI16,
};

struct Contraction {
  /// Input operand numbers: `rhs` carries the result's innermost dim.
  unsigned lhs = 0, rhs = 1;
  SmallVector<unsigned> batch, mDims, nDims, kDims;
  /// Loop dim of the result's innermost dimension (vector lanes).
  unsigned nDim = 0;
  /// Innermost result dim that only lhs indexes (register rows), if any.
  std::optional<unsigned> mDim;
  /// Innermost reduction dim (the one blocked for the cache).
  std::optional<unsigned> kDim;
  KernelKind kind = KernelKind::Contract;
  /// For the dot kernels: the reduction dim of the quads/pairs and which
  /// input is zero-extended (the u8 operand of vpdpbusd).
  unsigned groupDim = 0;
  unsigned unsignedInput = 0;
};

/// Strips one cast; returns the cast op (or null) through `cast`.
Value stripCast(Value v, Operation *&cast) {
  cast = nullptr;
  if (Operation *def = v.getDefiningOp())
    if (isa<arith::ExtFOp, arith::ExtSIOp, arith::ExtUIOp, arith::SIToFPOp,
            arith::UIToFPOp>(def)) {
      cast = def;
      return def->getOperand(0);
    }
  return v;
}

/// Matches `yield(add(out, mul(cast?(in0), cast?(in1))))`; returns the casts
/// of in0 and in1.
bool matchMulAddBody(linalg::LinalgOp op, Operation *&cast0,
                     Operation *&cast1) {
  Block *body = op.getBlock();
  if (body->getNumArguments() != 3)
    return false;
  auto yield = dyn_cast<linalg::YieldOp>(body->getTerminator());
  if (!yield || yield.getNumOperands() != 1)
    return false;
  Operation *add = yield.getOperand(0).getDefiningOp();
  if (!add || !isa<arith::AddFOp, arith::AddIOp>(add))
    return false;
  Value out = body->getArgument(2);
  Value prod;
  if (add->getOperand(0) == out)
    prod = add->getOperand(1);
  else if (add->getOperand(1) == out)
    prod = add->getOperand(0);
  else
    return false;
  Operation *mul = prod.getDefiningOp();
  if (!mul || !isa<arith::MulFOp, arith::MulIOp>(mul) ||
      mul->getBlock() != body)
    return false;
  Operation *c0, *c1;
  Value a = stripCast(mul->getOperand(0), c0);
  Value b = stripCast(mul->getOperand(1), c1);
  if (a == body->getArgument(0) && b == body->getArgument(1)) {
    cast0 = c0;
    cast1 = c1;
  } else if (a == body->getArgument(1) && b == body->getArgument(0)) {
    cast0 = c1;
    cast1 = c0;
  } else {
    return false;
  }
  // Nothing else in the body.
  size_t expected = 3 + (cast0 ? 1 : 0) + (cast1 ? 1 : 0);
  return body->getOperations().size() == expected;
}

std::optional<Contraction> matchContraction(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op->getNumResults() != 1 || !isStaticTensorOp(op))
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  for (AffineMap map : maps)
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/false))
      return std::nullopt;
  Operation *cast0 = nullptr, *cast1 = nullptr;
  if (!matchMulAddBody(op, cast0, cast1))
    return std::nullopt;

  SmallVector<IteratorType> iters = op.getIteratorTypesArray();
  unsigned numLoops = op.getNumLoops();
  auto uses = [&](AffineMap map, unsigned d) {
    return map.isFunctionOfDim(d);
  };
  AffineMap outMap = maps[2];
  if (outMap.getNumResults() == 0)
    return std::nullopt;
  Contraction c;
  for (unsigned d = 0; d < numLoops; ++d) {
    bool in0 = uses(maps[0], d), in1 = uses(maps[1], d),
         out = uses(outMap, d);
    if (iters[d] == IteratorType::reduction) {
      if (!in0 || !in1 || out)
        return std::nullopt;
      c.kDims.push_back(d);
      continue;
    }
    if (!out)
      return std::nullopt;
    if (in0 && in1)
      c.batch.push_back(d);
    else if (in0)
      c.mDims.push_back(d);
    else if (in1)
      c.nDims.push_back(d);
    else
      return std::nullopt;
  }
  if (c.kDims.empty())
    return std::nullopt;
  c.nDim = cast<AffineDimExpr>(outMap.getResults().back()).getPosition();
  if (llvm::is_contained(c.batch, c.nDim))
    return std::nullopt;
  if (llvm::is_contained(c.mDims, c.nDim)) {
    std::swap(c.mDims, c.nDims);
    c.lhs = 1;
    c.rhs = 0;
  }
  for (AffineExpr e : llvm::reverse(outMap.getResults().drop_back())) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    if (llvm::is_contained(c.mDims, d)) {
      c.mDim = d;
      break;
    }
  }
  // The cache-blocked reduction dim: the innermost one of rhs.
  for (AffineExpr e : llvm::reverse(maps[c.rhs].getResults())) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    if (llvm::is_contained(c.kDims, d)) {
      c.kDim = d;
      break;
    }
  }

  // Integer dot kernels: the innermost reduction dim is the innermost dim of
  // both inputs, 4 x i8 (u8 x s8) or 2 x i16, accumulated in i32.
  Type t0 = getElementTypeOrSelf(op.getDpsInputOperand(0)->get().getType());
  Type t1 = getElementTypeOrSelf(op.getDpsInputOperand(1)->get().getType());
  Type tc = getElementTypeOrSelf(op.getDpsInitOperand(0)->get().getType());
  unsigned g0 = cast<AffineDimExpr>(maps[0].getResults().back()).getPosition();
  unsigned g1 = cast<AffineDimExpr>(maps[1].getResults().back()).getPosition();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (tc.isInteger(32) && g0 == g1 && llvm::is_contained(c.kDims, g0) &&
      c.kDims.size() >= 2 && cast0 && cast1) {
    if (t0.isInteger(8) && t1.isInteger(8) && ranges[g0] == 4) {
      bool u0 = isa<arith::ExtUIOp>(cast0), u1 = isa<arith::ExtUIOp>(cast1);
      bool s0 = isa<arith::ExtSIOp>(cast0), s1 = isa<arith::ExtSIOp>(cast1);
      if ((u0 && s1) || (s0 && u1)) {
        c.kind = KernelKind::DotU8S8;
        c.groupDim = g0;
        c.unsignedInput = u0 ? 0 : 1;
      }
    } else if (t0.isInteger(16) && t1.isInteger(16) && ranges[g0] == 2 &&
               isa<arith::ExtSIOp>(cast0) && isa<arith::ExtSIOp>(cast1)) {
      c.kind = KernelKind::DotI16;
      c.groupDim = g0;
    }
    if (c.kind != KernelKind::Contract) {
      c.kDim.reset();
      for (AffineExpr e : llvm::reverse(maps[c.rhs].getResults())) {
        unsigned d = cast<AffineDimExpr>(e).getPosition();
        if (d != c.groupDim && llvm::is_contained(c.kDims, d)) {
          c.kDim = d;
          break;
        }
      }
    }
  }
  return c;
}

/// Makes the result's innermost dim the innermost dim of rhs by transposing
/// rhs (a copy of O(K*N) elements) when it is not; returns the (possibly new)
/// op.
FailureOr<linalg::LinalgOp>
canonicalizeRhsLayout(RewriterBase &rewriter, linalg::LinalgOp op,
                      const Contraction &c, linalg::LinalgOp &transpose) {
  MLIRContext *ctx = op.getContext();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap rhsMap = maps[c.rhs];
  unsigned last =
      cast<AffineDimExpr>(rhsMap.getResults().back()).getPosition();
  // The dot kernels keep their group dim innermost; their n dim is next.
  if (c.kind != KernelKind::Contract) {
    unsigned n = rhsMap.getNumResults();
    if (n >= 2 && cast<AffineDimExpr>(rhsMap.getResult(n - 2)).getPosition() ==
                      c.nDim)
      return op;
    return failure();
  }
  if (last == c.nDim)
    return op;
  // Move the n dim's position to the end, keeping the others' order.
  unsigned pos = *rhsMap.getResultPosition(getAffineDimExpr(c.nDim, ctx));
  SmallVector<int64_t> perm;
  for (unsigned i = 0, e = rhsMap.getNumResults(); i < e; ++i)
    if (i != pos)
      perm.push_back(i);
  perm.push_back(pos);

  // generalizeNamedOp erases OP: read what is needed of it first.
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::GenericOp> generic = linalg::generalizeNamedOp(rewriter,
                                                                   op);
  if (failed(generic))
    return failure();
  Value rhs = generic->getDpsInputOperand(c.rhs)->get();
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(rhsType.getShape()[p]);
  rewriter.setInsertionPoint(*generic);
  Value init = tensor::EmptyOp::create(rewriter, loc, shape,
                                       rhsType.getElementType());
  auto transposeOp = linalg::TransposeOp::create(rewriter, loc, rhs, init,
                                                 perm);
  transpose = cast<linalg::LinalgOp>(transposeOp.getOperation());
  Value transposed = transposeOp.getResult()[0];
  SmallVector<AffineExpr> results;
  for (int64_t p : perm)
    results.push_back(rhsMap.getResult(p));
  maps[c.rhs] = AffineMap::get(rhsMap.getNumDims(), 0, results, ctx);
  rewriter.modifyOpInPlace(*generic, [&] {
    generic->getDpsInputOperand(c.rhs)->set(transposed);
    generic->setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
  });
  return cast<linalg::LinalgOp>(generic->getOperation());
}

/// The fill of +0 (or integer 0) that `init` is, when nothing else uses it.
linalg::FillOp zeroFillOf(Value init) {
  auto fill = init.getDefiningOp<linalg::FillOp>();
  if (!fill || !fill.hasPureTensorSemantics() ||
      !fill->getResult(0).hasOneUse())
    return {};
  Attribute value;
  if (!matchPattern(fill.getInputs()[0], m_Constant(&value)))
    return {};
  if (auto f = dyn_cast<FloatAttr>(value); f && f.getValue().isPosZero())
    return fill;
  if (auto i = dyn_cast<IntegerAttr>(value); i && i.getValue().isZero())
    return fill;
  return {};
}

/// The cache block of a contraction's k dim (f32: 256, scaled by the
/// element size; 128 quads or pairs for the dot kernels): the largest
/// divisor of k up to that, 0 (no blocking) below 16.
int64_t cacheBlockK(linalg::LinalgOp op, const Contraction &c) {
  unsigned bits = elementBits(op.getDpsInitOperand(0)->get().getType());
  int64_t scale = std::max<int64_t>(1, bits / 32);
  int64_t limit = c.kind == KernelKind::Contract ? 256 / scale : 128;
  int64_t d = largestDivisor(op.getStaticLoopRanges()[*c.kDim], limit);
  return d >= 16 ? d : 0;
}

/// Register tile of a contraction: rows (mDim) x lanes (nDim).
struct RegisterTile {
  int64_t rows = 1, cols = 1;
};

RegisterTile chooseRegisterTile(linalg::LinalgOp op, const Contraction &c) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned bits = elementBits(op.getDpsInitOperand(0)->get().getType());
  int64_t lanes = std::max<int64_t>(1, kRegisterBits / bits);
  // 6 rows x 4 registers (24 accumulators of the 32 vector registers) when
  // the result is wide enough, else 8 rows x 2 or 1 registers: measured on
  // Zen 4, 6 x 64 f32 reaches 93 GFLOP/s of the 115 of one core in cache
  // against 85 for 8 x 32 (docs/performance.md).
  RegisterTile t;
  int64_t n = ranges[c.nDim];
  if (n >= 4 * lanes)
    t.cols = 4 * lanes;
  else if (n >= 2 * lanes)
    t.cols = 2 * lanes;
  else if (n >= lanes || c.kind != KernelKind::Contract)
    t.cols = lanes;
  else
    t.cols = n;
  if (c.mDim)
    t.rows = std::min<int64_t>(t.cols == 4 * lanes ? 6 : 8,
                               ranges[*c.mDim]);
  return t;
}

//===----------------------------------------------------------------------===//
// Register-tile kernels of the integer dot contractions
//===----------------------------------------------------------------------===//

/// Indices into a tile operand with indexing map `map`: 0 everywhere except
/// at the positions of the given loop dims.
SmallVector<Value> tileIndices(OpBuilder &b, Location loc, AffineMap map,
                               ArrayRef<std::pair<unsigned, Value>> dims) {
  SmallVector<Value> indices;
  Value zero;
  for (AffineExpr e : map.getResults()) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    Value v;
    for (auto [dim, value] : dims)
      if (dim == d)
        v = value;
    if (!v) {
      if (!zero)
        zero = arith::ConstantIndexOp::create(b, loc, 0);
      v = zero;
    }
    indices.push_back(v);
  }
  return indices;
}

/// A 1-D (or, with `rank2`, 2-D) read along the innermost dims of `tensor`.
Value readVector(OpBuilder &b, Location loc, Value tensor,
                 ArrayRef<Value> indices, ArrayRef<int64_t> shape) {
  Type et = getElementTypeOrSelf(tensor.getType());
  Value pad = ub::PoisonOp::create(b, loc, et);
  SmallVector<bool> inBounds(shape.size(), true);
  return vector::TransferReadOp::create(b, loc, VectorType::get(shape, et),
                                        tensor, indices, pad, inBounds);
}

/// Applies the cast op `cast` (an arith extension or int-to-float op of the
/// contraction body), if any, to `v` (scalar or vector of the same shape).
Value applyCast(OpBuilder &b, Location loc, Operation *cast, Value v) {
  if (!cast)
    return v;
  Type resultElement = cast->getResult(0).getType();
  Type resultType = resultElement;
  if (auto vt = dyn_cast<VectorType>(v.getType()))
    resultType = VectorType::get(vt.getShape(), resultElement);
  OperationState state(loc, cast->getName());
  state.addOperands(v);
  state.addTypes(resultType);
  return b.create(state)->getResult(0);
}

/// Sums groups of `g` adjacent lanes of `v` (vector<16*g x i32>) into a
/// vector<16xi32>, in the form LLVM matches to vpmaddwd (g = 2).
Value sumGroups(OpBuilder &b, Location loc, Value v, int64_t g) {
  int64_t n = cast<VectorType>(v.getType()).getNumElements() / g;
  Value sum;
  for (int64_t t = 0; t < g; ++t) {
    SmallVector<int64_t> mask;
    for (int64_t i = 0; i < n; ++i)
      mask.push_back(i * g + t);
    Value part = vector::ShuffleOp::create(b, loc, v, v, mask);
    sum = sum ? arith::AddIOp::create(b, loc, sum, part).getResult() : part;
  }
  return sum;
}

/// Replaces a register tile of a contraction - rows x cols outputs (every
/// other parallel dim a unit dim) and the whole reduction of the block (one
/// k dim, or for the dot kernels the quad/pair dim and one more) - by an
/// scf.for over k whose iteration arguments are the accumulators, one
/// vector per row and lane group (so they live in registers):
///   Contract: acc[i][j] = acc[i][j] + broadcast(A[i, k]) * B[k, j]
///             (two roundings, in increasing k: the bits of scalar loops)
///   DotU8S8:  acc[i][j] += quadsum(ext(broadcast(A[i, k, 0..4])) * ext(B[k, j]))
///             (vpdpbusd after fp4-cpu-x86-vnni)
///   DotI16:   acc[i][j] += pairsum(ext(broadcast(A[i, k, 0..2])) * ext(B[k, j]))
///             (vpmaddwd + vpaddd, or vpdpwssd, chosen by LLVM)
LogicalResult emitRegisterTile(RewriterBase &rewriter, linalg::LinalgOp op,
                               const Contraction &c, const RegisterTile &tile,
                               bool zeroAcc, scf::ForOp kLoop) {
  Location loc = op.getLoc();
  int64_t rows = tile.rows, cols = tile.cols;
  bool dot = c.kind != KernelKind::Contract;
  int64_t g = c.kind == KernelKind::DotU8S8 ? 4
              : c.kind == KernelKind::DotI16 ? 2
                                              : 1;
  // The k loop: the one reduction dim (besides the group dim).
  SmallVector<unsigned> kLoops;
  for (unsigned d : c.kDims)
    if (!dot || d != c.groupDim)
      kLoops.push_back(d);
  if (kLoops.size() != 1)
    return failure();
  unsigned kDim = kLoops.front();
  int64_t kExtent = op.getStaticLoopRanges()[kDim];
  OpOperand *lhsOperand = op.getDpsInputOperand(c.lhs);
  OpOperand *rhsOperand = op.getDpsInputOperand(c.rhs);
  OpOperand *accOperand = op.getDpsInitOperand(0);
  Value lhsT = lhsOperand->get(), rhsT = rhsOperand->get();
  Value accT = accOperand->get();
  auto numElements = [](Value t) {
    return cast<RankedTensorType>(t.getType()).getNumElements();
  };
  if (numElements(lhsT) != rows * kExtent * g ||
      numElements(rhsT) != cols * kExtent * g ||
      numElements(accT) != rows * cols)
    return failure();
  AffineMap lhsMap = op.getMatchingIndexingMap(lhsOperand);
  AffineMap rhsMap = op.getMatchingIndexingMap(rhsOperand);
  AffineMap accMap = op.getMatchingIndexingMap(accOperand);
  Type accElement = getElementTypeOrSelf(accT.getType());
  bool isFloat = isa<FloatType>(accElement);
  if (!isFloat && !accElement.isInteger())
    return failure();
  int64_t lanes =
      dot ? 16
          : std::max<int64_t>(1, kRegisterBits /
                                     accElement.getIntOrFloatBitWidth());
  if (dot && cols % 16 != 0)
    return failure();
  // Casts of the contraction body (lhs/rhs order of the op).
  Operation *castL = nullptr, *castR = nullptr;
  {
    Operation *c0 = nullptr, *c1 = nullptr;
    if (!matchMulAddBody(op, c0, c1))
      return failure();
    castL = c.lhs == 0 ? c0 : c1;
    castR = c.lhs == 0 ? c1 : c0;
  }
  Type i32 = rewriter.getI32Type();
  Type et = getElementTypeOrSelf(lhsT.getType());
  int64_t groups = (cols + lanes - 1) / lanes;
  auto width = [&](int64_t j) { return std::min(lanes, cols - j * lanes); };

  // Accumulators are read from and written to the tensor the tile was
  // extracted from when the tile's result is inserted back there.
  rewriter.setInsertionPoint(op);
  Value accBase = accT;
  SmallVector<OpFoldResult> offsets(
      cast<RankedTensorType>(accT.getType()).getRank(),
      rewriter.getIndexAttr(0));
  tensor::InsertSliceOp insert;
  if (auto slice = accT.getDefiningOp<tensor::ExtractSliceOp>()) {
    Value result = op->getResult(0);
    if (result.hasOneUse() && slice.hasUnitStride() &&
        slice.getSourceType().getRank() == slice.getResultType().getRank())
      if (auto ins = dyn_cast<tensor::InsertSliceOp>(*result.user_begin()))
        if (ins.getDest() == slice.getSource() && ins.hasUnitStride() &&
            ins.getMixedOffsets() == slice.getMixedOffsets() &&
            ins.getMixedSizes() == slice.getMixedSizes()) {
          accBase = slice.getSource();
          offsets = slice.getMixedOffsets();
          insert = ins;
          rewriter.setInsertionPoint(ins);
        }
  }
  auto cst = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, v);
  };
  std::optional<unsigned> mDim = c.mDim;
  SmallVector<SmallVector<Value>> accIndices;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < groups; ++j) {
      SmallVector<std::pair<unsigned, Value>> dims{{c.nDim, cst(j * lanes)}};
      if (mDim)
        dims.push_back({*mDim, cst(i)});
      SmallVector<Value> idx = tileIndices(rewriter, loc, accMap, dims);
      for (auto [k, off] : llvm::enumerate(offsets)) {
        std::optional<int64_t> v = getConstantIntValue(off);
        if (v && *v == 0)
          continue;
        Value o = getValueOrCreateConstantIndexOp(rewriter, loc, off);
        idx[k] = arith::AddIOp::create(rewriter, loc, o, idx[k]);
      }
      accIndices.push_back(idx);
    }
  auto readAccumulators = [&](OpBuilder &b) {
    SmallVector<Value> values;
    for (auto [n, idx] : llvm::enumerate(accIndices))
      values.push_back(readVector(b, loc, accBase, idx, {width(n % groups)}));
    return values;
  };
  // An accumulator known to hold zeros (zeroAcc: in the first block of k)
  // starts from the same +0 without reading it: the first product is added
  // to +0 as before.
  auto zeroAccumulators = [&](OpBuilder &b) {
    SmallVector<Value> values;
    for (int64_t n = 0; n < rows * groups; ++n)
      values.push_back(arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(
              VectorType::get({width(n % groups)}, accElement),
              b.getZeroAttr(accElement))));
    return values;
  };
  SmallVector<Value> inits;
  if (!zeroAcc) {
    inits = readAccumulators(rewriter);
  } else if (!kLoop) {
    inits = zeroAccumulators(rewriter);
  } else {
    Value first = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq,
                                        kLoop.getInductionVar(),
                                        kLoop.getLowerBound());
    auto choose = scf::IfOp::create(
        rewriter, loc, first,
        [&](OpBuilder &b, Location l) {
          scf::YieldOp::create(b, l, zeroAccumulators(b));
        },
        [&](OpBuilder &b, Location l) {
          scf::YieldOp::create(b, l, readAccumulators(b));
        });
    inits.assign(choose.getResults().begin(), choose.getResults().end());
  }

  // The dot kernels read rows of 16 x g contiguous elements of rhs: its
  // last two dims (n, group) merged, so that the read is one 1-D vector.
  Value rhsFlat;
  if (dot) {
    int64_t rank = cast<RankedTensorType>(rhsT.getType()).getRank();
    SmallVector<ReassociationIndices> groupsR;
    for (int64_t d = 0; d < rank - 2; ++d)
      groupsR.push_back({d});
    groupsR.push_back({rank - 2, rank - 1});
    rhsFlat = tensor::CollapseShapeOp::create(rewriter, loc, rhsT, groupsR);
  }
  auto loop = scf::ForOp::create(
      rewriter, loc, cst(0), cst(kExtent), cst(1), inits,
      [&](OpBuilder &b, Location l, Value k, ValueRange accs) {
        // The rhs vectors of this k, shared by all rows.
        SmallVector<Value> bVectors;
        for (int64_t j = 0; j < groups; ++j) {
          Value n0 = arith::ConstantIndexOp::create(b, l, j * lanes);
          SmallVector<Value> idx =
              tileIndices(b, l, rhsMap, {{c.nDim, n0}, {kDim, k}});
          if (dot) {
            // One contiguous row of 16 x g elements of the flattened rhs.
            Value n0g = arith::ConstantIndexOp::create(b, l, j * 16 * g);
            idx.pop_back();
            idx.back() = n0g;
            bVectors.push_back(readVector(b, l, rhsFlat, idx, {16 * g}));
          } else {
            bVectors.push_back(applyCast(
                b, l, castR, readVector(b, l, rhsT, idx, {width(j)})));
          }
        }
        SmallVector<Value> results;
        for (int64_t i = 0; i < rows; ++i) {
          SmallVector<std::pair<unsigned, Value>> dims{{kDim, k}};
          if (mDim)
            dims.push_back({*mDim, arith::ConstantIndexOp::create(b, l, i)});
          SmallVector<Value> aIdx = tileIndices(b, l, lhsMap, dims);
          Value aScalar;
          if (dot) {
            Value row = readVector(b, l, lhsT, aIdx, {g});
            Value word = vector::BitCastOp::create(
                b, l, VectorType::get({1}, i32), row);
            aScalar = vector::ExtractOp::create(b, l, word, 0);
          } else {
            Value one = readVector(b, l, lhsT, aIdx, {1});
            aScalar = applyCast(b, l, castL,
                                vector::ExtractOp::create(b, l, one, 0));
          }
          for (int64_t j = 0; j < groups; ++j) {
            Value acc = accs[i * groups + j];
            auto accType = VectorType::get({width(j)}, accElement);
            Value result;
            if (!dot) {
              Value a = vector::BroadcastOp::create(b, l, accType, aScalar);
              if (isFloat) {
                // One rounding for the product and one for the sum, as in
                // the scalar loops (no fused multiply-add).
                Value p = arith::MulFOp::create(b, l, a, bVectors[j]);
                result = arith::AddFOp::create(b, l, acc, p);
              } else {
                Value p = arith::MulIOp::create(b, l, a, bVectors[j]);
                result = arith::AddIOp::create(b, l, acc, p);
              }
            } else {
              auto v16i32 = VectorType::get({16}, i32);
              auto vgroup = VectorType::get({16 * g}, et);
              Value bc = vector::BroadcastOp::create(b, l, v16i32, aScalar);
              Value aGroup = vector::BitCastOp::create(b, l, vgroup, bc);
              Value ae = applyCast(b, l, castL, aGroup);
              Value be = applyCast(b, l, castR, bVectors[j]);
              Value prod = arith::MulIOp::create(b, l, ae, be);
              result = arith::AddIOp::create(b, l, acc,
                                             sumGroups(b, l, prod, g));
            }
            results.push_back(result);
          }
        }
        scf::YieldOp::create(b, l, results);
      });

  Value written = accBase;
  for (auto [result, idx] : llvm::zip(loop.getResults(), accIndices))
    written = vector::TransferWriteOp::create(rewriter, loc, result, written,
                                              idx, ArrayRef<bool>{true})
                  .getResult();
  if (insert) {
    rewriter.replaceOp(insert, written);
    rewriter.eraseOp(op);
  } else {
    rewriter.replaceOp(op, written);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Pooling windows
//===----------------------------------------------------------------------===//

/// A reduction over the KH x KW windows of an NCHW input with stride S and
/// no dilation: max pooling (`linalg.pooling_nchw_max`) and the backward
/// pass's arg-max (a linalg.generic with a value and an index result),
/// loops (n, c, oh, ow, kh, kw), X[n, c, oh*S + kh, ow*S + kw], the window
/// tensor [KH, KW], every result [n, c, oh, ow].
struct WindowReduction {
  int64_t s = 1, kh = 1, kw = 1;
};

std::optional<WindowReduction> matchWindowReduction(linalg::LinalgOp op) {
  if (!isa<linalg::PoolingNchwMaxOp, linalg::GenericOp>(op.getOperation()) ||
      !isStaticTensorOp(op) || op.getNumDpsInputs() != 2 ||
      op.getNumLoops() != 6 || op->getNumRegions() != 1)
    return std::nullopt;
  // i1 tensors: bytes in memory, packed bits in vectors (see processOther).
  for (OpOperand &operand : op->getOpOperands())
    if (getElementTypeOrSelf(operand.get().getType()).isInteger(1))
      return std::nullopt;
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  for (unsigned d = 0; d < 6; ++d)
    if ((d >= 4) != (iters[d] == utils::IteratorType::reduction))
      return std::nullopt;
  MLIRContext *ctx = op.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  WindowReduction w;
  w.kh = ranges[4];
  w.kw = ranges[5];
  AffineMap xm = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  bool found = false;
  for (int64_t st = 1; st <= 4 && !found; ++st)
    if (xm == AffineMap::get(6, 0,
                             {d(0), d(1), d(2) * st + d(4), d(3) * st + d(5)},
                             ctx)) {
      w.s = st;
      found = true;
    }
  if (!found || op.getMatchingIndexingMap(op.getDpsInputOperand(1)) !=
                    AffineMap::get(6, 0, {d(4), d(5)}, ctx))
    return std::nullopt;
  AffineMap out = AffineMap::get(6, 0, {d(0), d(1), d(2), d(3)}, ctx);
  for (OpOperand &init : op.getDpsInitsMutable())
    if (op.getMatchingIndexingMap(&init) != out)
      return std::nullopt;
  // The body: pure ops without regions; linalg.index only of kh and kw.
  for (Operation &inner : op->getRegion(0).front().without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      if (index.getDim() < 4)
        return std::nullopt;
      continue;
    }
    if (inner.getNumRegions() != 0 || !isPure(&inner) ||
        inner.getNumResults() != 1)
      return std::nullopt;
  }
  return w;
}

/// Vector code for a window reduction: per image (an scf.forall over the
/// images when there are threads), channel and output row, vectors of up
/// to 16 outputs along the row; per tap (kh, kw), in the op's order, one
/// contiguous read of the input row that the vector's windows span, its
/// every S-th lane picked by a shuffle, and the op's body applied lane by
/// lane (scalars broadcast). Each output sees the same body in the same
/// tap order from the same init: the bits of the scalar loops.
LogicalResult emitWindowReduction(RewriterBase &rewriter, linalg::LinalgOp op,
                                  const WindowReduction &w, bool parallel) {
  Location loc = op.getLoc();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t n = ranges[0], c = ranges[1], oh = ranges[2], ow = ranges[3];
  Value x = op.getDpsInputOperand(0)->get();
  Value window = op.getDpsInputOperand(1)->get();
  SmallVector<Value> inits;
  for (OpOperand &init : op.getDpsInitsMutable())
    inits.push_back(init.get());
  Block &body = op->getRegion(0).front();
  auto cst = [&](OpBuilder &b, int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };

  // The body on vectors of `lanes`: `in` the window's inputs, `acc` the
  // accumulators; null if some op does not take vectors.
  auto applyBody = [&](OpBuilder &b, Value in, Value win, int64_t kh,
                       int64_t kw, ValueRange acc,
                       int64_t lanes) -> SmallVector<Value> {
    IRMapping m;
    m.map(body.getArgument(0), in);
    m.map(body.getArgument(1), win);
    for (auto [arg, a] : llvm::zip(body.getArguments().drop_front(2), acc))
      m.map(arg, a);
    auto vectorOf = [&](Value v) -> Value {
      if (isa<VectorType>(v.getType()))
        return v;
      return vector::BroadcastOp::create(
          b, loc, VectorType::get({lanes}, v.getType()), v);
    };
    for (Operation &inner : body.without_terminator()) {
      if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
        m.map(index.getResult(), cst(b, index.getDim() == 4 ? kh : kw));
        continue;
      }
      SmallVector<Value> operands;
      bool anyVector = false;
      for (Value v : inner.getOperands()) {
        operands.push_back(m.lookupOrDefault(v));
        anyVector |= isa<VectorType>(operands.back().getType());
      }
      Type resultType = inner.getResult(0).getType();
      if (anyVector) {
        for (Value &v : operands)
          v = vectorOf(v);
        resultType = VectorType::get({lanes}, resultType);
      }
      OperationState state(loc, inner.getName());
      state.addOperands(operands);
      state.addTypes(resultType);
      state.addAttributes(inner.getAttrs());
      m.map(inner.getResult(0), b.create(state)->getResult(0));
    }
    SmallVector<Value> results;
    for (Value v : body.getTerminator()->getOperands())
      results.push_back(vectorOf(m.lookupOrDefault(v)));
    return results;
  };

  // One image: `outs` are the image's slices [c, oh, ow] of the results.
  auto image = [&](OpBuilder &b, Value img, ValueRange outs)
      -> SmallVector<Value> {
    auto cLoop = scf::ForOp::create(
        b, loc, cst(b, 0), cst(b, c), cst(b, 1), outs,
        [&](OpBuilder &cb, Location, Value ci, ValueRange cOuts) {
          auto rLoop = scf::ForOp::create(
              cb, loc, cst(cb, 0), cst(cb, oh), cst(cb, 1), cOuts,
              [&](OpBuilder &rb, Location, Value r, ValueRange rOuts) {
                SmallVector<Value> cur(rOuts.begin(), rOuts.end());
                Value rowBase = arith::MulIOp::create(rb, loc, r,
                                                      cst(rb, w.s));
                for (int64_t ow0 = 0; ow0 < ow; ow0 += 16) {
                  int64_t lanes = std::min<int64_t>(16, ow - ow0);
                  SmallVector<Value> acc;
                  for (Value t : cur) {
                    Type et = getElementTypeOrSelf(t.getType());
                    acc.push_back(vector::TransferReadOp::create(
                        rb, loc, VectorType::get({lanes}, et), t,
                        ValueRange{ci, r, cst(rb, ow0)},
                        ub::PoisonOp::create(rb, loc, et),
                        ArrayRef<bool>{true}));
                  }
                  int64_t span = (lanes - 1) * w.s + 1;
                  Type xt = getElementTypeOrSelf(x.getType());
                  for (int64_t kh = 0; kh < w.kh; ++kh)
                    for (int64_t kw = 0; kw < w.kw; ++kw) {
                      Value row =
                          arith::AddIOp::create(rb, loc, rowBase, cst(rb, kh));
                      Value v = vector::TransferReadOp::create(
                          rb, loc, VectorType::get({span}, xt), x,
                          ValueRange{img, ci, row, cst(rb, ow0 * w.s + kw)},
                          ub::PoisonOp::create(rb, loc, xt),
                          ArrayRef<bool>{true});
                      if (w.s != 1) {
                        SmallVector<int64_t> mask;
                        for (int64_t l = 0; l < lanes; ++l)
                          mask.push_back(l * w.s);
                        v = vector::ShuffleOp::create(rb, loc, v, v, mask);
                      }
                      Value win = tensor::ExtractOp::create(
                          rb, loc, window, ValueRange{cst(rb, kh), cst(rb, kw)});
                      acc = applyBody(rb, v, win, kh, kw, acc, lanes);
                    }
                  for (auto [i, a] : llvm::enumerate(acc))
                    cur[i] = vector::TransferWriteOp::create(
                                 rb, loc, a, cur[i],
                                 ValueRange{ci, r, cst(rb, ow0)},
                                 ArrayRef<bool>{true})
                                 .getResult();
                }
                scf::YieldOp::create(rb, loc, cur);
              });
          scf::YieldOp::create(cb, loc, rLoop.getResults());
        });
    return SmallVector<Value>(cLoop.getResults());
  };

  // Image `img`'s slice [1, c, oh, ow] of a result (rank-reduced to
  // [c, oh, ow] where extracted).
  rewriter.setInsertionPoint(op);
  SmallVector<OpFoldResult> sizes = {
      rewriter.getIndexAttr(1), rewriter.getIndexAttr(c),
      rewriter.getIndexAttr(oh), rewriter.getIndexAttr(ow)};
  SmallVector<OpFoldResult> ones(4, rewriter.getIndexAttr(1));
  auto offsetsOf = [&](Value img) -> SmallVector<OpFoldResult> {
    OpFoldResult z = rewriter.getIndexAttr(0);
    return {img, z, z, z};
  };
  auto sliceOf = [&](OpBuilder &b, Value t, Value img) -> Value {
    auto type = cast<RankedTensorType>(t.getType());
    return tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({c, oh, ow}, type.getElementType()), t,
        offsetsOf(img), sizes, ones);
  };
  SmallVector<Value> results;
  if (parallel) {
    auto forall = scf::ForallOp::create(
        rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(n)},
        inits, std::nullopt);
    OpBuilder b = OpBuilder::atBlockBegin(forall.getBody());
    Value img = forall.getInductionVars()[0];
    SmallVector<Value> slices;
    for (Value t : forall.getRegionIterArgs())
      slices.push_back(sliceOf(b, t, img));
    SmallVector<Value> done = image(b, img, slices);
    b.setInsertionPointToEnd(forall.getTerminator().getBody());
    for (auto [d, t] : llvm::zip(done, forall.getRegionIterArgs()))
      tensor::ParallelInsertSliceOp::create(b, loc, d, t, offsetsOf(img),
                                            sizes, ones);
    results.assign(forall.getResults().begin(), forall.getResults().end());
  } else {
    auto loop = scf::ForOp::create(
        rewriter, loc, cst(rewriter, 0), cst(rewriter, n), cst(rewriter, 1),
        inits, [&](OpBuilder &b, Location, Value img, ValueRange outs) {
          SmallVector<Value> slices;
          for (Value t : outs)
            slices.push_back(sliceOf(b, t, img));
          SmallVector<Value> done = image(b, img, slices);
          SmallVector<Value> next;
          for (auto [d, t] : llvm::zip(done, outs))
            next.push_back(tensor::InsertSliceOp::create(
                b, loc, d, t, offsetsOf(img), sizes, ones));
          scf::YieldOp::create(b, loc, next);
        });
    results.assign(loop.getResults().begin(), loop.getResults().end());
  }
  rewriter.replaceOp(op, results);
  return success();
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct CPUTileAndVectorizePass
    : fp4::impl::FP4CPUTileAndVectorizeBase<CPUTileAndVectorizePass> {
  using Base::Base;

  int64_t numThreads() const {
    return threads > 0 ? static_cast<int64_t>(threads)
                       : fp4::getDefaultCPUThreads();
  }

  void runOnOperation() override;

  void rewritePads(RewriterBase &rewriter);
  void processContraction(RewriterBase &rewriter, linalg::LinalgOp op,
                          Contraction c);
  void tileContractionPart(RewriterBase &rewriter, linalg::LinalgOp op,
                           const Contraction &c, RegisterTile tile,
                           bool zeroAcc, bool &accRead);
  void processOther(RewriterBase &rewriter, linalg::LinalgOp op);
  void tileOtherPart(RewriterBase &rewriter, linalg::LinalgOp op,
                     unsigned vdim, int64_t vlen);
  void tileTransposedReduction(RewriterBase &rewriter, linalg::LinalgOp op,
                               unsigned vdim, unsigned rdim);
  void cleanup();
};

/// `tensor.pad` with a constant value -> fills of the border + copy into the
/// interior, so that the copy is vectorized and bufferizes in place.
void CPUTileAndVectorizePass::rewritePads(RewriterBase &rewriter) {
  SmallVector<tensor::PadOp> pads;
  getOperation().walk([&](tensor::PadOp pad) { pads.push_back(pad); });
  for (tensor::PadOp pad : pads) {
    auto resultType = pad.getResultType();
    auto sourceType = pad.getSourceType();
    Value value = pad.getConstantPaddingValue();
    if (!value || !resultType.hasStaticShape() ||
        !sourceType.hasStaticShape() || pad.getNofold())
      continue;
    SmallVector<int64_t> low = llvm::to_vector(pad.getStaticLow());
    if (llvm::any_of(low, ShapedType::isDynamic) ||
        llvm::any_of(pad.getStaticHigh(), ShapedType::isDynamic))
      continue;
    Location loc = pad.getLoc();
    rewriter.setInsertionPoint(pad);
    Value empty = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                          resultType.getElementType());
    // Only the border is filled (the interior is copied over right after):
    // for each dim d, the slabs below and above the source along d, within
    // the source's extent along the dims before d and whole along the
    // dims after it. They partition the border.
    Value filled = empty;
    ArrayRef<int64_t> high = pad.getStaticHigh();
    ArrayRef<int64_t> src = sourceType.getShape(), dst = resultType.getShape();
    int64_t rank = resultType.getRank();
    for (int64_t d = 0; d < rank; ++d)
      for (bool above : {false, true}) {
        int64_t amount = above ? high[d] : low[d];
        if (amount == 0)
          continue;
        SmallVector<int64_t> off(rank, 0), size(dst.begin(), dst.end());
        for (int64_t k = 0; k < d; ++k) {
          off[k] = low[k];
          size[k] = src[k];
        }
        off[d] = above ? low[d] + src[d] : 0;
        size[d] = amount;
        if (llvm::is_contained(size, 0))
          continue;
        SmallVector<OpFoldResult> o =
            getAsIndexOpFoldResult(rewriter.getContext(), off);
        SmallVector<OpFoldResult> z =
            getAsIndexOpFoldResult(rewriter.getContext(), size);
        SmallVector<OpFoldResult> one(rank, rewriter.getIndexAttr(1));
        Value slab =
            tensor::ExtractSliceOp::create(rewriter, loc, filled, o, z, one);
        Value slabFilled =
            linalg::FillOp::create(rewriter, loc, value, slab).getResult(0);
        filled = tensor::InsertSliceOp::create(rewriter, loc, slabFilled,
                                               filled, o, z, one);
      }
    SmallVector<OpFoldResult> offsets =
        getAsIndexOpFoldResult(rewriter.getContext(), low);
    SmallVector<OpFoldResult> sizes =
        getAsIndexOpFoldResult(rewriter.getContext(), sourceType.getShape());
    SmallVector<OpFoldResult> strides(low.size(), rewriter.getIndexAttr(1));
    Value interior = tensor::ExtractSliceOp::create(rewriter, loc, filled,
                                                    offsets, sizes, strides);
    Value copied =
        linalg::CopyOp::create(rewriter, loc, pad.getSource(), interior)
            .getResult(0);
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(pad, copied, filled,
                                                       offsets, sizes, strides);
  }
}

void CPUTileAndVectorizePass::processContraction(RewriterBase &rewriter,
                                                 linalg::LinalgOp op,
                                                 Contraction c) {
  linalg::LinalgOp transpose;
  FailureOr<linalg::LinalgOp> canonical =
      canonicalizeRhsLayout(rewriter, op, c, transpose);
  if (failed(canonical)) {
    processOther(rewriter, op);
    return;
  }
  if (transpose)
    processOther(rewriter, transpose);
  op = *canonical;
  RegisterTile tile = chooseRegisterTile(op, c);
  // An accumulator that starts as a fill of zeros used by nothing else: the
  // register tiles of the first cache block of k start from zero without
  // reading it (the later k blocks read what the first wrote), and when
  // nothing else reads it the fill goes (a pass of stores over the whole
  // result, and the tiles' loads of it).
  linalg::FillOp zeroFill = zeroFillOf(op.getDpsInitOperand(0)->get());
  bool zeroAcc = static_cast<bool>(zeroFill);
  bool accRead = false;
  // Split off the partial register tiles along n, then along m.
  SmallVector<linalg::LinalgOp> parts;
  for (linalg::LinalgOp part : splitAtMultiple(rewriter, op, c.nDim,
                                               tile.cols)) {
    if (c.mDim)
      llvm::append_range(parts, splitAtMultiple(rewriter, part, *c.mDim,
                                                tile.rows));
    else
      parts.push_back(part);
  }
  for (linalg::LinalgOp part : parts) {
    SmallVector<int64_t> ranges = part.getStaticLoopRanges();
    RegisterTile t = tile;
    if (ranges[c.nDim] % t.cols != 0)
      t.cols = ranges[c.nDim];
    if (c.mDim && ranges[*c.mDim] % t.rows != 0)
      t.rows = ranges[*c.mDim];
    if (c.kind != KernelKind::Contract && t.cols % 16 != 0) {
      accRead |= zeroAcc;
      processOther(rewriter, part);
      continue;
    }
    tileContractionPart(rewriter, part, c, t, zeroAcc, accRead);
  }
  // Every tile of the first k block started from zero without reading the
  // fill, and the later blocks read what the first wrote (the k blocks are
  // the loop around the register tiles): the fill's values are never read.
  if (zeroFill && !accRead) {
    rewriter.replaceAllUsesWith(zeroFill.getResult(0),
                                zeroFill.getOutputs()[0]);
    rewriter.eraseOp(zeroFill);
  }
}

void CPUTileAndVectorizePass::tileContractionPart(RewriterBase &rewriter,
                                                  linalg::LinalgOp op,
                                                  const Contraction &c,
                                                  RegisterTile tile,
                                                  bool zeroAcc,
                                                  bool &accRead) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned numLoops = op.getNumLoops();
  unsigned bits = elementBits(op.getDpsInitOperand(0)->get().getType());
  // Cache blocks (f32: C 64 x 512, A 64 x 256, B 256 x 512, as in BLIS-like
  // kernels for a 1 MiB L2), scaled by the element size.
  int64_t scale = std::max<int64_t>(1, bits / 32);
  int64_t mc = c.mDim ? blockSize(ranges[*c.mDim], tile.rows, 64) : 1;
  int64_t nc = blockSize(ranges[c.nDim], tile.cols, 512 / scale);
  int64_t kc = c.kDim ? cacheBlockK(op, c) : 0;
  // Any path but the zero-initialized register tiles reads the accumulator
  // (the fill's zeros, when zeroAcc).
  auto fallback = [&] { accRead |= zeroAcc; };

  // Level 1: blocks of the parallel dims, in parallel when worth it.
  int64_t work = 1;
  for (int64_t r : ranges)
    work *= r;
  int64_t threadsWanted = numThreads();
  bool parallel = threadsWanted > 1 && work >= minParallelWork &&
                  !insideParallelLoop(op);
  auto blocks = [&]() {
    int64_t n = 1;
    for (unsigned d : c.batch)
      n *= ranges[d];
    for (unsigned d : c.mDims)
      n *= d == c.mDim ? ranges[d] / mc : ranges[d];
    for (unsigned d : c.nDims)
      n *= d == c.nDim ? ranges[d] / nc : ranges[d];
    return n;
  };
  if (parallel) {
    // Blocks that balance the threads: among the block sizes (multiples of
    // the register tile dividing the extents, at most the cache blocks),
    // the largest whose count is a multiple of the thread count, else the
    // one with the best balance.
    int64_t outer = blocks() / ((c.mDim ? ranges[*c.mDim] / mc : 1) *
                                (ranges[c.nDim] / nc));
    int64_t bestMc = mc, bestNc = nc;
    double bestScore = -1;
    int64_t mExtent = c.mDim ? ranges[*c.mDim] : 1;
    int64_t mUnit = c.mDim ? tile.rows : 1;
    for (int64_t m = mUnit; m <= std::min<int64_t>(mc, mExtent); m += mUnit) {
      if (mExtent % m)
        continue;
      for (int64_t n = tile.cols; n <= nc; n += tile.cols) {
        if (ranges[c.nDim] % n)
          continue;
        int64_t count = outer * (mExtent / m) * (ranges[c.nDim] / n);
        int64_t rounds = (count + threadsWanted - 1) / threadsWanted;
        double balance = double(count) / double(rounds * threadsWanted);
        // Balance first, then bigger blocks (fewer, better cache reuse).
        double score = balance * 1e9 + double(m * n);
        if (score > bestScore) {
          bestScore = score;
          bestMc = m;
          bestNc = n;
        }
      }
    }
    mc = bestMc;
    nc = bestNc;
    parallel = blocks() > 1;
  }
  SmallVector<int64_t> level1(numLoops, 0);
  for (unsigned d : c.batch)
    level1[d] = 1;
  for (unsigned d : c.mDims)
    level1[d] = d == c.mDim ? mc : 1;
  for (unsigned d : c.nDims)
    level1[d] = d == c.nDim ? nc : 1;
  FailureOr<linalg::LinalgOp> tiled = tileOp(rewriter, op, level1, parallel);
  if (failed(tiled)) {
    fallback();
    return;
  }
  op = *tiled;

  // Level 2: blocks of k (sequential, in increasing order).
  SmallVector<int64_t> level2(numLoops, 0);
  if (c.kDim && kc)
    level2[*c.kDim] = kc;
  tiled = tileOp(rewriter, op, level2, /*forall=*/false);
  if (failed(tiled)) {
    fallback();
    return;
  }
  op = *tiled;
  // The loop over k blocks, if any: only its first iteration starts from
  // zero.
  scf::ForOp kLoop;
  if (c.kDim && kc && kc != ranges[*c.kDim])
    kLoop = op->getParentOfType<scf::ForOp>();

  // Level 3: register tiles; the emitter loops over the block's k itself
  // (with the accumulators as loop-carried vectors), else k has unit tiles
  // for the vectorizer.
  unsigned numK = c.kDims.size() - (c.kind != KernelKind::Contract ? 1 : 0);
  bool emitter = numK == 1;
  SmallVector<int64_t> level3(numLoops, 0);
  for (unsigned d = 0; d < numLoops; ++d)
    level3[d] = 1;
  level3[c.nDim] = tile.cols;
  if (c.mDim)
    level3[*c.mDim] = tile.rows;
  if (c.kind != KernelKind::Contract)
    level3[c.groupDim] = 0;
  if (emitter)
    for (unsigned d : c.kDims)
      level3[d] = 0;
  SmallVector<int64_t> interchange;
  SmallVector<IteratorType> iters = op.getIteratorTypesArray();
  for (unsigned d = 0; d < numLoops; ++d)
    if (iters[d] == IteratorType::parallel)
      interchange.push_back(d);
  for (unsigned d = 0; d < numLoops; ++d)
    if (iters[d] == IteratorType::reduction)
      interchange.push_back(d);
  tiled = tileOp(rewriter, op, level3, /*forall=*/false, interchange);
  if (failed(tiled)) {
    fallback();
    return;
  }
  op = *tiled;

  if (emitter &&
      succeeded(emitRegisterTile(rewriter, op, c, tile, zeroAcc, kLoop)))
    return;
  fallback();
  if (emitter) {
    // Unit k tiles for the vectorizer.
    SmallVector<int64_t> unitK(numLoops, 0);
    for (unsigned d : c.kDims)
      unitK[d] = c.kind != KernelKind::Contract && d == c.groupDim ? 0 : 1;
    tiled = tileOp(rewriter, op, unitK, /*forall=*/false);
    if (failed(tiled))
      return;
    op = *tiled;
  }
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::VectorizationResult> vectorized = linalg::vectorize(
      rewriter, op, /*inputVectorSizes=*/{}, /*inputScalableVecDims=*/{},
      /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
      /*assumeDynamicDimsMatchVecSizes=*/false,
      /*createNamedContraction=*/true);
  if (succeeded(vectorized))
    rewriter.replaceOp(op, vectorized->replacements);
}

/// True if merging the loop dims `group` (contiguous in every indexing map)
/// keeps every operand contiguous in memory, i.e. no operand is a slice that
/// cuts the merged dims (tensor.collapse_shape of such a slice would
/// bufferize to a copy).
static bool collapsibleInMemory(linalg::LinalgOp op,
                                ArrayRef<int64_t> group) {
  for (OpOperand &operand : op->getOpOperands()) {
    auto slice = operand.get().getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice)
      continue;
    if (!slice.hasUnitStride())
      return false;
    // Operand dims that the group maps to, in order.
    AffineMap map = op.getMatchingIndexingMap(&operand);
    SmallVector<unsigned> dims;
    for (auto [pos, e] : llvm::enumerate(map.getResults()))
      if (auto d = dyn_cast<AffineDimExpr>(e))
        if (llvm::is_contained(group, static_cast<int64_t>(d.getPosition())))
          dims.push_back(pos);
    if (dims.size() < 2)
      continue;
    // A rank-reducing slice: give up rather than map dims.
    if (slice.getSourceType().getRank() != slice.getResultType().getRank())
      return false;
    ArrayRef<int64_t> src = slice.getSourceType().getShape();
    ArrayRef<int64_t> res = slice.getResultType().getShape();
    for (unsigned d : ArrayRef<unsigned>(dims).drop_front())
      if (src[d] != res[d])
        return false;
  }
  return true;
}

/// The innermost loop dims of iterator type `kind` that stay contiguous in
/// every operand when merged (and in memory, collapsibleInMemory).
static ReassociationIndices trailingContiguousDims(linalg::LinalgOp op,
                                                   IteratorType kind) {
  ReassociationIndices group;
  SmallVector<IteratorType> iters = op.getIteratorTypesArray();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  for (int64_t d = op.getNumLoops() - 1; d >= 0; --d) {
    if (iters[d] != kind)
      break;
    ReassociationIndices candidate{d};
    candidate.append(group.begin(), group.end());
    if (!linalg::areDimSequencesPreserved(maps, {candidate}) ||
        !collapsibleInMemory(op, candidate))
      break;
    group = candidate;
  }
  return group;
}

/// Merges the loop dims `group` of `op` into one; returns the new op (`op`
/// itself if that fails).
static linalg::LinalgOp collapseDims(RewriterBase &rewriter,
                                     linalg::LinalgOp op,
                                     const ReassociationIndices &group) {
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::CollapseResult> collapsed =
      linalg::collapseOpIterationDims(op, {group}, rewriter);
  if (failed(collapsed))
    return op;
  rewriter.replaceOp(op, collapsed->results);
  return collapsed->collapsedOp;
}

void CPUTileAndVectorizePass::processOther(RewriterBase &rewriter,
                                           linalg::LinalgOp op) {
  if (!isStaticTensorOp(op) || op->getNumResults() == 0)
    return;
  // i1 tensors: LLVM stores vectors of i1 as packed bits but buffers of i1
  // hold one byte per element, so vector transfers of them would be wrong.
  // A scalar i1 operand (the condition of an elementwise select between two
  // tensors: the skipped update of a non-finite step) is only broadcast.
  for (OpOperand &operand : op->getOpOperands())
    if (isa<ShapedType>(operand.get().getType()) &&
        getElementTypeOrSelf(operand.get().getType()).isInteger(1))
      return;
  unsigned numLoops = op.getNumLoops();
  if (failed(linalg::vectorizeOpPrecondition(op, {}, {},
                                             /*vectorizeNDExtract=*/true)))
    return;
  if (numLoops == 0) {
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::VectorizationResult> vectorized =
        linalg::vectorize(rewriter, op, {}, {}, /*vectorizeNDExtract=*/true);
    if (succeeded(vectorized))
      rewriter.replaceOp(op, vectorized->replacements);
    return;
  }
  // Named ops as generics: one path for the collapse and unit-dim folding
  // below.
  if (!isa<linalg::GenericOp>(op.getOperation())) {
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::GenericOp> generic =
        linalg::generalizeNamedOp(rewriter, op);
    if (failed(generic))
      return;
    op = cast<linalg::LinalgOp>(generic->getOperation());
  }
  // Merge the innermost dims that are contiguous in every operand, so that
  // the vectors are long (NCHW images: h and w). Only output-contiguous
  // groups that end at the last loop and at the last result dim help.
  if (ReassociationIndices group =
          trailingContiguousDims(op, IteratorType::parallel);
      group.size() >= 2) {
    AffineMap outMap = op.getIndexingMapsArray().back();
    if (outMap.getNumResults() > 0 &&
        isa<AffineDimExpr>(outMap.getResults().back()) &&
        cast<AffineDimExpr>(outMap.getResults().back()).getPosition() ==
            static_cast<unsigned>(group.back()))
      op = collapseDims(rewriter, op, group);
  }
  // Merge the innermost reduction dims that are contiguous in every operand
  // (BatchNorm's sums over h and w): one long reduction dim for the
  // transposed tiles of tileTransposedReduction. The elements are still
  // visited in the same order.
  if (ReassociationIndices group =
          trailingContiguousDims(op, IteratorType::reduction);
      group.size() >= 2)
    op = collapseDims(rewriter, op, group);
  numLoops = op.getNumLoops();
  SmallVector<IteratorType> iters = op.getIteratorTypesArray();
  // Vector dim: the loop of the first result's innermost dim that is not a
  // unit dim (else the innermost loop with an extent above 1).
  AffineMap outMap = op.getIndexingMapsArray().back();
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  unsigned vdim = numLoops - 1;
  bool found = false;
  for (AffineExpr e : llvm::reverse(outMap.getResults())) {
    auto dim = dyn_cast<AffineDimExpr>(e);
    if (!dim)
      break;
    if (extents[dim.getPosition()] > 1) {
      vdim = dim.getPosition();
      found = true;
      break;
    }
  }
  if (!found)
    for (int64_t d = numLoops - 1; d >= 0; --d)
      if (extents[d] > 1) {
        vdim = d;
        break;
      }
  unsigned bits = 0;
  for (OpOperand &operand : op->getOpOperands())
    bits = std::max(bits, elementBits(operand.get().getType()));
  int64_t vlen = bits > 32 ? 32 : 64;
  int64_t extent = op.getStaticLoopRanges()[vdim];
  if (extent <= vlen) {
    tileOtherPart(rewriter, op, vdim, extent);
    return;
  }
  SmallVector<linalg::LinalgOp> parts =
      splitAtMultiple(rewriter, op, vdim, vlen);
  for (linalg::LinalgOp part : parts) {
    int64_t e = part.getStaticLoopRanges()[vdim];
    tileOtherPart(rewriter, part, vdim, e % vlen == 0 ? vlen : e);
  }
}

/// The first loop dim of iterator type `kind`, other than the lanes `vdim`,
/// of extent >= 16 (a multiple of 16 with `multipleOf16`) that is the
/// innermost dim of one of `op`'s inputs: that input is read along it.
static std::optional<unsigned> innerInputDim(linalg::LinalgOp op,
                                             unsigned vdim, IteratorType kind,
                                             bool multipleOf16) {
  SmallVector<IteratorType> iters = op.getIteratorTypesArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (map.getNumResults() == 0)
      continue;
    auto inner = dyn_cast<AffineDimExpr>(map.getResults().back());
    if (!inner)
      continue;
    unsigned d = inner.getPosition();
    if (d != vdim && iters[d] == kind && ranges[d] >= 16 &&
        (!multipleOf16 || ranges[d] % 16 == 0))
      return d;
  }
  return std::nullopt;
}

/// A reduction dim that is the innermost dim of an input while the lanes
/// `vdim` are not: tileTransposedReduction's case.
static std::optional<unsigned> contiguousReductionDim(linalg::LinalgOp op,
                                                      unsigned vdim) {
  return innerInputDim(op, vdim, IteratorType::reduction, false);
}

static void vectorizeTile(RewriterBase &rewriter, linalg::LinalgOp op,
                          ArrayRef<int64_t> sizes, unsigned vdim,
                          std::optional<unsigned> vdim2, bool lowerReduction);

void CPUTileAndVectorizePass::tileOtherPart(RewriterBase &rewriter,
                                            linalg::LinalgOp op, unsigned vdim,
                                            int64_t vlen) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned numLoops = op.getNumLoops();
  SmallVector<IteratorType> iters = op.getIteratorTypesArray();
  int64_t work = 1;
  for (int64_t r : ranges)
    work *= r;
  // Threads: a forall over the outermost parallel dim (not the vector dim)
  // with enough iterations, or over vector-sized chunks of a 1-D op.
  int64_t threadsWanted = numThreads();
  if (threadsWanted > 1 && work >= minParallelWork &&
      !insideParallelLoop(op)) {
    SmallVector<int64_t> sizes(numLoops, 0);
    bool found = false;
    for (unsigned d = 0; d < numLoops && !found; ++d) {
      if (d == vdim || iters[d] != IteratorType::parallel || ranges[d] < 2)
        continue;
      sizes[d] = std::max<int64_t>(
          1, largestDivisor(ranges[d], ranges[d] / threadsWanted));
      found = true;
    }
    if (!found && iters[vdim] == IteratorType::parallel &&
        ranges[vdim] % (vlen * threadsWanted) == 0) {
      sizes[vdim] = ranges[vdim] / threadsWanted;
      found = true;
    }
    // The vector dim is the only parallel one and fits one vector (the
    // channels of a reduction over n, h, w, e.g. BatchNorm's sums): one
    // shorter vector per thread rather than one thread. Each lane's sum
    // keeps its order. Not below 16 lanes per thread when the input is
    // contiguous along the reduction (the transposed 16 x 16 tiles below
    // on one thread beat two threads of strided reads: 0.26 vs 0.33 ms for
    // a 128 x 16 x 28 x 28 sum).
    int64_t perThread = ranges[vdim] / threadsWanted;
    if (!found && iters[vdim] == IteratorType::parallel &&
        vlen == ranges[vdim] && ranges[vdim] % threadsWanted == 0 &&
        perThread >= 8 &&
        (perThread % 16 == 0 || !contiguousReductionDim(op, vdim))) {
      sizes[vdim] = ranges[vdim] / threadsWanted;
      vlen = sizes[vdim];
      found = true;
    }
    if (found) {
      FailureOr<linalg::LinalgOp> tiled = tileOp(rewriter, op, sizes, true);
      if (failed(tiled))
        return;
      op = *tiled;
      ranges = op.getStaticLoopRanges();
    }
  }
  // Short vectors (a small innermost result dim, e.g. the 4 bytes of a
  // quad of the integer GEMM's packed operand) are widened to 2-D tiles
  // along the next result dim: a transposing copy then becomes shuffles of
  // whole rows instead of one gather per element.
  std::optional<unsigned> vdim2;
  if (vlen < 16) {
    AffineMap outMap = op.getIndexingMapsArray().back();
    bool seen = false;
    for (AffineExpr e : llvm::reverse(outMap.getResults())) {
      auto dim = dyn_cast<AffineDimExpr>(e);
      if (!dim)
        break;
      unsigned d = dim.getPosition();
      if (d == vdim) {
        seen = true;
        continue;
      }
      if (seen && ranges[d] > 1) {
        if (iters[d] == IteratorType::parallel)
          vdim2 = d;
        break;
      }
    }
  }
  // Transposing reads (an input whose innermost dim is another parallel
  // loop than the vector dim): 16 x 16 tiles, read as 16 contiguous rows
  // and transposed in registers, instead of one strided gather per vector.
  std::optional<unsigned> transposed;
  if (!vdim2 && vlen % 16 == 0)
    transposed = innerInputDim(op, vdim, IteratorType::parallel, true);
  // Reductions whose lanes are not contiguous in an input whose innermost
  // dim is a reduction dim (BatchNorm's per-channel sums over n, h*w):
  // 16 x 16 tiles read as 16 contiguous rows.
  if (!vdim2 && !transposed && vlen % 16 == 0 &&
      iters[vdim] == IteratorType::parallel) {
    if (std::optional<unsigned> d = contiguousReductionDim(op, vdim)) {
      tileTransposedReduction(rewriter, op, vdim, *d);
      return;
    }
  }
  SmallVector<int64_t> sizes(numLoops, 1);
  sizes[vdim] = vlen;
  if (vdim2)
    sizes[*vdim2] = largestDivisor(ranges[*vdim2],
                                   std::max<int64_t>(1, 64 / vlen));
  if (transposed) {
    vdim2 = transposed;
    sizes[vdim] = 16;
    sizes[*transposed] = 16;
  }
  vectorizeTile(rewriter, op, sizes, vdim, vdim2, false);
}

/// Tiles `op` with `sizes` (scf.for loops), drops the tile's unit dims other
/// than `vdim` and `vdim2`, and vectorizes it. With `lowerReduction`, the
/// vectorizer's multi_reductions are lowered at once, reduction dims
/// outermost (InnerParallel): one lane-wise combine per reduced row, in
/// order, as the scalar loops sum.
static void vectorizeTile(RewriterBase &rewriter, linalg::LinalgOp op,
                          ArrayRef<int64_t> sizes, unsigned vdim,
                          std::optional<unsigned> vdim2,
                          bool lowerReduction) {
  FailureOr<linalg::LinalgOp> tiled = tileOp(rewriter, op, sizes, false);
  if (failed(tiled))
    return;
  op = *tiled;
  // Without its unit dims the tile is a 1-D op (2-D with vdim2): plain
  // vectors, no n-D shapes for the vector lowering to unroll.
  if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation())) {
    linalg::ControlDropUnitDims control;
    control.rankReductionStrategy = linalg::ControlDropUnitDims::
        RankReductionStrategy::ExtractInsertSlice;
    // Keep the vector dim, even of extent 1: 0-d vector transfers of
    // strided buffers do not lower to LLVM.
    control.controlFn = [vdim, vdim2](Operation *o) {
      SmallVector<unsigned> dims;
      for (unsigned d = 0, e = cast<linalg::LinalgOp>(o).getNumLoops(); d < e;
           ++d)
        if (d != vdim && d != vdim2)
          dims.push_back(d);
      return dims;
    };
    rewriter.setInsertionPoint(generic);
    FailureOr<linalg::DropUnitDimsResult> dropped =
        linalg::dropUnitDims(rewriter, generic, control);
    if (succeeded(dropped)) {
      rewriter.replaceOp(generic, dropped->replacements);
      op = cast<linalg::LinalgOp>(dropped->resultOp.getOperation());
    }
  }
  rewriter.setInsertionPoint(op);
  // The multi_reductions already in the tile's block (none when it is a
  // tile loop's body), to tell the tile's own apart; scanned only when they
  // are to be lowered (the block may be a whole function).
  Block *block = op->getBlock();
  llvm::SmallPtrSet<Operation *, 8> before;
  if (lowerReduction)
    for (Operation &o : *block)
      if (isa<vector::MultiDimReductionOp>(o))
        before.insert(&o);
  FailureOr<linalg::VectorizationResult> vectorized =
      linalg::vectorize(rewriter, op, {}, {}, /*vectorizeNDExtract=*/true);
  if (failed(vectorized))
    return;
  rewriter.replaceOp(op, vectorized->replacements);
  if (!lowerReduction)
    return;
  // The tile's own reductions: the vectorizer emits them into the tile's
  // block.
  SmallVector<Operation *> reductions;
  for (Operation &o : *block)
    if (isa<vector::MultiDimReductionOp>(o) && !before.contains(&o))
      reductions.push_back(&o);
  RewritePatternSet patterns(rewriter.getContext());
  vector::populateVectorMultiReductionLoweringPatterns(
      patterns, vector::VectorMultiReductionLowering::InnerParallel);
  GreedyRewriteConfig config;
  config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
  (void)applyOpPatternsGreedily(reductions, std::move(patterns), config);
}

/// A reduction (lanes: `vdim`, the result's innermost dim) whose input is
/// contiguous along the reduction dim `rdim` (BatchNorm's sums over n and
/// h*w of NCHW activations, the channels being the lanes): 16 lanes x 16
/// reduced elements per tile, read as 16 contiguous rows (not 16 strided
/// gathers), transposed in registers and combined row by row into the
/// accumulator, so each lane sums in the scalar loops' order. When 16 does
/// not divide `rdim`, every outer iteration runs the 16-wide tiles and then
/// the rest with one gather per element, in that order.
void CPUTileAndVectorizePass::tileTransposedReduction(RewriterBase &rewriter,
                                                      linalg::LinalgOp op,
                                                      unsigned vdim,
                                                      unsigned rdim) {
  unsigned numLoops = op.getNumLoops();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  auto tileSizes = [&](int64_t v, int64_t r) {
    SmallVector<int64_t> sizes(numLoops, 1);
    sizes[vdim] = v;
    sizes[rdim] = r;
    return sizes;
  };
  if (ranges[rdim] % 16 == 0) {
    vectorizeTile(rewriter, op, tileSizes(16, 16), vdim, rdim, true);
    return;
  }
  // Outer loops first (rdim whole), then the main part and the rest of
  // rdim inside them.
  FailureOr<linalg::LinalgOp> outer =
      tileOp(rewriter, op, tileSizes(16, 0), false);
  if (failed(outer))
    return;
  SmallVector<linalg::LinalgOp> parts =
      splitAtMultiple(rewriter, *outer, rdim, 16);
  for (linalg::LinalgOp part : parts) {
    if (part.getStaticLoopRanges()[rdim] % 16 == 0)
      vectorizeTile(rewriter, part, tileSizes(16, 16), vdim, rdim, true);
    else
      vectorizeTile(rewriter, part, tileSizes(16, 1), vdim, std::nullopt,
                    false);
  }
}

void CPUTileAndVectorizePass::cleanup() {
  MLIRContext *ctx = &getContext();
  func::FuncOp func = getOperation();
  auto addCanonicalization = [&](RewritePatternSet &patterns) {
    for (Dialect *dialect : ctx->getLoadedDialects())
      dialect->getCanonicalizationPatterns(patterns);
    for (RegisteredOperationName name : ctx->getRegisteredOperations())
      if (isa<affine::AffineDialect, arith::ArithDialect, linalg::LinalgDialect,
              scf::SCFDialect, tensor::TensorDialect, vector::VectorDialect>(
              &name.getDialect()))
        name.getCanonicalizationPatterns(patterns, ctx);
  };
  {
    RewritePatternSet patterns(ctx);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorReductionToContractPatterns(patterns);
    tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
    addCanonicalization(patterns);
    (void)applyPatternsGreedily(func, std::move(patterns));
  }
  // Keep accumulator tiles in registers across the k loops.
  IRRewriter rewriter(ctx);
  // (No CSE here: it would merge the fills unshareFills separated.)
  // Only loops around vector.contract (from the vectorizer fallback) need
  // their accumulators hoisted; the register-tile emitter carries its own.
  SmallVector<LoopLikeOpInterface> loops;
  func.walk([&](scf::ForOp loop) {
    bool hasContract = false;
    loop.getBody()->walk([&](vector::ContractionOp) { hasContract = true; });
    if (hasContract)
      loops.push_back(loop);
  });
  for (LoopLikeOpInterface loop : loops) {
    moveLoopInvariantCode(loop);
    (void)hoistLoopInvariantSubsets(rewriter, loop);
  }
  {
    // Contractions the register-tile emitter did not take.
    RewritePatternSet patterns(ctx);
    vector::populateVectorContractLoweringPatterns(
        patterns, vector::VectorContractLowering::OuterProduct);
    vector::populateVectorOuterProductLoweringPatterns(patterns);
    (void)applyPatternsGreedily(func, std::move(patterns));
  }
}

/// A fill (zeros, -inf, ...) that is the destination of several ops (CSE
/// merges equal fills) would be bufferized as one buffer copied for each
/// in-place writer: give every writer its own fill instead, which costs one
/// pass of stores rather than a copy (or nothing, when the fill then writes
/// into the final buffer).
static void unshareFills(RewriterBase &rewriter, func::FuncOp func) {
  SmallVector<linalg::FillOp> fills;
  func.walk([&](linalg::FillOp fill) {
    if (fill.hasPureTensorSemantics() && !fill->getResult(0).hasOneUse())
      fills.push_back(fill);
  });
  for (linalg::FillOp fill : fills) {
    SmallVector<OpOperand *> inits;
    for (OpOperand &use : fill->getResult(0).getUses()) {
      Operation *owner = use.getOwner();
      if (auto dps = dyn_cast<DestinationStyleOpInterface>(owner)) {
        if (dps.isDpsInit(&use))
          inits.push_back(&use);
      } else if (auto loop = dyn_cast<scf::ForOp>(owner)) {
        // The initial value of a loop-carried tensor (fp4-cpu-conv-to-gemm's
        // loops over images), written in place by the loop body.
        if (use.getOperandNumber() >= loop.getNumControlOperands())
          inits.push_back(&use);
      } else if (auto forall = dyn_cast<scf::ForallOp>(owner)) {
        if (forall.getTiedBlockArgument(&use))
          inits.push_back(&use);
      }
    }
    bool keepFirst = inits.size() == llvm::range_size(
                                         fill->getResult(0).getUses());
    for (OpOperand *use : llvm::drop_begin(inits, keepFirst ? 1 : 0)) {
      rewriter.setInsertionPoint(use->getOwner());
      Value init = fill.getOutputs()[0];
      if (auto empty = init.getDefiningOp<tensor::EmptyOp>())
        init = rewriter.clone(*empty)->getResult(0);
      auto clone = linalg::FillOp::create(rewriter, fill.getLoc(),
                                          fill.getInputs()[0], init);
      rewriter.modifyOpInPlace(use->getOwner(),
                               [&] { use->set(clone.getResult(0)); });
    }
  }
}

/// An elementwise generic (parallel loops only) whose init is a fill of a
/// constant used by nothing else, and whose body reads that init (the
/// backward pass's gradient accumulators: zeros, then acc += contribution):
/// the body reads the constant instead and the init is the fill's
/// destination, so the fill - a pass of stores over the whole tensor - goes
/// and the generic no longer loads it. Each element read its init once,
/// before writing it: the same values, the same bits. (A body that does not
/// read the init overwrites the fill's values anyway.)
static void foldFillsIntoElementwise(RewriterBase &rewriter,
                                     func::FuncOp func) {
  SmallVector<linalg::GenericOp> generics;
  func.walk([&](linalg::GenericOp op) {
    if (op.hasPureTensorSemantics() &&
        op.getNumLoops() == op.getNumParallelLoops())
      generics.push_back(op);
  });
  for (linalg::GenericOp op : generics) {
    for (OpOperand &init : op.getDpsInitsMutable()) {
      auto fill = init.get().getDefiningOp<linalg::FillOp>();
      BlockArgument arg = op.getMatchingBlockArgument(&init);
      // A permutation: every element is read (once) and written.
      if (!fill || !fill.hasPureTensorSemantics() ||
          !fill->getResult(0).hasOneUse() ||
          !op.getMatchingIndexingMap(&init).isPermutation())
        continue;
      Attribute value;
      if (!matchPattern(fill.getInputs()[0], m_Constant(&value)))
        continue;
      if (!arg.use_empty()) {
        Operation *constant = fill.getInputs()[0].getDefiningOp();
        rewriter.setInsertionPointToStart(op.getBlock());
        Value inside = rewriter.clone(*constant)->getResult(0);
        rewriter.replaceAllUsesWith(arg, inside);
      }
      rewriter.modifyOpInPlace(op, [&] { init.set(fill.getOutputs()[0]); });
      rewriter.eraseOp(fill);
    }
  }
}

/// tensor.insert_slice with non-unit strides (e.g. the max-pool gradient's
/// scatter into every second element): a linalg.copy into the strided slice,
/// vectorized here, instead of a generic strided memref.copy at run time.
static void rewriteStridedInserts(RewriterBase &rewriter, func::FuncOp func) {
  SmallVector<tensor::InsertSliceOp> inserts;
  func.walk([&](tensor::InsertSliceOp op) {
    if (!op.hasUnitStride() && op.getSourceType().hasStaticShape() &&
        op.getDestType().hasStaticShape() &&
        op.getSourceType().getRank() == op.getDestType().getRank() &&
        !op.getSource().getDefiningOp<linalg::CopyOp>())
      inserts.push_back(op);
  });
  for (tensor::InsertSliceOp op : inserts) {
    rewriter.setInsertionPoint(op);
    Value dst = tensor::ExtractSliceOp::create(
        rewriter, op.getLoc(), op.getSourceType(), op.getDest(),
        op.getMixedOffsets(), op.getMixedSizes(), op.getMixedStrides());
    Value copied =
        linalg::CopyOp::create(rewriter, op.getLoc(), op.getSource(), dst)
            .getResult(0);
    rewriter.modifyOpInPlace(op, [&] { op.getSourceMutable().set(copied); });
  }
}

void CPUTileAndVectorizePass::runOnOperation() {
  IRRewriter rewriter(&getContext());
  unshareFills(rewriter, getOperation());
  foldFillsIntoElementwise(rewriter, getOperation());
  rewriteStridedInserts(rewriter, getOperation());
  rewritePads(rewriter);

  SmallVector<linalg::LinalgOp> ops;
  getOperation().walk([&](linalg::LinalgOp op) { ops.push_back(op); });
  // The zero fill of a contraction's accumulator waits for the contraction,
  // which may remove it (processContraction).
  llvm::SmallPtrSet<Operation *, 16> deferredFills;
  for (linalg::LinalgOp op : ops) {
    // `fp4.cold`: a rarely taken fallback, left to the scalar loops.
    if (!isStaticTensorOp(op) || op->hasAttr("fp4.cold"))
      continue;
    if (auto fill = dyn_cast<linalg::FillOp>(op.getOperation());
        fill && zeroFillOf(fill.getResult(0))) {
      auto user = dyn_cast<linalg::LinalgOp>(*fill->user_begin());
      if (user && isStaticTensorOp(user) && !user->hasAttr("fp4.cold") &&
          matchContraction(user)) {
        deferredFills.insert(fill);
        continue;
      }
    }
    if (std::optional<Contraction> c = matchContraction(op))
      processContraction(rewriter, op, *c);
    else if (std::optional<WindowReduction> w = matchWindowReduction(op))
      (void)emitWindowReduction(rewriter, op, *w,
                                numThreads() > 1 && !insideParallelLoop(op) &&
                                    op.getStaticLoopRanges()[0] > 1);
    else
      processOther(rewriter, op);
  }
  // The fills that are still read.
  if (!deferredFills.empty()) {
    SmallVector<linalg::LinalgOp> left;
    getOperation().walk([&](linalg::FillOp fill) {
      if (deferredFills.contains(fill))
        left.push_back(fill);
    });
    for (linalg::LinalgOp fill : left)
      processOther(rewriter, fill);
  }
  cleanup();
}

} // namespace
