//===- Operators.cpp - ONNX operators of the importer ---------------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// One handler per operator (and one folder for the operators fp4 computes on
// the host when their inputs are known), and the operator table that maps
// each operator type and schema version to them. docs/onnx.md documents
// every row; docs/ir-contract.md says which MLIR ops each may emit.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace fp4;
using namespace fp4::onnx_import;
using llvm::StringRef;
using llvm::Twine;

//===----------------------------------------------------------------------===//
// Utilities
//===----------------------------------------------------------------------===//

static int64_t product(ArrayRef<int64_t> values) {
  int64_t n = 1;
  for (int64_t v : values)
    n *= v;
  return n;
}

/// Normalizes a possibly negative `axis` into [0, rank).
static FailureOr<int64_t> normalizeAxis(NodeImporter &n, int64_t axis,
                                        int64_t rank, StringRef what = "axis") {
  int64_t normalized = axis < 0 ? axis + rank : axis;
  if (normalized < 0 || normalized >= rank)
    return n.error(what + " " + Twine(axis) + " is out of range for rank " +
                   Twine(rank));
  return normalized;
}

static SmallVector<int64_t, 4> toVector(const HostTensor &t) {
  SmallVector<int64_t, 4> result;
  for (int64_t i = 0, e = t.getNumElements(); i < e; ++i)
    result.push_back(t.getInt(i));
  return result;
}

/// Row-major strides of `shape`.
static SmallVector<int64_t, 4> getStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t, 4> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// Index of the element of a tensor of `shape` that the output index
/// `outIndex` (of a broadcast result of rank >= shape.size()) reads.
static int64_t broadcastIndex(ArrayRef<int64_t> outIndex,
                              ArrayRef<int64_t> shape,
                              ArrayRef<int64_t> strides) {
  int64_t offset = outIndex.size() - shape.size();
  int64_t index = 0;
  for (size_t i = 0; i < shape.size(); ++i)
    index += (shape[i] == 1 ? 0 : outIndex[offset + i]) * strides[i];
  return index;
}

/// Calls `fn(linearIndex, multiIndex)` for every element of `shape`.
static void
forEachIndex(ArrayRef<int64_t> shape,
             llvm::function_ref<void(int64_t, ArrayRef<int64_t>)> fn) {
  int64_t n = product(shape);
  SmallVector<int64_t, 4> index(shape.size(), 0);
  for (int64_t linear = 0; linear < n; ++linear) {
    fn(linear, index);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
}

/// Checks that a value computed on the host stays small.
static LogicalResult checkFoldSize(NodeImporter &n, ArrayRef<int64_t> shape) {
  if (countElements(shape) <= kMaxFoldedElements)
    return success();
  return n.error("the result " + formatShape(shape) +
                 " is too large to compute at import time (2^24 elements)");
}

/// A host tensor of the same type as `like` with new values.
static HostTensor withShape(const HostTensor &t, ArrayRef<int64_t> shape) {
  HostTensor result = t;
  result.shape.assign(shape.begin(), shape.end());
  return result;
}

//===----------------------------------------------------------------------===//
// Elementwise operators
//===----------------------------------------------------------------------===//

using ScalarFn = llvm::function_ref<Value(OpBuilder &, Location, ValueRange)>;

static LogicalResult importUnary(NodeImporter &n, ScalarFn fn) {
  FailureOr<Value> x = n.getTensor(0);
  if (failed(x))
    return failure();
  n.setTensor(0, createElementwise(n.getBuilder(), n.getLoc(), {*x},
                                   getShapeOf(*x), fn));
  return success();
}

static LogicalResult importRelu(NodeImporter &n) {
  return importUnary(n, [](OpBuilder &b, Location loc, ValueRange args) {
    Value zero = createF32Constant(b, loc, 0.0);
    return arith::MaximumFOp::create(b, loc, args[0], zero).getResult();
  });
}

static LogicalResult importLeakyRelu(NodeImporter &n) {
  float alpha = n.getFloat("alpha", 0.01f);
  return importUnary(n, [&](OpBuilder &b, Location loc, ValueRange args) {
    Value zero = createF32Constant(b, loc, 0.0);
    Value a = createF32Constant(b, loc, alpha);
    Value positive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, args[0], zero);
    Value scaled = arith::MulFOp::create(b, loc, args[0], a);
    return arith::SelectOp::create(b, loc, positive, args[0], scaled)
        .getResult();
  });
}

static LogicalResult importSigmoid(NodeImporter &n) {
  return importUnary(n, [](OpBuilder &b, Location loc, ValueRange args) {
    Value one = createF32Constant(b, loc, 1.0);
    Value negated = arith::NegFOp::create(b, loc, args[0]);
    Value exp = math::ExpOp::create(b, loc, negated);
    Value denominator = arith::AddFOp::create(b, loc, one, exp);
    return arith::DivFOp::create(b, loc, one, denominator).getResult();
  });
}

static LogicalResult importTanh(NodeImporter &n) {
  return importUnary(n, [](OpBuilder &b, Location loc, ValueRange args) {
    return math::TanhOp::create(b, loc, args[0]).getResult();
  });
}

enum class BinaryKind { Add, Sub, Mul, Div };

static BinaryKind getBinaryKind(StringRef opType) {
  if (opType == "Add")
    return BinaryKind::Add;
  if (opType == "Sub")
    return BinaryKind::Sub;
  if (opType == "Mul")
    return BinaryKind::Mul;
  return BinaryKind::Div;
}

static LogicalResult importBinary(NodeImporter &n) {
  BinaryKind kind = getBinaryKind(n.getOpType());
  FailureOr<Value> lhs = n.getTensor(0);
  if (failed(lhs))
    return failure();
  FailureOr<Value> rhs = n.getTensor(1);
  if (failed(rhs))
    return failure();
  std::optional<SmallVector<int64_t, 4>> shape =
      broadcastShapes(getShapeOf(*lhs), getShapeOf(*rhs));
  if (!shape)
    return n.error("the shapes " + formatShape(getShapeOf(*lhs)) + " and " +
                   formatShape(getShapeOf(*rhs)) + " do not broadcast");
  n.setTensor(0, createElementwise(
                     n.getBuilder(), n.getLoc(), {*lhs, *rhs}, *shape,
                     [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
                       switch (kind) {
                       case BinaryKind::Add:
                         return arith::AddFOp::create(b, loc, args[0], args[1]);
                       case BinaryKind::Sub:
                         return arith::SubFOp::create(b, loc, args[0], args[1]);
                       case BinaryKind::Mul:
                         return arith::MulFOp::create(b, loc, args[0], args[1]);
                       case BinaryKind::Div:
                         return arith::DivFOp::create(b, loc, args[0], args[1]);
                       }
                       llvm_unreachable("unknown binary kind");
                     }));
  return success();
}

/// Add, Sub, Mul, Div on known values (shape arithmetic).
static LogicalResult foldBinary(NodeImporter &n) {
  BinaryKind kind = getBinaryKind(n.getOpType());
  const HostTensor &a = *n.getKnown(0), &b = *n.getKnown(1);
  std::optional<SmallVector<int64_t, 4>> shape =
      broadcastShapes(a.shape, b.shape);
  if (!shape)
    return n.error("the shapes " + formatShape(a.shape) + " and " +
                   formatShape(b.shape) + " do not broadcast");
  if (failed(checkFoldSize(n, *shape)))
    return failure();
  if (a.elemType != b.elemType)
    return n.error("the operands have different element types");
  if (a.elemType != onnx::TensorProto_DataType_INT64 &&
      a.elemType != onnx::TensorProto_DataType_INT32 &&
      a.elemType != onnx::TensorProto_DataType_FLOAT &&
      a.elemType != onnx::TensorProto_DataType_DOUBLE)
    return n.error(n.getOpType() + " on " + getElementTypeName(a.elemType) +
                   " values is not supported (fp4 folds INT64, INT32, FLOAT "
                   "and DOUBLE arithmetic on known values)");
  HostTensor result;
  result.elemType = a.elemType;
  result.shape = *shape;
  SmallVector<int64_t, 4> sa = getStrides(a.shape), sb = getStrides(b.shape);
  bool isFloat = a.isFloat();
  bool divByZero = false;
  forEachIndex(*shape, [&](int64_t, ArrayRef<int64_t> index) {
    int64_t ia = broadcastIndex(index, a.shape, sa);
    int64_t ib = broadcastIndex(index, b.shape, sb);
    if (isFloat) {
      double x = a.getDouble(ia), y = b.getDouble(ib);
      double r = kind == BinaryKind::Add   ? x + y
                 : kind == BinaryKind::Sub ? x - y
                 : kind == BinaryKind::Mul ? x * y
                                           : x / y;
      if (a.elemType == onnx::TensorProto_DataType_FLOAT)
        r = static_cast<float>(r);
      result.floats.push_back(r);
    } else {
      int64_t x = a.getInt(ia), y = b.getInt(ib);
      int64_t r = 0;
      switch (kind) {
      case BinaryKind::Add: // Wraps around like ONNX Runtime's int64.
        r = static_cast<int64_t>(static_cast<uint64_t>(x) +
                                 static_cast<uint64_t>(y));
        break;
      case BinaryKind::Sub: // Wraps around like ONNX Runtime's int64.
        r = static_cast<int64_t>(static_cast<uint64_t>(x) -
                                 static_cast<uint64_t>(y));
        break;
      case BinaryKind::Mul: // Wraps around like ONNX Runtime's int64.
        r = static_cast<int64_t>(static_cast<uint64_t>(x) *
                                 static_cast<uint64_t>(y));
        break;
      case BinaryKind::Div:
        if (y == 0)
          divByZero = true;
        else if (y == -1)
          r = static_cast<int64_t>(0 - static_cast<uint64_t>(x));
        else
          r = x / y;
        break;
      }
      result.ints.push_back(r);
    }
  });
  if (divByZero)
    return n.error("integer division by zero in a shape computation");
  n.setHost(0, std::move(result));
  return success();
}

