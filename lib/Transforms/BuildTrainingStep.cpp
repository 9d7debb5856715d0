//===- BuildTrainingStep.cpp - @forward -> @train_step/@grad_step/@eval_step ===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "fp4/Autodiff/Autodiff.h"
#include "fp4/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

#include <limits>

namespace fp4 {
#define GEN_PASS_DEF_FP4BUILDTRAININGSTEP
#include "fp4/Transforms/Passes.h.inc"
} // namespace fp4

using namespace mlir;
using utils::IteratorType;

namespace {

/// One argument of @forward and what it is.
struct ForwardArg {
  unsigned index;
  std::string name;
  std::string role; // input, param, running_mean, running_var
  Type type;
};

StringRef roleOf(func::FuncOp f, unsigned i) {
  if (auto role = f.getArgAttrOfType<StringAttr>(i, "fp4.role"))
    return role.getValue();
  return "input";
}

std::string nameOf(func::FuncOp f, unsigned i) {
  if (auto n = f.getArgAttrOfType<StringAttr>(i, "fp4.onnx_name"))
    return n.str();
  return ("arg" + Twine(i)).str();
}

/// Builds the arguments and results of the generated functions with their
/// `fp4.onnx_name` / `fp4.role` attributes.
struct Signature {
  SmallVector<Type> types;
  SmallVector<DictionaryAttr> attrs;
  void add(OpBuilder &b, Type t, StringRef name, StringRef role) {
    types.push_back(t);
    attrs.push_back(b.getDictionaryAttr(
        {b.getNamedAttr("fp4.onnx_name", b.getStringAttr(name)),
         b.getNamedAttr("fp4.role", b.getStringAttr(role))}));
  }
};

func::FuncOp createFunction(OpBuilder &b, Location loc, StringRef name,
                            const Signature &args, const Signature &results) {
  auto type = b.getFunctionType(args.types, results.types);
  auto fn = func::FuncOp::create(b, loc, name, type);
  fn.setAllArgAttrs(args.attrs);
  fn.setAllResultAttrs(results.attrs);
  fn.addEntryBlock();
  return fn;
}

/// The forward body inlined into a new function.
struct InlinedForward {
  SmallVector<Operation *> ops;
  SmallVector<Value> results;
};

InlinedForward inlineForward(OpBuilder &b, func::FuncOp forward,
                             ArrayRef<Value> args) {
  IRMapping mapping;
  for (auto [from, to] : llvm::zip_equal(forward.getArguments(), args))
    mapping.map(from, to);
  InlinedForward out;
  Block &body = forward.getBody().front();
  for (Operation &op : body.without_terminator())
    out.ops.push_back(b.clone(op, mapping));
  for (Value v : body.getTerminator()->getOperands())
    out.results.push_back(mapping.lookupOrDefault(v));
  return out;
}

/// Loss, correct count and d(loss)/d(logits) of softmax cross-entropy with
/// integer labels, mean over the batch.
struct LossValues {
  Value loss, correct, dLogits;
};

LossValues buildSoftmaxCrossEntropy(OpBuilder &b, Location loc, Value logits,
                                    Value labels, bool wantGrad) {
  MLIRContext *ctx = b.getContext();
  auto zT = cast<RankedTensorType>(logits.getType());
  Type et = zT.getElementType();
  int64_t B = zT.getShape()[0], K = zT.getShape()[1];
  auto vecT = RankedTensorType::get({B}, et);
  AffineExpr i, k;
  bindDims(ctx, i, k);
  AffineMap mIK = AffineMap::get(2, 0, {i, k}, ctx);
  AffineMap mI = AffineMap::get(2, 0, {i}, ctx);
  SmallVector<IteratorType> par2(2, IteratorType::parallel);
  SmallVector<IteratorType> red2 = {IteratorType::parallel,
                                    IteratorType::reduction};
  auto cst = [&](double v) { return ::fp4::floatConstant(b, loc, et, v); };
  auto reduce1 = [&](Value in, Value init, bool isMax) {
    return linalg::ReduceOp::create(
               b, loc, ValueRange{in}, ValueRange{init}, ArrayRef<int64_t>{1},
               [&](OpBuilder &nb, Location l, ValueRange a) {
                 Value r = isMax ? arith::MaximumFOp::create(nb, l, a[0], a[1])
                                       .getResult()
                                 : arith::AddFOp::create(nb, l, a[0], a[1])
                                       .getResult();
                 linalg::YieldOp::create(nb, l, r);
               })
        .getResult(0);
  };
  // label[i] == k, as a body helper.
  auto isLabel = [&](OpBuilder &nb, Location l, Value label) {
    Value kIdx = arith::IndexCastOp::create(nb, l, nb.getI64Type(),
                                            linalg::IndexOp::create(nb, l, 1));
    return arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, kIdx, label);
  };

