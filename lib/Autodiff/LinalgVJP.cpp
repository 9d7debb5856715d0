//===- LinalgVJP.cpp - Derivative rules of linalg ops ---------------------===//
//
// Part of the fp4 project.
//
// VJP rules for the linalg ops of the @forward contract (docs/ir-contract.md)
// attached as external models. GEMM-like ops keep their backward GEMMs as
// distinct ops tagged for the recipe pass:
//   fp4.gemm_id   = N            on the forward op and both backward ops
//   fp4.gemm_role = "forward" | "grad_lhs" | "grad_rhs"
// where grad_lhs computes the cotangent of operand 0 (dX = dY W^T for a
// layer X W) and grad_rhs that of operand 1 (dW = X^T dY).
//
//===----------------------------------------------------------------------===//

#include "fp4/Autodiff/Autodiff.h"
#include "fp4/Interfaces/VJPOpInterface.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using mlir::fp4::VJPOpInterface;

namespace {

using utils::IteratorType;

RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

Value emptyLike(OpBuilder &b, Location loc, Value v) {
  auto t = tensorType(v);
  return tensor::EmptyOp::create(b, loc, t.getShape(), t.getElementType());
}

Value zerosLike(OpBuilder &b, Location loc, Value v) {
  return ::fp4::filledTensor(b, loc, tensorType(v), 0.0);
}

/// Gives a GEMM-like forward op its id (once) and returns it.
int64_t gemmId(Operation *op) {
  if (auto id = op->getAttrOfType<IntegerAttr>("fp4.gemm_id"))
    return id.getInt();
  ModuleOp module = op->getParentOfType<ModuleOp>();
  auto next = module ? module->getAttrOfType<IntegerAttr>("fp4.next_gemm_id")
                     : IntegerAttr();
  int64_t id = next ? next.getInt() : 0;
  MLIRContext *ctx = op->getContext();
  auto i64 = IntegerType::get(ctx, 64);
  if (module)
    module->setAttr("fp4.next_gemm_id", IntegerAttr::get(i64, id + 1));
  op->setAttr("fp4.gemm_id", IntegerAttr::get(i64, id));
  op->setAttr("fp4.gemm_role", StringAttr::get(ctx, "forward"));
  return id;
}

void tagGrad(Operation *grad, int64_t id, StringRef role) {
  MLIRContext *ctx = grad->getContext();
  grad->setAttr("fp4.gemm_id",
                IntegerAttr::get(IntegerType::get(ctx, 64), id));
  grad->setAttr("fp4.gemm_role", StringAttr::get(ctx, role));
}

//===----------------------------------------------------------------------===//
// Elementwise linalg.generic
//===----------------------------------------------------------------------===//

/// For every needed operand k, one backward generic: it re-emits the forward
/// body (scalar recomputation inside the fused loop, no tensor is recomputed),
/// sweeps it in reverse with the scalar rules and accumulates the cotangent
/// of k over the loops that k's indexing map drops (broadcasting).
struct GenericModel
    : public VJPOpInterface::ExternalModel<GenericModel, linalg::GenericOp> {
  LogicalResult buildVJP(Operation *op, OpBuilder &b,
                         ArrayRef<Value> resultGrads, ArrayRef<bool> needed,
                         SmallVectorImpl<Value> &operandGrads) const {
    auto g = cast<linalg::GenericOp>(op);
    Location loc = op->getLoc();
    unsigned numLoops = g.getNumLoops();
    if (g.getNumReductionLoops() != 0)
      return op->emitError("reverse mode supports elementwise linalg.generic "
                           "ops only (all iterators parallel); express "
                           "reductions with linalg.reduce");
    SmallVector<AffineMap> maps = g.getIndexingMapsArray();
    for (OpOperand &init : g.getDpsInitsMutable())
      if (!g.getMatchingIndexingMap(&init).isIdentity())
        return op->emitError("reverse mode needs identity output maps in "
                             "elementwise linalg.generic ops");
    for (AffineMap map : maps)
      if (!map.isProjectedPermutation())
        return op->emitError("reverse mode needs projected-permutation "
                             "indexing maps in elementwise linalg.generic");

    operandGrads.assign(op->getNumOperands(), Value());
    Block &body = g.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    AffineMap id = AffineMap::getMultiDimIdentityMap(numLoops, b.getContext());

    // Cotangent seeds: the results that reach the loss.
    SmallVector<Value> seedTensors;
    SmallVector<unsigned> seedResults;
    for (auto [i, grad] : llvm::enumerate(resultGrads))
      if (grad) {
        seedTensors.push_back(grad);
        seedResults.push_back(i);
      }

    for (unsigned k = 0, e = op->getNumOperands(); k < e; ++k) {
      if (!needed[k])
        continue;
      Value operand = op->getOperand(k);
      AffineMap mapK = maps[k];
      SmallVector<IteratorType> iters(numLoops, IteratorType::reduction);
      for (AffineExpr r : mapK.getResults())
        iters[cast<AffineDimExpr>(r).getPosition()] = IteratorType::parallel;

      SmallVector<Value> inputs(op->getOperands());
      llvm::append_range(inputs, seedTensors);
      SmallVector<AffineMap> bmaps(maps);
      bmaps.append(seedTensors.size(), id);
      bmaps.push_back(mapK);
      Value init = zerosLike(b, loc, operand);
      LogicalResult status = success();
      auto back = linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, bmaps,
          iters, [&](OpBuilder &nb, Location nloc, ValueRange args) {
            IRMapping mapping;
            for (unsigned i = 0; i < body.getNumArguments(); ++i)
              mapping.map(body.getArgument(i), args[i]);
            SmallVector<Operation *> cloned;
            for (Operation &inner : body.without_terminator())
              cloned.push_back(nb.clone(inner, mapping));
            llvm::DenseMap<Value, Value> adj;
            for (auto [s, r] : llvm::enumerate(seedResults)) {
              Value y = mapping.lookupOrDefault(yield.getOperand(r));
              Value dy = args[body.getNumArguments() + s];
              Value &slot = adj[y];
              slot = slot ? ::fp4::addCotangents(nb, nloc, slot, dy) : dy;
            }
            if (failed(::fp4::buildReverseSweep(
                    nb, cloned, adj, [](Value) { return true; })))
              status = failure();
            Value acc = args.back();
            Value contrib = adj.lookup(args[k]);
            Value out = contrib ? arith::AddFOp::create(nb, nloc, acc, contrib)
                                      .getResult()
                                : acc;
            linalg::YieldOp::create(nb, nloc, out);
          });
      if (failed(status))
        return failure();
      operandGrads[k] = back.getResult(0);
    }
    return success();
  }
};

