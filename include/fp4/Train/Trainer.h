//===- Trainer.h - The fp4-train driver -------------------------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// The two jobs of fp4-train (docs/training.md):
//
// - `dumpGradients`: one batch through @grad_step, the loss printed
//   ("loss 2.3026") and every parameter gradient written to an `.npz`
//   archive keyed by ONNX initializer name;
// - `train`: SGD on an image dataset (Fashion-MNIST) for a number of epochs,
//   evaluation on the test set after each epoch, with progress output,
//   metrics, checkpoints, resumption and export of the trained model.
//
// Errors are returned as one-line `llvm::Error`s; nothing is written unless
// the job succeeds up to that file (every file is written atomically).
//
//===----------------------------------------------------------------------===//

#ifndef FP4_TRAIN_TRAINER_H
#define FP4_TRAIN_TRAINER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace fp4 {

enum class LRSchedule {
  /// lr at every step.
  Constant,
  /// lr * (1 + cos(pi * t / T)) / 2 at step t of T (all epochs' steps).
  Cosine,
};

/// Options of both jobs; see fp4-train --help.
struct TrainerOptions {
  std::string modelPath;
  /// `fp32`, a recipe name or a `.json` recipe file.
  std::string recipe = "fp32";
  /// Initial parameters and running statistics by name (an `.npz`).
  std::string initPath;
  double momentum = 0.9;
  double weightDecay = 0.0;
  /// Threads of the compiled code (0: every core).
  unsigned threads = 0;
  unsigned optLevel = 3;
  /// `cpu` or `cuda` (CUDA device 0), and with `cuda` the chip (empty: the
  /// device's; sm_90 for `emitPTX`).
  std::string device = "cpu";
  std::string chip;
  /// emitPTX: the directory of the .ptx files ("" or "-": stdout).
  std::string emitDir;

  // Gradient dump.
  std::string inputPath, labelsPath, gradientsPath;

  // Training.
  std::string dataset = "fashion-mnist";
  /// Directory of the dataset's files (default: Debian's
  /// /usr/share/datasets/fashion-mnist).
  std::string datasetDir;
  int64_t epochs = 1;
  int64_t batch = 64;
  double lr = 0.05;
  uint64_t seed = 0;
  LRSchedule schedule = LRSchedule::Constant;
  std::optional<int64_t> limitTrain, limitTest;
  std::string metricsPath, plotPath, checkpointDir, exportPath;
  bool resume = false;
  /// Stop after this many epochs of this run (as if interrupted); a later
  /// --resume continues with the same schedule.
  std::optional<int64_t> stopAfter;
  bool quiet = false;
  /// Draw a live progress bar (stdout is a terminal and not --quiet).
  bool progressBar = false;
  /// The python interpreter and the script that draw --plot.
  std::string python = "/usr/bin/python3";
  std::string plotScript;
};

/// Runs one batch through @grad_step and writes the gradients.
llvm::Error dumpGradients(const TrainerOptions &options, llvm::raw_ostream &os);

/// Builds the training step (batch `options.batch`, the recipe) and writes
/// the PTX of every kernel of its GPU code for `options.chip`: to stdout in
/// split-file form (`//--- KERNEL.CHIP.ptx` before each), or one file
/// `KERNEL.CHIP.ptx` per kernel in `options.emitDir` (each line of `os`
/// names one).
llvm::Error emitPTX(const TrainerOptions &options, llvm::raw_ostream &os);

/// Trains the model.
llvm::Error train(const TrainerOptions &options, llvm::raw_ostream &os);

} // namespace fp4

#endif // FP4_TRAIN_TRAINER_H
