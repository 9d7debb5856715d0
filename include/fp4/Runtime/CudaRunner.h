//===- CudaRunner.h - Run a function on a CUDA device ------------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// The CUDA counterpart of JitRunner (same signatures, same wrapper calling
// convention, see JitRunner.h): lowers one function of a module with the GPU
// pipeline (`fp4::buildGPUPipeline`) for a chip, loads every kernel's PTX
// into the driver (a driver that cannot compile it is reported here, with
// its log), JIT-compiles the host code with `mlir::ExecutionEngine` against
// the fp4 CUDA runtime (CudaRuntime.h) and runs it on arrays copied into
// CUDA managed memory.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_RUNTIME_CUDARUNNER_H
#define FP4_RUNTIME_CUDARUNNER_H

#include "fp4/Runtime/JitRunner.h"

#include <memory>
#include <string>

namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace fp4 {

struct CudaRunnerOptions {
  /// Target chip (sm_80, sm_89, sm_90, sm_100a); empty: the one that suits
  /// device 0 (fp4::getGPUChipForComputeCapability).
  std::string chip;
  /// Optimization level of the host code and of the NVPTX back end (0-3).
  unsigned optLevel = 3;
};

class CudaRunner {
public:
  /// Compiles `entry` of `module` (not modified) for device 0. Errors are one
  /// line: "no CUDA device available (...)", "unknown chip ...",
  /// "LOCATION: lowering for CUDA failed: ...", "kernel K: ...".
  static llvm::Expected<std::unique_ptr<CudaRunner>>
  create(mlir::ModuleOp module, llvm::StringRef entry,
         const CudaRunnerOptions &options = {});

  ~CudaRunner();

  const FunctionSpec &getSpec() const { return spec; }
  /// The chip the code was compiled for.
  llvm::StringRef getChip() const { return chip; }

  /// Runs the function on device 0 (inputs checked as by JitRunner::run).
  llvm::Expected<llvm::SmallVector<NpyArray>>
  run(llvm::ArrayRef<const NpyArray *> inputs);

private:
  CudaRunner() = default;

  FunctionSpec spec;
  std::string chip;
  std::string wrapperName;
  std::unique_ptr<mlir::ExecutionEngine> engine;
  /// Managed buffers of the inputs and outputs, allocated by the first run.
  llvm::SmallVector<void *> buffers;
};

} // namespace fp4

#endif // FP4_RUNTIME_CUDARUNNER_H
