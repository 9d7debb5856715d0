// RUN: fp4-opt %S/mlp.mlir --fp4-build-training-step="momentum=0.9 weight-decay=0.0005" -o %t.mlir
// RUN: %python %S/Inputs/sgdcheck.py %t.mlir --fp4-run fp4-run --work %t.d --momentum 0.9 --weight-decay 0.0005 | FileCheck %s
// REQUIRES: numpy

// @train_step applies PyTorch's SGD (momentum, weight decay) to the
// gradients of @grad_step.
// CHECK: 5 passed, 0 failed
