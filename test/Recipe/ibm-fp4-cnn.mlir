// RUN: fp4-opt %S/Inputs/cnn3.mlir --fp4-build-training-step="momentum=0.9" --fp4-apply-recipe=recipe=ibm-fp4 -o %t.mlir
// RUN: %python %S/Inputs/cnn3_oracle.py %t.mlir --fp4-run fp4-run --work %t.d --steps 3 --skip-step | FileCheck %s
// REQUIRES: numpy

// Three ibm-fp4 training steps of a small CNN whose middle convolution runs
// in 4 bits (PACT uint4 activations on the zero-padded ReLU output, int4 SAWB
// weights, GradScale'd radix-4 gradients: the even phase into the input-
// gradient convolution, the odd phase into the filter-gradient contraction)
// equal an independent numpy implementation from SPEC-numerics.md: the
// 4-bit layer's update bit for bit, GradScale and counters exactly, the f32
// layers within 1e-6.
// CHECK: ok   step 1 conv2.weight: update relative error 0.00e+00
// CHECK: ok   step 1 conv2.weight.pact_alpha
// CHECK: ok   step 3 counters
// A fourth step with an Inf in the f32 head: its gradients are not finite, the
// update is skipped (the select folded into the SGD update's loop keeps
// every old value).
// CHECK: ok   step 4 counters: non-finite gradients counted
// CHECK: ok   step 4 skipped conv2.weight: unchanged
// CHECK: ok   step 4 skipped mom:conv2.weight: unchanged
// CHECK: ok   step 4 skipped mom:conv2.weight.pact_alpha: unchanged
// CHECK: 0 failed