//===----------------------------------------------------------------------===//
// MatMul, Gemm
//===----------------------------------------------------------------------===//

/// `linalg.matmul` of two 2-D tensors into a zero-filled output.
static Value createMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  int64_t m = getShapeOf(lhs)[0], k = getShapeOf(rhs)[1];
  Value init = createFilled(b, loc, {m, k}, 0.0);
  return linalg::MatmulOp::create(b, loc, TypeRange{init.getType()},
                                  ValueRange{lhs, rhs}, ValueRange{init})
      .getResult(0);
}

/// Broadcasts `value` to `shape` with an elementwise copy (identity if the
/// shapes are equal).
static Value broadcastTo(OpBuilder &b, Location loc, Value value,
                         ArrayRef<int64_t> shape) {
  if (getShapeOf(value) == shape)
    return value;
  return createElementwise(
      b, loc, {value}, shape,
      [](OpBuilder &, Location, ValueRange args) { return args[0]; });
}

static LogicalResult importMatMul(NodeImporter &n) {
  OpBuilder &b = n.getBuilder();
  Location loc = n.getLoc();
  FailureOr<Value> lhsOr = n.getTensor(0), rhsOr = failure();
  if (failed(lhsOr) || failed(rhsOr = n.getTensor(1)))
    return failure();
  Value lhs = *lhsOr, rhs = *rhsOr;
  SmallVector<int64_t, 4> a(getShapeOf(lhs)), c(getShapeOf(rhs));
  if (a.empty() || c.empty())
    return n.error("MatMul operands must have rank >= 1");
  // 1-D operands are promoted to matrices and the unit dimension removed.
  bool lhsVector = a.size() == 1, rhsVector = c.size() == 1;
  if (lhsVector) {
    a.insert(a.begin(), 1);
    lhs = createReshape(b, loc, lhs, a);
  }
  if (rhsVector) {
    c.push_back(1);
    rhs = createReshape(b, loc, rhs, c);
  }
  int64_t m = a[a.size() - 2], k = a.back(), k2 = c[c.size() - 2],
          cols = c.back();
  if (k != k2)
    return n.error("the inner dimensions of " + formatShape(a) + " and " +
                   formatShape(c) + " differ");
  ArrayRef<int64_t> batchA = ArrayRef<int64_t>(a).drop_back(2);
  ArrayRef<int64_t> batchC = ArrayRef<int64_t>(c).drop_back(2);
  std::optional<SmallVector<int64_t, 4>> batch =
      broadcastShapes(batchA, batchC);
  if (!batch)
    return n.error("the batch dimensions of " + formatShape(a) + " and " +
                   formatShape(c) + " do not broadcast");

  Value result;
  SmallVector<int64_t, 4> resultShape(*batch);
  resultShape.push_back(m);
  resultShape.push_back(cols);
  if (batch->empty()) {
    result = createMatmul(b, loc, lhs, rhs);
  } else if (c.size() == 2) {
    // A stack of matrices times one matrix: one 2-D product.
    int64_t rows = product(batchA) * m;
    Value flat = createReshape(b, loc, lhs, {rows, k});
    result =
        createReshape(b, loc, createMatmul(b, loc, flat, rhs), resultShape);
  } else {
    int64_t numBatches = product(*batch);
    SmallVector<int64_t, 4> fullA(*batch), fullC(*batch);
    fullA.append({m, k});
    fullC.append({k, cols});
    Value lhs3 = createReshape(b, loc, broadcastTo(b, loc, lhs, fullA),
                               {numBatches, m, k});
    Value rhs3 = createReshape(b, loc, broadcastTo(b, loc, rhs, fullC),
                               {numBatches, k, cols});
    Value init = createFilled(b, loc, {numBatches, m, cols}, 0.0);
    Value product3 =
        linalg::BatchMatmulOp::create(b, loc, TypeRange{init.getType()},
                                      ValueRange{lhs3, rhs3}, ValueRange{init})
            .getResult(0);
    result = createReshape(b, loc, product3, resultShape);
  }
  // Remove the promoted unit dimensions.
  SmallVector<int64_t, 4> finalShape(*batch);
  if (!lhsVector)
    finalShape.push_back(m);
  if (!rhsVector)
    finalShape.push_back(cols);
  n.setTensor(0, createReshape(b, loc, result, finalShape));
  return success();
}

static LogicalResult importGemm(NodeImporter &n) {
  OpBuilder &b = n.getBuilder();
  Location loc = n.getLoc();
  FailureOr<Value> aOr = n.getTensor(0), bOr = failure();
  if (failed(aOr) || failed(bOr = n.getTensor(1)))
    return failure();
  Value a = *aOr, bm = *bOr;
  if (getShapeOf(a).size() != 2 || getShapeOf(bm).size() != 2)
    return n.error("Gemm operands must be matrices, not " +
                   formatShape(getShapeOf(a)) + " and " +
                   formatShape(getShapeOf(bm)));
  float alpha = n.getFloat("alpha", 1.0f), beta = n.getFloat("beta", 1.0f);
  if (n.getInt("transA", 0))
    a = createTranspose(b, loc, a, {1, 0});
  if (n.getInt("transB", 0))
    bm = createTranspose(b, loc, bm, {1, 0});
  if (getShapeOf(a)[1] != getShapeOf(bm)[0])
    return n.error("the inner dimensions of " + formatShape(getShapeOf(a)) +
                   " and " + formatShape(getShapeOf(bm)) +
                   " (after transA/transB) differ");
  Value y = createMatmul(b, loc, a, bm);
  SmallVector<int64_t, 4> shape(getShapeOf(y));
  Value c;
  if (n.hasInput(2) && beta != 0.0f) {
    FailureOr<Value> cOr = n.getTensor(2);
    if (failed(cOr))
      return failure();
    c = *cOr;
    std::optional<SmallVector<int64_t, 4>> bshape =
        broadcastShapes(shape, getShapeOf(c));
    if (!bshape || *bshape != shape)
      return n.error("C of shape " + formatShape(getShapeOf(c)) +
                     " does not broadcast to the result " + formatShape(shape));
  }
  if (c) {
    y = createElementwise(
        b, loc, {y, c}, shape, [&](OpBuilder &nb, Location l, ValueRange args) {
          Value prod = args[0], bias = args[1];
          if (alpha != 1.0f)
            prod = arith::MulFOp::create(nb, l, prod,
                                         createF32Constant(nb, l, alpha));
          if (beta != 1.0f)
            bias = arith::MulFOp::create(nb, l, bias,
                                         createF32Constant(nb, l, beta));
          return arith::AddFOp::create(nb, l, prod, bias).getResult();
        });
  } else if (alpha != 1.0f) {
    y = createElementwise(
        b, loc, {y}, shape, [&](OpBuilder &nb, Location l, ValueRange args) {
          return arith::MulFOp::create(nb, l, args[0],
                                       createF32Constant(nb, l, alpha))
              .getResult();
        });
  }
  n.setTensor(0, y);
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

namespace {
/// The geometry of a convolution or pooling window along the spatial
/// dimensions (1 or 2 of them).
struct Window {
  SmallVector<int64_t, 2> input, kernel, strides, dilations, padBegin, padEnd,
      output;
  /// Extra end padding so that ceil_mode windows fit.
  SmallVector<int64_t, 2> extraEnd;
};
} // namespace

/// Computes pads and output sizes from the attributes (auto_pad, pads,
/// strides, dilations, ceil_mode).
static FailureOr<Window> computeWindow(NodeImporter &n,
                                       ArrayRef<int64_t> inputSpatial,
                                       ArrayRef<int64_t> kernel,
                                       bool allowCeil) {
  size_t rank = inputSpatial.size();
  Window w;
  w.input.assign(inputSpatial.begin(), inputSpatial.end());
  w.kernel.assign(kernel.begin(), kernel.end());
  auto get = [&](StringRef name, size_t size,
                 int64_t defaultValue) -> FailureOr<SmallVector<int64_t, 2>> {
    std::optional<SmallVector<int64_t, 4>> values = n.getInts(name);
    if (!values)
      return SmallVector<int64_t, 2>(size, defaultValue);
    if (values->size() != size)
      return n.error("attribute '" + name + "' has " + Twine(values->size()) +
                     " values, expected " + Twine(size));
    return SmallVector<int64_t, 2>(values->begin(), values->end());
  };
  FailureOr<SmallVector<int64_t, 2>> strides = get("strides", rank, 1);
  FailureOr<SmallVector<int64_t, 2>> dilations = get("dilations", rank, 1);
  FailureOr<SmallVector<int64_t, 2>> pads = get("pads", 2 * rank, 0);
  if (failed(strides) || failed(dilations) || failed(pads))
    return failure();
  w.strides = *strides;
  w.dilations = *dilations;
  constexpr int64_t kMaxAttr = int64_t(1) << 31;
  for (size_t i = 0; i < rank; ++i) {
    if (w.strides[i] <= 0 || w.dilations[i] <= 0 || w.kernel[i] <= 0)
      return n.error("strides, dilations and kernel sizes must be positive");
    if (w.strides[i] > kMaxAttr || w.dilations[i] > kMaxAttr ||
        w.kernel[i] > kMaxAttr || std::abs((*pads)[i]) > kMaxAttr ||
        std::abs((*pads)[i + rank]) > kMaxAttr)
      return n.error("strides, dilations, kernel sizes and pads must be "
                     "below 2^31");
  }
  std::string autoPad = n.getString("auto_pad", "NOTSET");
  bool ceilMode = allowCeil && n.getInt("ceil_mode", 0) != 0;
  if (ceilMode)
    n.skipShapeCheck = true;
  for (size_t i = 0; i < rank; ++i) {
    int64_t in = w.input[i], s = w.strides[i];
    int64_t effective = (w.kernel[i] - 1) * w.dilations[i] + 1;
    int64_t begin = 0, end = 0, out = 0;
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      out = (in + s - 1) / s;
      int64_t total = std::max<int64_t>(0, (out - 1) * s + effective - in);
      if (autoPad == "SAME_UPPER") {
        begin = total / 2;
        end = total - begin;
      } else {
        end = total / 2;
        begin = total - end;
      }
    } else if (autoPad == "VALID") {
      out = in >= effective ? (in - effective) / s + 1 : 0;
    } else if (autoPad == "NOTSET" || autoPad.empty()) {
      begin = (*pads)[i];
      end = (*pads)[i + rank];
      if (begin < 0 || end < 0)
        return n.error("negative pads are not supported");
      int64_t span = in + begin + end - effective;
      if (span < 0)
        out = 0;
      else if (ceilMode) {
        out = (span + s - 1) / s + 1;
        // The last window must start inside the input or the begin padding
        // (PyTorch; ONNX since 1.16).
        if ((out - 1) * s >= in + begin)
          --out;
      } else {
        out = span / s + 1;
      }
    } else {
      return n.error("unknown auto_pad '" + autoPad + "'");
    }
    if (out <= 0)
      return n.error("the window (kernel " + formatShape(kernel) +
                     ") does not fit the input " + formatShape(inputSpatial));
    w.padBegin.push_back(begin);
    w.padEnd.push_back(end);
    w.output.push_back(out);
    w.extraEnd.push_back(
        std::max<int64_t>(0, (out - 1) * s + effective - (in + begin + end)));
  }
  return w;
}

