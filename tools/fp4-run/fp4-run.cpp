//===- fp4-run.cpp - JIT-run a function of an MLIR file on .npy arrays ----===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
//   fp4-run FILE.mlir --entry NAME --input a.npy --input b.npy
//           --output out.npy [--output out2.npy] [--print]
//
// Every input is checked against the function's signature and the function
// is run before any output is written; outputs are written all or nothing
// (temporary files renamed at the end). Errors are one line on stderr,
// "fp4-run: error: ...", with exit code 1. Without --output, or with
// --print, the outputs are printed to stdout.
//
//===----------------------------------------------------------------------===//

#include "fp4/InitAllDialects.h"
#include "fp4/Runtime/JitRunner.h"
#include "fp4/Runtime/Npy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

using namespace fp4;
using namespace mlir;

static llvm::cl::OptionCategory runCategory("fp4-run options");

static llvm::cl::opt<std::string>
    inputFilename(llvm::cl::Positional, llvm::cl::Required,
                  llvm::cl::desc("<input .mlir file>"),
                  llvm::cl::cat(runCategory));

static llvm::cl::opt<std::string> entryName(
    "entry",
    llvm::cl::desc("Function to run (default: the module's only function)"),
    llvm::cl::value_desc("name"), llvm::cl::cat(runCategory));

static llvm::cl::list<std::string>
    inputFiles("input",
               llvm::cl::desc("A .npy file for the next function argument"),
               llvm::cl::value_desc("file.npy"), llvm::cl::cat(runCategory));

static llvm::cl::list<std::string>
    outputFiles("output",
                llvm::cl::desc("A .npy file for the next function result"),
                llvm::cl::value_desc("file.npy"), llvm::cl::cat(runCategory));

static llvm::cl::opt<bool>
    printOutputs("print",
                 llvm::cl::desc("Print the outputs (the default when no "
                                "--output is given)"),
                 llvm::cl::cat(runCategory));

static llvm::cl::opt<unsigned>
    optLevel("O", llvm::cl::desc("LLVM optimization level (default 3)"),
             llvm::cl::Prefix, llvm::cl::init(3), llvm::cl::cat(runCategory));

static llvm::cl::opt<unsigned> benchmarkRuns(
    "benchmark",
    llvm::cl::desc("Time N further calls after the first one and print the "
                   "minimum and median wall time per call (compilation and "
                   "file I/O excluded)"),
    llvm::cl::value_desc("N"), llvm::cl::init(0), llvm::cl::cat(runCategory));

/// Prints "fp4-run: error: MESSAGE" and returns the exit code 1.
static int fail(const llvm::Twine &message) {
  llvm::errs() << "fp4-run: error: " << message << "\n";
  return 1;
}

static int fail(llvm::Error error) {
  return fail(llvm::toString(std::move(error)));
}

/// Picks the function to run: --entry, or the only function with a body.
static llvm::Expected<std::string> chooseEntry(ModuleOp module) {
  if (entryName.getNumOccurrences())
    return entryName.getValue();
  SmallVector<StringRef> names;
  for (auto func : module.getOps<func::FuncOp>())
    if (!func.isExternal())
      names.push_back(func.getSymName());
  if (names.size() == 1)
    return names.front().str();
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      "no --entry given and the module has " + llvm::Twine(names.size()) +
          " functions" +
          (names.empty() ? "" : " (" + llvm::join(names, ", ") + ")"));
}

