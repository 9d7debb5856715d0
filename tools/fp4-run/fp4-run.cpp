//===- fp4-run.cpp - JIT-run a function of an MLIR file on .npy arrays ----===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
//   fp4-run FILE.mlir --entry NAME --input a.npy --input b.npy
//           --output out.npy [--output out2.npy] [--print]
//           [--device cpu|cuda [--chip sm_XX]]
//   fp4-run MODEL.onnx --input x.npy [--bn-mode=inference|train]
//           --output y.npy
//
// An `.onnx` model is imported (lib/Target/ONNX, docs/onnx.md) with the
// static shapes of the given arrays, and its `@forward` is run: one --input
// per graph input in graph order (integer inputs, such as Reshape shapes,
// become constants of the import), the initializers passed as the weight
// arguments, BatchNormalization in inference mode unless --bn-mode=train.
//
// Every input is checked against the function's signature and the function
// is run before any output is written; outputs are written all or nothing
// (temporary files renamed at the end). Errors are one line on stderr,
// "fp4-run: error: ...", with exit code 1. Without --output, or with
// --print, the outputs are printed to stdout.
//
//===----------------------------------------------------------------------===//

#include "fp4/InitAllDialects.h"
#include "fp4/Runtime/CudaRunner.h"
#include "fp4/Runtime/JitRunner.h"
#include "fp4/Runtime/Npy.h"
#ifdef FP4_HAVE_ONNX
#include "fp4/Target/ONNX/ONNXImporter.h"
#endif

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
#include <cstring>
#include <vector>

using namespace fp4;
using namespace mlir;

static llvm::cl::OptionCategory runCategory("fp4-run options");

