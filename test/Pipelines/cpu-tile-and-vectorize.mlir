// RUN: fp4-opt %s --split-input-file --fp4-cpu-tile-and-vectorize=threads=1 --canonicalize --cse | FileCheck %s
// RUN: fp4-opt %s --split-input-file --fp4-cpu-tile-and-vectorize="threads=2 min-parallel-work=1" | FileCheck %s --check-prefix=PAR

// An 8 x 32 f32 register tile: 16 accumulators (8 rows x 2 lane groups of
// 16) carried through the k loop, one multiply and one add each (no FMA:
// the same roundings as the scalar loops), k in increasing order.

// CHECK-LABEL: func.func @matmul(
// CHECK-NOT:     linalg.matmul
// CHECK-COUNT-16: vector.transfer_read %arg2{{.*}} vector<16xf32>
// CHECK:         %[[ACC:.*]]:16 = scf.for %[[K:.*]] = %c0 to %c4 step %c1 iter_args(
// CHECK:           %[[B0:.*]] = vector.transfer_read %arg1[%[[K]], %c0]{{.*}} vector<16xf32>
// CHECK:           %[[B1:.*]] = vector.transfer_read %arg1[%[[K]], %c16]{{.*}} vector<16xf32>
// CHECK:           %[[A0:.*]] = vector.transfer_read %arg0[%c0, %[[K]]]{{.*}} vector<1xf32>
// CHECK:           %[[S:.*]] = vector.extract %[[A0]][0]
// CHECK:           %[[BC:.*]] = vector.broadcast %[[S]] : f32 to vector<16xf32>
// CHECK:           %[[P:.*]] = arith.mulf %[[BC]], %[[B0]] : vector<16xf32>
// CHECK:           arith.addf %{{.*}}, %[[P]] : vector<16xf32>
// CHECK-NOT:       vector.fma
// CHECK:           scf.yield
// CHECK-COUNT-16: vector.transfer_write %[[ACC]]#{{[0-9]+}}
// PAR-LABEL: func.func @matmul(
// PAR-NOT:     scf.forall
func.func @matmul(%a: tensor<8x4xf32>, %b: tensor<4x32xf32>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<8x4xf32>, tensor<4x32xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

// Threads: an scf.forall over blocks of rows (6 x 64 register tiles: rows
// 0..59 in two blocks of 30, then the remaining 4 rows); the reduction dim
// is never split across threads.

// PAR-LABEL: func.func @matmul_blocks(
// PAR:         scf.forall (%{{.*}}) = (0) to (60) step (30)
// PAR:           scf.for %{{.*}} = %c0 to %c48 step %c1 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-LABEL: func.func @matmul_blocks(
// CHECK-NOT:     scf.forall
func.func @matmul_blocks(%a: tensor<64x48xf32>, %b: tensor<48x64xf32>, %c: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<64x48xf32>, tensor<48x64xf32>) outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %r : tensor<64x64xf32>
}

// -----

// dC . B^T: B (stored n x k) is transposed once so that the lanes read
// contiguous rows.

// CHECK-LABEL: func.func @matmul_bt(
// CHECK:         %[[T:.*]] = scf.for
// CHECK:           vector.transfer_read %arg1{{.*}}permutation_map
// CHECK:         scf.for %[[K:.*]] = {{.*}} iter_args(
// CHECK:           vector.transfer_read %[[T]][%[[K]], %c0]{{.*}} vector<16xf32>
func.func @matmul_bt(%a: tensor<8x4xf32>, %b: tensor<32x4xf32>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : tensor<8x4xf32>, tensor<32x4xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

// 10 x 20: the op is split into full register tiles (8 x 16) and the
// remainders (2 rows, 4 lanes), each with static vector shapes.

// CHECK-LABEL: func.func @partial(
// CHECK:         scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:         scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>)
// CHECK:         scf.for {{.*}} -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
// CHECK:         scf.for {{.*}} -> (vector<4xf32>, vector<4xf32>)
func.func @partial(%a: tensor<10x4xf32>, %b: tensor<4x20xf32>, %c: tensor<10x20xf32>) -> tensor<10x20xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<10x4xf32>, tensor<4x20xf32>) outs(%c : tensor<10x20xf32>) -> tensor<10x20xf32>
  return %r : tensor<10x20xf32>
}

