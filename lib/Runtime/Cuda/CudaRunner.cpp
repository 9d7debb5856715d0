//===- CudaRunner.cpp - Run a function on a CUDA device -------------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "fp4/Runtime/CudaRunner.h"

#include "fp4/Conversion/FP4ToNVVM.h"
#include "fp4/Pipelines/GPUPipeline.h"
#include "fp4/Runtime/CudaRuntime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/TargetSelect.h"

#include <algorithm>
#include <cstring>
#include <mutex>

using namespace fp4;
using namespace mlir;
using llvm::StringRef;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

/// "file:line:col: " of the first file location in `loc`, or "".
static std::string locationPrefix(Location loc) {
  std::string where = formatFileLocation(loc);
  return where.empty() ? where : where + ": ";
}

CudaRunner::~CudaRunner() {
  // The engine (and its module unload destructors) goes first.
  engine.reset();
  for (void *buffer : buffers)
    llvm::consumeError(cuda::free(buffer));
}

llvm::Expected<std::unique_ptr<CudaRunner>>
CudaRunner::create(ModuleOp module, StringRef entry,
                   const CudaRunnerOptions &options) {
  llvm::Expected<FunctionSpec> spec =
      JitRunner::getFunctionSpec(module, entry);
  if (!spec)
    return spec.takeError();
  if (!options.chip.empty())
    if (llvm::Expected<const GPUChip *> checked = checkGPUChip(options.chip);
        !checked)
      return checked.takeError();
  if (llvm::Error error = cuda::initialize())
    return std::move(error);

  // The chip: given, or the one that suits the device.
  std::string chip = options.chip;
  if (chip.empty()) {
    llvm::Expected<cuda::DeviceInfo> info = cuda::getDeviceInfo();
    if (!info)
      return info.takeError();
    const GPUChip *match =
        getGPUChipForComputeCapability(info->computeMajor, info->computeMinor);
    if (!match)
      return makeError("device '" + info->name + "' (compute capability " +
                       llvm::Twine(info->computeMajor) + "." +
                       llvm::Twine(info->computeMinor) +
                       ") is not supported (chips: " + getSupportedGPUChips() +
                       ")");
    chip = match->name.str();
  }
  if (llvm::Expected<const GPUChip *> checked = checkGPUChip(chip); !checked)
    return checked.takeError();

  MLIRContext *ctx = module.getContext();
  DialectRegistry registry;
  registerGPUPipelineDependencies(registry);
  ctx->appendDialectRegistry(registry);
  ctx->loadDialect<func::FuncDialect, tensor::TensorDialect>();

  std::unique_ptr<CudaRunner> runner(new CudaRunner());
  runner->spec = std::move(*spec);
  runner->chip = chip;
  OwningOpRef<ModuleOp> clone = module.clone();
  runner->wrapperName = "__fp4_run_" + entry.str();
  while (clone->lookupSymbol(runner->wrapperName))
    runner->wrapperName += "_";
  addRunnerWrapper(*clone, clone->lookupSymbol<func::FuncOp>(entry),
                   runner->spec, runner->wrapperName);

  {
    std::optional<std::pair<Location, std::string>> firstError;
    ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &diag) {
      if (diag.getSeverity() == DiagnosticSeverity::Error && !firstError)
        firstError.emplace(diag.getLocation(), diag.str());
      return success();
    });
    for (auto func : clone->getOps<func::FuncOp>())
      if (func.getSymName() != runner->wrapperName)
        func.setPrivate();
    PassManager pm(ctx, ModuleOp::getOperationName());
    pm.addPass(createSymbolDCEPass());
    GPUPipelineOptions pipelineOptions;
    pipelineOptions.chip = chip;
    pipelineOptions.optLevel = std::min(options.optLevel, 3u);
    buildGPUPipeline(pm, pipelineOptions);
    if (failed(pm.run(*clone))) {
      Location loc = firstError ? firstError->first : module.getLoc();
      std::string message =
          firstError ? firstError->second : "the pass pipeline failed";
      std::replace(message.begin(), message.end(), '\n', ' ');
      return makeError(locationPrefix(loc) + "lowering for CUDA failed: " +
                       message);
    }
  }
  Operation *leftover = nullptr;
  clone->walk([&](Operation *op) {
    if (op == clone->getOperation() ||
        isa<LLVM::LLVMDialect>(op->getDialect()) ||
        isa<gpu::BinaryOp, gpu::LaunchFuncOp>(op))
      return WalkResult::advance();
    leftover = op;
    return WalkResult::interrupt();
  });
  if (leftover)
    return makeError(locationPrefix(leftover->getLoc()) + "'" +
                     leftover->getName().getStringRef() +
                     "' was not converted to the LLVM dialect");

  // Let the driver compile every kernel now, so that a PTX it rejects is an
  // error here rather than in the JIT-compiled module constructors.
  for (auto binary : clone->getOps<gpu::BinaryOp>())
    for (Attribute attr : binary.getObjects()) {
      auto object = cast<gpu::ObjectAttr>(attr);
      llvm::Expected<cuda::Module> loaded =
          cuda::Module::load(object.getObject().getValue());
      if (!loaded)
        return makeError("kernel " + binary.getName() + " for " + chip +
                         ": " + llvm::toString(loaded.takeError()));
    }

  // Every external function must be one of the runtime's or in the process.
  std::vector<std::pair<std::string, void *>> symbols = cuda::getJitSymbols();
  symbols.emplace_back("memrefCopy", reinterpret_cast<void *>(&memrefCopy));
  llvm::sys::DynamicLibrary::LoadLibraryPermanently(nullptr);
  for (auto func : clone->getOps<LLVM::LLVMFuncOp>()) {
    if (!func.isExternal() ||
        llvm::any_of(symbols,
                     [&](const auto &s) { return s.first == func.getSymName(); }) ||
        llvm::sys::DynamicLibrary::SearchForAddressOfSymbol(
            func.getSymName().str()))
      continue;
    return makeError(locationPrefix(func.getLoc()) + "function '" +
                     func.getSymName() +
                     "' is declared but neither defined in the module nor "
                     "provided by the CUDA runtime");
  }

  static std::once_flag initTargets;
  std::call_once(initTargets, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  unsigned optLevel = std::min(options.optLevel, 3u);
  std::function<llvm::Error(llvm::Module *)> transformer =
      makeOptimizingTransformer(optLevel, /*sizeLevel=*/0,
                                /*targetMachine=*/nullptr);
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel =
      static_cast<llvm::CodeGenOptLevel>(optLevel);
  engineOptions.enableGDBNotificationListener = false;
  engineOptions.enablePerfNotificationListener = false;
  llvm::Expected<std::unique_ptr<ExecutionEngine>> engine =
      ExecutionEngine::create(*clone, engineOptions);
  if (!engine)
    return makeError("cannot compile '" + entry + "' for the host: " +
                     llvm::toString(engine.takeError()));
  runner->engine = std::move(*engine);
  runner->engine->registerSymbols(
      [&symbols](llvm::orc::MangleAndInterner interner) {
        llvm::orc::SymbolMap map;
        for (const auto &[name, address] : symbols)
          map[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(address),
                                 llvm::JITSymbolFlags::Exported};
        return map;
      });
  if (llvm::Expected<void (*)(void **)> fn =
          runner->engine->lookupPacked(runner->wrapperName);
      !fn)
    return makeError("cannot link '" + entry +
                     "': " + llvm::toString(fn.takeError()));
  return std::move(runner);
}

