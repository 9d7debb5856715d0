// RUN: fp4-opt %s --fp4-build-training-step -o %t.mlir
// RUN: %python %S/Inputs/fdcheck.py %t.mlir --fp4-run fp4-run --work %t.d | FileCheck %s
// RUN: FileCheck %s --check-prefix=IR < %t.mlir
// REQUIRES: numpy

// Pooling windows that tile their input (2x2 max pooling with stride 2, then
// a global sum pooling): each gradient is one elementwise op over X viewed
// as [n, c, oh, kh, ow, kw], not a strided read-add-write per window
// position. Checked against finite differences through the conv filter.
// CHECK: 3 passed, 0 failed

// IR-LABEL: func.func @train_step(
// The global pool (1x1 output, 3x3 window).
// IR: linalg.generic {{.*}} ins(%{{.*}} : tensor<2x3x1x1xf64>) outs(%{{.*}} : tensor<2x3x1x3x1x3xf64>)
// IR: tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3], [4, 5]] : tensor<2x3x1x3x1x3xf64> into tensor<2x3x3x3xf64>
// The max pool: the gradient goes to the window's first maximum.
// IR: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x3x3x3xf64>, tensor<2x3x3x3xi64>) outs(%{{.*}} : tensor<2x3x3x2x3x2xf64>)
// IR: tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3], [4, 5]] : tensor<2x3x3x2x3x2xf64> into tensor<2x3x6x6xf64>
// IR-NOT: tensor.insert_slice
// IR-LABEL: func.func @grad_step(

func.func @forward(%x: tensor<2x2x8x8xf64> {fp4.onnx_name = "x", fp4.role = "input"},
                   %w: tensor<3x2x3x3xf64> {fp4.onnx_name = "conv.weight", fp4.role = "param"},
                   %fcw: tensor<30x4xf64> {fp4.onnx_name = "fc.weight", fp4.role = "param"})
    -> (tensor<2x4xf64> {fp4.onnx_name = "logits"}) {
  %zero = arith.constant 0.0 : f64
  %ninf = arith.constant 0xFFF0000000000000 : f64
  %e = tensor.empty() : tensor<2x3x6x6xf64>
  %f = linalg.fill ins(%zero : f64) outs(%e : tensor<2x3x6x6xf64>) -> tensor<2x3x6x6xf64>
  %c = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<2x2x8x8xf64>, tensor<3x2x3x3xf64>) outs(%f : tensor<2x3x6x6xf64>) -> tensor<2x3x6x6xf64>
  // MaxPool 2x2, stride 2.
  %win = tensor.empty() : tensor<2x2xf64>
  %em = tensor.empty() : tensor<2x3x3x3xf64>
  %fm = linalg.fill ins(%ninf : f64) outs(%em : tensor<2x3x3x3xf64>) -> tensor<2x3x3x3xf64>
  %mp = linalg.pooling_nchw_max {strides = dense<2> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%c, %win : tensor<2x3x6x6xf64>, tensor<2x2xf64>) outs(%fm : tensor<2x3x3x3xf64>) -> tensor<2x3x3x3xf64>
  // Global sum pooling (3x3 window, stride 1).
  %win3 = tensor.empty() : tensor<3x3xf64>
  %eg = tensor.empty() : tensor<2x3x1x1xf64>
  %fg = linalg.fill ins(%zero : f64) outs(%eg : tensor<2x3x1x1xf64>) -> tensor<2x3x1x1xf64>
  %gs = linalg.pooling_nchw_sum {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%mp, %win3 : tensor<2x3x3x3xf64>, tensor<3x3xf64>) outs(%fg : tensor<2x3x1x1xf64>) -> tensor<2x3x1x1xf64>
  %f1 = tensor.collapse_shape %mp [[0], [1, 2, 3]] : tensor<2x3x3x3xf64> into tensor<2x27xf64>
  %f2 = tensor.collapse_shape %gs [[0], [1, 2, 3]] : tensor<2x3x1x1xf64> into tensor<2x3xf64>
  %cat = tensor.concat dim(1) %f1, %f2 : (tensor<2x27xf64>, tensor<2x3xf64>) -> tensor<2x30xf64>
  %e4 = tensor.empty() : tensor<2x4xf64>
  %f4 = linalg.fill ins(%zero : f64) outs(%e4 : tensor<2x4xf64>) -> tensor<2x4xf64>
  %z = linalg.matmul ins(%cat, %fcw : tensor<2x30xf64>, tensor<30x4xf64>) outs(%f4 : tensor<2x4xf64>) -> tensor<2x4xf64>
  return %z : tensor<2x4xf64>
}
