//===- ApplyRecipe.cpp - Put a low-precision recipe into the training step ===//
//
// Part of the fp4 project.
//
// For every GEMM layer of @train_step, @grad_step and @eval_step (the
// fp4.gemm_id groups fp4-build-training-step tags: the forward GEMM and its
// grad_lhs / grad_rhs GEMMs), quantizes the operands per the layer's recipe:
//
//   forward     Y  = lowp(Q_w(W), Q_a(X))            W: int4 SAWB, X: uint4 PACT
//   grad_lhs    dX = lowp(Q_even(dY * s), Q_w(W)^T)   s: the layer's GradScale
//   grad_rhs    dW = lowp(Q_a(X)^T, Q_odd(dY * s))    (same Q_a(X) as forward)
//
// lowp divides by both operands' scales after an exact accumulation, which
// also unscales the gradient. Linear layers use fp4.lowp_matmul; convolutions
// run the original linalg convolution on the decoded operands (values in
// format units, so every product is exact) and divide by the scales.
//
// Recipe state becomes arguments and results of the step functions:
// `gradscale` (f32 per layer), `pact_alpha` and `pact_momentum` (f32 per
// PACT layer), `counters` (tensor<6xi64> per layer: saturated, flushed,
// non-finite of the dX then the dW gradient quantizer) and `step` (i64). A
// training step whose gradients hold a NaN or an Inf keeps every parameter
// and optimizer state unchanged (the GradScale halves itself).
//
//===----------------------------------------------------------------------===//

#include "fp4/Autodiff/Autodiff.h"
#include "fp4/Dialect/FP4/IR/FP4Dialect.h"
#include "fp4/Transforms/Passes.h"
#include "fp4/Transforms/Recipe.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

#include "llvm/ADT/ScopeExit.h"

namespace fp4 {
#define GEN_PASS_DEF_FP4APPLYRECIPE
#include "fp4/Transforms/Passes.h.inc"
} // namespace fp4

using namespace mlir;
using mlir::fp4::FormatAttr;
using mlir::fp4::QTensorType;
using utils::IteratorType;

namespace {

/// The FormatAttr of a recipe format name ("radix4_even", "int4", ...).
FormatAttr formatAttr(MLIRContext *ctx, StringRef name) {
  using mlir::fp4::ElementKind;
  using mlir::fp4::Phase;
  if (name == "radix4_even")
    return FormatAttr::get(ctx, ElementKind::radix4, Phase::even);
  if (name == "radix4_odd")
    return FormatAttr::get(ctx, ElementKind::radix4, Phase::odd);
  std::optional<ElementKind> kind = mlir::fp4::symbolizeElementKind(name);
  return kind ? FormatAttr::get(ctx, *kind) : FormatAttr();
}

bool isZeroFill(Value v) {
  auto fill = v.getDefiningOp<linalg::FillOp>();
  if (!fill)
    return false;
  FloatAttr value;
  return matchPattern(fill.getInputs()[0], m_Constant(&value)) &&
         value.getValueAsDouble() == 0.0;
}

/// The i1 of an i8 mask element (0 or 1).
Value isSet(OpBuilder &b, Location loc, Value m) {
  return arith::TruncIOp::create(b, loc, b.getI1Type(), m);
}

/// A constant +0.0 (not -0.0: the bits of a quantized and decoded zero).
bool isPositiveZero(Value v) {
  FloatAttr value;
  return v && matchPattern(v, m_Constant(&value)) &&
         value.getValue().isPosZero();
}

bool isNonNegativeConstant(Value v) {
  FloatAttr value;
  return matchPattern(v, m_Constant(&value)) &&
         value.getValueAsDouble() >= 0.0;
}

/// Whether every element of `v` is provably >= 0 (ReLU outputs and what
/// pooling, padding with >= 0 and reshaping make of them).
bool isNonNegative(Value v, int depth = 0) {
  if (depth > 16)
    return false;
  Operation *op = v.getDefiningOp();
  if (!op)
    return false;
  if (auto g = dyn_cast<linalg::GenericOp>(op)) {
    auto yield = cast<linalg::YieldOp>(g.getRegion().front().getTerminator());
    Value y = yield.getOperand(cast<OpResult>(v).getResultNumber());
    Operation *def = y.getDefiningOp();
    if (isa_and_nonnull<arith::MaximumFOp, arith::MaxNumFOp>(def))
      return isNonNegativeConstant(def->getOperand(0)) ||
             isNonNegativeConstant(def->getOperand(1));
    return false;
  }
  if (auto pad = dyn_cast<tensor::PadOp>(op)) {
    Value padValue = pad.getConstantPaddingValue();
    return padValue && isNonNegativeConstant(padValue) &&
           isNonNegative(pad.getSource(), depth + 1);
  }
  if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::CastOp,
          tensor::ExtractSliceOp, linalg::TransposeOp,
          linalg::PoolingNchwMaxOp>(op))
    return isNonNegative(op->getOperand(0), depth + 1);
  if (auto cat = dyn_cast<tensor::ConcatOp>(op))
    return llvm::all_of(cat.getInputs(), [&](Value in) {
      return isNonNegative(in, depth + 1);
    });
  return false;
}

