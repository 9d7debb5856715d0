//===- VJPOpInterface.h - Reverse-mode derivative rules ---------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_INTERFACES_VJPOPINTERFACE_H
#define FP4_INTERFACES_VJPOPINTERFACE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include "fp4/Interfaces/VJPOpInterface.h.inc"

#endif // FP4_INTERFACES_VJPOPINTERFACE_H
