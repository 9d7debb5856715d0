// REQUIRES: numpy
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/mknpy.py %t/s.npy "np.float32(2.5)"
// RUN: %python %S/Inputs/mknpy.py %t/v.npy "np.array([1, 2, 3], dtype=np.float32)"
// RUN: %python %S/Inputs/mknpy.py %t/n.npy "np.array(7, dtype=np.int64)"
// RUN: fp4-run %s --entry axpy --input %t/s.npy --input %t/v.npy --input %t/n.npy \
// RUN:   --output %t/sum.npy --output %t/y.npy --output %t/n2.npy
// RUN: %python %S/Inputs/cmpnpy.py %t/sum.npy "np.array(33.5, dtype=np.float32)"
// RUN: %python %S/Inputs/cmpnpy.py %t/y.npy "np.array([2.5, 5, 7.5], dtype=np.float32) + 7"
// RUN: %python %S/Inputs/cmpnpy.py %t/n2.npy "np.array(14, dtype=np.int64)"
// RUN: fp4-run %s --entry axpy --input %t/s.npy --input %t/v.npy --input %t/n.npy | FileCheck %s

// Scalars and 0-d tensors are exchanged as 0-d arrays.

// CHECK:      output 1: float32 []
// CHECK-NEXT: 33.5
// CHECK-NEXT: output 2: float32 [3]
// CHECK-NEXT: [9.5, 12, 14.5]
// CHECK-NEXT: output 3: int64 []
// CHECK-NEXT: 14
func.func @axpy(%s: f32, %v: tensor<3xf32>, %n: tensor<i64>)
    -> (f32, tensor<3xf32>, tensor<i64>) {
  %nv = tensor.extract %n[] : tensor<i64>
  %nf = arith.sitofp %nv : i64 to f32
  %sv = tensor.splat %s : tensor<3xf32>
  %nsplat = tensor.splat %nf : tensor<3xf32>
  %p = arith.mulf %v, %sv : tensor<3xf32>
  %y = arith.addf %p, %nsplat : tensor<3xf32>
  %zero = arith.constant 0.0 : f32
  %acc = tensor.from_elements %zero : tensor<f32>
  %red = linalg.reduce ins(%y : tensor<3xf32>) outs(%acc : tensor<f32>) dimensions = [0]
    (%in: f32, %init: f32) {
      %add = arith.addf %in, %init : f32
      linalg.yield %add : f32
    }
  %sum0 = tensor.extract %red[] : tensor<f32>
  %sum = arith.subf %sum0, %s : f32
  %two = arith.constant dense<2> : tensor<i64>
  %n2 = arith.muli %n, %two : tensor<i64>
  return %sum, %y, %n2 : f32, tensor<3xf32>, tensor<i64>
}

// A function of scalars only (no tensor op in the module body).
// RUN: %python %S/Inputs/mknpy.py %t/i.npy "np.int32(-21)"
// RUN: fp4-run %s --entry scalars --input %t/s.npy --input %t/i.npy | FileCheck %s --check-prefix=SCALARS
// SCALARS:      output 1: float32 []
// SCALARS-NEXT: 5
// SCALARS-NEXT: output 2: int32 []
// SCALARS-NEXT: -42
func.func @scalars(%x: f32, %i: i32) -> (f32, i32) {
  %0 = arith.addf %x, %x : f32
  %1 = arith.addi %i, %i : i32
  return %0, %1 : f32, i32
}
