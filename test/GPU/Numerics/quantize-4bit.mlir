// 4-bit formats (radix4 even/odd, radix2_fp4, e2m1, int4, uint4): the GPU kernels of quantize (nearest and stochastic, with
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

// radix4_even, scale 1.0.
// RUN: fp4-numerics-check scalar -o %t/s0.npy --f32 1.0
// RUN: fp4-numerics-check gen -o %t/x0.npy --count 65539 --seed 1 --format radix4_even --scale 1.0 > /dev/null
// RUN: %gpu_run %t/kernels.mlir --entry radix4_even_nearest --input %t/x0.npy --input %t/s0.npy --output %t/c0.npy --output %t/n0.npy
// RUN: fp4-numerics-check quantize --format radix4_even --input %t/x0.npy --scale 1.0 --codes %t/c0.npy \
// RUN:   --counters %t/n0.npy | FileCheck %s --check-prefix=N0
// N0: quantize radix4_even nearest: 65539 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry radix4_even_sr --input %t/x0.npy --input %t/s0.npy --input %t/seed.npy \
// RUN:   --output %t/r0.npy --output %t/m0.npy
// RUN: fp4-numerics-check quantize --format radix4_even --input %t/x0.npy --scale 1.0 --codes %t/r0.npy \
// RUN:   --counters %t/m0.npy --rounding stochastic --seed 0x0123456789abcdef --stream 5 | FileCheck %s --check-prefix=S0
// S0: quantize radix4_even stochastic: 65539 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry radix4_even_dequantize --input %t/c0.npy --input %t/s0.npy --output %t/y0.npy
// RUN: fp4-numerics-check dequantize --format radix4_even --codes %t/c0.npy --scale 1.0 --values %t/y0.npy \
// RUN:   | FileCheck %s --check-prefix=D0
// D0: dequantize radix4_even: 65539 elements, 0 mismatches

// radix4_odd, scale 3.7.
// RUN: fp4-numerics-check scalar -o %t/s1.npy --f32 3.7
// RUN: fp4-numerics-check gen -o %t/x1.npy --count 65539 --seed 2 --format radix4_odd --scale 3.7 > /dev/null
// RUN: %gpu_run %t/kernels.mlir --entry radix4_odd_nearest --input %t/x1.npy --input %t/s1.npy --output %t/c1.npy --output %t/n1.npy
// RUN: fp4-numerics-check quantize --format radix4_odd --input %t/x1.npy --scale 3.7 --codes %t/c1.npy \
// RUN:   --counters %t/n1.npy | FileCheck %s --check-prefix=N1
// N1: quantize radix4_odd nearest: 65539 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry radix4_odd_sr --input %t/x1.npy --input %t/s1.npy --input %t/seed.npy \
// RUN:   --output %t/r1.npy --output %t/m1.npy
// RUN: fp4-numerics-check quantize --format radix4_odd --input %t/x1.npy --scale 3.7 --codes %t/r1.npy \
// RUN:   --counters %t/m1.npy --rounding stochastic --seed 0x0123456789abcdef --stream 6 | FileCheck %s --check-prefix=S1
// S1: quantize radix4_odd stochastic: 65539 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry radix4_odd_dequantize --input %t/c1.npy --input %t/s1.npy --output %t/y1.npy
// RUN: fp4-numerics-check dequantize --format radix4_odd --codes %t/c1.npy --scale 3.7 --values %t/y1.npy \
// RUN:   | FileCheck %s --check-prefix=D1
// D1: dequantize radix4_odd: 65539 elements, 0 mismatches

