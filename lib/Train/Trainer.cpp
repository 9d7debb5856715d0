//===- Trainer.cpp - The fp4-train driver ---------------------------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "fp4/Train/Trainer.h"

#include "fp4/Conversion/FP4ToNVVM.h"
#include "fp4/Pipelines/GPUPipeline.h"
#include "fp4/Train/Checkpoint.h"
#include "fp4/Train/Dataset.h"
#include "fp4/Train/ExportONNX.h"
#include "fp4/Train/Files.h"
#include "fp4/Train/Random.h"
#include "fp4/Train/TrainingModel.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>

using namespace fp4;
using llvm::StringRef;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

/// The shortest of %.6g, %.15g and %.17g that reads back as `value`.
static std::string formatDouble(double value) {
  char text[32];
  for (int precision : {6, 15}) {
    std::snprintf(text, sizeof(text), "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value)
      return text;
  }
  std::snprintf(text, sizeof(text), "%.17g", value);
  return text;
}

static double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

//===----------------------------------------------------------------------===//
// Shared setup
//===----------------------------------------------------------------------===//

/// Reads --init: initial parameters and running statistics by name.
static llvm::Expected<llvm::StringMap<NpyArray>>
readInit(const TrainerOptions &options) {
  llvm::StringMap<NpyArray> values;
  if (options.initPath.empty())
    return std::move(values);
  auto arrays = readNpz(options.initPath);
  if (!arrays)
    return arrays.takeError();
  for (auto &[name, array] : *arrays)
    values[name] = std::move(array);
  return std::move(values);
}

static TrainingModelOptions getModelOptions(const TrainerOptions &options) {
  TrainingModelOptions modelOptions;
  modelOptions.momentum = options.momentum;
  modelOptions.weightDecay = options.weightDecay;
  modelOptions.recipe = options.recipe;
  modelOptions.jit.optLevel = options.optLevel;
  modelOptions.jit.numThreads = options.threads;
  modelOptions.device = options.device;
  modelOptions.chip = options.chip;
  return modelOptions;
}

/// Checks that `labels` are class indices of a model with `numClasses`.
static llvm::Error checkLabels(llvm::ArrayRef<int64_t> labels,
                               int64_t numClasses, StringRef origin) {
  for (auto [index, label] : llvm::enumerate(labels))
    if (label < 0 || label >= numClasses)
      return makeError(origin + ": label " + llvm::Twine(label) + " (sample " +
                       llvm::Twine(index) + ") is not a class of the model (" +
                       llvm::Twine(numClasses) + " classes)");
  return llvm::Error::success();
}

static std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  return "[" +
         llvm::join(llvm::map_range(
                        shape, [](int64_t d) { return std::to_string(d); }),
                    ", ") +
         "]";
}

//===----------------------------------------------------------------------===//
// PTX
//===----------------------------------------------------------------------===//

