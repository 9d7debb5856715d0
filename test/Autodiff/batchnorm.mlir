// RUN: fp4-opt %s --fp4-build-training-step -o %t.mlir
// RUN: %python %S/Inputs/fdcheck.py %t.mlir --fp4-run fp4-run --work %t.d | FileCheck %s
// RUN: FileCheck %s --check-prefix=STRUCT --input-file=%t.mlir
// REQUIRES: numpy

// BatchNormalization in training mode (batch statistics through
// linalg.reduce, normalization as elementwise generics): the gradient flows
// through the batch mean and variance. The running statistics are extra
// results of @forward (fp4.state_of) and come out of @train_step.
// CHECK: 5 passed, 0 failed
// STRUCT-LABEL: func.func @train_step
// STRUCT-SAME: fp4.role = "running_mean"
// STRUCT-SAME: -> (f64 {fp4.onnx_name = "loss", fp4.role = "loss"}, i64 {fp4.onnx_name = "correct", fp4.role = "correct"}
// STRUCT-SAME: fp4.onnx_name = "bn.running_mean", fp4.role = "running_mean"
// STRUCT-SAME: fp4.onnx_name = "bn.weight", fp4.role = "momentum"

#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
#ch = affine_map<(n, c, h, w) -> (c)>
#id1 = affine_map<(c) -> (c)>
func.func @forward(%x: tensor<3x2x4x4xf64> {fp4.onnx_name = "x", fp4.role = "input"},
                   %w: tensor<2x2x1x1xf64> {fp4.onnx_name = "conv.weight", fp4.role = "param"},
                   %gamma: tensor<2xf64> {fp4.onnx_name = "bn.weight", fp4.role = "param"},
                   %beta: tensor<2xf64> {fp4.onnx_name = "bn.bias", fp4.role = "param"},
                   %rm: tensor<2xf64> {fp4.onnx_name = "bn.running_mean", fp4.role = "running_mean"},
                   %rv: tensor<2xf64> {fp4.onnx_name = "bn.running_var", fp4.role = "running_var"},
                   %fcw: tensor<32x3xf64> {fp4.onnx_name = "fc.weight", fp4.role = "param"})
    -> (tensor<3x3xf64> {fp4.onnx_name = "logits"},
        tensor<2xf64> {fp4.onnx_name = "bn.running_mean_out", fp4.role = "running_mean_update", fp4.state_of = 4 : i64},
        tensor<2xf64> {fp4.onnx_name = "bn.running_var_out", fp4.role = "running_var_update", fp4.state_of = 5 : i64})
    attributes {fp4.bn_mode = "train"} {
  %zero = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<3x2x4x4xf64>
  %f = linalg.fill ins(%zero : f64) outs(%e : tensor<3x2x4x4xf64>) -> tensor<3x2x4x4xf64>
  %c = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<3x2x4x4xf64>, tensor<2x2x1x1xf64>) outs(%f : tensor<3x2x4x4xf64>) -> tensor<3x2x4x4xf64>
  %ec = tensor.empty() : tensor<2xf64>
  %fc = linalg.fill ins(%zero : f64) outs(%ec : tensor<2xf64>) -> tensor<2xf64>
  %sum = linalg.reduce ins(%c : tensor<3x2x4x4xf64>) outs(%fc : tensor<2xf64>) dimensions = [0, 2, 3]
    (%in: f64, %acc: f64) {
      %s = arith.addf %in, %acc : f64
      linalg.yield %s : f64
    }
  %mean = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%sum : tensor<2xf64>) outs(%ec : tensor<2xf64>) {
  ^bb0(%a: f64, %o: f64):
    %n = arith.constant 48.0 : f64
    %r = arith.divf %a, %n : f64
    linalg.yield %r : f64
  } -> tensor<2xf64>
  %cen = linalg.generic {indexing_maps = [#id4, #ch, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %mean : tensor<3x2x4x4xf64>, tensor<2xf64>) outs(%e : tensor<3x2x4x4xf64>) {
  ^bb0(%a: f64, %m: f64, %o: f64):
    %r = arith.subf %a, %m : f64
    linalg.yield %r : f64
  } -> tensor<3x2x4x4xf64>
  %sq = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%cen : tensor<3x2x4x4xf64>) outs(%e : tensor<3x2x4x4xf64>) {
  ^bb0(%a: f64, %o: f64):
    %r = arith.mulf %a, %a : f64
    linalg.yield %r : f64
  } -> tensor<3x2x4x4xf64>
  %ssq = linalg.reduce ins(%sq : tensor<3x2x4x4xf64>) outs(%fc : tensor<2xf64>) dimensions = [0, 2, 3]
    (%in: f64, %acc: f64) {
      %s = arith.addf %in, %acc : f64
      linalg.yield %s : f64
    }
  %var = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%ssq : tensor<2xf64>) outs(%ec : tensor<2xf64>) {
  ^bb0(%a: f64, %o: f64):
    %n = arith.constant 48.0 : f64
    %r = arith.divf %a, %n : f64
    linalg.yield %r : f64
  } -> tensor<2xf64>
  %y = linalg.generic {indexing_maps = [#id4, #ch, #ch, #ch, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%cen, %var, %gamma, %beta : tensor<3x2x4x4xf64>, tensor<2xf64>, tensor<2xf64>, tensor<2xf64>) outs(%e : tensor<3x2x4x4xf64>) {
  ^bb0(%a: f64, %v: f64, %g: f64, %bb: f64, %o: f64):
    %eps = arith.constant 1.0e-5 : f64
    %ve = arith.addf %v, %eps : f64
    %is = math.rsqrt %ve : f64
    %nrm = arith.mulf %a, %is : f64
    %sc = arith.mulf %nrm, %g : f64
    %r = arith.addf %sc, %bb : f64
    %relu = arith.maximumf %r, %zero : f64
    linalg.yield %relu : f64
  } -> tensor<3x2x4x4xf64>
  %newrm, %newrv = linalg.generic {indexing_maps = [#id1, #id1, #id1, #id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%rm, %rv, %mean, %var : tensor<2xf64>, tensor<2xf64>, tensor<2xf64>, tensor<2xf64>) outs(%ec, %ec : tensor<2xf64>, tensor<2xf64>) {
  ^bb0(%a: f64, %b: f64, %m: f64, %v: f64, %o1: f64, %o2: f64):
    %mom = arith.constant 0.9 : f64
    %one_m = arith.constant 0.1 : f64
    %unb = arith.constant 1.0212765957446808 : f64
    %x1 = arith.mulf %a, %mom : f64
    %x2 = arith.mulf %m, %one_m : f64
    %r1 = arith.addf %x1, %x2 : f64
    %vu = arith.mulf %v, %unb : f64
    %y1 = arith.mulf %b, %mom : f64
    %y2 = arith.mulf %vu, %one_m : f64
    %r2 = arith.addf %y1, %y2 : f64
    linalg.yield %r1, %r2 : f64, f64
  } -> (tensor<2xf64>, tensor<2xf64>)
  %flat = tensor.collapse_shape %y [[0], [1, 2, 3]] : tensor<3x2x4x4xf64> into tensor<3x32xf64>
  %e3 = tensor.empty() : tensor<3x3xf64>
  %f3 = linalg.fill ins(%zero : f64) outs(%e3 : tensor<3x3xf64>) -> tensor<3x3xf64>
  %z = linalg.matmul ins(%flat, %fcw : tensor<3x32xf64>, tensor<32x3xf64>) outs(%f3 : tensor<3x3xf64>) -> tensor<3x3xf64>
  return %z, %newrm, %newrv : tensor<3x3xf64>, tensor<2xf64>, tensor<2xf64>
}
