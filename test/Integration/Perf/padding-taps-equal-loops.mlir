// Taps of a padded convolution that read only padding are dropped in
// fp4-cpu-conv-to-gemm (a 3 x 3 filter on a 1 x 1 input keeps its centre
// tap). Same bits as the scalar loops over the padded input
// (vectorize=false), which multiply and add every padding zero: a forward
// convolution and an input gradient (through the flipped filter) on 1 x 1
// inputs, a weight gradient, a strided convolution that loses its first
// row of taps, uneven padding that keeps one row of a 5 x 3 filter, a
// dilated weight gradient that keeps the centre tap, and a convolution
// whose every tap reads padding (all +0).
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: fp4-numerics-check gen -o %t/x1.npy --count 48 --shape 3x16x1x1 --seed 21 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/w3.npy --count 1152 --shape 8x16x3x3 --seed 22 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/dy1.npy --count 24 --shape 3x8x1x1 --seed 23 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/x2.npy --count 192 --shape 3x16x2x2 --seed 24 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/x4.npy --count 120 --shape 3x10x1x4 --seed 25 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/w53.npy --count 600 --shape 4x10x5x3 --seed 26 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/dy2.npy --count 96 --shape 3x8x2x2 --seed 27 --uniform -1,1
// RUN: fp4-run %s --entry taps --input %t/x1.npy --input %t/w3.npy --input %t/dy1.npy --input %t/x2.npy --input %t/x4.npy --input %t/w53.npy --input %t/dy2.npy --output %t/r0.npy --output %t/r1.npy --output %t/r2.npy --output %t/r3.npy --output %t/r4.npy --output %t/r5.npy --output %t/r6.npy
// RUN: env FP4_CPU_PIPELINE_OPTIONS=vectorize=false fp4-run %s --entry taps --input %t/x1.npy --input %t/w3.npy --input %t/dy1.npy --input %t/x2.npy --input %t/x4.npy --input %t/w53.npy --input %t/dy2.npy --output %t/s0.npy --output %t/s1.npy --output %t/s2.npy --output %t/s3.npy --output %t/s4.npy --output %t/s5.npy --output %t/s6.npy
// RUN: env FP4_CPU_PIPELINE_OPTIONS=threads=1 fp4-run %s --entry taps --input %t/x1.npy --input %t/w3.npy --input %t/dy1.npy --input %t/x2.npy --input %t/x4.npy --input %t/w53.npy --input %t/dy2.npy --output %t/t0.npy --output %t/t1.npy --output %t/t2.npy --output %t/t3.npy --output %t/t4.npy --output %t/t5.npy --output %t/t6.npy
// RUN: for i in 0 1 2 3 4 5 6; do cmp %t/r$i.npy %t/s$i.npy && cmp %t/t$i.npy %t/s$i.npy || exit 1; done
// The taps were dropped (and not in the reference run): each GEMM's K
// counts only the live taps (16 channels x 1 tap, 8 x 1, 16 x 2 x 2,
// 10 x 1 x 3, and for the weight gradients 3 images x 1 pixel and 3 x 2 x 2;
// the convolution without live taps has none).
// RUN: fp4-opt %s --fp4-cpu-conv-to-gemm=threads=1 --canonicalize | FileCheck %s
// CHECK-LABEL: func.func @taps(
// CHECK: linalg.matmul ins({{.*}} : tensor<8x16xf32>, tensor<16x3xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<8x16x3x3xf32>) outs(%{{.*}} : tensor<16x8x1x1xf32>)
// CHECK: linalg.matmul ins({{.*}} : tensor<16x8xf32>, tensor<8x3xf32>)
// CHECK: linalg.matmul ins({{.*}} : tensor<16x3xf32>, tensor<3x8xf32>)
// CHECK: tensor.insert_slice %{{.*}}[0, 0, 1, 1] [8, 16, 1, 1] [1, 1, 1, 1] : tensor<8x16x1x1xf32> into tensor<8x16x3x3xf32>
// CHECK: linalg.matmul ins({{.*}} : tensor<8x64xf32>, tensor<64x3xf32>)
// CHECK: linalg.matmul ins({{.*}} : tensor<4x30xf32>, tensor<30x12xf32>)
// CHECK: linalg.matmul ins({{.*}} : tensor<16x12xf32>, tensor<12x8xf32>)
// CHECK: tensor.insert_slice %{{.*}}[0, 0, 1, 1] [8, 16, 1, 1] [1, 1, 1, 1] : tensor<8x16x1x1xf32> into tensor<8x16x3x3xf32>
// CHECK-NOT: linalg.matmul
// CHECK: return

#flip = affine_map<(d0, d1, d2, d3) -> (d1, d0, -d2 + 2, -d3 + 2)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#dwx = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d1, d2 + d5, d3 + d6)>
#dwx2 = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d1, d2 * 2 + d5, d3 * 2 + d6)>
#dwdy = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d0, d5, d6)>
#dww = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>

