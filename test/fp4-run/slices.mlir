// REQUIRES: numpy
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/mknpy.py %t/a.npy "np.arange(32, dtype=np.float32).reshape(4, 8)"
// RUN: fp4-run %s --entry slices --input %t/a.npy --output %t/cols.npy --output %t/row.npy --output %t/same.npy
// RUN: %python %S/Inputs/cmpnpy.py %t/cols.npy "load('%t/a.npy')[:, 3:7:2]"
// RUN: %python %S/Inputs/cmpnpy.py %t/row.npy "load('%t/a.npy')[2]"
// RUN: %python %S/Inputs/cmpnpy.py %t/same.npy "load('%t/a.npy')"

// Results that alias the input or a strided view of it are copied into the
// caller's buffers (the strided copy goes through `memrefCopy`).
func.func @slices(%a: tensor<4x8xf32>) -> (tensor<4x2xf32>, tensor<8xf32>, tensor<4x8xf32>) {
  %cols = tensor.extract_slice %a[0, 3] [4, 2] [1, 2] : tensor<4x8xf32> to tensor<4x2xf32>
  %row = tensor.extract_slice %a[2, 0] [1, 8] [1, 1] : tensor<4x8xf32> to tensor<8xf32>
  return %cols, %row, %a : tensor<4x2xf32>, tensor<8xf32>, tensor<4x8xf32>
}