  Value m = reduce1(logits,
                    ::fp4::filledTensor(
                        b, loc, vecT, -std::numeric_limits<double>::infinity()),
                    /*isMax=*/true);
  Value eInit = tensor::EmptyOp::create(b, loc, zT.getShape(), et);
  Value e = linalg::GenericOp::create(
                b, loc, TypeRange{zT}, ValueRange{logits, m}, ValueRange{eInit},
                ArrayRef<AffineMap>{mIK, mI, mIK}, par2,
                [&](OpBuilder &nb, Location l, ValueRange a) {
                  Value d = arith::SubFOp::create(nb, l, a[0], a[1]);
                  linalg::YieldOp::create(nb, l,
                                          ValueRange{math::ExpOp::create(nb, l, d)});
                })
                .getResult(0);
  Value s = reduce1(e, ::fp4::filledTensor(b, loc, vecT, 0.0), false);
  Value picked =
      linalg::GenericOp::create(
          b, loc, TypeRange{vecT}, ValueRange{logits, labels},
          ValueRange{::fp4::filledTensor(b, loc, vecT, 0.0)},
          ArrayRef<AffineMap>{mIK, mI, mI}, red2,
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value z = arith::SelectOp::create(
                nb, l, isLabel(nb, l, a[1]), a[0],
                ::fp4::floatConstant(nb, l, a[0].getType(), 0.0));
            linalg::YieldOp::create(
                nb, l, ValueRange{arith::AddFOp::create(nb, l, a[2], z)});
          })
          .getResult(0);
  AffineMap id1 = AffineMap::getMultiDimIdentityMap(1, ctx);
  Value perInit = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{B}, et);
  Value perSample =
      linalg::GenericOp::create(
          b, loc, TypeRange{vecT}, ValueRange{m, s, picked},
          ValueRange{perInit}, ArrayRef<AffineMap>{id1, id1, id1, id1},
          ArrayRef<IteratorType>{IteratorType::parallel},
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value lse = arith::AddFOp::create(nb, l, a[0],
                                              math::LogOp::create(nb, l, a[1]));
            linalg::YieldOp::create(
                nb, l, ValueRange{arith::SubFOp::create(nb, l, lse, a[2])});
          })
          .getResult(0);
  auto scalarT = RankedTensorType::get({}, et);
  Value total =
      linalg::ReduceOp::create(
          b, loc, ValueRange{perSample},
          ValueRange{::fp4::filledTensor(b, loc, scalarT, 0.0)},
          ArrayRef<int64_t>{0},
          [&](OpBuilder &nb, Location l, ValueRange a) {
            linalg::YieldOp::create(
                nb, l, ValueRange{arith::AddFOp::create(nb, l, a[0], a[1])});
          })
          .getResult(0);
  Value loss = arith::DivFOp::create(
      b, loc, tensor::ExtractOp::create(b, loc, total, ValueRange{}),
      cst(static_cast<double>(B)));

  // Correct predictions: the first index of the maximum equals the label.
  auto idxT = RankedTensorType::get({B}, b.getI64Type());
  Value kConst = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(K));
  Value kEmpty =
      tensor::EmptyOp::create(b, loc, idxT.getShape(), b.getI64Type());
  Value kInit = linalg::FillOp::create(b, loc, kConst, kEmpty).getResult(0);
  Value pred =
      linalg::GenericOp::create(
          b, loc, TypeRange{idxT}, ValueRange{logits, m}, ValueRange{kInit},
          ArrayRef<AffineMap>{mIK, mI, mI}, red2,
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value kIdx = arith::IndexCastOp::create(
                nb, l, nb.getI64Type(), linalg::IndexOp::create(nb, l, 1));
            Value isMax = arith::CmpFOp::create(
                nb, l, arith::CmpFPredicate::OEQ, a[0], a[1]);
            Value first = arith::CmpIOp::create(
                nb, l, arith::CmpIPredicate::slt, kIdx, a[2]);
            Value take = arith::AndIOp::create(nb, l, isMax, first);
            linalg::YieldOp::create(
                nb, l, ValueRange{arith::SelectOp::create(nb, l, take, kIdx,
                                                          a[2])});
          })
          .getResult(0);
  auto cntT = RankedTensorType::get({}, b.getI64Type());
  Value zero64 = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0));
  Value cntEmpty =
      tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{}, b.getI64Type());
  Value cntInit = linalg::FillOp::create(b, loc, zero64, cntEmpty).getResult(0);
  AffineMap to0 = AffineMap::get(1, 0, ArrayRef<AffineExpr>{}, ctx);
  Value cnt = linalg::GenericOp::create(
                  b, loc, TypeRange{cntT}, ValueRange{pred, labels},
                  ValueRange{cntInit}, ArrayRef<AffineMap>{id1, id1, to0},
                  ArrayRef<IteratorType>{IteratorType::reduction},
                  [&](OpBuilder &nb, Location l, ValueRange a) {
                    Value hit = arith::CmpIOp::create(
                        nb, l, arith::CmpIPredicate::eq, a[0], a[1]);
                    Value one = arith::ExtUIOp::create(nb, l, nb.getI64Type(),
                                                       hit);
                    linalg::YieldOp::create(
                        nb, l,
                        ValueRange{arith::AddIOp::create(nb, l, a[2], one)});
                  })
                  .getResult(0);
  Value correct = tensor::ExtractOp::create(b, loc, cnt, ValueRange{});

  Value dz;
  if (wantGrad) {
    // d loss / d z[i,k] = (softmax(z)[i,k] - [k == label_i]) / B.
    Value invB = cst(1.0 / static_cast<double>(B));
    dz = linalg::GenericOp::create(
             b, loc, TypeRange{zT}, ValueRange{e, s, labels},
             ValueRange{tensor::EmptyOp::create(b, loc, zT.getShape(), et)},
             ArrayRef<AffineMap>{mIK, mI, mI, mIK}, par2,
             [&](OpBuilder &nb, Location l, ValueRange a) {
               Value p = arith::DivFOp::create(nb, l, a[0], a[1]);
               Value oneHot = arith::SelectOp::create(
                   nb, l, isLabel(nb, l, a[2]),
                   ::fp4::floatConstant(nb, l, a[0].getType(), 1.0),
                   ::fp4::floatConstant(nb, l, a[0].getType(), 0.0));
               Value d = arith::SubFOp::create(nb, l, p, oneHot);
               linalg::YieldOp::create(
                   nb, l, ValueRange{arith::MulFOp::create(nb, l, d, invB)});
             })
             .getResult(0);
  }
  return {loss, correct, dz};
}

