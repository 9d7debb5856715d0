// REQUIRES: numpy
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/mknpy.py %t/a.npy "((np.arange(40, dtype=np.float32) * 7) %% 11 - 5).reshape(5, 8)"
// RUN: %python %S/Inputs/mknpy.py %t/b.npy "((np.arange(24, dtype=np.float32) * 5) %% 13 - 6).reshape(8, 3) / 8"
// RUN: fp4-run %s --entry matmul --input %t/a.npy --input %t/b.npy --output %t/c.npy
// RUN: %python %S/Inputs/cmpnpy.py %t/c.npy "load('%t/a.npy') @ load('%t/b.npy')" --rtol 1e-6

// linalg.matmul on a zero-filled accumulator (the products are exact in f32).
func.func @matmul(%a: tensor<5x8xf32>, %b: tensor<8x3xf32>) -> tensor<5x3xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<5x3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<5x3xf32>) -> tensor<5x3xf32>
  %c = linalg.matmul ins(%a, %b : tensor<5x8xf32>, tensor<8x3xf32>)
                     outs(%init : tensor<5x3xf32>) -> tensor<5x3xf32>
  return %c : tensor<5x3xf32>
}
