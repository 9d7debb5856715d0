// Quantization to e2m1 compiled for the CPU (fp4-run), compared bit for
// bit with the numerics library by fp4-numerics-check: nearest and stochastic
// codes with their saturated/flushed/non-finite counters, and dequantize.
// The inputs start with every special value of the format (grid values, ties
// and their f32 neighbours, thresholds, saturation boundaries, +-0, +-Inf,
// NaNs, f32 subnormals; mapped through the scale so that x * scale hits them)
// followed by random f32 bit patterns and random values of exponent -40..20.
// Scales 1.0, 0.125 and 3.7 on 2^20 elements, 0.3 on 1000003 elements (a
// vector tail and, for 4-bit formats, the padding nibble).
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: fp4-numerics-check scalar -o %t/seed.npy --i64 0x0123456789abcdef

// Scale 1.0, 1048576 elements.
// RUN: fp4-numerics-check scalar -o %t/sa.npy --f32 1.0
// RUN: fp4-numerics-check gen -o %t/xa.npy --count 1048576 --seed 1 --format e2m1 --scale 1.0 \
// RUN:   | FileCheck %s --check-prefix=GENA
// GENA: gen: 1048576 values, {{[1-9][0-9]*}} specials
// RUN: fp4-run %s --entry nearest --input %t/xa.npy --input %t/sa.npy --output %t/ca.npy --output %t/na.npy
// RUN: fp4-numerics-check quantize --format e2m1 --input %t/xa.npy --scale 1.0 --codes %t/ca.npy \
// RUN:   --counters %t/na.npy | FileCheck %s --check-prefix=NEARESTA
// NEARESTA: quantize e2m1 nearest: 1048576 elements, 0 mismatches
// RUN: fp4-run %s --entry dequantize --input %t/ca.npy --input %t/sa.npy --output %t/ya.npy
// RUN: fp4-numerics-check dequantize --format e2m1 --codes %t/ca.npy --scale 1.0 --values %t/ya.npy \
// RUN:   | FileCheck %s --check-prefix=DEQA
// DEQA: dequantize e2m1: 1048576 elements, 0 mismatches
// RUN: fp4-run %s --entry stochastic --input %t/xa.npy --input %t/sa.npy --input %t/seed.npy \
// RUN:   --output %t/ra.npy --output %t/ma.npy
// RUN: fp4-numerics-check quantize --format e2m1 --input %t/xa.npy --scale 1.0 --codes %t/ra.npy \
// RUN:   --counters %t/ma.npy --rounding stochastic --seed 0x0123456789abcdef --stream 7 \
// RUN:   | FileCheck %s --check-prefix=SRA
// SRA: quantize e2m1 stochastic: 1048576 elements, 0 mismatches

// Scale 0.125, 1048576 elements.
// RUN: fp4-numerics-check scalar -o %t/sb.npy --f32 0.125
// RUN: fp4-numerics-check gen -o %t/xb.npy --count 1048576 --seed 2 --format e2m1 --scale 0.125 \
// RUN:   | FileCheck %s --check-prefix=GENB
// GENB: gen: 1048576 values, {{[1-9][0-9]*}} specials
// RUN: fp4-run %s --entry nearest --input %t/xb.npy --input %t/sb.npy --output %t/cb.npy --output %t/nb.npy
// RUN: fp4-numerics-check quantize --format e2m1 --input %t/xb.npy --scale 0.125 --codes %t/cb.npy \
// RUN:   --counters %t/nb.npy | FileCheck %s --check-prefix=NEARESTB
// NEARESTB: quantize e2m1 nearest: 1048576 elements, 0 mismatches
// RUN: fp4-run %s --entry dequantize --input %t/cb.npy --input %t/sb.npy --output %t/yb.npy
// RUN: fp4-numerics-check dequantize --format e2m1 --codes %t/cb.npy --scale 0.125 --values %t/yb.npy \
// RUN:   | FileCheck %s --check-prefix=DEQB
// DEQB: dequantize e2m1: 1048576 elements, 0 mismatches
// RUN: fp4-run %s --entry stochastic --input %t/xb.npy --input %t/sb.npy --input %t/seed.npy \
// RUN:   --output %t/rb.npy --output %t/mb.npy
// RUN: fp4-numerics-check quantize --format e2m1 --input %t/xb.npy --scale 0.125 --codes %t/rb.npy \
// RUN:   --counters %t/mb.npy --rounding stochastic --seed 0x0123456789abcdef --stream 7 \
// RUN:   | FileCheck %s --check-prefix=SRB
// SRB: quantize e2m1 stochastic: 1048576 elements, 0 mismatches

