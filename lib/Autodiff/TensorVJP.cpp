//===- TensorVJP.cpp - Derivative rules of tensor dialect ops -------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "fp4/Autodiff/Autodiff.h"
#include "fp4/Interfaces/VJPOpInterface.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using mlir::fp4::VJPOpInterface;

namespace {

RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

SmallVector<OpFoldResult> indexAttrs(OpBuilder &b, ArrayRef<int64_t> v) {
  return llvm::map_to_vector(
      v, [&](int64_t x) -> OpFoldResult { return b.getIndexAttr(x); });
}

/// pad: the cotangent of the source is the interior of dOut.
struct PadModel : public VJPOpInterface::ExternalModel<PadModel, tensor::PadOp> {
  LogicalResult buildVJP(Operation *op, OpBuilder &b,
                         ArrayRef<Value> resultGrads, ArrayRef<bool> needed,
                         SmallVectorImpl<Value> &operandGrads) const {
    auto pad = cast<tensor::PadOp>(op);
    operandGrads.assign(op->getNumOperands(), Value());
    if (!needed[0])
      return success();
    if (!pad.getLow().empty() || !pad.getHigh().empty())
      return op->emitError("reverse mode needs static tensor.pad amounts");
    auto srcT = tensorType(pad.getSource());
    SmallVector<OpFoldResult> ones(srcT.getRank(), b.getIndexAttr(1));
    operandGrads[0] = tensor::ExtractSliceOp::create(
        b, op->getLoc(), srcT, resultGrads[0],
        indexAttrs(b, pad.getStaticLow()), indexAttrs(b, srcT.getShape()),
        ones);
    return success();
  }
};

struct CollapseModel
    : public VJPOpInterface::ExternalModel<CollapseModel,
                                           tensor::CollapseShapeOp> {
  LogicalResult buildVJP(Operation *op, OpBuilder &b,
                         ArrayRef<Value> resultGrads, ArrayRef<bool> needed,
                         SmallVectorImpl<Value> &operandGrads) const {
    auto c = cast<tensor::CollapseShapeOp>(op);
    operandGrads.assign(op->getNumOperands(), Value());
    if (needed[0])
      operandGrads[0] = tensor::ExpandShapeOp::create(
          b, op->getLoc(), c.getSrcType(), resultGrads[0],
          c.getReassociationIndices());
    return success();
  }
};

struct ExpandModel
    : public VJPOpInterface::ExternalModel<ExpandModel, tensor::ExpandShapeOp> {
  LogicalResult buildVJP(Operation *op, OpBuilder &b,
                         ArrayRef<Value> resultGrads, ArrayRef<bool> needed,
                         SmallVectorImpl<Value> &operandGrads) const {
    auto e = cast<tensor::ExpandShapeOp>(op);
    operandGrads.assign(op->getNumOperands(), Value());
    if (needed[0])
      operandGrads[0] = tensor::CollapseShapeOp::create(
          b, op->getLoc(), e.getSrcType(), resultGrads[0],
          e.getReassociationIndices());
    return success();
  }
};

/// reshape (static): back through a 1-D collapse and an expand.
struct ReshapeModel
    : public VJPOpInterface::ExternalModel<ReshapeModel, tensor::ReshapeOp> {
  LogicalResult buildVJP(Operation *op, OpBuilder &b,
                         ArrayRef<Value> resultGrads, ArrayRef<bool> needed,
                         SmallVectorImpl<Value> &operandGrads) const {
    auto r = cast<tensor::ReshapeOp>(op);
    operandGrads.assign(op->getNumOperands(), Value());
    if (!needed[0])
      return success();
    Location loc = op->getLoc();
    auto srcT = tensorType(r.getSource());
    auto dT = tensorType(resultGrads[0]);
    if (!srcT.hasStaticShape() || !dT.hasStaticShape())
      return op->emitError("reverse mode needs static tensor.reshape shapes");
    auto flatT = RankedTensorType::get({srcT.getNumElements()},
                                       srcT.getElementType());
    auto all = [](int64_t rank) {
      ReassociationIndices r;
      for (int64_t i = 0; i < rank; ++i)
        r.push_back(i);
      return SmallVector<ReassociationIndices>{r};
    };
    Value flat = resultGrads[0];
    if (dT.getRank() != 1)
      flat = tensor::CollapseShapeOp::create(b, loc, flatT, flat,
                                             all(dT.getRank()));
    Value back = flat;
    if (srcT.getRank() != 1)
      back = tensor::ExpandShapeOp::create(b, loc, srcT, flat,
                                           all(srcT.getRank()));
    operandGrads[0] = back;
    return success();
  }
};

struct ConcatModel
    : public VJPOpInterface::ExternalModel<ConcatModel, tensor::ConcatOp> {
  LogicalResult buildVJP(Operation *op, OpBuilder &b,
                         ArrayRef<Value> resultGrads, ArrayRef<bool> needed,
                         SmallVectorImpl<Value> &operandGrads) const {
    auto c = cast<tensor::ConcatOp>(op);
    operandGrads.assign(op->getNumOperands(), Value());
    int64_t dim = c.getDim(), offset = 0;
    for (auto [i, input] : llvm::enumerate(c.getInputs())) {
      auto t = tensorType(input);
      if (needed[i]) {
        SmallVector<int64_t> offsets(t.getRank(), 0);
        offsets[dim] = offset;
        SmallVector<OpFoldResult> ones(t.getRank(), b.getIndexAttr(1));
        operandGrads[i] = tensor::ExtractSliceOp::create(
            b, op->getLoc(), t, resultGrads[0], indexAttrs(b, offsets),
            indexAttrs(b, t.getShape()), ones);
      }
      offset += t.getShape()[dim];
    }
    return success();
  }
};

struct ExtractSliceModel
    : public VJPOpInterface::ExternalModel<ExtractSliceModel,
                                           tensor::ExtractSliceOp> {
  LogicalResult buildVJP(Operation *op, OpBuilder &b,
                         ArrayRef<Value> resultGrads, ArrayRef<bool> needed,
                         SmallVectorImpl<Value> &operandGrads) const {
    auto s = cast<tensor::ExtractSliceOp>(op);
    operandGrads.assign(op->getNumOperands(), Value());
    if (!needed[0])
      return success();
    if (!s.getOffsets().empty() || !s.getSizes().empty() ||
        !s.getStrides().empty())
      return op->emitError("reverse mode needs a static tensor.extract_slice");
    auto srcT = tensorType(s.getSource());
    Value zeros = ::fp4::filledTensor(b, op->getLoc(), srcT, 0.0);
    Value dOut = resultGrads[0];
    // A rank-reducing slice: expand the cotangent back to the slice rank.
    auto sliceT = RankedTensorType::get(s.getStaticSizes(),
                                        srcT.getElementType());
    if (tensorType(dOut).getRank() != sliceT.getRank())
      dOut = tensor::ExpandShapeOp::create(
          b, op->getLoc(), sliceT, dOut,
          *getReassociationIndicesForReshape(tensorType(dOut), sliceT));
    operandGrads[0] = tensor::InsertSliceOp::create(
        b, op->getLoc(), dOut, zeros, s.getMixedOffsets(), s.getMixedSizes(),
        s.getMixedStrides());
    return success();
  }
};

struct CastModel
    : public VJPOpInterface::ExternalModel<CastModel, tensor::CastOp> {
  LogicalResult buildVJP(Operation *op, OpBuilder &b,
                         ArrayRef<Value> resultGrads, ArrayRef<bool> needed,
                         SmallVectorImpl<Value> &operandGrads) const {
    auto c = cast<tensor::CastOp>(op);
    operandGrads.assign(op->getNumOperands(), Value());
    if (needed[0])
      operandGrads[0] = tensor::CastOp::create(b, op->getLoc(),
                                               c.getSource().getType(),
                                               resultGrads[0]);
    return success();
  }
};

} // namespace

namespace fp4 {
void registerTensorVJPModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, tensor::TensorDialect *) {
    tensor::PadOp::attachInterface<PadModel>(*ctx);
    tensor::CollapseShapeOp::attachInterface<CollapseModel>(*ctx);
    tensor::ExpandShapeOp::attachInterface<ExpandModel>(*ctx);
    tensor::ReshapeOp::attachInterface<ReshapeModel>(*ctx);
    tensor::ConcatOp::attachInterface<ConcatModel>(*ctx);
    tensor::ExtractSliceOp::attachInterface<ExtractSliceModel>(*ctx);
    tensor::CastOp::attachInterface<CastModel>(*ctx);
  });
}
} // namespace fp4
