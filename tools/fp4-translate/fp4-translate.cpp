//===- fp4-translate.cpp - Translate models into fp4's MLIR ---------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
//   fp4-translate --import-onnx model.onnx [-o out.mlir] [--batch N]
//                 [--bn-mode=inference|train] [--mlir-print-debuginfo]
//
// Imports an ONNX model as `func.func @forward` (docs/ir-contract.md,
// docs/onnx.md). Errors are one line on stderr, "fp4-translate: error:
// model.onnx: ...", with exit code 1; the output file is then not written
// (it is written to a temporary file renamed over the destination only once
// complete).
//
//===----------------------------------------------------------------------===//

#include "fp4/Target/ONNX/ONNXImporter.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

using namespace mlir;

static llvm::cl::OptionCategory translateCategory("fp4-translate options");

static llvm::cl::opt<std::string>
    inputFilename(llvm::cl::Positional, llvm::cl::desc("<input file>"),
                  llvm::cl::cat(translateCategory));

static llvm::cl::opt<bool>
    importONNX("import-onnx",
               llvm::cl::desc("Import an ONNX model as func.func @forward"),
               llvm::cl::cat(translateCategory));

static llvm::cl::opt<std::string>
    outputFilename("o", llvm::cl::desc("Output file (default: stdout)"),
                   llvm::cl::value_desc("file"), llvm::cl::init("-"),
                   llvm::cl::cat(translateCategory));

static llvm::cl::opt<int64_t>
    batchSize("batch",
              llvm::cl::desc("Size of a symbolic batch (first) dimension of "
                             "the graph inputs"),
              llvm::cl::value_desc("N"), llvm::cl::cat(translateCategory));

static llvm::cl::opt<fp4::BatchNormMode> bnMode(
    "bn-mode",
    llvm::cl::desc("BatchNormalization semantics (default: inference)"),
    llvm::cl::values(clEnumValN(fp4::BatchNormMode::Inference, "inference",
                                "normalize with the running statistics"),
                     clEnumValN(fp4::BatchNormMode::Train, "train",
                                "normalize with batch statistics and return "
                                "the updated running statistics")),
    llvm::cl::init(fp4::BatchNormMode::Inference),
    llvm::cl::cat(translateCategory));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "fp4-translate: error: " << message << "\n";
  return 1;
}

/// Writes `text` to `path` atomically (a temporary file in the same
/// directory, renamed over `path`).
static llvm::Error writeAtomically(llvm::StringRef path, llvm::StringRef text) {
  llvm::SmallString<256> model(path);
  model += ".tmp-%%%%%%%%";
  int fd = -1;
  llvm::SmallString<256> tempPath;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(model, fd, tempPath))
    return llvm::createStringError(ec, "cannot write '" + path +
                                           "': " + ec.message());
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << text;
    os.close();
    if (os.has_error()) {
      std::error_code ec = os.error();
      os.clear_error();
      llvm::sys::fs::remove(tempPath);
      return llvm::createStringError(ec, "cannot write '" + path +
                                             "': " + ec.message());
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tempPath, path)) {
    llvm::sys::fs::remove(tempPath);
    return llvm::createStringError(ec, "cannot write '" + path +
                                           "': " + ec.message());
  }
  return llvm::Error::success();
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "fp4-translate: translate models into fp4's MLIR\n\n"
      "  fp4-translate --import-onnx model.onnx [-o out.mlir] [--batch N] "
      "[--bn-mode=inference|train]\n");

  if (!importONNX)
    return fail("no translation given (use --import-onnx)");
  if (inputFilename.empty())
    return fail("no input file given");

  llvm::Expected<std::unique_ptr<fp4::ONNXModel>> model =
      fp4::ONNXModel::load(inputFilename);
  if (!model)
    return fail(llvm::toString(model.takeError()));

  fp4::ONNXImportOptions options;
  if (batchSize.getNumOccurrences())
    options.batch = batchSize.getValue();
  options.bnMode = bnMode;
  MLIRContext context;
  llvm::Expected<fp4::ONNXImportResult> result =
      (*model)->import(context, options);
  if (!result)
    return fail(llvm::toString(result.takeError()));

  std::string text;
  {
    llvm::raw_string_ostream os(text);
    result->module->print(os, OpPrintingFlags());
    os << "\n";
  }
  if (outputFilename == "-") {
    llvm::outs() << text;
    llvm::outs().flush();
    return 0;
  }
  if (llvm::Error error = writeAtomically(outputFilename, text))
    return fail(llvm::toString(std::move(error)));
  return 0;
}
