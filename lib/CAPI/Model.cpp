//===- Model.cpp - Training models for the C API --------------------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// fp4_model_* wrap lib/Train: `TrainingModel::load` imports the model,
// builds and compiles @train_step, @eval_step and @grad_step in one engine,
// `initializeState` creates the state from the initializers and the role
// defaults, and `StepFunction::call` runs one batch, binding by role and
// name exactly as fp4-train does. Like fp4-train, a training step sums the
// recipe's per-step `counters` results into `counters_total` state tensors.
//
//===----------------------------------------------------------------------===//

#include "fp4-c/FP4.h"

#include "Common.h"

#include "fp4/Train/ExportONNX.h"
#include "fp4/Train/TrainingModel.h"

#include "llvm/ADT/STLExtras.h"

#include <cstring>
#include <mutex>

using namespace fp4;
using namespace fp4::capi;

struct fp4_model {
  std::unique_ptr<TrainingModel> model;
  StateMap state;
  NpyArray input, labels;
  std::mutex mutex;
};

static StepFunction *getStep(fp4_model *m, int step) {
  switch (step) {
  case FP4_STEP_TRAIN:
    return m->model->getTrainStep();
  case FP4_STEP_EVAL:
    return m->model->getEvalStep();
  case FP4_STEP_GRAD:
    return m->model->getGradStep();
  default:
    return nullptr;
  }
}

static void describeArray(const NpyArray &array, int *dtype, int64_t *rank,
                          const int64_t **shape, const void **data,
                          int64_t *nbytes) {
  *dtype = static_cast<int>(array.getDType());
  *rank = array.getRank();
  *shape = array.getShape().data();
  *data = array.data();
  *nbytes = array.getNumBytes();
}