// radix2_fp4, scale 0.3.
// RUN: fp4-numerics-check scalar -o %t/s2.npy --f32 0.3
// RUN: fp4-numerics-check gen -o %t/x2.npy --count 65539 --seed 3 --format radix2_fp4 --scale 0.3 > /dev/null
// RUN: %gpu_run %t/kernels.mlir --entry radix2_fp4_nearest --input %t/x2.npy --input %t/s2.npy --output %t/c2.npy --output %t/n2.npy
// RUN: fp4-numerics-check quantize --format radix2_fp4 --input %t/x2.npy --scale 0.3 --codes %t/c2.npy \
// RUN:   --counters %t/n2.npy | FileCheck %s --check-prefix=N2
// N2: quantize radix2_fp4 nearest: 65539 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry radix2_fp4_sr --input %t/x2.npy --input %t/s2.npy --input %t/seed.npy \
// RUN:   --output %t/r2.npy --output %t/m2.npy
// RUN: fp4-numerics-check quantize --format radix2_fp4 --input %t/x2.npy --scale 0.3 --codes %t/r2.npy \
// RUN:   --counters %t/m2.npy --rounding stochastic --seed 0x0123456789abcdef --stream 7 | FileCheck %s --check-prefix=S2
// S2: quantize radix2_fp4 stochastic: 65539 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry radix2_fp4_dequantize --input %t/c2.npy --input %t/s2.npy --output %t/y2.npy
// RUN: fp4-numerics-check dequantize --format radix2_fp4 --codes %t/c2.npy --scale 0.3 --values %t/y2.npy \
// RUN:   | FileCheck %s --check-prefix=D2
// D2: dequantize radix2_fp4: 65539 elements, 0 mismatches

// e2m1, scale 1.0.
// RUN: fp4-numerics-check scalar -o %t/s3.npy --f32 1.0
// RUN: fp4-numerics-check gen -o %t/x3.npy --count 65539 --seed 4 --format e2m1 --scale 1.0 > /dev/null
// RUN: %gpu_run %t/kernels.mlir --entry e2m1_nearest --input %t/x3.npy --input %t/s3.npy --output %t/c3.npy --output %t/n3.npy
// RUN: fp4-numerics-check quantize --format e2m1 --input %t/x3.npy --scale 1.0 --codes %t/c3.npy \
// RUN:   --counters %t/n3.npy | FileCheck %s --check-prefix=N3
// N3: quantize e2m1 nearest: 65539 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry e2m1_sr --input %t/x3.npy --input %t/s3.npy --input %t/seed.npy \
// RUN:   --output %t/r3.npy --output %t/m3.npy
// RUN: fp4-numerics-check quantize --format e2m1 --input %t/x3.npy --scale 1.0 --codes %t/r3.npy \
// RUN:   --counters %t/m3.npy --rounding stochastic --seed 0x0123456789abcdef --stream 8 | FileCheck %s --check-prefix=S3
// S3: quantize e2m1 stochastic: 65539 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry e2m1_dequantize --input %t/c3.npy --input %t/s3.npy --output %t/y3.npy
// RUN: fp4-numerics-check dequantize --format e2m1 --codes %t/c3.npy --scale 1.0 --values %t/y3.npy \
// RUN:   | FileCheck %s --check-prefix=D3
// D3: dequantize e2m1: 65539 elements, 0 mismatches

// int4, scale 0.125.
// RUN: fp4-numerics-check scalar -o %t/s4.npy --f32 0.125
// RUN: fp4-numerics-check gen -o %t/x4.npy --count 65539 --seed 5 --format int4 --scale 0.125 > /dev/null
// RUN: %gpu_run %t/kernels.mlir --entry int4_nearest --input %t/x4.npy --input %t/s4.npy --output %t/c4.npy --output %t/n4.npy
// RUN: fp4-numerics-check quantize --format int4 --input %t/x4.npy --scale 0.125 --codes %t/c4.npy \
// RUN:   --counters %t/n4.npy | FileCheck %s --check-prefix=N4
// N4: quantize int4 nearest: 65539 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry int4_sr --input %t/x4.npy --input %t/s4.npy --input %t/seed.npy \
// RUN:   --output %t/r4.npy --output %t/m4.npy
// RUN: fp4-numerics-check quantize --format int4 --input %t/x4.npy --scale 0.125 --codes %t/r4.npy \
// RUN:   --counters %t/m4.npy --rounding stochastic --seed 0x0123456789abcdef --stream 9 | FileCheck %s --check-prefix=S4
// S4: quantize int4 stochastic: 65539 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry int4_dequantize --input %t/c4.npy --input %t/s4.npy --output %t/y4.npy
// RUN: fp4-numerics-check dequantize --format int4 --codes %t/c4.npy --scale 0.125 --values %t/y4.npy \
// RUN:   | FileCheck %s --check-prefix=D4
// D4: dequantize int4: 65539 elements, 0 mismatches

