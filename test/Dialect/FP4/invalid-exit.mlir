// A tool meets invalid fp4 IR with a located diagnostic and exit code 1.
// RUN: not fp4-opt %s 2>&1 | FileCheck %s
// RUN: fp4-opt %s; test $? -eq 1

func.func @bad(%x: tensor<4xf32>, %s: f32, %seed: i64) {
  // CHECK: invalid-exit.mlir:[[@LINE+1]]:8: error: 'fp4.quantize' op a seed is only meaningful with stochastic rounding
  %q = fp4.quantize %x, %s seed(%seed) : tensor<4xf32> -> !fp4.qtensor<4x#fp4.format<e2m1>>
  return
}