llvm::Error fp4::emitPTX(const TrainerOptions &options,
                         llvm::raw_ostream &os) {
  std::string chip = options.chip.empty() ? "sm_90" : options.chip;
  // Check the chip before the (long) import and passes.
  if (llvm::Expected<const GPUChip *> known = checkGPUChip(chip); !known)
    return known.takeError();
  bool toStdout = options.emitDir.empty() || options.emitDir == "-";
  if (!toStdout && !llvm::sys::fs::is_directory(options.emitDir))
    return makeError(options.emitDir + ": not a directory");
  TrainingModelOptions modelOptions = getModelOptions(options);
  modelOptions.batch = options.batch;
  modelOptions.batchOrigin = "--batch is " + std::to_string(options.batch);
  modelOptions.compile = false;
  llvm::Expected<std::unique_ptr<TrainingModel>> model =
      TrainingModel::load(options.modelPath, modelOptions);
  if (!model)
    return model.takeError();
  llvm::Expected<std::vector<KernelPTX>> kernels =
      fp4::emitPTX((*model)->getModule(), chip);
  if (!kernels)
    return makeError(options.modelPath + ": " +
                     llvm::toString(kernels.takeError()));
  if (toStdout) {
    for (const KernelPTX &kernel : *kernels)
      os << "//--- " << kernel.name << "." << kernel.chip << ".ptx\n"
         << kernel.ptx;
    return llvm::Error::success();
  }
  // Every file complete before any is announced.
  std::vector<std::string> written;
  for (const KernelPTX &kernel : *kernels) {
    llvm::SmallString<256> file(options.emitDir);
    llvm::sys::path::append(file, kernel.name + "." + kernel.chip + ".ptx");
    if (llvm::Error error = writeFileAtomically(file, kernel.ptx))
      return error;
    written.push_back(file.str().str());
  }
  for (const std::string &file : written)
    os << file << "\n";
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Gradient dump
//===----------------------------------------------------------------------===//

llvm::Error fp4::dumpGradients(const TrainerOptions &options,
                               llvm::raw_ostream &os) {
  llvm::Expected<NpyArray> input = readNpy(options.inputPath);
  if (!input)
    return input.takeError();
  llvm::Expected<NpyArray> labelArray = readNpy(options.labelsPath);
  if (!labelArray)
    return labelArray.takeError();
  if (input->getRank() < 1)
    return makeError(options.inputPath + ": expected a batch of inputs, not " +
                     input->describe());
  int64_t batch = input->getShape()[0];

  // Labels: a vector of `batch` class indices, as i64.
  if (labelArray->getRank() != 1 || labelArray->getShape()[0] != batch ||
      (labelArray->getDType() != DType::I64 &&
       labelArray->getDType() != DType::I32))
    return makeError(options.labelsPath + ": expected int64 [" +
                     llvm::Twine(batch) + "] labels (the batch of " +
                     options.inputPath + ") but the array is " +
                     labelArray->describe());
  NpyArray labels(DType::I64, {batch});
  for (int64_t i = 0; i < batch; ++i)
    labels.getAs<int64_t>()[i] =
        labelArray->getDType() == DType::I64
            ? labelArray->getAs<int64_t>()[i]
            : static_cast<int64_t>(labelArray->getAs<int32_t>()[i]);

  llvm::Expected<llvm::StringMap<NpyArray>> init = readInit(options);
  if (!init)
    return init.takeError();

  TrainingModelOptions modelOptions = getModelOptions(options);
  modelOptions.batch = batch;
  modelOptions.batchOrigin =
      options.inputPath + " has batch " + std::to_string(batch);
  modelOptions.wantGrad = true;
  llvm::Expected<std::unique_ptr<TrainingModel>> model =
      TrainingModel::load(options.modelPath, modelOptions);
  if (!model)
    return model.takeError();
  StepFunction *gradStep = (*model)->getGradStep();

  if (const ArraySpec *spec = gradStep->findArgument(Binding::Kind::Input))
    if (llvm::Error error = spec->checkArray(*input))
      return makeError(options.inputPath + ": " +
                       llvm::toString(std::move(error)));
  if (llvm::Error error =
          checkLabels(llvm::ArrayRef(labels.getAs<int64_t>(), batch),
                      (*model)->getNumClasses(), options.labelsPath))
    return error;

  StateMap state;
  if (llvm::Error error =
          (*model)->initializeState(state, *init, options.initPath))
    return error;
  if (llvm::Error error = gradStep->call(*input, labels, /*lr=*/0.0, state,
                                         /*updateState=*/false))
    return makeError(options.modelPath + ": " +
                     llvm::toString(std::move(error)));

  llvm::SmallVector<NamedArray> gradients;
  for (auto [index, binding] : llvm::enumerate(gradStep->getResults()))
    if (binding.kind == Binding::Kind::Grad)
      gradients.emplace_back(binding.key.name, &gradStep->getResult(index));
  if (llvm::Error error = writeNpz(options.gradientsPath, gradients))
    return error;
  os << llvm::format("loss %.4f\n", gradStep->getLoss());
  os.flush();
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Metrics
//===----------------------------------------------------------------------===//

/// A JSON number, or null for NaN and infinities (which JSON cannot hold).
static llvm::json::Value jsonNumber(double value) {
  if (!std::isfinite(value))
    return nullptr;
  return value;
}

static llvm::json::Value jsonNumber(std::optional<double> value) {
  return value ? jsonNumber(*value) : llvm::json::Value(nullptr);
}

/// Per-layer recipe state for the metrics: the gradscale and pact_alpha
/// values and the gradient quantizers' counters (totals over the run). A
/// counters tensor holds (saturated, flushed, non-finite) triples, one per
/// quantizer of the layer (fp4-apply-recipe: the dX quantizer, then the dW
/// quantizer); they are summed per kind. A state tensor named
/// "LAYER.ROLE" belongs to LAYER.
static void writeLayerMetrics(llvm::json::OStream &json,
                              const StateMap &state) {
  struct Layer {
    std::optional<double> gradscale, pactAlpha;
    const NpyArray *counters = nullptr;
  };
  std::map<std::string, Layer> layers;
  auto scalar = [](const NpyArray &array) -> std::optional<double> {
    if (array.getNumElements() != 1)
      return std::nullopt;
    if (array.getDType() == DType::F32)
      return *array.getAs<float>();
    if (array.getDType() == DType::F64)
      return *array.getAs<double>();
    return std::nullopt;
  };
  for (const auto &[key, array] : state) {
    StringRef layer = key.name;
    layer.consume_back("." + key.role);
    if (key.role == "gradscale")
      layers[layer.str()].gradscale = scalar(array);
    else if (key.role == "pact_alpha")
      layers[layer.str()].pactAlpha = scalar(array);
    else if ((key.role == kCountersTotalRole || key.role == "counters") &&
             array.getDType() == DType::I64)
      layers[layer.str()].counters = &array;
  }
  json.attributeObject("layers", [&] {
    for (const auto &[name, layer] : layers) {
      json.attributeObject(name, [&] {
        if (layer.gradscale)
          json.attribute("gradscale", jsonNumber(*layer.gradscale));
        if (layer.pactAlpha)
          json.attribute("pact_alpha", jsonNumber(*layer.pactAlpha));
        if (!layer.counters)
          return;
        int64_t sums[3] = {0, 0, 0};
        const int64_t *values = layer.counters->getAs<int64_t>();
        for (int64_t i = 0, e = layer.counters->getNumElements(); i < e; ++i)
          sums[i % 3] += values[i];
        json.attribute("saturated", sums[0]);
        json.attribute("flushed", sums[1]);
        json.attribute("nonfinite", sums[2]);
        json.attributeArray("counters", [&] {
          for (int64_t i = 0, e = layer.counters->getNumElements(); i < e; ++i)
            json.value(values[i]);
        });
      });
    }
  });
}

/// Where this run's time went besides the epochs (seconds; unset when not
/// measured).
struct RunTiming {
  /// From the start of the run to its first training step: data, import,
  /// building and compiling the training step.
  std::optional<double> toFirstStep;
  /// Compiling the evaluation step (at the first evaluation: not in that
  /// epoch's seconds).
  std::optional<double> evalCompile;
};

static std::string getMetricsJSON(const TrainerOptions &options,
                                  llvm::ArrayRef<EpochMetrics> epochs,
                                  const StateMap &state,
                                  const RunTiming &timing) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::json::OStream json(os, /*IndentSize=*/2);
  json.object([&] {
    json.attribute("recipe", options.recipe);
    json.attribute("model", llvm::sys::path::filename(options.modelPath));
    json.attribute("dataset", options.dataset);
    json.attribute("batch", options.batch);
    json.attribute("lr", options.lr);
    json.attribute("momentum", options.momentum);
    json.attribute("weight_decay", options.weightDecay);
    json.attribute("schedule", options.schedule == LRSchedule::Cosine
                                   ? "cosine"
                                   : "constant");
    json.attribute("seed", static_cast<int64_t>(options.seed));
    json.attributeArray("epochs", [&] {
      for (const EpochMetrics &m : epochs)
        json.object([&] {
          json.attribute("epoch", m.epoch);
          json.attribute("train_loss", jsonNumber(m.trainLoss));
          json.attribute("train_accuracy", jsonNumber(m.trainAccuracy));
          json.attribute("test_loss", jsonNumber(m.testLoss));
          json.attribute("test_accuracy", jsonNumber(m.testAccuracy));
          json.attribute("seconds", jsonNumber(m.seconds));
          json.attribute("images_per_second", jsonNumber(m.imagesPerSecond));
        });
    });
    writeLayerMetrics(json, state);
    json.attributeObject("timing", [&] {
      json.attribute("to_first_step_seconds", jsonNumber(timing.toFirstStep));
      json.attribute("eval_compile_seconds", jsonNumber(timing.evalCompile));
    });
  });
  os << "\n";
  return text;
}

//===----------------------------------------------------------------------===//
// Checkpoints
//===----------------------------------------------------------------------===//

/// The flags a checkpoint's run depends on (besides the model's state
/// tensors, which are compared one by one).
static std::vector<std::pair<std::string, std::string>>
getRunConfig(const TrainerOptions &options) {
  auto limit = [](std::optional<int64_t> value) {
    return value ? std::to_string(*value) : std::string("none");
  };
  std::vector<std::pair<std::string, std::string>> config = {
      {"model", llvm::sys::path::filename(options.modelPath).str()},
      {"recipe", options.recipe},
      {"dataset", options.dataset},
      {"limit-train", limit(options.limitTrain)},
      {"limit-test", limit(options.limitTest)},
      {"batch", std::to_string(options.batch)},
      {"lr", formatDouble(options.lr)},
      {"momentum", formatDouble(options.momentum)},
      {"weight-decay", formatDouble(options.weightDecay)},
      {"seed", std::to_string(options.seed)},
      {"schedule",
       options.schedule == LRSchedule::Cosine ? "cosine" : "constant"},
  };
  // The cosine schedule spans all epochs: resuming needs the same total.
  if (options.schedule == LRSchedule::Cosine)
    config.emplace_back("epochs", std::to_string(options.epochs));
  return config;
}

/// Checks that a checkpoint belongs to this run and model.
static llvm::Error checkResumable(const Checkpoint &checkpoint,
                                  const TrainerOptions &options,
                                  const StateMap &state, StringRef name) {
  auto expected = getRunConfig(options);
  for (const auto &entry : expected) {
    const std::string &key = entry.first, &value = entry.second;
    auto it = llvm::find_if(checkpoint.config, [&](const auto &other) {
      return other.first == key;
    });
    std::string stored = it == checkpoint.config.end() ? "(none)" : it->second;
    if (stored != value)
      return makeError(name + ": was written with --" + key + " " + stored +
                       ", this run has --" + key + " " + value);
  }
  for (const auto &[key, array] : state) {
    auto it = checkpoint.state.find(key);
    if (it == checkpoint.state.end())
      return makeError(name + ": does not match the model: no state tensor " +
                       key.describe());
    if (it->second.getDType() != array.getDType() ||
        it->second.getShape() != array.getShape())
      return makeError(name + ": does not match the model: the state tensor " +
                       key.describe() + " is " + it->second.describe() +
                       ", the model's is " + array.describe());
  }
  for (const auto &entry : checkpoint.state)
    if (!state.count(entry.first))
      return makeError(name +
                       ": does not match the model: it has a state "
                       "tensor " +
                       entry.first.describe() + " the model does not take");
  if (checkpoint.epochs.size() != static_cast<size_t>(checkpoint.epoch))
    return makeError(
        name +
        ": corrupt checkpoint: " + llvm::Twine(checkpoint.epochs.size()) +
        " epochs of metrics for " + llvm::Twine(checkpoint.epoch) + " epochs");
  return llvm::Error::success();
}

/// Timings of the checkpointed epochs live beside the checkpoint
/// (`timing.json`), so that the checkpoint itself is deterministic.
static void readTimings(StringRef path, std::vector<EpochMetrics> &epochs) {
  llvm::Expected<std::string> text = readFile(path);
  if (!text) {
    llvm::consumeError(text.takeError());
    return;
  }
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(*text);
  if (!json) {
    llvm::consumeError(json.takeError());
    return;
  }
  const llvm::json::Array *array = json->getAsArray();
  if (!array)
    return;
  for (auto [m, value] : llvm::zip(epochs, *array))
    if (const llvm::json::Object *object = value.getAsObject()) {
      m.seconds = object->getNumber("seconds");
      m.imagesPerSecond = object->getNumber("images_per_second");
    }
}

static std::string getTimingsJSON(llvm::ArrayRef<EpochMetrics> epochs) {
  llvm::json::Array array;
  for (const EpochMetrics &m : epochs)
    array.push_back(llvm::json::Object{
        {"seconds", jsonNumber(m.seconds)},
        {"images_per_second", jsonNumber(m.imagesPerSecond)}});
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::json::Value(std::move(array)) << "\n";
  return text;
}

//===----------------------------------------------------------------------===//
// Plots
//===----------------------------------------------------------------------===//

/// Runs the plot script; its last line of stderr is the error.
static llvm::Error runPlotScript(const TrainerOptions &options,
                                 llvm::ArrayRef<StringRef> arguments) {
  if (!llvm::sys::fs::exists(options.plotScript))
    return makeError("--plot: the plot script '" + options.plotScript +
                     "' is missing");
  llvm::SmallString<128> errorFile;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("fp4-train-plot",
                                                              "txt", errorFile))
    return makeError("--plot: cannot create a temporary file: " + ec.message());
  llvm::SmallVector<StringRef> argv = {options.python, options.plotScript};
  llvm::append_range(argv, arguments);
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(errorFile),
                                          StringRef(errorFile)};
  std::string message;
  int status = llvm::sys::ExecuteAndWait(options.python, argv, std::nullopt,
                                         redirects, 0, 0, &message);
  std::string output;
  if (llvm::Expected<std::string> text = readFile(errorFile))
    output = *text;
  else
    llvm::consumeError(text.takeError());
  llvm::sys::fs::remove(errorFile);
  if (status == 0)
    return llvm::Error::success();
  if (status < 0)
    return makeError("--plot: cannot run " + options.python + ": " + message);
  llvm::SmallVector<StringRef> lines;
  StringRef(output).split(lines, '\n', -1, /*KeepEmpty=*/false);
  return makeError("--plot: " + (lines.empty()
                                     ? "the plot script failed (exit code " +
                                           std::to_string(status) + ")"
                                     : lines.back().trim().str()));
}