namespace {
/// An expanded memref descriptor of a dense C-ordered array.
struct Descriptor {
  void *allocated;
  void *aligned;
  int64_t offset = 0;
  SmallVector<int64_t, 8> sizesAndStrides;

  Descriptor(void *data, llvm::ArrayRef<int64_t> shape)
      : allocated(data), aligned(data) {
    sizesAndStrides.assign(shape.begin(), shape.end());
    sizesAndStrides.resize(2 * shape.size());
    int64_t stride = 1;
    for (int64_t i = shape.size() - 1; i >= 0; --i) {
      sizesAndStrides[shape.size() + i] = stride;
      stride *= shape[i];
    }
  }

  void pack(SmallVectorImpl<void *> &args) {
    args.push_back(&allocated);
    args.push_back(&aligned);
    args.push_back(&offset);
    for (int64_t &field : sizesAndStrides)
      args.push_back(&field);
  }
};
} // namespace

llvm::Expected<SmallVector<NpyArray>>
CudaRunner::run(llvm::ArrayRef<const NpyArray *> inputs) {
  if (inputs.size() != spec.arguments.size())
    return makeError("function '" + spec.name + "' takes " +
                     llvm::Twine(spec.arguments.size()) + " arguments but " +
                     llvm::Twine(inputs.size()) + " inputs were given");
  for (auto [index, array, input] : llvm::enumerate(spec.arguments, inputs))
    if (llvm::Error error = array.checkArray(*input))
      return makeError("input " + llvm::Twine(index + 1) + ": " +
                       llvm::toString(std::move(error)));

  SmallVector<NpyArray> outputs;
  for (const ArraySpec &array : spec.results)
    outputs.emplace_back(array.dtype, array.shape);

  // Managed buffers (kernels and host code both read and write them),
  // allocated once and moved to the device before the call.
  SmallVector<size_t> sizes;
  for (const NpyArray *input : inputs)
    sizes.push_back(input->getNumBytes());
  for (NpyArray &output : outputs)
    sizes.push_back(output.getNumBytes());
  if (buffers.empty())
    for (size_t bytes : sizes) {
      llvm::Expected<void *> buffer = cuda::allocManaged(bytes);
      if (!buffer)
        return buffer.takeError();
      buffers.push_back(*buffer);
    }
  for (auto [input, buffer] : llvm::zip(inputs, buffers))
    std::memcpy(buffer, input->data(), input->getNumBytes());
  for (auto [buffer, bytes] : llvm::zip_equal(buffers, sizes))
    if (llvm::Error error = cuda::prefetchToDevice(buffer, bytes))
      return std::move(error);

  std::vector<Descriptor> descriptors;
  descriptors.reserve(buffers.size());
  for (auto [input, buffer] : llvm::zip(inputs, buffers))
    descriptors.emplace_back(buffer, input->getShape());
  for (auto [output, buffer] :
       llvm::zip(outputs, llvm::drop_begin(buffers, inputs.size())))
    descriptors.emplace_back(buffer, output.getShape());
  SmallVector<void *> args;
  for (Descriptor &descriptor : descriptors)
    descriptor.pack(args);
  if (llvm::Error error = engine->invokePacked(wrapperName, args))
    return makeError("cannot run '" + spec.name +
                     "': " + llvm::toString(std::move(error)));
  if (llvm::Error error = cuda::synchronize())
    return std::move(error);
  for (auto [output, buffer] :
       llvm::zip(outputs, llvm::drop_begin(buffers, inputs.size())))
    std::memcpy(output.data(), buffer, output.getNumBytes());
  return std::move(outputs);
}