// -----

// Elementwise: the contiguous dims are merged (200 elements), vectors of
// 64 lanes plus a remainder of 8.

// CHECK-LABEL: func.func @add(
// CHECK:         scf.for {{.*}} step %c64
// CHECK:           arith.addf {{.*}} : vector<64xf32>
// CHECK:         arith.addf {{.*}} : vector<8xf32>
func.func @add(%a: tensor<4x50xf32>, %b: tensor<4x50xf32>) -> tensor<4x50xf32> {
  %e = tensor.empty() : tensor<4x50xf32>
  %r = linalg.add ins(%a, %b : tensor<4x50xf32>, tensor<4x50xf32>) outs(%e : tensor<4x50xf32>) -> tensor<4x50xf32>
  return %r : tensor<4x50xf32>
}

// -----

// A reduction over rows keeps its order: a loop over the rows, lanes over
// the columns.

// CHECK-LABEL: func.func @colsum(
// CHECK:         scf.for %[[I:.*]] = %c0 to %c32 step %c1
// CHECK:           %[[X:.*]] = vector.transfer_read %arg0[%[[I]], %c0]{{.*}} vector<16xf32>
// CHECK:           arith.addf %{{.*}}, %[[X]] : vector<16xf32>
func.func @colsum(%a: tensor<32x16xf32>, %init: tensor<16xf32>) -> tensor<16xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>], iterator_types = ["reduction", "parallel"]}
      ins(%a : tensor<32x16xf32>) outs(%init : tensor<16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %o, %x : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  return %r : tensor<16xf32>
}

// -----

// BatchNorm's per-channel sum over n, h, w of NCHW data: the channels are
// the lanes but h and w are contiguous. h and w are merged (63 elements),
// each image runs 16 x 16 tiles (16 channels x 16 contiguous elements)
// transposed in registers and added row by row into the accumulator, then
// the remaining 15 elements with one 16-lane read per element. Each lane
// keeps the scalar loops' order.

// CHECK-LABEL: func.func @channel_sum(
// CHECK:         scf.for %[[N:.*]] = %c0 to %c2 step %c1
// CHECK:           scf.for %[[HW:.*]] = %c0 to %c48 step %c16
// CHECK:             %[[X:.*]] = vector.transfer_read %{{.*}}[%[[N]], %c0, %[[HW]]]{{.*}} : tensor<2x16x63xf32>, vector<16x16xf32>
// CHECK:             %[[T:.*]] = vector.transpose %[[X]], [1, 0]
// CHECK:             %[[R0:.*]] = vector.extract %[[T]][0]
// CHECK:             %[[S0:.*]] = arith.addf %[[R0]], %{{.*}} : vector<16xf32>
// CHECK:             %[[R1:.*]] = vector.extract %[[T]][1]
// CHECK:             arith.addf %[[R1]], %[[S0]] : vector<16xf32>
// CHECK:           scf.for %{{.*}} = %c0 to %c15 step %c1
// CHECK:             vector.transfer_read {{.*}} vector<16xf32>
// CHECK-NOT:     vector.reduction
// CHECK-NOT:     vector.multi_reduction
// With two threads the 16 lanes are not split into two threads of 8 (the
// strided per-element reads this path avoids):
// PAR-LABEL: func.func @channel_sum(
// PAR-NOT:     scf.forall
// PAR:         vector.transfer_read {{.*}} vector<16x16xf32>
// PAR:         vector.transpose
func.func @channel_sum(%a: tensor<2x16x7x9xf32>, %init: tensor<16xf32>) -> tensor<16xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (c)>],
                       iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%a : tensor<2x16x7x9xf32>) outs(%init : tensor<16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %o, %x : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  return %r : tensor<16xf32>
}

// -----

// A fill that is the initial value of two loop-carried tensors (the
// per-image loops of fp4-cpu-conv-to-gemm) is given to each loop as its own
// fill: a shared one bufferizes to a zero buffer copied for every loop.
// (Checked without the CSE of the first RUN line, which merges them again;
// the CPU pipeline runs none between this pass and bufferization.)

