//===- JitRunner.cpp - JIT-run a function on host arrays ------------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "fp4/Runtime/JitRunner.h"

#include "fp4/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/ExecutionEngine/JITEventListener.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/RTDyldObjectLinkingLayer.h"
#include "llvm/ExecutionEngine/SectionMemoryManager.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/CodeGen.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/Utils/SplitModule.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <dlfcn.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <mutex>
#include <thread>

using namespace fp4;
using namespace mlir;
using llvm::StringRef;

/// The C runner utility that lowered `memref.copy` calls for non-contiguous
/// memrefs.
static constexpr StringRef kMemrefCopyName = "memrefCopy";

/// The shared object that holds this code (libFP4CAPI.so when loaded by
/// Python; the process when linked into an executable), opened without
/// changing its scope. Its dependency tree has the runtimes the compiled code
/// calls (libomp, libm, libc). The JIT looks symbols up there, not in the
/// process's global scope: Python loads libFP4CAPI.so with RTLD_LOCAL, so
/// that libomp does not take over the GOMP_* entry points of a PyTorch loaded
/// in the same process (which links GNU libgomp).
static llvm::sys::DynamicLibrary ownLibrary() {
  static void *handle = []() -> void * {
    Dl_info info;
    if (dladdr(reinterpret_cast<void *>(&ownLibrary), &info) &&
        info.dli_fname)
      if (void *h = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD))
        return h;
    return dlopen(nullptr, RTLD_LAZY);
  }();
  return llvm::sys::DynamicLibrary(handle);
}

/// Name of the unit attribute that makes an i8 result a uint8 array.
static constexpr StringRef kUnsignedAttrName = "fp4.unsigned";

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

template <typename T> static std::string toString(const T &value) {
  std::string result;
  llvm::raw_string_ostream os(result);
  os << value;
  return result;
}

//===----------------------------------------------------------------------===//
// Signatures
//===----------------------------------------------------------------------===//

std::string ArraySpec::describe() const {
  if (isScalar)
    return toString(type) + " (a 0-d array)";
  return toString(type);
}

llvm::Error ArraySpec::checkArray(const NpyArray &array) const {
  bool dtypeMatches = array.getDType() == dtype;
  // i8 arguments take int8 and uint8 arrays alike.
  if (dtype == DType::I8 || dtype == DType::U8)
    dtypeMatches =
        array.getDType() == DType::I8 || array.getDType() == DType::U8;
  if (dtypeMatches && array.getShape() == llvm::ArrayRef(shape))
    return llvm::Error::success();
  return makeError("expected " + describe() + " but the array is " +
                   array.describe());
}

/// Maps a supported element type to its host dtype.
static std::optional<DType> getDType(Type type) {
  if (type.isF32())
    return DType::F32;
  if (type.isF16())
    return DType::F16;
  if (type.isF64())
    return DType::F64;
  if (type.isSignlessInteger(8))
    return DType::I8;
  if (type.isSignlessInteger(32))
    return DType::I32;
  if (type.isSignlessInteger(64))
    return DType::I64;
  return std::nullopt;
}

/// Builds the spec of one argument or result type, or returns std::nullopt
/// if the type is not supported.
static std::optional<ArraySpec> getArraySpec(Type type) {
  ArraySpec spec;
  spec.type = type;
  Type elementType = type;
  if (auto tensorType = dyn_cast<RankedTensorType>(type)) {
    if (!tensorType.hasStaticShape() || tensorType.getEncoding())
      return std::nullopt;
    spec.shape.assign(tensorType.getShape().begin(),
                      tensorType.getShape().end());
    elementType = tensorType.getElementType();
  } else if (isa<ShapedType>(type)) {
    return std::nullopt;
  } else {
    spec.isScalar = true;
  }
  std::optional<DType> dtype = getDType(elementType);
  if (!dtype)
    return std::nullopt;
  spec.dtype = *dtype;
  return spec;
}

static constexpr StringRef kSupportedTypes =
    "(supported: statically shaped tensors and scalars of f32, f64, f16, i8, i32, "
    "i64)";