// Scale 3.7, 1048576 elements.
// RUN: fp4-numerics-check scalar -o %t/sc.npy --f32 3.7
// RUN: fp4-numerics-check gen -o %t/xc.npy --count 1048576 --seed 3 --format e2m1 --scale 3.7 \
// RUN:   | FileCheck %s --check-prefix=GENC
// GENC: gen: 1048576 values, {{[1-9][0-9]*}} specials
// RUN: fp4-run %s --entry nearest --input %t/xc.npy --input %t/sc.npy --output %t/cc.npy --output %t/nc.npy
// RUN: fp4-numerics-check quantize --format e2m1 --input %t/xc.npy --scale 3.7 --codes %t/cc.npy \
// RUN:   --counters %t/nc.npy | FileCheck %s --check-prefix=NEARESTC
// NEARESTC: quantize e2m1 nearest: 1048576 elements, 0 mismatches
// RUN: fp4-run %s --entry dequantize --input %t/cc.npy --input %t/sc.npy --output %t/yc.npy
// RUN: fp4-numerics-check dequantize --format e2m1 --codes %t/cc.npy --scale 3.7 --values %t/yc.npy \
// RUN:   | FileCheck %s --check-prefix=DEQC
// DEQC: dequantize e2m1: 1048576 elements, 0 mismatches
// RUN: fp4-run %s --entry stochastic --input %t/xc.npy --input %t/sc.npy --input %t/seed.npy \
// RUN:   --output %t/rc.npy --output %t/mc.npy
// RUN: fp4-numerics-check quantize --format e2m1 --input %t/xc.npy --scale 3.7 --codes %t/rc.npy \
// RUN:   --counters %t/mc.npy --rounding stochastic --seed 0x0123456789abcdef --stream 7 \
// RUN:   | FileCheck %s --check-prefix=SRC
// SRC: quantize e2m1 stochastic: 1048576 elements, 0 mismatches

// Scale 0.3, 1000003 elements.
// RUN: fp4-numerics-check scalar -o %t/sd.npy --f32 0.3
// RUN: fp4-numerics-check gen -o %t/xd.npy --count 1000003 --seed 4 --format e2m1 --scale 0.3 \
// RUN:   | FileCheck %s --check-prefix=GEND
// GEND: gen: 1000003 values, {{[1-9][0-9]*}} specials
// RUN: fp4-run %s --entry nearest_odd --input %t/xd.npy --input %t/sd.npy --output %t/cd.npy --output %t/nd.npy
// RUN: fp4-numerics-check quantize --format e2m1 --input %t/xd.npy --scale 0.3 --codes %t/cd.npy \
// RUN:   --counters %t/nd.npy | FileCheck %s --check-prefix=NEARESTD
// NEARESTD: quantize e2m1 nearest: 1000003 elements, 0 mismatches
// RUN: fp4-run %s --entry dequantize_odd --input %t/cd.npy --input %t/sd.npy --output %t/yd.npy
// RUN: fp4-numerics-check dequantize --format e2m1 --codes %t/cd.npy --scale 0.3 --values %t/yd.npy \
// RUN:   | FileCheck %s --check-prefix=DEQD
// DEQD: dequantize e2m1: 1000003 elements, 0 mismatches
// RUN: fp4-run %s --entry stochastic_odd --input %t/xd.npy --input %t/sd.npy --input %t/seed.npy \
// RUN:   --output %t/rd.npy --output %t/md.npy
// RUN: fp4-numerics-check quantize --format e2m1 --input %t/xd.npy --scale 0.3 --codes %t/rd.npy \
// RUN:   --counters %t/md.npy --rounding stochastic --seed 0x0123456789abcdef --stream 11 \
// RUN:   | FileCheck %s --check-prefix=SRD
// SRD: quantize e2m1 stochastic: 1000003 elements, 0 mismatches


