//===- GPUPipeline.cpp - The fp4 GPU (NVPTX) pipeline ---------------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// fp4-to-nvvm{chip=CHIP}: tensor-level IR to a host module in the LLVM
// dialect plus one gpu.binary (PTX) per kernel:
//
//   convert-fp4-to-gpu{chip}                 fp4 ops -> GPU-mapped scf.parallel
//   func.func(convert-parallel-loops-to-gpu) the fp4 kernels -> gpu.launch
//   convert-fp4-to-standard, canonicalize, cse   (host scalar logic)
//   inliner, func.func(convert-elementwise-to-linalg), eliminate-empty-tensors
//   one-shot-bufferize{bufferize-function-boundaries, identity layouts}
//   canonicalize, buffer-results-to-out-params, buffer-deallocation-pipeline
//   convert-bufferization-to-memref
//   func.func(convert-linalg-to-parallel-loops,     the rest of the step:
//             scf-parallel-loop-tiling{16,16},      linalg -> mapped loops
//             gpu-map-parallel-loops,               -> gpu.launch
//             convert-parallel-loops-to-gpu)
//   fp4-gpu-sink-constants, gpu-kernel-outlining, lower-affine, canonicalize
//   nvvm-attach-target{chip, features=+ptxNN, O}
//   convert-scf-to-cf
//   gpu.module(convert-gpu-to-nvvm, canonicalize, cse, reconcile-casts)
//   (host) expand-strided-metadata, arith-expand, math-to-llvm/libm,
//          convert-vector-to-llvm,
//          finalize-memref-to-llvm{use-generic-functions}  (managed memory)
//   gpu-to-llvm, convert-to-llvm, reconcile-unrealized-casts
//   gpu-module-to-binary{format=isa}          PTX by LLVM's NVPTX back end
//   [fp4-dump-ptx{output}]
//
// Memory model: the host allocates every buffer through
// `_mlir_memref_to_llvm_alloc` (use-generic-functions), which the fp4 CUDA
// runtime implements with CUDA managed memory, so that host code (scalar
// logic, copies) and kernels share buffers; function arguments must be
// device-accessible too (fp4-run --device cuda passes managed buffers).
//
//===----------------------------------------------------------------------===//

#include "fp4/Pipelines/GPUPipeline.h"

#include "fp4/Conversion/FP4ToNVVM.h"
#include "fp4/Conversion/FP4ToStandard.h"
#include "fp4/Pipelines/Pipelines.h"

#include "mlir/Conversion/GPUCommon/GPUCommonPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/SCFToGPU/SCFToGPUPass.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/Support/FileSystem.h"

#include <algorithm>
#include <cstdlib>

using namespace mlir;
using ::fp4::GPUChip;
using ::fp4::GPUPipelineOptions;
using ::fp4::KernelPTX;

namespace fp4 {
std::string findCUDAToolkit() {
  auto hasLibdevice = [](StringRef root) {
    return !root.empty() &&
           llvm::sys::fs::exists(root + "/nvvm/libdevice/libdevice.10.bc");
  };
  for (const char *var : {"CUDA_HOME", "CUDA_PATH", "CUDA_ROOT"})
    if (const char *value = std::getenv(var); value && hasLibdevice(value))
      return value;
  for (StringRef root : {"/usr/local/cuda", "/usr/lib/cuda", "/opt/cuda",
                         "/usr/lib/nvidia-cuda-toolkit"})
    if (hasLibdevice(root))
      return root.str();
  return "";
}
} // namespace fp4

void ::fp4::buildGPUPipeline(OpPassManager &pm,
                           const GPUPipelineOptions &options) {
  const GPUChip *chip = lookupGPUChip(options.chip);
  assert(chip && "the chip must be checked before building the pipeline");

  // fp4 ops -> kernels as GPU-mapped loops, then gpu.launch right away, so
  // that the loop passes below only see the loops of the rest of the step.
  ConvertFP4ToGPUOptions fp4Options;
  fp4Options.chip = options.chip;
  fp4Options.blockSize = options.blockSize;
  pm.addPass(createConvertFP4ToGPU(fp4Options));
  // Before any canonicalization, which would fold the outer loop of a
  // one-block kernel (and its `function` name) away.
  pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());
  // Host-side scalar logic left as fp4 ops on one-element tensors.
  addFP4ToStandardPasses(pm);

  // Bufferization, as in the CPU pipeline.
  pm.addPass(createInlinerPass());
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  addModuleBufferization(pm);
  bufferization::BufferResultsToOutParamsPassOptions outParamOptions;
  outParamOptions.hoistStaticAllocs = true;
  outParamOptions.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParamOptions));
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());

  // The rest of the step: structured ops to parallel loops, tiled into
  // blocks of threads and mapped (upstream GPU mapping).
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(
      createParallelLoopTilingPass({16, 16}, /*noMinMaxBounds=*/true));
  pm.addNestedPass<func::FuncOp>(createGpuMapParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());

  // Kernels.
  pm.addPass(createFP4GPUSinkConstants());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  GpuNVVMAttachTargetOptions targetOptions;
  targetOptions.chip = chip->name.str();
  targetOptions.features = chip->getPTXFeature();
  targetOptions.optLevel = std::min(options.optLevel.getValue(), 3u);
  pm.addPass(createGpuNVVMAttachTarget(targetOptions));
  pm.addPass(createSCFToControlFlowPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertGpuOpsToNVVMOps());
  pm.addNestedPass<gpu::GPUModuleOp>(createCanonicalizerPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createCSEPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createReconcileUnrealizedCastsPass());

  // Host.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(arith::createArithExpandOpsPass());
  pm.addPass(math::createMathExtendToSupportedTypes());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertVectorToLLVMPass());
  FinalizeMemRefToLLVMConversionPassOptions memrefOptions;
  memrefOptions.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOptions));
  pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());

  // PTX.
  GpuModuleToBinaryPassOptions binaryOptions;
  binaryOptions.compilationTarget = "isa";
  // libdevice (math functions of the rest of the step) comes from the CUDA
  // toolkit; the fp4 kernels themselves call no math function.
  binaryOptions.toolkitPath = options.cudaPath.empty()
                                  ? findCUDAToolkit()
                                  : options.cudaPath.getValue();
  pm.addPass(createGpuModuleToBinaryPass(binaryOptions));
  if (!options.dumpPTX.empty()) {
    FP4DumpPTXOptions dumpOptions;
    dumpOptions.output = options.dumpPTX;
    pm.addPass(createFP4DumpPTX(dumpOptions));
  }
}

