// A small CNN @forward (docs/ir-contract.md): convolution, bias, ReLU, a
// fully connected layer and a second one, in f32.
#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
#cb = affine_map<(n, c, h, w) -> (c)>
#id2 = affine_map<(i, j) -> (i, j)>
func.func @forward(%x: tensor<4x1x8x8xf32> {fp4.onnx_name = "x", fp4.role = "input"},
                   %w: tensor<8x1x3x3xf32> {fp4.onnx_name = "conv.weight", fp4.role = "param"},
                   %b: tensor<8xf32> {fp4.onnx_name = "conv.bias", fp4.role = "param"},
                   %fc1: tensor<288x32xf32> {fp4.onnx_name = "fc1.weight", fp4.role = "param"},
                   %fc2: tensor<32x10xf32> {fp4.onnx_name = "fc2.weight", fp4.role = "param"})
    -> (tensor<4x10xf32> {fp4.onnx_name = "logits"}) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8x6x6xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8x6x6xf32>) -> tensor<4x8x6x6xf32>
  %c = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<4x1x8x8xf32>, tensor<8x1x3x3xf32>) outs(%f : tensor<4x8x6x6xf32>) -> tensor<4x8x6x6xf32>
  %y = linalg.generic {indexing_maps = [#id4, #cb, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %b : tensor<4x8x6x6xf32>, tensor<8xf32>) outs(%e : tensor<4x8x6x6xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x8x6x6xf32>
  %flat = tensor.collapse_shape %y [[0], [1, 2, 3]] : tensor<4x8x6x6xf32> into tensor<4x288xf32>
  %e1 = tensor.empty() : tensor<4x32xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4x32xf32>) -> tensor<4x32xf32>
  %h = linalg.matmul ins(%flat, %fc1 : tensor<4x288xf32>, tensor<288x32xf32>) outs(%f1 : tensor<4x32xf32>) -> tensor<4x32xf32>
  %hr = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%h : tensor<4x32xf32>) outs(%e1 : tensor<4x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x32xf32>
  %e2 = tensor.empty() : tensor<4x10xf32>
  %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x10xf32>) -> tensor<4x10xf32>
  %z = linalg.matmul ins(%hr, %fc2 : tensor<4x32xf32>, tensor<32x10xf32>) outs(%f2 : tensor<4x10xf32>) -> tensor<4x10xf32>
  return %z : tensor<4x10xf32>
}