/// The parameter argument a GEMM operand is (possibly through transposes
/// and reshapes), or null.
BlockArgument traceParam(Value v) {
  for (int i = 0; i < 8 && v; ++i) {
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
      if (!fn)
        return {};
      auto role = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                  "fp4.role");
      return role && role.getValue() == "param" ? arg : BlockArgument();
    }
    Operation *op = v.getDefiningOp();
    if (!isa<linalg::TransposeOp, tensor::CollapseShapeOp,
             tensor::ExpandShapeOp, tensor::CastOp>(op))
      return {};
    v = op->getOperand(0);
  }
  return {};
}

struct Layer {
  int64_t id = -1;
  Operation *forward = nullptr, *gradLhs = nullptr, *gradRhs = nullptr;
  std::string name;
  bool conv = false;
};

/// A new function argument / result the recipe adds.
struct StateSlot {
  Type type;
  std::string name, role;
};

class RecipeRewriter {
public:
  RecipeRewriter(func::FuncOp fn, const ::fp4::Recipe &recipe, bool isTrain,
                 bool isGrad)
      : fn(fn), recipe(recipe), isTrain(isTrain), isGrad(isGrad),
        b(fn.getContext()), ctx(fn.getContext()) {}

  LogicalResult run();

private:
  // Helpers that build IR at the current insertion point.
  Value f32(Location loc, double v) {
    return ::fp4::floatConstant(b, loc, b.getF32Type(), v);
  }
  Value newArg(Type type, StringRef name, StringRef role) {
    unsigned index = fn.getNumArguments();
    DictionaryAttr attrs = b.getDictionaryAttr(
        {b.getNamedAttr("fp4.onnx_name", b.getStringAttr(name)),
         b.getNamedAttr("fp4.role", b.getStringAttr(role))});
    (void)fn.insertArgument(index, type, attrs, fn.getLoc());
    return fn.getArgument(index);
  }
  void newResult(Value v, StringRef name, StringRef role) {
    newResults.push_back(v);
    newResultAttrs.push_back(b.getDictionaryAttr(
        {b.getNamedAttr("fp4.onnx_name", b.getStringAttr(name)),
         b.getNamedAttr("fp4.role", b.getStringAttr(role))}));
  }

  struct Quantized {
    Value q, scale;
    SmallVector<Value, 3> counters;
  };
  Quantized quantize(Location loc, Value x, Value scale, FormatAttr format,
                     bool counters, bool stochastic, int32_t stream);
  /// fp4.dequantize(fp4.pack(codes(q), 1.0)): `q`'s values in format
  /// units. Decodes made for the backward GEMMs (`backward` set while they
  /// are built) are tagged `fp4.backward_decode`: their lowering is kept
  /// apart from an equal forward decode (no CSE), so the forward's f32
  /// units need not stay allocated until the backward pass; the backward
  /// decodes again from the 4-bit codes.
  Value decodeUnits(Location loc, Value q);
  bool backward = false;
  Value divideByScales(Location loc, Value acc, Value sa, Value sb);
  Quantized quantizeWeight(Location loc, Value w, StringRef format);
  LogicalResult rewriteLayer(Layer &layer, unsigned index, unsigned count);
  Value lowpGemm(Location loc, Operation *op, const Quantized &lhs,
                 const Quantized &rhs, bool transA, bool transB,
                 const ::fp4::LayerRecipe &lr, Value unitsLhs, Value unitsRhs);

  func::FuncOp fn;
  const ::fp4::Recipe &recipe;
  bool isTrain, isGrad;
  OpBuilder b;
  MLIRContext *ctx;
  SmallVector<Value> newResults;
  SmallVector<DictionaryAttr> newResultAttrs;
  SmallVector<Value> nonfiniteCounts;
  // PACT state, for the SGD update of the clipping levels.
  struct Pact {
    Value alpha, momentum, grad;
    std::string name;
  };
  SmallVector<Pact> pacts;
  Value stepArg;
};

RecipeRewriter::Quantized
RecipeRewriter::quantize(Location loc, Value x, Value scale, FormatAttr format,
                         bool counters, bool stochastic, int32_t stream) {
  auto xt = cast<RankedTensorType>(x.getType());
  auto qt = QTensorType::get(ctx, xt.getShape(), format);
  SmallVector<Type> counterTypes;
  if (counters)
    counterTypes.assign(3, b.getI64Type());
  Value seed;
  if (stochastic) {
    if (!stepArg)
      stepArg = newArg(b.getI64Type(), "step", "step");
    seed = stepArg;
  }
  auto op = mlir::fp4::QuantizeOp::create(
      b, loc, qt, counterTypes, x, scale, seed,
      stochastic ? mlir::fp4::Rounding::stochastic
                 : mlir::fp4::Rounding::nearest,
      stochastic ? b.getI32IntegerAttr(stream) : IntegerAttr());
  Quantized out{op.getResult(), scale, {}};
  for (Value c : op.getCounters())
    out.counters.push_back(c);
  return out;
}

