// RUN: fp4-opt %s --fp4-build-training-step="momentum=0.5 weight-decay=0.001" | FileCheck %s

// Structure of the generated training step for a two-layer MLP.

// CHECK-LABEL: func.func @forward(
// The forward GEMMs and both backward GEMMs of the second layer are tagged;
// the first layer has no activation gradient (its input is not a parameter).
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[X:.*]]: tensor<4x6xf32> {fp4.onnx_name = "x", fp4.role = "input"}
// CHECK-SAME: %[[Y:.*]]: tensor<4xi64> {fp4.onnx_name = "labels", fp4.role = "labels"}
// CHECK-SAME: %[[W1:.*]]: tensor<6x5xf32> {fp4.onnx_name = "fc1.weight", fp4.role = "param"}
// CHECK-SAME: %[[W2:.*]]: tensor<5x3xf32> {fp4.onnx_name = "fc2.weight", fp4.role = "param"}
// CHECK-SAME: %[[V1:.*]]: tensor<6x5xf32> {fp4.onnx_name = "fc1.weight", fp4.role = "momentum"}
// CHECK-SAME: %[[V2:.*]]: tensor<5x3xf32> {fp4.onnx_name = "fc2.weight", fp4.role = "momentum"}
// CHECK-SAME: %[[LR:.*]]: f32 {fp4.onnx_name = "lr", fp4.role = "lr"})
// CHECK-SAME: -> (f32 {fp4.onnx_name = "loss", fp4.role = "loss"}, i64 {fp4.onnx_name = "correct", fp4.role = "correct"}
// CHECK: %[[H:.*]] = linalg.matmul {fp4.gemm_id = [[ID1:[0-9]+]] : i64, fp4.gemm_role = "forward"} ins(%[[X]], %[[W1]]
// CHECK: %[[Z:.*]] = linalg.matmul {fp4.gemm_id = [[ID2:[0-9]+]] : i64, fp4.gemm_role = "forward"}
// Loss: max, exp, sum, picked logit.
// CHECK: linalg.reduce
// CHECK: math.exp
// CHECK: math.log
// Backward of layer 2: dH = dZ W2^T (grad_lhs), dW2 = H^T dZ (grad_rhs).
// CHECK: linalg.matmul indexing_maps = {{.*}} {fp4.gemm_id = [[ID2]] : i64, fp4.gemm_role = "grad_lhs"} ins(%[[DZ:.*]], %[[W2]]
// CHECK: linalg.matmul indexing_maps = {{.*}} {fp4.gemm_id = [[ID2]] : i64, fp4.gemm_role = "grad_rhs"} ins(%{{.*}}, %[[DZ]]
// Backward of layer 1: only dW1.
// CHECK-NOT: fp4.gemm_id = [[ID1]] : i64, fp4.gemm_role = "grad_lhs"
// CHECK: linalg.matmul indexing_maps = {{.*}} {fp4.gemm_id = [[ID1]] : i64, fp4.gemm_role = "grad_rhs"} ins(%[[X]]
// SGD: g + wd p, v = mu v + g, p - lr v.
// CHECK: linalg.generic
// CHECK: arith.constant 1.000000e-03 : f32
// CHECK: arith.constant 5.000000e-01 : f32
// CHECK: arith.mulf %[[LR]]
// CHECK: return

// CHECK-LABEL: func.func @grad_step(
// CHECK-SAME: -> (f32 {fp4.onnx_name = "loss", fp4.role = "loss"}, i64 {fp4.onnx_name = "correct", fp4.role = "correct"}, tensor<6x5xf32> {fp4.onnx_name = "fc1.weight", fp4.role = "grad"}, tensor<5x3xf32> {fp4.onnx_name = "fc2.weight", fp4.role = "grad"})

// CHECK-LABEL: func.func @eval_step(
// CHECK-SAME: -> (f32 {fp4.onnx_name = "loss", fp4.role = "loss"}, i64 {fp4.onnx_name = "correct", fp4.role = "correct"}, tensor<4x3xf32> {fp4.onnx_name = "logits", fp4.role = "logits"})
// CHECK-NOT: fp4.gemm_role = "grad

func.func @forward(%x: tensor<4x6xf32> {fp4.onnx_name = "x", fp4.role = "input"},
                   %w1: tensor<6x5xf32> {fp4.onnx_name = "fc1.weight", fp4.role = "param"},
                   %w2: tensor<5x3xf32> {fp4.onnx_name = "fc2.weight", fp4.role = "param"})
    -> (tensor<4x3xf32> {fp4.onnx_name = "logits"}) {
  %zero = arith.constant 0.0 : f32
  %e45 = tensor.empty() : tensor<4x5xf32>
  %f45 = linalg.fill ins(%zero : f32) outs(%e45 : tensor<4x5xf32>) -> tensor<4x5xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<4x6xf32>, tensor<6x5xf32>) outs(%f45 : tensor<4x5xf32>) -> tensor<4x5xf32>
  %e43 = tensor.empty() : tensor<4x3xf32>
  %f43 = linalg.fill ins(%zero : f32) outs(%e43 : tensor<4x3xf32>) -> tensor<4x3xf32>
  %z = linalg.matmul ins(%h, %w2 : tensor<4x5xf32>, tensor<5x3xf32>) outs(%f43 : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %z : tensor<4x3xf32>
}
