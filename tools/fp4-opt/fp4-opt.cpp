//===- fp4-opt.cpp - The fp4 optimizer driver -----------------------------===//
//
// Part of the fp4 project.
//
// Like mlir-opt: parses a module, runs the passes named on the command line
// (upstream passes, the fp4 passes and the fp4 pipelines) and prints it.
//
//===----------------------------------------------------------------------===//

#include "fp4/InitAllDialects.h"
#include "fp4/InitAllPasses.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  fp4::registerAllPasses();
  mlir::DialectRegistry registry;
  fp4::registerAllDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "fp4 optimizer driver\n", registry));
}
