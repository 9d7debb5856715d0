//===- fp4-train.cpp - Train an ONNX model with a 4-bit recipe ------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
//   fp4-train MODEL.onnx|MODEL.mlir [--recipe NAME|FILE.json]
//             --input x.npy --labels y.npy --dump-gradients grads.npz
//   fp4-train MODEL.onnx|MODEL.mlir [--recipe NAME|FILE.json]
//             [--dataset fashion-mnist] [--epochs N] [--batch B] [--lr LR]
//             [--momentum M] [--weight-decay WD] [--seed S]
//             [--schedule constant|cosine] [--limit-train N] [--limit-test N]
//             [--metrics out.json] [--plot out.png] [--checkpoint-dir D]
//             [--resume] [--export trained.onnx] [--quiet] [--threads T]
//             [--device cpu|cuda [--chip sm_XX]]
//   fp4-train MODEL.onnx|MODEL.mlir [--recipe R] [--batch B] --device cuda
//             [--chip sm_XX] --emit ptx [--emit-dir DIR]
//
// See docs/training.md. Errors are one line on stderr, "fp4-train: error:
// ...", with exit code 1; no output file is left partially written.
//
//===----------------------------------------------------------------------===//

#include "fp4/Train/Trainer.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace fp4;
namespace cl = llvm::cl;

static cl::OptionCategory category("fp4-train options");

static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model .onnx or .mlir>"),
                                      cl::cat(category));
static cl::opt<std::string>
    recipe("recipe",
           cl::desc("Recipe: fp32 (default), a recipe name of "
                    "fp4-apply-recipe, or a .json recipe file"),
           cl::value_desc("name|file.json"), cl::init("fp32"),
           cl::cat(category));
static cl::opt<std::string>
    initPath("init",
             cl::desc("Initial parameters and running statistics by ONNX "
                      "name (required for .mlir models' parameters)"),
             cl::value_desc("file.npz"), cl::cat(category));

// Gradient dump.
static cl::opt<std::string>
    inputPath("input", cl::desc("Input batch for --dump-gradients"),
              cl::value_desc("x.npy"), cl::cat(category));
static cl::opt<std::string>
    labelsPath("labels", cl::desc("Labels (int64) for --dump-gradients"),
               cl::value_desc("y.npy"), cl::cat(category));
static cl::opt<std::string> gradientsPath(
    "dump-gradients",
    cl::desc("Print the loss of one batch and write every parameter gradient "
             "(keys: ONNX names), without training"),
    cl::value_desc("grads.npz"), cl::cat(category));

// Training.
static cl::opt<std::string> dataset("dataset",
                                    cl::desc("Dataset (fashion-mnist)"),
                                    cl::init("fashion-mnist"),
                                    cl::cat(category));
static cl::opt<std::string>
    datasetDir("dataset-dir",
               cl::desc("Directory of the dataset files (default "
                        "/usr/share/datasets/fashion-mnist)"),
               cl::value_desc("dir"), cl::cat(category));
static cl::opt<int64_t> epochs("epochs", cl::desc("Epochs (default 1)"),
                               cl::init(1), cl::cat(category));
static cl::opt<int64_t> batch("batch", cl::desc("Batch size (default 64)"),
                              cl::init(64), cl::cat(category));
static cl::opt<double> lr("lr", cl::desc("Learning rate (default 0.05)"),
                          cl::init(0.05), cl::cat(category));
static cl::opt<double> momentum("momentum",
                                cl::desc("SGD momentum (default 0.9)"),
                                cl::init(0.9), cl::cat(category));
static cl::opt<double> weightDecay("weight-decay",
                                   cl::desc("L2 weight decay (default 0)"),
                                   cl::init(0.0), cl::cat(category));
static cl::opt<uint64_t> seed("seed", cl::desc("Shuffling seed (default 0)"),
                              cl::init(0), cl::cat(category));
