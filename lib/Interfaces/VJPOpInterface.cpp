//===- VJPOpInterface.cpp - Reverse-mode derivative rules -----------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "fp4/Interfaces/VJPOpInterface.h"

#include "fp4/Interfaces/VJPOpInterface.cpp.inc"
