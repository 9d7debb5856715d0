// RUN: fp4-opt %s --fp4-build-training-step -o %t.mlir
// RUN: %python %S/Inputs/fdcheck.py %t.mlir --fp4-run fp4-run --work %t.d | FileCheck %s
// REQUIRES: numpy

// Max pooling (-inf padding, stride 2), average pooling (sum pooling divided
// by the window size, with count_include_pad) and global average pooling.
// CHECK: 3 passed, 0 failed

#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @forward(%x: tensor<2x2x8x8xf64> {fp4.onnx_name = "x", fp4.role = "input"},
                   %w: tensor<3x2x3x3xf64> {fp4.onnx_name = "conv.weight", fp4.role = "param"},
                   %fcw: tensor<6x4xf64> {fp4.onnx_name = "fc.weight", fp4.role = "param"})
    -> (tensor<2x4xf64> {fp4.onnx_name = "logits"}) {
  %zero = arith.constant 0.0 : f64
  %ninf = arith.constant 0xFFF0000000000000 : f64
  %e = tensor.empty() : tensor<2x3x6x6xf64>
  %f = linalg.fill ins(%zero : f64) outs(%e : tensor<2x3x6x6xf64>) -> tensor<2x3x6x6xf64>
  %c = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<2x2x8x8xf64>, tensor<3x2x3x3xf64>) outs(%f : tensor<2x3x6x6xf64>) -> tensor<2x3x6x6xf64>
  // MaxPool 3x3, stride 2, pads 1.
  %mp_in = tensor.pad %c low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %ninf : f64
  } : tensor<2x3x6x6xf64> to tensor<2x3x8x8xf64>
  %win = tensor.empty() : tensor<3x3xf64>
  %em = tensor.empty() : tensor<2x3x3x3xf64>
  %fm = linalg.fill ins(%ninf : f64) outs(%em : tensor<2x3x3x3xf64>) -> tensor<2x3x3x3xf64>
  %mp = linalg.pooling_nchw_max {strides = dense<2> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%mp_in, %win : tensor<2x3x8x8xf64>, tensor<3x3xf64>) outs(%fm : tensor<2x3x3x3xf64>) -> tensor<2x3x3x3xf64>
  // AveragePool 2x2, stride 1, pads 0 -> 2x2.
  %win2 = tensor.empty() : tensor<2x2xf64>
  %ea = tensor.empty() : tensor<2x3x2x2xf64>
  %fa = linalg.fill ins(%zero : f64) outs(%ea : tensor<2x3x2x2xf64>) -> tensor<2x3x2x2xf64>
  %sp = linalg.pooling_nchw_sum {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%mp, %win2 : tensor<2x3x3x3xf64>, tensor<2x2xf64>) outs(%fa : tensor<2x3x2x2xf64>) -> tensor<2x3x2x2xf64>
  %ap = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%sp : tensor<2x3x2x2xf64>) outs(%ea : tensor<2x3x2x2xf64>) {
  ^bb0(%a: f64, %o: f64):
    %q = arith.constant 4.0 : f64
    %r = arith.divf %a, %q : f64
    linalg.yield %r : f64
  } -> tensor<2x3x2x2xf64>
  // GlobalAveragePool (sum over the whole 2x2 window) then flatten.
  %win3 = tensor.empty() : tensor<2x2xf64>
  %eg = tensor.empty() : tensor<2x3x1x1xf64>
  %fg = linalg.fill ins(%zero : f64) outs(%eg : tensor<2x3x1x1xf64>) -> tensor<2x3x1x1xf64>
  %gs = linalg.pooling_nchw_sum {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%ap, %win3 : tensor<2x3x2x2xf64>, tensor<2x2xf64>) outs(%fg : tensor<2x3x1x1xf64>) -> tensor<2x3x1x1xf64>
  %gap = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%gs : tensor<2x3x1x1xf64>) outs(%eg : tensor<2x3x1x1xf64>) {
  ^bb0(%a: f64, %o: f64):
    %q = arith.constant 4.0 : f64
    %r = arith.divf %a, %q : f64
    linalg.yield %r : f64
  } -> tensor<2x3x1x1xf64>
  %flat = tensor.collapse_shape %gap [[0], [1, 2, 3]] : tensor<2x3x1x1xf64> into tensor<2x3xf64>
  // Concatenate with its square to exercise tensor.concat.
  %sq = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%flat : tensor<2x3xf64>) outs(%flat : tensor<2x3xf64>) {
  ^bb0(%a: f64, %o: f64):
    %r = arith.mulf %a, %a : f64
    linalg.yield %r : f64
  } -> tensor<2x3xf64>
  %cat = tensor.concat dim(1) %flat, %sq : (tensor<2x3xf64>, tensor<2x3xf64>) -> tensor<2x6xf64>
  %e4 = tensor.empty() : tensor<2x4xf64>
  %f4 = linalg.fill ins(%zero : f64) outs(%e4 : tensor<2x4xf64>) -> tensor<2x4xf64>
  %z = linalg.matmul ins(%cat, %fcw : tensor<2x6xf64>, tensor<6x4xf64>) outs(%f4 : tensor<2x4xf64>) -> tensor<2x4xf64>
  return %z : tensor<2x4xf64>
}
