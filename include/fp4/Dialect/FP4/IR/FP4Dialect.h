//===- FP4Dialect.h - The fp4 dialect -----------------------------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_DIALECT_FP4_IR_FP4DIALECT_H
#define FP4_DIALECT_FP4_IR_FP4DIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "fp4/Dialect/FP4/IR/FP4Dialect.h.inc"
#include "fp4/Dialect/FP4/IR/FP4Enums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "fp4/Dialect/FP4/IR/FP4Attrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "fp4/Dialect/FP4/IR/FP4Types.h.inc"

#define GET_OP_CLASSES
#include "fp4/Dialect/FP4/IR/FP4Ops.h.inc"

#endif // FP4_DIALECT_FP4_IR_FP4DIALECT_H
