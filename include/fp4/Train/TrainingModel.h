//===- TrainingModel.h - A model compiled for training ----------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// Loads a model (`.onnx` through the importer, or `.mlir` with `@forward` per
// docs/ir-contract.md), generates its step functions
// (`fp4-build-training-step`, then `fp4-apply-recipe` for a recipe other than
// fp32), JIT-compiles the ones the caller needs and binds their arguments
// and results BY ROLE AND NAME (`fp4.role`, `fp4.onnx_name`), never by
// position:
//
//   role `input`             the batch of images (one per step)
//   role `labels`            the batch of labels (i64)
//   role `lr`                the learning rate of the step
//   any other argument role  a state tensor, keyed by (role, name): params,
//                            running statistics, momentum buffers, and
//                            whatever per-layer state the recipe pass adds
//                            (gradscale, pact_alpha, pact_momentum,
//                            counters, step, ...)
//   results `loss`, `correct`, `grad`, `logits`   read by the driver
//   a result with the (role, name) of an argument of the same function
//                            the new value of that state tensor, carried to
//                            the next step (train_step only: evaluation and
//                            gradient dumps never change the state)
//
// The initial value of a state tensor comes from, in order: the values given
// by the caller (--init), the model's ONNX initializers (params and running
// statistics), or the default of its role (`getDefaultInitialValue`).
//
//===----------------------------------------------------------------------===//

#ifndef FP4_TRAIN_TRAININGMODEL_H
#define FP4_TRAIN_TRAININGMODEL_H

#include "fp4/Runtime/JitRunner.h"
#include "fp4/Runtime/Npy.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace fp4 {

/// Identifies a state tensor: its `fp4.role` and `fp4.onnx_name`.
struct StateKey {
  std::string role;
  std::string name;

  bool operator<(const StateKey &other) const {
    return std::tie(role, name) < std::tie(other.role, other.name);
  }
  bool operator==(const StateKey &other) const {
    return role == other.role && name == other.name;
  }
  /// "'fc1.weight' (param)".
  std::string describe() const { return "'" + name + "' (" + role + ")"; }
};

/// The training state, ordered by (role, name) so that every traversal
/// (checkpoints, metrics) is deterministic.
using StateMap = std::map<StateKey, NpyArray>;

/// The value a state tensor of `role` starts from when nothing else gives
/// one: 1 for `running_var`, 10 for `pact_alpha` (SPEC 4.3), 0 for any other
/// role (momentum, running_mean, gradscale = uninitialized, counters, step,
/// ...); std::nullopt for `param`, which must be given.
std::optional<double> getDefaultInitialValue(llvm::StringRef role);

/// How one argument or result of a step function is bound.
struct Binding {
  enum class Kind {
    Input,        // argument `input`
    Labels,       // argument `labels`
    LearningRate, // argument `lr`
    State,        // argument: a state tensor; result: see `carried`
    Loss,         // result `loss`
    Correct,      // result `correct`
    Grad,         // result `grad` of the parameter `key.name`
    Logits,       // result `logits`
  };
  Kind kind = Kind::State;
  StateKey key;
  /// For State results: whether an argument has the same key (the result is
  /// that tensor's next value). Results that carry nothing are kept as
  /// outputs of the call and otherwise ignored.
  bool carried = false;
};

/// A compiled step function with its bindings and preallocated results.
class StepFunction {
public:
  /// Reads the bindings of `func` (every argument and result must carry
  /// `fp4.role` and `fp4.onnx_name`).
  static llvm::Expected<std::unique_ptr<StepFunction>>
  create(std::unique_ptr<JitRunner> runner, mlir::func::FuncOp func);

  /// Runs the compiled function on `inputs` into the preallocated
  /// `outputs` (JitRunner::runInto, or a CudaRunner's run).
  using RunFn = std::function<llvm::Error(llvm::ArrayRef<const NpyArray *>,
                                          llvm::ArrayRef<NpyArray *>)>;
  /// The same for any runner: `spec` is the compiled function's signature,
  /// `keepAlive` what `run` needs alive.
  static llvm::Expected<std::unique_ptr<StepFunction>>
  create(FunctionSpec spec, RunFn run, std::shared_ptr<void> keepAlive,
         mlir::func::FuncOp func);

  const FunctionSpec &getSpec() const { return spec; }
  llvm::ArrayRef<Binding> getArguments() const { return arguments; }

  /// Compiles the function now if its compilation was deferred
  /// (TrainingModelOptions::deferEval); `call` does it otherwise at its
  /// first call. A no-op once compiled.
  llvm::Error prepare();
  /// False while the compilation is deferred.
  bool isPrepared() const { return !prepareFn; }
  /// Makes the function compile at `prepare` or its first call.
  void setDeferred(std::function<llvm::Error()> compile) {
    prepareFn = std::move(compile);
  }
  llvm::ArrayRef<Binding> getResults() const { return results; }

  /// The argument bound to `kind`, if any.
  const ArraySpec *findArgument(Binding::Kind kind) const;