struct BuildTrainingStepPass
    : ::fp4::impl::FP4BuildTrainingStepBase<BuildTrainingStepPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>("forward");
    if (!forward || forward.isExternal()) {
      module.emitError("no @forward function with a body; import a model "
                       "with `fp4-translate --import-onnx`");
      return signalPassFailure();
    }
    if (loss != "softmax-cross-entropy") {
      module.emitError("unknown loss '") << loss
                                         << "'; supported: softmax-cross-entropy";
      return signalPassFailure();
    }
    if (optimizer != "sgd") {
      module.emitError("unknown optimizer '") << optimizer
                                              << "'; supported: sgd";
      return signalPassFailure();
    }
    for (StringRef name : {"train_step", "grad_step", "eval_step"})
      if (module.lookupSymbol(name)) {
        module.emitError("the module already has @") << name;
        return signalPassFailure();
      }
    auto evalForward = module.lookupSymbol<func::FuncOp>("forward_eval");
    if (failed(checkForward(forward)) ||
        (evalForward && failed(checkForward(evalForward))))
      return signalPassFailure();

    OpBuilder b(module.getContext());
    b.setInsertionPointToEnd(module.getBody());
    if (failed(buildStep(b, forward, /*train=*/true)) ||
        failed(buildStep(b, forward, /*train=*/false)) ||
        failed(buildEval(b, evalForward ? evalForward : forward)))
      return signalPassFailure();
    // Input gradients of padded convolutions: compute only the interior the
    // pad's VJP keeps (docs/autodiff.md).
    for (StringRef name : {"train_step", "grad_step"})
      if (auto fn = module.lookupSymbol<func::FuncOp>(name))
        ::fp4::cropConvolutionInputGradients(fn);
  }

  LogicalResult checkForward(func::FuncOp f) {
    FunctionType type = f.getFunctionType();
    if (type.getNumResults() < 1)
      return f.emitError("@") << f.getSymName() << " returns no logits";
    auto logits = dyn_cast<RankedTensorType>(type.getResult(0));
    if (!logits || logits.getRank() != 2 || !logits.hasStaticShape() ||
        !isa<FloatType>(logits.getElementType()))
      return f.emitError("the first result of @")
             << f.getSymName()
             << " must be static 2-D float logits [batch, classes], got "
             << type.getResult(0);
    bool anyParam = false;
    for (unsigned i = 0; i < f.getNumArguments(); ++i) {
      StringRef role = roleOf(f, i);
      if (role != "input" && role != "param" && role != "running_mean" &&
          role != "running_var")
        return f.emitError("argument ") << i << " has unknown fp4.role '"
                                        << role << "'";
      anyParam |= role == "param";
      if (role == "param" && !::fp4::isDifferentiableType(f.getArgument(i).getType()))
        return f.emitError("parameter argument ")
               << i << " is not a float tensor";
    }
    if (!anyParam)
      return f.emitError("@") << f.getSymName()
                              << " has no argument with fp4.role = \"param\"";
    return success();
  }

  /// Arguments of @forward grouped by role, in forward order.
  struct Groups {
    SmallVector<unsigned> inputs, params, running;
  };
  Groups group(func::FuncOp f) {
    Groups g;
    for (unsigned i = 0; i < f.getNumArguments(); ++i) {
      StringRef role = roleOf(f, i);
      if (role == "input")
        g.inputs.push_back(i);
      else if (role == "param")
        g.params.push_back(i);
      else
        g.running.push_back(i);
    }
    return g;
  }

  /// @train_step (train = true) or @grad_step.
  LogicalResult buildStep(OpBuilder &b, func::FuncOp forward, bool train) {
    Location loc = forward.getLoc();
    Groups g = group(forward);
    auto logitsT = cast<RankedTensorType>(forward.getResultTypes()[0]);
    Type et = logitsT.getElementType();
    auto labelsT =
        RankedTensorType::get({logitsT.getShape()[0]}, b.getI64Type());

    Signature args, results;
    for (unsigned i : g.inputs)
      args.add(b, forward.getArgumentTypes()[i], nameOf(forward, i), "input");
    args.add(b, labelsT, "labels", "labels");
    for (unsigned i : g.params)
      args.add(b, forward.getArgumentTypes()[i], nameOf(forward, i), "param");
    for (unsigned i : g.running)
      args.add(b, forward.getArgumentTypes()[i], nameOf(forward, i),
               roleOf(forward, i));
    if (train) {
      for (unsigned i : g.params)
        args.add(b, forward.getArgumentTypes()[i], nameOf(forward, i),
                 "momentum");
      args.add(b, et, "lr", "lr");
    }
    results.add(b, et, "loss", "loss");
    results.add(b, b.getI64Type(), "correct", "correct");
    for (unsigned i : g.params)
      results.add(b, forward.getArgumentTypes()[i], nameOf(forward, i),
                  train ? "param" : "grad");
    if (train) {
      for (unsigned i : g.running)
        results.add(b, forward.getArgumentTypes()[i], nameOf(forward, i),
                    roleOf(forward, i));
      for (unsigned i : g.params)
        results.add(b, forward.getArgumentTypes()[i], nameOf(forward, i),
                    "momentum");
    }
    func::FuncOp fn = createFunction(b, loc, train ? "train_step" : "grad_step",
                                     args, results);
    if (train) {
      // The optimizer's hyper-parameters, for passes that add trainable
      // state of their own (the recipe's PACT clipping levels).
      fn->setAttr("fp4.sgd_momentum", b.getF64FloatAttr(momentum));
      fn->setAttr("fp4.sgd_weight_decay", b.getF64FloatAttr(weightDecay));
    }
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&fn.getBody().front());

    // Bind @forward's arguments to the new function's.
    SmallVector<Value> fwdArgs(forward.getNumArguments());
    unsigned next = 0;
    for (unsigned i : g.inputs)
      fwdArgs[i] = fn.getArgument(next++);
    Value labels = fn.getArgument(next++);
    for (unsigned i : g.params)
      fwdArgs[i] = fn.getArgument(next++);
    for (unsigned i : g.running)
      fwdArgs[i] = fn.getArgument(next++);
    InlinedForward fw = inlineForward(b, forward, fwdArgs);

    // Activity: values that depend on a parameter.
    llvm::DenseSet<Value> active;
    for (unsigned i : g.params)
      active.insert(fwdArgs[i]);
    for (Operation *op : fw.ops) {
      bool any = llvm::any_of(op->getOperands(),
                              [&](Value v) { return active.contains(v); });
      // Ops with regions may read active values from above.
      op->walk([&](Operation *inner) {
        for (Value v : inner->getOperands())
          any |= active.contains(v);
      });
      if (any)
        for (Value r : op->getResults())
          active.insert(r);
    }

    LossValues lv = buildSoftmaxCrossEntropy(b, loc, fw.results[0], labels,
                                             /*wantGrad=*/true);
    // Everything after the loss gradient is the backward pass (and the
    // update): the memory report counts forward values used past it.
    lv.dLogits.getDefiningOp()->setAttr("fp4.backward_start", b.getUnitAttr());
    llvm::DenseMap<Value, Value> adjoints;
    adjoints[fw.results[0]] = lv.dLogits;
    if (failed(::fp4::buildReverseSweep(
            b, fw.ops, adjoints,
            [&](Value v) { return active.contains(v); })))
      return failure();

    SmallVector<Value> outs = {lv.loss, lv.correct};
    SmallVector<Value> grads;
    for (unsigned i : g.params) {
      Value grad = adjoints.lookup(fwdArgs[i]);
      if (!grad)
        grad = ::fp4::filledTensor(
            b, loc, cast<RankedTensorType>(fwdArgs[i].getType()), 0.0);
      grads.push_back(grad);
    }
    if (!train) {
      llvm::append_range(outs, grads);
      func::ReturnOp::create(b, loc, outs);
      return success();
    }

    // Running statistics: @forward's extra results with fp4.state_of.
    DenseMap<unsigned, Value> newState;
    for (unsigned r = 1; r < forward.getNumResults(); ++r)
      if (auto of = forward.getResultAttrOfType<IntegerAttr>(r, "fp4.state_of"))
        newState[of.getInt()] = fw.results[r];

    // SGD with momentum and weight decay, one fused generic per parameter.
    Value lr = fn.getArguments().back();
    unsigned velocityBase = next;
    SmallVector<Value> newParams, newVelocities;
    for (auto [j, i] : llvm::enumerate(g.params)) {
      Value p = fwdArgs[i], v = fn.getArgument(velocityBase + j);
      auto t = cast<RankedTensorType>(p.getType());
      AffineMap id = AffineMap::getMultiDimIdentityMap(t.getRank(),
                                                       b.getContext());
      Value e1 = tensor::EmptyOp::create(b, loc, t.getShape(), et);
      Value e2 = tensor::EmptyOp::create(b, loc, t.getShape(), et);
      double mu = momentum, wd = weightDecay;
      auto upd = linalg::GenericOp::create(
          b, loc, TypeRange{t, t}, ValueRange{p, grads[j], v},
          ValueRange{e1, e2}, SmallVector<AffineMap>(5, id),
          SmallVector<IteratorType>(t.getRank(), IteratorType::parallel),
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value gr = a[1];
            if (wd != 0.0)
              gr = arith::AddFOp::create(
                  nb, l, gr,
                  arith::MulFOp::create(
                      nb, l, ::fp4::floatConstant(nb, l, et, wd), a[0]));
            Value vel = arith::AddFOp::create(
                nb, l,
                arith::MulFOp::create(
                    nb, l, ::fp4::floatConstant(nb, l, et, mu), a[2]),
                gr);
            Value np = arith::SubFOp::create(
                nb, l, a[0], arith::MulFOp::create(nb, l, lr, vel));
            linalg::YieldOp::create(nb, l, ValueRange{np, vel});
          });
      newParams.push_back(upd.getResult(0));
      newVelocities.push_back(upd.getResult(1));
    }
    llvm::append_range(outs, newParams);
    for (unsigned i : g.running)
      outs.push_back(newState.count(i) ? newState[i] : fwdArgs[i]);
    llvm::append_range(outs, newVelocities);
    func::ReturnOp::create(b, loc, outs);
    return success();
  }

  LogicalResult buildEval(OpBuilder &b, func::FuncOp forward) {
    Location loc = forward.getLoc();
    Groups g = group(forward);
    auto logitsT = cast<RankedTensorType>(forward.getResultTypes()[0]);
    auto labelsT =
        RankedTensorType::get({logitsT.getShape()[0]}, b.getI64Type());
    Signature args, results;
    for (unsigned i : g.inputs)
      args.add(b, forward.getArgumentTypes()[i], nameOf(forward, i), "input");
    args.add(b, labelsT, "labels", "labels");
    for (unsigned i : g.params)
      args.add(b, forward.getArgumentTypes()[i], nameOf(forward, i), "param");
    for (unsigned i : g.running)
      args.add(b, forward.getArgumentTypes()[i], nameOf(forward, i),
               roleOf(forward, i));
    results.add(b, logitsT.getElementType(), "loss", "loss");
    results.add(b, b.getI64Type(), "correct", "correct");
    results.add(b, logitsT, "logits", "logits");
    func::FuncOp fn = createFunction(b, loc, "eval_step", args, results);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&fn.getBody().front());
    SmallVector<Value> fwdArgs(forward.getNumArguments());
    unsigned next = 0;
    for (unsigned i : g.inputs)
      fwdArgs[i] = fn.getArgument(next++);
    Value labels = fn.getArgument(next++);
    for (unsigned i : g.params)
      fwdArgs[i] = fn.getArgument(next++);
    for (unsigned i : g.running)
      fwdArgs[i] = fn.getArgument(next++);
    InlinedForward fw = inlineForward(b, forward, fwdArgs);
    // Tag the forward GEMMs like the VJP rules do in the other steps, so the
    // recipe pass quantizes the evaluated model the same way.
    int64_t nextId = 1000000;
    for (Operation *op : fw.ops)
      if (isa<linalg::MatmulOp, linalg::Conv2DNchwFchwOp,
              linalg::Conv2DNgchwGfchwOp>(op)) {
        op->setAttr("fp4.gemm_id", b.getI64IntegerAttr(nextId++));
        op->setAttr("fp4.gemm_role", b.getStringAttr("forward"));
      }
    LossValues lv = buildSoftmaxCrossEntropy(b, loc, fw.results[0], labels,
                                             /*wantGrad=*/false);
    func::ReturnOp::create(b, loc,
                           ValueRange{lv.loss, lv.correct, fw.results[0]});
    return success();
  }
};

} // namespace