Value RecipeRewriter::decodeUnits(Location loc, Value q) {
  auto qt = cast<QTensorType>(q.getType());
  auto unpack = mlir::fp4::UnpackOp::create(b, loc, q);
  Value unit = mlir::fp4::PackOp::create(b, loc, qt, unpack.getCodes(),
                                         f32(loc, 1.0));
  auto type = RankedTensorType::get(qt.getShape(), b.getF32Type());
  auto decode = mlir::fp4::DequantizeOp::create(b, loc, type, unit);
  if (backward)
    decode->setAttr("fp4.backward_decode", b.getUnitAttr());
  return decode;
}

Value RecipeRewriter::divideByScales(Location loc, Value acc, Value sa,
                                     Value sb) {
  auto t = cast<RankedTensorType>(acc.getType());
  Value denom = arith::MulFOp::create(b, loc, sa, sb);
  AffineMap id = AffineMap::getMultiDimIdentityMap(t.getRank(), ctx);
  Value init = tensor::EmptyOp::create(b, loc, t.getShape(), t.getElementType());
  return linalg::GenericOp::create(
             b, loc, TypeRange{t}, ValueRange{acc}, ValueRange{init},
             ArrayRef<AffineMap>{id, id},
             SmallVector<IteratorType>(t.getRank(), IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange a) {
               linalg::YieldOp::create(
                   nb, l, ValueRange{arith::DivFOp::create(nb, l, a[0], denom)});
             })
      .getResult(0);
}

RecipeRewriter::Quantized RecipeRewriter::quantizeWeight(Location loc, Value w,
                                                         StringRef format) {
  FormatAttr f = formatAttr(ctx, format);
  auto rule = format == "int4" ? mlir::fp4::ScaleRule::sawb
                               : mlir::fp4::ScaleRule::amax;
  Value s = mlir::fp4::ComputeScaleOp::create(b, loc, b.getF32Type(), w, rule, f);
  return quantize(loc, w, s, f, false, false, 0);
}

/// The low-precision form of the GEMM-like `op` with quantized operands:
/// fp4.lowp_matmul for matmuls, the op itself on decoded operands (values in
/// format units, exact products) for convolutions and contractions.
Value RecipeRewriter::lowpGemm(Location loc, Operation *op,
                               const Quantized &lhs, const Quantized &rhs,
                               bool transA, bool transB,
                               const ::fp4::LayerRecipe &lr, Value unitsLhs,
                               Value unitsRhs) {
  Type resultType = op->getResult(0).getType();
  if (isa<linalg::MatmulOp>(op)) {
    auto mm = mlir::fp4::LowpMatmulOp::create(
        b, loc, resultType, lhs.q, rhs.q, transA, transB,
        lr.accumulation == "f16" ? mlir::fp4::Accumulation::f16
                                 : mlir::fp4::Accumulation::f32,
        lr.accumulation == "f16" ? b.getI64IntegerAttr(lr.chunk)
                                 : IntegerAttr());
    return mm.getResult();
  }
  if (lr.accumulation == "f16")
    op->emitWarning("f16 chunked accumulation is implemented for linear "
                    "layers; this convolution accumulates in f32");
  // Clone the op with the decoded operands and a zero destination.
  IRMapping mapping;
  auto linalgOp = cast<linalg::LinalgOp>(op);
  mapping.map(linalgOp.getDpsInputs()[0],
              unitsLhs ? unitsLhs : decodeUnits(loc, lhs.q));
  mapping.map(linalgOp.getDpsInputs()[1],
              unitsRhs ? unitsRhs : decodeUnits(loc, rhs.q));
  Value init = linalgOp.getDpsInits()[0];
  if (!isZeroFill(init))
    mapping.map(init, ::fp4::filledTensor(
                          b, loc, cast<RankedTensorType>(init.getType()), 0.0));
  Operation *clone = b.clone(*op, mapping);
  clone->removeAttr("fp4.gemm_role");
  clone->setAttr("fp4.lowp", b.getUnitAttr());
  return divideByScales(loc, clone->getResult(0), lhs.scale, rhs.scale);
}

