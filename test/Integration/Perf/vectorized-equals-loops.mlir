// The tiled, vectorized and multi-threaded code computes the same bits as
// the scalar loops (vectorize=false): every sum runs in the original loop
// order with one rounding per multiply and per add. Odd shapes exercise the
// partial register tiles; `cmp` compares the .npy files byte for byte.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: fp4-numerics-check gen -o %t/a.npy --count 1961 --shape 37x53 --seed 1 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/b.npy --count 1537 --shape 53x29 --seed 2 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/bt.npy --count 1537 --shape 29x53 --seed 3 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/at.npy --count 1961 --shape 53x37 --seed 4 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/x.npy --count 2925 --shape 3x5x13x15 --seed 5 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/w.npy --count 630 --shape 14x5x3x3 --seed 6 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/dy.npy --count 1470 --shape 3x14x5x7 --seed 7 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/gx.npy --count 2160 --shape 2x3x4x9x10 --seed 8 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/gw.npy --count 360 --shape 3x5x4x3x2 --seed 9 --uniform -1,1
// RUN: fp4-run %s --entry gemms --input %t/a.npy --input %t/b.npy --input %t/bt.npy --input %t/at.npy --input %t/x.npy --input %t/w.npy --input %t/dy.npy --input %t/gx.npy --input %t/gw.npy \
// RUN:   --output %t/r0.npy --output %t/r1.npy --output %t/r2.npy --output %t/r3.npy --output %t/r4.npy --output %t/r5.npy --output %t/r6.npy --output %t/r7.npy
// RUN: env FP4_CPU_PIPELINE_OPTIONS=vectorize=false fp4-run %s --entry gemms --input %t/a.npy --input %t/b.npy --input %t/bt.npy --input %t/at.npy --input %t/x.npy --input %t/w.npy --input %t/dy.npy --input %t/gx.npy --input %t/gw.npy \
// RUN:   --output %t/s0.npy --output %t/s1.npy --output %t/s2.npy --output %t/s3.npy --output %t/s4.npy --output %t/s5.npy --output %t/s6.npy --output %t/s7.npy
// RUN: env FP4_CPU_PIPELINE_OPTIONS=threads=1 fp4-run %s --entry gemms --input %t/a.npy --input %t/b.npy --input %t/bt.npy --input %t/at.npy --input %t/x.npy --input %t/w.npy --input %t/dy.npy --input %t/gx.npy --input %t/gw.npy \
// RUN:   --output %t/t0.npy --output %t/t1.npy --output %t/t2.npy --output %t/t3.npy --output %t/t4.npy --output %t/t5.npy --output %t/t6.npy --output %t/t7.npy
// RUN: cmp %t/r0.npy %t/s0.npy && cmp %t/r1.npy %t/s1.npy && cmp %t/r2.npy %t/s2.npy && cmp %t/r3.npy %t/s3.npy
// RUN: cmp %t/r4.npy %t/s4.npy && cmp %t/r5.npy %t/s5.npy && cmp %t/r6.npy %t/s6.npy && cmp %t/r7.npy %t/s7.npy
// RUN: cmp %t/t0.npy %t/s0.npy && cmp %t/t1.npy %t/s1.npy && cmp %t/t2.npy %t/s2.npy && cmp %t/t3.npy %t/s3.npy
// RUN: cmp %t/t4.npy %t/s4.npy && cmp %t/t5.npy %t/s5.npy && cmp %t/t6.npy %t/s6.npy && cmp %t/t7.npy %t/s7.npy