llvm::Expected<FunctionSpec> JitRunner::getFunctionSpec(ModuleOp module,
                                                        StringRef entry) {
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func) {
    SmallVector<StringRef> names;
    for (auto f : module.getOps<func::FuncOp>())
      if (!f.isExternal())
        names.push_back(f.getSymName());
    if (names.empty())
      return makeError("no function '" + entry +
                       "' (the module defines no functions)");
    return makeError("no function '" + entry +
                     "' (functions: " + llvm::join(names, ", ") + ")");
  }
  if (func.isExternal())
    return makeError("function '" + entry + "' is a declaration");

  FunctionSpec spec;
  spec.name = entry.str();
  for (auto [index, type] : llvm::enumerate(func.getArgumentTypes())) {
    std::optional<ArraySpec> arg = getArraySpec(type);
    if (!arg)
      return makeError("function '" + entry + "': argument " +
                       llvm::Twine(index + 1) + " has unsupported type '" +
                       toString(type) + "' " + kSupportedTypes);
    spec.arguments.push_back(std::move(*arg));
  }
  for (auto [index, type] : llvm::enumerate(func.getResultTypes())) {
    std::optional<ArraySpec> result = getArraySpec(type);
    if (!result)
      return makeError("function '" + entry + "': result " +
                       llvm::Twine(index + 1) + " has unsupported type '" +
                       toString(type) + "' " + kSupportedTypes);
    if (result->dtype == DType::I8 &&
        func.getResultAttr(index, kUnsignedAttrName))
      result->dtype = DType::U8;
    spec.results.push_back(std::move(*result));
  }
  return spec;
}

//===----------------------------------------------------------------------===//
// Compilation
//===----------------------------------------------------------------------===//