extern "C" {

char *fp4_model_create(const char *path, const fp4_model_options *options,
                       fp4_model **result) {
  return guard([&]() -> char * {
    if (!path || !options || !result)
      return makeErrorString("fp4_model_create: NULL argument");
    *result = nullptr;
    if (options->batch < 0)
      return makeErrorString("batch must be positive, not " +
                             llvm::Twine(options->batch));
    if (options->opt_level < 0 || options->opt_level > 3)
      return makeErrorString("opt_level must be 0..3, not " +
                             llvm::Twine(options->opt_level));
    if (options->threads < 0)
      return makeErrorString("threads must be >= 0, not " +
                             llvm::Twine(options->threads));
    TrainingModelOptions modelOptions;
    if (options->batch > 0) {
      modelOptions.batch = options->batch;
      modelOptions.batchOrigin =
          "batch=" + std::to_string(options->batch) + " was asked for";
    }
    modelOptions.momentum = options->momentum;
    modelOptions.weightDecay = options->weight_decay;
    modelOptions.recipe = options->recipe ? options->recipe : "fp32";
    modelOptions.wantTrain = modelOptions.wantEval = modelOptions.wantGrad =
        true;
    modelOptions.jit.optLevel = options->opt_level;
    modelOptions.jit.numThreads = options->threads;
    auto model = TrainingModel::load(path, modelOptions);
    if (!model)
      return takeErrorString(model.takeError());
    auto m = std::make_unique<fp4_model>();
    m->model = std::move(*model);
    if (llvm::Error error =
            m->model->initializeState(m->state, {}, "(none)"))
      return takeErrorString(std::move(error));
    createCounterTotals(*m->model->getTrainStep(), m->state);
    m->input = NpyArray(DType::F32, m->model->getInputShape());
    m->labels = NpyArray(DType::I64, {m->model->getBatch()});
    *result = m.release();
    return nullptr;
  });
}

void fp4_model_destroy(fp4_model *model) { delete model; }

void fp4_model_input_shape(fp4_model *model, int64_t *rank,
                           const int64_t **shape) {
  llvm::ArrayRef<int64_t> s = model->model->getInputShape();
  *rank = s.size();
  *shape = s.data();
}

int64_t fp4_model_num_classes(fp4_model *model) {
  return model->model->getNumClasses();
}

char *fp4_model_run(fp4_model *m, int step, const float *x, int64_t xNumel,
                    const int64_t *labels, int64_t numLabels, double lr,
                    double *loss, int64_t *correct) {
  return guard([&]() -> char * {
    std::lock_guard<std::mutex> lock(m->mutex);
    StepFunction *fn = getStep(m, step);
    if (!fn)
      return makeErrorString("unknown step function " + llvm::Twine(step));
    if (const ArraySpec *spec = fn->findArgument(Binding::Kind::Input))
      if (spec->dtype != DType::F32)
        return makeErrorString("the model takes " + spec->describe() +
                               " inputs; only float32 inputs are supported");
    int64_t expected = m->input.getNumElements();
    if (!x || xNumel != expected)
      return makeErrorString("expected " + llvm::Twine(expected) +
                             " input values (" + m->input.describe() +
                             "), got " + llvm::Twine(xNumel));
    int64_t batch = m->model->getBatch();
    if (!labels || numLabels != batch)
      return makeErrorString("expected " + llvm::Twine(batch) +
                             " labels, got " + llvm::Twine(numLabels));
    int64_t classes = m->model->getNumClasses();
    for (int64_t i = 0; i < numLabels; ++i)
      if (labels[i] < 0 || labels[i] >= classes)
        return makeErrorString("label " + llvm::Twine(labels[i]) +
                               " (sample " + llvm::Twine(i) +
                               ") is not a class of the model (" +
                               llvm::Twine(classes) + " classes)");
    std::memcpy(m->input.data(), x, xNumel * sizeof(float));
    std::memcpy(m->labels.data(), labels, numLabels * sizeof(int64_t));
    bool train = step == FP4_STEP_TRAIN;
    if (llvm::Error error = fn->call(m->input, m->labels, lr, m->state, train))
      return takeErrorString(std::move(error));
    if (train)
      accumulateCounters(*fn, m->state);
    if (loss)
      *loss = fn->getLoss();
    if (correct)
      *correct = fn->getCorrect();
    return nullptr;
  });
}

int64_t fp4_model_num_results(fp4_model *m, int step) {
  StepFunction *fn = getStep(m, step);
  return fn ? static_cast<int64_t>(fn->getResults().size()) : 0;
}

char *fp4_model_result(fp4_model *m, int step, int64_t index,
                       const char **role, const char **name, int *dtype,
                       int64_t *rank, const int64_t **shape, const void **data,
                       int64_t *nbytes) {
  StepFunction *fn = getStep(m, step);
  if (!fn)
    return makeErrorString("unknown step function " + llvm::Twine(step));
  if (index < 0 || index >= static_cast<int64_t>(fn->getResults().size()))
    return makeErrorString("result index " + llvm::Twine(index) +
                           " out of range");
  const Binding &binding = fn->getResults()[index];
  *role = binding.key.role.c_str();
  *name = binding.key.name.c_str();
  describeArray(fn->getResult(index), dtype, rank, shape, data, nbytes);
  return nullptr;
}

int64_t fp4_model_num_state(fp4_model *m) { return m->state.size(); }

char *fp4_model_state(fp4_model *m, int64_t index, const char **role,
                      const char **name, int *dtype, int64_t *rank,
                      const int64_t **shape, const void **data,
                      int64_t *nbytes) {
  if (index < 0 || index >= static_cast<int64_t>(m->state.size()))
    return makeErrorString("state index " + llvm::Twine(index) +
                           " out of range");
  auto it = std::next(m->state.begin(), index);
  *role = it->first.role.c_str();
  *name = it->first.name.c_str();
  describeArray(it->second, dtype, rank, shape, data, nbytes);
  return nullptr;
}

char *fp4_model_set_state(fp4_model *m, const char *role, const char *name,
                          int dtype, const void *data, int64_t nbytes) {
  return guard([&]() -> char * {
    std::lock_guard<std::mutex> lock(m->mutex);
    if (!role || !name || (!data && nbytes))
      return makeErrorString("fp4_model_set_state: NULL argument");
    StateKey key{role, name};
    auto it = m->state.find(key);
    if (it == m->state.end())
      return makeErrorString("the model has no state tensor " +
                             key.describe());
    NpyArray &array = it->second;
    if (dtype != static_cast<int>(array.getDType()) ||
        nbytes != static_cast<int64_t>(array.getNumBytes()))
      return makeErrorString(key.describe() + " is " + array.describe() +
                             ": the new value has another type or size");
    std::memcpy(array.data(), data, nbytes);
    return nullptr;
  });
}

char *fp4_model_export_onnx(fp4_model *m, const char *path) {
  return guard([&]() -> char * {
    std::lock_guard<std::mutex> lock(m->mutex);
    if (!path)
      return makeErrorString("fp4_model_export_onnx: NULL path");
    if (!m->model->isONNX())
      return makeErrorString(m->model->getPath() +
                             ": only ONNX models can be exported to ONNX");
    if (!canExportONNX())
      return makeErrorString(
          "this build cannot export ONNX models (libonnx-dev not found)");
    if (llvm::Error error = exportONNX(m->model->getPath(), path, m->state))
      return takeErrorString(std::move(error));
    return nullptr;
  });
}

} // extern "C"