  /// Calls the function on one batch: `input`, `labels`, the learning rate
  /// `lr` (only read if the function takes one) and the state tensors from
  /// `state`. With `updateState`, the carried results replace their state
  /// tensors (by swapping buffers: no copy, no allocation).
  llvm::Error call(const NpyArray &input, const NpyArray &labels, double lr,
                   StateMap &state, bool updateState);

  /// Results of the last call.
  double getLoss() const;
  int64_t getCorrect() const;
  const NpyArray *getLogits() const;
  const NpyArray &getResult(unsigned index) const { return outputs[index]; }

private:
  StepFunction() = default;

  FunctionSpec spec;
  RunFn run;
  std::function<llvm::Error()> prepareFn;
  std::shared_ptr<void> keepAlive;
  llvm::SmallVector<Binding> arguments;
  llvm::SmallVector<Binding> results;
  llvm::SmallVector<NpyArray> outputs;
  NpyArray lrArray;
  int lossIndex = -1, correctIndex = -1, logitsIndex = -1;
};

/// Options of `TrainingModel::load`.
struct TrainingModelOptions {
  /// The batch size to import an `.onnx` model with (replaces a symbolic
  /// first dimension), and that any model must have when set.
  std::optional<int64_t> batch;
  /// Where `batch` comes from, for the error ("--batch 32", "x.npy has
  /// batch 8").
  std::string batchOrigin;
  /// fp4-build-training-step options.
  double momentum = 0.9;
  double weightDecay = 0.0;
  /// `fp32` (no recipe pass), a recipe name, or a `.json` recipe file.
  std::string recipe = "fp32";
  /// Which step functions to compile.
  bool wantTrain = false, wantEval = false, wantGrad = false;
  /// On the CPU: compile @eval_step at its first call (or
  /// StepFunction::prepare) instead of in `load`, so that training starts
  /// before the evaluation step is compiled (fp4-train).
  bool deferEval = false;
  /// Stop after the passes (no compilation): the step functions stay null
  /// and `getModule()` holds the transformed module (fp4-train --emit).
  bool compile = true;
  /// `cpu` (JIT for the host) or `cuda` (the GPU pipeline, CUDA device 0).
  std::string device = "cpu";
  /// With `cuda`: the chip (empty: the device's).
  std::string chip;
  JitRunnerOptions jit;
};

/// A model with its step functions compiled.
class TrainingModel {
public:
  /// Loads, transforms and compiles the model at `path`. Errors are one line
  /// starting with `path`.
  static llvm::Expected<std::unique_ptr<TrainingModel>>
  load(llvm::StringRef path, const TrainingModelOptions &options);

  ~TrainingModel();

  StepFunction *getTrainStep() const { return trainStep.get(); }
  StepFunction *getEvalStep() const { return evalStep.get(); }
  StepFunction *getGradStep() const { return gradStep.get(); }

  /// The shape of the `input` argument ([batch, ...]) and the number of
  /// classes (the logits' second dimension).
  llvm::ArrayRef<int64_t> getInputShape() const { return inputShape; }
  int64_t getBatch() const { return inputShape.front(); }
  int64_t getNumClasses() const { return numClasses; }
  bool isONNX() const { return onnx; }
  llvm::StringRef getPath() const { return path; }
  /// The module with the step functions (and the recipe), before lowering.
  mlir::ModuleOp getModule() const { return *module; }

  /// Creates every state tensor the compiled functions take, with its initial
  /// value: `overrides` (by name, for params and running statistics), the
  /// ONNX initializers, or the role's default. Errors name the tensor:
  /// "init.npz: 'fc1.weight' is float32 [3] but the model takes
  /// tensor<6x5xf32>", "m.mlir: parameter 'fc1.weight' has no initial value
  /// (give one with --init FILE.npz)".
  llvm::Error initializeState(StateMap &state,
                              const llvm::StringMap<NpyArray> &overrides,
                              llvm::StringRef overridesOrigin) const;

private:
  TrainingModel() = default;

  std::string path;
  bool onnx = false;
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  /// The float initializers of an ONNX model, by name.
  llvm::StringMap<NpyArray> initializers;
  std::unique_ptr<StepFunction> trainStep, evalStep, gradStep;
  llvm::SmallVector<int64_t, 4> inputShape;
  int64_t numClasses = 0;
};

/// The state tensors that sum a step function's per-step `counters`
/// results over the run (they are state, so checkpoints keep them).
inline constexpr llvm::StringLiteral kCountersTotalRole = "counters_total";

/// Creates the counter totals of `step` at 0, so that the state (and every
/// checkpoint) has them from the start.
void createCounterTotals(const StepFunction &step, StateMap &state);

/// Adds the per-step `counters` results of the last call of `step` (those
/// that carry no state) to their totals in `state`, creating them at 0.
void accumulateCounters(const StepFunction &step, StateMap &state);

} // namespace fp4

#endif // FP4_TRAIN_TRAININGMODEL_H