static llvm::cl::opt<std::string>
    inputFilename(llvm::cl::Positional, llvm::cl::Required,
                  llvm::cl::desc("<input .mlir or .onnx file>"),
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

#ifdef FP4_HAVE_ONNX
static llvm::cl::opt<fp4::BatchNormMode> bnMode(
    "bn-mode",
    llvm::cl::desc("BatchNormalization semantics of an .onnx model (default: "
                   "inference)"),
    llvm::cl::values(clEnumValN(fp4::BatchNormMode::Inference, "inference",
                                "normalize with the running statistics"),
                     clEnumValN(fp4::BatchNormMode::Train, "train",
                                "normalize with batch statistics; the "
                                "updated running statistics are extra "
                                "outputs")),
    llvm::cl::init(fp4::BatchNormMode::Inference), llvm::cl::cat(runCategory));
#endif

static llvm::cl::opt<std::string> device(
    "device",
    llvm::cl::desc("Where to run: cpu (JIT-compiled for the host, the "
                   "default) or cuda (the GPU pipeline, CUDA device 0)"),
    llvm::cl::value_desc("cpu|cuda"), llvm::cl::init("cpu"),
    llvm::cl::cat(runCategory));

static llvm::cl::opt<std::string> chip(
    "chip",
    llvm::cl::desc("With --device cuda: the chip to compile for (sm_80, "
                   "sm_89, sm_90, sm_100a; default: the device's)"),
    llvm::cl::value_desc("sm_XX"), llvm::cl::cat(runCategory));

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

/// Compiles `entry` of `module`, runs it on `inputPtrs` (checked against
/// its signature), then writes (all or nothing) and/or prints the outputs.
static int compileAndRun(ModuleOp module, llvm::StringRef entry,
                         ArrayRef<const NpyArray *> inputPtrs) {
  // Compile for --device and run.
  std::unique_ptr<JitRunner> cpuRunner;
  std::unique_ptr<CudaRunner> cudaRunner;
  if (device == "cuda") {
    CudaRunnerOptions options;
    options.chip = chip;
    options.optLevel = optLevel;
    llvm::Expected<std::unique_ptr<CudaRunner>> created =
        CudaRunner::create(module, entry, options);
    if (!created)
      return fail(created.takeError());
    cudaRunner = std::move(*created);
  } else {
    JitRunnerOptions options;
    options.optLevel = optLevel;
    llvm::Expected<std::unique_ptr<JitRunner>> created =
        JitRunner::create(module, entry, options);
    if (!created)
      return fail(created.takeError());
    cpuRunner = std::move(*created);
  }
  auto run = [&](ArrayRef<const NpyArray *> args) {
    return cudaRunner ? cudaRunner->run(args) : cpuRunner->run(args);
  };
  llvm::Expected<SmallVector<NpyArray>> outputs = run(inputPtrs);
  if (!outputs)
    return fail(outputs.takeError());
  if (benchmarkRuns > 0) {
    // Each timed call includes the allocation of its result buffers.
    std::vector<double> seconds;
    for (unsigned i = 0; i < benchmarkRuns; ++i) {
      auto start = std::chrono::steady_clock::now();
      llvm::Expected<SmallVector<NpyArray>> again = run(inputPtrs);
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

#ifdef FP4_HAVE_ONNX
/// Converts an array given for an ONNX graph input into the importer's host
/// tensor (f32 for FLOAT inputs, integers for the others).
static llvm::Expected<ONNXHostTensor>
toHostTensor(const NpyArray &array, const ONNXGraphInput &input) {
  ONNXHostTensor result;
  result.shape.assign(array.getShape().begin(), array.getShape().end());
  int64_t n = array.getNumElements();
  DType dtype = array.getDType();
  auto mismatch = [&]() {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "graph input '" + input.name + "' is " +
                                       input.elementType +
                                       " but the array is " + array.describe());
  };
  if (input.isFloat) {
    if (dtype != DType::F32)
      return mismatch();
    result.isFloat = true;
    result.floats.assign(array.getAs<float>(), array.getAs<float>() + n);
    return result;
  }
  result.isFloat = false;
  result.ints.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    if (dtype == DType::I64)
      result.ints[i] = array.getAs<int64_t>()[i];
    else if (dtype == DType::I32)
      result.ints[i] = array.getAs<int32_t>()[i];
    else if (dtype == DType::I8)
      result.ints[i] = array.getAs<int8_t>()[i];
    else if (dtype == DType::U8)
      result.ints[i] = array.getAs<uint8_t>()[i];
    else
      return mismatch();
  }
  return result;
}

/// Runs an ONNX model's `@forward` on the given arrays: the graph inputs are
/// given, the weights come from the initializers.
static int runONNXModel() {
  if (entryName.getNumOccurrences())
    return fail(inputFilename + ": --entry is not used with .onnx models (the "
                                "model's @forward runs)");
  llvm::Expected<std::unique_ptr<ONNXModel>> model =
      ONNXModel::load(inputFilename);
  if (!model)
    return fail(model.takeError());
  ArrayRef<ONNXGraphInput> graphInputs = (*model)->getInputs();
  if (inputFiles.size() != graphInputs.size())
    return fail(inputFilename + ": the model has " +
                llvm::Twine(graphInputs.size()) +
                (graphInputs.size() == 1 ? " input" : " inputs") + " (" +
                llvm::join(llvm::map_range(graphInputs,
                                           [](const ONNXGraphInput &in) {
                                             return "'" + in.name + "'";
                                           }),
                           ", ") +
                ") but " + llvm::Twine(inputFiles.size()) +
                (inputFiles.size() == 1 ? " --input was" : " --inputs were") +
                " given");

  // Read the inputs; their shapes (and, for non-float inputs, their values)
  // specialize the import.
  ONNXImportOptions options;
  options.bnMode = bnMode;
  options.collectWeights = true;
  SmallVector<NpyArray> inputs;
  for (auto [index, path] : llvm::enumerate(inputFiles)) {
    llvm::Expected<NpyArray> array = readNpy(path);
    if (!array)
      return fail(array.takeError());
    const ONNXGraphInput &input = graphInputs[index];
    llvm::Expected<ONNXHostTensor> value = toHostTensor(*array, input);
    if (!value)
      return fail("input " + llvm::Twine(index + 1) + " (" + path +
                  "): " + llvm::toString(value.takeError()));
    options.inputShapes[input.name] = value->shape;
    // Float inputs stay arguments; small ones are also known values, for the
    // operands that must be constants (e.g. the value of a Pad).
    if (!input.isFloat || value->getNumElements() <= 16)
      options.inputValues[input.name] = std::move(*value);
    inputs.push_back(std::move(*array));
  }

  MLIRContext context;
  llvm::Expected<ONNXImportResult> imported =
      (*model)->import(context, options);
  if (!imported)
    return fail(imported.takeError());
  ModuleOp module = *imported->module;
  auto forward = module.lookupSymbol<func::FuncOp>("forward");

  // The arguments: graph inputs by name, weights from the initializers.
  SmallVector<NpyArray> weights;
  SmallVector<std::pair<bool, unsigned>> sources; // (is input, index)
  for (unsigned i = 0, e = forward.getNumArguments(); i < e; ++i) {
    auto name = forward.getArgAttrOfType<StringAttr>(i, onnx_attrs::kName);
    auto role = forward.getArgAttrOfType<StringAttr>(i, onnx_attrs::kRole);
    if (role && role.getValue() == "input") {
      auto it = llvm::find_if(graphInputs, [&](const ONNXGraphInput &in) {
        return in.name == name.getValue();
      });
      sources.emplace_back(true, it - graphInputs.begin());
      continue;
    }
    auto weight = imported->weights.find(name.getValue());
    if (weight == imported->weights.end())
      return fail(inputFilename + ": internal error: no weight '" +
                  name.getValue() + "'");
    NpyArray array(DType::F32, weight->second.shape);
    std::memcpy(array.data(), weight->second.floats.data(),
                weight->second.floats.size() * sizeof(float));
    sources.emplace_back(false, weights.size());
    weights.push_back(std::move(array));
  }
  SmallVector<const NpyArray *> argPtrs;
  for (auto [isInput, index] : sources)
    argPtrs.push_back(isInput ? &inputs[index] : &weights[index]);

  size_t numResults = forward.getNumResults();
  if (!outputFiles.empty() && outputFiles.size() != numResults)
    return fail(
        inputFilename + ": the model has " + llvm::Twine(numResults) +
        (numResults == 1 ? " output" : " outputs") +
        (bnMode == BatchNormMode::Train
             ? " (with the updated running statistics)"
             : "") +
        " but " + llvm::Twine(outputFiles.size()) +
        (outputFiles.size() == 1 ? " --output was" : " --outputs were") +
        " given");
  return compileAndRun(module, "forward", argPtrs);
}
#endif

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::HideUnrelatedOptions(runCategory);
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "fp4-run: JIT-compile a function of an MLIR file (or an ONNX model's "
      "inference) for the host CPU and run it on .npy arrays\n");
  if (device != "cpu" && device != "cuda")
    return fail("unknown --device '" + device + "' (cpu or cuda)");
  if (chip.getNumOccurrences() && device != "cuda")
    return fail("--chip needs --device cuda");

  if (llvm::StringRef(inputFilename).ends_with(".onnx")) {
#ifdef FP4_HAVE_ONNX
    return runONNXModel();
#else
    return fail(inputFilename + ": this fp4-run was built without ONNX "
                                "support (install libonnx-dev and rebuild)");
#endif
  }

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

  SmallVector<const NpyArray *> inputPtrs =
      llvm::map_to_vector(inputs, [](const NpyArray &a) { return &a; });
  return compileAndRun(*module, *entry, inputPtrs);
}
