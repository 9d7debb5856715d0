// REQUIRES: numpy
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/mknpy.py %t/x.npy "np.array([[1.5, -2, 3], [0.25, 8, -1]], dtype=np.float32)"
// RUN: fp4-run %s --entry stats --input %t/x.npy --output %t/scaled.npy --output %t/idx.npy
// RUN: %python %S/Inputs/cmpnpy.py %t/scaled.npy "load('%t/x.npy') * 2"
// RUN: %python %S/Inputs/cmpnpy.py %t/idx.npy "np.array([2, 1], dtype=np.int32)"
// RUN: fp4-run %s --entry stats --input %t/x.npy | FileCheck %s

// Two results of different dtypes: a scaled copy and a per-row argmax.

// CHECK:      output 1: float32 [2, 3]
// CHECK-NEXT: {{\[\[}}3, -4, 6],
// CHECK-NEXT:  [0.5, 16, -2]]
// CHECK-NEXT: output 2: int32 [2]
// CHECK-NEXT: [2, 1]
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @stats(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2xi32>) {
  %two = arith.constant dense<2.0> : tensor<2x3xf32>
  %scaled = arith.mulf %x, %two : tensor<2x3xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %c0 = arith.constant 0 : i32
  %emax = tensor.empty() : tensor<2xf32>
  %eidx = tensor.empty() : tensor<2xi32>
  %max0 = linalg.fill ins(%ninf : f32) outs(%emax : tensor<2xf32>) -> tensor<2xf32>
  %idx0 = linalg.fill ins(%c0 : i32) outs(%eidx : tensor<2xi32>) -> tensor<2xi32>
  %r:2 = linalg.generic {indexing_maps = [#id, #row, #row],
                         iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<2x3xf32>) outs(%max0, %idx0 : tensor<2xf32>, tensor<2xi32>) {
  ^bb0(%v: f32, %m: f32, %i: i32):
    %j = linalg.index 1 : index
    %ji = arith.index_cast %j : index to i32
    %gt = arith.cmpf ogt, %v, %m : f32
    %nm = arith.select %gt, %v, %m : f32
    %ni = arith.select %gt, %ji, %i : i32
    linalg.yield %nm, %ni : f32, i32
  } -> (tensor<2xf32>, tensor<2xi32>)
  return %scaled, %r#1 : tensor<2x3xf32>, tensor<2xi32>
}
