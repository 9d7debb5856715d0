// RUN: fp4-opt %s --fp4-build-training-step -o %t.mlir
// RUN: %python %S/Inputs/fdcheck.py %t.mlir --fp4-run fp4-run --work %t.d | FileCheck %s
// REQUIRES: numpy

// Two convolutions (the second strided and dilated, with asymmetric zero
// padding) so that both the filter gradient and the input gradient of a
// convolution are checked against central finite differences.
// CHECK: 5 passed, 0 failed

#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
#cb = affine_map<(n, c, h, w) -> (c)>
func.func @forward(%x: tensor<2x3x9x8xf64> {fp4.onnx_name = "x", fp4.role = "input"},
                   %w1: tensor<3x3x1x1xf64> {fp4.onnx_name = "conv1.weight", fp4.role = "param"},
                   %w: tensor<4x3x3x2xf64> {fp4.onnx_name = "conv2.weight", fp4.role = "param"},
                   %b: tensor<4xf64> {fp4.onnx_name = "conv2.bias", fp4.role = "param"},
                   %fcw: tensor<48x5xf64> {fp4.onnx_name = "fc.weight", fp4.role = "param"})
    -> (tensor<2x5xf64> {fp4.onnx_name = "logits"}) {
  %zero = arith.constant 0.0 : f64
  %e1 = tensor.empty() : tensor<2x3x9x8xf64>
  %f1 = linalg.fill ins(%zero : f64) outs(%e1 : tensor<2x3x9x8xf64>) -> tensor<2x3x9x8xf64>
  %c1 = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%x, %w1 : tensor<2x3x9x8xf64>, tensor<3x3x1x1xf64>) outs(%f1 : tensor<2x3x9x8xf64>) -> tensor<2x3x9x8xf64>
  %t1 = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c1 : tensor<2x3x9x8xf64>) outs(%e1 : tensor<2x3x9x8xf64>) {
  ^bb0(%a: f64, %o: f64):
    %r = math.tanh %a : f64
    linalg.yield %r : f64
  } -> tensor<2x3x9x8xf64>
  %xp = tensor.pad %t1 low[0, 0, 1, 2] high[0, 0, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f64
  } : tensor<2x3x9x8xf64> to tensor<2x3x11x10xf64>
  %e = tensor.empty() : tensor<2x4x4x3xf64>
  %f = linalg.fill ins(%zero : f64) outs(%e : tensor<2x4x4x3xf64>) -> tensor<2x4x4x3xf64>
  %c = linalg.conv_2d_nchw_fchw {strides = dense<[2, 3]> : tensor<2xi64>, dilations = dense<[2, 1]> : tensor<2xi64>}
      ins(%xp, %w : tensor<2x3x11x10xf64>, tensor<4x3x3x2xf64>) outs(%f : tensor<2x4x4x3xf64>) -> tensor<2x4x4x3xf64>
  %y = linalg.generic {indexing_maps = [#id4, #cb, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %b : tensor<2x4x4x3xf64>, tensor<4xf64>) outs(%e : tensor<2x4x4x3xf64>) {
  ^bb0(%a: f64, %bb: f64, %o: f64):
    %s = arith.addf %a, %bb : f64
    %r = math.tanh %s : f64
    linalg.yield %r : f64
  } -> tensor<2x4x4x3xf64>
  %flat = tensor.collapse_shape %y [[0], [1, 2, 3]] : tensor<2x4x4x3xf64> into tensor<2x48xf64>
  %e2 = tensor.empty() : tensor<2x5xf64>
  %f2 = linalg.fill ins(%zero : f64) outs(%e2 : tensor<2x5xf64>) -> tensor<2x5xf64>
  %z = linalg.matmul ins(%flat, %fcw : tensor<2x48xf64>, tensor<48x5xf64>) outs(%f2 : tensor<2x5xf64>) -> tensor<2x5xf64>
  return %z : tensor<2x5xf64>
}