//===----------------------------------------------------------------------===//
// linalg.reduce (sum or max)
//===----------------------------------------------------------------------===//

struct ReduceModel
    : public VJPOpInterface::ExternalModel<ReduceModel, linalg::ReduceOp> {
  LogicalResult buildVJP(Operation *op, OpBuilder &b,
                         ArrayRef<Value> resultGrads, ArrayRef<bool> needed,
                         SmallVectorImpl<Value> &operandGrads) const {
    auto r = cast<linalg::ReduceOp>(op);
    Location loc = op->getLoc();
    if (r.getInputs().size() != 1)
      return op->emitError("reverse mode supports single-input linalg.reduce");
    Block &body = r.getRegion().front();
    Operation *combiner = &body.front();
    if (body.getOperations().size() != 2)
      return op->emitError("reverse mode needs a linalg.reduce whose body is "
                           "one arith.addf or arith.maximumf");
    bool isSum = isa<arith::AddFOp>(combiner);
    bool isMax = isa<arith::MaximumFOp, arith::MaxNumFOp>(combiner);
    if (!isSum && !isMax)
      return op->emitError("reverse mode needs a linalg.reduce whose body is "
                           "one arith.addf or arith.maximumf, not '")
             << combiner->getName() << "'";

    Value in = r.getInputs()[0], out = r.getResult(0), dOut = resultGrads[0];
    unsigned rank = tensorType(in).getRank();
    SmallVector<AffineExpr> kept;
    llvm::SmallDenseSet<int64_t> reduced(r.getDimensions().begin(),
                                         r.getDimensions().end());
    for (unsigned d = 0; d < rank; ++d)
      if (!reduced.contains(d))
        kept.push_back(b.getAffineDimExpr(d));
    MLIRContext *ctx = b.getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap proj = AffineMap::get(rank, 0, kept, ctx);
    SmallVector<IteratorType> par(rank, IteratorType::parallel);

    operandGrads.assign(op->getNumOperands(), Value());
    if (needed[0]) {
      // Sum: broadcast dOut. Max: broadcast dOut where in == max.
      Value init = emptyLike(b, loc, in);
      auto back = linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, ValueRange{in, out, dOut},
          ValueRange{init}, ArrayRef<AffineMap>{id, proj, proj, id}, par,
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            Value g = args[2];
            if (isMax) {
              Value hit = arith::CmpFOp::create(
                  nb, nloc, arith::CmpFPredicate::OEQ, args[0], args[1]);
              g = arith::SelectOp::create(
                  nb, nloc, hit, g,
                  ::fp4::floatConstant(nb, nloc, g.getType(), 0.0));
            }
            linalg::YieldOp::create(nb, nloc, g);
          });
      operandGrads[0] = back.getResult(0);
    }
    if (needed[1] && isSum)
      operandGrads[1] = dOut; // out = init + sum(in)
    return success();
  }
};

//===----------------------------------------------------------------------===//
// GEMMs
//===----------------------------------------------------------------------===//

struct MatmulModel
    : public VJPOpInterface::ExternalModel<MatmulModel, linalg::MatmulOp> {
  LogicalResult buildVJP(Operation *op, OpBuilder &b,
                         ArrayRef<Value> resultGrads, ArrayRef<bool> needed,
                         SmallVectorImpl<Value> &operandGrads) const {
    auto mm = cast<linalg::MatmulOp>(op);
    Location loc = op->getLoc();
    MLIRContext *ctx = b.getContext();
    if (mm.hasUserDefinedMaps())
      return op->emitError("reverse mode supports linalg.matmul without "
                           "indexing_maps (transposes as linalg.transpose)");
    Value a = mm.getInputs()[0], bm = mm.getInputs()[1];
    Value dC = resultGrads[0];
    int64_t id = gemmId(op);
    AffineExpr d0, d1, d2;
    bindDims(ctx, d0, d1, d2);
    auto map = [&](ArrayRef<AffineExpr> e) {
      return AffineMap::get(3, 0, e, ctx);
    };
    auto mapsAttr = [&](ArrayRef<AffineMap> maps) {
      SmallVector<Attribute> attrs;
      for (AffineMap m : maps)
        attrs.push_back(AffineMapAttr::get(m));
      return b.getNamedAttr("indexing_maps", b.getArrayAttr(attrs));
    };
    operandGrads.assign(op->getNumOperands(), Value());
    if (needed[0]) {
      // dA[m,k] = sum_n dC[m,n] B[k,n]: B read transposed.
      Value init = zerosLike(b, loc, a);
      auto g = linalg::MatmulOp::create(
          b, loc, TypeRange{init.getType()}, ValueRange{dC, bm},
          ValueRange{init},
          {mapsAttr({map({d0, d2}), map({d1, d2}), map({d0, d1})})});
      tagGrad(g, id, "grad_lhs");
      operandGrads[0] = g.getResult(0);
    }
    if (needed[1]) {
      // dB[k,n] = sum_m A[m,k] dC[m,n]: A read transposed.
      Value init = zerosLike(b, loc, bm);
      auto g = linalg::MatmulOp::create(
          b, loc, TypeRange{init.getType()}, ValueRange{a, dC},
          ValueRange{init},
          {mapsAttr({map({d2, d0}), map({d2, d1}), map({d0, d1})})});
      tagGrad(g, id, "grad_rhs");
      operandGrads[1] = g.getResult(0);
    }
    if (needed[2])
      operandGrads[2] = dC;
    return success();
  }
};

