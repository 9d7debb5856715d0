// A three-layer MLP on 16 Fashion-MNIST-shaped images (fp4-train tests):
// flatten, 784-32 ReLU, 32-32 ReLU, 32-10. With the ibm-fp4 recipe its middle
// layer is quantized (the first and last stay f32), so the step functions
// carry every kind of recipe state.
#id2 = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (j)>
func.func @forward(%x: tensor<16x1x28x28xf32> {fp4.onnx_name = "input", fp4.role = "input"},
                   %w1: tensor<784x32xf32> {fp4.onnx_name = "fc1.weight", fp4.role = "param"},
                   %b1: tensor<32xf32> {fp4.onnx_name = "fc1.bias", fp4.role = "param"},
                   %w2: tensor<32x32xf32> {fp4.onnx_name = "fc2.weight", fp4.role = "param"},
                   %b2: tensor<32xf32> {fp4.onnx_name = "fc2.bias", fp4.role = "param"},
                   %w3: tensor<32x10xf32> {fp4.onnx_name = "fc3.weight", fp4.role = "param"},
                   %b3: tensor<10xf32> {fp4.onnx_name = "fc3.bias", fp4.role = "param"})
    -> (tensor<16x10xf32> {fp4.onnx_name = "logits"}) {
  %zero = arith.constant 0.0 : f32
  %flat = tensor.collapse_shape %x [[0], [1, 2, 3]] : tensor<16x1x28x28xf32> into tensor<16x784xf32>
  %e32 = tensor.empty() : tensor<16x32xf32>
  %f32 = linalg.fill ins(%zero : f32) outs(%e32 : tensor<16x32xf32>) -> tensor<16x32xf32>
  %m1 = linalg.matmul ins(%flat, %w1 : tensor<16x784xf32>, tensor<784x32xf32>) outs(%f32 : tensor<16x32xf32>) -> tensor<16x32xf32>
  %h1 = linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%m1, %b1 : tensor<16x32xf32>, tensor<32xf32>) outs(%e32 : tensor<16x32xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<16x32xf32>
  %m2 = linalg.matmul ins(%h1, %w2 : tensor<16x32xf32>, tensor<32x32xf32>) outs(%f32 : tensor<16x32xf32>) -> tensor<16x32xf32>
  %h2 = linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%m2, %b2 : tensor<16x32xf32>, tensor<32xf32>) outs(%e32 : tensor<16x32xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<16x32xf32>
  %e10 = tensor.empty() : tensor<16x10xf32>
  %f10 = linalg.fill ins(%zero : f32) outs(%e10 : tensor<16x10xf32>) -> tensor<16x10xf32>
  %m3 = linalg.matmul ins(%h2, %w3 : tensor<16x32xf32>, tensor<32x10xf32>) outs(%f10 : tensor<16x10xf32>) -> tensor<16x10xf32>
  %y = linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%m3, %b3 : tensor<16x10xf32>, tensor<10xf32>) outs(%e10 : tensor<16x10xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<16x10xf32>
  return %y : tensor<16x10xf32>
}
