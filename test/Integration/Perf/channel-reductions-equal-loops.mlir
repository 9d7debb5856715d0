// Per-channel reductions over n, h and w of NCHW data (BatchNorm's sums),
// vectorized as 16 x 16 tiles transposed in registers (fp4-cpu-tile-and-
// vectorize), compute the same bits as the scalar loops (vectorize=false):
// each channel still sums in n, h, w order. h * w = 63 leaves a remainder of
// 15 elements per image, 64 none; 48 and 32 channels give 3 and 2 tiles of
// lanes. `cmp` compares the .npy files byte for byte, with the default
// threads and with one.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: fp4-numerics-check gen -o %t/x.npy --count 9072 --shape 3x48x9x7 --seed 11 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/dy.npy --count 9072 --shape 3x48x9x7 --seed 12 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/m.npy --count 48 --shape 48 --seed 13 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/y.npy --count 4096 --shape 2x32x8x8 --seed 14 --uniform -1,1
// RUN: fp4-run %s --entry sums --input %t/x.npy --input %t/dy.npy --input %t/m.npy --input %t/y.npy \
// RUN:   --output %t/r0.npy --output %t/r1.npy --output %t/r2.npy --output %t/r3.npy
// RUN: env FP4_CPU_PIPELINE_OPTIONS=vectorize=false fp4-run %s --entry sums --input %t/x.npy --input %t/dy.npy --input %t/m.npy --input %t/y.npy \
// RUN:   --output %t/s0.npy --output %t/s1.npy --output %t/s2.npy --output %t/s3.npy
// RUN: env FP4_CPU_PIPELINE_OPTIONS=threads=1 fp4-run %s --entry sums --input %t/x.npy --input %t/dy.npy --input %t/m.npy --input %t/y.npy \
// RUN:   --output %t/t0.npy --output %t/t1.npy --output %t/t2.npy --output %t/t3.npy
// RUN: cmp %t/r0.npy %t/s0.npy && cmp %t/r1.npy %t/s1.npy && cmp %t/r2.npy %t/s2.npy && cmp %t/r3.npy %t/s3.npy
// RUN: cmp %t/t0.npy %t/s0.npy && cmp %t/t1.npy %t/s1.npy && cmp %t/t2.npy %t/s2.npy && cmp %t/t3.npy %t/s3.npy

#x = affine_map<(n, c, h, w) -> (n, c, h, w)>
#c = affine_map<(n, c, h, w) -> (c)>
func.func @sums(%x: tensor<3x48x9x7xf32>, %dy: tensor<3x48x9x7xf32>, %m: tensor<48xf32>, %y: tensor<2x32x8x8xf32>)
    -> (tensor<48xf32>, tensor<48xf32>, tensor<32xf32>, tensor<48xf32>) {
  %z = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %e48 = tensor.empty() : tensor<48xf32>
  %f48 = linalg.fill ins(%z : f32) outs(%e48 : tensor<48xf32>) -> tensor<48xf32>
  // sum(x * dy): BatchNorm's scale gradient form.
  %r0 = linalg.generic {indexing_maps = [#x, #x, #c], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x, %dy : tensor<3x48x9x7xf32>, tensor<3x48x9x7xf32>) outs(%f48 : tensor<48xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<48xf32>
  // sum((x - mean[c]) * dy): a per-channel operand broadcast along h * w.
  %r1 = linalg.generic {indexing_maps = [#x, #c, #x, #c], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x, %m, %dy : tensor<3x48x9x7xf32>, tensor<48xf32>, tensor<3x48x9x7xf32>) outs(%f48 : tensor<48xf32>) {
  ^bb0(%a: f32, %mu: f32, %b: f32, %acc: f32):
    %d = arith.subf %a, %mu : f32
    %p = arith.mulf %d, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<48xf32>
  // sum(y): no remainder (h * w = 64).
  %e32 = tensor.empty() : tensor<32xf32>
  %f32 = linalg.fill ins(%z : f32) outs(%e32 : tensor<32xf32>) -> tensor<32xf32>
  %r2 = linalg.generic {indexing_maps = [#x, #c], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%y : tensor<2x32x8x8xf32>) outs(%f32 : tensor<32xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<32xf32>
  // max(x).
  %g48 = linalg.fill ins(%ninf : f32) outs(%e48 : tensor<48xf32>) -> tensor<48xf32>
  %r3 = linalg.generic {indexing_maps = [#x, #c], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<3x48x9x7xf32>) outs(%g48 : tensor<48xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.maximumf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<48xf32>
  return %r0, %r1, %r2, %r3 : tensor<48xf32>, tensor<48xf32>, tensor<32xf32>, tensor<48xf32>
}