/// batch_matmul as contractions written out as linalg.generic (no model in
/// the paper's networks uses it on a hot path).
struct BatchMatmulModel
    : public VJPOpInterface::ExternalModel<BatchMatmulModel,
                                           linalg::BatchMatmulOp> {
  LogicalResult buildVJP(Operation *op, OpBuilder &b,
                         ArrayRef<Value> resultGrads, ArrayRef<bool> needed,
                         SmallVectorImpl<Value> &operandGrads) const {
    auto mm = cast<linalg::BatchMatmulOp>(op);
    if (mm.hasUserDefinedMaps())
      return op->emitError("reverse mode supports linalg.batch_matmul "
                           "without indexing_maps");
    Location loc = op->getLoc();
    MLIRContext *ctx = b.getContext();
    Value a = mm.getInputs()[0], bm = mm.getInputs()[1], dC = resultGrads[0];
    // Loops (batch, i, j, r).
    AffineExpr p, i, j, r;
    bindDims(ctx, p, i, j, r);
    auto m = [&](ArrayRef<AffineExpr> e) { return AffineMap::get(4, 0, e, ctx); };
    SmallVector<IteratorType> iters = {IteratorType::parallel,
                                       IteratorType::parallel,
                                       IteratorType::parallel,
                                       IteratorType::reduction};
    auto contract = [&](Value x, AffineMap mx, Value y, AffineMap my,
                        Value like) {
      Value init = zerosLike(b, loc, like);
      return linalg::GenericOp::create(
                 b, loc, TypeRange{init.getType()}, ValueRange{x, y},
                 ValueRange{init},
                 ArrayRef<AffineMap>{mx, my, m({p, i, j})}, iters,
                 [&](OpBuilder &nb, Location nloc, ValueRange args) {
                   Value prod =
                       arith::MulFOp::create(nb, nloc, args[0], args[1]);
                   linalg::YieldOp::create(
                       nb, nloc,
                       ValueRange{arith::AddFOp::create(nb, nloc, args[2],
                                                        prod)});
                 })
          .getResult(0);
    };
    operandGrads.assign(op->getNumOperands(), Value());
    if (needed[0]) // dA[p,i,j] = sum_r dC[p,i,r] B[p,j,r]
      operandGrads[0] = contract(dC, m({p, i, r}), bm, m({p, j, r}), a);
    if (needed[1]) // dB[p,i,j] = sum_r A[p,r,i] dC[p,r,j]
      operandGrads[1] = contract(a, m({p, r, i}), dC, m({p, r, j}), bm);
    if (needed[2])
      operandGrads[2] = dC;
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Data movement and elementwise named ops
//===----------------------------------------------------------------------===//

struct TransposeModel
    : public VJPOpInterface::ExternalModel<TransposeModel,
                                           linalg::TransposeOp> {
  LogicalResult buildVJP(Operation *op, OpBuilder &b,
                         ArrayRef<Value> resultGrads, ArrayRef<bool> needed,
                         SmallVectorImpl<Value> &operandGrads) const {
    auto t = cast<linalg::TransposeOp>(op);
    operandGrads.assign(op->getNumOperands(), Value());
    if (!needed[0])
      return success();
    ArrayRef<int64_t> perm = t.getPermutation();
    SmallVector<int64_t> inverse(perm.size());
    for (auto [i, p] : llvm::enumerate(perm))
      inverse[p] = i;
    Value init = emptyLike(b, op->getLoc(), t.getInput());
    operandGrads[0] = linalg::TransposeOp::create(b, op->getLoc(),
                                                  resultGrads[0], init, inverse)
                          .getResult()[0];
    return success();
  }
};

struct BroadcastModel
    : public VJPOpInterface::ExternalModel<BroadcastModel,
                                           linalg::BroadcastOp> {
  LogicalResult buildVJP(Operation *op, OpBuilder &b,
                         ArrayRef<Value> resultGrads, ArrayRef<bool> needed,
                         SmallVectorImpl<Value> &operandGrads) const {
    auto bc = cast<linalg::BroadcastOp>(op);
    operandGrads.assign(op->getNumOperands(), Value());
    if (!needed[0])
      return success();
    Location loc = op->getLoc();
    Value init = zerosLike(b, loc, bc.getInput());
    auto red = linalg::ReduceOp::create(
        b, loc, ValueRange{resultGrads[0]}, ValueRange{init},
        bc.getDimensions(), [](OpBuilder &nb, Location nloc, ValueRange args) {
          linalg::YieldOp::create(
              nb, nloc,
              ValueRange{arith::AddFOp::create(nb, nloc, args[0], args[1])});
        });
    operandGrads[0] = red.getResult(0);
    return success();
  }
};

struct CopyModel
    : public VJPOpInterface::ExternalModel<CopyModel, linalg::CopyOp> {
  LogicalResult buildVJP(Operation *op, OpBuilder &b,
                         ArrayRef<Value> resultGrads, ArrayRef<bool> needed,
                         SmallVectorImpl<Value> &operandGrads) const {
    operandGrads.assign(op->getNumOperands(), Value());
    if (needed[0])
      operandGrads[0] = resultGrads[0];
    return success();
  }
};

/// linalg.fill: the filled value is a scalar constant in every model we
/// import; its cotangent would be the sum of dOut.
struct FillModel
    : public VJPOpInterface::ExternalModel<FillModel, linalg::FillOp> {
  LogicalResult buildVJP(Operation *op, OpBuilder &b,
                         ArrayRef<Value> resultGrads, ArrayRef<bool> needed,
                         SmallVectorImpl<Value> &operandGrads) const {
    operandGrads.assign(op->getNumOperands(), Value());
    if (needed[0])
      return op->emitError("reverse mode through the value of linalg.fill is "
                           "not supported");
    return success();
  }
};

/// linalg.add/sub/mul/div on equal shapes.
template <typename OpT>
struct BinaryModel
    : public VJPOpInterface::ExternalModel<BinaryModel<OpT>, OpT> {
  LogicalResult buildVJP(Operation *op, OpBuilder &b,
                         ArrayRef<Value> resultGrads, ArrayRef<bool> needed,
                         SmallVectorImpl<Value> &operandGrads) const {
    auto named = cast<linalg::LinalgOp>(op);
    Location loc = op->getLoc();
    Value x = named.getDpsInputs()[0], y = named.getDpsInputs()[1];
    Value out = op->getResult(0), dz = resultGrads[0];
    unsigned rank = tensorType(x).getRank();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
    SmallVector<IteratorType> par(rank, IteratorType::parallel);
    auto elementwise = [&](function_ref<Value(OpBuilder &, Location, Value,
                                              Value, Value, Value)>
                               fn) {
      Value init = emptyLike(b, loc, x);
      return linalg::GenericOp::create(
                 b, loc, TypeRange{init.getType()}, ValueRange{x, y, out, dz},
                 ValueRange{init}, SmallVector<AffineMap>(5, id), par,
                 [&](OpBuilder &nb, Location nloc, ValueRange a) {
                   linalg::YieldOp::create(
                       nb, nloc, fn(nb, nloc, a[0], a[1], a[2], a[3]));
                 })
          .getResult(0);
    };
    operandGrads.assign(op->getNumOperands(), Value());
    using B = OpBuilder;
    using L = Location;
    if (std::is_same_v<OpT, linalg::AddOp>) {
      if (needed[0])
        operandGrads[0] = dz;
      if (needed[1])
        operandGrads[1] = dz;
    } else if (std::is_same_v<OpT, linalg::SubOp>) {
      if (needed[0])
        operandGrads[0] = dz;
      if (needed[1])
        operandGrads[1] = elementwise([](B &nb, L l, Value, Value, Value,
                                         Value d) -> Value {
          return arith::NegFOp::create(nb, l, d);
        });
    } else if (std::is_same_v<OpT, linalg::MulOp>) {
      if (needed[0])
        operandGrads[0] = elementwise(
            [](B &nb, L l, Value, Value yv, Value, Value d) -> Value {
              return arith::MulFOp::create(nb, l, d, yv);
            });
      if (needed[1])
        operandGrads[1] = elementwise(
            [](B &nb, L l, Value xv, Value, Value, Value d) -> Value {
              return arith::MulFOp::create(nb, l, d, xv);
            });
    } else {
      if (needed[0])
        operandGrads[0] = elementwise(
            [](B &nb, L l, Value, Value yv, Value, Value d) -> Value {
              return arith::DivFOp::create(nb, l, d, yv);
            });
      if (needed[1])
        operandGrads[1] = elementwise(
            [](B &nb, L l, Value, Value yv, Value z, Value d) -> Value {
              Value q = arith::DivFOp::create(nb, l, d, yv);
              return arith::NegFOp::create(nb, l,
                                           arith::MulFOp::create(nb, l, q, z));
            });
    }
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Convolutions
//===----------------------------------------------------------------------===//

SmallVector<int64_t> attrValues(DenseIntElementsAttr attr, int64_t fallback) {
  SmallVector<int64_t> v;
  if (!attr)
    return {fallback, fallback};
  for (const APInt &x : attr.getValues<APInt>())
    v.push_back(x.getSExtValue());
  return v;
}

/// Shared by the group-1 (NCHW/FCHW) and grouped (NGCHW/GFCHW) forms: `g` is
/// 1 for the first (no group dimension).
struct ConvGeometry {
  bool grouped;
  SmallVector<int64_t> strides, dilations;
};

/// dW of a convolution as a linalg.generic (the weight-gradient GEMM of the
/// convolution, tagged grad_rhs):
///   dW[(g,) f, c, kh, kw] = sum_{n, oh, ow} X[n, (g,) c, oh*s + kh*d, ...]
///                                           * dY[n, (g,) f, oh, ow]
Value convFilterGrad(OpBuilder &b, Location loc, const ConvGeometry &geo,
                     Value x, Value w, Value dY) {
  MLIRContext *ctx = b.getContext();
  bool gr = geo.grouped;
  // Loops: [g,] f, c, kh, kw, n, oh, ow.
  unsigned nLoops = gr ? 8 : 7;
  unsigned o = gr ? 1 : 0;
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  AffineExpr g = d(0), f = d(o), c = d(o + 1), kh = d(o + 2), kw = d(o + 3),
             n = d(o + 4), oh = d(o + 5), ow = d(o + 6);
  AffineExpr h = oh * geo.strides[0] + kh * geo.dilations[0];
  AffineExpr wv = ow * geo.strides[1] + kw * geo.dilations[1];
  SmallVector<AffineExpr> xs = gr ? SmallVector<AffineExpr>{n, g, c, h, wv}
                                  : SmallVector<AffineExpr>{n, c, h, wv};
  SmallVector<AffineExpr> dys = gr ? SmallVector<AffineExpr>{n, g, f, oh, ow}
                                   : SmallVector<AffineExpr>{n, f, oh, ow};
  SmallVector<AffineExpr> ws = gr ? SmallVector<AffineExpr>{g, f, c, kh, kw}
                                  : SmallVector<AffineExpr>{f, c, kh, kw};
  SmallVector<IteratorType> iters(nLoops, IteratorType::parallel);
  for (unsigned i = o + 4; i < nLoops; ++i)
    iters[i] = IteratorType::reduction;
  Value init = zerosLike(b, loc, w);
  auto gen = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{x, dY}, ValueRange{init},
      ArrayRef<AffineMap>{AffineMap::get(nLoops, 0, xs, ctx),
                          AffineMap::get(nLoops, 0, dys, ctx),
                          AffineMap::get(nLoops, 0, ws, ctx)},
      iters, [](OpBuilder &nb, Location nloc, ValueRange a) {
        Value p = arith::MulFOp::create(nb, nloc, a[0], a[1]);
        linalg::YieldOp::create(
            nb, nloc, ValueRange{arith::AddFOp::create(nb, nloc, a[2], p)});
      });
  return gen.getResult(0);
}

/// dX of a convolution (the activation-gradient GEMM, tagged grad_lhs): the
/// stride-dilated dY, zero-padded by the dilated kernel extent, convolved with
/// the flipped, channel-transposed filter (stride 1, same dilation).
Operation *convInputGrad(OpBuilder &b, Location loc, const ConvGeometry &geo,
                         Value x, Value w, Value dY) {
  MLIRContext *ctx = b.getContext();
  bool gr = geo.grouped;
  auto xT = tensorType(x), wT = tensorType(w), dyT = tensorType(dY);
  Type et = xT.getElementType();
  unsigned sp = gr ? 3 : 2; // first spatial dim of X and dY
  int64_t H = xT.getShape()[sp], W = xT.getShape()[sp + 1];
  int64_t OH = dyT.getShape()[sp], OW = dyT.getShape()[sp + 1];
  int64_t KH = wT.getShape()[sp], KW = wT.getShape()[sp + 1];
  int64_t sh = geo.strides[0], sw = geo.strides[1];
  int64_t dh = geo.dilations[0], dw = geo.dilations[1];

  // 1. Dilate dY by the stride.
  Value dyd = dY;
  if (sh != 1 || sw != 1) {
    SmallVector<int64_t> shape(dyT.getShape());
    shape[sp] = (OH - 1) * sh + 1;
    shape[sp + 1] = (OW - 1) * sw + 1;
    Value zeros =
        ::fp4::filledTensor(b, loc, RankedTensorType::get(shape, et), 0.0);
    SmallVector<OpFoldResult> offsets(shape.size(), b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes, strides(shape.size(), b.getIndexAttr(1));
    for (int64_t s : dyT.getShape())
      sizes.push_back(b.getIndexAttr(s));
    strides[sp] = b.getIndexAttr(sh);
    strides[sp + 1] = b.getIndexAttr(sw);
    dyd = tensor::InsertSliceOp::create(b, loc, dY, zeros, offsets, sizes,
                                        strides);
  }
  // 2. Pad by the dilated kernel extent; rows/cols of X no window touches
  //    (H - ((OH-1)*sh + (KH-1)*dh + 1)) are padded at the high end.
  int64_t eh = (KH - 1) * dh, ew = (KW - 1) * dw;
  int64_t rh = H - ((OH - 1) * sh + eh + 1), rw = W - ((OW - 1) * sw + ew + 1);
  auto dydT = tensorType(dyd);
  SmallVector<int64_t> padded(dydT.getShape());
  padded[sp] += 2 * eh + rh;
  padded[sp + 1] += 2 * ew + rw;
  SmallVector<OpFoldResult> lo(padded.size(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> hi(padded.size(), b.getIndexAttr(0));
  lo[sp] = b.getIndexAttr(eh);
  lo[sp + 1] = b.getIndexAttr(ew);
  hi[sp] = b.getIndexAttr(eh + rh);
  hi[sp + 1] = b.getIndexAttr(ew + rw);
  Value zero = ::fp4::floatConstant(b, loc, et, 0.0);
  Value dyp = tensor::PadOp::create(
      b, loc, RankedTensorType::get(padded, et), dyd, lo, hi, zero);

  // 3. Flipped filter with in/out channels swapped:
  //    Wt[(g,) c, f, kh, kw] = W[(g,) f, c, KH-1-kh, KW-1-kw].
  SmallVector<int64_t> wtShape(wT.getShape());
  std::swap(wtShape[sp - 2], wtShape[sp - 1]);
  unsigned r = wT.getRank();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> src;
  if (gr)
    src.push_back(d(0));
  src.push_back(d(sp - 1));
  src.push_back(d(sp - 2));
  src.push_back(d(sp) * -1 + (KH - 1));
  src.push_back(d(sp + 1) * -1 + (KW - 1));
  Value wtInit = tensor::EmptyOp::create(b, loc, wtShape, et);
  Value wt =
      linalg::GenericOp::create(
          b, loc, TypeRange{wtInit.getType()}, ValueRange{w},
          ValueRange{wtInit},
          ArrayRef<AffineMap>{AffineMap::get(r, 0, src, ctx),
                              AffineMap::getMultiDimIdentityMap(r, ctx)},
          SmallVector<IteratorType>(r, IteratorType::parallel),
          [](OpBuilder &nb, Location nloc, ValueRange a) {
            linalg::YieldOp::create(nb, nloc, a[0]);
          })
          .getResult(0);

  // 4. Stride-1 convolution with the forward dilation.
  Value init = zerosLike(b, loc, x);
  auto i64v = [&](int64_t a, int64_t c) {
    return DenseIntElementsAttr::get(
        RankedTensorType::get({2}, b.getI64Type()), ArrayRef<int64_t>{a, c});
  };
  if (gr)
    return linalg::Conv2DNgchwGfchwOp::create(
        b, loc, TypeRange{init.getType()}, ValueRange{dyp, wt},
        ValueRange{init}, i64v(1, 1), i64v(dh, dw));
  return linalg::Conv2DNchwFchwOp::create(b, loc, TypeRange{init.getType()},
                                          ValueRange{dyp, wt}, ValueRange{init},
                                          i64v(1, 1), i64v(dh, dw));
}

template <typename ConvOp, bool Grouped>
struct ConvModel
    : public VJPOpInterface::ExternalModel<ConvModel<ConvOp, Grouped>,
                                           ConvOp> {
  LogicalResult buildVJP(Operation *op, OpBuilder &b,
                         ArrayRef<Value> resultGrads, ArrayRef<bool> needed,
                         SmallVectorImpl<Value> &operandGrads) const {
    auto conv = cast<ConvOp>(op);
    Location loc = op->getLoc();
    ConvGeometry geo{Grouped, attrValues(conv.getStrides(), 1),
                     attrValues(conv.getDilations(), 1)};
    Value x = conv.getInputs()[0], w = conv.getInputs()[1];
    Value dY = resultGrads[0];
    int64_t id = gemmId(op);
    operandGrads.assign(op->getNumOperands(), Value());
    if (needed[0]) {
      Operation *g = convInputGrad(b, loc, geo, x, w, dY);
      tagGrad(g, id, "grad_lhs");
      operandGrads[0] = g->getResult(0);
    }
    if (needed[1]) {
      Value g = convFilterGrad(b, loc, geo, x, w, dY);
      tagGrad(g.getDefiningOp(), id, "grad_rhs");
      operandGrads[1] = g;
    }
    if (needed[2])
      operandGrads[2] = dY;
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

/// Adds `contrib` (N,C,OH,OW) into the strided window view (kh, kw) of `dX`.
Value scatterWindow(OpBuilder &b, Location loc, Value dX, Value contrib,
                    int64_t kh, int64_t kw, ArrayRef<int64_t> strides,
                    ArrayRef<int64_t> dilations) {
  auto ct = tensorType(contrib);
  SmallVector<OpFoldResult> offsets = {
      b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(kh * dilations[0]),
      b.getIndexAttr(kw * dilations[1])};
  SmallVector<OpFoldResult> sizes, st = {b.getIndexAttr(1), b.getIndexAttr(1),
                                         b.getIndexAttr(strides[0]),
                                         b.getIndexAttr(strides[1])};
  for (int64_t s : ct.getShape())
    sizes.push_back(b.getIndexAttr(s));
  Value view = tensor::ExtractSliceOp::create(b, loc, ct, dX, offsets, sizes,
                                              st);
  Value sum = ::fp4::addCotangents(b, loc, view, contrib);
  return tensor::InsertSliceOp::create(b, loc, sum, dX, offsets, sizes, st);
}

/// kh * KW + kw (i64) inside a linalg body whose loop dims `khDim` and
/// `kwDim` are the window offsets: the index of a window element.
Value windowIndex(OpBuilder &b, Location loc, unsigned khDim, unsigned kwDim,
                  int64_t KW) {
  auto index = [&](unsigned d) -> Value {
    return arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                      linalg::IndexOp::create(b, loc, d));
  };
  Value kw = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(KW));
  return arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, index(khDim), kw), index(kwDim));
}

template <typename PoolOp, bool IsMax>
struct PoolModel
    : public VJPOpInterface::ExternalModel<PoolModel<PoolOp, IsMax>, PoolOp> {
  LogicalResult buildVJP(Operation *op, OpBuilder &b,
                         ArrayRef<Value> resultGrads, ArrayRef<bool> needed,
                         SmallVectorImpl<Value> &operandGrads) const {
    auto pool = cast<PoolOp>(op);
    Location loc = op->getLoc();
    MLIRContext *ctx = b.getContext();
    operandGrads.assign(op->getNumOperands(), Value());
    if (!needed[0])
      return success();
    Value x = pool.getInputs()[0], window = pool.getInputs()[1];
    Value dY = resultGrads[0];
    SmallVector<int64_t> strides = attrValues(pool.getStrides(), 1);
    SmallVector<int64_t> dilations = attrValues(pool.getDilations(), 1);
    auto winT = tensorType(window);
    int64_t KH = winT.getShape()[0], KW = winT.getShape()[1];
    auto dyT = tensorType(dY);

    Value idx;
    if (IsMax) {
      // Index (kh*KW + kw) of the first maximum of each window, as PyTorch
      // routes the gradient: a strict > keeps the first of equal values.
      AffineExpr n, c, oh, ow, kh, kw;
      bindDims(ctx, n, c, oh, ow, kh, kw);
      AffineExpr h = oh * strides[0] + kh * dilations[0];
      AffineExpr w = ow * strides[1] + kw * dilations[1];
      Value maxInit = ::fp4::filledTensor(
          b, loc, dyT, -std::numeric_limits<double>::infinity());
      auto i64T = RankedTensorType::get(dyT.getShape(), b.getI64Type());
      Value idxEmpty = tensor::EmptyOp::create(b, loc, i64T.getShape(),
                                               b.getI64Type());
      Value minus1 = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(-1));
      Value idxInit =
          linalg::FillOp::create(b, loc, minus1, idxEmpty).getResult(0);
      AffineMap outMap = AffineMap::get(6, 0, {n, c, oh, ow}, ctx);
      auto arg = linalg::GenericOp::create(
          b, loc, TypeRange{dyT, i64T}, ValueRange{x, window},
          ValueRange{maxInit, idxInit},
          ArrayRef<AffineMap>{AffineMap::get(6, 0, {n, c, h, w}, ctx),
                              AffineMap::get(6, 0, {kh, kw}, ctx), outMap,
                              outMap},
          ArrayRef<IteratorType>{IteratorType::parallel, IteratorType::parallel,
                                 IteratorType::parallel, IteratorType::parallel,
                                 IteratorType::reduction,
                                 IteratorType::reduction},
          [&](OpBuilder &nb, Location nloc, ValueRange a) {
            Value k = windowIndex(nb, nloc, 4, 5, KW);
            Value better = arith::CmpFOp::create(
                nb, nloc, arith::CmpFPredicate::OGT, a[0], a[2]);
            linalg::YieldOp::create(
                nb, nloc,
                ValueRange{arith::SelectOp::create(nb, nloc, better, a[0], a[2]),
                           arith::SelectOp::create(nb, nloc, better, k, a[3])});
          });
      idx = arg.getResult(1);
    }

    unsigned rank = dyT.getRank();
    auto xT = tensorType(x);
    auto tiles = [&](unsigned d, int64_t k, int64_t s, int64_t dil) {
      int64_t o = dyT.getDimSize(d);
      return xT.getDimSize(d) == o * k && (o == 1 || (s == k && dil == 1));
    };
    if (tiles(2, KH, strides[0], dilations[0]) &&
        tiles(3, KW, strides[1], dilations[1])) {
      // Windows that tile X exactly (global pooling, 2x2 stride 2): every
      // element of X is in one window, so dX, viewed as [n, c, oh, kh, ow,
      // kw], is one elementwise op instead of KH * KW strided
      // read-add-writes. `0 + v`, as the general form adds each window's
      // contribution to zeros (the same bits, -0 included).
      int64_t OH = dyT.getDimSize(2), OW = dyT.getDimSize(3);
      SmallVector<int64_t> shape6 = {xT.getDimSize(0), xT.getDimSize(1), OH,
                                     KH, OW, KW};
      auto t6 = RankedTensorType::get(shape6, xT.getElementType());
      AffineExpr n, c, oh, kh, ow, kw;
      bindDims(ctx, n, c, oh, kh, ow, kw);
      AffineMap id6 = AffineMap::getMultiDimIdentityMap(6, ctx);
      AffineMap toY = AffineMap::get(6, 0, {n, c, oh, ow}, ctx);
      SmallVector<Value> ins = {dY};
      SmallVector<AffineMap> maps = {toY};
      if (IsMax) {
        ins.push_back(idx);
        maps.push_back(toY);
      }
      maps.push_back(id6);
      Value init = tensor::EmptyOp::create(b, loc, shape6, xT.getElementType());
      Value dX6 =
          linalg::GenericOp::create(
              b, loc, TypeRange{t6}, ins, ValueRange{init}, maps,
              SmallVector<IteratorType>(6, IteratorType::parallel),
              [&](OpBuilder &nb, Location nloc, ValueRange a) {
                Value zero = ::fp4::floatConstant(nb, nloc, a[0].getType(), 0.0);
                Value v = a[0];
                if (IsMax) {
                  Value k = windowIndex(nb, nloc, 3, 5, KW);
                  Value hit = arith::CmpIOp::create(
                      nb, nloc, arith::CmpIPredicate::eq, a[1], k);
                  v = arith::SelectOp::create(nb, nloc, hit, v, zero);
                }
                linalg::YieldOp::create(
                    nb, nloc,
                    ValueRange{arith::AddFOp::create(nb, nloc, zero, v)});
              })
              .getResult(0);
      operandGrads[0] = tensor::CollapseShapeOp::create(
          b, loc, xT, dX6,
          ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}, {4, 5}});
      return success();
    }

    Value dX = zerosLike(b, loc, x);
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    SmallVector<IteratorType> par(rank, IteratorType::parallel);
    for (int64_t kh = 0; kh < KH; ++kh)
      for (int64_t kw = 0; kw < KW; ++kw) {
        Value contrib = dY;
        if (IsMax) {
          int64_t k = kh * KW + kw;
          Value init = emptyLike(b, loc, dY);
          contrib =
              linalg::GenericOp::create(
                  b, loc, TypeRange{init.getType()}, ValueRange{idx, dY},
                  ValueRange{init}, ArrayRef<AffineMap>{id, id, id}, par,
                  [&](OpBuilder &nb, Location nloc, ValueRange a) {
                    Value hit = arith::CmpIOp::create(
                        nb, nloc, arith::CmpIPredicate::eq, a[0],
                        arith::ConstantOp::create(nb, nloc,
                                                  nb.getI64IntegerAttr(k)));
                    Value zero =
                        ::fp4::floatConstant(nb, nloc, a[1].getType(), 0.0);
                    linalg::YieldOp::create(
                        nb, nloc,
                        ValueRange{
                            arith::SelectOp::create(nb, nloc, hit, a[1], zero)});
                  })
                  .getResult(0);
        }
        dX = scatterWindow(b, loc, dX, contrib, kh, kw, strides, dilations);
      }
    operandGrads[0] = dX;
    return success();
  }
};

} // namespace

