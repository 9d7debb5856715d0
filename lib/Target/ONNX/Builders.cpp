//===- Builders.cpp - IR building helpers of the ONNX importer ------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// Every helper emits only what docs/ir-contract.md allows: elementwise
// `linalg.generic`s whose input maps are projected permutations (broadcast
// unit dimensions are dropped with `tensor.collapse_shape` first),
// `linalg.reduce` with a single `arith.addf` / `arith.maximumf`,
// `linalg.transpose`, `tensor.pad`, `tensor.collapse_shape` /
// `tensor.expand_shape`, and outputs initialized by `tensor.empty` or
// `linalg.fill` of `tensor.empty`.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <limits>

using namespace mlir;
using namespace fp4::onnx_import;

RankedTensorType fp4::onnx_import::getF32TensorType(MLIRContext *ctx,
                                                    ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, Float32Type::get(ctx));
}

ArrayRef<int64_t> fp4::onnx_import::getShapeOf(Value tensor) {
  return cast<RankedTensorType>(tensor.getType()).getShape();
}

Value fp4::onnx_import::createF32Constant(OpBuilder &b, Location loc,
                                          double value) {
  return arith::ConstantOp::create(
      b, loc, b.getF32FloatAttr(static_cast<float>(value)));
}

Value fp4::onnx_import::createEmpty(OpBuilder &b, Location loc,
                                    ArrayRef<int64_t> shape) {
  return tensor::EmptyOp::create(b, loc, shape, b.getF32Type());
}

Value fp4::onnx_import::createFilled(OpBuilder &b, Location loc,
                                     ArrayRef<int64_t> shape, double value) {
  Value empty = createEmpty(b, loc, shape);
  Value scalar = createF32Constant(b, loc, value);
  return linalg::FillOp::create(b, loc, ValueRange{scalar}, ValueRange{empty})
      .getResult(0);
}

std::optional<SmallVector<int64_t, 4>>
fp4::onnx_import::broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t, 4> result(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == db || db == 1)
      result[i] = da;
    else if (da == 1)
      result[i] = db;
    else
      return std::nullopt;
  }
  return result;
}

/// Drops the dimensions of `value` whose `keep` entry is false (all of
/// size 1) with one `tensor.collapse_shape`.
static Value dropUnitDims(OpBuilder &b, Location loc, Value value,
                          ArrayRef<bool> keep) {
  ArrayRef<int64_t> shape = getShapeOf(value);
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  SmallVector<int64_t> resultShape;
  for (int64_t i = 0, e = shape.size(); i < e; ++i) {
    pending.push_back(i);
    if (keep[i]) {
      groups.push_back(pending);
      pending.clear();
      resultShape.push_back(shape[i]);
    }
  }
  if (!pending.empty() && !groups.empty())
    groups.back().append(pending.begin(), pending.end());
  return tensor::CollapseShapeOp::create(
      b, loc, getF32TensorType(b.getContext(), resultShape), value, groups);
}

Value fp4::onnx_import::createElementwiseWithDims(
    OpBuilder &b, Location loc, ValueRange inputs,
    ArrayRef<SmallVector<int64_t, 4>> inputDims, ArrayRef<int64_t> outShape,
    BodyBuilder body) {
  MLIRContext *ctx = b.getContext();
  unsigned rank = outShape.size();
  SmallVector<AffineMap> maps;
  for (const SmallVector<int64_t, 4> &dims : inputDims) {
    SmallVector<AffineExpr> exprs;
    for (int64_t d : dims)
      exprs.push_back(getAffineDimExpr(d, ctx));
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Value init = createEmpty(b, loc, outShape);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value result = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, result);
      });
  return generic.getResult(0);
}

Value fp4::onnx_import::createElementwise(OpBuilder &b, Location loc,
                                          ValueRange inputs,
                                          ArrayRef<int64_t> outShape,
                                          BodyBuilder body) {
  SmallVector<Value> operands;
  SmallVector<SmallVector<int64_t, 4>> dims;
  int64_t rank = outShape.size();
  for (Value input : inputs) {
    ArrayRef<int64_t> shape = getShapeOf(input);
    int64_t offset = rank - static_cast<int64_t>(shape.size());
    assert(offset >= 0 && "input rank exceeds the output rank");
    SmallVector<bool> keep;
    SmallVector<int64_t, 4> inputDims;
    bool dropsAny = false;
    for (int64_t i = 0, e = shape.size(); i < e; ++i) {
      bool kept = shape[i] == outShape[offset + i];
      assert((kept || shape[i] == 1) && "not a broadcast");
      keep.push_back(kept);
      dropsAny |= !kept;
      if (kept)
        inputDims.push_back(offset + i);
    }
    operands.push_back(dropsAny ? dropUnitDims(b, loc, input, keep) : input);
    dims.push_back(std::move(inputDims));
  }
  return createElementwiseWithDims(b, loc, operands, dims, outShape, body);
}

Value fp4::onnx_import::createReduce(OpBuilder &b, Location loc, Value input,
                                     ArrayRef<int64_t> dims, bool isMax) {
  ArrayRef<int64_t> shape = getShapeOf(input);
  SmallVector<int64_t> resultShape;
  for (int64_t i = 0, e = shape.size(); i < e; ++i)
    if (!llvm::is_contained(dims, i))
      resultShape.push_back(shape[i]);
  double initValue = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
  Value init = createFilled(b, loc, resultShape, initValue);
  SmallVector<int64_t> sortedDims(dims.begin(), dims.end());
  llvm::sort(sortedDims);
  auto reduce = linalg::ReduceOp::create(
      b, loc, ValueRange{input}, ValueRange{init}, sortedDims,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value result =
            isMax
                ? arith::MaximumFOp::create(nb, nloc, args[0], args[1])
                      .getResult()
                : arith::AddFOp::create(nb, nloc, args[0], args[1]).getResult();
        linalg::YieldOp::create(nb, nloc, result);
      });
  return reduce.getResult(0);
}