std::string fp4::formatFileLocation(Location loc) {
  std::string result;
  loc->walk([&](Location nested) {
    if (auto fileLoc = dyn_cast<FileLineColLoc>(nested)) {
      result = (fileLoc.getFilename().getValue() + ":" +
                llvm::Twine(fileLoc.getLine()) + ":" +
                llvm::Twine(fileLoc.getColumn()))
                   .str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return result;
}

/// Returns "LOC: lowering to LLVM failed: MESSAGE" on one line.
static llvm::Error makeLoweringError(Location loc, StringRef message) {
  std::string where = formatFileLocation(loc);
  std::string oneLine = message.str();
  std::replace(oneLine.begin(), oneLine.end(), '\n', ' ');
  return makeError((where.empty() ? "" : where + ": ") +
                   "lowering to LLVM failed: " + oneLine);
}

void ::fp4::addRunnerWrapper(ModuleOp module, func::FuncOp entry,
                             const FunctionSpec &spec,
                             StringRef wrapperName) {
  MLIRContext *ctx = module.getContext();
  Location loc = entry.getLoc();
  auto asTensor = [](const ArraySpec &array) -> Type {
    if (array.isScalar)
      return RankedTensorType::get({}, array.type);
    return array.type;
  };
  SmallVector<Type> argTypes = llvm::map_to_vector(spec.arguments, asTensor);
  SmallVector<Type> resultTypes = llvm::map_to_vector(spec.results, asTensor);

  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  auto wrapper = func::FuncOp::create(
      builder, loc, wrapperName, FunctionType::get(ctx, argTypes, resultTypes));
  for (unsigned i = 0, e = argTypes.size(); i < e; ++i)
    wrapper.setArgAttr(i, "bufferization.writable", builder.getBoolAttr(false));
  Block *body = wrapper.addEntryBlock();
  builder.setInsertionPointToStart(body);

  SmallVector<Value> callArgs;
  for (auto [array, arg] :
       llvm::zip_equal(spec.arguments, body->getArguments()))
    callArgs.push_back(array.isScalar ? tensor::ExtractOp::create(
                                            builder, loc, arg, ValueRange{})
                                            .getResult()
                                      : Value(arg));
  auto call = func::CallOp::create(builder, loc, entry, callArgs);
  SmallVector<Value> results;
  for (auto [array, type, value] :
       llvm::zip_equal(spec.results, resultTypes, call.getResults()))
    results.push_back(array.isScalar
                          ? tensor::FromElementsOp::create(builder, loc, type,
                                                           ValueRange{value})
                                .getResult()
                          : Value(value));
  func::ReturnOp::create(builder, loc, results);
}

/// Number of scalars in the expanded descriptor of a rank-`rank` memref.
static unsigned getNumDescriptorFields(int64_t rank) { return 3 + 2 * rank; }

/// LLVM's default optimization pipeline at `optLevel`, without the SLP
/// vectorizer: the code generator has vectorized every loop it emits, and
/// the SLP vectorizer's search over straight-line code was 30 % of the
/// optimizer's time on the small ResNet's training step
/// (docs/performance.md).
static void optimizeModule(llvm::Module &module, unsigned optLevel,
                           llvm::TargetMachine *machine) {
  static const llvm::OptimizationLevel levels[] = {
      llvm::OptimizationLevel::O0, llvm::OptimizationLevel::O1,
      llvm::OptimizationLevel::O2, llvm::OptimizationLevel::O3};
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = true;
  tuning.LoopInterleaving = true;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = false;
  llvm::PassBuilder builder(machine, tuning);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = levels[std::min(optLevel, 3u)];
  llvm::ModulePassManager mpm =
      level == llvm::OptimizationLevel::O0
          ? builder.buildO0DefaultPipeline(level)
          : builder.buildPerModuleDefaultPipeline(level);
  mpm.run(module, mam);
}

//===----------------------------------------------------------------------===//
// Host code: an ORC JIT compiling on every core
//===----------------------------------------------------------------------===//

namespace fp4 {
/// The machine code of one lowered module, kept alive by the runners.
///
/// The LLVM module is split into four partitions per core
/// (llvm::SplitModule; the outlined loop nests make many small functions),
/// each moved into an LLVMContext of its own through bitcode, and ORC
/// optimizes and compiles the partitions concurrently, one thread per core.
/// A step function's LLVM time is spread over the cores instead of one.
class HostCode {
public:
  static llvm::Expected<std::shared_ptr<HostCode>>
  create(ModuleOp module, unsigned optLevel, ArrayRef<std::string> packed,
         llvm::function_ref<void(StringRef)> phase);

  /// The `void(void **)` entry point of `name` (made by create).
  llvm::Expected<void (*)(void **)> lookupPacked(StringRef name) {
    llvm::Expected<llvm::orc::ExecutorAddr> addr =
        jit->lookup(packedName(name));
    if (!addr)
      return addr.takeError();
    return addr->toPtr<void (*)(void **)>();
  }

  ~HostCode() {
    if (jit)
      llvm::consumeError(jit->deinitialize(jit->getMainJITDylib()));
  }

private:
  static std::string packedName(StringRef name) {
    return ("_fp4_packed_" + name).str();
  }
  /// `void _fp4_packed_NAME(void **args)`: calls NAME with *args[i].
  static void addPackedEntry(llvm::Module &module, llvm::Function &func);

  std::unique_ptr<llvm::orc::LLJIT> jit;
};
} // namespace fp4

void HostCode::addPackedEntry(llvm::Module &module, llvm::Function &func) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::IRBuilder<> builder(ctx);
  auto *type = llvm::FunctionType::get(builder.getVoidTy(),
                                       {builder.getPtrTy()}, false);
  auto *entry = llvm::Function::Create(type, llvm::Function::ExternalLinkage,
                                       packedName(func.getName()), module);
  builder.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", entry));
  llvm::Value *list = entry->getArg(0);
  SmallVector<llvm::Value *> args;
  for (auto [index, arg] : llvm::enumerate(func.args())) {
    llvm::Value *slot = builder.CreateGEP(builder.getPtrTy(), list,
                                          builder.getInt64(index));
    llvm::Value *ptr = builder.CreateLoad(builder.getPtrTy(), slot);
    args.push_back(builder.CreateLoad(arg.getType(), ptr));
  }
  builder.CreateCall(&func, args);
  builder.CreateRetVoid();
  // Neither optimized nor inlined: the wrapper is one block of loads and a
  // call with one argument per descriptor field (thousands for a ResNet's
  // training step, most of them passed on the stack), on which the
  // optimizing code generator's store merging is quadratic: 5.8 s of
  // resnet18's 21 s compile, on one thread. Unoptimized, it takes
  // milliseconds.
  entry->addFnAttr(llvm::Attribute::NoInline);
  entry->addFnAttr(llvm::Attribute::OptimizeNone);
}

llvm::Expected<std::shared_ptr<HostCode>>
HostCode::create(ModuleOp module, unsigned optLevel,
                 ArrayRef<std::string> packed,
                 llvm::function_ref<void(StringRef)> phase) {
  std::shared_ptr<HostCode> code(new HostCode());
  auto context = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, *context);
  if (!llvmModule)
    return makeError("cannot translate the module to LLVM IR");

  // Compile for this machine: the JIT's code generator is not told the host
  // CPU, so every function carries it as attributes (without them AVX-512
  // code runs about 2.7x slower here).
  llvm::Expected<llvm::orc::JITTargetMachineBuilder> jtmb =
      llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb)
    return jtmb.takeError();
  jtmb->setCodeGenOptLevel(static_cast<llvm::CodeGenOptLevel>(optLevel));
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> machine =
      jtmb->createTargetMachine();
  if (!machine)
    return machine.takeError();
  llvmModule->setDataLayout((*machine)->createDataLayout());
  llvmModule->setTargetTriple((*machine)->getTargetTriple());
  std::string cpu = (*machine)->getTargetCPU().str();
  std::string features = (*machine)->getTargetFeatureString().str();
  for (llvm::Function &function : *llvmModule) {
    if (function.isDeclaration())
      continue;
    function.addFnAttr("target-cpu", cpu);
    function.addFnAttr("target-features", features);
  }
  for (const std::string &name : packed) {
    llvm::Function *func = llvmModule->getFunction(name);
    if (!func)
      return makeError("no function '" + name + "' in the LLVM module");
    addPackedEntry(*llvmModule, *func);
  }

  // Four partitions per core, each in its own context, compiled by one
  // thread per core: partitions differ in cost (a few large GEMM nests), and
  // the threads balance smaller ones better (resnet18 ibm-fp4: 7.1 -> 5.9 s
  // on 2 cores).
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  unsigned defined = 0;
  for (llvm::Function &function : *llvmModule)
    defined += !function.isDeclaration();
  unsigned parts = std::min(4 * cores, std::max(1u, defined / 64));
  unsigned compileThreads = std::min(cores, parts);
  std::vector<llvm::orc::ThreadSafeModule> modules;
  llvm::Error splitError = llvm::Error::success();
  if (parts > 1) {
    llvm::SplitModule(
        *llvmModule, parts,
        [&](std::unique_ptr<llvm::Module> part) {
          SmallVector<char, 0> buffer;
          llvm::raw_svector_ostream os(buffer);
          llvm::WriteBitcodeToFile(*part, os);
          auto partContext = std::make_unique<llvm::LLVMContext>();
          llvm::Expected<std::unique_ptr<llvm::Module>> parsed =
              llvm::parseBitcodeFile(
                  llvm::MemoryBufferRef(StringRef(buffer.data(), buffer.size()),
                                        "partition"),
                  *partContext);
          if (!parsed) {
            splitError = llvm::joinErrors(std::move(splitError),
                                          parsed.takeError());
            return;
          }
          modules.emplace_back(std::move(*parsed), std::move(partContext));
        },
        /*PreserveLocals=*/false);
  } else {
    modules.emplace_back(std::move(llvmModule), std::move(context));
  }
  if (splitError)
    return std::move(splitError);

  // FP4_JIT_PERF=1: tell `perf` about the generated functions (profile with
  // `perf record -k 1`, then `perf inject --jit`; docs/performance.md).
  // The listener is a process-wide object that LLVM owns.
  llvm::JITEventListener *listener = nullptr;
  if (const char *perfEnv = std::getenv("FP4_JIT_PERF");
      perfEnv && StringRef(perfEnv) != "0")
    listener = llvm::JITEventListener::createPerfJITEventListener();
  llvm::orc::JITTargetMachineBuilder builderCopy = *jtmb;
  llvm::Expected<std::unique_ptr<llvm::orc::LLJIT>> jit =
      llvm::orc::LLJITBuilder()
          .setJITTargetMachineBuilder(std::move(*jtmb))
          .setNumCompileThreads(compileThreads > 1 ? compileThreads : 0)
          .setObjectLinkingLayerCreator(
              [listener](llvm::orc::ExecutionSession &session)
                  -> llvm::Expected<std::unique_ptr<llvm::orc::ObjectLayer>> {
                auto layer =
                    std::make_unique<llvm::orc::RTDyldObjectLinkingLayer>(
                        session, [](const llvm::MemoryBuffer &) {
                          return std::make_unique<llvm::SectionMemoryManager>();
                        });
                if (listener)
                  layer->registerJITEventListener(*listener);
                return std::move(layer);
              })
          .create();
  if (!jit)
    return jit.takeError();
  code->jit = std::move(*jit);
  llvm::orc::LLJIT &lljit = *code->jit;

  // The optimizer runs per partition, on the compile threads.
  lljit.getIRTransformLayer().setTransform(
      [optLevel, builderCopy](llvm::orc::ThreadSafeModule tsm,
                              llvm::orc::MaterializationResponsibility &)
          -> llvm::Expected<llvm::orc::ThreadSafeModule> {
        llvm::orc::JITTargetMachineBuilder perThread = builderCopy;
        auto tm = perThread.createTargetMachine();
        if (!tm)
          return tm.takeError();
        tsm.withModuleDo([&](llvm::Module &m) {
          optimizeModule(m, optLevel, tm->get());
        });
        return std::move(tsm);
      });

  // Symbols of this library's dependencies (libc, libm, libomp) and
  // memrefCopy.
  llvm::orc::JITDylib &main = lljit.getMainJITDylib();
  main.addGenerator(
      std::make_unique<llvm::orc::DynamicLibrarySearchGenerator>(
          ownLibrary(), lljit.getDataLayout().getGlobalPrefix()));
  llvm::orc::SymbolMap runtime;
  runtime[lljit.mangleAndIntern(kMemrefCopyName)] = {
      llvm::orc::ExecutorAddr::fromPtr(&memrefCopy),
      llvm::JITSymbolFlags::Exported};
  if (llvm::Error e = main.define(llvm::orc::absoluteSymbols(runtime)))
    return std::move(e);

  // Add the partitions and compile them all at once: one lookup of a
  // defined symbol of each partition, so that they materialize in parallel.
  llvm::orc::SymbolLookupSet wanted;
  for (llvm::orc::ThreadSafeModule &tsm : modules) {
    tsm.withModuleDo([&](llvm::Module &m) {
      for (llvm::Function &function : m)
        if (!function.isDeclaration() && !function.hasLocalLinkage()) {
          wanted.add(lljit.mangleAndIntern(function.getName()));
          break;
        }
    });
    if (llvm::Error e = lljit.addIRModule(std::move(tsm)))
      return std::move(e);
  }
  phase("LLVM IR translation");
  llvm::Expected<llvm::orc::SymbolMap> all =
      lljit.getExecutionSession().lookup(
          // Partitions' own functions are hidden (SplitModule), not exported.
          llvm::orc::makeJITDylibSearchOrder(
              &main, llvm::orc::JITDylibLookupFlags::MatchAllSymbols),
          std::move(wanted));
  if (!all)
    return all.takeError();
  if (llvm::Error e = lljit.initialize(main))
    return std::move(e);
  phase("LLVM optimization and machine code generation");
  return code;
}

