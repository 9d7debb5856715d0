//===- TrainingModel.cpp - A model compiled for training ------------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "fp4/Train/TrainingModel.h"

#include "fp4/InitAllDialects.h"
#include "fp4/InitAllPasses.h"
#include "fp4/Runtime/CudaRunner.h"
#ifdef FP4_TRAIN_HAVE_ONNX
#include "fp4/Target/ONNX/ONNXImporter.h"
#endif

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Location.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <mutex>
#include <set>

using namespace fp4;
using namespace mlir;
using llvm::StringRef;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

template <typename T> static std::string toString(const T &value) {
  std::string result;
  llvm::raw_string_ostream os(result);
  os << value;
  return result;
}

static constexpr StringRef kRoleAttr = "fp4.role";
static constexpr StringRef kNameAttr = "fp4.onnx_name";

std::optional<double> fp4::getDefaultInitialValue(StringRef role) {
  if (role == "param")
    return std::nullopt;
  if (role == "running_var")
    return 1.0;
  if (role == "pact_alpha")
    return 10.0;
  return 0.0;
}

/// Fills `array` with `value` converted to its element type.
static void fill(NpyArray &array, double value) {
  int64_t n = array.getNumElements();
  switch (array.getDType()) {
  case DType::F32:
    std::fill_n(array.getAs<float>(), n, static_cast<float>(value));
    break;
  case DType::F64:
    std::fill_n(array.getAs<double>(), n, value);
    break;
  case DType::I64:
    std::fill_n(array.getAs<int64_t>(), n, static_cast<int64_t>(value));
    break;
  case DType::I32:
    std::fill_n(array.getAs<int32_t>(), n, static_cast<int32_t>(value));
    break;
  case DType::I8:
  case DType::U8:
    std::fill_n(array.getAs<int8_t>(), n, static_cast<int8_t>(value));
    break;
  case DType::F16:
    // Only 0 is needed for half-precision state (the bits of +0).
    std::memset(array.data(), 0, array.getNumBytes());
    break;
  }
}

//===----------------------------------------------------------------------===//
// StepFunction
//===----------------------------------------------------------------------===//

llvm::Expected<std::unique_ptr<StepFunction>>
StepFunction::create(std::unique_ptr<JitRunner> runner, func::FuncOp func) {
  FunctionSpec spec = runner->getSpec();
  std::shared_ptr<JitRunner> shared(std::move(runner));
  JitRunner *raw = shared.get();
  return create(
      std::move(spec),
      [raw](llvm::ArrayRef<const NpyArray *> inputs,
            llvm::ArrayRef<NpyArray *> outputs) {
        return raw->runInto(inputs, outputs);
      },
      std::move(shared), func);
}