//===----------------------------------------------------------------------===//
// Training
//===----------------------------------------------------------------------===//

namespace {
/// Copies dataset samples into the model's batch arrays.
struct BatchBuilder {
  NpyArray input, labels;
  int64_t batch = 0;
  int64_t imageSize = 0;

  BatchBuilder(const ArraySpec &inputSpec, int64_t batch, int64_t imageSize)
      : input(inputSpec.dtype, inputSpec.shape), labels(DType::I64, {batch}),
        batch(batch), imageSize(imageSize) {}

  /// Fills row `row` with sample `index` of `data`.
  void set(int64_t row, const ImageDataset &data, int64_t index) {
    data.copyImage(index, input.getAs<float>() + row * imageSize);
    labels.getAs<int64_t>()[row] = data.labels[index];
  }
  /// Zero-fills rows [from, batch) (label 0).
  void pad(int64_t from) {
    std::fill(input.getAs<float>() + from * imageSize,
              input.getAs<float>() + batch * imageSize, 0.0f);
    std::fill(labels.getAs<int64_t>() + from, labels.getAs<int64_t>() + batch,
              0);
  }
};

/// The live progress bar of an epoch on a terminal.
class ProgressBar {
public:
  ProgressBar(llvm::raw_ostream &os, bool enabled, int64_t epoch,
              int64_t epochs, int64_t steps, int64_t batch)
      : os(os), enabled(enabled), epoch(epoch), epochs(epochs), steps(steps),
        batch(batch), start(std::chrono::steady_clock::now()) {}