namespace fp4 {
void registerLinalgVJPModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, linalg::LinalgDialect *) {
    linalg::GenericOp::attachInterface<GenericModel>(*ctx);
    linalg::ReduceOp::attachInterface<ReduceModel>(*ctx);
    linalg::MatmulOp::attachInterface<MatmulModel>(*ctx);
    linalg::BatchMatmulOp::attachInterface<BatchMatmulModel>(*ctx);
    linalg::TransposeOp::attachInterface<TransposeModel>(*ctx);
    linalg::BroadcastOp::attachInterface<BroadcastModel>(*ctx);
    linalg::CopyOp::attachInterface<CopyModel>(*ctx);
    linalg::FillOp::attachInterface<FillModel>(*ctx);
    linalg::AddOp::attachInterface<BinaryModel<linalg::AddOp>>(*ctx);
    linalg::SubOp::attachInterface<BinaryModel<linalg::SubOp>>(*ctx);
    linalg::MulOp::attachInterface<BinaryModel<linalg::MulOp>>(*ctx);
    linalg::DivOp::attachInterface<BinaryModel<linalg::DivOp>>(*ctx);
    linalg::Conv2DNchwFchwOp::attachInterface<
        ConvModel<linalg::Conv2DNchwFchwOp, false>>(*ctx);
    linalg::Conv2DNgchwGfchwOp::attachInterface<
        ConvModel<linalg::Conv2DNgchwGfchwOp, true>>(*ctx);
    linalg::PoolingNchwMaxOp::attachInterface<
        PoolModel<linalg::PoolingNchwMaxOp, true>>(*ctx);
    linalg::PoolingNchwSumOp::attachInterface<
        PoolModel<linalg::PoolingNchwSumOp, false>>(*ctx);
  });
}
} // namespace fp4