llvm::Expected<std::unique_ptr<StepFunction>>
StepFunction::create(FunctionSpec spec, RunFn run,
                     std::shared_ptr<void> keepAlive, func::FuncOp func) {
  std::unique_ptr<StepFunction> step(new StepFunction());
  StringRef fn = func.getSymName();
  auto keyOf = [&](DictionaryAttr attrs, bool isArgument,
                   unsigned index) -> llvm::Expected<StateKey> {
    auto role = attrs ? attrs.getAs<StringAttr>(kRoleAttr) : StringAttr();
    auto name = attrs ? attrs.getAs<StringAttr>(kNameAttr) : StringAttr();
    if (!role || !name)
      return makeError(
          "@" + fn + ": " + (isArgument ? "argument " : "result ") +
          llvm::Twine(index) + " has no " + (role ? kNameAttr : kRoleAttr) +
          " attribute (the driver binds values by role and name)");
    return StateKey{role.getValue().str(), name.getValue().str()};
  };

  std::set<StateKey> argumentKeys;
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
    llvm::Expected<StateKey> key = keyOf(func.getArgAttrDict(i), true, i);
    if (!key)
      return key.takeError();
    Binding binding;
    binding.key = *key;
    StringRef role = key->role;
    if (role == "input")
      binding.kind = Binding::Kind::Input;
    else if (role == "labels")
      binding.kind = Binding::Kind::Labels;
    else if (role == "lr")
      binding.kind = Binding::Kind::LearningRate;
    else if (!argumentKeys.insert(*key).second)
      return makeError("@" + fn + ": two arguments are the state tensor " +
                       key->describe());
    if (binding.kind != Binding::Kind::State &&
        llvm::any_of(step->arguments, [&](const Binding &other) {
          return other.kind == binding.kind;
        }))
      return makeError("@" + fn + " has two arguments with role '" + role +
                       "' (fp4-train feeds one input batch)");
    step->arguments.push_back(std::move(binding));
  }
  for (unsigned i = 0, e = func.getNumResults(); i < e; ++i) {
    llvm::Expected<StateKey> key = keyOf(func.getResultAttrDict(i), false, i);
    if (!key)
      return key.takeError();
    Binding binding;
    binding.key = *key;
    StringRef role = key->role;
    if (role == "loss") {
      binding.kind = Binding::Kind::Loss;
      step->lossIndex = i;
    } else if (role == "correct") {
      binding.kind = Binding::Kind::Correct;
      step->correctIndex = i;
    } else if (role == "logits") {
      binding.kind = Binding::Kind::Logits;
      step->logitsIndex = i;
    } else if (role == "grad") {
      binding.kind = Binding::Kind::Grad;
    } else {
      binding.carried = argumentKeys.count(*key);
    }
    step->results.push_back(std::move(binding));
  }
  if (step->lossIndex < 0 || step->correctIndex < 0)
    return makeError("@" + fn + " returns no loss or no correct count");

  step->spec = std::move(spec);
  step->run = std::move(run);
  step->keepAlive = std::move(keepAlive);
  for (const ArraySpec &result : step->spec.results)
    step->outputs.emplace_back(result.dtype, result.shape);
  if (const ArraySpec *lr = step->findArgument(Binding::Kind::LearningRate))
    step->lrArray = NpyArray(lr->dtype, lr->shape);
  return std::move(step);
}

const ArraySpec *StepFunction::findArgument(Binding::Kind kind) const {
  for (auto [binding, spec] : llvm::zip_equal(arguments, getSpec().arguments))
    if (binding.kind == kind)
      return &spec;
  return nullptr;
}

llvm::Error StepFunction::prepare() {
  if (!prepareFn)
    return llvm::Error::success();
  if (llvm::Error error = prepareFn())
    return error;
  prepareFn = nullptr;
  return llvm::Error::success();
}

llvm::Error StepFunction::call(const NpyArray &input, const NpyArray &labels,
                               double lr, StateMap &state, bool updateState) {
  if (llvm::Error error = prepare())
    return error;
  const FunctionSpec &spec = getSpec();
  llvm::SmallVector<const NpyArray *, 64> inputs;
  for (const Binding &binding : arguments) {
    switch (binding.kind) {
    case Binding::Kind::Input:
      inputs.push_back(&input);
      break;
    case Binding::Kind::Labels:
      inputs.push_back(&labels);
      break;
    case Binding::Kind::LearningRate:
      fill(lrArray, lr);
      inputs.push_back(&lrArray);
      break;
    default: {
      auto it = state.find(binding.key);
      if (it == state.end())
        return makeError("@" + spec.name + ": no value for the state tensor " +
                         binding.key.describe());
      inputs.push_back(&it->second);
      break;
    }
    }
  }
  llvm::SmallVector<NpyArray *, 64> outputPtrs =
      llvm::map_to_vector(outputs, [](NpyArray &a) { return &a; });
  if (llvm::Error error = run(inputs, outputPtrs))
    return makeError("@" + spec.name + ": " + llvm::toString(std::move(error)));
  if (updateState)
    for (auto [binding, output] : llvm::zip_equal(results, outputs))
      if (binding.carried)
        std::swap(state.find(binding.key)->second, output);
  return llvm::Error::success();
}