// CHECK-LABEL: func.func @shared_fill(
// PAR-LABEL: func.func @shared_fill(
// PAR:         %[[E0:.*]] = tensor.empty() : tensor<64xf32>
// PAR:         %[[F0:.*]] = scf.forall {{.*}} shared_outs(%{{.*}} = %[[E0]])
// PAR:         %[[E1:.*]] = tensor.empty() : tensor<64xf32>
// PAR:         %[[F1:.*]] = scf.forall {{.*}} shared_outs(%{{.*}} = %[[E1]])
// PAR-DAG:     scf.for {{.*}} iter_args(%{{.*}} = %[[F0]])
// PAR-DAG:     scf.for {{.*}} iter_args(%{{.*}} = %[[F1]])
func.func @shared_fill(%a: tensor<64xf32>, %b: tensor<64xf32>) -> (tensor<64xf32>, tensor<64xf32>) {
  %z = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %e = tensor.empty() : tensor<64xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<64xf32>) -> tensor<64xf32>
  %r0 = scf.for %i = %c0 to %c4 step %c1 iter_args(%t = %f) -> (tensor<64xf32>) {
    %u = linalg.add ins(%t, %a : tensor<64xf32>, tensor<64xf32>) outs(%t : tensor<64xf32>) -> tensor<64xf32>
    scf.yield %u : tensor<64xf32>
  }
  %r1 = scf.for %i = %c0 to %c4 step %c1 iter_args(%t = %f) -> (tensor<64xf32>) {
    %u = linalg.add ins(%t, %b : tensor<64xf32>, tensor<64xf32>) outs(%t : tensor<64xf32>) -> tensor<64xf32>
    scf.yield %u : tensor<64xf32>
  }
  return %r0, %r1 : tensor<64xf32>, tensor<64xf32>
}

// -----

// Buffers of i1 hold a byte per element, vectors of i1 are packed bits:
// ops on i1 tensors are left to the scalar loops.

// CHECK-LABEL: func.func @i1(
// CHECK:         linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @i1(%a: tensor<4x50xi1>, %b: tensor<4x50xf32>) -> tensor<4x50xf32> {
  %e = tensor.empty() : tensor<4x50xf32>
  %z = arith.constant 0.0 : f32
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : tensor<4x50xi1>, tensor<4x50xf32>) outs(%e : tensor<4x50xf32>) {
  ^bb0(%m: i1, %x: f32, %o: f32):
    %s = arith.select %m, %x, %z : f32
    linalg.yield %s : f32
  } -> tensor<4x50xf32>
  return %r : tensor<4x50xf32>
}

// -----

// u8 x s8 quads (the integer GEMM of fp4-lowp-matmul-to-integer): one
// 32-bit word of lhs broadcast, 16 columns x 4 bytes of rhs (one contiguous
// 64-byte row of rhs with its last two dims merged), products summed by
// groups of 4 lanes (vpdpbusd after fp4-cpu-x86-vnni).

// CHECK-LABEL: func.func @dot_u8s8(
// CHECK:         %[[RHS:.*]] = tensor.collapse_shape %arg1 {{\[}}[0], [1, 2]] : tensor<16x32x4xi8> into tensor<16x128xi8>
// CHECK:         scf.for %[[Q:.*]] = %c0 to %c16 step %c1 iter_args(
// CHECK:           %[[BF:.*]] = vector.transfer_read %[[RHS]][%[[Q]], %c0]{{.*}} vector<64xi8>
// CHECK:           %[[A:.*]] = vector.transfer_read %arg0[%c0, %[[Q]], %c0]{{.*}} vector<4xi8>
// CHECK:           %[[W:.*]] = vector.bitcast %[[A]] : vector<4xi8> to vector<1xi32>
// CHECK:           %[[AB:.*]] = vector.bitcast %{{.*}} : vector<16xi32> to vector<64xi8>
// CHECK:           %[[AE:.*]] = arith.extui %[[AB]] : vector<64xi8> to vector<64xi32>
// CHECK:           %[[BE:.*]] = arith.extsi %[[BF]] : vector<64xi8> to vector<64xi32>
// CHECK:           %[[P:.*]] = arith.muli %[[AE]], %[[BE]] : vector<64xi32>
// CHECK:           vector.shuffle %[[P]], %[[P]] [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60]
func.func @dot_u8s8(%a: tensor<8x16x4xi8>, %b: tensor<16x32x4xi8>, %c: tensor<8x32xi32>) -> tensor<8x32xi32> {
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, q, t) -> (m, q, t)>, affine_map<(m, n, q, t) -> (q, n, t)>, affine_map<(m, n, q, t) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%a, %b : tensor<8x16x4xi8>, tensor<16x32x4xi8>) outs(%c : tensor<8x32xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  } -> tensor<8x32xi32>
  return %r : tensor<8x32xi32>
}