LogicalResult RecipeRewriter::rewriteLayer(Layer &layer, unsigned index,
                                           unsigned count) {
  ::fp4::LayerRecipe lr = recipe.forLayer(layer.name, index, count);
  if (!lr.quantizesForward() && !lr.quantizesBackward())
    return success();
  Operation *fwd = layer.forward;
  Location loc = fwd->getLoc();
  auto linalgFwd = cast<linalg::LinalgOp>(fwd);
  Value x = linalgFwd.getDpsInputs()[0], w = linalgFwd.getDpsInputs()[1];
  if (!traceParam(w)) {
    fwd->emitRemark("layer '") << layer.name
                               << "' has no parameter as its second operand; "
                                  "left in f32";
    return success();
  }
  if (!isZeroFill(linalgFwd.getDpsInits()[0]))
    return fwd->emitError("the recipe needs GEMMs that start from zero");
  if (lr.weight == "f32" || lr.activation == "f32")
    return fwd->emitError("layer '")
           << layer.name
           << "': the recipe quantizes the backward pass but not both "
              "forward operands (weight and activation); the backward GEMMs "
              "reuse the quantized forward operands";

  // --- Forward: Q(W), Q(X) right after their definitions' use site.
  b.setInsertionPoint(fwd);
  Quantized qw = quantizeWeight(loc, w, lr.weight);
  Quantized qx;
  Value mask; // PACT: x < alpha (straight-through region), i8 tensor (0/1)
  Value alpha;
  bool pact = lr.activation == "pact" && isNonNegative(x);
  // A convolution's zero-padded input: the activation itself (the pad's
  // source) is quantized, and the padding is rebuilt on its decoded units,
  // as a framework pads the quantized activation inside its convolution.
  // Zeros quantize to zero (amax and SAWB-free scales ignore them; PACT
  // clips 0 to 0 for alpha > 0), so this is the padded tensor's
  // quantization with fewer elements (9x fewer on a 1 x 1 input padded to
  // 3 x 3), and code generation sees the padding: fp4-cpu-conv-to-gemm
  // drops the taps that read only padding.
  tensor::PadOp xPad;
  if (layer.conv)
    if (auto pad = x.getDefiningOp<tensor::PadOp>();
        pad && pad.getLow().empty() && pad.getHigh().empty() &&
        isPositiveZero(pad.getConstantPaddingValue()))
      xPad = pad;
  Value xq = xPad ? xPad.getSource() : x;
  auto padUnits = [&](Location l, const Quantized &q) -> Value {
    if (!xPad)
      return Value();
    IRMapping m;
    m.map(xPad.getSource(), decodeUnits(l, q.q));
    return b.clone(*xPad, m)->getResult(0);
  };
  if (pact) {
    std::string aname = layer.name + ".pact_alpha";
    alpha = newArg(b.getF32Type(), aname, "pact_alpha");
    auto xt = cast<RankedTensorType>(xq.getType());
    AffineMap id = AffineMap::getMultiDimIdentityMap(xt.getRank(), ctx);
    // i8, not i1: buffers of i1 hold a byte per element while vectors of i1
    // are packed bits, so the CPU code generation leaves i1 tensors to
    // scalar loops.
    auto maskT = RankedTensorType::get(xt.getShape(), b.getI8Type());
    Value clipInit = tensor::EmptyOp::create(b, loc, xt.getShape(),
                                             xt.getElementType());
    Value maskInit = tensor::EmptyOp::create(b, loc, xt.getShape(),
                                             b.getI8Type());
    auto clip = linalg::GenericOp::create(
        b, loc, TypeRange{xt, maskT}, ValueRange{xq},
        ValueRange{clipInit, maskInit}, ArrayRef<AffineMap>{id, id, id},
        SmallVector<IteratorType>(xt.getRank(), IteratorType::parallel),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value inside = arith::CmpFOp::create(
              nb, l, arith::CmpFPredicate::OLT, a[0], alpha);
          Value c = arith::MinimumFOp::create(nb, l, a[0], alpha);
          Value inside8 =
              arith::ExtUIOp::create(nb, l, nb.getI8Type(), inside);
          linalg::YieldOp::create(nb, l, ValueRange{c, inside8});
        });
    mask = clip.getResult(1);
    Value s = arith::DivFOp::create(b, loc, f32(loc, 15.0), alpha);
    qx = quantize(loc, clip.getResult(0), s, formatAttr(ctx, "uint4"), false,
                  false, 0);
    pacts.push_back({alpha, Value(), Value(), aname});
  } else {
    StringRef fmt = lr.activation == "pact" ? "int4" : StringRef(lr.activation);
    FormatAttr f = formatAttr(ctx, fmt);
    Value s = mlir::fp4::ComputeScaleOp::create(b, loc, b.getF32Type(), xq,
                                                mlir::fp4::ScaleRule::amax, f);
    qx = quantize(loc, xq, s, f, false, false, 0);
  }
  Value unitsW = layer.conv ? decodeUnits(loc, qw.q) : Value();
  Value y = lowpGemm(loc, fwd, qx, qw, false, false, lr, padUnits(loc, qx),
                     unitsW);
  Operation *lowpOp = y.getDefiningOp();
  if (layer.conv) // lowp conv = conv on decoded operands, then a division
    lowpOp = lowpOp->getOperand(0).getDefiningOp();
  lowpOp->setAttr("fp4.layer", b.getStringAttr(layer.name));
  fwd->getResult(0).replaceAllUsesWith(y);

  if (!layer.gradLhs && !layer.gradRhs)
    return success();

  // --- Backward: GradScale of dY, then the two gradient quantizers.
  backward = true;
  llvm::scope_exit endBackward([&] { backward = false; });
  bool needDX = layer.gradLhs && lr.gradDX != "f32";
  bool needDW = layer.gradRhs && lr.gradDW != "f32";
  Operation *first = layer.gradRhs ? layer.gradRhs : layer.gradLhs;
  if (layer.gradLhs && layer.gradLhs->isBeforeInBlock(first))
    first = layer.gradLhs;
  b.setInsertionPoint(first);
  Location bloc = first->getLoc();
  Value dY = layer.gradRhs
                 ? cast<linalg::LinalgOp>(layer.gradRhs).getDpsInputs()[1]
                 : cast<linalg::LinalgOp>(layer.gradLhs).getDpsInputs()[0];
  StringRef scaleFmt = lr.gradDX != "f32" ? StringRef(lr.gradDX)
                                          : StringRef(lr.gradDW);
  Value applied;
  if (lr.gradScale == "fixed") {
    applied = f32(bloc, lr.fixedScale);
  } else if (needDX || needDW) {
    Value state = newArg(b.getF32Type(), layer.name, "gradscale");
    auto gs = mlir::fp4::GradScaleOp::create(
        b, bloc, dY.getType(), b.getF32Type(), b.getF32Type(), dY, state,
        formatAttr(ctx, scaleFmt),
        lr.gradScale == "current" ? mlir::fp4::GradScaleMode::current
                                  : mlir::fp4::GradScaleMode::delayed);
    applied = gs.getAppliedScale();
    newResult(gs.getNextScale(), layer.name, "gradscale");
  }
  bool stochastic = lr.rounding == "stochastic";
  Value zero64 = arith::ConstantOp::create(b, bloc, b.getI64IntegerAttr(0));
  SmallVector<Value> counters(6, zero64);

  if (layer.gradLhs && (needDX || pact)) {
    b.setInsertionPoint(layer.gradLhs);
    Location l = layer.gradLhs->getLoc();
    auto gl = cast<linalg::LinalgOp>(layer.gradLhs);
    Value dx = layer.gradLhs->getResult(0);
    if (needDX) {
      // Matmul: the grad GEMM's first operand is dY; convolution: the
      // stride-dilated, zero-padded dY. Zeros quantize to zero and count as
      // nothing (not saturated, flushed or non-finite), so the convolution's
      // dY itself is quantized (4x fewer elements for a stride-2 layer) and
      // the padding and zero-stuffing are rebuilt on its decoded units, where
      // code generation sees them (fp4-cpu-conv-to-gemm skips the stuffed
      // zeros). Not with stochastic rounding: its random stream follows
      // element positions.
      Value lhs = gl.getDpsInputs()[0];
      SmallVector<Operation *> zeroChain;
      while (layer.conv && !stochastic) {
        Operation *def = lhs.getDefiningOp();
        if (auto pad = dyn_cast_or_null<tensor::PadOp>(def)) {
          if (!isPositiveZero(pad.getConstantPaddingValue()))
            break;
        } else if (auto ins = dyn_cast_or_null<tensor::InsertSliceOp>(def)) {
          auto fill = ins.getDest().getDefiningOp<linalg::FillOp>();
          if (!fill || !isPositiveZero(fill.getInputs()[0]))
            break;
        } else {
          break;
        }
        zeroChain.push_back(def);
        lhs = def->getOperand(0);
      }
      Quantized qe = quantize(l, lhs, applied, formatAttr(ctx, lr.gradDX),
                              true, stochastic,
                              static_cast<int32_t>(4 * layer.id));
      if (!layer.conv) {
        dx = lowpGemm(l, layer.gradLhs, qe, qw, false, true, lr, Value(),
                      Value());
      } else {
        // The flipped, channel-swapped filter, from the decoded Q(W).
        Value wt = gl.getDpsInputs()[1];
        auto flip = wt.getDefiningOp<linalg::GenericOp>();
        if (!flip || flip.getDpsInputs()[0] != w)
          return layer.gradLhs->emitError(
              "unexpected form of the convolution's input gradient");
        IRMapping m;
        m.map(w, decodeUnits(l, qw.q));
        Value wtUnits = b.clone(*flip, m)->getResult(0);
        Value dyUnits;
        if (!zeroChain.empty()) {
          dyUnits = decodeUnits(l, qe.q);
          for (Operation *op : llvm::reverse(zeroChain)) {
            IRMapping chain;
            chain.map(op->getOperand(0), dyUnits);
            dyUnits = b.clone(*op, chain)->getResult(0);
          }
        }
        dx = lowpGemm(l, layer.gradLhs, qe, qw, false, false, lr, dyUnits,
                      wtUnits);
      }
      for (int i = 0; i < 3; ++i)
        counters[i] = qe.counters[i];
      nonfiniteCounts.push_back(qe.counters[2]);
    } else {
      b.setInsertionPointAfter(layer.gradLhs);
    }
    if (pact) {
      // PACT straight-through estimator (SPEC 4.3): the gradient passes
      // where x < alpha; the rest is alpha's gradient.
      auto t = cast<RankedTensorType>(dx.getType());
      // A padded convolution's input gradient is already cropped to the
      // pad's interior (fp4-build-training-step): so is the mask. The
      // padding itself (0 < alpha) is inside the straight-through region
      // for alpha > 0, so alpha's gradient loses no term.
      if (t.getShape() != cast<RankedTensorType>(mask.getType()).getShape()) {
        auto pad = x.getDefiningOp<tensor::PadOp>();
        if (!pad || !pad.getLow().empty() ||
            cast<RankedTensorType>(pad.getSource().getType()).getShape() !=
                t.getShape())
          return layer.gradLhs->emitError(
              "unexpected shape of the convolution's input gradient");
        SmallVector<OpFoldResult> offsets, sizes, ones;
        for (auto [lo, n] : llvm::zip(pad.getStaticLow(), t.getShape())) {
          offsets.push_back(b.getIndexAttr(lo));
          sizes.push_back(b.getIndexAttr(n));
          ones.push_back(b.getIndexAttr(1));
        }
        mask = tensor::ExtractSliceOp::create(
            b, l, RankedTensorType::get(t.getShape(), b.getI8Type()), mask,
            offsets, sizes, ones);
      }
      AffineMap id = AffineMap::getMultiDimIdentityMap(t.getRank(), ctx);
      Value init = tensor::EmptyOp::create(b, l, t.getShape(),
                                           t.getElementType());
      Value passed =
          linalg::GenericOp::create(
              b, l, TypeRange{t}, ValueRange{dx, mask}, ValueRange{init},
              ArrayRef<AffineMap>{id, id, id},
              SmallVector<IteratorType>(t.getRank(), IteratorType::parallel),
              [&](OpBuilder &nb, Location ll, ValueRange a) {
                linalg::YieldOp::create(
                    nb, ll,
                    ValueRange{arith::SelectOp::create(
                        nb, ll, isSet(nb, ll, a[1]), a[0],
                        ::fp4::floatConstant(nb, ll, a[0].getType(), 0.0))});
              })
              .getResult(0);
      auto scalarT = RankedTensorType::get({}, b.getF32Type());
      Value sumInit = ::fp4::filledTensor(b, l, scalarT, 0.0);
      AffineMap toScalar = AffineMap::get(t.getRank(), 0, {}, ctx);
      Value dAlpha =
          linalg::GenericOp::create(
              b, l, TypeRange{scalarT}, ValueRange{dx, mask},
              ValueRange{sumInit}, ArrayRef<AffineMap>{id, id, toScalar},
              SmallVector<IteratorType>(t.getRank(), IteratorType::reduction),
              [&](OpBuilder &nb, Location ll, ValueRange a) {
                Value g = arith::SelectOp::create(
                    nb, ll, isSet(nb, ll, a[1]),
                    ::fp4::floatConstant(nb, ll, a[0].getType(), 0.0), a[0]);
                linalg::YieldOp::create(
                    nb, ll, ValueRange{arith::AddFOp::create(nb, ll, a[2], g)});
              })
              .getResult(0);
      pacts.back().grad = tensor::ExtractOp::create(b, l, dAlpha, ValueRange{});
      layer.gradLhs->getResult(0).replaceUsesWithIf(passed, [&](OpOperand &u) {
        return u.getOwner() != passed.getDefiningOp() &&
               u.getOwner() != dAlpha.getDefiningOp();
      });
      if (needDX)
        layer.gradLhs->getResult(0).replaceAllUsesWith(passed);
    } else {
      layer.gradLhs->getResult(0).replaceAllUsesWith(dx);
    }
  }

  if (needDW) {
    b.setInsertionPoint(layer.gradRhs);
    Location l = layer.gradRhs->getLoc();
    Quantized qo = quantize(l, dY, applied, formatAttr(ctx, lr.gradDW), true,
                            stochastic, static_cast<int32_t>(4 * layer.id + 1));
    Quantized qxdw = qx;
    if (lr.activationDW != "same") {
      FormatAttr f = formatAttr(ctx, lr.activationDW);
      Value s = mlir::fp4::ComputeScaleOp::create(
          b, l, b.getF32Type(), xq, mlir::fp4::ScaleRule::amax, f);
      qxdw = quantize(l, xq, s, f, false, false, 0);
    }
    if (xPad && cast<linalg::LinalgOp>(layer.gradRhs).getDpsInputs()[0] != x)
      return layer.gradRhs->emitError(
          "unexpected input of the convolution's weight gradient");
    Value dw = lowpGemm(l, layer.gradRhs, qxdw, qo, /*transA=*/true, false, lr,
                        padUnits(l, qxdw), Value());
    for (int i = 0; i < 3; ++i)
      counters[3 + i] = qo.counters[i];
    nonfiniteCounts.push_back(qo.counters[2]);
    layer.gradRhs->getResult(0).replaceAllUsesWith(dw);
  }
  if (needDX || needDW) {
    b.setInsertionPoint(fn.getBody().front().getTerminator());
    Value cnt = tensor::FromElementsOp::create(
        b, bloc, RankedTensorType::get({6}, b.getI64Type()), counters);
    newResult(cnt, layer.name, "counters");
  }
  return success();
}