/// Reads a 0-d array as a double.
static double getScalar(const NpyArray &array) {
  switch (array.getDType()) {
  case DType::F32:
    return *array.getAs<float>();
  case DType::F64:
    return *array.getAs<double>();
  case DType::I64:
    return static_cast<double>(*array.getAs<int64_t>());
  case DType::I32:
    return *array.getAs<int32_t>();
  default:
    return 0.0;
  }
}

double StepFunction::getLoss() const { return getScalar(outputs[lossIndex]); }

int64_t StepFunction::getCorrect() const {
  return static_cast<int64_t>(getScalar(outputs[correctIndex]));
}

const NpyArray *StepFunction::getLogits() const {
  return logitsIndex < 0 ? nullptr : &outputs[logitsIndex];
}

//===----------------------------------------------------------------------===//
// Diagnostics
//===----------------------------------------------------------------------===//

/// "file.onnx: node 'Conv_3'" / "file.mlir:12:5" / "" for a location.
static std::string describeLocation(Location loc) {
  std::string file, node;
  loc->walk([&](Location nested) {
    if (auto nameLoc = dyn_cast<NameLoc>(nested)) {
      if (node.empty())
        node = nameLoc.getName().str();
    } else if (auto fileLoc = dyn_cast<FileLineColLoc>(nested)) {
      if (file.empty()) {
        file = fileLoc.getFilename().str();
        if (fileLoc.getLine() != 0)
          file += ":" + std::to_string(fileLoc.getLine()) + ":" +
                  std::to_string(fileLoc.getColumn());
      }
    }
    return WalkResult::advance();
  });
  if (!node.empty())
    return (file.empty() ? "" : file + ": ") + "node '" + node + "'";
  return file;
}

namespace {
/// Keeps the first error diagnostic emitted in a context, as one line.
struct FirstError {
  std::optional<std::string> message;
  ScopedDiagnosticHandler handler;
  explicit FirstError(MLIRContext *ctx)
      : handler(ctx, [this](Diagnostic &diag) {
          if (diag.getSeverity() == DiagnosticSeverity::Error && !message) {
            std::string where = describeLocation(diag.getLocation());
            std::string text = diag.str();
            std::replace(text.begin(), text.end(), '\n', ' ');
            message = (where.empty() ? "" : where + ": ") + text;
          }
          return success();
        }) {}
  /// The first error, starting with `path` (added unless the diagnostic's
  /// location already names the file).
  std::string take(StringRef path, StringRef fallback) {
    std::string text = message ? *message : fallback.str();
    if (StringRef(text).starts_with(path))
      return text;
    return (path + ": " + text).str();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

/// Adds `fp4-build-training-step` and, for a recipe, `fp4-apply-recipe`.
static llvm::Error addPasses(PassManager &pm, StringRef path,
                             const TrainingModelOptions &options,
                             bool buildSteps) {
  std::string errors;
  llvm::raw_string_ostream os(errors);
  if (buildSteps) {
    std::string pipeline =
        llvm::formatv("fp4-build-training-step{{momentum={0} weight-decay={1}}",
                      llvm::format("%.17g", options.momentum),
                      llvm::format("%.17g", options.weightDecay));
    if (failed(parsePassPipeline(pipeline, pm, os)))
      return makeError(path + ": " + errors);
  }
  if (options.recipe == "fp32")
    return llvm::Error::success();
  if (!PassInfo::lookup("fp4-apply-recipe"))
    return makeError("recipe '" + options.recipe +
                     "' needs fp4-apply-recipe, not available in this build");
  bool isFile = StringRef(options.recipe).ends_with(".json");
  if (isFile && !llvm::sys::fs::exists(options.recipe))
    return makeError(options.recipe + ": cannot read: no such file");
  std::string pipeline = "fp4-apply-recipe{" +
                         std::string(isFile ? "recipe-file=" : "recipe=") +
                         options.recipe + "}";
  if (failed(parsePassPipeline(pipeline, pm, os))) {
    std::replace(errors.begin(), errors.end(), '\n', ' ');
    return makeError("recipe '" + options.recipe +
                     "': " + StringRef(errors).trim());
  }
  return llvm::Error::success();
}

/// Parses an `.mlir` file; the first error as one line.
static llvm::Expected<OwningOpRef<ModuleOp>> parseMLIR(StringRef path,
                                                       MLIRContext *ctx) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!file)
    return makeError(path + ": cannot read: " + file.getError().message());
  auto sourceMgr = std::make_shared<llvm::SourceMgr>();
  sourceMgr->AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
  FirstError firstError(ctx);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, ctx);
  if (!module)
    return makeError(firstError.take(path, "cannot parse"));
  return std::move(module);
}

