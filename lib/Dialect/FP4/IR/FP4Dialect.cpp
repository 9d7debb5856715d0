//===- FP4Dialect.cpp - The fp4 dialect: attributes, types, ops -----------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "fp4/Dialect/FP4/IR/FP4Dialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::fp4;

#include "fp4/Dialect/FP4/IR/FP4Dialect.cpp.inc"
#include "fp4/Dialect/FP4/IR/FP4Enums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "fp4/Dialect/FP4/IR/FP4Attrs.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "fp4/Dialect/FP4/IR/FP4Types.cpp.inc"

#define GET_OP_CLASSES
#include "fp4/Dialect/FP4/IR/FP4Ops.cpp.inc"

void FP4Dialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "fp4/Dialect/FP4/IR/FP4Attrs.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "fp4/Dialect/FP4/IR/FP4Types.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "fp4/Dialect/FP4/IR/FP4Ops.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// BlockScaleAttr
//===----------------------------------------------------------------------===//

LogicalResult
BlockScaleAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                       int64_t size, ScaleFormat scaleFormat, int64_t axis) {
  if (size < 2)
    return emitError() << "block size must be at least 2, got " << size;
  if (axis < 0)
    return emitError() << "block axis must be non-negative, got " << axis;
  return success();
}

//===----------------------------------------------------------------------===//
// FormatAttr
//===----------------------------------------------------------------------===//

LogicalResult FormatAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 ElementKind kind, std::optional<Phase> phase,
                                 BlockScaleAttr block) {
  if (kind == ElementKind::radix4 && !phase)
    return emitError() << "radix4 format needs a phase (even or odd)";
  if (kind != ElementKind::radix4 && phase)
    return emitError() << "format " << stringifyElementKind(kind)
                       << " has no phase; only radix4 does";
  if (block && kind != ElementKind::e2m1 && kind != ElementKind::e4m3 &&
      kind != ElementKind::e5m2 && kind != ElementKind::int4)
    return emitError() << "block scaling is defined for e2m1, e4m3, e5m2 "
                          "and int4 elements, not "
                       << stringifyElementKind(kind);
  return success();
}

Attribute FormatAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef kindName;
  if (parser.parseLess() || parser.parseKeyword(&kindName))
    return {};
  std::optional<ElementKind> kind = symbolizeElementKind(kindName);
  if (!kind) {
    parser.emitError(loc) << "unknown element format '" << kindName
                          << "'; expected one of radix4, radix2_fp4, e2m1, "
                             "int4, uint4, e4m3, e5m2, f16, bf16";
    return {};
  }
  std::optional<Phase> phase;
  BlockScaleAttr block;
  while (succeeded(parser.parseOptionalComma())) {
    SMLoc itemLoc = parser.getCurrentLocation();
    StringRef word;
    if (succeeded(parser.parseOptionalKeyword(&word))) {
      std::optional<Phase> p = symbolizePhase(word);
      if (!p || phase) {
        parser.emitError(itemLoc)
            << (phase ? "phase given twice" : "expected a phase (even, odd)");
        return {};
      }
      phase = p;
      continue;
    }
    if (block || parser.parseAttribute(block)) {
      if (block)
        parser.emitError(itemLoc) << "block scaling given twice";
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<FormatAttr>(loc, parser.getContext(), *kind, phase,
                                       block);
}

void FormatAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyElementKind(getKind());
  if (getPhase())
    printer << ", " << stringifyPhase(*getPhase());
  if (getBlock()) {
    printer << ", ";
    printer.printAttribute(getBlock());
  }
  printer << ">";
}

unsigned FormatAttr::getBitWidth() const {
  switch (getKind()) {
  case ElementKind::radix4:
  case ElementKind::radix2_fp4:
  case ElementKind::e2m1:
  case ElementKind::int4:
  case ElementKind::uint4:
    return 4;
  case ElementKind::e4m3:
  case ElementKind::e5m2:
    return 8;
  case ElementKind::f16:
  case ElementKind::bf16:
    return 16;
  }
  llvm_unreachable("unknown element kind");
}

double FormatAttr::getMaxMagnitude() const {
  switch (getKind()) {
  case ElementKind::radix4:
    return getPhase() == Phase::odd ? 32.0 : 64.0;
  case ElementKind::radix2_fp4:
    return 8.0;
  case ElementKind::e2m1:
    return 6.0;
  case ElementKind::int4:
    return 7.0;
  case ElementKind::uint4:
    return 15.0;
  case ElementKind::e4m3:
    return 448.0;
  case ElementKind::e5m2:
    return 57344.0;
  case ElementKind::f16:
    return 65504.0;
  case ElementKind::bf16:
    return 0x1.fep127;
  }
  llvm_unreachable("unknown element kind");
}

