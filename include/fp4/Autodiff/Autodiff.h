//===- Autodiff.h - Reverse-mode differentiation utilities -----*- C++ -*-===//
//
// Part of the fp4 project.
//
// The reverse sweep that drives VJPOpInterface rules, and helpers the rules
// share. The rules themselves are external models on upstream ops
// (ScalarVJP.cpp: arith/math; LinalgVJP.cpp; TensorVJP.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef FP4_AUTODIFF_AUTODIFF_H
#define FP4_AUTODIFF_AUTODIFF_H

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace fp4 {

/// Attaches the VJP rules to the upstream ops they differentiate.
void registerVJPExternalModels(mlir::DialectRegistry &registry);

/// Sweeps `forwardOps` (in forward order) in reverse. `adjoints` maps values
/// to their cotangents; it is seeded by the caller (e.g. the loss's inputs)
/// and extended with the cotangent of every operand for which `isActive`
/// holds. An op that has a cotangent on some result and an active operand
/// must implement VJPOpInterface; otherwise an error naming the op is emitted
/// and failure returned.
llvm::LogicalResult
buildReverseSweep(mlir::OpBuilder &builder,
                  llvm::ArrayRef<mlir::Operation *> forwardOps,
                  llvm::DenseMap<mlir::Value, mlir::Value> &adjoints,
                  llvm::function_ref<bool(mlir::Value)> isActive);

/// Rewrites `extract_slice(conv(pad(s), W))` (a stride-1 2-D convolution,
/// e.g. a convolution's input gradient, whose padded-input cotangent the pad's
/// VJP crops to the interior) into a convolution that computes only the
/// crop, from `s` padded less: the same values, with fewer products and no
/// copy. Leaves every other slice alone.
void cropConvolutionInputGradients(mlir::Operation *root);

/// `a + b` for two cotangents of the same type (scalar float or ranked
/// tensor of floats).
mlir::Value addCotangents(mlir::OpBuilder &builder, mlir::Location loc,
                          mlir::Value a, mlir::Value b);

/// A ranked tensor of `type` filled with `value`.
mlir::Value filledTensor(mlir::OpBuilder &builder, mlir::Location loc,
                         mlir::RankedTensorType type, double value);

/// A float constant of `type` (scalar float type).
mlir::Value floatConstant(mlir::OpBuilder &builder, mlir::Location loc,
                          mlir::Type type, double value);

/// True for float scalars and ranked tensors of floats: the values that carry
/// cotangents.
bool isDifferentiableType(mlir::Type type);

} // namespace fp4

#endif // FP4_AUTODIFF_AUTODIFF_H