#ifdef FP4_TRAIN_HAVE_ONNX
/// Imports an `.onnx` model as @forward (BatchNormalization in training
/// mode) and, when it has running statistics, @forward_eval (inference
/// mode); returns its float initializers.
static llvm::Expected<OwningOpRef<ModuleOp>>
importONNX(StringRef path, MLIRContext *ctx,
           const TrainingModelOptions &options,
           llvm::StringMap<NpyArray> &initializers) {
  auto importOnce =
      [&](BatchNormMode mode,
          bool collectWeights) -> llvm::Expected<ONNXImportResult> {
    llvm::Expected<std::unique_ptr<ONNXModel>> model = ONNXModel::load(path);
    if (!model)
      return model.takeError();
    llvm::ArrayRef<ONNXGraphInput> inputs = (*model)->getInputs();
    if (inputs.size() != 1)
      return makeError(path +
                       ": fp4-train feeds one image batch but the model has " +
                       llvm::Twine(inputs.size()) + " graph inputs (" +
                       llvm::join(llvm::map_range(inputs,
                                                  [](const ONNXGraphInput &in) {
                                                    return "'" + in.name + "'";
                                                  }),
                                  ", ") +
                       ")");
    ONNXImportOptions importOptions;
    importOptions.batch = options.batch;
    importOptions.bnMode = mode;
    importOptions.collectWeights = collectWeights;
    return (*model)->import(*ctx, importOptions);
  };

  llvm::Expected<ONNXImportResult> train =
      importOnce(BatchNormMode::Train, /*collectWeights=*/true);
  if (!train)
    return train.takeError();
  for (const auto &entry : train->weights) {
    const ONNXHostTensor &tensor = entry.second;
    if (!tensor.isFloat)
      continue;
    NpyArray array(DType::F32, tensor.shape);
    std::memcpy(array.data(), tensor.floats.data(),
                tensor.floats.size() * sizeof(float));
    initializers[entry.first()] = std::move(array);
  }
  OwningOpRef<ModuleOp> module = std::move(train->module);

  auto forward = module->lookupSymbol<func::FuncOp>("forward");
  bool hasRunningStats = false;
  for (unsigned i = 0, e = forward.getNumArguments(); i < e; ++i)
    if (auto role = forward.getArgAttrOfType<StringAttr>(i, kRoleAttr))
      hasRunningStats |= role.getValue().starts_with("running_");
  if (!hasRunningStats)
    return std::move(module);

  llvm::Expected<ONNXImportResult> eval =
      importOnce(BatchNormMode::Inference, /*collectWeights=*/false);
  if (!eval)
    return eval.takeError();
  auto evalForward = eval->module->lookupSymbol<func::FuncOp>("forward");
  evalForward->remove();
  evalForward.setSymName("forward_eval");
  module->push_back(evalForward);
  return std::move(module);
}
#endif

TrainingModel::~TrainingModel() {
  // The step functions and the module live in the context: destroy them
  // first.
  trainStep.reset();
  evalStep.reset();
  gradStep.reset();
  module = nullptr;
}