//===----------------------------------------------------------------------===//
// Cropped input gradients
//===----------------------------------------------------------------------===//

namespace fp4 {
/// See Autodiff.h. For one spatial dim, with pad amounts lo/hi, source
/// extent S, kernel extent E = (K - 1) * dilation and the crop [o, o + n) of
/// the stride-1 convolution's output: output row r + o reads padded rows
/// [r + o, r + o + E], so the crop needs the pad amounts lo - o and
/// n + E - (lo - o) - S (when both are >= 0). Every kept output element sums
/// the same products of the same window values in the same order.
void cropConvolutionInputGradients(Operation *root) {
  SmallVector<tensor::ExtractSliceOp> slices;
  root->walk([&](tensor::ExtractSliceOp s) { slices.push_back(s); });
  for (tensor::ExtractSliceOp slice : slices) {
    Value full = slice.getSource();
    Operation *conv = full.getDefiningOp();
    if (!isa_and_nonnull<linalg::Conv2DNchwFchwOp, linalg::Conv2DNgchwGfchwOp>(
            conv) ||
        !full.hasOneUse())
      continue;
    auto lconv = cast<linalg::LinalgOp>(conv);
    SmallVector<int64_t> strides =
        attrValues(conv->getAttrOfType<DenseIntElementsAttr>("strides"), 1);
    SmallVector<int64_t> dilations =
        attrValues(conv->getAttrOfType<DenseIntElementsAttr>("dilations"), 1);
    if (llvm::any_of(strides, [](int64_t s) { return s != 1; }))
      continue;
    auto pad = lconv.getDpsInputs()[0].getDefiningOp<tensor::PadOp>();
    if (!pad || !pad.getLow().empty() || !pad.getHigh().empty() ||
        !pad.getConstantPaddingValue())
      continue;
    auto fullT = tensorType(full);
    auto sliceT = slice.getResultType();
    ArrayRef<int64_t> offsets = slice.getStaticOffsets();
    ArrayRef<int64_t> sizes = slice.getStaticSizes();
    if (sliceT.getRank() != fullT.getRank() ||
        llvm::any_of(slice.getStaticStrides(),
                     [](int64_t s) { return s != 1; }) ||
        ShapedType::isDynamicShape(offsets) || ShapedType::isDynamicShape(sizes))
      continue;
    int64_t rank = fullT.getRank(), sp = rank - 2;
    bool ok = true;
    for (int64_t d = 0; d < sp; ++d)
      ok &= offsets[d] == 0 && sizes[d] == fullT.getDimSize(d);
    if (!ok)
      continue;
    auto srcT = tensorType(pad.getSource());
    auto filterT = tensorType(lconv.getDpsInputs()[1]);
    SmallVector<int64_t> lo(pad.getStaticLow()), hi(pad.getStaticHigh());
    SmallVector<int64_t> padded(tensorType(pad.getResult()).getShape());
    for (int64_t i = 0; i < 2; ++i) {
      int64_t d = sp + i;
      int64_t extent =
          (filterT.getDimSize(filterT.getRank() - 2 + i) - 1) * dilations[i];
      lo[d] -= offsets[d];
      padded[d] = sizes[d] + extent;
      hi[d] = padded[d] - lo[d] - srcT.getDimSize(d);
      ok &= lo[d] >= 0 && hi[d] >= 0;
    }
    if (!ok)
      continue;

    OpBuilder b(slice);
    auto asAttrs = [&](ArrayRef<int64_t> v) {
      return llvm::map_to_vector(
          v, [&](int64_t x) -> OpFoldResult { return b.getIndexAttr(x); });
    };
    Value newPad = tensor::PadOp::create(
        b, pad.getLoc(), RankedTensorType::get(padded, srcT.getElementType()),
        pad.getSource(), asAttrs(lo), asAttrs(hi),
        pad.getConstantPaddingValue());
    Value init = lconv.getDpsInits()[0], newInit;
    auto fill = init.getDefiningOp<linalg::FillOp>();
    if (fill && fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>()) {
      Value e = tensor::EmptyOp::create(b, fill.getLoc(), sliceT.getShape(),
                                        sliceT.getElementType());
      newInit = linalg::FillOp::create(b, fill.getLoc(), fill.getInputs()[0], e)
                    .getResult(0);
    } else {
      newInit = tensor::ExtractSliceOp::create(
          b, slice.getLoc(), sliceT, init, slice.getMixedOffsets(),
          slice.getMixedSizes(), slice.getMixedStrides());
    }
    Operation *cropped = b.clone(*conv);
    cropped->setOperand(0, newPad);
    cropped->setOperand(2, newInit);
    cropped->getResult(0).setType(sliceT);
    slice.replaceAllUsesWith(cropped->getResult(0));
    slice.erase();
    conv->erase();
    if (pad->use_empty())
      pad.erase();
    if (fill && fill->use_empty()) {
      Operation *empty = fill.getOutputs()[0].getDefiningOp();
      fill.erase();
      if (empty && empty->use_empty())
        empty->erase();
    }
  }
}
} // namespace fp4
