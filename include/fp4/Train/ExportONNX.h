//===- ExportONNX.h - Write a trained ONNX model ----------------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// Writes a copy of an ONNX model whose float initializers are replaced, by
// name, with trained values (parameters and running statistics): the graph,
// opset, metadata and every other initializer are kept as they are, so
// PyTorch, onnx and fp4 load the result like the original.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_TRAIN_EXPORTONNX_H
#define FP4_TRAIN_EXPORTONNX_H

#include "fp4/Train/TrainingModel.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace fp4 {

/// Whether this build can export ONNX models (libonnx was found).
bool canExportONNX();

/// Reads the model at `sourcePath`, replaces the data of each float
/// initializer named like a `param`, `running_mean` or `running_var` tensor
/// of `state` (same element count required) and writes the model to
/// `outputPath` atomically. Errors are one line.
llvm::Error exportONNX(llvm::StringRef sourcePath, llvm::StringRef outputPath,
                       const StateMap &state);

} // namespace fp4

#endif // FP4_TRAIN_EXPORTONNX_H
