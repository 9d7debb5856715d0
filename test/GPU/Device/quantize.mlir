// On a CUDA device: int4 quantization (nearest with counters, stochastic)
// and dequantization of 2^20 + 5 elements by the kernels of fp4-to-nvvm for
// the device's chip, bit for bit equal to the numerics library; the same
// code for an explicit --chip. bench/gpu/run.sh runs the whole numerics
// suite (test/GPU/Numerics) on the device too.
//
// REQUIRES: cuda-device
// RUN: rm -rf %t && mkdir -p %t
// RUN: fp4-numerics-check scalar -o %t/s.npy --f32 0.3
// RUN: fp4-numerics-check scalar -o %t/seed.npy --i64 0x0123456789abcdef
// RUN: fp4-numerics-check gen -o %t/x.npy --count 1048581 --seed 1 --format int4 --scale 0.3 > /dev/null
// RUN: fp4-run %s --device cuda --entry nearest --input %t/x.npy --input %t/s.npy --output %t/c.npy --output %t/n.npy
// RUN: fp4-numerics-check quantize --format int4 --input %t/x.npy --scale 0.3 --codes %t/c.npy --counters %t/n.npy \
// RUN:   | FileCheck %s --check-prefix=NEAREST
// NEAREST: quantize int4 nearest: 1048581 elements, 0 mismatches
// RUN: fp4-run %s --device cuda --chip %cuda_chip --entry stochastic --input %t/x.npy --input %t/s.npy --input %t/seed.npy \
// RUN:   --output %t/r.npy --output %t/m.npy
// RUN: fp4-numerics-check quantize --format int4 --input %t/x.npy --scale 0.3 --codes %t/r.npy --counters %t/m.npy \
// RUN:   --rounding stochastic --seed 0x0123456789abcdef --stream 7 | FileCheck %s --check-prefix=SR
// SR: quantize int4 stochastic: 1048581 elements, 0 mismatches
// RUN: fp4-run %s --device cuda --entry dequantize --input %t/c.npy --input %t/s.npy --output %t/y.npy
// RUN: fp4-numerics-check dequantize --format int4 --codes %t/c.npy --scale 0.3 --values %t/y.npy | FileCheck %s --check-prefix=DEQ
// DEQ: dequantize int4: 1048581 elements, 0 mismatches

func.func @nearest(%x: tensor<1048581xf32>, %s: f32) -> (tensor<524291xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s
      : tensor<1048581xf32> -> !fp4.qtensor<1048581x#fp4.format<int4>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<1048581x#fp4.format<int4>>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %c, %n : tensor<524291xi8>, tensor<3xi64>
}

func.func @stochastic(%x: tensor<1048581xf32>, %s: f32, %seed: i64) -> (tensor<524291xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(7)
      : tensor<1048581xf32> -> !fp4.qtensor<1048581x#fp4.format<int4>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<1048581x#fp4.format<int4>>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  return %c, %n : tensor<524291xi8>, tensor<3xi64>
}

func.func @dequantize(%c: tensor<524291xi8>, %s: f32) -> tensor<1048581xf32> {
  %q = fp4.pack %c, %s : tensor<524291xi8>, f32 -> !fp4.qtensor<1048581x#fp4.format<int4>>
  %y = fp4.dequantize %q : !fp4.qtensor<1048581x#fp4.format<int4>> -> tensor<1048581xf32>
  return %y : tensor<1048581xf32>
}
