// RUN: fp4-opt %s --fp4-build-training-step -o %t.mlir
// RUN: %python %S/Inputs/fdcheck.py %t.mlir --fp4-run fp4-run --work %t.d --seed 5 | FileCheck %s
// REQUIRES: numpy

// Data movement: tensor.reshape, expand_shape, transpose, extract_slice,
// linalg.broadcast, and a linalg.batch_matmul.
// CHECK: 3 passed, 0 failed

func.func @forward(%x: tensor<2x12xf64> {fp4.onnx_name = "x", fp4.role = "input"},
                   %w: tensor<2x4x3xf64> {fp4.onnx_name = "bmm.weight", fp4.role = "param"},
                   %v: tensor<5xf64> {fp4.onnx_name = "v", fp4.role = "param"})
    -> (tensor<2x5xf64> {fp4.onnx_name = "logits"}) {
  %zero = arith.constant 0.0 : f64
  %shape = arith.constant dense<[2, 3, 4]> : tensor<3xindex>
  %r = tensor.reshape %x(%shape) : (tensor<2x12xf64>, tensor<3xindex>) -> tensor<2x3x4xf64>
  %e = tensor.empty() : tensor<2x3x3xf64>
  %f = linalg.fill ins(%zero : f64) outs(%e : tensor<2x3x3xf64>) -> tensor<2x3x3xf64>
  %bm = linalg.batch_matmul ins(%r, %w : tensor<2x3x4xf64>, tensor<2x4x3xf64>) outs(%f : tensor<2x3x3xf64>) -> tensor<2x3x3xf64>
  %et = tensor.empty() : tensor<3x2x3xf64>
  %t = linalg.transpose ins(%bm : tensor<2x3x3xf64>) outs(%et : tensor<3x2x3xf64>) permutation = [1, 0, 2]
  %sl = tensor.extract_slice %t[1, 0, 0] [2, 2, 3] [1, 1, 1] : tensor<3x2x3xf64> to tensor<2x2x3xf64>
  %c = tensor.collapse_shape %sl [[0, 1, 2]] : tensor<2x2x3xf64> into tensor<12xf64>
  %x2 = tensor.expand_shape %c [[0, 1]] output_shape [2, 6] : tensor<12xf64> into tensor<2x6xf64>
  %h = tensor.extract_slice %x2[0, 1] [2, 5] [1, 1] : tensor<2x6xf64> to tensor<2x5xf64>
  %eb = tensor.empty() : tensor<2x5xf64>
  %vb = linalg.broadcast ins(%v : tensor<5xf64>) outs(%eb : tensor<2x5xf64>) dimensions = [0]
  %z = linalg.mul ins(%h, %vb : tensor<2x5xf64>, tensor<2x5xf64>) outs(%eb : tensor<2x5xf64>) -> tensor<2x5xf64>
  return %z : tensor<2x5xf64>
}
