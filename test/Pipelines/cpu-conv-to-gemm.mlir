// RUN: fp4-opt %s --split-input-file --fp4-cpu-conv-to-gemm=threads=2 --canonicalize --cse | FileCheck %s
// RUN: fp4-opt %s --split-input-file --fp4-cpu-conv-to-gemm=threads=1 | FileCheck %s --check-prefix=SEQ

// Forward convolution (stride 2, dilation 1 x 2): per image, the input
// windows (strided slices) are copied into col[c*kh*kw, oh*ow] and the
// convolution is W[f, c*kh*kw] x col: a linalg.matmul on the image's output.
// One image per thread (scf.forall) when there are at least as many images
// as threads. 16 x 16 output pixels: wide enough for one image per GEMM.

// CHECK-LABEL: func.func @conv(
// CHECK:         scf.forall (%[[N:.*]]) in (4) shared_outs(%[[OUT:.*]] = %arg2)
// CHECK:           %[[ACC:.*]] = tensor.extract_slice %[[OUT]][%[[N]], 0, 0, 0] [1, 8, 16, 16] [1, 1, 1, 1]
// CHECK:           %[[IMG:.*]] = tensor.extract_slice %arg0[%[[N]], 0, 0, 0] [1, 3, 34, 35] [1, 1, 1, 1]
// CHECK:           %[[IMG3:.*]] = tensor.collapse_shape %[[IMG]] {{\[}}[0, 1], [2], [3]]
// CHECK:           %[[COL:.*]] = scf.for %[[Q:.*]] = %c0 to %c27 step %c1
// CHECK:             %[[WIN:.*]] = tensor.extract_slice %[[IMG3]][{{.*}}] [1, 16, 16] [1, 2, 2]
// CHECK:             linalg.copy ins(%[[WIN]] : tensor<1x16x16xf32>)
// CHECK:           %[[COL2:.*]] = tensor.collapse_shape %[[COL]] {{\[}}[0], [1, 2, 3]] : tensor<27x1x16x16xf32> into tensor<27x256xf32>
// CHECK:           %[[W2:.*]] = tensor.collapse_shape %arg1 {{\[}}[0], [1, 2, 3]] : tensor<8x3x3x3xf32> into tensor<8x27xf32>
// CHECK:           %[[C2:.*]] = tensor.collapse_shape %[[ACC]] {{\[}}[0, 1], [2, 3]] : tensor<1x8x16x16xf32> into tensor<8x256xf32>
// CHECK:           linalg.matmul ins(%[[W2]], %[[COL2]] : tensor<8x27xf32>, tensor<27x256xf32>) outs(%[[C2]] : tensor<8x256xf32>)
// CHECK:           tensor.parallel_insert_slice
// CHECK-NOT:     linalg.conv_2d_nchw_fchw
// SEQ-LABEL: func.func @conv(
// SEQ-NOT:     scf.forall
// SEQ:         scf.for
func.func @conv(%x: tensor<4x3x34x35xf32>, %w: tensor<8x3x3x3xf32>, %o: tensor<4x8x16x16xf32>) -> tensor<4x8x16x16xf32> {
  %r = linalg.conv_2d_nchw_fchw {strides = dense<2> : tensor<2xi64>, dilations = dense<[1, 2]> : tensor<2xi64>}
      ins(%x, %w : tensor<4x3x34x35xf32>, tensor<8x3x3x3xf32>) outs(%o : tensor<4x8x16x16xf32>) -> tensor<4x8x16x16xf32>
  return %r : tensor<4x8x16x16xf32>
}

// -----

// Images with few output pixels (7 x 7): one GEMM per chunk of 8 images
// (8 x 49 = 392 columns, not 49), the chunk's accumulator transposed to
// [f, image, pixel] and back (copies: each sum runs over q in the same
// order). 16 images: two chunks, one per thread.

