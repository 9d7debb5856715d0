//===- ReverseSweep.cpp - Drive VJP rules over a list of ops --------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "fp4/Autodiff/Autodiff.h"
#include "fp4/Interfaces/VJPOpInterface.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace fp4 {

bool isDifferentiableType(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return isa<FloatType>(tensor.getElementType());
  return isa<FloatType>(type);
}

Value floatConstant(OpBuilder &b, Location loc, Type type,
                         double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                        double value) {
  Value empty = tensor::EmptyOp::create(b, loc, type.getShape(),
                                        type.getElementType());
  Value v = floatConstant(b, loc, type.getElementType(), value);
  return linalg::FillOp::create(b, loc, v, empty).getResult(0);
}

Value addCotangents(OpBuilder &b, Location loc, Value x, Value y) {
  auto type = dyn_cast<RankedTensorType>(x.getType());
  if (!type)
    return arith::AddFOp::create(b, loc, x, y);
  Value empty = tensor::EmptyOp::create(b, loc, type.getShape(),
                                        type.getElementType());
  return linalg::AddOp::create(b, loc, TypeRange{type}, ValueRange{x, y},
                               ValueRange{empty})
      .getResult(0);
}

LogicalResult
buildReverseSweep(OpBuilder &b, ArrayRef<Operation *> forwardOps,
                       DenseMap<Value, Value> &adjoints,
                       function_ref<bool(Value)> isActive) {
  for (Operation *op : llvm::reverse(forwardOps)) {
    SmallVector<Value> resultGrads;
    bool anyGrad = false;
    for (Value result : op->getResults()) {
      Value g = adjoints.lookup(result);
      resultGrads.push_back(g);
      anyGrad |= static_cast<bool>(g);
    }
    if (!anyGrad)
      continue;
    SmallVector<bool> needed;
    bool anyNeeded = false;
    for (Value operand : op->getOperands()) {
      bool need = isDifferentiableType(operand.getType()) && isActive(operand);
      needed.push_back(need);
      anyNeeded |= need;
    }
    if (!anyNeeded)
      continue;
    auto vjp = dyn_cast<mlir::fp4::VJPOpInterface>(op);
    if (!vjp)
      return op->emitError("no reverse-mode derivative rule for '")
             << op->getName()
             << "'; the differentiable ops are listed in docs/autodiff.md";
    SmallVector<Value> operandGrads;
    if (failed(vjp.buildVJP(b, resultGrads, needed, operandGrads)))
      return failure();
    assert(operandGrads.size() == op->getNumOperands() &&
           "a VJP rule returns one entry per operand");
    for (auto [operand, grad, need] :
         llvm::zip_equal(op->getOperands(), operandGrads, needed)) {
      if (!grad || !need)
        continue;
      Value &slot = adjoints[operand];
      slot = slot ? addCotangents(b, op->getLoc(), slot, grad) : grad;
    }
  }
  return success();
}

} // namespace fp4