  void update(int64_t done, double meanLoss) {
    if (!enabled)
      return;
    double elapsed = secondsSince(start);
    if (done != steps && elapsed - lastDraw < 0.1)
      return;
    lastDraw = elapsed;
    constexpr int kWidth = 30;
    int filled = static_cast<int>(kWidth * done / std::max<int64_t>(steps, 1));
    std::string bar(filled, '=');
    if (filled < kWidth)
      bar += '>' + std::string(kWidth - filled - 1, ' ');
    double rate = elapsed > 0 ? done * batch / elapsed : 0.0;
    double eta = done > 0 ? elapsed * (steps - done) / done : 0.0;
    int64_t etaSeconds = static_cast<int64_t>(eta);
    os << llvm::formatv("\repoch {0}/{1} [{2}] {3}/{4}  {5:f0} img/s  loss "
                        "{6:f4}  ETA ",
                        epoch, epochs, bar, done, steps, rate, meanLoss)
       << llvm::format("%d:%02d\x1b[K", static_cast<int>(etaSeconds / 60),
                       static_cast<int>(etaSeconds % 60));
    os.flush();
  }
  void message(StringRef text) {
    if (!enabled)
      return;
    os << "\r" << text << "\x1b[K";
    os.flush();
  }
  void clear() {
    if (!enabled)
      return;
    os << "\r\x1b[K";
    os.flush();
  }

private:
  llvm::raw_ostream &os;
  bool enabled;
  int64_t epoch, epochs, steps, batch;
  std::chrono::steady_clock::time_point start;
  double lastDraw = -1.0;
};
} // namespace