// uint4, scale 3.7.
// RUN: fp4-numerics-check scalar -o %t/s5.npy --f32 3.7
// RUN: fp4-numerics-check gen -o %t/x5.npy --count 65539 --seed 6 --format uint4 --scale 3.7 > /dev/null
// RUN: %gpu_run %t/kernels.mlir --entry uint4_nearest --input %t/x5.npy --input %t/s5.npy --output %t/c5.npy --output %t/n5.npy
// RUN: fp4-numerics-check quantize --format uint4 --input %t/x5.npy --scale 3.7 --codes %t/c5.npy \
// RUN:   --counters %t/n5.npy | FileCheck %s --check-prefix=N5
// N5: quantize uint4 nearest: 65539 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry uint4_sr --input %t/x5.npy --input %t/s5.npy --input %t/seed.npy \
// RUN:   --output %t/r5.npy --output %t/m5.npy
// RUN: fp4-numerics-check quantize --format uint4 --input %t/x5.npy --scale 3.7 --codes %t/r5.npy \
// RUN:   --counters %t/m5.npy --rounding stochastic --seed 0x0123456789abcdef --stream 10 | FileCheck %s --check-prefix=S5
// S5: quantize uint4 stochastic: 65539 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry uint4_dequantize --input %t/c5.npy --input %t/s5.npy --output %t/y5.npy
// RUN: fp4-numerics-check dequantize --format uint4 --codes %t/c5.npy --scale 3.7 --values %t/y5.npy \
// RUN:   | FileCheck %s --check-prefix=D5
// D5: dequantize uint4: 65539 elements, 0 mismatches

func.func @radix4_even_nearest(%x: tensor<65539xf32>, %s: f32) -> (tensor<32770xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s : tensor<65539xf32> -> !fp4.qtensor<65539x#fp4.format<radix4, even>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<65539x#fp4.format<radix4, even>>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %c, %n : tensor<32770xi8>, tensor<3xi64>
}

func.func @radix4_even_sr(%x: tensor<65539xf32>, %s: f32, %seed: i64) -> (tensor<32770xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(5)
      : tensor<65539xf32> -> !fp4.qtensor<65539x#fp4.format<radix4, even>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<65539x#fp4.format<radix4, even>>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %c, %n : tensor<32770xi8>, tensor<3xi64>
}

func.func @radix4_even_dequantize(%c: tensor<32770xi8>, %s: f32) -> tensor<65539xf32> {
  %q = fp4.pack %c, %s : tensor<32770xi8>, f32 -> !fp4.qtensor<65539x#fp4.format<radix4, even>>
  %y = fp4.dequantize %q : !fp4.qtensor<65539x#fp4.format<radix4, even>> -> tensor<65539xf32>
  return %y : tensor<65539xf32>
}

func.func @radix4_odd_nearest(%x: tensor<65539xf32>, %s: f32) -> (tensor<32770xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s : tensor<65539xf32> -> !fp4.qtensor<65539x#fp4.format<radix4, odd>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<65539x#fp4.format<radix4, odd>>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %c, %n : tensor<32770xi8>, tensor<3xi64>
}

func.func @radix4_odd_sr(%x: tensor<65539xf32>, %s: f32, %seed: i64) -> (tensor<32770xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(6)
      : tensor<65539xf32> -> !fp4.qtensor<65539x#fp4.format<radix4, odd>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<65539x#fp4.format<radix4, odd>>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %c, %n : tensor<32770xi8>, tensor<3xi64>
}

func.func @radix4_odd_dequantize(%c: tensor<32770xi8>, %s: f32) -> tensor<65539xf32> {
  %q = fp4.pack %c, %s : tensor<32770xi8>, f32 -> !fp4.qtensor<65539x#fp4.format<radix4, odd>>
  %y = fp4.dequantize %q : !fp4.qtensor<65539x#fp4.format<radix4, odd>> -> tensor<65539xf32>
  return %y : tensor<65539xf32>
}

func.func @radix2_fp4_nearest(%x: tensor<65539xf32>, %s: f32) -> (tensor<32770xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s : tensor<65539xf32> -> !fp4.qtensor<65539x#fp4.format<radix2_fp4>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<65539x#fp4.format<radix2_fp4>>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %c, %n : tensor<32770xi8>, tensor<3xi64>
}