/// Checks that the padded input and the output of a window problem (2-D)
/// stay within kMaxElements.
static LogicalResult checkWindowSize(NodeImporter &n, const Window &w,
                                     int64_t batch, int64_t channels) {
  SmallVector<int64_t, 4> padded = {batch, channels},
                          output = {batch, channels};
  for (size_t d = 0; d < w.input.size(); ++d) {
    padded.push_back(w.input[d] + w.padBegin[d] + w.padEnd[d] + w.extraEnd[d]);
    output.push_back(w.output[d]);
  }
  if (countElements(padded) > kMaxElements ||
      countElements(output) > kMaxElements)
    return n.error("the padded input " + formatShape(padded) + " or output " +
                   formatShape(output) +
                   " has more elements than fp4 supports (2^31)");
  return success();
}

/// Makes a 1-D (N, C, W) window problem 2-D (N, C, 1, W).
static void promoteWindowTo2D(Window &w) {
  w.input.insert(w.input.begin(), 1);
  w.kernel.insert(w.kernel.begin(), 1);
  w.strides.insert(w.strides.begin(), 1);
  w.dilations.insert(w.dilations.begin(), 1);
  w.padBegin.insert(w.padBegin.begin(), 0);
  w.padEnd.insert(w.padEnd.begin(), 0);
  w.output.insert(w.output.begin(), 1);
  w.extraEnd.insert(w.extraEnd.begin(), 0);
}

/// Inserts a unit dimension at position 2 of an NCW tensor.
static Value promoteTo2D(OpBuilder &b, Location loc, Value v) {
  SmallVector<int64_t, 4> shape(getShapeOf(v));
  shape.insert(shape.begin() + 2, 1);
  return createReshape(b, loc, v, shape);
}

static LogicalResult checkSpatialRank(NodeImporter &n, int64_t rank) {
  if (rank == 3 || rank == 4)
    return success();
  if (rank == 5)
    return n.error("3-D " + n.getOpType() +
                   " is not supported (fp4 supports 1-D and 2-D)");
  return n.error("the input must have rank 3 or 4 (N, C, spatial...), not " +
                 Twine(rank));
}

static LogicalResult importConv(NodeImporter &n) {
  OpBuilder &b = n.getBuilder();
  Location loc = n.getLoc();
  FailureOr<Value> xOr = n.getTensor(0), wOr = failure();
  if (failed(xOr) || failed(wOr = n.getTensor(1)))
    return failure();
  Value x = *xOr, weight = *wOr;
  SmallVector<int64_t, 4> xs(getShapeOf(x)), ws(getShapeOf(weight));
  if (failed(checkSpatialRank(n, xs.size())))
    return failure();
  if (ws.size() != xs.size())
    return n.error("the weight has rank " + Twine(ws.size()) +
                   " but the input has rank " + Twine(xs.size()));
  int64_t group = n.getInt("group", 1);
  int64_t channels = xs[1], filters = ws[0];
  if (group <= 0 || channels % group != 0 || filters % group != 0 ||
      ws[1] * group != channels)
    return n.error("group " + Twine(group) + " does not fit input channels " +
                   Twine(channels) + " and weight " + formatShape(ws));
  SmallVector<int64_t, 2> kernel(ws.begin() + 2, ws.end());
  if (std::optional<SmallVector<int64_t, 4>> ks = n.getInts("kernel_shape"))
    if (ArrayRef<int64_t>(*ks) != ArrayRef<int64_t>(kernel))
      return n.error("kernel_shape " + formatShape(*ks) +
                     " does not match the weight " + formatShape(ws));
  FailureOr<Window> wOpt = computeWindow(n, ArrayRef<int64_t>(xs).drop_front(2),
                                         kernel, /*allowCeil=*/false);
  if (failed(wOpt))
    return failure();
  Window w = *wOpt;
  bool is1D = xs.size() == 3;
  if (is1D) {
    promoteWindowTo2D(w);
    x = promoteTo2D(b, loc, x);
    weight = promoteTo2D(b, loc, weight);
  }
  int64_t batch = xs[0];
  if (failed(checkWindowSize(n, w, batch, std::max(channels, filters))))
    return failure();
  Value padded = createPad(b, loc, x, {0, 0, w.padBegin[0], w.padBegin[1]},
                           {0, 0, w.padEnd[0], w.padEnd[1]}, 0.0);
  auto strides = b.getI64TensorAttr(w.strides);
  auto dilations = b.getI64TensorAttr(w.dilations);
  Value y;
  SmallVector<int64_t, 4> outShape = {batch, filters, w.output[0], w.output[1]};
  if (group == 1) {
    Value init = createFilled(b, loc, outShape, 0.0);
    y = linalg::Conv2DNchwFchwOp::create(b, loc, TypeRange{init.getType()},
                                         ValueRange{padded, weight},
                                         ValueRange{init}, strides, dilations)
            .getResult(0);
  } else {
    ArrayRef<int64_t> ps = getShapeOf(padded);
    int64_t perGroupIn = channels / group, perGroupOut = filters / group;
    Value xg =
        createReshape(b, loc, padded, {batch, group, perGroupIn, ps[2], ps[3]});
    ArrayRef<int64_t> kw = getShapeOf(weight);
    Value wg = createReshape(b, loc, weight,
                             {group, perGroupOut, perGroupIn, kw[2], kw[3]});
    Value init = createFilled(
        b, loc, {batch, group, perGroupOut, w.output[0], w.output[1]}, 0.0);
    Value yg = linalg::Conv2DNgchwGfchwOp::create(
                   b, loc, TypeRange{init.getType()}, ValueRange{xg, wg},
                   ValueRange{init}, strides, dilations)
                   .getResult(0);
    y = createReshape(b, loc, yg, outShape);
  }
  if (n.hasInput(2)) {
    FailureOr<Value> bias = n.getTensor(2);
    if (failed(bias))
      return failure();
    if (getShapeOf(*bias) != ArrayRef<int64_t>{filters})
      return n.error("the bias has shape " + formatShape(getShapeOf(*bias)) +
                     ", expected [" + Twine(filters) + "]");
    y = createElementwiseWithDims(
        b, loc, {y, *bias}, {{0, 1, 2, 3}, {1}}, outShape,
        [](OpBuilder &nb, Location l, ValueRange args) {
          return arith::AddFOp::create(nb, l, args[0], args[1]).getResult();
        });
  }
  if (is1D)
    y = createReshape(b, loc, y, {batch, filters, w.output[1]});
  n.setTensor(0, y);
  return success();
}

