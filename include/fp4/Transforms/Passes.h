//===- Passes.h - fp4 training-step passes ------------------------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_TRANSFORMS_PASSES_H
#define FP4_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "fp4/Dialect/FP4/IR/FP4Dialect.h"
#include "mlir/Pass/Pass.h"

namespace fp4 {

#define GEN_PASS_DECL
#include "fp4/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "fp4/Transforms/Passes.h.inc"

} // namespace fp4

#endif // FP4_TRANSFORMS_PASSES_H