/// Prints one output like "output 1: float32 [2, 3]" and its values.
static void printOutput(unsigned index, const NpyArray &array) {
  llvm::outs() << "output " << index << ": " << array.describe() << "\n";
  array.printValues(llvm::outs());
  llvm::outs() << "\n";
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::HideUnrelatedOptions(runCategory);
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "fp4-run: JIT-compile a function of an MLIR file for the host CPU and "
      "run it on .npy arrays\n");

  DialectRegistry registry;
  fp4::registerAllDialects(registry);
  MLIRContext context(registry);

  // Parse; MLIR's located diagnostics go to stderr.
  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> file =
      openInputFile(inputFilename, &errorMessage);
  if (!file)
    return fail(inputFilename + ": " + errorMessage);
  auto sourceMgr = std::make_shared<llvm::SourceMgr>();
  sourceMgr->AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module;
  {
    SourceMgrDiagnosticHandler handler(*sourceMgr, &context);
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  }
  if (!module)
    return 1;

  llvm::Expected<std::string> entry = chooseEntry(*module);
  if (!entry)
    return fail(inputFilename + ": " + llvm::toString(entry.takeError()));
  llvm::Expected<FunctionSpec> spec =
      JitRunner::getFunctionSpec(*module, *entry);
  if (!spec)
    return fail(inputFilename + ": " + llvm::toString(spec.takeError()));

  // Check the command line against the signature before reading anything.
  size_t numArgs = spec->arguments.size(), numResults = spec->results.size();
  if (inputFiles.size() != numArgs)
    return fail(inputFilename + ": function '" + *entry + "' takes " +
                llvm::Twine(numArgs) +
                (numArgs == 1 ? " argument" : " arguments") + " but " +
                llvm::Twine(inputFiles.size()) +
                (inputFiles.size() == 1 ? " --input was" : " --inputs were") +
                " given");
  if (!outputFiles.empty() && outputFiles.size() != numResults)
    return fail(
        inputFilename + ": function '" + *entry + "' returns " +
        llvm::Twine(numResults) + (numResults == 1 ? " result" : " results") +
        " but " + llvm::Twine(outputFiles.size()) +
        (outputFiles.size() == 1 ? " --output was" : " --outputs were") +
        " given");

  // Read and check every input.
  SmallVector<NpyArray> inputs;
  for (auto [index, path] : llvm::enumerate(inputFiles)) {
    llvm::Expected<NpyArray> array = readNpy(path);
    if (!array)
      return fail(array.takeError());
    if (llvm::Error error = spec->arguments[index].checkArray(*array))
      return fail("input " + llvm::Twine(index + 1) + " (" + path +
                  "): " + llvm::toString(std::move(error)));
    inputs.push_back(std::move(*array));
  }

  // Compile and run.
  JitRunnerOptions options;
  options.optLevel = optLevel;
  llvm::Expected<std::unique_ptr<JitRunner>> runner =
      JitRunner::create(*module, *entry, options);
  if (!runner)
    return fail(runner.takeError());
  SmallVector<const NpyArray *> inputPtrs =
      llvm::map_to_vector(inputs, [](const NpyArray &a) { return &a; });
  llvm::Expected<SmallVector<NpyArray>> outputs = (*runner)->run(inputPtrs);
  if (!outputs)
    return fail(outputs.takeError());
  if (benchmarkRuns > 0) {
    // Each timed call includes the allocation of its result buffers.
    std::vector<double> seconds;
    for (unsigned i = 0; i < benchmarkRuns; ++i) {
      auto start = std::chrono::steady_clock::now();
      llvm::Expected<SmallVector<NpyArray>> again = (*runner)->run(inputPtrs);
      auto stop = std::chrono::steady_clock::now();
      if (!again)
        return fail(again.takeError());
      seconds.push_back(std::chrono::duration<double>(stop - start).count());
    }
    std::sort(seconds.begin(), seconds.end());
    llvm::outs() << llvm::formatv(
        "benchmark: {0} runs, min {1:f6} s, median {2:f6} s per call\n",
        seconds.size(), seconds.front(), seconds[seconds.size() / 2]);
  }

  // Write (all or nothing), then print.
  if (!outputFiles.empty()) {
    SmallVector<std::pair<std::string, const NpyArray *>> files;
    for (auto [path, array] : llvm::zip_equal(outputFiles, *outputs))
      files.emplace_back(path, &array);
    if (llvm::Error error = writeNpyFiles(files))
      return fail(std::move(error));
  }
  if (printOutputs || outputFiles.empty())
    for (auto [index, array] : llvm::enumerate(*outputs))
      printOutput(index + 1, array);
  llvm::outs().flush();
  return 0;
}