/// MaxPool and AveragePool.
static LogicalResult importPool(NodeImporter &n, bool isMax) {
  OpBuilder &b = n.getBuilder();
  Location loc = n.getLoc();
  FailureOr<Value> xOr = n.getTensor(0);
  if (failed(xOr))
    return failure();
  Value x = *xOr;
  SmallVector<int64_t, 4> xs(getShapeOf(x));
  if (failed(checkSpatialRank(n, xs.size())))
    return failure();
  size_t spatial = xs.size() - 2;
  std::optional<SmallVector<int64_t, 4>> kernel = n.getInts("kernel_shape");
  if (!kernel || kernel->size() != spatial)
    return n.error("kernel_shape must have " + Twine(spatial) + " values");
  if (isMax && n.getInt("storage_order", 0) != 0 && n.hasOutput(1))
    return n.error("storage_order 1 is not supported");
  bool allowCeil = n.getVersion() >= 10;
  FailureOr<Window> wOpt =
      computeWindow(n, ArrayRef<int64_t>(xs).drop_front(2), *kernel, allowCeil);
  if (failed(wOpt))
    return failure();
  Window w = *wOpt;
  bool is1D = spatial == 1;
  if (is1D) {
    promoteWindowTo2D(w);
    x = promoteTo2D(b, loc, x);
  }
  int64_t batch = xs[0], channels = xs[1];
  if (failed(checkWindowSize(n, w, batch, channels)))
    return failure();
  double padValue = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
  Value padded = createPad(
      b, loc, x, {0, 0, w.padBegin[0], w.padBegin[1]},
      {0, 0, w.padEnd[0] + w.extraEnd[0], w.padEnd[1] + w.extraEnd[1]},
      padValue);
  SmallVector<int64_t, 4> outShape = {batch, channels, w.output[0],
                                      w.output[1]};
  Value window = createEmpty(b, loc, w.kernel);
  auto strides = b.getI64TensorAttr(w.strides);
  auto dilations = b.getI64TensorAttr(w.dilations);
  Value y;
  if (isMax) {
    Value init = createFilled(b, loc, outShape, padValue);
    y = linalg::PoolingNchwMaxOp::create(b, loc, TypeRange{init.getType()},
                                         ValueRange{padded, window},
                                         ValueRange{init}, strides, dilations)
            .getResult(0);
  } else {
    Value init = createFilled(b, loc, outShape, 0.0);
    y = linalg::PoolingNchwSumOp::create(b, loc, TypeRange{init.getType()},
                                         ValueRange{padded, window},
                                         ValueRange{init}, strides, dilations)
            .getResult(0);
    // The number of elements each window averages, per spatial dimension:
    // positions inside the input (count_include_pad = 0) or inside the input
    // and its pads (count_include_pad = 1), never the ceil_mode extension.
    bool includePad = n.getInt("count_include_pad", 0) != 0;
    SmallVector<SmallVector<int64_t>> counts(2);
    for (int d = 0; d < 2; ++d) {
      int64_t lo = includePad ? -w.padBegin[d] : 0;
      int64_t hi = includePad ? w.input[d] + w.padEnd[d] : w.input[d];
      for (int64_t o = 0; o < w.output[d]; ++o) {
        // Window positions start + j * dilation, 0 <= j < kernel, in
        // [lo, hi).
        int64_t start = o * w.strides[d] - w.padBegin[d];
        int64_t dil = w.dilations[d];
        int64_t first =
            std::max<int64_t>(0, llvm::divideCeilSigned(lo - start, dil));
        int64_t last = std::min<int64_t>(
            w.kernel[d] - 1, llvm::divideFloorSigned(hi - 1 - start, dil));
        counts[d].push_back(std::max<int64_t>(0, last - first + 1));
      }
    }
    bool uniform = llvm::all_equal(counts[0]) && llvm::all_equal(counts[1]);
    if (uniform) {
      double divisor = static_cast<double>(counts[0][0] * counts[1][0]);
      y = createElementwise(b, loc, {y}, outShape,
                            [&](OpBuilder &nb, Location l, ValueRange args) {
                              return arith::DivFOp::create(
                                         nb, l, args[0],
                                         createF32Constant(nb, l, divisor))
                                  .getResult();
                            });
    } else {
      HostTensor divisors =
          HostTensor::makeFloats({w.output[0], w.output[1]}, {});
      for (int64_t i = 0; i < w.output[0]; ++i)
        for (int64_t j = 0; j < w.output[1]; ++j)
          divisors.floats.push_back(
              static_cast<double>(counts[0][i] * counts[1][j]));
      Value divisorTensor = createDenseConstant(b, loc, divisors, true);
      y = createElementwiseWithDims(
          b, loc, {y, divisorTensor}, {{0, 1, 2, 3}, {2, 3}}, outShape,
          [](OpBuilder &nb, Location l, ValueRange args) {
            return arith::DivFOp::create(nb, l, args[0], args[1]).getResult();
          });
    }
  }
  if (is1D)
    y = createReshape(b, loc, y, {batch, channels, w.output[1]});
  n.setTensor(0, y);
  if (isMax)
    n.setUnavailable(1, "the MaxPool indices are not supported");
  return success();
}

static LogicalResult importMaxPool(NodeImporter &n) {
  return importPool(n, /*isMax=*/true);
}
static LogicalResult importAveragePool(NodeImporter &n) {
  return importPool(n, /*isMax=*/false);
}

static LogicalResult importGlobalAveragePool(NodeImporter &n) {
  OpBuilder &b = n.getBuilder();
  Location loc = n.getLoc();
  FailureOr<Value> xOr = n.getTensor(0);
  if (failed(xOr))
    return failure();
  Value x = *xOr;
  SmallVector<int64_t, 4> xs(getShapeOf(x));
  if (xs.size() < 3)
    return n.error("the input must have rank >= 3 (N, C, spatial...), not " +
                   Twine(xs.size()));
  int64_t batch = xs[0], channels = xs[1];
  int64_t count = product(ArrayRef<int64_t>(xs).drop_front(2));
  SmallVector<int64_t, 2> kernel;
  if (xs.size() == 4) {
    kernel = {xs[2], xs[3]};
  } else {
    kernel = {1, count};
    x = createReshape(b, loc, x, {batch, channels, 1, count});
  }
  SmallVector<int64_t, 4> pooledShape = {batch, channels, 1, 1};
  Value init = createFilled(b, loc, pooledShape, 0.0);
  Value window = createEmpty(b, loc, kernel);
  Value y = linalg::PoolingNchwSumOp::create(
                b, loc, TypeRange{init.getType()}, ValueRange{x, window},
                ValueRange{init}, b.getI64TensorAttr({1, 1}),
                b.getI64TensorAttr({1, 1}))
                .getResult(0);
  y = createElementwise(b, loc, {y}, pooledShape,
                        [&](OpBuilder &nb, Location l, ValueRange args) {
                          return arith::DivFOp::create(
                                     nb, l, args[0],
                                     createF32Constant(nb, l, count))
                              .getResult();
                        });
  SmallVector<int64_t, 4> outShape(xs.size(), 1);
  outShape[0] = batch;
  outShape[1] = channels;
  n.setTensor(0, createReshape(b, loc, y, outShape));
  return success();
}

//===----------------------------------------------------------------------===//
// BatchNormalization
//===----------------------------------------------------------------------===//

/// y = (x - mean) * rsqrt(var + epsilon) * scale + bias, with the per-channel
/// operands indexed by dimension 1.
static Value createNormalize(OpBuilder &b, Location loc, Value x, Value scale,
                             Value bias, Value mean, Value var, float epsilon) {
  ArrayRef<int64_t> shape = getShapeOf(x);
  SmallVector<int64_t, 4> all;
  for (int64_t i = 0, e = shape.size(); i < e; ++i)
    all.push_back(i);
  SmallVector<int64_t, 4> channel = {1};
  return createElementwiseWithDims(
      b, loc, {x, scale, bias, mean, var},
      {all, channel, channel, channel, channel}, shape,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value eps = createF32Constant(nb, l, epsilon);
        Value centered = arith::SubFOp::create(nb, l, args[0], args[3]);
        Value varEps = arith::AddFOp::create(nb, l, args[4], eps);
        Value invStd = math::RsqrtOp::create(nb, l, varEps);
        Value normalized = arith::MulFOp::create(nb, l, centered, invStd);
        Value scaled = arith::MulFOp::create(nb, l, normalized, args[1]);
        return arith::AddFOp::create(nb, l, scaled, args[2]).getResult();
      });
}

