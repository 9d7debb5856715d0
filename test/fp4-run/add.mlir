// REQUIRES: numpy
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/mknpy.py %t/a.npy "np.arange(12, dtype=np.float32).reshape(3, 4) / 4"
// RUN: %python %S/Inputs/mknpy.py %t/b.npy "np.full((3, 4), -1.5, dtype=np.float32)"
// RUN: fp4-run %s --entry add --input %t/a.npy --input %t/b.npy --output %t/out.npy
// RUN: %python %S/Inputs/cmpnpy.py %t/out.npy "load('%t/a.npy') + load('%t/b.npy')"
// RUN: fp4-run %s --entry add --input %t/a.npy --input %t/b.npy | FileCheck %s
// RUN: fp4-run %s --entry add --input %t/a.npy --input %t/b.npy --output %t/out2.npy --print | FileCheck %s
// RUN: %python %S/Inputs/cmpnpy.py %t/out2.npy "load('%t/out.npy')"

// Elementwise add of two f32 tensors (an arith op on tensors).

// CHECK:      output 1: float32 [3, 4]
// CHECK-NEXT: {{\[\[}}-1.5, -1.25, -1, -0.75],
// CHECK-NEXT:  [-0.5, -0.25, 0, 0.25],
// CHECK-NEXT:  [0.5, 0.75, 1, 1.25]]
// CHECK-NOT:  output
func.func @add(%a: tensor<3x4xf32>, %b: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %0 = arith.addf %a, %b : tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}
