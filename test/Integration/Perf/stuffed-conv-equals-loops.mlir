// A stride-1 convolution over a zero-stuffed, padded input (the input
// gradient of a strided convolution) is split by output phase in
// fp4-cpu-conv-to-gemm: one convolution of the unstuffed input with a
// sub-filter per phase, the stuffed zeros skipped. Same bits as the scalar
// loops over the stuffed input (vectorize=false), which multiply and add
// every zero: strides 2 x 3, a 3 x 4 filter, a slice offset and uneven
// padding (phases with different tap counts and edge rows outside the
// input), and a 1 x 1 filter with stride 2 (phases without any tap).
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: fp4-numerics-check gen -o %t/dy.npy --count 630 --shape 2x5x7x9 --seed 11 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/w.npy --count 240 --shape 4x5x3x4 --seed 12 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/w1.npy --count 20 --shape 4x5x1x1 --seed 13 --uniform -1,1
// RUN: fp4-run %s --entry stuffed --input %t/dy.npy --input %t/w.npy --input %t/w1.npy --output %t/r0.npy --output %t/r1.npy
// RUN: env FP4_CPU_PIPELINE_OPTIONS=vectorize=false fp4-run %s --entry stuffed --input %t/dy.npy --input %t/w.npy --input %t/w1.npy --output %t/s0.npy --output %t/s1.npy
// RUN: env FP4_CPU_PIPELINE_OPTIONS=threads=1 fp4-run %s --entry stuffed --input %t/dy.npy --input %t/w.npy --input %t/w1.npy --output %t/t0.npy --output %t/t1.npy
// RUN: cmp %t/r0.npy %t/s0.npy && cmp %t/r1.npy %t/s1.npy && cmp %t/t0.npy %t/s0.npy && cmp %t/t1.npy %t/s1.npy
// The split happened (and not in the reference run).
// RUN: fp4-opt %s --fp4-cpu-conv-to-gemm=threads=1 | FileCheck %s
// CHECK-LABEL: func.func @stuffed(
// CHECK-COUNT-6: linalg.matmul
// CHECK-NOT: linalg.matmul
// CHECK: linalg.matmul
// CHECK-NOT: linalg.matmul
// CHECK: return

func.func @stuffed(%dy: tensor<2x5x7x9xf32>, %w: tensor<4x5x3x4xf32>, %w1: tensor<4x5x1x1xf32>)
    -> (tensor<2x4x17x26xf32>, tensor<2x4x14x18xf32>) {
  %z = arith.constant 0.0 : f32
  // dY stuffed with strides 2 x 3 at offset (1, 0) of a 15 x 25 buffer.
  %se = tensor.empty() : tensor<2x5x15x25xf32>
  %sz = linalg.fill ins(%z : f32) outs(%se : tensor<2x5x15x25xf32>) -> tensor<2x5x15x25xf32>
  %s = tensor.insert_slice %dy into %sz[0, 0, 1, 0] [2, 5, 7, 9] [1, 1, 2, 3] : tensor<2x5x7x9xf32> into tensor<2x5x15x25xf32>
  %p = tensor.pad %s low[0, 0, 2, 1] high[0, 0, 2, 3] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %z : f32
  } : tensor<2x5x15x25xf32> to tensor<2x5x19x29xf32>
  %oe = tensor.empty() : tensor<2x4x17x26xf32>
  %of = linalg.fill ins(%z : f32) outs(%oe : tensor<2x4x17x26xf32>) -> tensor<2x4x17x26xf32>
  %r0 = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%p, %w : tensor<2x5x19x29xf32>, tensor<4x5x3x4xf32>) outs(%of : tensor<2x4x17x26xf32>) -> tensor<2x4x17x26xf32>
  // 1 x 1, stride 2: dY 7 x 9 stuffed into 13 x 17, padded to 14 x 18.
  %te = tensor.empty() : tensor<2x5x13x17xf32>
  %tz = linalg.fill ins(%z : f32) outs(%te : tensor<2x5x13x17xf32>) -> tensor<2x5x13x17xf32>
  %t = tensor.insert_slice %dy into %tz[0, 0, 0, 0] [2, 5, 7, 9] [1, 1, 2, 2] : tensor<2x5x7x9xf32> into tensor<2x5x13x17xf32>
  %tp = tensor.pad %t low[0, 0, 0, 0] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %z : f32
  } : tensor<2x5x13x17xf32> to tensor<2x5x14x18xf32>
  %ue = tensor.empty() : tensor<2x4x14x18xf32>
  %uf = linalg.fill ins(%z : f32) outs(%ue : tensor<2x4x14x18xf32>) -> tensor<2x4x14x18xf32>
  %r1 = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%tp, %w1 : tensor<2x5x14x18xf32>, tensor<4x5x1x1xf32>) outs(%uf : tensor<2x4x14x18xf32>) -> tensor<2x4x14x18xf32>
  return %r0, %r1 : tensor<2x4x17x26xf32>, tensor<2x4x14x18xf32>
}