/// Mean softmax cross-entropy and correct count of the first `count` rows of
/// `logits` (f32 [batch, classes]), in double: the last, padded batch of an
/// evaluation, whose mean over the whole batch @eval_step cannot exclude the
/// padding from.
static void scoreRows(const NpyArray &logits, const NpyArray &labels,
                      int64_t count, double &lossSum, int64_t &correct) {
  int64_t classes = logits.getShape()[1];
  for (int64_t i = 0; i < count; ++i) {
    const float *row = logits.getAs<float>() + i * classes;
    int64_t label = labels.getAs<int64_t>()[i];
    int64_t argmax = 0;
    for (int64_t c = 1; c < classes; ++c)
      if (row[c] > row[argmax])
        argmax = c;
    double max = row[argmax], sum = 0.0;
    for (int64_t c = 0; c < classes; ++c)
      sum += std::exp(double(row[c]) - max);
    lossSum += std::log(sum) + max - double(row[label]);
    correct += argmax == label;
  }
}

/// Evaluates on `data` with @eval_step: full batches use its loss and
/// correct count; the last partial batch is padded with zero images and
/// scored on its real rows only.
static llvm::Error evaluate(StepFunction &evalStep, StateMap &state,
                            const ImageDataset &data, BatchBuilder &builder,
                            double &loss, double &accuracy) {
  double lossSum = 0.0;
  int64_t correct = 0;
  int64_t batch = builder.batch;
  for (int64_t first = 0; first < data.count; first += batch) {
    int64_t count = std::min(batch, data.count - first);
    for (int64_t row = 0; row < count; ++row)
      builder.set(row, data, first + row);
    if (count < batch)
      builder.pad(count);
    if (llvm::Error error = evalStep.call(builder.input, builder.labels, 0.0,
                                          state, /*updateState=*/false))
      return error;
    if (count == batch) {
      lossSum += evalStep.getLoss() * batch;
      correct += evalStep.getCorrect();
    } else {
      const NpyArray *logits = evalStep.getLogits();
      if (!logits || logits->getDType() != DType::F32)
        return makeError("@eval_step returns no f32 logits to score the last "
                         "partial batch with");
      scoreRows(*logits, builder.labels, count, lossSum, correct);
    }
  }
  loss = lossSum / data.count;
  accuracy = 100.0 * correct / data.count;
  return llvm::Error::success();
}

