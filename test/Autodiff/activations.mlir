// RUN: fp4-opt %s --fp4-build-training-step -o %t.mlir
// RUN: %python %S/Inputs/fdcheck.py %t.mlir --fp4-run fp4-run --work %t.d --seed 3 | FileCheck %s
// REQUIRES: numpy

// Elementwise rules: ReLU, LeakyReLU (select), sigmoid, broadcast
// sub/mul/div with per-feature parameters, exp/log, and a log-softmax
// composed of linalg.reduce (max, sum) and generics, like the importer emits.
// CHECK: 5 passed, 0 failed

#id2 = affine_map<(i, j) -> (i, j)>
#col = affine_map<(i, j) -> (j)>
#row = affine_map<(i, j) -> (i)>
func.func @forward(%x: tensor<5x4xf64> {fp4.onnx_name = "x", fp4.role = "input"},
                   %w: tensor<4x6xf64> {fp4.onnx_name = "fc1.weight", fp4.role = "param"},
                   %s: tensor<6xf64> {fp4.onnx_name = "scale", fp4.role = "param"},
                   %d: tensor<6xf64> {fp4.onnx_name = "shift", fp4.role = "param"},
                   %w2: tensor<6x3xf64> {fp4.onnx_name = "fc2.weight", fp4.role = "param"})
    -> (tensor<5x3xf64> {fp4.onnx_name = "log_probs"}) {
  %zero = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<5x6xf64>
  %f = linalg.fill ins(%zero : f64) outs(%e : tensor<5x6xf64>) -> tensor<5x6xf64>
  %mm = linalg.matmul ins(%x, %w : tensor<5x4xf64>, tensor<4x6xf64>) outs(%f : tensor<5x6xf64>) -> tensor<5x6xf64>
  %a = linalg.generic {indexing_maps = [#id2, #col, #col, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %s, %d : tensor<5x6xf64>, tensor<6xf64>, tensor<6xf64>) outs(%e : tensor<5x6xf64>) {
  ^bb0(%v: f64, %sc: f64, %sh: f64, %o: f64):
    %one = arith.constant 1.0 : f64
    %alpha = arith.constant 0.01 : f64
    %t = arith.subf %v, %sh : f64
    %u = arith.mulf %t, %sc : f64
    %pos = arith.cmpf ogt, %u, %zero : f64
    %leak = arith.mulf %u, %alpha : f64
    %lrelu = arith.select %pos, %u, %leak : f64
    %neg = arith.negf %lrelu : f64
    %ex = math.exp %neg : f64
    %den = arith.addf %one, %ex : f64
    %sig = arith.divf %one, %den : f64
    %relu = arith.maximumf %u, %zero : f64
    %q = arith.divf %relu, %sc : f64
    %r = arith.addf %sig, %q : f64
    linalg.yield %r : f64
  } -> tensor<5x6xf64>
  %e2 = tensor.empty() : tensor<5x3xf64>
  %f2 = linalg.fill ins(%zero : f64) outs(%e2 : tensor<5x3xf64>) -> tensor<5x3xf64>
  %z = linalg.matmul ins(%a, %w2 : tensor<5x6xf64>, tensor<6x3xf64>) outs(%f2 : tensor<5x3xf64>) -> tensor<5x3xf64>
  // log_softmax(z) = z - max - log(sum(exp(z - max)))
  %ninf = arith.constant 0xFFF0000000000000 : f64
  %e5 = tensor.empty() : tensor<5xf64>
  %fm = linalg.fill ins(%ninf : f64) outs(%e5 : tensor<5xf64>) -> tensor<5xf64>
  %m = linalg.reduce ins(%z : tensor<5x3xf64>) outs(%fm : tensor<5xf64>) dimensions = [1]
    (%in: f64, %acc: f64) {
      %mx = arith.maximumf %in, %acc : f64
      linalg.yield %mx : f64
    }
  %sh = linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%z, %m : tensor<5x3xf64>, tensor<5xf64>) outs(%e2 : tensor<5x3xf64>) {
  ^bb0(%v: f64, %mv: f64, %o: f64):
    %r = arith.subf %v, %mv : f64
    linalg.yield %r : f64
  } -> tensor<5x3xf64>
  %ex = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%sh : tensor<5x3xf64>) outs(%e2 : tensor<5x3xf64>) {
  ^bb0(%v: f64, %o: f64):
    %r = math.exp %v : f64
    linalg.yield %r : f64
  } -> tensor<5x3xf64>
  %fs = linalg.fill ins(%zero : f64) outs(%e5 : tensor<5xf64>) -> tensor<5xf64>
  %sum = linalg.reduce ins(%ex : tensor<5x3xf64>) outs(%fs : tensor<5xf64>) dimensions = [1]
    (%in: f64, %acc: f64) {
      %t = arith.addf %in, %acc : f64
      linalg.yield %t : f64
    }
  %lsm = linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%sh, %sum : tensor<5x3xf64>, tensor<5xf64>) outs(%e2 : tensor<5x3xf64>) {
  ^bb0(%v: f64, %sv: f64, %o: f64):
    %l = math.log %sv : f64
    %r = arith.subf %v, %l : f64
    linalg.yield %r : f64
  } -> tensor<5x3xf64>
  return %lsm : tensor<5x3xf64>
}