static cl::opt<LRSchedule> schedule(
    "schedule", cl::desc("Learning-rate schedule"),
    cl::values(clEnumValN(LRSchedule::Constant, "constant", "lr at every step"),
               clEnumValN(LRSchedule::Cosine, "cosine",
                          "cosine decay from lr to 0 over all steps")),
    cl::init(LRSchedule::Constant), cl::cat(category));
static cl::opt<int64_t> limitTrain("limit-train",
                                   cl::desc("Use the first N training images"),
                                   cl::value_desc("N"), cl::init(0),
                                   cl::cat(category));
static cl::opt<int64_t> limitTest("limit-test",
                                  cl::desc("Use the first N test images"),
                                  cl::value_desc("N"), cl::init(0),
                                  cl::cat(category));
static cl::opt<std::string> metricsPath("metrics",
                                        cl::desc("Write metrics as JSON"),
                                        cl::value_desc("out.json"),
                                        cl::cat(category));
static cl::opt<std::string>
    plotPath("plot", cl::desc("Plot loss and accuracy curves (matplotlib)"),
             cl::value_desc("out.png"), cl::cat(category));
static cl::opt<std::string>
    checkpointDir("checkpoint-dir",
                  cl::desc("Write DIR/checkpoint.bin after each epoch"),
                  cl::value_desc("dir"), cl::cat(category));
static cl::opt<bool> resume("resume",
                            cl::desc("Continue from DIR/checkpoint.bin"),
                            cl::cat(category));
static cl::opt<int64_t> stopAfter(
    "stop-after-epochs",
    cl::desc("Stop after N epochs of this run, as if interrupted (continue "
             "with --resume)"),
    cl::value_desc("N"), cl::init(0), cl::cat(category));
static cl::opt<std::string>
    exportPath("export",
               cl::desc("Write the ONNX model with the trained initializers"),
               cl::value_desc("trained.onnx"), cl::cat(category));
static cl::opt<bool> quiet("quiet", cl::desc("Print only the final line"),
                           cl::cat(category));
static cl::opt<unsigned>
    optLevel("O", cl::desc("LLVM optimization level (default 3)"), cl::Prefix,
             cl::init(3), cl::cat(category));

static cl::opt<std::string> device(
    "device",
    cl::desc("Where the step functions run: cpu (JIT for the host, the "
             "default) or cuda (the GPU pipeline, CUDA device 0)"),
    cl::init("cpu"), cl::cat(category));
static cl::opt<std::string>
    chip("chip",
         cl::desc("With --device cuda: the chip (sm_80, sm_89, sm_90, "
                  "sm_100a; default: the device's, sm_90 for --emit ptx)"),
         cl::cat(category));
static cl::opt<std::string>
    emit("emit",
         cl::desc("With --device cuda: write the PTX of every kernel of the "
                  "training step instead of training (value: ptx)"),
         cl::value_desc("ptx"), cl::cat(category));
static cl::opt<std::string> emitDir(
    "emit-dir",
    cl::desc("With --emit ptx: write KERNEL.CHIP.ptx files into DIR "
             "(default: stdout, split-file form)"),
    cl::value_desc("dir"), cl::cat(category));

static int fail(const llvm::Twine &message) {
  llvm::outs().flush();
  llvm::errs() << "fp4-train: error: " << message << "\n";
  return 1;
}

