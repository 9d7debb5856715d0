//===- SinkGlobals.cpp - Move constant globals into GPU launches ---------===//
//
// Part of the fp4 project.
//
// `fp4-gpu-sink-globals`: clones every `memref.get_global` of a constant
// global that a `gpu.launch` body uses into that body, so that
// `gpu-kernel-outlining` copies the global into the kernel's module instead
// of passing a host pointer to the device.
//
//===----------------------------------------------------------------------===//

#include "fp4/Conversion/FP4ToNVVM.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"

namespace fp4 {
#define GEN_PASS_DEF_FP4GPUSINKGLOBALS
#include "fp4/Conversion/GPUPasses.h.inc"
} // namespace fp4

using namespace mlir;

namespace {

struct SinkGlobalsPass
    : ::fp4::impl::FP4GPUSinkGlobalsBase<SinkGlobalsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTableCollection symbols;
    bool failed = false;
    module.walk([&](gpu::LaunchOp launch) {
      // Operands of ops in the body that are results of get_global outside.
      llvm::SmallSetVector<memref::GetGlobalOp, 4> globals;
      launch.getBody().walk([&](Operation *op) {
        for (Value operand : op->getOperands())
          if (auto get = operand.getDefiningOp<memref::GetGlobalOp>())
            if (!launch->isAncestor(get))
              globals.insert(get);
      });
      OpBuilder builder = OpBuilder::atBlockBegin(&launch.getBody().front());
      for (memref::GetGlobalOp get : globals) {
        auto global = symbols.lookupNearestSymbolFrom<memref::GlobalOp>(
            get, get.getNameAttr());
        if (!global || !global.getConstant()) {
          get.emitError("a GPU kernel uses the non-constant global @")
              << get.getName()
              << "; the device cannot share it with the host";
          failed = true;
          continue;
        }
        Operation *clone = builder.clone(*get);
        get.getResult().replaceUsesWithIf(
            clone->getResult(0), [&](OpOperand &use) {
              return launch->isProperAncestor(use.getOwner());
            });
      }
    });
    if (failed)
      signalPassFailure();
  }
};

} // namespace
