// The 4-bit training recipe of Sun et al. (NeurIPS 2020) on one linear layer,
// expressed with the fp4 dialect: INT4 forward GEMM (uint4 activations with a
// max-based scale, int4 weights with the SAWB clip) and the two backward
// GEMMs on a GradScale'd output gradient quantized twice to radix-4 FP4 -
// the even phase for the activation gradient dX = dY W and the odd phase for
// the weight gradient dW = dY^T X. Each result is compared with the f32 GEMM
// on the same (unquantized) data.
//
// Run:  build/bin/fp4-run examples/lowp_gemm.mlir --entry main --print
// (examples/run-lowp-gemm.sh prints it with labels).

#id = affine_map<(i, j) -> (i, j)>
#mk = affine_map<(i, j, k) -> (i, k)>
#nk = affine_map<(i, j, k) -> (j, k)>
#kn = affine_map<(i, j, k) -> (k, j)>
#km = affine_map<(i, j, k) -> (k, i)>
#ij = affine_map<(i, j, k) -> (i, j)>
#all = affine_map<(i, j) -> ()>

// Deterministic pseudo-random values in [lo, hi): a 32-bit integer hash of
// (seed, i, j).
func.func private @random(%seed: i32, %lo: f32, %hi: f32) -> tensor<64x256xf32> {
  %e = tensor.empty() : tensor<64x256xf32>
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<64x256xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %jj = arith.index_cast %j : index to i32
    %c256 = arith.constant 256 : i32
    %lin = arith.muli %ii, %c256 : i32
    %n0 = arith.addi %lin, %jj : i32
    %m1 = arith.constant -1640531535 : i32
    %n1 = arith.xori %n0, %seed : i32
    %h1 = arith.muli %n1, %m1 : i32
    %c15 = arith.constant 15 : i32
    %s1 = arith.shrui %h1, %c15 : i32
    %h2 = arith.xori %h1, %s1 : i32
    %m2 = arith.constant -2048144789 : i32
    %h3 = arith.muli %h2, %m2 : i32
    %c13 = arith.constant 13 : i32
    %s3 = arith.shrui %h3, %c13 : i32
    %h4 = arith.xori %h3, %s3 : i32
    %c8 = arith.constant 8 : i32
    %top = arith.shrui %h4, %c8 : i32
    %u = arith.uitofp %top : i32 to f32
    %inv = arith.constant 5.96046448e-08 : f32
    %u01 = arith.mulf %u, %inv : f32
    %w = arith.subf %hi, %lo : f32
    %t = arith.mulf %u01, %w : f32
    %v = arith.addf %t, %lo : f32
    linalg.yield %v : f32
  } -> tensor<64x256xf32>
  return %r : tensor<64x256xf32>
}