/// The plot script: installed next to the executable (build/bin), else in
/// the source tree.
static std::string findPlotScript(const char *argv0) {
  std::string executable =
      llvm::sys::fs::getMainExecutable(argv0, (void *)&findPlotScript);
  llvm::SmallString<256> path(llvm::sys::path::parent_path(executable));
  llvm::sys::path::append(path, "plot_metrics.py");
  if (llvm::sys::fs::exists(path))
    return path.str().str();
#ifdef FP4_TRAIN_PLOT_SCRIPT
  return FP4_TRAIN_PLOT_SCRIPT;
#else
  return path.str().str();
#endif
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // libLLVM registers an option named `threads` of its own: rename it, so
  // that ours can be registered under that name.
  auto &registered = cl::getRegisteredOptions();
  if (auto it = registered.find("threads"); it != registered.end())
    it->second->setArgStr("llvm-threads");
  static cl::opt<unsigned> threads(
      "threads",
      cl::desc("Threads of the compiled code (default 0: every core); the "
               "results do not depend on it"),
      cl::init(0), cl::cat(category));
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "fp4-train: train an ONNX model (or an MLIR @forward) with a 4-bit "
      "recipe on the CPU (or a CUDA GPU), dump its gradients for one batch, or "
      "emit the PTX of its training step\n");

  TrainerOptions options;
  options.modelPath = modelPath;
  options.recipe = recipe;
  options.initPath = initPath;
  options.momentum = momentum;
  options.weightDecay = weightDecay;
  options.threads = threads;
  options.optLevel = optLevel;
  if (device != "cpu" && device != "cuda")
    return fail("unknown --device '" + device + "' (cpu or cuda)");
  if (chip.getNumOccurrences() && device != "cuda")
    return fail("--chip needs --device cuda");
  if (emitDir.getNumOccurrences() && !emit.getNumOccurrences())
    return fail("--emit-dir needs --emit ptx");
  options.device = device;
  options.chip = chip;

  if (emit.getNumOccurrences()) {
    if (emit != "ptx")
      return fail("unknown --emit '" + emit + "' (ptx)");
    if (device != "cuda")
      return fail("--emit ptx needs --device cuda");
    cl::Option *trainingOnly[] = {
        &epochs,     &metricsPath, &plotPath,      &checkpointDir,
        &resume,     &exportPath,  &dataset,       &datasetDir,
        &inputPath,  &labelsPath,  &gradientsPath, &initPath};
    for (cl::Option *option : trainingOnly)
      if (option->getNumOccurrences())
        return fail("--" + option->ArgStr + " is not used with --emit");
    options.batch = batch;
    options.emitDir = emitDir;
    if (llvm::Error error = emitPTX(options, llvm::outs()))
      return fail(llvm::toString(std::move(error)));
    return 0;
  }

  bool dump = gradientsPath.getNumOccurrences() > 0;
  if (dump || inputPath.getNumOccurrences() || labelsPath.getNumOccurrences()) {
    if (!dump || inputPath.empty() || labelsPath.empty())
      return fail("--dump-gradients needs --input and --labels (and they "
                  "are only used with it)");
    cl::Option *trainingOnly[] = {&epochs,        &metricsPath, &plotPath,
                                  &checkpointDir, &resume,      &exportPath,
                                  &dataset,       &datasetDir};
    for (cl::Option *option : trainingOnly)
      if (option->getNumOccurrences())
        return fail("--" + option->ArgStr +
                    " is not used with --dump-gradients");
    options.inputPath = inputPath;
    options.labelsPath = labelsPath;
    options.gradientsPath = gradientsPath;
    if (llvm::Error error = dumpGradients(options, llvm::outs()))
      return fail(llvm::toString(std::move(error)));
    return 0;
  }

  options.dataset = dataset;
  options.datasetDir = datasetDir;
  options.epochs = epochs;
  options.batch = batch;
  options.lr = lr;
  options.seed = seed;
  options.schedule = schedule;
  if (limitTrain.getNumOccurrences())
    options.limitTrain = limitTrain;
  if (limitTest.getNumOccurrences())
    options.limitTest = limitTest;
  if (stopAfter.getNumOccurrences())
    options.stopAfter = stopAfter;
  options.metricsPath = metricsPath;
  options.plotPath = plotPath;
  options.checkpointDir = checkpointDir;
  options.resume = resume;
  options.exportPath = exportPath;
  options.quiet = quiet;
  options.progressBar = llvm::sys::Process::StandardOutIsDisplayed();
  if (const char *python = std::getenv("FP4_PYTHON"))
    options.python = python;
  options.plotScript = findPlotScript(argv[0]);
  if (llvm::Error error = train(options, llvm::outs()))
    return fail(llvm::toString(std::move(error)));
  return 0;
}