// -----

// tensor.pad: fills of the border only - the rows above and below (3 x 10
// per image), then the columns left and right of the interior (3 x 8 x 1) -
// and a vectorized copy into the interior (rows of 8 are widened to 8 x 8
// tiles). No fill of the whole tensor.

// CHECK-LABEL: func.func @pad(
// CHECK-NOT:     tensor.pad
// CHECK-NOT:     vector<64xf32>
// CHECK-COUNT-2: vector.transfer_write {{.*}} : vector<3x10xf32>, tensor<1x3x10xf32>
// CHECK-COUNT-2: vector.transfer_write {{.*}} : vector<3x8x1xf32>, tensor<1x3x8x1xf32>
// CHECK:         vector.transfer_read %arg0{{.*}} vector<8x8xf32>
func.func @pad(%a: tensor<2x3x8x8xf32>) -> tensor<2x3x10x10xf32> {
  %z = arith.constant 0.0 : f32
  %r = tensor.pad %a low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %z : f32
  } : tensor<2x3x8x8xf32> to tensor<2x3x10x10xf32>
  return %r : tensor<2x3x10x10xf32>
}

// -----

// A contraction whose accumulator is a fill of +0 used by nothing else: the
// register tiles start from zero vectors without reading it in the first
// block of k (k = 512, blocks of 256), read what it wrote in the next, and
// the fill goes.