double FormatAttr::getGradScaleMax() const {
  return getKind() == ElementKind::radix4 ? 64.0 : getMaxMagnitude();
}

bool FormatAttr::isGradientFormat() const {
  switch (getKind()) {
  case ElementKind::radix4:
  case ElementKind::radix2_fp4:
  case ElementKind::e2m1:
  case ElementKind::e4m3:
  case ElementKind::e5m2:
    return true;
  default:
    return false;
  }
}

std::string FormatAttr::getName() const {
  std::string name = stringifyElementKind(getKind()).str();
  if (getPhase())
    name += "_" + stringifyPhase(*getPhase()).str();
  return name;
}

//===----------------------------------------------------------------------===//
// QTensorType
//===----------------------------------------------------------------------===//

LogicalResult QTensorType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  ArrayRef<int64_t> shape, FormatAttr format) {
  for (int64_t dim : shape)
    if (dim < 0)
      return emitError() << "qtensor needs a static, non-negative shape";
  if (!format)
    return emitError() << "qtensor needs a format";
  if (format.getBlock())
    return emitError() << "block-scaled formats are not supported in "
                          "qtensor yet (per-tensor scales only)";
  return success();
}

Type QTensorType::parse(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<int64_t> shape;
  FormatAttr format;
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/true,
                                /*withTrailingX=*/true) ||
      parser.parseAttribute(format) || parser.parseGreater())
    return {};
  for (int64_t dim : shape)
    if (ShapedType::isDynamic(dim)) {
      parser.emitError(loc) << "qtensor needs a static shape";
      return {};
    }
  return parser.getChecked<QTensorType>(loc, parser.getContext(), shape,
                                        format);
}

void QTensorType::print(AsmPrinter &printer) const {
  printer << "<";
  for (int64_t dim : getShape())
    printer << dim << "x";
  printer.printAttribute(getFormat());
  printer << ">";
}

int64_t QTensorType::getNumElements() const {
  int64_t n = 1;
  for (int64_t dim : getShape())
    n *= dim;
  return n;
}

int64_t QTensorType::getStorageSize() const {
  int64_t n = getNumElements();
  return getFormat().getBitWidth() == 4 ? (n + 1) / 2 : n;
}

RankedTensorType QTensorType::getStorageType() const {
  unsigned width = getFormat().getBitWidth() == 16 ? 16 : 8;
  return RankedTensorType::get({getStorageSize()},
                               IntegerType::get(getContext(), width));
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Writes a shape as `AxBxC` (or `scalar`) into a diagnostic.
static std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(shape, os, "x");
  return shape.empty() ? "0-d" : s;
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

void QuantizeOp::build(OpBuilder &builder, OperationState &state,
                       Type resultType, Value input, Value scale) {
  build(builder, state, resultType, /*counters=*/TypeRange(), input, scale,
        /*seed=*/Value(), Rounding::nearest, /*stream=*/IntegerAttr());
}

LogicalResult QuantizeOp::verify() {
  auto inputType = cast<RankedTensorType>(getInput().getType());
  QTensorType resultType = getResultType();
  if (inputType.getShape() != resultType.getShape())
    return emitOpError("input shape ")
           << shapeStr(inputType.getShape())
           << " does not match the quantized shape "
           << shapeStr(resultType.getShape());
  if (!getCounters().empty() && getCounters().size() != 3)
    return emitOpError("expects either no counters or three i64 counters "
                       "(saturated, flushed, non-finite), got ")
           << getCounters().size();
  if (getRounding() == Rounding::stochastic) {
    if (!getSeed())
      return emitOpError("stochastic rounding needs a seed operand");
    if (!getStream())
      return emitOpError("stochastic rounding needs a stream id");
  } else {
    if (getSeed())
      return emitOpError("a seed is only meaningful with stochastic rounding");
    if (getStream())
      return emitOpError("a stream id is only meaningful with stochastic "
                         "rounding");
  }
  return success();
}

//===----------------------------------------------------------------------===//
// DequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult DequantizeOp::verify() {
  auto inputType = cast<QTensorType>(getInput().getType());
  auto resultType = cast<RankedTensorType>(getResult().getType());
  if (inputType.getShape() != resultType.getShape())
    return emitOpError("result shape ")
           << shapeStr(resultType.getShape())
           << " does not match the quantized shape "
           << shapeStr(inputType.getShape());
  return success();
}

