//===- MemoryReport.cpp - Bytes saved for the backward pass ---------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "fp4/Transforms/MemoryReport.h"
#include "fp4/Dialect/FP4/IR/FP4Dialect.h"
#include "fp4/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/Support/FormatVariadic.h"

namespace fp4 {
#define GEN_PASS_DEF_FP4REPORTMEMORY
#include "fp4/Transforms/Passes.h.inc"
} // namespace fp4

using namespace mlir;

namespace {

int64_t bytesOf(Type type) {
  if (auto q = dyn_cast<mlir::fp4::QTensorType>(type)) {
    int64_t width = q.getFormat().getBitWidth() == 16 ? 2 : 1;
    return q.getStorageSize() * width + 4;
  }
  if (auto t = dyn_cast<RankedTensorType>(type)) {
    if (!t.hasStaticShape())
      return 0;
    int64_t bits = t.getElementTypeBitWidth();
    return t.getNumElements() * std::max<int64_t>(1, (bits + 7) / 8);
  }
  if (type.isIntOrFloat())
    return std::max<unsigned>(1, (type.getIntOrFloatBitWidth() + 7) / 8);
  return 0;
}

/// The op of `fn`'s body that contains `op`.
Operation *topLevel(Operation *op, Block *body) {
  while (op && op->getBlock() != body)
    op = op->getParentOp();
  return op;
}

} // namespace

FailureOr<::fp4::SavedActivations>
(::fp4::computeSavedActivations)(func::FuncOp fn) {
  Block &body = fn.getBody().front();
  Operation *marker = nullptr;
  for (Operation &op : body)
    if (op.hasAttr("fp4.backward_start")) {
      marker = &op;
      break;
    }
  if (!marker)
    return failure();
  ::fp4::SavedActivations report;
  DenseSet<Value> saved;
  for (Operation &op : body) {
    if (&op == marker)
      break;
    for (Value v : op.getResults()) {
      bool usedLater = llvm::any_of(v.getUsers(), [&](Operation *user) {
        Operation *top = topLevel(user, &body);
        return top && !top->isBeforeInBlock(marker);
      });
      if (!usedLater)
        continue;
      saved.insert(v);
      int64_t bytes = bytesOf(v.getType());
      report.totalBytes += bytes;
      report.values++;
      if (isa<mlir::fp4::QTensorType>(v.getType()))
        report.quantizedBytes += bytes;
      else if (auto t = dyn_cast<RankedTensorType>(v.getType());
               t && isa<FloatType>(t.getElementType()))
        report.floatBytes += bytes;
      else
        report.otherBytes += bytes;
    }
  }
  // Per layer: the activation operand of each forward GEMM as the backward
  // pass sees it (its quantized form when a later op quantizes it).
  for (Operation &op : body) {
    if (&op == marker)
      break;
    // Forward GEMMs carry the layer name the recipe pass gave them.
    auto name = op.getAttrOfType<StringAttr>("fp4.layer");
    if (!name)
      continue;
    ::fp4::SavedActivations::Layer layer;
    layer.name = name.str();
    Value act = op.getOperand(0);
    // A lowp convolution reads decoded units: look through
    // dequantize(pack(unpack(q))) to the saved qtensor.
    if (auto deq = act.getDefiningOp<mlir::fp4::DequantizeOp>())
      if (auto pack = deq.getInput().getDefiningOp<mlir::fp4::PackOp>())
        if (auto unpack = pack.getCodes().getDefiningOp<mlir::fp4::UnpackOp>())
          act = unpack.getInput();
    layer.quantized = isa<mlir::fp4::QTensorType>(act.getType());
    layer.activationBytes = bytesOf(act.getType());
    report.layers.push_back(layer);
  }
  return report;
}

namespace {
struct ReportMemoryPass
    : ::fp4::impl::FP4ReportMemoryBase<ReportMemoryPass> {
  void runOnOperation() override {
    for (auto fn : getOperation().getOps<func::FuncOp>()) {
      FailureOr<::fp4::SavedActivations> r = ::fp4::computeSavedActivations(fn);
      if (failed(r))
        continue;
      InFlightDiagnostic d = fn.emitRemark();
      d << "@" << fn.getSymName() << " saves " << r->totalBytes
        << " bytes for the backward pass in " << r->values
        << " values (float tensors " << r->floatBytes << ", quantized "
        << r->quantizedBytes << ", other " << r->otherBytes << ")";
      for (const auto &layer : r->layers)
        d.attachNote() << layer.name << ": activation "
                       << layer.activationBytes << " bytes"
                       << (layer.quantized ? " (quantized)" : "");
    }
  }
};
} // namespace