JitRunner::~JitRunner() = default;

llvm::Expected<std::unique_ptr<JitRunner>>
JitRunner::create(ModuleOp module, StringRef entry,
                  const JitRunnerOptions &options) {
  llvm::Expected<std::vector<std::unique_ptr<JitRunner>>> runners =
      createMany(module, {entry.str()}, options);
  if (!runners)
    return runners.takeError();
  return std::move(runners->front());
}

llvm::Expected<std::vector<std::unique_ptr<JitRunner>>>
JitRunner::createMany(ModuleOp module, llvm::ArrayRef<std::string> entries,
                      const JitRunnerOptions &options) {
  std::vector<std::unique_ptr<JitRunner>> runners;
  for (const std::string &entry : entries) {
    llvm::Expected<FunctionSpec> spec = getFunctionSpec(module, entry);
    if (!spec)
      return spec.takeError();
    std::unique_ptr<JitRunner> runner(new JitRunner());
    runner->spec = std::move(*spec);
    runners.push_back(std::move(runner));
  }
  if (runners.empty())
    return makeError("no function to compile");
  // Names the errors that concern the whole compilation.
  std::string what = "'" + llvm::join(entries, "', '") + "'";

  MLIRContext *ctx = module.getContext();
  DialectRegistry registry;
  registerCPUPipelineDependencies(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  ctx->appendDialectRegistry(registry);
  // The wrapper is built with these, whatever the module itself uses.
  ctx->loadDialect<func::FuncDialect, tensor::TensorDialect>();

  OwningOpRef<ModuleOp> clone = module.clone();
  llvm::StringSet<> wrappers;
  for (auto [entry, runner] : llvm::zip_equal(entries, runners)) {
    runner->wrapperName = "__fp4_run_" + entry;
    while (clone->lookupSymbol(runner->wrapperName))
      runner->wrapperName += "_";
    addRunnerWrapper(*clone, clone->lookupSymbol<func::FuncOp>(entry),
                     runner->spec, runner->wrapperName);
    wrappers.insert(runner->wrapperName);
  }

  // FP4_COMPILE_TIMING=1: print where compilation spends its time (MLIR
  // passes, with per-pass detail; LLVM IR translation; LLVM optimization
  // and machine code generation) on stderr.
  const char *timingEnv = std::getenv("FP4_COMPILE_TIMING");
  bool timing = timingEnv && StringRef(timingEnv) != "0";
  auto phaseStart = std::chrono::steady_clock::now();
  auto endPhase = [&](StringRef phase) {
    auto now = std::chrono::steady_clock::now();
    if (timing)
      llvm::errs() << "fp4 compile " << what << ": " << phase << " "
                   << llvm::format("%.2f", std::chrono::duration<double>(
                                               now - phaseStart)
                                               .count())
                   << " s\n";
    phaseStart = now;
  };

#ifdef __GLIBC__
  // A fixed trim threshold while compiling. By default glibc raises its
  // trim threshold (up to 64 MiB) whenever a large mmap'ed block is freed,
  // and malloc_trim() below does not shrink the top of a thread's arena, so
  // the compile threads' arenas kept what they had used resident for the
  // whole run (resnet18: 15 MiB fp32, 48 MiB ibm-fp4). 128 KiB is glibc's
  // initial value; the steps themselves raise it to 1 GiB (RetainHeap).
  mallopt(M_TRIM_THRESHOLD, 128 * 1024);
#endif

  // Lower; keep the first error diagnostic for a one-line report.
  {
    std::optional<std::pair<Location, std::string>> firstError;
    ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &diag) {
      if (diag.getSeverity() == DiagnosticSeverity::Error && !firstError)
        firstError.emplace(diag.getLocation(), diag.str());
      return success();
    });
    PassManager pm(ctx, ModuleOp::getOperationName());
    // Compile only what the wrappers need: other functions may well not be
    // lowerable (or runnable) on their own.
    for (auto func : clone->getOps<func::FuncOp>())
      if (!wrappers.contains(func.getSymName()))
        func.setPrivate();
    pm.addPass(createSymbolDCEPass());
    CPUPipelineOptions pipelineOptions;
    pipelineOptions.threads = options.numThreads;
    buildCPUPipeline(pm, pipelineOptions);
    if (timing)
      pm.enableTiming();
    // FP4_JIT_PRINT_IR_AFTER=PASS: print the IR after the pass whose
    // argument is PASS (e.g. fp4-cpu-outline-loops, to map the outlined
    // loop functions of a `perf` profile to their ops) on stderr.
    if (const char *after = std::getenv("FP4_JIT_PRINT_IR_AFTER");
        after && *after) {
      std::string name = after;
      pm.enableIRPrinting(
          /*shouldPrintBeforePass=*/[](Pass *, Operation *) { return false; },
          /*shouldPrintAfterPass=*/
          [name](Pass *pass, Operation *) {
            return pass->getArgument() == name;
          },
          /*printModuleScope=*/false, /*printAfterOnlyOnChange=*/false);
    }
    if (failed(pm.run(*clone))) {
      if (firstError)
        return makeLoweringError(firstError->first, firstError->second);
      return makeLoweringError(module.getLoc(), "the pass pipeline failed");
    }
  }
  Operation *leftover = nullptr;
  clone->walk([&](Operation *op) {
    if (op == clone->getOperation() || isLoweredForCPU(op))
      return WalkResult::advance();
    leftover = op;
    return WalkResult::interrupt();
  });
  if (leftover)
    return makeLoweringError(leftover->getLoc(),
                             "'" + leftover->getName().getStringRef().str() +
                                 "' was not converted to the LLVM dialect");

  // Only the wrappers are called from outside: every other function gets
  // internal linkage, so that LLVM may drop the descriptor fields it does
  // not read (the sizes and strides of static shapes) from its signature,
  // and no packed entry point or exported symbol is made for it.
  for (auto func : clone->getOps<LLVM::LLVMFuncOp>())
    if (!func.isExternal() && !wrappers.contains(func.getSymName()))
      func.setLinkage(LLVM::Linkage::Internal);

  // Each wrapper must take one expanded descriptor per input and output.
  for (const std::unique_ptr<JitRunner> &runner : runners) {
    auto llvmWrapper =
        clone->lookupSymbol<LLVM::LLVMFuncOp>(runner->wrapperName);
    unsigned expectedParams = 0;
    for (const ArraySpec &array : llvm::concat<const ArraySpec>(
             runner->spec.arguments, runner->spec.results))
      expectedParams += getNumDescriptorFields(array.shape.size());
    if (!llvmWrapper ||
        llvmWrapper.getFunctionType().getNumParams() != expectedParams ||
        !isa<LLVM::LLVMVoidType>(
            llvmWrapper.getFunctionType().getReturnType()))
      return makeError("internal error: unexpected signature of the lowered "
                       "function '" +
                       runner->wrapperName + "'");
  }

  // Every declared function must be defined by this library's dependencies
  // (libc, libm, libomp) or by the symbols registered below; ORC would only
  // report it on stderr.
  llvm::sys::DynamicLibrary library = ownLibrary();
  for (auto func : clone->getOps<LLVM::LLVMFuncOp>()) {
    if (!func.isExternal() || func.getSymName() == kMemrefCopyName ||
        library.getAddressOfSymbol(func.getSymName().str().c_str()))
      continue;
    return makeError(
        (formatFileLocation(func.getLoc()).empty()
             ? ""
             : formatFileLocation(func.getLoc()) + ": ") +
        "function '" + func.getSymName() +
        "' is declared but neither defined in the module nor found in the "
        "process");
  }

  static std::once_flag initTargets;
  std::call_once(initTargets, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });

  unsigned optLevel = std::min(options.optLevel, 3u);
  llvm::SmallVector<std::string> packed;
  for (const std::unique_ptr<JitRunner> &runner : runners)
    packed.push_back(runner->wrapperName);
  endPhase("MLIR passes");
  llvm::Expected<std::shared_ptr<HostCode>> code =
      HostCode::create(*clone, optLevel, packed, endPhase);
  if (!code)
    return makeError("cannot compile " + what + " for the host: " +
                     llvm::toString(code.takeError()));
  for (auto [entry, runner] : llvm::zip_equal(entries, runners)) {
    llvm::Expected<void (*)(void **)> fn =
        (*code)->lookupPacked(runner->wrapperName);
    if (!fn)
      return makeError("cannot link '" + entry +
                       "': " + llvm::toString(fn.takeError()));
    runner->packedFn = *fn;
    runner->engine = *code;
  }
  // Give the heap that compilation freed back to the system: the compile
  // threads' malloc arenas are never reused by the steps (which run their
  // allocations on the calling thread and keep them, RetainHeap), so it
  // would stay resident for the whole run (resnet18: 90-110 MiB).
  { OwningOpRef<ModuleOp> lowered = std::move(clone); }