/// Folds `select(skip, old, updated)` of a state result into the loop that
/// computes `updated`: an elementwise linalg.generic (the SGD update) that
/// reads `old` element for element and whose result nothing else uses
/// yields the select of each element instead. The same values, without a
/// pass over every parameter and momentum (read both, write one) after the
/// update. False (nothing changed) when the update is not of that form or
/// `skip` is not defined before it.
static bool selectInUpdate(Value skip, Value old, Value updated) {
  auto g = updated.getDefiningOp<linalg::GenericOp>();
  Operation *skipDef = skip.getDefiningOp();
  if (!g || !updated.hasOneUse() || g.getNumReductionLoops() != 0 ||
      !g.hasPureTensorSemantics() || !skipDef ||
      skipDef->getBlock() != g->getBlock() || !skipDef->isBeforeInBlock(g))
    return false;
  auto result = cast<OpResult>(updated);
  AffineMap outMap = g.getIndexingMapMatchingResult(result);
  for (OpOperand *in : g.getDpsInputOperands()) {
    if (in->get() != old || g.getMatchingIndexingMap(in) != outMap)
      continue;
    auto yield = cast<linalg::YieldOp>(g.getBody()->getTerminator());
    OpBuilder yb(yield);
    unsigned r = result.getResultNumber();
    Value kept = arith::SelectOp::create(yb, yield.getLoc(), skip,
                                         g.getMatchingBlockArgument(in),
                                         yield.getOperand(r));
    yield->setOperand(r, kept);
    return true;
  }
  return false;
}