// CHECK-LABEL: func.func @zero_acc(
// CHECK-NOT:     linalg.fill
// CHECK-NOT:     linalg.matmul
// CHECK:         %[[Z:.*]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<8x32xf32>
// CHECK:         scf.for %[[K0:.*]] = %c0 to %c512 step %c256 iter_args(%[[ACC:.*]] = %[[E]])
// CHECK:           %[[FIRST:.*]] = arith.cmpi eq, %[[K0]], %c0 : index
// CHECK:           %[[INIT:.*]]:16 = scf.if %[[FIRST]]
// CHECK:             scf.yield %[[Z]], %[[Z]],
// CHECK:           } else {
// CHECK:             vector.transfer_read %[[ACC]][%c0, %c0]
// CHECK:           scf.for %{{.*}} = %c0 to %c256 step %c1 iter_args(%{{.*}} = %[[INIT]]#0, %{{.*}} = %[[INIT]]#1,
func.func @zero_acc(%a: tensor<8x512xf32>, %b: tensor<512x32xf32>) -> tensor<8x32xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %r = linalg.matmul ins(%a, %b : tensor<8x512xf32>, tensor<512x32xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

// -0.0 is not the +0 the tiles would start from: the fill stays and is read.

// CHECK-LABEL: func.func @negative_zero_acc(
// CHECK:         arith.constant dense<-0.000000e+00> : vector<64xf32>
// CHECK:         vector.transfer_read %{{.*}} : tensor<8x32xf32>, vector<16xf32>
func.func @negative_zero_acc(%a: tensor<8x4xf32>, %b: tensor<4x32xf32>) -> tensor<8x32xf32> {
  %z = arith.constant -0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %r = linalg.matmul ins(%a, %b : tensor<8x4xf32>, tensor<4x32xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

// An elementwise op accumulating into a fill (a gradient: zeros, then
// acc += contribution) reads the fill's constant instead of the tensor: no
// fill, and no load of the accumulator.

// CHECK-LABEL: func.func @fill_into_elementwise(
// CHECK-NOT:     linalg.fill
// CHECK:         %[[Z:.*]] = arith.constant dense<0.000000e+00> : vector<64xf32>
// CHECK:         scf.for
// CHECK:           %[[X:.*]] = vector.transfer_read %arg0
// CHECK-NOT:       vector.transfer_read
// CHECK:           arith.addf %[[X]], %[[Z]] : vector<64xf32>
#id1 = affine_map<(d0) -> (d0)>
func.func @fill_into_elementwise(%a: tensor<1024xf32>) -> tensor<1024xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1024xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1024xf32>) -> tensor<1024xf32>
  %r = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%a : tensor<1024xf32>) outs(%f : tensor<1024xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<1024xf32>
  return %r : tensor<1024xf32>
}

// -----

// A select between two tensors on a scalar i1 (the skipped update of a
// non-finite step) is vectorized: the condition is only broadcast. An i1
// tensor operand keeps the scalar loops (buffers of i1 hold bytes, vectors
// of i1 packed bits).

// CHECK-LABEL: func.func @scalar_condition(
// CHECK:         scf.for
// CHECK:           %[[C:.*]] = vector.broadcast %arg0 : i1 to vector<64xi1>
// CHECK:           arith.select %[[C]], %{{.*}}, %{{.*}} : vector<64xi1>, vector<64xf32>
// CHECK-LABEL: func.func @tensor_condition(
// CHECK:         linalg.generic
// CHECK-NOT:     vector<
#sc = affine_map<(d0) -> ()>
#sid = affine_map<(d0) -> (d0)>
func.func @scalar_condition(%c: i1, %a: tensor<1024xf32>, %b: tensor<1024xf32>) -> tensor<1024xf32> {
  %e = tensor.empty() : tensor<1024xf32>
  %r = linalg.generic {indexing_maps = [#sc, #sid, #sid, #sid], iterator_types = ["parallel"]}
      ins(%c, %a, %b : i1, tensor<1024xf32>, tensor<1024xf32>) outs(%e : tensor<1024xf32>) {
  ^bb0(%p: i1, %x: f32, %y: f32, %o: f32):
    %s = arith.select %p, %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<1024xf32>
  return %r : tensor<1024xf32>
}
func.func @tensor_condition(%c: tensor<1024xi1>, %a: tensor<1024xf32>, %b: tensor<1024xf32>) -> tensor<1024xf32> {
  %e = tensor.empty() : tensor<1024xf32>
  %r = linalg.generic {indexing_maps = [#sid, #sid, #sid, #sid], iterator_types = ["parallel"]}
      ins(%c, %a, %b : tensor<1024xi1>, tensor<1024xf32>, tensor<1024xf32>) outs(%e : tensor<1024xf32>) {
  ^bb0(%p: i1, %x: f32, %y: f32, %o: f32):
    %s = arith.select %p, %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<1024xf32>
  return %r : tensor<1024xf32>
}

// -----

// A window reduction (2x2 / 2 over NCHW) becomes vector code: a contiguous
// read per tap, every second lane shuffled out. With an i1 result it is
// left to the scalar loops.

// CHECK-LABEL: func.func @window_max(
// CHECK:         vector.transfer_read %arg0{{.*}} : tensor<1x2x4x8xf32>, vector<7xf32>
// CHECK:         vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, 6] : vector<7xf32>, vector<7xf32>
// CHECK:         arith.maximumf %{{.*}} : vector<4xf32>
// CHECK-LABEL: func.func @window_i1(
// CHECK:         linalg.generic
// CHECK-NOT:     vector.shuffle
#wx = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5)>
#ww = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
#wo = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
func.func @window_max(%x: tensor<1x2x4x8xf32>, %init: tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32> {
  %w = tensor.empty() : tensor<2x2xf32>
  %r = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x4x8xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32>
  return %r : tensor<1x2x2x4xf32>
}
func.func @window_i1(%x: tensor<1x2x4x8xf32>, %init: tensor<1x2x2x4xi1>) -> tensor<1x2x2x4xi1> {
  %w = tensor.empty() : tensor<2x2xf32>
  %r = linalg.generic {indexing_maps = [#wx, #ww, #wo], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x2x4x8xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2x2x4xi1>) {
  ^bb0(%a: f32, %b: f32, %o: i1):
    %z = arith.constant 0.0 : f32
    %p = arith.cmpf ogt, %a, %z : f32
    %q = arith.ori %o, %p : i1
    linalg.yield %q : i1
  } -> tensor<1x2x2x4xi1>
  return %r : tensor<1x2x2x4xi1>
}