Value fp4::onnx_import::createReshape(OpBuilder &b, Location loc, Value input,
                                      ArrayRef<int64_t> shape) {
  ArrayRef<int64_t> source = getShapeOf(input);
  if (source == shape)
    return input;
  MLIRContext *ctx = b.getContext();
  RankedTensorType resultType = getF32TensorType(ctx, shape);
  RankedTensorType sourceType = cast<RankedTensorType>(input.getType());
  // Rank 0 on either side: the other side has only unit dimensions.
  if (shape.empty())
    return tensor::CollapseShapeOp::create(b, loc, resultType, input,
                                           ArrayRef<ReassociationIndices>{});
  if (source.empty())
    return tensor::ExpandShapeOp::create(b, loc, resultType, input,
                                         ArrayRef<ReassociationIndices>{});
  bool hasZero = llvm::is_contained(source, 0) || llvm::is_contained(shape, 0);
  if (!hasZero && source.size() != shape.size()) {
    std::optional<SmallVector<ReassociationIndices>> reassociation =
        getReassociationIndicesForReshape(sourceType, resultType);
    if (reassociation) {
      if (source.size() > shape.size())
        return tensor::CollapseShapeOp::create(b, loc, resultType, input,
                                               *reassociation);
      return tensor::ExpandShapeOp::create(b, loc, resultType, input,
                                           *reassociation);
    }
  }
  // Through 1-D.
  int64_t numElements = 1;
  for (int64_t d : source)
    numElements *= d;
  ReassociationIndices all;
  for (int64_t i = 0, e = source.size(); i < e; ++i)
    all.push_back(i);
  Value flat = input;
  if (source.size() != 1)
    flat = tensor::CollapseShapeOp::create(
        b, loc, getF32TensorType(ctx, {numElements}), input,
        ArrayRef<ReassociationIndices>{all});
  if (shape.size() == 1)
    return flat;
  ReassociationIndices allOut;
  for (int64_t i = 0, e = shape.size(); i < e; ++i)
    allOut.push_back(i);
  return tensor::ExpandShapeOp::create(b, loc, resultType, flat,
                                       ArrayRef<ReassociationIndices>{allOut});
}

Value fp4::onnx_import::createPad(OpBuilder &b, Location loc, Value input,
                                  ArrayRef<int64_t> low, ArrayRef<int64_t> high,
                                  double padValue) {
  if (llvm::all_of(low, [](int64_t v) { return v == 0; }) &&
      llvm::all_of(high, [](int64_t v) { return v == 0; }))
    return input;
  ArrayRef<int64_t> shape = getShapeOf(input);
  SmallVector<int64_t> resultShape;
  SmallVector<OpFoldResult> lowAttrs, highAttrs;
  for (size_t i = 0; i < shape.size(); ++i) {
    resultShape.push_back(shape[i] + low[i] + high[i]);
    lowAttrs.push_back(b.getIndexAttr(low[i]));
    highAttrs.push_back(b.getIndexAttr(high[i]));
  }
  Value value = createF32Constant(b, loc, padValue);
  return tensor::PadOp::create(b, loc,
                               getF32TensorType(b.getContext(), resultShape),
                               input, lowAttrs, highAttrs, value);
}

Value fp4::onnx_import::createTranspose(OpBuilder &b, Location loc, Value input,
                                        ArrayRef<int64_t> perm) {
  ArrayRef<int64_t> shape = getShapeOf(input);
  SmallVector<int64_t> resultShape;
  for (int64_t p : perm)
    resultShape.push_back(shape[p]);
  Value init = createEmpty(b, loc, resultShape);
  return linalg::TransposeOp::create(b, loc, input, init, perm).getResult()[0];
}

Value fp4::onnx_import::createDenseConstant(OpBuilder &b, Location loc,
                                            const HostTensor &value,
                                            bool asFloat) {
  MLIRContext *ctx = b.getContext();
  int64_t n = value.getNumElements();
  bool splat = n > 0;
  for (int64_t i = 1; i < n && splat; ++i)
    splat = value.getDouble(i) == value.getDouble(0) &&
            value.getInt(i) == value.getInt(0);
  DenseElementsAttr attr;
  if (asFloat) {
    auto type = RankedTensorType::get(value.shape, Float32Type::get(ctx));
    if (splat) {
      attr =
          DenseElementsAttr::get(type, static_cast<float>(value.getDouble(0)));
    } else {
      SmallVector<float> data;
      for (int64_t i = 0; i < n; ++i)
        data.push_back(static_cast<float>(value.getDouble(i)));
      attr = DenseElementsAttr::get(type, ArrayRef<float>(data));
    }
  } else {
    unsigned width =
        value.elemType == onnx::TensorProto_DataType_INT32 ? 32 : 64;
    auto type =
        RankedTensorType::get(value.shape, IntegerType::get(ctx, width));
    if (splat) {
      attr = DenseElementsAttr::get(type, APInt(width, value.getInt(0),
                                                /*isSigned=*/true));
    } else {
      SmallVector<APInt> data;
      for (int64_t i = 0; i < n; ++i)
        data.push_back(APInt(width, value.getInt(i), /*isSigned=*/true));
      attr = DenseElementsAttr::get(type, data);
    }
  }
  return arith::ConstantOp::create(b, loc, attr);
}