LogicalResult RecipeRewriter::run() {
  // Collect the GEMM layers in forward order.
  llvm::MapVector<int64_t, Layer> layers;
  fn.walk([&](Operation *op) {
    auto id = op->getAttrOfType<IntegerAttr>("fp4.gemm_id");
    auto role = op->getAttrOfType<StringAttr>("fp4.gemm_role");
    if (!id || !role)
      return;
    Layer &l = layers[id.getInt()];
    l.id = id.getInt();
    if (role.getValue() == "forward")
      l.forward = op;
    else if (role.getValue() == "grad_lhs")
      l.gradLhs = op;
    else if (role.getValue() == "grad_rhs")
      l.gradRhs = op;
  });
  SmallVector<Layer> ordered;
  for (auto &kv : layers)
    if (kv.second.forward)
      ordered.push_back(kv.second);
  llvm::sort(ordered, [](const Layer &a, const Layer &c) {
    return a.forward->isBeforeInBlock(c.forward);
  });
  for (Layer &l : ordered) {
    l.conv = !isa<linalg::MatmulOp>(l.forward);
    if (auto nameLoc = dyn_cast<NameLoc>(l.forward->getLoc()))
      l.name = nameLoc.getName().str();
    else if (BlockArgument w = traceParam(
                 cast<linalg::LinalgOp>(l.forward).getDpsInputs()[1]))
      l.name = fn.getArgAttrOfType<StringAttr>(w.getArgNumber(),
                                               "fp4.onnx_name")
                   .str();
    else
      l.name = ("gemm" + Twine(l.id)).str();
  }
  for (Layer &l : ordered)
    l.forward->setAttr("fp4.layer", b.getStringAttr(l.name));
  for (auto [i, l] : llvm::enumerate(ordered))
    if (failed(rewriteLayer(l, i, ordered.size())))
      return failure();

  Operation *ret = fn.getBody().front().getTerminator();
  b.setInsertionPoint(ret);
  Location loc = fn.getLoc();

  // PACT clipping levels: gradients (grad step) or SGD updates (train step).
  if (isGrad)
    for (Pact &p : pacts)
      if (p.grad)
        newResult(p.grad, p.name, "grad");
  Value skip;
  if (isTrain && !nonfiniteCounts.empty()) {
    // Right after the last counter, so that the optimizer's updates (after
    // the backward pass) can use it in their loops (below).
    Operation *last = nullptr;
    for (Value c : nonfiniteCounts) {
      Operation *def = c.getDefiningOp();
      if (!def || def->getBlock() != ret->getBlock()) {
        last = nullptr; // not all in the body's block: before the return
        break;
      }
      if (!last || last->isBeforeInBlock(def))
        last = def;
    }
    OpBuilder::InsertionGuard guard(b);
    if (last)
      b.setInsertionPointAfter(last);
    Value total = nonfiniteCounts.front();
    for (Value c : llvm::drop_begin(nonfiniteCounts))
      total = arith::AddIOp::create(b, loc, total, c);
    skip = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ne, total,
        arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0)));
  }
  if (isTrain) {
    auto muAttr = fn->getAttrOfType<FloatAttr>("fp4.sgd_momentum");
    auto wdAttr = fn->getAttrOfType<FloatAttr>("fp4.sgd_weight_decay");
    double mu = muAttr ? muAttr.getValueAsDouble() : 0.0;
    double wd = wdAttr ? wdAttr.getValueAsDouble() : 0.0;
    Value lr;
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      if (auto role = fn.getArgAttrOfType<StringAttr>(i, "fp4.role"))
        if (role.getValue() == "lr")
          lr = fn.getArgument(i);
    for (Pact &p : pacts) {
      p.momentum = newArg(b.getF32Type(), p.name, "pact_momentum");
      if (!p.grad || !lr) {
        newResult(p.alpha, p.name, "pact_alpha");
        newResult(p.momentum, p.name, "pact_momentum");
        continue;
      }
      b.setInsertionPoint(ret);
      Value g = arith::AddFOp::create(
          b, loc, p.grad, arith::MulFOp::create(b, loc, f32(loc, wd), p.alpha));
      Value v = arith::AddFOp::create(
          b, loc, arith::MulFOp::create(b, loc, f32(loc, mu), p.momentum), g);
      Value a = arith::SubFOp::create(b, loc, p.alpha,
                                      arith::MulFOp::create(b, loc, lr, v));
      if (skip) {
        v = arith::SelectOp::create(b, loc, skip, p.momentum, v);
        a = arith::SelectOp::create(b, loc, skip, p.alpha, a);
      }
      newResult(a, p.name, "pact_alpha");
      newResult(v, p.name, "pact_momentum");
    }
  }
  if (stepArg && isTrain) {
    Value next = arith::AddIOp::create(
        b, loc, stepArg,
        arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(1)));
    newResult(next, "step", "step");
  }

  // Skip the update of every state result when a gradient is not finite.
  if (skip) {
    for (unsigned r = 0; r < ret->getNumOperands(); ++r) {
      auto role = fn.getResultAttrOfType<StringAttr>(r, "fp4.role");
      auto name = fn.getResultAttrOfType<StringAttr>(r, "fp4.onnx_name");
      if (!role || !name || role.getValue() == "loss" ||
          role.getValue() == "correct")
        continue;
      // The matching argument: same role and name.
      for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
        auto arole = fn.getArgAttrOfType<StringAttr>(i, "fp4.role");
        auto aname = fn.getArgAttrOfType<StringAttr>(i, "fp4.onnx_name");
        if (arole == role && aname == name) {
          if (!selectInUpdate(skip, fn.getArgument(i), ret->getOperand(r))) {
            Value kept = arith::SelectOp::create(
                b, loc, skip, fn.getArgument(i), ret->getOperand(r));
            ret->setOperand(r, kept);
          }
          break;
        }
      }
    }
  }

  // Append the new results.
  unsigned base = fn.getNumResults();
  for (auto [i, v] : llvm::enumerate(newResults)) {
    (void)fn.insertResult(base + i, v.getType(), newResultAttrs[i]);
    ret->insertOperands(ret->getNumOperands(), v);
  }

  // The replaced full-precision GEMMs are dead now.
  for (Layer &l : ordered)
    for (Operation *op : {l.forward, l.gradLhs, l.gradRhs})
      if (op && op->use_empty())
        op->erase();
  return success();
}

struct ApplyRecipePass
    : ::fp4::impl::FP4ApplyRecipeBase<ApplyRecipePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::Expected<::fp4::Recipe> r =
        recipeFile.empty() ? ::fp4::getBuiltinRecipe(recipe)
                           : ::fp4::parseRecipeFile(recipeFile);
    if (!r) {
      module.emitError(llvm::toString(r.takeError()));
      return signalPassFailure();
    }
    bool any = false;
    for (StringRef name : {"train_step", "grad_step", "eval_step"}) {
      auto fn = module.lookupSymbol<func::FuncOp>(name);
      if (!fn)
        continue;
      any = true;
      RecipeRewriter rw(fn, *r, name == "train_step", name == "grad_step");
      if (failed(rw.run()))
        return signalPassFailure();
      fn->setAttr("fp4.recipe", StringAttr::get(&getContext(), r->name));
    }
    if (!any) {
      module.emitError("no @train_step, @grad_step or @eval_step; run "
                       "fp4-build-training-step first");
      return signalPassFailure();
    }
  }
};

} // namespace