// CHECK-LABEL: func.func @conv_small_images(
// CHECK:         scf.forall (%[[N:.*]]) in (2) shared_outs(%[[OUT:.*]] = %arg2)
// CHECK:           %[[ACC:.*]] = tensor.extract_slice %[[OUT]][%{{.*}}, 0, 0, 0] [8, 6, 7, 7] [1, 1, 1, 1]
// CHECK:           %[[COL:.*]] = scf.for %{{.*}} = %c0 to %c8 step %c1
// CHECK:             scf.for %{{.*}} = %c0 to %c36 step %c1
// CHECK:           %[[COL2:.*]] = tensor.collapse_shape %[[COL]] {{\[}}[0], [1, 2, 3]] : tensor<36x8x7x7xf32> into tensor<36x392xf32>
// CHECK:           %[[ACC3:.*]] = tensor.collapse_shape %[[ACC]] {{\[}}[0], [1], [2, 3]] : tensor<8x6x7x7xf32> into tensor<8x6x49xf32>
// CHECK:           %[[T:.*]] = linalg.transpose ins(%[[ACC3]] : tensor<8x6x49xf32>) outs(%{{.*}} : tensor<6x8x49xf32>) permutation = [1, 0, 2]
// CHECK:           %[[C2:.*]] = tensor.collapse_shape %[[T]] {{\[}}[0], [1, 2]] : tensor<6x8x49xf32> into tensor<6x392xf32>
// CHECK:           %[[R:.*]] = linalg.matmul ins(%{{.*}}, %[[COL2]] : tensor<6x36xf32>, tensor<36x392xf32>) outs(%[[C2]] : tensor<6x392xf32>)
// CHECK:           %[[R3:.*]] = tensor.expand_shape %[[R]]
// CHECK:           linalg.transpose ins(%[[R3]] : tensor<6x8x49xf32>) outs(%{{.*}} : tensor<8x6x49xf32>) permutation = [1, 0, 2]
// CHECK:           tensor.parallel_insert_slice
func.func @conv_small_images(%x: tensor<16x4x9x9xf32>, %w: tensor<6x4x3x3xf32>, %o: tensor<16x6x7x7xf32>) -> tensor<16x6x7x7xf32> {
  %r = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<16x4x9x9xf32>, tensor<6x4x3x3xf32>) outs(%o : tensor<16x6x7x7xf32>) -> tensor<16x6x7x7xf32>
  return %r : tensor<16x6x7x7xf32>
}

// -----

// Fewer images than threads: a sequential loop (the GEMMs then get the
// threads).

// CHECK-LABEL: func.func @conv_one_image(
// CHECK-NOT:     scf.forall
// CHECK:         scf.for
// CHECK:           linalg.matmul
func.func @conv_one_image(%x: tensor<1x4x6x6xf32>, %w: tensor<5x4x3x3xf32>, %o: tensor<1x5x4x4xf32>) -> tensor<1x5x4x4xf32> {
  %r = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<5x4x3x3xf32>) outs(%o : tensor<1x5x4x4xf32>) -> tensor<1x5x4x4xf32>
  return %r : tensor<1x5x4x4xf32>
}

// -----

// Grouped convolution: per image, a loop over the groups.

// CHECK-LABEL: func.func @grouped(
// CHECK:         scf.forall (%[[N:.*]]) in (2)
// CHECK:           scf.for %[[G:.*]] = %c0 to %c3 step %c1
// CHECK:             tensor.extract_slice %arg0[%[[N]], %[[G]], 0, 0, 0] [1, 1, 2, 6, 6]
// CHECK:             tensor.extract_slice %arg1[%[[G]], 0, 0, 0, 0] [1, 4, 2, 3, 3]
// CHECK:             linalg.matmul ins({{.*}} : tensor<4x18xf32>, tensor<18x16xf32>)
func.func @grouped(%x: tensor<2x3x2x6x6xf32>, %w: tensor<3x4x2x3x3xf32>, %o: tensor<2x3x4x4x4xf32>) -> tensor<2x3x4x4x4xf32> {
  %r = linalg.conv_2d_ngchw_gfchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<2x3x2x6x6xf32>, tensor<3x4x2x3x3xf32>) outs(%o : tensor<2x3x4x4x4xf32>) -> tensor<2x3x4x4x4xf32>
  return %r : tensor<2x3x4x4x4xf32>
}

// -----

// The weight gradient of a convolution (lib/Autodiff's convFilterGrad):
// dW^T[q, f] += col[q, (n, p)] * dY^T[(n, p), f] over chunks of images (here
// both images in one chunk, n before p as in the original loops), then
// transposed back.

