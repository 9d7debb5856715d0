// RUN: not fp4-opt %s --convert-fp4-to-standard=vector-width=3 2>&1 | FileCheck %s
// CHECK: error: vector-width must be an even number >= 2, got 3
func.func @f() { return }
