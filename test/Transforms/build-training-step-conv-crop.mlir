// RUN: fp4-opt %s --fp4-build-training-step | FileCheck %s
// RUN: fp4-opt %s --fp4-build-training-step --fp4-apply-recipe=recipe=ibm-fp4 | FileCheck %s --check-prefix=RECIPE

// The input gradient of a padded convolution computes only the interior the
// pad's VJP keeps: dX (2x3x6x6) from dY padded by 1 (not 2) with no
// extract_slice of a 8x8 result. Stride 2: the stride-dilated dY (3x3 ->
// 5x5) is padded to 8x8 (not 10x10) for the 6x6 interior.

func.func @forward(%x: tensor<2x1x6x6xf32> {fp4.onnx_name = "x", fp4.role = "input"},
                   %w1: tensor<3x1x3x3xf32> {fp4.onnx_name = "w1", fp4.role = "param"},
                   %w2: tensor<4x3x3x3xf32> {fp4.onnx_name = "w2", fp4.role = "param"},
                   %w3: tensor<5x4x3x3xf32> {fp4.onnx_name = "w3", fp4.role = "param"},
                   %w4: tensor<45x10xf32> {fp4.onnx_name = "w4", fp4.role = "param"})
    -> tensor<2x10xf32> {
  %zero = arith.constant 0.0 : f32
  %px = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<2x1x6x6xf32> to tensor<2x1x8x8xf32>
  %e1 = tensor.empty() : tensor<2x3x6x6xf32>
  %i1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<2x3x6x6xf32>) -> tensor<2x3x6x6xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%px, %w1 : tensor<2x1x8x8xf32>, tensor<3x1x3x3xf32>) outs(%i1 : tensor<2x3x6x6xf32>) -> tensor<2x3x6x6xf32>
  %r1e = tensor.empty() : tensor<2x3x6x6xf32>
  %r1 = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c1 : tensor<2x3x6x6xf32>) outs(%r1e : tensor<2x3x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<2x3x6x6xf32>
  %p1 = tensor.pad %r1 low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<2x3x6x6xf32> to tensor<2x3x8x8xf32>
  %e2 = tensor.empty() : tensor<2x4x6x6xf32>
  %i2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x4x6x6xf32>) -> tensor<2x4x6x6xf32>
  %c2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p1, %w2 : tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>) outs(%i2 : tensor<2x4x6x6xf32>) -> tensor<2x4x6x6xf32>
  %r2e = tensor.empty() : tensor<2x4x6x6xf32>
  %r2 = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c2 : tensor<2x4x6x6xf32>) outs(%r2e : tensor<2x4x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<2x4x6x6xf32>
  %p2 = tensor.pad %r2 low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<2x4x6x6xf32> to tensor<2x4x8x8xf32>
  %e3 = tensor.empty() : tensor<2x5x3x3xf32>
  %i3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x5x3x3xf32>) -> tensor<2x5x3x3xf32>
  %c3 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%p2, %w3 : tensor<2x4x8x8xf32>, tensor<5x4x3x3xf32>) outs(%i3 : tensor<2x5x3x3xf32>) -> tensor<2x5x3x3xf32>
  %flat = tensor.collapse_shape %c3 [[0], [1, 2, 3]] : tensor<2x5x3x3xf32> into tensor<2x45xf32>
  %e4 = tensor.empty() : tensor<2x10xf32>
  %i4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<2x10xf32>) -> tensor<2x10xf32>
  %y = linalg.matmul ins(%flat, %w4 : tensor<2x45xf32>, tensor<45x10xf32>) outs(%i4 : tensor<2x10xf32>) -> tensor<2x10xf32>
  return %y : tensor<2x10xf32>
}

// CHECK-LABEL: func.func @train_step(
// Stride 2: dY 3x3 dilated to 5x5, padded by 1 low and 2 high (was 2 and 3).
// CHECK: tensor.insert_slice {{.*}} [1, 1, 2, 2] : tensor<2x5x3x3xf32> into tensor<2x5x5x5xf32>
// CHECK: tensor.pad {{.*}} low[0, 0, 1, 1] high[0, 0, 2, 2]
// CHECK: } : tensor<2x5x5x5xf32> to tensor<2x5x8x8xf32>
// CHECK: linalg.conv_2d_nchw_fchw {{.*}}fp4.gemm_role = "grad_lhs"{{.*}} ins({{.*}} : tensor<2x5x8x8xf32>, tensor<4x5x3x3xf32>) outs({{.*}} : tensor<2x4x6x6xf32>)
// Stride 1: padded by 1, not 2.
// CHECK: tensor.pad {{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: } : tensor<2x4x6x6xf32> to tensor<2x4x8x8xf32>
// CHECK: linalg.conv_2d_nchw_fchw {{.*}}fp4.gemm_role = "grad_lhs"{{.*}} ins({{.*}} : tensor<2x4x8x8xf32>, tensor<3x4x3x3xf32>) outs({{.*}} : tensor<2x3x6x6xf32>)
// The first convolution's input is not active: no input gradient.
// CHECK-NOT: fp4.gemm_role = "grad_lhs"
// CHECK-LABEL: func.func @grad_step(
// CHECK-NOT: tensor.extract_slice
// CHECK-LABEL: func.func @eval_step(

