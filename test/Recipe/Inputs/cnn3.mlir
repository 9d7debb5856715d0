// A small CNN @forward: conv1 (first layer, f32) -> ReLU -> conv2 (4-bit
// under ibm-fp4: uint4 PACT activations on the zero-padded ReLU output, int4
// SAWB weights) -> ReLU -> 2x2 max pool -> flatten -> fc (last layer, f32).
#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @forward(%x: tensor<4x1x8x8xf32> {fp4.onnx_name = "x", fp4.role = "input"},
                   %w1: tensor<4x1x3x3xf32> {fp4.onnx_name = "conv1.weight", fp4.role = "param"},
                   %w2: tensor<6x4x3x3xf32> {fp4.onnx_name = "conv2.weight", fp4.role = "param"},
                   %fc: tensor<96x3xf32> {fp4.onnx_name = "fc.weight", fp4.role = "param"})
    -> (tensor<4x3xf32> {fp4.onnx_name = "logits"}) {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %xp = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<4x1x8x8xf32> to tensor<4x1x10x10xf32>
  %e1 = tensor.empty() : tensor<4x4x8x8xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4x4x8x8xf32>) -> tensor<4x4x8x8xf32>
  %c1 = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%xp, %w1 : tensor<4x1x10x10xf32>, tensor<4x1x3x3xf32>) outs(%f1 : tensor<4x4x8x8xf32>) -> tensor<4x4x8x8xf32>
  %h1 = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c1 : tensor<4x4x8x8xf32>) outs(%e1 : tensor<4x4x8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x4x8x8xf32>
  %h1p = tensor.pad %h1 low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<4x4x8x8xf32> to tensor<4x4x10x10xf32>
  %e2 = tensor.empty() : tensor<4x6x8x8xf32>
  %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x6x8x8xf32>) -> tensor<4x6x8x8xf32>
  %c2 = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%h1p, %w2 : tensor<4x4x10x10xf32>, tensor<6x4x3x3xf32>) outs(%f2 : tensor<4x6x8x8xf32>) -> tensor<4x6x8x8xf32>
  %h2 = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c2 : tensor<4x6x8x8xf32>) outs(%e2 : tensor<4x6x8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x6x8x8xf32>
  %win = tensor.empty() : tensor<2x2xf32>
  %ep = tensor.empty() : tensor<4x6x4x4xf32>
  %fp = linalg.fill ins(%ninf : f32) outs(%ep : tensor<4x6x4x4xf32>) -> tensor<4x6x4x4xf32>
  %mp = linalg.pooling_nchw_max {strides = dense<2> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%h2, %win : tensor<4x6x8x8xf32>, tensor<2x2xf32>) outs(%fp : tensor<4x6x4x4xf32>) -> tensor<4x6x4x4xf32>
  %flat = tensor.collapse_shape %mp [[0], [1, 2, 3]] : tensor<4x6x4x4xf32> into tensor<4x96xf32>
  %e3 = tensor.empty() : tensor<4x3xf32>
  %f3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<4x3xf32>) -> tensor<4x3xf32>
  %z = linalg.matmul ins(%flat, %fc : tensor<4x96xf32>, tensor<96x3xf32>) outs(%f3 : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %z : tensor<4x3xf32>
}
