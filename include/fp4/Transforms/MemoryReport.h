//===- MemoryReport.h - Bytes saved for the backward pass ------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_TRANSFORMS_MEMORYREPORT_H
#define FP4_TRANSFORMS_MEMORYREPORT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>
#include <vector>

namespace fp4 {

/// What a training step keeps alive from its forward pass for its backward
/// pass: every value defined before the op tagged `fp4.backward_start` (the
/// loss gradient) and used after it, function arguments excluded. A
/// `!fp4.qtensor` counts its packed storage plus its f32 scale; other
/// tensors their elements (i1 as one byte, as they are stored).
struct SavedActivations {
  int64_t totalBytes = 0;
  int64_t floatBytes = 0;     ///< f32/f16/f64 tensors
  int64_t quantizedBytes = 0; ///< !fp4.qtensor values
  int64_t otherBytes = 0;     ///< masks, integer tensors, scalars
  int64_t values = 0;
  /// Per GEMM layer (forward GEMMs named `fp4.layer` by fp4-apply-recipe,
  /// in order): the bytes of the activation operand saved for the layer's
  /// weight gradient.
  struct Layer {
    std::string name;
    int64_t activationBytes = 0;
    bool quantized = false;
  };
  std::vector<Layer> layers;
};

/// Fails when `fn` has no op tagged `fp4.backward_start`.
mlir::FailureOr<SavedActivations> computeSavedActivations(mlir::func::FuncOp fn);

} // namespace fp4

#endif // FP4_TRANSFORMS_MEMORYREPORT_H
