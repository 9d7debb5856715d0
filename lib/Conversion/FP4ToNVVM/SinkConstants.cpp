//===- SinkConstants.cpp - Move constants into GPU launches ---------------===//
//
// Part of the fp4 project.
//
// `fp4-gpu-sink-constants`: clones into each `gpu.launch` body the
// constants it uses and the buffers of constant globals (the
// `memref.get_global` and the side-effect-free views and casts of it), so
// that `gpu-kernel-outlining` neither passes constants as kernel arguments
// (the canonicalizer hoists them out of loops, hence out of the future
// kernels) nor hands the device a pointer to host memory.
//
//===----------------------------------------------------------------------===//

#include "fp4/Conversion/FP4ToNVVM.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <functional>

namespace fp4 {
#define GEN_PASS_DEF_FP4GPUSINKCONSTANTS
#include "fp4/Conversion/GPUPasses.h.inc"
} // namespace fp4

using namespace mlir;

namespace {

/// Whether `op` (defined outside the launch) can be cloned into it: a
/// constant, a get_global, or a side-effect-free op without regions (a
/// memref view or cast, index arithmetic) whose operands can all be cloned.
/// A get_global of a non-constant global is sinkable too, to be reported.
bool isSinkable(Operation *op, llvm::DenseMap<Operation *, bool> &memo) {
  auto it = memo.find(op);
  if (it != memo.end())
    return it->second;
  memo[op] = false; // cycles cannot happen in SSA, but be safe
  bool result = false;
  if (op->hasTrait<OpTrait::ConstantLike>() || isa<memref::GetGlobalOp>(op))
    result = op->getNumRegions() == 0;
  else if (op->getNumRegions() == 0 && op->getNumResults() > 0 &&
           isMemoryEffectFree(op))
    result = llvm::all_of(op->getOperands(), [&](Value v) {
      Operation *def = v.getDefiningOp();
      return def && isSinkable(def, memo);
    });
  return memo[op] = result;
}

/// Whether `op` transitively uses a memref.get_global: only such chains are
/// worth cloning (a kernel may read a host value, but not a host buffer).
bool usesGlobal(Operation *op) {
  if (isa<memref::GetGlobalOp>(op))
    return true;
  return llvm::any_of(op->getOperands(), [](Value v) {
    Operation *def = v.getDefiningOp();
    return def && usesGlobal(def);
  });
}

struct SinkConstantsPass
    : ::fp4::impl::FP4GPUSinkConstantsBase<SinkConstantsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTableCollection symbols;
    bool failed = false;
    module.walk([&](gpu::LaunchOp launch) {
      // The roots: ops outside the launch whose results the body uses.
      llvm::DenseMap<Operation *, bool> memo;
      llvm::SetVector<Operation *> roots;
      launch.getBody().walk([&](Operation *op) {
        for (Value operand : op->getOperands()) {
          Operation *def = operand.getDefiningOp();
          if (!def || launch->isAncestor(def) || !isSinkable(def, memo))
            continue;
          if (def->hasTrait<OpTrait::ConstantLike>() || usesGlobal(def))
            roots.insert(def);
        }
      });
      // Clone each root with the ops it depends on, in dependence order.
      IRMapping mapping;
      OpBuilder builder = OpBuilder::atBlockBegin(&launch.getBody().front());
      std::function<Value(Value)> cloneValue = [&](Value v) -> Value {
        if (Value mapped = mapping.lookupOrNull(v))
          return mapped;
        Operation *def = v.getDefiningOp();
        for (Value operand : def->getOperands())
          cloneValue(operand);
        if (auto get = dyn_cast<memref::GetGlobalOp>(def)) {
          auto global = symbols.lookupNearestSymbolFrom<memref::GlobalOp>(
              get, get.getNameAttr());
          if (!global || !global.getConstant()) {
            get.emitError("a GPU kernel uses the non-constant global @")
                << get.getName()
                << "; the device cannot share it with the host";
            failed = true;
          }
        }
        builder.clone(*def, mapping);
        return mapping.lookup(v);
      };
      for (Operation *root : roots)
        for (Value result : root->getResults()) {
          Value clone = cloneValue(result);
          result.replaceUsesWithIf(clone, [&](OpOperand &use) {
            return launch->isProperAncestor(use.getOwner());
          });
        }
    });
    if (failed)
      signalPassFailure();
  }
};

} // namespace