// ibm-fp4: PACT clips and quantizes the activation itself (6x6, not its
// padded 8x8 form); the forward convolution and the weight gradient read
// the padding rebuilt on its decoded units, and the mask, already of the
// input gradient's shape, gates it uncropped.
// RECIPE-LABEL: func.func @train_step(
// RECIPE: %[[CLIP:.*]]:2 = linalg.generic {{.*}} ins(%{{.*}} : tensor<2x4x6x6xf32>)
// RECIPE: fp4.quantize %[[CLIP]]#0, %{{.*}} : tensor<2x4x6x6xf32> -> !fp4.qtensor<2x4x6x6x#fp4.format<uint4>>
// RECIPE: %[[XU:.*]] = fp4.dequantize %{{.*}} : !fp4.qtensor<2x4x6x6x#fp4.format<uint4>> -> tensor<2x4x6x6xf32>
// RECIPE: %[[XP:.*]] = tensor.pad %[[XU]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// RECIPE: linalg.conv_2d_nchw_fchw {{.*}}fp4.lowp{{.*}} ins(%[[XP]], %{{.*}} : tensor<2x4x8x8xf32>, tensor<5x4x3x3xf32>)
// RECIPE: %[[XUB:.*]] = fp4.dequantize %{{.*}} {fp4.backward_decode} : !fp4.qtensor<2x4x6x6x#fp4.format<uint4>> -> tensor<2x4x6x6xf32>
// RECIPE: %[[XPB:.*]] = tensor.pad %[[XUB]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// RECIPE: linalg.generic {{.*}} ins(%[[XPB]], %{{.*}} : tensor<2x4x8x8xf32>, tensor<2x5x3x3xf32>)
// The activation-gradient GEMM quantizes dY itself (3x3, not the 8x8 padded,
// stride-dilated form) and rebuilds the zero-stuffing and padding on the
// decoded units.
// RECIPE: fp4.quantize %{{.*}}, %{{.*}} : tensor<2x5x3x3xf32> -> !fp4.qtensor<2x5x3x3x#fp4.format<radix4, even>>, i64, i64, i64
// Both backward decodes (the flipped filter's, then dY's) are tagged so that
// the lowering keeps them apart from the forward's decodes.
// RECIPE: fp4.dequantize %{{.*}} {fp4.backward_decode} : !fp4.qtensor<5x4x3x3x#fp4.format<int4>>
// RECIPE: %[[UNITS:.*]] = fp4.dequantize %{{.*}} {fp4.backward_decode} : !fp4.qtensor<2x5x3x3x#fp4.format<radix4, even>>
// RECIPE: %[[STUFFED:.*]] = tensor.insert_slice %[[UNITS]] into %{{.*}}[0, 0, 0, 0] [2, 5, 3, 3] [1, 1, 2, 2] : tensor<2x5x3x3xf32> into tensor<2x5x5x5xf32>
// RECIPE: %[[PADDED:.*]] = tensor.pad %[[STUFFED]] low[0, 0, 1, 1] high[0, 0, 2, 2]
// RECIPE: linalg.conv_2d_nchw_fchw {{.*}}fp4.lowp{{.*}} ins(%[[PADDED]], %{{.*}} : tensor<2x5x8x8xf32>, tensor<4x5x3x3xf32>)
// RECIPE-NOT: tensor.extract_slice %[[CLIP]]#1
// RECIPE: linalg.generic {{.*}} ins(%[[DX:.*]], %[[CLIP]]#1 : tensor<2x4x6x6xf32>, tensor<2x4x6x6xi8>)
// RECIPE: linalg.generic {{.*}}"reduction", "reduction", "reduction", "reduction"]} ins(%[[DX]], %[[CLIP]]#1 : tensor<2x4x6x6xf32>, tensor<2x4x6x6xi8>) outs(%{{.*}} : tensor<f32>)