llvm::Expected<std::unique_ptr<TrainingModel>>
TrainingModel::load(StringRef path, const TrainingModelOptions &options) {
  static std::once_flag registerPasses;
  std::call_once(registerPasses, [] { fp4::registerAllPasses(); });

  std::unique_ptr<TrainingModel> model(new TrainingModel());
  model->path = path.str();
  DialectRegistry registry;
  fp4::registerAllDialects(registry);
  model->context = std::make_unique<MLIRContext>(registry);
  MLIRContext *ctx = model->context.get();
  // MLIR's thread pool runs the function passes of the CPU pipeline on
  // many functions at once (the loop nests fp4-cpu-outline-loops makes);
  // the compiled code is the same either way.

  if (path.ends_with(".onnx")) {
#ifdef FP4_TRAIN_HAVE_ONNX
    model->onnx = true;
    llvm::Expected<OwningOpRef<ModuleOp>> module =
        importONNX(path, ctx, options, model->initializers);
    if (!module)
      return module.takeError();
    model->module = std::move(*module);
#else
    return makeError(path + ": this fp4-train was built without ONNX support "
                            "(install libonnx-dev and rebuild)");
#endif
  } else {
    if (!path.ends_with(".mlir"))
      return makeError(path + ": expected an .onnx or .mlir model");
    llvm::Expected<OwningOpRef<ModuleOp>> module = parseMLIR(path, ctx);
    if (!module)
      return module.takeError();
    model->module = std::move(*module);
  }
  ModuleOp module = *model->module;

  // The step functions: generated unless the file already has them.
  bool buildSteps = !module.lookupSymbol<func::FuncOp>("train_step");
  if (buildSteps && !module.lookupSymbol<func::FuncOp>("forward"))
    return makeError(path +
                     ": no @forward function (docs/ir-contract.md) and no "
                     "@train_step");
  {
    PassManager pm(ctx);
    if (llvm::Error error = addPasses(pm, path, options, buildSteps))
      return std::move(error);
    FirstError firstError(ctx);
    if (failed(pm.run(module)))
      return makeError(firstError.take(path, "a pass failed"));
  }

  // The shapes: the image batch and the classes of the logits.
  auto evalFunc = module.lookupSymbol<func::FuncOp>("eval_step");
  if (!evalFunc)
    return makeError(path + ": no @eval_step after the training-step pass");
  for (unsigned i = 0, e = evalFunc.getNumArguments(); i < e; ++i)
    if (auto role = evalFunc.getArgAttrOfType<StringAttr>(i, kRoleAttr);
        role && role.getValue() == "input")
      if (auto type =
              dyn_cast<RankedTensorType>(evalFunc.getArgumentTypes()[i]))
        model->inputShape.assign(type.getShape().begin(),
                                 type.getShape().end());
  for (unsigned i = 0, e = evalFunc.getNumResults(); i < e; ++i)
    if (auto role = evalFunc.getResultAttrOfType<StringAttr>(i, kRoleAttr);
        role && role.getValue() == "logits")
      if (auto type = dyn_cast<RankedTensorType>(evalFunc.getResultTypes()[i]);
          type && type.getRank() == 2)
        model->numClasses = type.getShape()[1];
  if (model->inputShape.empty() || model->numClasses <= 0)
    return makeError(path + ": @eval_step takes no input batch or returns no "
                            "[batch, classes] logits");
  if (options.batch && model->getBatch() != *options.batch)
    return makeError(path + ": the model's batch is " +
                     llvm::Twine(model->getBatch()) + " but " +
                     options.batchOrigin);

  if (!options.compile)
    return std::move(model);

  // Compile what the caller needs, all in one engine (@eval_step on its
  // own, later, when deferred).
  bool deferEval = options.deferEval && options.wantEval &&
                   options.device == "cpu";
  std::vector<std::string> entries;
  if (options.wantTrain)
    entries.push_back("train_step");
  if (options.wantEval && !deferEval)
    entries.push_back("eval_step");
  if (options.wantGrad)
    entries.push_back("grad_step");
  // Keeps the compiled `entry` as the model's step function of that name.
  auto adopt = [&](StringRef entry,
                   llvm::Expected<std::unique_ptr<StepFunction>> step)
      -> llvm::Error {
    if (!step)
      return makeError(path + ": " + llvm::toString(step.takeError()));
    (entry == "train_step"  ? model->trainStep
     : entry == "eval_step" ? model->evalStep
                            : model->gradStep) = std::move(*step);
    return llvm::Error::success();
  };
  if (options.device == "cuda") {
    // One CudaRunner (its own host engine and kernels) per function.
    CudaRunnerOptions cudaOptions;
    cudaOptions.chip = options.chip;
    cudaOptions.optLevel = options.jit.optLevel;
    for (const std::string &entry : entries) {
      llvm::Expected<std::unique_ptr<CudaRunner>> runner =
          CudaRunner::create(module, entry, cudaOptions);
      if (!runner)
        return makeError(path + ": " + llvm::toString(runner.takeError()));
      std::shared_ptr<CudaRunner> shared(std::move(*runner));
      CudaRunner *raw = shared.get();
      llvm::Expected<std::unique_ptr<StepFunction>> step = StepFunction::create(
          raw->getSpec(),
          [raw](llvm::ArrayRef<const NpyArray *> inputs,
                llvm::ArrayRef<NpyArray *> outputs) -> llvm::Error {
            llvm::Expected<llvm::SmallVector<NpyArray>> results =
                raw->run(inputs);
            if (!results)
              return results.takeError();
            for (auto [result, output] : llvm::zip_equal(*results, outputs))
              *output = std::move(result);
            return llvm::Error::success();
          },
          shared, module.lookupSymbol<func::FuncOp>(entry));
      if (llvm::Error error = adopt(entry, std::move(step)))
        return std::move(error);
    }
    return std::move(model);
  }
  if (options.device != "cpu")
    return makeError("unknown device '" + options.device + "' (cpu or cuda)");
  if (!entries.empty()) {
    llvm::Expected<std::vector<std::unique_ptr<JitRunner>>> runners =
        JitRunner::createMany(module, entries, options.jit);
    if (!runners)
      return makeError(path + ": " + llvm::toString(runners.takeError()));
    for (auto [entry, runner] : llvm::zip_equal(entries, *runners)) {
      llvm::Expected<std::unique_ptr<StepFunction>> step = StepFunction::create(
          std::move(runner), module.lookupSymbol<func::FuncOp>(entry));
      if (llvm::Error error = adopt(entry, std::move(step)))
        return std::move(error);
    }
  }
  if (deferEval) {
    // The signature now (the driver binds the state before the first
    // call); the code at the first call. The module outlives the step.
    llvm::Expected<FunctionSpec> spec =
        JitRunner::getFunctionSpec(module, "eval_step");
    if (!spec)
      return makeError(path + ": " + llvm::toString(spec.takeError()));
    struct Deferred {
      ModuleOp module;
      JitRunnerOptions options;
      std::string path;
      std::unique_ptr<JitRunner> runner;
    };
    auto deferred = std::make_shared<Deferred>();
    deferred->module = module;
    deferred->options = options.jit;
    deferred->path = path.str();
    Deferred *raw = deferred.get();
    llvm::Expected<std::unique_ptr<StepFunction>> step = StepFunction::create(
        std::move(*spec),
        [raw](llvm::ArrayRef<const NpyArray *> inputs,
              llvm::ArrayRef<NpyArray *> outputs) {
          return raw->runner->runInto(inputs, outputs);
        },
        deferred, evalFunc);
    if (llvm::Error error = adopt("eval_step", std::move(step)))
      return std::move(error);
    model->evalStep->setDeferred([raw]() -> llvm::Error {
      llvm::Expected<std::unique_ptr<JitRunner>> runner =
          JitRunner::create(raw->module, "eval_step", raw->options);
      if (!runner)
        return makeError(raw->path + ": " +
                         llvm::toString(runner.takeError()));
      raw->runner = std::move(*runner);
      return llvm::Error::success();
    });
  }
  return std::move(model);
}