#dm = affine_map<(m, n, k) -> (m, n)>
func.func @gemms(%a: tensor<37x53xf32>, %b: tensor<53x29xf32>, %bt: tensor<29x53xf32>, %at: tensor<53x37xf32>,
                 %x: tensor<3x5x13x15xf32>, %w: tensor<14x5x3x3xf32>, %dy: tensor<3x14x5x7xf32>,
                 %gx: tensor<2x3x4x9x10xf32>, %gw: tensor<3x5x4x3x2xf32>)
    -> (tensor<37x29xf32>, tensor<37x29xf32>, tensor<37x29xf32>, tensor<3x14x5x7xf32>, tensor<14x5x3x3xf32>,
        tensor<2x3x5x7x9xf32>, tensor<37xf32>, tensor<37x29xf64>) {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<37x29xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<37x29xf32>) -> tensor<37x29xf32>
  // A.B, A.B^T (B stored n x k), A^T.B (A stored k x m).
  %nn = linalg.matmul ins(%a, %b : tensor<37x53xf32>, tensor<53x29xf32>) outs(%f : tensor<37x29xf32>) -> tensor<37x29xf32>
  %nt = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, #dm]
      ins(%a, %bt : tensor<37x53xf32>, tensor<29x53xf32>) outs(%f : tensor<37x29xf32>) -> tensor<37x29xf32>
  %tn = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, #dm]
      ins(%at, %b : tensor<53x37xf32>, tensor<53x29xf32>) outs(%f : tensor<37x29xf32>) -> tensor<37x29xf32>
  // Convolution with padding, stride 2 and dilation 1 x 2.
  %xp = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %z : f32
  } : tensor<3x5x13x15xf32> to tensor<3x5x15x17xf32>
  %ce = tensor.empty() : tensor<3x14x5x7xf32>
  %cf = linalg.fill ins(%z : f32) outs(%ce : tensor<3x14x5x7xf32>) -> tensor<3x14x5x7xf32>
  %conv = linalg.conv_2d_nchw_fchw {strides = dense<[3, 2]> : tensor<2xi64>, dilations = dense<[1, 2]> : tensor<2xi64>}
      ins(%xp, %w : tensor<3x5x15x17xf32>, tensor<14x5x3x3xf32>) outs(%cf : tensor<3x14x5x7xf32>) -> tensor<3x14x5x7xf32>
  // Its weight gradient (lib/Autodiff's form).
  %we = tensor.empty() : tensor<14x5x3x3xf32>
  %wf = linalg.fill ins(%z : f32) outs(%we : tensor<14x5x3x3xf32>) -> tensor<14x5x3x3xf32>
  %dw = linalg.generic {
      indexing_maps = [affine_map<(f, c, kh, kw, n, oh, ow) -> (n, c, oh * 3 + kh, ow * 2 + kw * 2)>,
                       affine_map<(f, c, kh, kw, n, oh, ow) -> (n, f, oh, ow)>,
                       affine_map<(f, c, kh, kw, n, oh, ow) -> (f, c, kh, kw)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%xp, %dy : tensor<3x5x15x17xf32>, tensor<3x14x5x7xf32>) outs(%wf : tensor<14x5x3x3xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<14x5x3x3xf32>
  // Grouped convolution.
  %ge = tensor.empty() : tensor<2x3x5x7x9xf32>
  %gf = linalg.fill ins(%z : f32) outs(%ge : tensor<2x3x5x7x9xf32>) -> tensor<2x3x5x7x9xf32>
  %gconv = linalg.conv_2d_ngchw_gfchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%gx, %gw : tensor<2x3x4x9x10xf32>, tensor<3x5x4x3x2xf32>) outs(%gf : tensor<2x3x5x7x9xf32>) -> tensor<2x3x5x7x9xf32>
  // A row reduction (sequential order) and an f64 GEMM.
  %re = tensor.empty() : tensor<37xf32>
  %rf = linalg.fill ins(%z : f32) outs(%re : tensor<37xf32>) -> tensor<37xf32>
  %rsum = linalg.reduce ins(%a : tensor<37x53xf32>) outs(%rf : tensor<37xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %t = math.tanh %in : f32
      %s = arith.addf %acc, %t : f32
      linalg.yield %s : f32
    }
  %a64e = tensor.empty() : tensor<37x53xf64>
  %a64 = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<37x53xf32>) outs(%a64e : tensor<37x53xf64>) {
  ^bb0(%in: f32, %o: f64):
    %d = arith.extf %in : f32 to f64
    linalg.yield %d : f64
  } -> tensor<37x53xf64>
  %b64e = tensor.empty() : tensor<53x29xf64>
  %b64 = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%b : tensor<53x29xf32>) outs(%b64e : tensor<53x29xf64>) {
  ^bb0(%in: f32, %o: f64):
    %d = arith.extf %in : f32 to f64
    linalg.yield %d : f64
  } -> tensor<53x29xf64>
  %z64 = arith.constant 0.0 : f64
  %e64 = tensor.empty() : tensor<37x29xf64>
  %f64 = linalg.fill ins(%z64 : f64) outs(%e64 : tensor<37x29xf64>) -> tensor<37x29xf64>
  %mm64 = linalg.matmul ins(%a64, %b64 : tensor<37x53xf64>, tensor<53x29xf64>) outs(%f64 : tensor<37x29xf64>) -> tensor<37x29xf64>
  return %nn, %nt, %tn, %conv, %dw, %gconv, %rsum, %mm64
      : tensor<37x29xf32>, tensor<37x29xf32>, tensor<37x29xf32>, tensor<3x14x5x7xf32>, tensor<14x5x3x3xf32>,
        tensor<2x3x5x7x9xf32>, tensor<37xf32>, tensor<37x29xf64>
}