func.func @radix2_fp4_sr(%x: tensor<65539xf32>, %s: f32, %seed: i64) -> (tensor<32770xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(7)
      : tensor<65539xf32> -> !fp4.qtensor<65539x#fp4.format<radix2_fp4>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<65539x#fp4.format<radix2_fp4>>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %c, %n : tensor<32770xi8>, tensor<3xi64>
}

func.func @radix2_fp4_dequantize(%c: tensor<32770xi8>, %s: f32) -> tensor<65539xf32> {
  %q = fp4.pack %c, %s : tensor<32770xi8>, f32 -> !fp4.qtensor<65539x#fp4.format<radix2_fp4>>
  %y = fp4.dequantize %q : !fp4.qtensor<65539x#fp4.format<radix2_fp4>> -> tensor<65539xf32>
  return %y : tensor<65539xf32>
}

func.func @e2m1_nearest(%x: tensor<65539xf32>, %s: f32) -> (tensor<32770xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s : tensor<65539xf32> -> !fp4.qtensor<65539x#fp4.format<e2m1>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<65539x#fp4.format<e2m1>>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %c, %n : tensor<32770xi8>, tensor<3xi64>
}

func.func @e2m1_sr(%x: tensor<65539xf32>, %s: f32, %seed: i64) -> (tensor<32770xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(8)
      : tensor<65539xf32> -> !fp4.qtensor<65539x#fp4.format<e2m1>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<65539x#fp4.format<e2m1>>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %c, %n : tensor<32770xi8>, tensor<3xi64>
}

func.func @e2m1_dequantize(%c: tensor<32770xi8>, %s: f32) -> tensor<65539xf32> {
  %q = fp4.pack %c, %s : tensor<32770xi8>, f32 -> !fp4.qtensor<65539x#fp4.format<e2m1>>
  %y = fp4.dequantize %q : !fp4.qtensor<65539x#fp4.format<e2m1>> -> tensor<65539xf32>
  return %y : tensor<65539xf32>
}

func.func @int4_nearest(%x: tensor<65539xf32>, %s: f32) -> (tensor<32770xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s : tensor<65539xf32> -> !fp4.qtensor<65539x#fp4.format<int4>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<65539x#fp4.format<int4>>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %c, %n : tensor<32770xi8>, tensor<3xi64>
}

func.func @int4_sr(%x: tensor<65539xf32>, %s: f32, %seed: i64) -> (tensor<32770xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(9)
      : tensor<65539xf32> -> !fp4.qtensor<65539x#fp4.format<int4>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<65539x#fp4.format<int4>>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %c, %n : tensor<32770xi8>, tensor<3xi64>
}

func.func @int4_dequantize(%c: tensor<32770xi8>, %s: f32) -> tensor<65539xf32> {
  %q = fp4.pack %c, %s : tensor<32770xi8>, f32 -> !fp4.qtensor<65539x#fp4.format<int4>>
  %y = fp4.dequantize %q : !fp4.qtensor<65539x#fp4.format<int4>> -> tensor<65539xf32>
  return %y : tensor<65539xf32>
}

func.func @uint4_nearest(%x: tensor<65539xf32>, %s: f32) -> (tensor<32770xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s : tensor<65539xf32> -> !fp4.qtensor<65539x#fp4.format<uint4>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<65539x#fp4.format<uint4>>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %c, %n : tensor<32770xi8>, tensor<3xi64>
}

func.func @uint4_sr(%x: tensor<65539xf32>, %s: f32, %seed: i64) -> (tensor<32770xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(10)
      : tensor<65539xf32> -> !fp4.qtensor<65539x#fp4.format<uint4>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<65539x#fp4.format<uint4>>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %c, %n : tensor<32770xi8>, tensor<3xi64>
}

func.func @uint4_dequantize(%c: tensor<32770xi8>, %s: f32) -> tensor<65539xf32> {
  %q = fp4.pack %c, %s : tensor<32770xi8>, f32 -> !fp4.qtensor<65539x#fp4.format<uint4>>
  %y = fp4.dequantize %q : !fp4.qtensor<65539x#fp4.format<uint4>> -> tensor<65539xf32>
  return %y : tensor<65539xf32>
}
