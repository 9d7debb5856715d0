// REQUIRES: numpy
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/mknpy.py %t/x.npy "np.arange(-6, 6, dtype=np.float32).reshape(3, 4)"
// RUN: %python %S/Inputs/mknpy.py %t/q.npy "np.arange(0, 256, 16, dtype=np.uint8) + np.arange(16, dtype=np.uint8)"
// RUN: fp4-run %s --entry masked --input %t/x.npy --output %t/m.npy --output %t/s.npy
// RUN: %python %S/Inputs/cmpnpy.py %t/m.npy "np.concatenate([np.exp(load('%t/x.npy')) * 2, np.zeros((3, 4), np.float32)], axis=1)" --rtol 1e-6
// RUN: %python %S/Inputs/cmpnpy.py %t/s.npy "load('%t/x.npy').sum(axis=1)"
// RUN: fp4-run %s --entry swizzle --input %t/q.npy --output %t/w.npy --output %t/f.npy
// RUN: %python %S/Inputs/cmpnpy.py %t/w.npy "load('%t/q.npy').reshape(8, 2)[:, ::-1].reshape(16) >> 4"
// RUN: %python %S/Inputs/cmpnpy.py %t/f.npy "np.tanh(load('%t/q.npy').astype(np.float32).reshape(4, 4) / 64).astype(np.float16)" --rtol 1e-3

// Vector ops on tensors inside loops: 8-wide transfers of 4-wide rows (the
// out-of-bounds lanes read the padding and are not written), a reduction,
// and an scf.forall writing disjoint slices.
func.func @masked(%x: tensor<3x4xf32>) -> (tensor<3x8xf32>, tensor<3xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %zero = arith.constant 0.0 : f32
  %e = math.exp %x : tensor<3x4xf32>
  %empty = tensor.empty() : tensor<3x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<3x8xf32>) -> tensor<3x8xf32>
  %sinit = tensor.empty() : tensor<3xf32>
  %r:2 = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %init, %sacc = %sinit)
      -> (tensor<3x8xf32>, tensor<3xf32>) {
    %v = vector.transfer_read %e[%i, %c0], %zero : tensor<3x4xf32>, vector<8xf32>
    %w = arith.addf %v, %v : vector<8xf32>
    %n = vector.transfer_write %w, %acc[%i, %c0] : vector<8xf32>, tensor<3x8xf32>
    %raw = vector.transfer_read %x[%i, %c0], %zero : tensor<3x4xf32>, vector<8xf32>
    %sum = vector.reduction <add>, %raw : vector<8xf32> into f32
    %s = tensor.insert %sum into %sacc[%i] : tensor<3xf32>
    scf.yield %n, %s : tensor<3x8xf32>, tensor<3xf32>
  }
  return %r#0, %r#1 : tensor<3x8xf32>, tensor<3xf32>
}

// Byte shuffles and bitcasts on packed codes, reshapes, and a parallel loop.
func.func @swizzle(%q: tensor<16xi8>) -> (tensor<16xi8> {fp4.unsigned}, tensor<4x4xf16>) {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0 : i8
  %v = vector.transfer_read %q[%c0], %pad {in_bounds = [true]} : tensor<16xi8>, vector<16xi8>
  %sh = vector.shuffle %v, %v [1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14]
      : vector<16xi8>, vector<16xi8>
  %w32 = vector.bitcast %sh : vector<16xi8> to vector<4xi32>
  %b8 = vector.bitcast %w32 : vector<4xi32> to vector<16xi8>
  %four = arith.constant dense<4> : vector<16xi8>
  %hi = arith.shrui %b8, %four : vector<16xi8>
  %out = vector.transfer_write %hi, %q[%c0] {in_bounds = [true]} : vector<16xi8>, tensor<16xi8>

  %m = tensor.expand_shape %q [[0, 1]] output_shape [4, 4] : tensor<16xi8> into tensor<4x4xi8>
  %f = arith.uitofp %m : tensor<4x4xi8> to tensor<4x4xf32>
  %scale = arith.constant dense<0.015625> : tensor<4x4xf32>
  %fs = arith.mulf %f, %scale : tensor<4x4xf32>
  %flat = tensor.collapse_shape %fs [[0, 1]] : tensor<4x4xf32> into tensor<16xf32>
  %dest = tensor.empty() : tensor<16xf16>
  %t = scf.forall (%i) in (4) shared_outs(%o = %dest) -> tensor<16xf16> {
    %c4 = arith.constant 4 : index
    %off = arith.muli %i, %c4 : index
    %sl = tensor.extract_slice %flat[%off] [4] [1] : tensor<16xf32> to tensor<4xf32>
    %th = math.tanh %sl : tensor<4xf32>
    %h = arith.truncf %th : tensor<4xf32> to tensor<4xf16>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %h into %o[%off] [4] [1] : tensor<4xf16> into tensor<16xf16>
    }
  }
  %t2 = tensor.expand_shape %t [[0, 1]] output_shape [4, 4] : tensor<16xf16> into tensor<4x4xf16>
  return %out, %t2 : tensor<16xi8>, tensor<4x4xf16>
}