// ||a - b|| / ||b|| over two 2-D tensors, as a 0-d tensor.
func.func private @relerr(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<f32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2xf32>
  %e0 = tensor.empty() : tensor<f32>
  %acc0 = linalg.fill ins(%z : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %num, %den = linalg.generic {indexing_maps = [#id, #id, #all, #all], iterator_types = ["reduction", "reduction"]}
      ins(%a, %b : tensor<?x?xf32>, tensor<?x?xf32>) outs(%acc0, %acc0 : tensor<f32>, tensor<f32>) {
  ^bb0(%x: f32, %y: f32, %n: f32, %d: f32):
    %diff = arith.subf %x, %y : f32
    %dd = arith.mulf %diff, %diff : f32
    %yy = arith.mulf %y, %y : f32
    %n2 = arith.addf %n, %dd : f32
    %d2 = arith.addf %d, %yy : f32
    linalg.yield %n2, %d2 : f32, f32
  } -> (tensor<f32>, tensor<f32>)
  %r = linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>, affine_map<() -> ()>], iterator_types = []}
      ins(%num, %den : tensor<f32>, tensor<f32>) outs(%e0 : tensor<f32>) {
  ^bb0(%n: f32, %d: f32, %o: f32):
    %q = arith.divf %n, %d : f32
    %s = math.sqrt %q : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}

func.func @main() -> (tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<3xi64>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %mone = arith.constant -1.0 : f32
  %gmag = arith.constant 1.0e-4 : f32
  %mgmag = arith.constant -1.0e-4 : f32
  %s1 = arith.constant 1 : i32
  %s2 = arith.constant 2 : i32
  %s3 = arith.constant 3 : i32

  // Forward: X (64x256, non-negative activations) and W (128x256, as the
  // first 128 rows of a 64x256 draw twice).
  %x = func.call @random(%s1, %zero, %one) : (i32, f32, f32) -> tensor<64x256xf32>
  %wa = func.call @random(%s2, %mone, %one) : (i32, f32, f32) -> tensor<64x256xf32>
  %wb = func.call @random(%s3, %mone, %one) : (i32, f32, f32) -> tensor<64x256xf32>
  %w = tensor.concat dim(0) %wa, %wb : (tensor<64x256xf32>, tensor<64x256xf32>) -> tensor<128x256xf32>

  %sx = fp4.compute_scale %x rule(amax) {format = #fp4.format<uint4>} : tensor<64x256xf32>
  %sw = fp4.compute_scale %w rule(sawb) {format = #fp4.format<int4>} : tensor<128x256xf32>
  %xq = fp4.quantize %x, %sx : tensor<64x256xf32> -> !fp4.qtensor<64x256x#fp4.format<uint4>>
  %wq = fp4.quantize %w, %sw : tensor<128x256xf32> -> !fp4.qtensor<128x256x#fp4.format<int4>>
  %y4 = fp4.lowp_matmul %xq, %wq {transpose_b} : !fp4.qtensor<64x256x#fp4.format<uint4>>, !fp4.qtensor<128x256x#fp4.format<int4>> -> tensor<64x128xf32>

  %ey = tensor.empty() : tensor<64x128xf32>
  %fy = linalg.fill ins(%zero : f32) outs(%ey : tensor<64x128xf32>) -> tensor<64x128xf32>
  %y32 = linalg.generic {indexing_maps = [#mk, #nk, #ij], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<64x256xf32>, tensor<128x256xf32>) outs(%fy : tensor<64x128xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<64x128xf32>

  // Backward: a small output gradient dY (64x128), GradScale'd (not yet
  // initialized: the first step takes its scale from its own maximum), then
  // quantized twice to radix-4 FP4.
  %g0 = func.call @random(%s1, %mgmag, %gmag) : (i32, f32, f32) -> tensor<64x256xf32>
  %dy = tensor.extract_slice %g0[0, 0] [64, 128] [1, 1] : tensor<64x256xf32> to tensor<64x128xf32>
  %dys, %applied, %next = fp4.gradscale %dy, %zero {format = #fp4.format<radix4, even>} : tensor<64x128xf32>
  %dyq_even, %cnt:3 = fp4.quantize %dys, %one : tensor<64x128xf32> -> !fp4.qtensor<64x128x#fp4.format<radix4, even>>, i64, i64, i64
  %dyq_odd = fp4.quantize %dys, %one : tensor<64x128xf32> -> !fp4.qtensor<64x128x#fp4.format<radix4, odd>>
  // dX = dY W (64x256), even phase; dW = dY^T X (128x256), odd phase.
  %dx4 = fp4.lowp_matmul %dyq_even, %wq : !fp4.qtensor<64x128x#fp4.format<radix4, even>>, !fp4.qtensor<128x256x#fp4.format<int4>> -> tensor<64x256xf32>
  %dw4 = fp4.lowp_matmul %dyq_odd, %xq {transpose_a} : !fp4.qtensor<64x128x#fp4.format<radix4, odd>>, !fp4.qtensor<64x256x#fp4.format<uint4>> -> tensor<128x256xf32>

  %edx = tensor.empty() : tensor<64x256xf32>
  %fdx = linalg.fill ins(%zero : f32) outs(%edx : tensor<64x256xf32>) -> tensor<64x256xf32>
  %dx32 = linalg.generic {indexing_maps = [#mk, #kn, #ij], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%dys, %w : tensor<64x128xf32>, tensor<128x256xf32>) outs(%fdx : tensor<64x256xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<64x256xf32>
  %edw = tensor.empty() : tensor<128x256xf32>
  %fdw = linalg.fill ins(%zero : f32) outs(%edw : tensor<128x256xf32>) -> tensor<128x256xf32>
  %dw32 = linalg.generic {indexing_maps = [#km, #kn, #ij], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%dys, %x : tensor<64x128xf32>, tensor<64x256xf32>) outs(%fdw : tensor<128x256xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<128x256xf32>

  %y4d = tensor.cast %y4 : tensor<64x128xf32> to tensor<?x?xf32>
  %y32d = tensor.cast %y32 : tensor<64x128xf32> to tensor<?x?xf32>
  %dx4d = tensor.cast %dx4 : tensor<64x256xf32> to tensor<?x?xf32>
  %dx32d = tensor.cast %dx32 : tensor<64x256xf32> to tensor<?x?xf32>
  %dw4d = tensor.cast %dw4 : tensor<128x256xf32> to tensor<?x?xf32>
  %dw32d = tensor.cast %dw32 : tensor<128x256xf32> to tensor<?x?xf32>
  %ey4 = func.call @relerr(%y4d, %y32d) : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<f32>
  %edx4 = func.call @relerr(%dx4d, %dx32d) : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<f32>
  %edw4 = func.call @relerr(%dw4d, %dw32d) : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<f32>
  %swt = tensor.from_elements %sw : tensor<f32>
  %nextt = tensor.from_elements %next : tensor<f32>
  %counters = tensor.from_elements %cnt#0, %cnt#1, %cnt#2 : tensor<3xi64>
  return %ey4, %edx4, %edw4, %swt, %nextt, %counters : tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<3xi64>
}
