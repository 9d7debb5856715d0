//===- Passes.h - fp4 conversion passes ---------------------------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_CONVERSION_PASSES_H
#define FP4_CONVERSION_PASSES_H

#include "fp4/Dialect/FP4/IR/FP4Dialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace fp4 {

#define GEN_PASS_DECL
#include "fp4/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "fp4/Conversion/Passes.h.inc"

} // namespace fp4

#endif // FP4_CONVERSION_PASSES_H
