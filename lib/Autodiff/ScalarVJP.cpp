//===- ScalarVJP.cpp - Derivative rules of scalar arith/math ops ----------===//
//
// Part of the fp4 project.
//
// Scalar rules: used inside the bodies of elementwise linalg.generic ops,
// whose VJP (LinalgVJP.cpp) re-emits the body and sweeps it in reverse. Each
// rule is one overload of `rule`; ScalarModel<Op> attaches it to the op.
//
//===----------------------------------------------------------------------===//

#include "fp4/Autodiff/Autodiff.h"
#include "fp4/Interfaces/VJPOpInterface.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using mlir::fp4::VJPOpInterface;

namespace {

struct Emitter {
  OpBuilder &b;
  Location loc;
  Value cst(Value like, double v) {
    return ::fp4::floatConstant(b, loc, like.getType(), v);
  }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value neg(Value x) { return arith::NegFOp::create(b, loc, x); }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  Value cmp(arith::CmpFPredicate p, Value x, Value y) {
    return arith::CmpFOp::create(b, loc, p, x, y);
  }
};

using Grads = SmallVectorImpl<Value>;

// d(a + b) = (dy, dy)
void rule(arith::AddFOp, Emitter &, Value dy, Grads &g) {
  g.append({dy, dy});
}
// d(a - b) = (dy, -dy)
void rule(arith::SubFOp, Emitter &e, Value dy, Grads &g) {
  g.append({dy, e.neg(dy)});
}
// d(a * b) = (dy * b, dy * a)
void rule(arith::MulFOp op, Emitter &e, Value dy, Grads &g) {
  g.append({e.mul(dy, op.getRhs()), e.mul(dy, op.getLhs())});
}
// d(a / b) = (dy / b, -dy * (a / b) / b)
void rule(arith::DivFOp op, Emitter &e, Value dy, Grads &g) {
  Value da = e.div(dy, op.getRhs());
  g.append({da, e.neg(e.mul(da, op.getResult()))});
}
void rule(arith::NegFOp, Emitter &e, Value dy, Grads &g) {
  g.push_back(e.neg(dy));
}
// max(a, b): the gradient goes to a where a > b, else to b (ReLU's
// max(x, 0) passes no gradient at x == 0, like PyTorch).
template <typename MaxOp> void maxRule(MaxOp op, Emitter &e, Value dy, Grads &g) {
  Value zero = e.cst(dy, 0.0);
  Value aWins = e.cmp(arith::CmpFPredicate::OGT, op.getLhs(), op.getRhs());
  g.append({e.select(aWins, dy, zero), e.select(aWins, zero, dy)});
}
void rule(arith::MaximumFOp op, Emitter &e, Value dy, Grads &g) {
  maxRule(op, e, dy, g);
}
void rule(arith::MaxNumFOp op, Emitter &e, Value dy, Grads &g) {
  maxRule(op, e, dy, g);
}
template <typename MinOp> void minRule(MinOp op, Emitter &e, Value dy, Grads &g) {
  Value zero = e.cst(dy, 0.0);
  Value aWins = e.cmp(arith::CmpFPredicate::OLT, op.getLhs(), op.getRhs());
  g.append({e.select(aWins, dy, zero), e.select(aWins, zero, dy)});
}
void rule(arith::MinimumFOp op, Emitter &e, Value dy, Grads &g) {
  minRule(op, e, dy, g);
}
void rule(arith::MinNumFOp op, Emitter &e, Value dy, Grads &g) {
  minRule(op, e, dy, g);
}
// select(c, a, b): (none, c ? dy : 0, c ? 0 : dy)
void rule(arith::SelectOp op, Emitter &e, Value dy, Grads &g) {
  Value zero = e.cst(dy, 0.0);
  g.append({Value(), e.select(op.getCondition(), dy, zero),
            e.select(op.getCondition(), zero, dy)});
}
void rule(arith::ExtFOp op, Emitter &e, Value dy, Grads &g) {
  g.push_back(
      arith::TruncFOp::create(e.b, e.loc, op.getIn().getType(), dy));
}
void rule(arith::TruncFOp op, Emitter &e, Value dy, Grads &g) {
  g.push_back(arith::ExtFOp::create(e.b, e.loc, op.getIn().getType(), dy));
}
// exp: dy * y
void rule(math::ExpOp op, Emitter &e, Value dy, Grads &g) {
  g.push_back(e.mul(dy, op.getResult()));
}
// log: dy / a
void rule(math::LogOp op, Emitter &e, Value dy, Grads &g) {
  g.push_back(e.div(dy, op.getOperand()));
}
// tanh: dy * (1 - y^2)
void rule(math::TanhOp op, Emitter &e, Value dy, Grads &g) {
  Value y = op.getResult();
  g.push_back(e.mul(dy, e.sub(e.cst(dy, 1.0), e.mul(y, y))));
}
// sqrt: dy / (2 y)
void rule(math::SqrtOp op, Emitter &e, Value dy, Grads &g) {
  g.push_back(e.div(dy, e.mul(e.cst(dy, 2.0), op.getResult())));
}
// rsqrt: y = a^-1/2, dy/da = -y^3 / 2
void rule(math::RsqrtOp op, Emitter &e, Value dy, Grads &g) {
  Value y = op.getResult();
  g.push_back(e.mul(dy, e.mul(e.cst(dy, -0.5), e.mul(y, e.mul(y, y)))));
}
// |a|: sign(a) dy, 0 at 0
void rule(math::AbsFOp op, Emitter &e, Value dy, Grads &g) {
  Value a = op.getOperand(), zero = e.cst(dy, 0.0);
  Value pos = e.cmp(arith::CmpFPredicate::OGT, a, zero);
  Value negv = e.cmp(arith::CmpFPredicate::OLT, a, zero);
  g.push_back(e.select(pos, dy, e.select(negv, e.neg(dy), zero)));
}

template <typename OpT>
struct ScalarModel
    : public VJPOpInterface::ExternalModel<ScalarModel<OpT>, OpT> {
  LogicalResult buildVJP(Operation *op, OpBuilder &b,
                         ArrayRef<Value> resultGrads, ArrayRef<bool> needed,
                         SmallVectorImpl<Value> &operandGrads) const {
    if (isa<ShapedType>(op->getResult(0).getType()))
      return op->emitError("derivative rules of '")
             << op->getName() << "' are defined on scalars only";
    Emitter e{b, op->getLoc()};
    rule(cast<OpT>(op), e, resultGrads[0], operandGrads);
    for (auto [grad, need] : llvm::zip_equal(operandGrads, needed))
      if (!need)
        grad = Value();
    return success();
  }
};

template <typename... Ops>
void attach(MLIRContext *ctx) {
  (Ops::template attachInterface<ScalarModel<Ops>>(*ctx), ...);
}

} // namespace

namespace fp4 {
void registerScalarVJPModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, arith::ArithDialect *) {
    attach<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
           arith::NegFOp, arith::MaximumFOp, arith::MaxNumFOp,
           arith::MinimumFOp, arith::MinNumFOp, arith::SelectOp,
           arith::ExtFOp, arith::TruncFOp>(ctx);
  });
  registry.addExtension(+[](MLIRContext *ctx, math::MathDialect *) {
    attach<math::ExpOp, math::LogOp, math::TanhOp, math::SqrtOp,
           math::RsqrtOp, math::AbsFOp>(ctx);
  });
}
} // namespace fp4