/// The learning rate of global step `step` of `totalSteps`.
static double getLearningRate(const TrainerOptions &options, int64_t step,
                              int64_t totalSteps) {
  if (options.schedule == LRSchedule::Constant)
    return options.lr;
  return options.lr * 0.5 *
         (1.0 + std::cos(M_PI * static_cast<double>(step) /
                         static_cast<double>(totalSteps)));
}

/// Checks the options that do not need the model or the data.
static llvm::Error checkTrainOptions(const TrainerOptions &options) {
  if (options.dataset != "fashion-mnist")
    return makeError("unknown dataset '" + options.dataset +
                     "' (datasets: fashion-mnist)");
  if (options.epochs < 1)
    return makeError("--epochs must be at least 1");
  if (options.batch < 1)
    return makeError("--batch must be at least 1");
  if (!std::isfinite(options.lr) || options.lr < 0)
    return makeError("--lr must be a finite non-negative number");
  if ((options.limitTrain && *options.limitTrain < 1) ||
      (options.limitTest && *options.limitTest < 1))
    return makeError("--limit-train and --limit-test must be at least 1");
  if (options.stopAfter && *options.stopAfter < 1)
    return makeError("--stop-after-epochs must be at least 1");
  if (options.resume && options.checkpointDir.empty())
    return makeError("--resume needs --checkpoint-dir");
  if (!options.exportPath.empty()) {
    if (!StringRef(options.modelPath).ends_with(".onnx"))
      return makeError("--export needs an .onnx model (" + options.modelPath +
                       " is not one)");
    if (!canExportONNX())
      return makeError("--export: this fp4-train was built without ONNX "
                       "support (install libonnx-dev and rebuild)");
  }
  return llvm::Error::success();
}