#ifdef __GLIBC__
  malloc_trim(0);
  if (timing) {
    // What compilation leaves resident: live heap, and the process's
    // anonymous (heap, JIT code and data) and file-backed pages.
    struct mallinfo2 info = mallinfo2();
    llvm::errs() << "fp4 compile " << what << ": after compiling, heap in use "
                 << llvm::format("%.1f", (info.uordblks + info.hblkhd) /
                                             1048576.0)
                 << " MiB (free in the heap "
                 << llvm::format("%.1f", info.fordblks / 1048576.0)
                 << " MiB)";
    if (auto status =
            llvm::MemoryBuffer::getFileAsStream("/proc/self/status")) {
      SmallVector<StringRef> lines;
      (*status)->getBuffer().split(lines, '\n');
      for (StringRef line : lines) {
        if (line.consume_front("RssAnon:"))
          llvm::errs() << ", resident anonymous " << line.trim();
        else if (line.consume_front("RssFile:"))
          llvm::errs() << ", resident file-backed " << line.trim();
      }
    }
    llvm::errs() << "\n";
  }
#endif
  return std::move(runners);
}

//===----------------------------------------------------------------------===//
// Invocation
//===----------------------------------------------------------------------===//

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

  /// Appends the address of each field, as `invokePacked` expects.
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
JitRunner::run(llvm::ArrayRef<const NpyArray *> inputs) {
  SmallVector<NpyArray> outputs;
  for (const ArraySpec &array : spec.results)
    outputs.emplace_back(array.dtype, array.shape);
  SmallVector<NpyArray *> outputPtrs =
      llvm::map_to_vector(outputs, [](NpyArray &a) { return &a; });
  if (llvm::Error error = runInto(inputs, outputPtrs))
    return std::move(error);
  return std::move(outputs);
}