func.func @taps(%x1: tensor<3x16x1x1xf32>, %w3: tensor<8x16x3x3xf32>, %dy1: tensor<3x8x1x1xf32>,
                %x2: tensor<3x16x2x2xf32>, %x4: tensor<3x10x1x4xf32>, %w53: tensor<4x10x5x3xf32>,
                %dy2: tensor<3x8x2x2xf32>)
    -> (tensor<3x8x1x1xf32>, tensor<3x16x1x1xf32>, tensor<8x16x3x3xf32>, tensor<3x8x1x1xf32>,
        tensor<3x4x1x4xf32>, tensor<3x8x2x2xf32>, tensor<8x16x3x3xf32>) {
  %z = arith.constant 0.0 : f32
  // Forward, 1 x 1 input padded to 3 x 3.
  %p1 = tensor.pad %x1 low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %z : f32
  } : tensor<3x16x1x1xf32> to tensor<3x16x3x3xf32>
  %e0 = tensor.empty() : tensor<3x8x1x1xf32>
  %f0 = linalg.fill ins(%z : f32) outs(%e0 : tensor<3x8x1x1xf32>) -> tensor<3x8x1x1xf32>
  %r0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p1, %w3 : tensor<3x16x3x3xf32>, tensor<8x16x3x3xf32>) outs(%f0 : tensor<3x8x1x1xf32>) -> tensor<3x8x1x1xf32>
  // Input gradient: padded dY with the flipped, channel-swapped filter.
  %pd = tensor.pad %dy1 low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %z : f32
  } : tensor<3x8x1x1xf32> to tensor<3x8x3x3xf32>
  %we = tensor.empty() : tensor<16x8x3x3xf32>
  %wt = linalg.generic {indexing_maps = [#flip, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%w3 : tensor<8x16x3x3xf32>) outs(%we : tensor<16x8x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<16x8x3x3xf32>
  %e1 = tensor.empty() : tensor<3x16x1x1xf32>
  %f1 = linalg.fill ins(%z : f32) outs(%e1 : tensor<3x16x1x1xf32>) -> tensor<3x16x1x1xf32>
  %r1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%pd, %wt : tensor<3x8x3x3xf32>, tensor<16x8x3x3xf32>) outs(%f1 : tensor<3x16x1x1xf32>) -> tensor<3x16x1x1xf32>
  // Weight gradient of the forward convolution.
  %e2 = tensor.empty() : tensor<8x16x3x3xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<8x16x3x3xf32>) -> tensor<8x16x3x3xf32>
  %r2 = linalg.generic {indexing_maps = [#dwx, #dwdy, #dww], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%p1, %dy1 : tensor<3x16x3x3xf32>, tensor<3x8x1x1xf32>) outs(%f2 : tensor<8x16x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<8x16x3x3xf32>
  // Stride 2 on a 2 x 2 input padded to 4 x 4: the first row and column of
  // taps read only padding.
  %p2 = tensor.pad %x2 low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %z : f32
  } : tensor<3x16x2x2xf32> to tensor<3x16x4x4xf32>
  %e3 = tensor.empty() : tensor<3x8x1x1xf32>
  %f3 = linalg.fill ins(%z : f32) outs(%e3 : tensor<3x8x1x1xf32>) -> tensor<3x8x1x1xf32>
  %r3 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%p2, %w3 : tensor<3x16x4x4xf32>, tensor<8x16x3x3xf32>) outs(%f3 : tensor<3x8x1x1xf32>) -> tensor<3x8x1x1xf32>
  // Uneven padding: a 1 x 4 input padded by (2, 1) / (2, 1); of the 5 x 3
  // filter only row 2 meets the input.
  %p4 = tensor.pad %x4 low[0, 0, 2, 1] high[0, 0, 2, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %z : f32
  } : tensor<3x10x1x4xf32> to tensor<3x10x5x6xf32>
  %e4 = tensor.empty() : tensor<3x4x1x4xf32>
  %f4 = linalg.fill ins(%z : f32) outs(%e4 : tensor<3x4x1x4xf32>) -> tensor<3x4x1x4xf32>
  %r4 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p4, %w53 : tensor<3x10x5x6xf32>, tensor<4x10x5x3xf32>) outs(%f4 : tensor<3x4x1x4xf32>) -> tensor<3x4x1x4xf32>
  // No tap meets the input: 1 x 1 padded by 3, 2 x 2 filter, stride 5.
  %p5 = tensor.pad %x1 low[0, 0, 3, 3] high[0, 0, 3, 3] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %z : f32
  } : tensor<3x16x1x1xf32> to tensor<3x16x7x7xf32>
  %w22 = tensor.extract_slice %w3[0, 0, 0, 0] [8, 16, 2, 2] [1, 1, 1, 1] : tensor<8x16x3x3xf32> to tensor<8x16x2x2xf32>
  %e5 = tensor.empty() : tensor<3x8x2x2xf32>
  %f5 = linalg.fill ins(%z : f32) outs(%e5 : tensor<3x8x2x2xf32>) -> tensor<3x8x2x2xf32>
  %r5 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<5> : tensor<2xi64>}
      ins(%p5, %w22 : tensor<3x16x7x7xf32>, tensor<8x16x2x2xf32>) outs(%f5 : tensor<3x8x2x2xf32>) -> tensor<3x8x2x2xf32>
  // Dilated weight gradient: a 2 x 2 input padded by 2, dilation 2; only
  // the centre tap meets the input.
  %p6 = tensor.pad %x2 low[0, 0, 2, 2] high[0, 0, 2, 2] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %z : f32
  } : tensor<3x16x2x2xf32> to tensor<3x16x6x6xf32>
  %r6 = linalg.generic {indexing_maps = [#dwx2, #dwdy, #dww], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%p6, %dy2 : tensor<3x16x6x6xf32>, tensor<3x8x2x2xf32>) outs(%f2 : tensor<8x16x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<8x16x3x3xf32>
  return %r0, %r1, %r2, %r3, %r4, %r5, %r6 : tensor<3x8x1x1xf32>, tensor<3x16x1x1xf32>, tensor<8x16x3x3xf32>, tensor<3x8x1x1xf32>, tensor<3x4x1x4xf32>, tensor<3x8x2x2xf32>, tensor<8x16x3x3xf32>
}
