//===- Opt.cpp - Running pass pipelines for the C API ---------------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// fp4_opt: what `fp4-opt --pass-pipeline=...` does on a string: the fp4
// dialect, every upstream dialect and every pass and pipeline of the
// project.
//
//===----------------------------------------------------------------------===//

#include "fp4-c/FP4.h"

#include "Common.h"

#include "fp4/InitAllDialects.h"
#include "fp4/InitAllPasses.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/Support/raw_ostream.h"

#include <mutex>

using namespace fp4::capi;
using llvm::StringRef;

extern "C" char *fp4_opt(const char *text, const char *pipeline, char **out) {
  return guard([&]() -> char * {
    if (!text || !pipeline || !out)
      return makeErrorString("fp4_opt: NULL argument");
    *out = nullptr;
    static std::once_flag registerPasses;
    std::call_once(registerPasses, [] { fp4::registerAllPasses(); });

    mlir::DialectRegistry registry;
    fp4::registerAllDialects(registry);
    mlir::MLIRContext context(registry);
    context.disableMultithreading();
    std::string firstError;
    mlir::ScopedDiagnosticHandler handler(
        &context, [&](mlir::Diagnostic &diag) {
          if (diag.getSeverity() == mlir::DiagnosticSeverity::Error &&
              firstError.empty()) {
            std::string where;
            llvm::raw_string_ostream os(where);
            diag.getLocation().print(os);
            firstError = where + ": " + diag.str();
          }
          return mlir::success();
        });

    mlir::ParserConfig config(&context);
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::parseSourceString<mlir::ModuleOp>(text, config, "<input>");
    if (!module)
      return makeErrorString("cannot parse the input: " +
                             (firstError.empty() ? "syntax error"
                                                 : firstError));

    // "builtin.module(a, b)" and "a, b" both run a, b on the module.
    StringRef passes = StringRef(pipeline).trim();
    if (passes.consume_front("builtin.module(")) {
      if (!passes.consume_back(")"))
        return makeErrorString("pipeline '" + StringRef(pipeline) +
                               "': unbalanced parentheses");
    }
    mlir::PassManager pm(&context, mlir::ModuleOp::getOperationName());
    std::string parseErrors;
    llvm::raw_string_ostream errorStream(parseErrors);
    if (failed(mlir::parsePassPipeline(passes, pm, errorStream)))
      return makeErrorString("invalid pass pipeline '" + StringRef(pipeline) +
                             "': " + StringRef(parseErrors).trim());
    if (failed(pm.run(*module)))
      return makeErrorString(
          "pipeline '" + StringRef(pipeline) +
          "' failed: " + (firstError.empty() ? "a pass failed" : firstError));
    std::string result;
    llvm::raw_string_ostream os(result);
    module->print(os);
    *out = makeCString(result);
    return nullptr;
  });
}
