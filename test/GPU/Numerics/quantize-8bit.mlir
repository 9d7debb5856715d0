// 8-bit formats (e4m3, e5m2): the GPU kernels of quantize (nearest and stochastic, with
// the saturated/flushed/non-finite counters) and dequantize, compared bit
// for bit with the numerics library. 65539 elements: 8192 chunks of 8 and a
// tail of 3 that thread 0 handles (for 4-bit codes, a padding nibble). The
// inputs start with the format's special values (grid points, ties, their
// f32 neighbours, thresholds, +-0, +-Inf, NaNs, subnormals) mapped through
// the scale. See lit.local.cfg for where the kernels run.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: %gpu_prepare %s -o %t/kernels.mlir
// RUN: fp4-numerics-check scalar -o %t/seed.npy --i64 0x0123456789abcdef

// e4m3, scale 1.0.
// RUN: fp4-numerics-check scalar -o %t/s0.npy --f32 1.0
// RUN: fp4-numerics-check gen -o %t/x0.npy --count 65539 --seed 1 --format e4m3 --scale 1.0 > /dev/null
// RUN: %gpu_run %t/kernels.mlir --entry e4m3_nearest --input %t/x0.npy --input %t/s0.npy --output %t/c0.npy --output %t/n0.npy
// RUN: fp4-numerics-check quantize --format e4m3 --input %t/x0.npy --scale 1.0 --codes %t/c0.npy \
// RUN:   --counters %t/n0.npy | FileCheck %s --check-prefix=N0
// N0: quantize e4m3 nearest: 65539 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry e4m3_sr --input %t/x0.npy --input %t/s0.npy --input %t/seed.npy \
// RUN:   --output %t/r0.npy --output %t/m0.npy
// RUN: fp4-numerics-check quantize --format e4m3 --input %t/x0.npy --scale 1.0 --codes %t/r0.npy \
// RUN:   --counters %t/m0.npy --rounding stochastic --seed 0x0123456789abcdef --stream 5 | FileCheck %s --check-prefix=S0
// S0: quantize e4m3 stochastic: 65539 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry e4m3_dequantize --input %t/c0.npy --input %t/s0.npy --output %t/y0.npy
// RUN: fp4-numerics-check dequantize --format e4m3 --codes %t/c0.npy --scale 1.0 --values %t/y0.npy \
// RUN:   | FileCheck %s --check-prefix=D0
// D0: dequantize e4m3: 65539 elements, 0 mismatches

// e5m2, scale 0.3.
// RUN: fp4-numerics-check scalar -o %t/s1.npy --f32 0.3
// RUN: fp4-numerics-check gen -o %t/x1.npy --count 65539 --seed 2 --format e5m2 --scale 0.3 > /dev/null
// RUN: %gpu_run %t/kernels.mlir --entry e5m2_nearest --input %t/x1.npy --input %t/s1.npy --output %t/c1.npy --output %t/n1.npy
// RUN: fp4-numerics-check quantize --format e5m2 --input %t/x1.npy --scale 0.3 --codes %t/c1.npy \
// RUN:   --counters %t/n1.npy | FileCheck %s --check-prefix=N1
// N1: quantize e5m2 nearest: 65539 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry e5m2_sr --input %t/x1.npy --input %t/s1.npy --input %t/seed.npy \
// RUN:   --output %t/r1.npy --output %t/m1.npy
// RUN: fp4-numerics-check quantize --format e5m2 --input %t/x1.npy --scale 0.3 --codes %t/r1.npy \
// RUN:   --counters %t/m1.npy --rounding stochastic --seed 0x0123456789abcdef --stream 6 | FileCheck %s --check-prefix=S1
// S1: quantize e5m2 stochastic: 65539 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry e5m2_dequantize --input %t/c1.npy --input %t/s1.npy --output %t/y1.npy
// RUN: fp4-numerics-check dequantize --format e5m2 --codes %t/c1.npy --scale 0.3 --values %t/y1.npy \
// RUN:   | FileCheck %s --check-prefix=D1
// D1: dequantize e5m2: 65539 elements, 0 mismatches

func.func @e4m3_nearest(%x: tensor<65539xf32>, %s: f32) -> (tensor<65539xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s : tensor<65539xf32> -> !fp4.qtensor<65539x#fp4.format<e4m3>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<65539x#fp4.format<e4m3>>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %c, %n : tensor<65539xi8>, tensor<3xi64>
}

func.func @e4m3_sr(%x: tensor<65539xf32>, %s: f32, %seed: i64) -> (tensor<65539xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(5)
      : tensor<65539xf32> -> !fp4.qtensor<65539x#fp4.format<e4m3>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<65539x#fp4.format<e4m3>>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %c, %n : tensor<65539xi8>, tensor<3xi64>
}

func.func @e4m3_dequantize(%c: tensor<65539xi8>, %s: f32) -> tensor<65539xf32> {
  %q = fp4.pack %c, %s : tensor<65539xi8>, f32 -> !fp4.qtensor<65539x#fp4.format<e4m3>>
  %y = fp4.dequantize %q : !fp4.qtensor<65539x#fp4.format<e4m3>> -> tensor<65539xf32>
  return %y : tensor<65539xf32>
}

func.func @e5m2_nearest(%x: tensor<65539xf32>, %s: f32) -> (tensor<65539xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s : tensor<65539xf32> -> !fp4.qtensor<65539x#fp4.format<e5m2>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<65539x#fp4.format<e5m2>>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %c, %n : tensor<65539xi8>, tensor<3xi64>
}

func.func @e5m2_sr(%x: tensor<65539xf32>, %s: f32, %seed: i64) -> (tensor<65539xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(6)
      : tensor<65539xf32> -> !fp4.qtensor<65539x#fp4.format<e5m2>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<65539x#fp4.format<e5m2>>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %c, %n : tensor<65539xi8>, tensor<3xi64>
}

func.func @e5m2_dequantize(%c: tensor<65539xi8>, %s: f32) -> tensor<65539xf32> {
  %q = fp4.pack %c, %s : tensor<65539xi8>, f32 -> !fp4.qtensor<65539x#fp4.format<e5m2>>
  %y = fp4.dequantize %q : !fp4.qtensor<65539x#fp4.format<e5m2>> -> tensor<65539xf32>
  return %y : tensor<65539xf32>
}