// CHECK-LABEL: func.func @filter_grad(
// CHECK:         %[[DY:.*]] = tensor.collapse_shape %arg1 {{\[}}[0], [1], [2, 3]] : tensor<2x8x4x4xf32> into tensor<2x8x16xf32>
// CHECK:         %[[DYT:.*]] = linalg.transpose ins(%[[DY]] : tensor<2x8x16xf32>) {{.*}} permutation = [0, 2, 1]
// CHECK:         %[[W2:.*]] = tensor.collapse_shape %arg2 {{\[}}[0], [1, 2, 3]] : tensor<8x3x3x3xf32> into tensor<8x27xf32>
// CHECK:         %[[WT:.*]] = linalg.transpose ins(%[[W2]] : tensor<8x27xf32>) {{.*}} permutation = [1, 0]
// CHECK:         %[[ROWS:.*]] = tensor.collapse_shape %[[DYT]] {{\[}}[0, 1], [2]] : tensor<2x16x8xf32> into tensor<32x8xf32>
// CHECK:         %[[COL:.*]] = scf.for %[[N:.*]] = %c0 to %c2 step %c1
// CHECK:           scf.for %{{.*}} = %c0 to %c27
// CHECK:             linalg.copy
// CHECK:         %[[COL2:.*]] = tensor.collapse_shape %[[COL]] {{\[}}[0], [1, 2, 3]] : tensor<27x2x4x4xf32> into tensor<27x32xf32>
// CHECK:         %[[G:.*]] = linalg.matmul ins(%[[COL2]], %[[ROWS]] : tensor<27x32xf32>, tensor<32x8xf32>) outs(%[[WT]] : tensor<27x8xf32>)
// CHECK:         linalg.transpose ins(%[[G]] : tensor<27x8xf32>) {{.*}} permutation = [1, 0]
// CHECK:         tensor.expand_shape {{.*}} into tensor<8x3x3x3xf32>
func.func @filter_grad(%x: tensor<2x3x6x6xf32>, %dy: tensor<2x8x4x4xf32>, %init: tensor<8x3x3x3xf32>) -> tensor<8x3x3x3xf32> {
  %r = linalg.generic {
      indexing_maps = [affine_map<(f, c, kh, kw, n, oh, ow) -> (n, c, oh + kh, ow + kw)>,
                       affine_map<(f, c, kh, kw, n, oh, ow) -> (n, f, oh, ow)>,
                       affine_map<(f, c, kh, kw, n, oh, ow) -> (f, c, kh, kw)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %dy : tensor<2x3x6x6xf32>, tensor<2x8x4x4xf32>) outs(%init : tensor<8x3x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3x3x3xf32>
  return %r : tensor<8x3x3x3xf32>
}

// -----

// Other contractions with shifted windows are left alone (here the output
// is indexed by a reduction-free generic that is no filter gradient).

// CHECK-LABEL: func.func @not_filter_grad(
// CHECK:         linalg.generic
// CHECK-NOT:     linalg.matmul
func.func @not_filter_grad(%x: tensor<2x3x6x6xf32>, %dy: tensor<2x8x4x4xf32>, %init: tensor<8x3x3x3xf32>) -> tensor<8x3x3x3xf32> {
  %r = linalg.generic {
      indexing_maps = [affine_map<(f, c, kh, kw, n, oh, ow) -> (n, c, oh + kh, ow + kw)>,
                       affine_map<(f, c, kh, kw, n, oh, ow) -> (n, f, oh, ow)>,
                       affine_map<(f, c, kh, kw, n, oh, ow) -> (f, c, kh, kw)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %dy : tensor<2x3x6x6xf32>, tensor<2x8x4x4xf32>) outs(%init : tensor<8x3x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.maximumf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3x3x3xf32>
  return %r : tensor<8x3x3x3xf32>
}

// -----

// A convolution whose output is a fill of +0 does not read it: the loop over
// images starts from an empty tensor and each image's GEMM accumulates into
// a fill of its own slice (which fp4-cpu-tile-and-vectorize turns into
// zero-initialized register tiles).

// CHECK-LABEL: func.func @zero_output(
// SEQ-LABEL: func.func @zero_output(
// SEQ:         %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// SEQ:         %[[F:.*]] = linalg.fill
// SEQ:         %[[E:.*]] = tensor.empty() : tensor<4x16x28x28xf32>
// SEQ:         scf.for {{.*}} iter_args(%{{.*}} = %[[E]])
// SEQ:           %[[ACC:.*]] = linalg.fill ins(%[[Z]] : f32) outs(%{{.*}} : tensor<16x784xf32>)
// SEQ:           linalg.matmul {{.*}} outs(%[[ACC]] : tensor<16x784xf32>)
func.func @zero_output(%x: tensor<4x8x30x30xf32>, %w: tensor<16x8x3x3xf32>) -> tensor<4x16x28x28xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16x28x28xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x16x28x28xf32>) -> tensor<4x16x28x28xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<4x8x30x30xf32>, tensor<16x8x3x3xf32>) outs(%f : tensor<4x16x28x28xf32>) -> tensor<4x16x28x28xf32>
  return %r : tensor<4x16x28x28xf32>
}