llvm::Error fp4::train(const TrainerOptions &options, llvm::raw_ostream &os) {
  auto totalStart = std::chrono::steady_clock::now();
  if (llvm::Error error = checkTrainOptions(options))
    return error;
  // Fail before the long part for what can be checked first.
  if (!options.plotPath.empty())
    if (llvm::Error error = runPlotScript(options, {"--check"}))
      return error;
  if (!options.checkpointDir.empty())
    if (std::error_code ec =
            llvm::sys::fs::create_directories(options.checkpointDir))
      return makeError(
          options.checkpointDir +
          ": cannot create the checkpoint directory: " + ec.message());

  // Data.
  std::string dir =
      options.datasetDir.empty() ? kFashionMNISTDir.str() : options.datasetDir;
  llvm::Expected<ImageDataset> trainSet =
      loadFashionMNIST(dir, /*train=*/true, options.limitTrain);
  if (!trainSet)
    return trainSet.takeError();
  llvm::Expected<ImageDataset> testSet =
      loadFashionMNIST(dir, /*train=*/false, options.limitTest);
  if (!testSet)
    return testSet.takeError();
  if (trainSet->rows != testSet->rows || trainSet->cols != testSet->cols)
    return makeError(
        dir + ": the training images are " + llvm::Twine(trainSet->rows) + "x" +
        llvm::Twine(trainSet->cols) + " but the test images " +
        llvm::Twine(testSet->rows) + "x" + llvm::Twine(testSet->cols));
  int64_t batch = options.batch;
  int64_t steps = trainSet->count / batch;
  if (steps == 0)
    return makeError("the training set has " + llvm::Twine(trainSet->count) +
                     " images, fewer than one batch of " + llvm::Twine(batch));

  // Model.
  llvm::Expected<llvm::StringMap<NpyArray>> init = readInit(options);
  if (!init)
    return init.takeError();
  TrainingModelOptions modelOptions = getModelOptions(options);
  modelOptions.batch = batch;
  modelOptions.batchOrigin = "--batch is " + std::to_string(batch);
  modelOptions.wantTrain = modelOptions.wantEval = true;
  // Training starts before the evaluation step is compiled (at the first
  // evaluation).
  modelOptions.deferEval = true;
  llvm::Expected<std::unique_ptr<TrainingModel>> loaded =
      TrainingModel::load(options.modelPath, modelOptions);
  if (!loaded)
    return loaded.takeError();
  TrainingModel &model = **loaded;
  StepFunction &trainStep = *model.getTrainStep();
  StepFunction &evalStep = *model.getEvalStep();
  const ArraySpec *inputSpec = trainStep.findArgument(Binding::Kind::Input);
  llvm::SmallVector<int64_t, 4> imageShape = {batch, 1, trainSet->rows,
                                              trainSet->cols};
  if (!inputSpec || inputSpec->dtype != DType::F32 ||
      inputSpec->shape != llvm::ArrayRef(imageShape))
    return makeError(options.modelPath + ": the model takes " +
                     (inputSpec ? inputSpec->describe() : "no input") +
                     " but " + options.dataset + " batches are float32 " +
                     formatShape(imageShape));
  for (const ImageDataset *data : {&*trainSet, &*testSet})
    if (llvm::Error error = checkLabels(data->labels, model.getNumClasses(),
                                        dir + " (" + options.dataset + ")"))
      return error;

  StateMap state;
  if (llvm::Error error = model.initializeState(state, *init, options.initPath))
    return error;
  createCounterTotals(trainStep, state);

  // Resume.
  SplitMix64 rng(options.seed);
  std::vector<EpochMetrics> history;
  llvm::SmallString<256> checkpointPath(options.checkpointDir);
  llvm::SmallString<256> timingPath(options.checkpointDir);
  llvm::sys::path::append(checkpointPath, "checkpoint.bin");
  llvm::sys::path::append(timingPath, "timing.json");
  if (options.resume) {
    if (llvm::sys::fs::exists(checkpointPath)) {
      llvm::Expected<std::string> bytes = readFile(checkpointPath);
      if (!bytes)
        return bytes.takeError();
      llvm::Expected<Checkpoint> checkpoint =
          parseCheckpoint(*bytes, checkpointPath);
      if (!checkpoint)
        return checkpoint.takeError();
      if (llvm::Error error =
              checkResumable(*checkpoint, options, state, checkpointPath))
        return error;
      state = std::move(checkpoint->state);
      rng.setState(checkpoint->rngState);
      history = std::move(checkpoint->epochs);
      readTimings(timingPath, history);
      if (!options.quiet)
        os << "resuming after epoch " << checkpoint->epoch << " from "
           << checkpointPath << "\n";
    } else if (!options.quiet) {
      os << "no checkpoint in " << options.checkpointDir
         << ": starting from epoch 1\n";
    }
  }

  BatchBuilder builder(*inputSpec, batch, trainSet->getImageSize());
  std::vector<int64_t> order(trainSet->count);
  int64_t totalSteps = steps * options.epochs;
  int64_t firstEpoch = history.size();
  int64_t lastEpoch = options.epochs;
  RunTiming timing;
  if (options.stopAfter)
    lastEpoch = std::min(lastEpoch, firstEpoch + *options.stopAfter);
  for (int64_t epoch = firstEpoch; epoch < lastEpoch; ++epoch) {
    auto epochStart = std::chrono::steady_clock::now();
    std::iota(order.begin(), order.end(), 0);
    shuffle(llvm::MutableArrayRef<int64_t>(order), rng);

    ProgressBar progress(os, options.progressBar && !options.quiet, epoch + 1,
                         options.epochs, steps, batch);
    double lossSum = 0.0;
    int64_t correct = 0;
    if (!timing.toFirstStep)
      timing.toFirstStep = secondsSince(totalStart);
    for (int64_t step = 0; step < steps; ++step) {
      for (int64_t row = 0; row < batch; ++row)
        builder.set(row, *trainSet, order[step * batch + row]);
      double lr = getLearningRate(options, epoch * steps + step, totalSteps);
      if (llvm::Error error = trainStep.call(builder.input, builder.labels, lr,
                                             state, /*updateState=*/true))
        return makeError(options.modelPath + ": " +
                         llvm::toString(std::move(error)));
      lossSum += trainStep.getLoss();
      correct += trainStep.getCorrect();
      accumulateCounters(trainStep, state);
      progress.update(step + 1, lossSum / (step + 1));
    }
    double trainSeconds = secondsSince(epochStart);

    // The evaluation step compiles now, once (not part of the epoch's time).
    double compileSeconds = 0.0;
    if (!evalStep.isPrepared()) {
      progress.message("compiling the evaluation step...");
      auto compileStart = std::chrono::steady_clock::now();
      if (llvm::Error error = evalStep.prepare())
        return error;
      compileSeconds = secondsSince(compileStart);
      timing.evalCompile = compileSeconds;
    }
    progress.message("evaluating on " + std::to_string(testSet->count) +
                     " test images...");
    EpochMetrics metrics;
    metrics.epoch = epoch + 1;
    metrics.trainLoss = lossSum / steps;
    metrics.trainAccuracy = 100.0 * correct / (steps * batch);
    if (llvm::Error error = evaluate(evalStep, state, *testSet, builder,
                                     metrics.testLoss, metrics.testAccuracy))
      return makeError(options.modelPath + ": " +
                       llvm::toString(std::move(error)));
    metrics.seconds = secondsSince(epochStart) - compileSeconds;
    metrics.imagesPerSecond = steps * batch / trainSeconds;
    history.push_back(metrics);
    progress.clear();
    if (!options.quiet) {
      os << llvm::formatv("epoch {0}/{1}: train loss {2:f4}, test loss {3:f4}, "
                          "test accuracy {4:f2}%, {5:f1} s, {6:f0} img/s\n",
                          epoch + 1, options.epochs, metrics.trainLoss,
                          metrics.testLoss, metrics.testAccuracy,
                          *metrics.seconds, *metrics.imagesPerSecond);
      os.flush();
    }

    if (!options.checkpointDir.empty()) {
      Checkpoint checkpoint;
      checkpoint.epoch = epoch + 1;
      checkpoint.rngState = rng.getState();
      checkpoint.config = getRunConfig(options);
      checkpoint.epochs = history;
      // Serialize from the live state without copying it first.
      std::swap(checkpoint.state, state);
      std::string bytes = serializeCheckpoint(checkpoint);
      std::swap(checkpoint.state, state);
      if (llvm::Error error = writeFileAtomically(checkpointPath, bytes))
        return error;
      if (llvm::Error error =
              writeFileAtomically(timingPath, getTimingsJSON(history)))
        return error;
    }
    if (!options.metricsPath.empty())
      if (llvm::Error error = writeFileAtomically(
              options.metricsPath,
              getMetricsJSON(options, history, state, timing)))
        return error;
  }

  // A resumed run with nothing left to train still reports.
  if (!options.metricsPath.empty() && firstEpoch >= lastEpoch)
    if (llvm::Error error = writeFileAtomically(
            options.metricsPath,
            getMetricsJSON(options, history, state, timing)))
      return error;
  if (!options.exportPath.empty())
    if (llvm::Error error =
            exportONNX(options.modelPath, options.exportPath, state))
      return error;
  if (!options.plotPath.empty()) {
    std::string metricsPath = options.metricsPath;
    llvm::SmallString<128> temporary;
    if (metricsPath.empty()) {
      if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
              "fp4-train-metrics", "json", temporary))
        return makeError("--plot: cannot create a temporary file: " +
                         ec.message());
      metricsPath = temporary.str().str();
      if (llvm::Error error = writeFileAtomically(
              metricsPath, getMetricsJSON(options, history, state, timing)))
        return error;
    }
    llvm::Error error =
        runPlotScript(options, {metricsPath, StringRef(options.plotPath)});
    if (!temporary.empty())
      llvm::sys::fs::remove(temporary);
    if (error)
      return error;
  }

  if (history.empty())
    return makeError("nothing was trained");
  const EpochMetrics &last = history.back();
  os << llvm::formatv("final: epoch {0}/{1}, train loss {2:f4}, test loss "
                      "{3:f4}, test accuracy {4:f2}%, {5:f1} s\n",
                      last.epoch, options.epochs, last.trainLoss, last.testLoss,
                      last.testAccuracy, secondsSince(totalStart));
  os.flush();
  return llvm::Error::success();
}