func.func @nearest(%x: tensor<1048576xf32>, %s: f32) -> (tensor<524288xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nonfinite = fp4.quantize %x, %s
      : tensor<1048576xf32> -> !fp4.qtensor<1048576x#fp4.format<e2m1>>, i64, i64, i64
  %codes, %scale = fp4.unpack %q : !fp4.qtensor<1048576x#fp4.format<e2m1>>
  %counters = tensor.from_elements %sat, %flush, %nonfinite : tensor<3xi64>
  return %codes, %counters : tensor<524288xi8>, tensor<3xi64>
}

func.func @stochastic(%x: tensor<1048576xf32>, %s: f32, %seed: i64) -> (tensor<524288xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nonfinite = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(7)
      : tensor<1048576xf32> -> !fp4.qtensor<1048576x#fp4.format<e2m1>>, i64, i64, i64
  %codes, %scale = fp4.unpack %q : !fp4.qtensor<1048576x#fp4.format<e2m1>>
  %counters = tensor.from_elements %sat, %flush, %nonfinite : tensor<3xi64>
  return %codes, %counters : tensor<524288xi8>, tensor<3xi64>
}

func.func @dequantize(%c: tensor<524288xi8>, %s: f32) -> tensor<1048576xf32> {
  %q = fp4.pack %c, %s : tensor<524288xi8>, f32 -> !fp4.qtensor<1048576x#fp4.format<e2m1>>
  %y = fp4.dequantize %q : !fp4.qtensor<1048576x#fp4.format<e2m1>> -> tensor<1048576xf32>
  return %y : tensor<1048576xf32>
}

func.func @nearest_odd(%x: tensor<1000003xf32>, %s: f32) -> (tensor<500002xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nonfinite = fp4.quantize %x, %s
      : tensor<1000003xf32> -> !fp4.qtensor<1000003x#fp4.format<e2m1>>, i64, i64, i64
  %codes, %scale = fp4.unpack %q : !fp4.qtensor<1000003x#fp4.format<e2m1>>
  %counters = tensor.from_elements %sat, %flush, %nonfinite : tensor<3xi64>
  return %codes, %counters : tensor<500002xi8>, tensor<3xi64>
}

func.func @stochastic_odd(%x: tensor<1000003xf32>, %s: f32, %seed: i64) -> (tensor<500002xi8>, tensor<3xi64>) {
  %q, %sat, %flush, %nonfinite = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(11)
      : tensor<1000003xf32> -> !fp4.qtensor<1000003x#fp4.format<e2m1>>, i64, i64, i64
  %codes, %scale = fp4.unpack %q : !fp4.qtensor<1000003x#fp4.format<e2m1>>
  %counters = tensor.from_elements %sat, %flush, %nonfinite : tensor<3xi64>
  return %codes, %counters : tensor<500002xi8>, tensor<3xi64>
}

func.func @dequantize_odd(%c: tensor<500002xi8>, %s: f32) -> tensor<1000003xf32> {
  %q = fp4.pack %c, %s : tensor<500002xi8>, f32 -> !fp4.qtensor<1000003x#fp4.format<e2m1>>
  %y = fp4.dequantize %q : !fp4.qtensor<1000003x#fp4.format<e2m1>> -> tensor<1000003xf32>
  return %y : tensor<1000003xf32>
}