void ::fp4::registerGPUPipelineDependencies(DialectRegistry &registry) {
  registerCPUPipelineDependencies(registry);
  registry.insert<gpu::GPUDialect, LLVM::LLVMDialect, NVVM::NVVMDialect>();
  registerConvertNVVMToLLVMInterface(registry);
  registerGPUConversionInterfaces(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  // #gpu.select_object, which embeds a gpu.binary in the host's LLVM IR.
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
}

void ::fp4::registerGPUPipelines() {
  registerFP4GPUPasses();
  registerPassPipeline(
      "fp4-to-nvvm",
      "Lower fp4 and upstream tensor-level IR to host LLVM IR that launches "
      "PTX kernels for one NVIDIA chip",
      [](OpPassManager &pm, StringRef optionsString,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        GPUPipelineOptions options;
        if (failed(options.parseFromString(optionsString)))
          return failure();
        if (llvm::Expected<const GPUChip *> chip = checkGPUChip(options.chip);
            !chip)
          return errorHandler("fp4-to-nvvm: " +
                              llvm::toString(chip.takeError()));
        buildGPUPipeline(pm, options);
        return success();
      },
      [](function_ref<void(const detail::PassOptions &)> optHandler) {
        optHandler(GPUPipelineOptions());
      });
}

//===----------------------------------------------------------------------===//
// emitPTX
//===----------------------------------------------------------------------===//

static llvm::Error makeError(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

/// "file:line:col" of the first file location in `loc`, or "".
static std::string formatLocation(Location loc) {
  std::string result;
  loc->walk([&](Location nested) {
    if (auto fileLoc = dyn_cast<FileLineColLoc>(nested)) {
      result = (fileLoc.getFilename().getValue() + ":" +
                Twine(fileLoc.getLine()) + ":" + Twine(fileLoc.getColumn()))
                   .str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return result;
}

namespace fp4 {
llvm::Expected<std::vector<KernelPTX>> emitPTX(mlir::ModuleOp module,
                                                  llvm::StringRef chipName) {
  using namespace mlir;
  llvm::Expected<const GPUChip *> chip = checkGPUChip(chipName);
  if (!chip)
    return chip.takeError();
  MLIRContext *ctx = module.getContext();
  DialectRegistry registry;
  registerGPUPipelineDependencies(registry);
  ctx->appendDialectRegistry(registry);

  OwningOpRef<ModuleOp> clone = module.clone();
  std::optional<std::pair<Location, std::string>> firstError;
  ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error && !firstError)
      firstError.emplace(diag.getLocation(), diag.str());
    return success();
  });
  PassManager pm(ctx, ModuleOp::getOperationName());
  GPUPipelineOptions options;
  options.chip = chipName.str();
  buildGPUPipeline(pm, options);
  if (failed(pm.run(*clone))) {
    Location loc = firstError ? firstError->first : module.getLoc();
    std::string message =
        firstError ? firstError->second : "the pass pipeline failed";
    std::replace(message.begin(), message.end(), '\n', ' ');
    std::string where = formatLocation(loc);
    return makeError((where.empty() ? "" : where + ": ") +
                     "lowering to NVVM failed: " + message);
  }
  std::vector<KernelPTX> kernels;
  for (auto binary : clone->getOps<gpu::BinaryOp>())
    for (Attribute attr : binary.getObjects()) {
      auto object = cast<gpu::ObjectAttr>(attr);
      kernels.push_back({binary.getName().str(), chipName.str(),
                         object.getObject().getValue().str()});
    }
  return kernels;
}
} // namespace fp4
