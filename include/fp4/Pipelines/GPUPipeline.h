//===- GPUPipeline.h - The fp4 GPU (NVPTX) pipeline -------------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// `fp4-to-nvvm{chip=sm_90}`: tensor-level IR (with or without fp4 ops) to a
// host module in the LLVM dialect that launches kernels held as PTX in
// `gpu.binary` ops, and `fp4::emitPTX`, the library entry point that returns
// the PTX of every kernel. See docs/gpu.md.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_PIPELINES_GPUPIPELINE_H
#define FP4_PIPELINES_GPUPIPELINE_H

#include "mlir/Pass/PassOptions.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir {
class DialectRegistry;
class ModuleOp;
class OpPassManager;
} // namespace mlir

namespace fp4 {

/// Options of `fp4-to-nvvm`.
struct GPUPipelineOptions
    : public mlir::PassPipelineOptions<GPUPipelineOptions> {
  Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("Target chip: sm_80, sm_89, sm_90 or sm_100a"),
      llvm::cl::init("sm_90")};
  Option<std::string> dumpPTX{
      *this, "dump-ptx",
      llvm::cl::desc("Also write the PTX of every kernel to this file ('-' "
                     "for stdout), in split-file format")};
  Option<int64_t> blockSize{
      *this, "block-size",
      llvm::cl::desc("Threads per block of the fp4 elementwise kernels"),
      llvm::cl::init(256)};
  Option<std::string> cudaPath{
      *this, "cuda-path",
      llvm::cl::desc("CUDA toolkit whose libdevice provides the math "
                     "functions of kernels (default: findCUDAToolkit())")};
  Option<unsigned> optLevel{
      *this, "opt-level",
      llvm::cl::desc("Optimization level of the NVPTX back end (0-3)"),
      llvm::cl::init(3)};
};

/// The CUDA toolkit that has libdevice (nvvm/libdevice/libdevice.10.bc):
/// $CUDA_HOME, $CUDA_PATH, $CUDA_ROOT, /usr/local/cuda, /usr/lib/cuda,
/// /opt/cuda or /usr/lib/nvidia-cuda-toolkit, or "" if none has it.
std::string findCUDAToolkit();

/// Appends the GPU pipeline for `options.chip`, which must be a supported
/// chip (see `fp4::checkGPUChip`): LLVM aborts on chips it does not know.
/// Anchored on `builtin.module`.
void buildGPUPipeline(mlir::OpPassManager &pm,
                      const GPUPipelineOptions &options);

/// Adds what the GPU pipeline needs beyond `registerCPUPipelineDependencies`:
/// the GPU, NVVM and LLVM dialects, the NVVM target attribute interface and
/// the LLVM IR translations that `gpu-module-to-binary` uses.
void registerGPUPipelineDependencies(mlir::DialectRegistry &registry);

/// Registers the GPU passes (convert-fp4-to-gpu, fp4-gpu-sink-constants,
/// fp4-dump-ptx) and the `fp4-to-nvvm` pipeline, which reports an unknown
/// chip as a command-line error.
void registerGPUPipelines();

/// The PTX of one kernel.
struct KernelPTX {
  /// Kernel (and gpu.module) name, e.g. "fp4_quantize_int4".
  std::string name;
  /// The chip it was compiled for.
  std::string chip;
  /// PTX text.
  std::string ptx;
};

/// Runs the GPU pipeline for `chip` on a clone of `module` and returns the
/// PTX of every kernel, in module order. Errors are one line: "unknown chip
/// 'sm_75' (supported: ...)" or "LOCATION: lowering to NVVM failed: MESSAGE".
/// The module's context gets the dialects and interfaces of
/// `registerGPUPipelineDependencies`.
llvm::Expected<std::vector<KernelPTX>> emitPTX(mlir::ModuleOp module,
                                               llvm::StringRef chip);

} // namespace fp4

#endif // FP4_PIPELINES_GPUPIPELINE_H