llvm::Error JitRunner::runInto(llvm::ArrayRef<const NpyArray *> inputs,
                               llvm::ArrayRef<NpyArray *> outputs) {
  if (inputs.size() != spec.arguments.size())
    return makeError("function '" + spec.name + "' takes " +
                     llvm::Twine(spec.arguments.size()) + " arguments but " +
                     llvm::Twine(inputs.size()) + " inputs were given");
  if (outputs.size() != spec.results.size())
    return makeError("function '" + spec.name + "' returns " +
                     llvm::Twine(spec.results.size()) + " results but " +
                     llvm::Twine(outputs.size()) + " outputs were given");
  for (auto [index, array, input] : llvm::enumerate(spec.arguments, inputs))
    if (llvm::Error error = array.checkArray(*input))
      return makeError("input " + llvm::Twine(index + 1) + ": " +
                       llvm::toString(std::move(error)));
  for (auto [index, array, output] : llvm::enumerate(spec.results, outputs))
    if (llvm::Error error = array.checkArray(*output))
      return makeError("output " + llvm::Twine(index + 1) + ": " +
                       llvm::toString(std::move(error)));

  // The compiled code does not write to its inputs (their arguments are not
  // writable), hence the const_cast.
  SmallVector<Descriptor, 16> descriptors;
  descriptors.reserve(inputs.size() + outputs.size());
  for (const NpyArray *input : inputs)
    descriptors.emplace_back(const_cast<char *>(input->data()),
                             input->getShape());
  for (NpyArray *output : outputs)
    descriptors.emplace_back(output->data(), output->getShape());
  SmallVector<void *, 64> args;
  for (Descriptor &descriptor : descriptors)
    descriptor.pack(args);
  packedFn(args.data());
  return llvm::Error::success();
}
