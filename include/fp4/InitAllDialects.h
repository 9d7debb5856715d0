//===- InitAllDialects.h - Register the dialects fp4 tools use -*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_INITALLDIALECTS_H
#define FP4_INITALLDIALECTS_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace fp4 {

/// Adds the fp4 dialect, every upstream dialect the fp4 pipelines produce or
/// consume, and their external interface models to `registry`.
void registerAllDialects(mlir::DialectRegistry &registry);

} // namespace fp4

#endif // FP4_INITALLDIALECTS_H
