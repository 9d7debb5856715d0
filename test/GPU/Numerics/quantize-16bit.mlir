// 16-bit formats (f16, bf16; codes exchanged as float16 arrays): the GPU kernels of quantize (nearest and stochastic, with
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

// f16, scale 1.0.
// RUN: fp4-numerics-check scalar -o %t/s0.npy --f32 1.0
// RUN: fp4-numerics-check gen -o %t/x0.npy --count 65539 --seed 1 --format f16 --scale 1.0 > /dev/null
// RUN: %gpu_run %t/kernels.mlir --entry f16_nearest --input %t/x0.npy --input %t/s0.npy --output %t/c0.npy --output %t/n0.npy
// RUN: fp4-numerics-check quantize --format f16 --input %t/x0.npy --scale 1.0 --codes %t/c0.npy \
// RUN:   --counters %t/n0.npy | FileCheck %s --check-prefix=N0
// N0: quantize f16 nearest: 65539 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry f16_sr --input %t/x0.npy --input %t/s0.npy --input %t/seed.npy \
// RUN:   --output %t/r0.npy --output %t/m0.npy
// RUN: fp4-numerics-check quantize --format f16 --input %t/x0.npy --scale 1.0 --codes %t/r0.npy \
// RUN:   --counters %t/m0.npy --rounding stochastic --seed 0x0123456789abcdef --stream 5 | FileCheck %s --check-prefix=S0
// S0: quantize f16 stochastic: 65539 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry f16_dequantize --input %t/c0.npy --input %t/s0.npy --output %t/y0.npy
// RUN: fp4-numerics-check dequantize --format f16 --codes %t/c0.npy --scale 1.0 --values %t/y0.npy \
// RUN:   | FileCheck %s --check-prefix=D0
// D0: dequantize f16: 65539 elements, 0 mismatches

// bf16, scale 3.7.
// RUN: fp4-numerics-check scalar -o %t/s1.npy --f32 3.7
// RUN: fp4-numerics-check gen -o %t/x1.npy --count 65539 --seed 2 --format bf16 --scale 3.7 > /dev/null
// RUN: %gpu_run %t/kernels.mlir --entry bf16_nearest --input %t/x1.npy --input %t/s1.npy --output %t/c1.npy --output %t/n1.npy
// RUN: fp4-numerics-check quantize --format bf16 --input %t/x1.npy --scale 3.7 --codes %t/c1.npy \
// RUN:   --counters %t/n1.npy | FileCheck %s --check-prefix=N1
// N1: quantize bf16 nearest: 65539 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry bf16_sr --input %t/x1.npy --input %t/s1.npy --input %t/seed.npy \
// RUN:   --output %t/r1.npy --output %t/m1.npy
// RUN: fp4-numerics-check quantize --format bf16 --input %t/x1.npy --scale 3.7 --codes %t/r1.npy \
// RUN:   --counters %t/m1.npy --rounding stochastic --seed 0x0123456789abcdef --stream 6 | FileCheck %s --check-prefix=S1
// S1: quantize bf16 stochastic: 65539 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry bf16_dequantize --input %t/c1.npy --input %t/s1.npy --output %t/y1.npy
// RUN: fp4-numerics-check dequantize --format bf16 --codes %t/c1.npy --scale 3.7 --values %t/y1.npy \
// RUN:   | FileCheck %s --check-prefix=D1
// D1: dequantize bf16: 65539 elements, 0 mismatches

func.func @f16_nearest(%x: tensor<65539xf32>, %s: f32) -> (tensor<65539xf16>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s : tensor<65539xf32> -> !fp4.qtensor<65539x#fp4.format<f16>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<65539x#fp4.format<f16>>
  %h = arith.bitcast %c : tensor<65539xi16> to tensor<65539xf16>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %h, %n : tensor<65539xf16>, tensor<3xi64>
}

func.func @f16_sr(%x: tensor<65539xf32>, %s: f32, %seed: i64) -> (tensor<65539xf16>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(5)
      : tensor<65539xf32> -> !fp4.qtensor<65539x#fp4.format<f16>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<65539x#fp4.format<f16>>
  %h = arith.bitcast %c : tensor<65539xi16> to tensor<65539xf16>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %h, %n : tensor<65539xf16>, tensor<3xi64>
}

func.func @f16_dequantize(%h: tensor<65539xf16>, %s: f32) -> tensor<65539xf32> {
  %c = arith.bitcast %h : tensor<65539xf16> to tensor<65539xi16>
  %q = fp4.pack %c, %s : tensor<65539xi16>, f32 -> !fp4.qtensor<65539x#fp4.format<f16>>
  %y = fp4.dequantize %q : !fp4.qtensor<65539x#fp4.format<f16>> -> tensor<65539xf32>
  return %y : tensor<65539xf32>
}

func.func @bf16_nearest(%x: tensor<65539xf32>, %s: f32) -> (tensor<65539xf16>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s : tensor<65539xf32> -> !fp4.qtensor<65539x#fp4.format<bf16>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<65539x#fp4.format<bf16>>
  %h = arith.bitcast %c : tensor<65539xi16> to tensor<65539xf16>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %h, %n : tensor<65539xf16>, tensor<3xi64>
}

func.func @bf16_sr(%x: tensor<65539xf32>, %s: f32, %seed: i64) -> (tensor<65539xf16>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(6)
      : tensor<65539xf32> -> !fp4.qtensor<65539x#fp4.format<bf16>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<65539x#fp4.format<bf16>>
  %h = arith.bitcast %c : tensor<65539xi16> to tensor<65539xf16>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %h, %n : tensor<65539xf16>, tensor<3xi64>
}

func.func @bf16_dequantize(%h: tensor<65539xf16>, %s: f32) -> tensor<65539xf32> {
  %c = arith.bitcast %h : tensor<65539xf16> to tensor<65539xi16>
  %q = fp4.pack %c, %s : tensor<65539xi16>, f32 -> !fp4.qtensor<65539x#fp4.format<bf16>>
  %y = fp4.dequantize %q : !fp4.qtensor<65539x#fp4.format<bf16>> -> tensor<65539xf32>
  return %y : tensor<65539xf32>
}
