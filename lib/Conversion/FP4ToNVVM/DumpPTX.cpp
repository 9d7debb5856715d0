//===- DumpPTX.cpp - Write the PTX of gpu.binary ops ----------------------===//
//
// Part of the fp4 project.
//
// `fp4-dump-ptx{output=FILE}`: writes the PTX of every assembly object of
// every gpu.binary as `//--- NAME.CHIP.ptx` followed by the text, the input
// format of `split-file`, so tests can FileCheck and ptxas it.
//
//===----------------------------------------------------------------------===//

#include "fp4/Conversion/FP4ToNVVM.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/ToolOutputFile.h"

namespace fp4 {
#define GEN_PASS_DEF_FP4DUMPPTX
#include "fp4/Conversion/GPUPasses.h.inc"
} // namespace fp4

using namespace mlir;

namespace {

struct DumpPTXPass : ::fp4::impl::FP4DumpPTXBase<DumpPTXPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::string text;
    llvm::raw_string_ostream os(text);
    WalkResult result = module.walk([&](gpu::BinaryOp binary) {
      for (Attribute attr : binary.getObjects()) {
        auto object = cast<gpu::ObjectAttr>(attr);
        if (object.getFormat() != gpu::CompilationTarget::Assembly) {
          binary.emitError("fp4-dump-ptx: object of @")
              << binary.getName() << " is not PTX (format "
              << gpu::stringifyCompilationTarget(object.getFormat()) << ")";
          return WalkResult::interrupt();
        }
        std::string chip = "unknown";
        if (auto target = dyn_cast<NVVM::NVVMTargetAttr>(object.getTarget()))
          chip = target.getChip().str();
        os << "//--- " << binary.getName() << "." << chip << ".ptx\n"
           << object.getObject().getValue();
        if (!object.getObject().getValue().ends_with("\n"))
          os << "\n";
      }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return signalPassFailure();
    std::string error;
    std::unique_ptr<llvm::ToolOutputFile> file = openOutputFile(output, &error);
    if (!file) {
      module.emitError("fp4-dump-ptx: ") << error;
      return signalPassFailure();
    }
    file->os() << text;
    file->keep();
    markAllAnalysesPreserved();
  }
};

} // namespace
