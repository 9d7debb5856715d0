// RUN: fp4-opt %s --fp4-build-training-step -o %t.mlir
// RUN: %python %S/Inputs/fdcheck.py %t.mlir --fp4-run fp4-run --work %t.d | FileCheck %s
// REQUIRES: numpy
// Gradients of an MLP (matmul, transpose, broadcast bias, tanh) equal
// central finite differences in f64.
// CHECK: 5 passed, 0 failed

#id2 = affine_map<(i, j) -> (i, j)>
#bias = affine_map<(i, j) -> (j)>
func.func @forward(%x: tensor<4x6xf64> {fp4.onnx_name = "x", fp4.role = "input"},
                   %w1: tensor<6x5xf64> {fp4.onnx_name = "fc1.weight", fp4.role = "param"},
                   %b1: tensor<5xf64> {fp4.onnx_name = "fc1.bias", fp4.role = "param"},
                   %w2: tensor<3x5xf64> {fp4.onnx_name = "fc2.weight", fp4.role = "param"},
                   %b2: tensor<3xf64> {fp4.onnx_name = "fc2.bias", fp4.role = "param"})
    -> (tensor<4x3xf64> {fp4.onnx_name = "logits"}) {
  %zero = arith.constant 0.0 : f64
  %e45 = tensor.empty() : tensor<4x5xf64>
  %f45 = linalg.fill ins(%zero : f64) outs(%e45 : tensor<4x5xf64>) -> tensor<4x5xf64>
  %mm1 = linalg.matmul ins(%x, %w1 : tensor<4x6xf64>, tensor<6x5xf64>) outs(%f45 : tensor<4x5xf64>) -> tensor<4x5xf64>
  %h = linalg.generic {indexing_maps = [#id2, #bias, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%mm1, %b1 : tensor<4x5xf64>, tensor<5xf64>) outs(%e45 : tensor<4x5xf64>) {
  ^bb0(%a: f64, %b: f64, %o: f64):
    %s = arith.addf %a, %b : f64
    %r = math.tanh %s : f64
    linalg.yield %r : f64
  } -> tensor<4x5xf64>
  %e53 = tensor.empty() : tensor<5x3xf64>
  %w2t = linalg.transpose ins(%w2 : tensor<3x5xf64>) outs(%e53 : tensor<5x3xf64>) permutation = [1, 0]
  %e43 = tensor.empty() : tensor<4x3xf64>
  %f43 = linalg.fill ins(%zero : f64) outs(%e43 : tensor<4x3xf64>) -> tensor<4x3xf64>
  %mm2 = linalg.matmul ins(%h, %w2t : tensor<4x5xf64>, tensor<5x3xf64>) outs(%f43 : tensor<4x3xf64>) -> tensor<4x3xf64>
  %z = linalg.generic {indexing_maps = [#id2, #bias, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%mm2, %b2 : tensor<4x3xf64>, tensor<3xf64>) outs(%e43 : tensor<4x3xf64>) {
  ^bb0(%a: f64, %b: f64, %o: f64):
    %s = arith.addf %a, %b : f64
    linalg.yield %s : f64
  } -> tensor<4x3xf64>
  return %z : tensor<4x3xf64>
}
