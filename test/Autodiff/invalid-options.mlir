// RUN: not fp4-opt %s --fp4-build-training-step=loss=mse 2>&1 | FileCheck %s --check-prefix=LOSS
// RUN: not fp4-opt %s --fp4-build-training-step=optimizer=adam 2>&1 | FileCheck %s --check-prefix=OPT
// LOSS: error: unknown loss 'mse'; supported: softmax-cross-entropy
// OPT: error: unknown optimizer 'adam'; supported: sgd
func.func @forward(%w: tensor<2x3xf32> {fp4.role = "param"}) -> tensor<2x3xf32> {
  return %w : tensor<2x3xf32>
}
