// Max pooling and the backward pass's arg-max (value and row-major window
// index of the first maximum) run as vector code in
// fp4-cpu-tile-and-vectorize: per output row, vectors along the row, one
// contiguous read of the input per tap with every S-th lane shuffled out,
// the op's body applied lane by lane in the op's tap order. Bit-equal to
// the scalar loops (vectorize=false): 2x2 / stride 2 and 3x3 / stride 2
// windows, rows of 3, 4 and 20 outputs (a vector and a remainder), inputs
// with ties (values rounded to halves) and NaNs (about one in ten), one
// and two threads.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: fp4-numerics-check gen -o %t/x.npy --count 5040 --shape 2x3x20x42 --seed 41 --uniform -2,2
// RUN: fp4-run %s --entry pools --input %t/x.npy --output %t/r0.npy --output %t/r1.npy --output %t/r2.npy --output %t/r3.npy --output %t/r4.npy --output %t/r5.npy
// RUN: env FP4_CPU_PIPELINE_OPTIONS=vectorize=false fp4-run %s --entry pools --input %t/x.npy --output %t/s0.npy --output %t/s1.npy --output %t/s2.npy --output %t/s3.npy --output %t/s4.npy --output %t/s5.npy
// RUN: env FP4_CPU_PIPELINE_OPTIONS=threads=1 fp4-run %s --entry pools --input %t/x.npy --output %t/t0.npy --output %t/t1.npy --output %t/t2.npy --output %t/t3.npy --output %t/t4.npy --output %t/t5.npy
// RUN: for i in 0 1 2 3 4 5; do cmp %t/r$i.npy %t/s$i.npy && cmp %t/t$i.npy %t/s$i.npy || exit 1; done
// The windows were vectorized (and not in the reference run).
// RUN: fp4-opt %s --fp4-cpu-tile-and-vectorize=threads=1 | FileCheck %s
// CHECK-LABEL: func.func @pools(
// CHECK-NOT: linalg.pooling_nchw_max
// CHECK: vector.shuffle
// CHECK-NOT: linalg.pooling_nchw_max
// CHECK: return

#x2 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5)>
#win = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
#o = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

