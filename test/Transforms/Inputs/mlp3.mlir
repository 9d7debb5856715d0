// A three-layer MLP @forward (docs/ir-contract.md) with ReLU activations:
// under ibm-fp4 the middle layer is quantized (its input is non-negative,
// so the activation is uint4 with a PACT clip); the first and the last
// layer stay in f32.
#id2 = affine_map<(i, j) -> (i, j)>
#bias = affine_map<(i, j) -> (j)>
func.func @forward(%x: tensor<8x12xf32> {fp4.onnx_name = "x", fp4.role = "input"},
                   %w1: tensor<12x16xf32> {fp4.onnx_name = "fc1.weight", fp4.role = "param"},
                   %w2: tensor<16x16xf32> {fp4.onnx_name = "fc2.weight", fp4.role = "param"},
                   %b2: tensor<16xf32> {fp4.onnx_name = "fc2.bias", fp4.role = "param"},
                   %w3: tensor<16x4xf32> {fp4.onnx_name = "fc3.weight", fp4.role = "param"})
    -> (tensor<8x4xf32> {fp4.onnx_name = "logits"}) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x16xf32>) -> tensor<8x16xf32>
  %m1 = linalg.matmul ins(%x, %w1 : tensor<8x12xf32>, tensor<12x16xf32>) outs(%f : tensor<8x16xf32>) -> tensor<8x16xf32>
  %h1 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%m1 : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<8x16xf32>
  %m2 = linalg.matmul ins(%h1, %w2 : tensor<8x16xf32>, tensor<16x16xf32>) outs(%f : tensor<8x16xf32>) -> tensor<8x16xf32>
  %h2 = linalg.generic {indexing_maps = [#id2, #bias, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%m2, %b2 : tensor<8x16xf32>, tensor<16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<8x16xf32>
  %e3 = tensor.empty() : tensor<8x4xf32>
  %f3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<8x4xf32>) -> tensor<8x4xf32>
  %z = linalg.matmul ins(%h2, %w3 : tensor<8x16xf32>, tensor<16x4xf32>) outs(%f3 : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %z : tensor<8x4xf32>
}