//===----------------------------------------------------------------------===//
// State
//===----------------------------------------------------------------------===//

llvm::Error
TrainingModel::initializeState(StateMap &state,
                               const llvm::StringMap<NpyArray> &overrides,
                               StringRef overridesOrigin) const {
  // Values given by name are for parameters and running statistics.
  auto takesValueByName = [](StringRef role) {
    return role == "param" || role == "running_mean" || role == "running_var";
  };
  for (const auto &entry : overrides) {
    bool used = false;
    for (StepFunction *step : {trainStep.get(), evalStep.get(), gradStep.get()})
      if (step)
        for (const Binding &binding : step->getArguments())
          used |= binding.kind == Binding::Kind::State &&
                  takesValueByName(binding.key.role) &&
                  binding.key.name == entry.first();
    if (!used)
      return makeError(overridesOrigin + ": '" + entry.first() +
                       "' is not a parameter or running statistic of " + path);
  }

  for (StepFunction *step : {trainStep.get(), evalStep.get(), gradStep.get()}) {
    if (!step)
      continue;
    for (auto [binding, spec] :
         llvm::zip_equal(step->getArguments(), step->getSpec().arguments)) {
      if (binding.kind != Binding::Kind::State)
        continue;
      auto existing = state.find(binding.key);
      if (existing != state.end()) {
        if (llvm::Error error = spec.checkArray(existing->second))
          return makeError(path + ": the state tensor " +
                           binding.key.describe() +
                           " has different types in "
                           "two step functions: " +
                           llvm::toString(std::move(error)));
        continue;
      }
      NpyArray value(spec.dtype, spec.shape);
      const NpyArray *given = nullptr;
      std::string origin;
      if (takesValueByName(binding.key.role)) {
        if (auto it = overrides.find(binding.key.name); it != overrides.end()) {
          given = &it->second;
          origin = overridesOrigin.str();
        } else if (auto init = initializers.find(binding.key.name);
                   init != initializers.end()) {
          given = &init->second;
          origin = path + ": initializer";
        }
      }
      if (given) {
        if (llvm::Error error = spec.checkArray(*given))
          return makeError(origin + " '" + binding.key.name + "' is " +
                           given->describe() + " but the model takes " +
                           spec.describe());
        std::memcpy(value.data(), given->data(), value.getNumBytes());
      } else {
        std::optional<double> initial =
            getDefaultInitialValue(binding.key.role);
        if (!initial)
          return makeError(path + ": parameter '" + binding.key.name +
                           "' has no initial value (give one with --init "
                           "FILE.npz)");
        fill(value, *initial);
      }
      state.emplace(binding.key, std::move(value));
    }
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Counter totals
//===----------------------------------------------------------------------===//

/// Adds the per-step `counters` results of the last call of `step` (those
/// that carry no state) to their totals in `state`, creating them at 0.
void ::fp4::accumulateCounters(const StepFunction &step, StateMap &state) {
  for (auto [index, binding] : llvm::enumerate(step.getResults())) {
    if (binding.kind != Binding::Kind::State || binding.carried ||
        binding.key.role != "counters")
      continue;
    const NpyArray &counters = step.getResult(index);
    if (counters.getDType() != DType::I64)
      continue;
    StateKey key{kCountersTotalRole.str(), binding.key.name};
    auto it = state.find(key);
    if (it == state.end())
      it = state.emplace(key, NpyArray(DType::I64, counters.getShape())).first;
    for (int64_t i = 0, e = counters.getNumElements(); i < e; ++i)
      it->second.getAs<int64_t>()[i] += counters.getAs<int64_t>()[i];
  }
}

/// Creates the counter totals of `step` at 0, so that the state (and every
/// checkpoint) has them from the start.
void ::fp4::createCounterTotals(const StepFunction &step, StateMap &state) {
  for (auto [binding, spec] :
       llvm::zip_equal(step.getResults(), step.getSpec().results))
    if (binding.kind == Binding::Kind::State && !binding.carried &&
        binding.key.role == "counters" && spec.dtype == DType::I64)
      state.emplace(StateKey{kCountersTotalRole.str(), binding.key.name},
                    NpyArray(DType::I64, spec.shape));
}
