// RUN: fp4-opt %s --fp4-build-training-step -o %t.mlir
// RUN: %python %S/Inputs/fdcheck.py %t.mlir --fp4-run fp4-run --work %t.d | FileCheck %s
// REQUIRES: numpy

// A grouped convolution (2 groups) feeding a depthwise one (groups = channels,
// strided): filter and input gradients of linalg.conv_2d_ngchw_gfchw.
// CHECK: 4 passed, 0 failed

#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @forward(%x: tensor<2x4x7x7xf64> {fp4.onnx_name = "x", fp4.role = "input"},
                   %w1: tensor<2x2x2x3x3xf64> {fp4.onnx_name = "grouped.weight", fp4.role = "param"},
                   %w2: tensor<4x1x1x3x3xf64> {fp4.onnx_name = "depthwise.weight", fp4.role = "param"},
                   %fcw: tensor<16x3xf64> {fp4.onnx_name = "fc.weight", fp4.role = "param"})
    -> (tensor<2x3xf64> {fp4.onnx_name = "logits"}) {
  %zero = arith.constant 0.0 : f64
  %xg = tensor.expand_shape %x [[0], [1, 2], [3], [4]] output_shape [2, 2, 2, 7, 7] : tensor<2x4x7x7xf64> into tensor<2x2x2x7x7xf64>
  %e1 = tensor.empty() : tensor<2x2x2x5x5xf64>
  %f1 = linalg.fill ins(%zero : f64) outs(%e1 : tensor<2x2x2x5x5xf64>) -> tensor<2x2x2x5x5xf64>
  %c1 = linalg.conv_2d_ngchw_gfchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%xg, %w1 : tensor<2x2x2x7x7xf64>, tensor<2x2x2x3x3xf64>) outs(%f1 : tensor<2x2x2x5x5xf64>) -> tensor<2x2x2x5x5xf64>
  %y1 = tensor.collapse_shape %c1 [[0], [1, 2], [3], [4]] : tensor<2x2x2x5x5xf64> into tensor<2x4x5x5xf64>
  %e2 = tensor.empty() : tensor<2x4x5x5xf64>
  %t1 = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y1 : tensor<2x4x5x5xf64>) outs(%e2 : tensor<2x4x5x5xf64>) {
  ^bb0(%a: f64, %o: f64):
    %r = math.tanh %a : f64
    linalg.yield %r : f64
  } -> tensor<2x4x5x5xf64>
  %pd = tensor.pad %t1 low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f64
  } : tensor<2x4x5x5xf64> to tensor<2x4x7x7xf64>
  %dg = tensor.expand_shape %pd [[0], [1, 2], [3], [4]] output_shape [2, 4, 1, 7, 7] : tensor<2x4x7x7xf64> into tensor<2x4x1x7x7xf64>
  %e3 = tensor.empty() : tensor<2x4x1x2x2xf64>
  %f3 = linalg.fill ins(%zero : f64) outs(%e3 : tensor<2x4x1x2x2xf64>) -> tensor<2x4x1x2x2xf64>
  %c2 = linalg.conv_2d_ngchw_gfchw {strides = dense<3> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%dg, %w2 : tensor<2x4x1x7x7xf64>, tensor<4x1x1x3x3xf64>) outs(%f3 : tensor<2x4x1x2x2xf64>) -> tensor<2x4x1x2x2xf64>
  %flat = tensor.collapse_shape %c2 [[0], [1, 2, 3, 4]] : tensor<2x4x1x2x2xf64> into tensor<2x16xf64>
  %e4 = tensor.empty() : tensor<2x3xf64>
  %f4 = linalg.fill ins(%zero : f64) outs(%e4 : tensor<2x3xf64>) -> tensor<2x3xf64>
  %z = linalg.matmul ins(%flat, %fcw : tensor<2x16xf64>, tensor<16x3xf64>) outs(%f4 : tensor<2x3xf64>) -> tensor<2x3xf64>
  return %z : tensor<2x3xf64>
}