func.func @pools(%x0: tensor<2x3x20x42xf32>)
    -> (tensor<2x3x10x20xf32>, tensor<2x3x9x20xf32>, tensor<2x3x9x20xi64>,
        tensor<2x3x10x20xf32>, tensor<2x3x10x20xi64>, tensor<2x3x4x3xf32>) {
  // Ties (halves) and NaNs (where x > 1.6).
  %e = tensor.empty() : tensor<2x3x20x42xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x0 : tensor<2x3x20x42xf32>) outs(%e : tensor<2x3x20x42xf32>) {
  ^bb0(%a: f32, %o: f32):
    %two = arith.constant 2.0 : f32
    %half = arith.constant 0.5 : f32
    %lim = arith.constant 1.6 : f32
    %nan = arith.constant 0x7FC00000 : f32
    %t = arith.mulf %a, %two : f32
    %f = math.floor %t : f32
    %h = arith.mulf %f, %half : f32
    %big = arith.cmpf ogt, %a, %lim : f32
    %r = arith.select %big, %nan, %h : f32
    linalg.yield %r : f32
  } -> tensor<2x3x20x42xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %zero64 = arith.constant 0 : i64
  %w2 = tensor.empty() : tensor<2x2xf32>
  %w3 = tensor.empty() : tensor<3x3xf32>
  // 2x2 / 2 max pooling: 10 x 21 outputs (a vector of 16 and 5 more).
  %p0e = tensor.empty() : tensor<2x3x10x20xf32>
  %p0f = linalg.fill ins(%ninf : f32) outs(%p0e : tensor<2x3x10x20xf32>) -> tensor<2x3x10x20xf32>
  %p0 = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w2 : tensor<2x3x20x42xf32>, tensor<2x2xf32>) outs(%p0f : tensor<2x3x10x20xf32>) -> tensor<2x3x10x20xf32>
  // 3x3 / 2 max pooling and arg-max.
  %p1e = tensor.empty() : tensor<2x3x9x20xf32>
  %p1f = linalg.fill ins(%ninf : f32) outs(%p1e : tensor<2x3x9x20xf32>) -> tensor<2x3x9x20xf32>
  %p1 = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w3 : tensor<2x3x20x42xf32>, tensor<3x3xf32>) outs(%p1f : tensor<2x3x9x20xf32>) -> tensor<2x3x9x20xf32>
  %i1e = tensor.empty() : tensor<2x3x9x20xi64>
  %i1f = linalg.fill ins(%zero64 : i64) outs(%i1e : tensor<2x3x9x20xi64>) -> tensor<2x3x9x20xi64>
  %a1:2 = linalg.generic {indexing_maps = [#x2, #win, #o, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %w3 : tensor<2x3x20x42xf32>, tensor<3x3xf32>) outs(%p1f, %i1f : tensor<2x3x9x20xf32>, tensor<2x3x9x20xi64>) {
  ^bb0(%in: f32, %wv: f32, %out: f32, %out_i: i64):
    %c3 = arith.constant 3 : i64
    %kh = linalg.index 4 : index
    %khi = arith.index_cast %kh : index to i64
    %row = arith.muli %khi, %c3 : i64
    %kw = linalg.index 5 : index
    %kwi = arith.index_cast %kw : index to i64
    %k = arith.addi %row, %kwi : i64
    %gt = arith.cmpf ogt, %in, %out : f32
    %v = arith.select %gt, %in, %out : f32
    %i = arith.select %gt, %k, %out_i : i64
    linalg.yield %v, %i : f32, i64
  } -> (tensor<2x3x9x20xf32>, tensor<2x3x9x20xi64>)
  // 2x2 / 2 arg-max.
  %i0e = tensor.empty() : tensor<2x3x10x20xi64>
  %i0f = linalg.fill ins(%zero64 : i64) outs(%i0e : tensor<2x3x10x20xi64>) -> tensor<2x3x10x20xi64>
  %a0:2 = linalg.generic {indexing_maps = [#x2, #win, #o, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %w2 : tensor<2x3x20x42xf32>, tensor<2x2xf32>) outs(%p0f, %i0f : tensor<2x3x10x20xf32>, tensor<2x3x10x20xi64>) {
  ^bb0(%in: f32, %wv: f32, %out: f32, %out_i: i64):
    %c2 = arith.constant 2 : i64
    %kh = linalg.index 4 : index
    %khi = arith.index_cast %kh : index to i64
    %row = arith.muli %khi, %c2 : i64
    %kw = linalg.index 5 : index
    %kwi = arith.index_cast %kw : index to i64
    %k = arith.addi %row, %kwi : i64
    %gt = arith.cmpf ogt, %in, %out : f32
    %v = arith.select %gt, %in, %out : f32
    %i = arith.select %gt, %k, %out_i : i64
    linalg.yield %v, %i : f32, i64
  } -> (tensor<2x3x10x20xf32>, tensor<2x3x10x20xi64>)
  // A 4 x 3 corner of the input, pooled 2x2 / 2 as a slice (rows of 3).
  %xs = tensor.extract_slice %x[0, 0, 0, 0] [2, 3, 8, 6] [1, 1, 1, 1] : tensor<2x3x20x42xf32> to tensor<2x3x8x6xf32>
  %p2e = tensor.empty() : tensor<2x3x4x3xf32>
  %p2f = linalg.fill ins(%ninf : f32) outs(%p2e : tensor<2x3x4x3xf32>) -> tensor<2x3x4x3xf32>
  %p2 = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%xs, %w2 : tensor<2x3x8x6xf32>, tensor<2x2xf32>) outs(%p2f : tensor<2x3x4x3xf32>) -> tensor<2x3x4x3xf32>
  return %p0, %a1#0, %a1#1, %a0#0, %a0#1, %p2 : tensor<2x3x10x20xf32>, tensor<2x3x9x20xf32>, tensor<2x3x9x20xi64>, tensor<2x3x10x20xf32>, tensor<2x3x10x20xi64>, tensor<2x3x4x3xf32>
}