//===----------------------------------------------------------------------===//
// PackOp / UnpackOp
//===----------------------------------------------------------------------===//

LogicalResult PackOp::verify() {
  auto resultType = cast<QTensorType>(getResult().getType());
  RankedTensorType expected = resultType.getStorageType();
  if (getCodes().getType() != expected)
    return emitOpError("codes of ")
           << resultType << " must be stored as " << expected << ", got "
           << getCodes().getType();
  return success();
}

OpFoldResult PackOp::fold(FoldAdaptor) {
  // pack(unpack(q)) == q.
  if (auto unpack = getCodes().getDefiningOp<UnpackOp>())
    if (getScale() == unpack.getScale() &&
        unpack.getInput().getType() == getResult().getType())
      return unpack.getInput();
  return {};
}

LogicalResult UnpackOp::inferReturnTypes(
    MLIRContext *context, std::optional<Location> location,
    ValueRange operands, DictionaryAttr, OpaqueProperties, RegionRange,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  auto type = dyn_cast<QTensorType>(operands[0].getType());
  if (!type)
    return failure();
  inferredReturnTypes.push_back(type.getStorageType());
  inferredReturnTypes.push_back(Float32Type::get(context));
  return success();
}

LogicalResult UnpackOp::fold(FoldAdaptor, SmallVectorImpl<OpFoldResult> &res) {
  // unpack(pack(c, s)) == (c, s).
  auto pack = getInput().getDefiningOp<PackOp>();
  if (!pack)
    return failure();
  res.push_back(pack.getCodes());
  res.push_back(pack.getScale());
  return success();
}

//===----------------------------------------------------------------------===//
// GradScaleOp
//===----------------------------------------------------------------------===//

LogicalResult GradScaleOp::verify() {
  FormatAttr format = getFormat();
  if (!format.isGradientFormat())
    return emitOpError("format ")
           << format.getName()
           << " is not a gradient format; expected radix4, radix2_fp4, "
              "e2m1, e4m3 or e5m2";
  FloatAttr scale;
  if (matchPattern(getScale(), m_Constant(&scale))) {
    double v = scale.getValueAsDouble();
    int exp = 0;
    // 0 means "not initialized"; anything else must be a positive 2^k.
    if (v != 0.0 && !(v > 0.0 && std::isfinite(v) &&
                      std::frexp(v, &exp) == 0.5))
      return emitOpError("GradScale must be a positive power of two (or 0 "
                         "for not yet initialized), got ")
             << v;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ComputeScaleOp
//===----------------------------------------------------------------------===//

LogicalResult ComputeScaleOp::verify() {
  if (getRule() == ScaleRule::sawb &&
      getFormat().getKind() != ElementKind::int4)
    return emitOpError("the SAWB rule is defined for int4 weights only, "
                       "not ")
           << getFormat().getName();
  return success();
}

//===----------------------------------------------------------------------===//
// LowpMatmulOp
//===----------------------------------------------------------------------===//

LogicalResult LowpMatmulOp::verify() {
  auto lhsType = cast<QTensorType>(getLhs().getType());
  auto rhsType = cast<QTensorType>(getRhs().getType());
  auto resultType = cast<RankedTensorType>(getResult().getType());
  if (lhsType.getRank() != 2 || rhsType.getRank() != 2 ||
      resultType.getRank() != 2)
    return emitOpError("operands and result must be 2-D, got ranks ")
           << lhsType.getRank() << ", " << rhsType.getRank() << " -> "
           << resultType.getRank();
  ArrayRef<int64_t> a = lhsType.getShape(), b = rhsType.getShape();
  int64_t m = getTransposeA() ? a[1] : a[0];
  int64_t ka = getTransposeA() ? a[0] : a[1];
  int64_t kb = getTransposeB() ? b[1] : b[0];
  int64_t n = getTransposeB() ? b[0] : b[1];
  if (ka != kb)
    return emitOpError("reduction dimensions differ: op(lhs) is ")
           << m << "x" << ka << " and op(rhs) is " << kb << "x" << n;
  if (resultType.getShape() != ArrayRef<int64_t>{m, n})
    return emitOpError("result shape ")
           << shapeStr(resultType.getShape()) << " does not match " << m
           << "x" << n;
  if (getAccumulation() == Accumulation::f16) {
    if (!getChunk())
      return emitOpError("f16 accumulation needs a chunk size");
    if (*getChunk() < 1)
      return emitOpError("chunk size must be positive, got ") << *getChunk();
  } else if (getChunk()) {
    return emitOpError("a chunk size is only meaningful with f16 "
                       "accumulation");
  }
  return success();
}
