// RUN: fp4-opt %S/../Transforms/Inputs/mlp3.mlir --fp4-build-training-step="momentum=0.9" --fp4-apply-recipe=recipe=ibm-fp4 -o %t.mlir
// RUN: %python %S/Inputs/mlp3_oracle.py %t.mlir --fp4-run fp4-run --work %t.d --steps 10 | FileCheck %s
// RUN: %python %S/Inputs/mlp3_oracle.py %t.mlir --fp4-run fp4-run --work %t.inf --steps 2 --inject-inf 2>/dev/null | FileCheck %s --check-prefix=INF
// REQUIRES: numpy

// Ten ibm-fp4 training steps of a three-layer MLP (the middle layer in 4
// bits: uint4 PACT activations, int4 SAWB weights, GradScale'd radix-4
// gradients, even phase for dX and odd phase for dW) equal an independent
// numpy implementation written from SPEC-numerics.md: the GradScale sequence
// and the quantizer counters exactly, the updates within 1e-6.
// CHECK: ok   step 1 gradscale: next 512.0 numpy 512.0
// CHECK: ok   step 10 fc2.weight.pact_alpha
// CHECK: 0 failed

// A step whose gradients hold NaN/Inf (an Inf weight in the last layer) is
// skipped: every parameter and momentum keeps its value, GradScale halves.
// INF: ok   step 1 counters: fp4 [0, 0, 71, 0, 0, 71]
// INF: ok   step 1 fc2.weight: unchanged (step skipped)
// INF: ok   step 2 gradscale: next 0.25 numpy 0.25
// INF: 0 failed
