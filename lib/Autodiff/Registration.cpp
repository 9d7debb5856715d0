//===- Registration.cpp - Attach every VJP rule ---------------------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "fp4/Autodiff/Autodiff.h"

#include "mlir/IR/DialectRegistry.h"

namespace fp4 {
void registerScalarVJPModels(mlir::DialectRegistry &registry);
void registerLinalgVJPModels(mlir::DialectRegistry &registry);
void registerTensorVJPModels(mlir::DialectRegistry &registry);
} // namespace fp4

void fp4::registerVJPExternalModels(mlir::DialectRegistry &registry) {
  registerScalarVJPModels(registry);
  registerLinalgVJPModels(registry);
  registerTensorVJPModels(registry);
}