static LogicalResult importBatchNorm(NodeImporter &n) {
  OpBuilder &b = n.getBuilder();
  Location loc = n.getLoc();
  SmallVector<Value, 5> operands;
  for (unsigned i = 0; i < 5; ++i) {
    FailureOr<Value> v = n.getTensor(i);
    if (failed(v))
      return failure();
    operands.push_back(*v);
  }
  Value x = operands[0], scale = operands[1], bias = operands[2],
        mean = operands[3], var = operands[4];
  ArrayRef<int64_t> shape = getShapeOf(x);
  if (shape.size() < 2)
    return n.error("the input must have rank >= 2, not " + Twine(shape.size()));
  int64_t channels = shape[1];
  for (unsigned i = 1; i < 5; ++i)
    if (getShapeOf(operands[i]) != ArrayRef<int64_t>{channels})
      return n.error("input " + Twine(i) + " has shape " +
                     formatShape(getShapeOf(operands[i])) + ", expected [" +
                     Twine(channels) + "]");
  if (n.getVersion() < 9 && n.getInt("spatial", 1) != 1)
    return n.error("spatial = 0 (per-activation statistics) is not supported");
  float epsilon = n.getFloat("epsilon", 1e-5f);
  float momentum = n.getFloat("momentum", 0.9f);

  if (n.graph.getBNMode() == BatchNormMode::Inference) {
    n.setTensor(0, createNormalize(b, loc, x, scale, bias, mean, var, epsilon));
    // Running statistics pass through unchanged.
    n.forward(3, 1);
    n.forward(4, 2);
    n.setUnavailable(3, "the saved mean exists only in training mode");
    n.setUnavailable(4, "the saved variance exists only in training mode");
    return success();
  }

  // Training: batch statistics over every dimension but the channel.
  SmallVector<int64_t, 4> dims;
  for (int64_t i = 0, e = shape.size(); i < e; ++i)
    if (i != 1)
      dims.push_back(i);
  double count = 1;
  for (int64_t d : dims)
    count *= static_cast<double>(shape[d]);
  SmallVector<int64_t, 4> vecShape = {channels};
  auto divideByCount = [&](Value sum) {
    return createElementwise(b, loc, {sum}, vecShape,
                             [&](OpBuilder &nb, Location l, ValueRange args) {
                               return arith::DivFOp::create(
                                          nb, l, args[0],
                                          createF32Constant(nb, l, count))
                                   .getResult();
                             });
  };
  Value batchMean =
      divideByCount(createReduce(b, loc, x, dims, /*isMax=*/false));
  SmallVector<int64_t, 4> all;
  for (int64_t i = 0, e = shape.size(); i < e; ++i)
    all.push_back(i);
  Value squares = createElementwiseWithDims(
      b, loc, {x, batchMean}, {all, {1}}, shape,
      [](OpBuilder &nb, Location l, ValueRange args) {
        Value centered = arith::SubFOp::create(nb, l, args[0], args[1]);
        return arith::MulFOp::create(nb, l, centered, centered).getResult();
      });
  Value batchVar =
      divideByCount(createReduce(b, loc, squares, dims, /*isMax=*/false));
  n.setTensor(
      0, createNormalize(b, loc, x, scale, bias, batchMean, batchVar, epsilon));
  auto update = [&](Value running, Value batchStat) {
    return createElementwise(
        b, loc, {running, batchStat}, vecShape,
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Value m = createF32Constant(nb, l, momentum);
          Value oneMinus = createF32Constant(nb, l, 1.0 - momentum);
          Value kept = arith::MulFOp::create(nb, l, args[0], m);
          Value added = arith::MulFOp::create(nb, l, args[1], oneMinus);
          return arith::AddFOp::create(nb, l, kept, added).getResult();
        });
  };
  Value newMean = update(mean, batchMean);
  Value newVar = update(var, batchVar);
  n.setTensor(1, newMean);
  n.setTensor(2, newVar);
  n.setTensor(3, batchMean);
  n.setTensor(4, batchVar);
  // Running statistics that are initializers are state of the model.
  for (auto [value, updated, role] :
       {std::make_tuple(mean, newMean, StringRef("running_mean")),
        std::make_tuple(var, newVar, StringRef("running_var"))}) {
    std::optional<unsigned> arg = n.graph.getArgumentIndex(value);
    if (!arg)
      continue;
    auto func = cast<func::FuncOp>(
        cast<BlockArgument>(value).getOwner()->getParentOp());
    auto argRole = func.getArgAttrOfType<StringAttr>(*arg, onnx_attrs::kRole);
    if (argRole && argRole.getValue() == role &&
        failed(n.graph.addStateUpdate(n, *arg, updated)))
      return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Softmax, LogSoftmax
//===----------------------------------------------------------------------===//

static LogicalResult importSoftmax(NodeImporter &n, bool isLog) {
  OpBuilder &b = n.getBuilder();
  Location loc = n.getLoc();
  FailureOr<Value> xOr = n.getTensor(0);
  if (failed(xOr))
    return failure();
  Value x = *xOr;
  ArrayRef<int64_t> shape = getShapeOf(x);
  int64_t rank = shape.size();
  if (rank == 0)
    return n.error("the input must have rank >= 1");
  // Before opset 13 the input is coerced to 2-D at `axis` (default 1): the
  // normalization runs over all dimensions from `axis` on. Since 13 it runs
  // over `axis` (default -1) alone.
  bool coerce = n.getVersion() < 13;
  FailureOr<int64_t> axis =
      normalizeAxis(n, n.getInt("axis", coerce ? 1 : -1), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t, 4> dims, kept, all;
  for (int64_t i = 0; i < rank; ++i) {
    all.push_back(i);
    if (coerce ? i >= *axis : i == *axis)
      dims.push_back(i);
    else
      kept.push_back(i);
  }
  Value max = createReduce(b, loc, x, dims, /*isMax=*/true);
  Value exp = createElementwiseWithDims(
      b, loc, {x, max}, {all, kept}, shape,
      [](OpBuilder &nb, Location l, ValueRange args) {
        Value shifted = arith::SubFOp::create(nb, l, args[0], args[1]);
        return math::ExpOp::create(nb, l, shifted).getResult();
      });
  Value sum = createReduce(b, loc, exp, dims, /*isMax=*/false);
  Value y;
  if (isLog) {
    y = createElementwiseWithDims(
        b, loc, {x, max, sum}, {all, kept, kept}, shape,
        [](OpBuilder &nb, Location l, ValueRange args) {
          Value shifted = arith::SubFOp::create(nb, l, args[0], args[1]);
          Value logSum = math::LogOp::create(nb, l, args[2]);
          return arith::SubFOp::create(nb, l, shifted, logSum).getResult();
        });
  } else {
    y = createElementwiseWithDims(
        b, loc, {exp, sum}, {all, kept}, shape,
        [](OpBuilder &nb, Location l, ValueRange args) {
          return arith::DivFOp::create(nb, l, args[0], args[1]).getResult();
        });
  }
  n.setTensor(0, y);
  return success();
}

static LogicalResult importSoftmaxOp(NodeImporter &n) {
  return importSoftmax(n, /*isLog=*/false);
}
static LogicalResult importLogSoftmaxOp(NodeImporter &n) {
  return importSoftmax(n, /*isLog=*/true);
}

//===----------------------------------------------------------------------===//
// Shape manipulation: Flatten, Reshape, Squeeze, Unsqueeze, Transpose,
// Concat, Pad, Identity, Dropout
//===----------------------------------------------------------------------===//

/// Sets output 0 to input 0 reshaped to `shape` (a tensor or a known value).
static LogicalResult setReshaped(NodeImporter &n, ArrayRef<int64_t> shape) {
  SmallVector<int64_t, 4> inShape = n.getShape(0);
  if (countElements(inShape) != countElements(shape))
    return n.error("cannot reshape " + formatShape(inShape) + " into " +
                   formatShape(shape));
  if (n.isKnown(0) && !n.getEntry(0).tensor) {
    n.setHost(0, withShape(*n.getKnown(0), shape));
    return success();
  }
  FailureOr<Value> x = n.getTensor(0);
  if (failed(x))
    return failure();
  n.setTensor(0, createReshape(n.getBuilder(), n.getLoc(), *x, shape));
  return success();
}

static LogicalResult importFlatten(NodeImporter &n) {
  SmallVector<int64_t, 4> shape = n.getShape(0);
  int64_t rank = shape.size();
  int64_t axis = n.getInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return n.error("axis " + Twine(n.getInt("axis", 1)) +
                   " is out of range for rank " + Twine(rank));
  int64_t outer = product(ArrayRef<int64_t>(shape).take_front(axis));
  int64_t inner = product(ArrayRef<int64_t>(shape).drop_front(axis));
  return setReshaped(n, {outer, inner});
}

static LogicalResult importReshape(NodeImporter &n) {
  FailureOr<const HostTensor *> target = n.getConstant(1, "target shape");
  if (failed(target))
    return failure();
  SmallVector<int64_t, 4> in = n.getShape(0);
  SmallVector<int64_t, 4> requested = toVector(**target);
  bool allowZero = n.getVersion() >= 14 && n.getInt("allowzero", 0) != 0;
  SmallVector<int64_t, 4> shape;
  int64_t inferred = -1, known = 1;
  for (auto [i, d] : llvm::enumerate(requested)) {
    if (d == 0 && !allowZero) {
      if (i >= in.size())
        return n.error("shape entry " + Twine(i) +
                       " is 0 (copy) but the input has rank " +
                       Twine(in.size()));
      d = in[i];
    }
    if (d == -1) {
      if (inferred >= 0)
        return n.error("the target shape " + formatShape(requested) +
                       " has more than one -1");
      inferred = i;
      shape.push_back(1);
      continue;
    }
    if (d < 0)
      return n.error("invalid target shape " + formatShape(requested));
    shape.push_back(d);
    known = countElements({known, d});
  }
  if (inferred >= 0) {
    if (known == 0 || product(in) % known != 0)
      return n.error("cannot reshape " + formatShape(in) + " into " +
                     formatShape(requested));
    shape[inferred] = product(in) / known;
  }
  return setReshaped(n, shape);
}

/// The axes of Squeeze/Unsqueeze: the attribute before opset 13, the
/// optional input 1 since.
static FailureOr<std::optional<SmallVector<int64_t, 4>>>
getSqueezeAxes(NodeImporter &n) {
  if (n.getVersion() < 13)
    return n.getInts("axes");
  if (!n.hasInput(1))
    return std::optional<SmallVector<int64_t, 4>>();
  FailureOr<const HostTensor *> axes = n.getConstant(1, "axes");
  if (failed(axes))
    return failure();
  return std::optional<SmallVector<int64_t, 4>>(toVector(**axes));
}

static LogicalResult importUnsqueeze(NodeImporter &n) {
  FailureOr<std::optional<SmallVector<int64_t, 4>>> axes = getSqueezeAxes(n);
  if (failed(axes))
    return failure();
  if (!*axes)
    return n.error("axes are required");
  SmallVector<int64_t, 4> in = n.getShape(0);
  int64_t rank = in.size() + (*axes)->size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t axis : **axes) {
    FailureOr<int64_t> a = normalizeAxis(n, axis, rank);
    if (failed(a))
      return failure();
    if (inserted[*a])
      return n.error("axis " + Twine(axis) + " is repeated");
    inserted[*a] = true;
  }
  SmallVector<int64_t, 4> shape;
  size_t next = 0;
  for (int64_t i = 0; i < rank; ++i)
    shape.push_back(inserted[i] ? 1 : in[next++]);
  return setReshaped(n, shape);
}

static LogicalResult importSqueeze(NodeImporter &n) {
  FailureOr<std::optional<SmallVector<int64_t, 4>>> axes = getSqueezeAxes(n);
  if (failed(axes))
    return failure();
  SmallVector<int64_t, 4> in = n.getShape(0);
  int64_t rank = in.size();
  SmallVector<bool> removed(rank, false);
  if (*axes) {
    for (int64_t axis : **axes) {
      FailureOr<int64_t> a = normalizeAxis(n, axis, rank);
      if (failed(a))
        return failure();
      if (in[*a] != 1)
        return n.error("cannot squeeze dimension " + Twine(axis) + " of size " +
                       Twine(in[*a]));
      removed[*a] = true;
    }
  } else {
    for (int64_t i = 0; i < rank; ++i)
      removed[i] = in[i] == 1;
  }
  SmallVector<int64_t, 4> shape;
  for (int64_t i = 0; i < rank; ++i)
    if (!removed[i])
      shape.push_back(in[i]);
  return setReshaped(n, shape);
}

static LogicalResult importTranspose(NodeImporter &n) {
  FailureOr<Value> x = n.getTensor(0);
  if (failed(x))
    return failure();
  int64_t rank = getShapeOf(*x).size();
  SmallVector<int64_t, 4> perm;
  if (std::optional<SmallVector<int64_t, 4>> p = n.getInts("perm"))
    perm = *p;
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  SmallVector<int64_t, 4> sorted(perm);
  llvm::sort(sorted);
  for (int64_t i = 0; i < rank; ++i)
    if (static_cast<int64_t>(sorted.size()) != rank || sorted[i] != i)
      return n.error("perm " + formatShape(perm) +
                     " is not a permutation of the " + Twine(rank) +
                     " dimensions");
  // The identity permutation (every permutation of rank 0 and 1) forwards.
  bool identity = true;
  for (int64_t i = 0; i < rank; ++i)
    identity &= perm[i] == i;
  n.setTensor(
      0, identity ? *x : createTranspose(n.getBuilder(), n.getLoc(), *x, perm));
  return success();
}

static LogicalResult importConcat(NodeImporter &n) {
  SmallVector<Value> inputs;
  for (unsigned i = 0, e = n.getNumInputs(); i < e; ++i) {
    if (!n.hasInput(i))
      continue;
    FailureOr<Value> v = n.getTensor(i);
    if (failed(v))
      return failure();
    inputs.push_back(*v);
  }
  if (inputs.empty())
    return n.error("no inputs");
  int64_t rank = getShapeOf(inputs[0]).size();
  FailureOr<int64_t> axis = normalizeAxis(n, n.getInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  for (Value v : inputs) {
    ArrayRef<int64_t> s = getShapeOf(v), s0 = getShapeOf(inputs[0]);
    bool ok = static_cast<int64_t>(s.size()) == rank;
    for (int64_t i = 0; ok && i < rank; ++i)
      ok = i == *axis || s[i] == s0[i];
    if (!ok)
      return n.error("the inputs " + formatShape(s0) + " and " +
                     formatShape(s) + " cannot be concatenated on axis " +
                     Twine(*axis));
  }
  if (inputs.size() == 1) {
    n.setTensor(0, inputs[0]);
    return success();
  }
  n.setTensor(
      0, tensor::ConcatOp::create(n.getBuilder(), n.getLoc(), *axis, inputs)
             .getResult());
  return success();
}

static LogicalResult foldConcat(NodeImporter &n) {
  SmallVector<const HostTensor *> inputs;
  for (unsigned i = 0, e = n.getNumInputs(); i < e; ++i)
    if (n.hasInput(i))
      inputs.push_back(n.getKnown(i));
  if (inputs.empty())
    return n.error("no inputs");
  int64_t rank = inputs[0]->shape.size();
  FailureOr<int64_t> axis = normalizeAxis(n, n.getInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t, 4> shape = inputs[0]->shape;
  shape[*axis] = 0;
  for (const HostTensor *t : inputs) {
    if (static_cast<int64_t>(t->shape.size()) != rank)
      return n.error("the inputs have different ranks");
    shape[*axis] += t->shape[*axis];
  }
  if (failed(checkFoldSize(n, shape)))
    return failure();
  HostTensor result;
  result.elemType = inputs[0]->elemType;
  result.shape = shape;
  int64_t outer = product(ArrayRef<int64_t>(shape).take_front(*axis));
  for (int64_t o = 0; o < outer; ++o) {
    for (const HostTensor *t : inputs) {
      int64_t chunk = product(ArrayRef<int64_t>(t->shape).drop_front(*axis));
      for (int64_t i = 0; i < chunk; ++i) {
        if (result.isFloat())
          result.floats.push_back(t->getDouble(o * chunk + i));
        else
          result.ints.push_back(t->getInt(o * chunk + i));
      }
    }
  }
  n.setHost(0, std::move(result));
  return success();
}

static LogicalResult importPad(NodeImporter &n) {
  std::string mode = n.getString("mode", "constant");
  if (mode != "constant")
    return n.error("mode '" + mode +
                   "' is not supported (fp4 supports mode 'constant')");
  SmallVector<int64_t, 4> pads;
  double value = 0.0;
  if (n.getVersion() < 11) {
    std::optional<SmallVector<int64_t, 4>> p = n.getInts("pads");
    if (!p)
      return n.error("the pads attribute is required");
    pads = *p;
    value = n.getFloat("value", 0.0f);
  } else {
    FailureOr<const HostTensor *> p = n.getConstant(1, "pads");
    if (failed(p))
      return failure();
    pads = toVector(**p);
    if (n.hasInput(2)) {
      FailureOr<const HostTensor *> v = n.getConstant(2, "constant_value");
      if (failed(v))
        return failure();
      if ((*v)->getNumElements() != 1)
        return n.error("constant_value must be a scalar");
      value = (*v)->getDouble(0);
    }
  }
  FailureOr<Value> x = n.getTensor(0);
  if (failed(x))
    return failure();
  int64_t rank = getShapeOf(*x).size();
  if (static_cast<int64_t>(pads.size()) != 2 * rank)
    return n.error("pads has " + Twine(pads.size()) + " values, expected " +
                   Twine(2 * rank));
  if (llvm::any_of(pads, [](int64_t p) { return p < 0; }))
    return n.error("negative pads (cropping) are not supported");
  SmallVector<int64_t, 4> padded(getShapeOf(*x));
  for (int64_t i = 0; i < rank; ++i) {
    if (pads[i] > kMaxElements || pads[i + rank] > kMaxElements)
      return n.error("pads must be below 2^31");
    padded[i] += pads[i] + pads[i + rank];
  }
  if (countElements(padded) > kMaxElements)
    return n.error("the padded shape " + formatShape(padded) +
                   " has more elements than fp4 supports (2^31)");
  ArrayRef<int64_t> padsRef(pads);
  n.setTensor(0, createPad(n.getBuilder(), n.getLoc(), *x,
                           padsRef.take_front(rank), padsRef.drop_front(rank),
                           value));
  return success();
}

static LogicalResult importIdentity(NodeImporter &n) {
  n.forward(0, 0);
  return success();
}

static LogicalResult importDropout(NodeImporter &n) {
  // Always the identity (inference), whatever ratio and training_mode say.
  n.forward(0, 0);
  n.setUnavailable(1, "the Dropout mask is not produced (fp4 imports Dropout "
                      "as the identity)");
  return success();
}

//===----------------------------------------------------------------------===//
// Constants and shape computations (folded on the host)
//===----------------------------------------------------------------------===//

static LogicalResult importConstant(NodeImporter &n) {
  for (const onnx::AttributeProto &attr : n.getNode().attribute()) {
    StringRef name = attr.name();
    if (name == "value") {
      std::string error;
      std::optional<HostTensor> t = decodeTensor(attr.t(), error);
      if (!t)
        return n.error("the value: " + error);
      n.setHost(0, std::move(*t));
      return success();
    }
    if (name == "value_float") {
      n.setHost(0, HostTensor::makeFloats({}, {attr.f()}));
      return success();
    }
    if (name == "value_floats") {
      n.setHost(
          0, HostTensor::makeFloats({attr.floats_size()},
                                    std::vector<double>(attr.floats().begin(),
                                                        attr.floats().end())));
      return success();
    }
    if (name == "value_int") {
      n.setHost(0, HostTensor::makeInts({}, {attr.i()}));
      return success();
    }
    if (name == "value_ints") {
      n.setHost(0,
                HostTensor::makeInts({attr.ints_size()},
                                     std::vector<int64_t>(attr.ints().begin(),
                                                          attr.ints().end())));
      return success();
    }
    return n.error("attribute '" + name + "' is not supported");
  }
  return n.error("no value attribute");
}

static LogicalResult foldShape(NodeImporter &n) {
  SmallVector<int64_t, 4> shape = n.getShape(0);
  int64_t rank = shape.size();
  int64_t start = 0, end = rank;
  if (n.getVersion() >= 15) {
    start = n.getInt("start", 0);
    end = n.getInt("end", rank);
    if (start < 0)
      start += rank;
    if (end < 0)
      end += rank;
    start = std::clamp<int64_t>(start, 0, rank);
    end = std::clamp<int64_t>(end, 0, rank);
  }
  std::vector<int64_t> dims;
  for (int64_t i = start; i < end; ++i)
    dims.push_back(shape[i]);
  n.setHost(0, HostTensor::makeInts({static_cast<int64_t>(dims.size())}, dims));
  return success();
}

static LogicalResult foldSize(NodeImporter &n) {
  n.setHost(0, HostTensor::makeInts({}, {product(n.getShape(0))}));
  return success();
}

static LogicalResult foldGather(NodeImporter &n) {
  const HostTensor &data = *n.getKnown(0), &indices = *n.getKnown(1);
  int64_t rank = data.shape.size();
  if (rank == 0)
    return n.error("cannot gather from a scalar");
  FailureOr<int64_t> axis = normalizeAxis(n, n.getInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  int64_t axisSize = data.shape[*axis];
  SmallVector<int64_t, 4> shape(data.shape.begin(), data.shape.begin() + *axis);
  shape.append(indices.shape.begin(), indices.shape.end());
  shape.append(data.shape.begin() + *axis + 1, data.shape.end());
  if (failed(checkFoldSize(n, shape)))
    return failure();
  int64_t outer = product(ArrayRef<int64_t>(data.shape).take_front(*axis));
  int64_t inner = product(ArrayRef<int64_t>(data.shape).drop_front(*axis + 1));
  HostTensor result;
  result.elemType = data.elemType;
  result.shape = shape;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k = 0, e = indices.getNumElements(); k < e; ++k) {
      int64_t idx = indices.getInt(k);
      if (idx < 0)
        idx += axisSize;
      if (idx < 0 || idx >= axisSize)
        return n.error("index " + Twine(indices.getInt(k)) +
                       " is out of range for size " + Twine(axisSize));
      for (int64_t i = 0; i < inner; ++i) {
        int64_t src = (o * axisSize + idx) * inner + i;
        if (data.isFloat())
          result.floats.push_back(data.floats[src]);
        else
          result.ints.push_back(data.ints[src]);
      }
    }
  }
  n.setHost(0, std::move(result));
  return success();
}

static LogicalResult foldCast(NodeImporter &n) {
  const HostTensor &in = *n.getKnown(0);
  int64_t to = n.getInt("to", onnx::TensorProto_DataType_FLOAT);
  HostTensor result;
  result.elemType = static_cast<int32_t>(to);
  result.shape = in.shape;
  if (!onnx::TensorProto_DataType_IsValid(static_cast<int>(to)) ||
      to == onnx::TensorProto_DataType_STRING ||
      to == onnx::TensorProto_DataType_UNDEFINED ||
      to == onnx::TensorProto_DataType_COMPLEX64 ||
      to == onnx::TensorProto_DataType_COMPLEX128)
    return n.error("cast to " + getElementTypeName(to) + " is not supported");
  for (int64_t i = 0, e = in.getNumElements(); i < e; ++i) {
    if (result.isFloat()) {
      double v = in.getDouble(i);
      if (to == onnx::TensorProto_DataType_FLOAT)
        v = static_cast<float>(v);
      result.floats.push_back(v);
    } else if (to == onnx::TensorProto_DataType_BOOL) {
      result.ints.push_back(in.getDouble(i) != 0.0);
    } else {
      result.ints.push_back(in.isFloat()
                                ? static_cast<int64_t>(std::trunc(in.floats[i]))
                                : in.ints[i]);
    }
  }
  n.setHost(0, std::move(result));
  return success();
}

static LogicalResult importCast(NodeImporter &n) {
  // A run-time tensor: only casts to FLOAT (of FLOAT tensors) are no-ops.
  if (n.getInt("to", 0) != onnx::TensorProto_DataType_FLOAT)
    return n.error("Cast of a run-time tensor to " +
                   getElementTypeName(n.getInt("to", 0)) +
                   " is not supported (fp4 computes in FLOAT)");
  FailureOr<Value> x = n.getTensor(0);
  if (failed(x))
    return failure();
  n.setTensor(0, *x);
  return success();
}

static LogicalResult foldSlice(NodeImporter &n) {
  const HostTensor &data = *n.getKnown(0);
  int64_t rank = data.shape.size();
  SmallVector<int64_t, 4> starts, ends, axes, steps;
  if (n.getVersion() < 10) {
    starts = n.getInts("starts").value_or(SmallVector<int64_t, 4>());
    ends = n.getInts("ends").value_or(SmallVector<int64_t, 4>());
    if (std::optional<SmallVector<int64_t, 4>> a = n.getInts("axes"))
      axes = *a;
  } else {
    starts = toVector(*n.getKnown(1));
    ends = toVector(*n.getKnown(2));
    if (n.hasInput(3))
      axes = toVector(*n.getKnown(3));
    if (n.hasInput(4))
      steps = toVector(*n.getKnown(4));
  }
  if (axes.empty())
    for (int64_t i = 0, e = starts.size(); i < e; ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return n.error("starts, ends, axes and steps have different lengths");
  SmallVector<int64_t, 4> begin(rank, 0), step(rank, 1), size(data.shape);
  for (size_t i = 0; i < starts.size(); ++i) {
    FailureOr<int64_t> axis = normalizeAxis(n, axes[i], rank);
    if (failed(axis))
      return failure();
    int64_t dim = data.shape[*axis], s = steps[i];
    if (s == 0)
      return n.error("a step is 0");
    int64_t st = starts[i], en = ends[i];
    if (st < 0)
      st += dim;
    if (en < 0)
      en += dim;
    if (s > 0) {
      st = std::clamp<int64_t>(st, 0, dim);
      en = std::clamp<int64_t>(en, 0, dim);
      size[*axis] = en > st ? (en - st + s - 1) / s : 0;
    } else {
      st = std::clamp<int64_t>(st, 0, dim - 1);
      en = std::clamp<int64_t>(en, -1, dim - 1);
      size[*axis] = st > en ? (st - en - s - 1) / -s : 0;
    }
    begin[*axis] = st;
    step[*axis] = s;
  }
  HostTensor result;
  result.elemType = data.elemType;
  result.shape = size;
  SmallVector<int64_t, 4> strides = getStrides(data.shape);
  forEachIndex(size, [&](int64_t, ArrayRef<int64_t> index) {
    int64_t src = 0;
    for (int64_t d = 0; d < rank; ++d)
      src += (begin[d] + index[d] * step[d]) * strides[d];
    if (data.isFloat())
      result.floats.push_back(data.floats[src]);
    else
      result.ints.push_back(data.ints[src]);
  });
  n.setHost(0, std::move(result));
  return success();
}

/// Split on a known value: sizes from the `split` attribute before opset 13,
/// from the optional input 1 since; equal parts without them.
static LogicalResult foldSplit(NodeImporter &n) {
  const HostTensor &data = *n.getKnown(0);
  int64_t rank = data.shape.size();
  if (rank == 0)
    return n.error("cannot split a scalar");
  FailureOr<int64_t> axis = normalizeAxis(n, n.getInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  int64_t dim = data.shape[*axis], numOutputs = n.getNumOutputs();
  SmallVector<int64_t, 4> sizes;
  if (n.getVersion() < 13) {
    if (std::optional<SmallVector<int64_t, 4>> split = n.getInts("split"))
      sizes = *split;
  } else if (n.hasInput(1)) {
    sizes = toVector(*n.getKnown(1));
  }
  if (sizes.empty()) {
    if (numOutputs == 0 || dim % numOutputs != 0)
      return n.error("dimension " + Twine(dim) + " does not split into " +
                     Twine(numOutputs) + " equal parts");
    sizes.assign(numOutputs, dim / numOutputs);
  }
  if (static_cast<int64_t>(sizes.size()) != numOutputs ||
      llvm::any_of(sizes, [](int64_t v) { return v < 0; }) ||
      std::accumulate(sizes.begin(), sizes.end(), int64_t(0)) != dim)
    return n.error("the split sizes " + formatShape(sizes) +
                   " do not cover dimension " + Twine(dim) + " with " +
                   Twine(numOutputs) + " outputs");
  int64_t outer = product(ArrayRef<int64_t>(data.shape).take_front(*axis));
  int64_t inner = product(ArrayRef<int64_t>(data.shape).drop_front(*axis + 1));
  int64_t offset = 0;
  for (auto [i, size] : llvm::enumerate(sizes)) {
    HostTensor part;
    part.elemType = data.elemType;
    part.shape = data.shape;
    part.shape[*axis] = size;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < size * inner; ++k) {
        int64_t src = (o * dim + offset) * inner + k;
        if (data.isFloat())
          part.floats.push_back(data.floats[src]);
        else
          part.ints.push_back(data.ints[src]);
      }
    offset += size;
    n.setHost(i, std::move(part));
  }
  return success();
}

static LogicalResult foldConstantOfShape(NodeImporter &n) {
  SmallVector<int64_t, 4> shape = toVector(*n.getKnown(0));
  if (llvm::any_of(shape, [](int64_t d) { return d < 0; }))
    return n.error("negative dimension in " + formatShape(shape));
  if (failed(checkFoldSize(n, shape)))
    return failure();
  HostTensor value = HostTensor::makeFloats({1}, {0.0});
  if (const onnx::AttributeProto *attr = n.getAttr("value")) {
    std::string error;
    std::optional<HostTensor> t = decodeTensor(attr->t(), error);
    if (!t)
      return n.error("the value: " + error);
    if (t->getNumElements() != 1)
      return n.error("the value must have one element");
    value = *t;
  }
  HostTensor result;
  result.elemType = value.elemType;
  result.shape = shape;
  int64_t count = product(shape);
  if (value.isFloat())
    result.floats.assign(count, value.floats[0]);
  else
    result.ints.assign(count, value.ints[0]);
  n.setHost(0, std::move(result));
  return success();
}

static LogicalResult foldRange(NodeImporter &n) {
  const HostTensor &start = *n.getKnown(0), &limit = *n.getKnown(1),
                   &delta = *n.getKnown(2);
  if (start.getNumElements() != 1 || limit.getNumElements() != 1 ||
      delta.getNumElements() != 1)
    return n.error("start, limit and delta must be scalars");
  HostTensor result;
  result.elemType = start.elemType;
  double s = start.getDouble(0), l = limit.getDouble(0), d = delta.getDouble(0);
  if (d == 0)
    return n.error("delta is 0");
  double steps = std::ceil((l - s) / d);
  if (!(steps <= static_cast<double>(kMaxFoldedElements)))
    return n.error("the range is too large to compute at import time (2^24 "
                   "elements)");
  int64_t count = steps <= 0 ? 0 : static_cast<int64_t>(steps);
  result.shape = {count};
  for (int64_t i = 0; i < count; ++i) {
    if (result.isFloat())
      result.floats.push_back(s + i * d);
    else
      result.ints.push_back(start.getInt(0) + i * delta.getInt(0));
  }
  n.setHost(0, std::move(result));
  return success();
}

static LogicalResult foldEqual(NodeImporter &n) {
  const HostTensor &a = *n.getKnown(0), &b = *n.getKnown(1);
  std::optional<SmallVector<int64_t, 4>> shape =
      broadcastShapes(a.shape, b.shape);
  if (!shape)
    return n.error("the shapes do not broadcast");
  if (failed(checkFoldSize(n, *shape)))
    return failure();
  HostTensor result;
  result.elemType = onnx::TensorProto_DataType_BOOL;
  result.shape = *shape;
  SmallVector<int64_t, 4> sa = getStrides(a.shape), sb = getStrides(b.shape);
  forEachIndex(*shape, [&](int64_t, ArrayRef<int64_t> index) {
    int64_t ia = broadcastIndex(index, a.shape, sa);
    int64_t ib = broadcastIndex(index, b.shape, sb);
    bool equal = a.isFloat() || b.isFloat() ? a.getDouble(ia) == b.getDouble(ib)
                                            : a.getInt(ia) == b.getInt(ib);
    result.ints.push_back(equal);
  });
  n.setHost(0, std::move(result));
  return success();
}

static LogicalResult foldWhere(NodeImporter &n) {
  const HostTensor &c = *n.getKnown(0), &x = *n.getKnown(1),
                   &y = *n.getKnown(2);
  std::optional<SmallVector<int64_t, 4>> xy = broadcastShapes(x.shape, y.shape);
  std::optional<SmallVector<int64_t, 4>> shape =
      xy ? broadcastShapes(c.shape, *xy) : std::nullopt;
  if (!shape)
    return n.error("the shapes do not broadcast");
  if (failed(checkFoldSize(n, *shape)))
    return failure();
  HostTensor result;
  result.elemType = x.elemType;
  result.shape = *shape;
  SmallVector<int64_t, 4> sc = getStrides(c.shape), sx = getStrides(x.shape),
                          sy = getStrides(y.shape);
  forEachIndex(*shape, [&](int64_t, ArrayRef<int64_t> index) {
    bool cond = c.getInt(broadcastIndex(index, c.shape, sc)) != 0;
    const HostTensor &src = cond ? x : y;
    int64_t i = cond ? broadcastIndex(index, x.shape, sx)
                     : broadcastIndex(index, y.shape, sy);
    if (result.isFloat())
      result.floats.push_back(src.getDouble(i));
    else
      result.ints.push_back(src.getInt(i));
  });
  n.setHost(0, std::move(result));
  return success();
}

//===----------------------------------------------------------------------===//
// The operator table
//===----------------------------------------------------------------------===//

ArrayRef<OpDescriptor> fp4::onnx_import::getOperatorTable() {
  static const std::vector<OpDescriptor> table = {
      // Compute.
      {"Add", {7, 13, 14}, importBinary, foldBinary},
      {"AveragePool", {1, 7, 10, 11}, importAveragePool, nullptr},
      {"BatchNormalization", {7, 9, 14, 15}, importBatchNorm, nullptr},
      {"Conv", {1, 11}, importConv, nullptr},
      {"Div", {7, 13, 14}, importBinary, foldBinary},
      {"Gemm", {7, 9, 11, 13}, importGemm, nullptr},
      {"GlobalAveragePool", {1}, importGlobalAveragePool, nullptr},
      {"LeakyRelu", {6, 16}, importLeakyRelu, nullptr},
      {"LogSoftmax", {1, 11, 13}, importLogSoftmaxOp, nullptr},
      {"MatMul", {1, 9, 13}, importMatMul, nullptr},
      {"MaxPool", {1, 8, 10, 11, 12}, importMaxPool, nullptr},
      {"Mul", {7, 13, 14}, importBinary, foldBinary},
      {"Relu", {6, 13, 14}, importRelu, nullptr},
      {"Sigmoid", {6, 13}, importSigmoid, nullptr},
      {"Softmax", {1, 11, 13}, importSoftmaxOp, nullptr},
      {"Sub", {7, 13, 14}, importBinary, foldBinary},
      {"Tanh", {6, 13}, importTanh, nullptr},
      // Data movement (also on known values).
      {"Concat", {4, 11, 13}, importConcat, foldConcat},
      {"Dropout", {7, 10, 12, 13}, importDropout, importDropout},
      {"Flatten", {1, 9, 11, 13}, importFlatten, importFlatten},
      {"Identity", {1, 13, 14, 16}, importIdentity, importIdentity},
      {"Pad", {2, 11, 13}, importPad, nullptr},
      {"Reshape", {5, 13, 14}, importReshape, importReshape},
      {"Squeeze", {1, 11, 13}, importSqueeze, importSqueeze},
      {"Transpose", {1, 13}, importTranspose, nullptr},
      {"Unsqueeze", {1, 11, 13}, importUnsqueeze, importUnsqueeze},
      // Constants and shape computations.
      {"Cast", {6, 9, 13}, importCast, foldCast},
      {"Constant", {1, 9, 11, 12, 13}, importConstant, importConstant},
      {"ConstantOfShape", {9}, nullptr, foldConstantOfShape},
      {"Equal", {7, 11, 13}, nullptr, foldEqual},
      {"Gather", {1, 11, 13}, nullptr, foldGather},
      {"Range", {11}, nullptr, foldRange},
      {"Shape", {1, 13, 15}, foldShape, foldShape},
      {"Size", {1, 13}, foldSize, foldSize},
      {"Slice", {1, 10, 11, 13}, nullptr, foldSlice},
      {"Split", {2, 11, 13}, nullptr, foldSplit},
      {"Where", {9, 16}, nullptr, foldWhere},
  };
  return table;
}

const OpDescriptor *fp4::onnx_import::lookupOperator(StringRef opType) {
  for (const OpDescriptor &desc : getOperatorTable())
    if (desc.opType == opType)
      return &desc;
  return nullptr;
}
