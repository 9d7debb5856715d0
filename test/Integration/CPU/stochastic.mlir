// Stochastic rounding compiled for the CPU (SPEC 5):
// - unbiased: for several values x per format, 10^6 copies of x are quantized
//   stochastically and the mean of the decoded codes must be within 5 sigma
//   of x (sigma = (hi - lo) sqrt(p (1 - p) / N)); sr-mean also rejects any
//   code other than the two neighbours lo, hi of x. Each format has its own
//   seed, so the formats' means are independent samples;
// - reproducible: the same seed and stream give identical codes in two runs,
//   another seed or another stream gives different codes (and the other
//   stream's codes are still exactly the library's).
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: fp4-numerics-check scalar -o %t/seed.npy --i64 20260601
// RUN: fp4-numerics-check scalar -o %t/seed2.npy --i64 20260602
// RUN: fp4-numerics-check scalar -o %t/seed-radix4_even.npy --i64 1000
// RUN: fp4-numerics-check scalar -o %t/seed-radix4_odd.npy --i64 8919
// RUN: fp4-numerics-check scalar -o %t/seed-radix2_fp4.npy --i64 16838
// RUN: fp4-numerics-check scalar -o %t/seed-e2m1.npy --i64 24757
// RUN: fp4-numerics-check scalar -o %t/seed-int4.npy --i64 32676
// RUN: fp4-numerics-check scalar -o %t/seed-uint4.npy --i64 40595
// RUN: fp4-numerics-check scalar -o %t/seed-e4m3.npy --i64 48514
// RUN: fp4-numerics-check scalar -o %t/seed-e5m2.npy --i64 56433
// RUN: fp4-numerics-check scalar -o %t/seed-f16.npy --i64 64352
// RUN: fp4-numerics-check scalar -o %t/seed-bf16.npy --i64 72271
// RUN: fp4-numerics-check gen -o %t/vm20.npy --count 1000000 --constant -20
// RUN: fp4-numerics-check gen -o %t/vm6p5.npy --count 1000000 --constant -6.5
// RUN: fp4-numerics-check gen -o %t/vm5p5.npy --count 1000000 --constant -5.5
// RUN: fp4-numerics-check gen -o %t/vm3p3.npy --count 1000000 --constant -3.3
// RUN: fp4-numerics-check gen -o %t/vm2p25.npy --count 1000000 --constant -2.25
// RUN: fp4-numerics-check gen -o %t/vm0p01.npy --count 1000000 --constant -0.01
// RUN: fp4-numerics-check gen -o %t/v1em6.npy --count 1000000 --constant 1e-6
// RUN: fp4-numerics-check gen -o %t/v1em5.npy --count 1000000 --constant 1e-5
// RUN: fp4-numerics-check gen -o %t/v0p001.npy --count 1000000 --constant 0.001
// RUN: fp4-numerics-check gen -o %t/v0p1.npy --count 1000000 --constant 0.1
// RUN: fp4-numerics-check gen -o %t/v0p3.npy --count 1000000 --constant 0.3
// RUN: fp4-numerics-check gen -o %t/v0p5.npy --count 1000000 --constant 0.5
// RUN: fp4-numerics-check gen -o %t/v2.npy --count 1000000 --constant 2
// RUN: fp4-numerics-check gen -o %t/v2p7.npy --count 1000000 --constant 2.7
// RUN: fp4-numerics-check gen -o %t/v3.npy --count 1000000 --constant 3
// RUN: fp4-numerics-check gen -o %t/v5.npy --count 1000000 --constant 5
// RUN: fp4-numerics-check gen -o %t/v6p9.npy --count 1000000 --constant 6.9
// RUN: fp4-numerics-check gen -o %t/v14p2.npy --count 1000000 --constant 14.2
// RUN: fp4-numerics-check gen -o %t/v30.npy --count 1000000 --constant 30
// RUN: fp4-numerics-check gen -o %t/v300.npy --count 1000000 --constant 300
// RUN: fp4-numerics-check gen -o %t/v1000.npy --count 1000000 --constant 1000
// RUN: fp4-numerics-check gen -o %t/v1000p3.npy --count 1000000 --constant 1000.3
// RUN: fp4-numerics-check scalar -o %t/s1.npy --f32 1
// RUN: fp4-numerics-check scalar -o %t/s3.7.npy --f32 3.7

// radix4_even
// RUN: fp4-run %s --entry sr_radix4_even --input %t/v0p3.npy --input %t/s1.npy --input %t/seed-radix4_even.npy --output %t/c0.npy
// RUN: fp4-numerics-check sr-mean --format radix4_even --value 0.3 --scale 1 --codes %t/c0.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_radix4_even --input %t/v2.npy --input %t/s1.npy --input %t/seed-radix4_even.npy --output %t/c1.npy
// RUN: fp4-numerics-check sr-mean --format radix4_even --value 2 --scale 1 --codes %t/c1.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_radix4_even --input %t/v30.npy --input %t/s1.npy --input %t/seed-radix4_even.npy --output %t/c2.npy
// RUN: fp4-numerics-check sr-mean --format radix4_even --value 30 --scale 1 --codes %t/c2.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_radix4_even --input %t/vm0p01.npy --input %t/s1.npy --input %t/seed-radix4_even.npy --output %t/c3.npy
// RUN: fp4-numerics-check sr-mean --format radix4_even --value -0.01 --scale 1 --codes %t/c3.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_radix4_even --input %t/v0p1.npy --input %t/s3.7.npy --input %t/seed-radix4_even.npy --output %t/c4.npy
// RUN: fp4-numerics-check sr-mean --format radix4_even --value 0.1 --scale 3.7 --codes %t/c4.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN

// radix4_odd
// RUN: fp4-run %s --entry sr_radix4_odd --input %t/v0p3.npy --input %t/s1.npy --input %t/seed-radix4_odd.npy --output %t/c5.npy
// RUN: fp4-numerics-check sr-mean --format radix4_odd --value 0.3 --scale 1 --codes %t/c5.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_radix4_odd --input %t/v5.npy --input %t/s1.npy --input %t/seed-radix4_odd.npy --output %t/c6.npy
// RUN: fp4-numerics-check sr-mean --format radix4_odd --value 5 --scale 1 --codes %t/c6.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_radix4_odd --input %t/vm20.npy --input %t/s1.npy --input %t/seed-radix4_odd.npy --output %t/c7.npy
// RUN: fp4-numerics-check sr-mean --format radix4_odd --value -20 --scale 1 --codes %t/c7.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN

// radix2_fp4
// RUN: fp4-run %s --entry sr_radix2_fp4 --input %t/v0p1.npy --input %t/s1.npy --input %t/seed-radix2_fp4.npy --output %t/c8.npy
// RUN: fp4-numerics-check sr-mean --format radix2_fp4 --value 0.1 --scale 1 --codes %t/c8.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_radix2_fp4 --input %t/v3.npy --input %t/s1.npy --input %t/seed-radix2_fp4.npy --output %t/c9.npy
// RUN: fp4-numerics-check sr-mean --format radix2_fp4 --value 3 --scale 1 --codes %t/c9.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_radix2_fp4 --input %t/vm6p5.npy --input %t/s1.npy --input %t/seed-radix2_fp4.npy --output %t/c10.npy
// RUN: fp4-numerics-check sr-mean --format radix2_fp4 --value -6.5 --scale 1 --codes %t/c10.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN

// e2m1
// RUN: fp4-run %s --entry sr_e2m1 --input %t/v0p3.npy --input %t/s1.npy --input %t/seed-e2m1.npy --output %t/c11.npy
// RUN: fp4-numerics-check sr-mean --format e2m1 --value 0.3 --scale 1 --codes %t/c11.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_e2m1 --input %t/v2p7.npy --input %t/s1.npy --input %t/seed-e2m1.npy --output %t/c12.npy
// RUN: fp4-numerics-check sr-mean --format e2m1 --value 2.7 --scale 1 --codes %t/c12.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_e2m1 --input %t/vm5p5.npy --input %t/s1.npy --input %t/seed-e2m1.npy --output %t/c13.npy
// RUN: fp4-numerics-check sr-mean --format e2m1 --value -5.5 --scale 1 --codes %t/c13.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_e2m1 --input %t/v0p1.npy --input %t/s3.7.npy --input %t/seed-e2m1.npy --output %t/c14.npy
// RUN: fp4-numerics-check sr-mean --format e2m1 --value 0.1 --scale 3.7 --codes %t/c14.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN

// int4
// RUN: fp4-run %s --entry sr_int4 --input %t/v0p3.npy --input %t/s1.npy --input %t/seed-int4.npy --output %t/c15.npy
// RUN: fp4-numerics-check sr-mean --format int4 --value 0.3 --scale 1 --codes %t/c15.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_int4 --input %t/vm2p25.npy --input %t/s1.npy --input %t/seed-int4.npy --output %t/c16.npy
// RUN: fp4-numerics-check sr-mean --format int4 --value -2.25 --scale 1 --codes %t/c16.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_int4 --input %t/v6p9.npy --input %t/s1.npy --input %t/seed-int4.npy --output %t/c17.npy
// RUN: fp4-numerics-check sr-mean --format int4 --value 6.9 --scale 1 --codes %t/c17.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN

// uint4
// RUN: fp4-run %s --entry sr_uint4 --input %t/v0p5.npy --input %t/s1.npy --input %t/seed-uint4.npy --output %t/c18.npy
// RUN: fp4-numerics-check sr-mean --format uint4 --value 0.5 --scale 1 --codes %t/c18.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_uint4 --input %t/v14p2.npy --input %t/s1.npy --input %t/seed-uint4.npy --output %t/c19.npy
// RUN: fp4-numerics-check sr-mean --format uint4 --value 14.2 --scale 1 --codes %t/c19.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_uint4 --input %t/v2p7.npy --input %t/s3.7.npy --input %t/seed-uint4.npy --output %t/c20.npy
// RUN: fp4-numerics-check sr-mean --format uint4 --value 2.7 --scale 3.7 --codes %t/c20.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN

// e4m3
// RUN: fp4-run %s --entry sr_e4m3 --input %t/v0p3.npy --input %t/s1.npy --input %t/seed-e4m3.npy --output %t/c21.npy
// RUN: fp4-numerics-check sr-mean --format e4m3 --value 0.3 --scale 1 --codes %t/c21.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_e4m3 --input %t/v300.npy --input %t/s1.npy --input %t/seed-e4m3.npy --output %t/c22.npy
// RUN: fp4-numerics-check sr-mean --format e4m3 --value 300 --scale 1 --codes %t/c22.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_e4m3 --input %t/v0p001.npy --input %t/s1.npy --input %t/seed-e4m3.npy --output %t/c23.npy
// RUN: fp4-numerics-check sr-mean --format e4m3 --value 0.001 --scale 1 --codes %t/c23.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN

// e5m2
// RUN: fp4-run %s --entry sr_e5m2 --input %t/v0p3.npy --input %t/s1.npy --input %t/seed-e5m2.npy --output %t/c24.npy
// RUN: fp4-numerics-check sr-mean --format e5m2 --value 0.3 --scale 1 --codes %t/c24.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_e5m2 --input %t/v1000.npy --input %t/s1.npy --input %t/seed-e5m2.npy --output %t/c25.npy
// RUN: fp4-numerics-check sr-mean --format e5m2 --value 1000 --scale 1 --codes %t/c25.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_e5m2 --input %t/v1em5.npy --input %t/s1.npy --input %t/seed-e5m2.npy --output %t/c26.npy
// RUN: fp4-numerics-check sr-mean --format e5m2 --value 1e-5 --scale 1 --codes %t/c26.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN

// f16
// RUN: fp4-run %s --entry sr_f16 --input %t/v0p1.npy --input %t/s1.npy --input %t/seed-f16.npy --output %t/c27.npy
// RUN: fp4-numerics-check sr-mean --format f16 --value 0.1 --scale 1 --codes %t/c27.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_f16 --input %t/v1000p3.npy --input %t/s1.npy --input %t/seed-f16.npy --output %t/c28.npy
// RUN: fp4-numerics-check sr-mean --format f16 --value 1000.3 --scale 1 --codes %t/c28.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_f16 --input %t/v1em6.npy --input %t/s1.npy --input %t/seed-f16.npy --output %t/c29.npy
// RUN: fp4-numerics-check sr-mean --format f16 --value 1e-6 --scale 1 --codes %t/c29.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN

// bf16
// RUN: fp4-run %s --entry sr_bf16 --input %t/v0p1.npy --input %t/s1.npy --input %t/seed-bf16.npy --output %t/c30.npy
// RUN: fp4-numerics-check sr-mean --format bf16 --value 0.1 --scale 1 --codes %t/c30.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_bf16 --input %t/v1000p3.npy --input %t/s1.npy --input %t/seed-bf16.npy --output %t/c31.npy
// RUN: fp4-numerics-check sr-mean --format bf16 --value 1000.3 --scale 1 --codes %t/c31.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// RUN: fp4-run %s --entry sr_bf16 --input %t/vm3p3.npy --input %t/s1.npy --input %t/seed-bf16.npy --output %t/c32.npy
// RUN: fp4-numerics-check sr-mean --format bf16 --value -3.3 --scale 1 --codes %t/c32.npy --count 1000000 \
// RUN:   | FileCheck %s --check-prefix=MEAN
// MEAN: sr-mean {{.*}}: PASS

// Reproducibility (random inputs in [-7, 7), e2m1).
// RUN: fp4-numerics-check gen -o %t/x.npy --count 1000000 --seed 9 --uniform -7,7
// RUN: fp4-run %s --entry sr_e2m1 --input %t/x.npy --input %t/s1.npy --input %t/seed.npy --output %t/r1.npy
// RUN: fp4-run %s --entry sr_e2m1 --input %t/x.npy --input %t/s1.npy --input %t/seed.npy --output %t/r2.npy
// RUN: fp4-run %s --entry sr_e2m1 --input %t/x.npy --input %t/s1.npy --input %t/seed2.npy --output %t/r3.npy
// RUN: fp4-run %s --entry sr_e2m1_stream2 --input %t/x.npy --input %t/s1.npy --input %t/seed.npy --output %t/r4.npy
// RUN: cmp %t/r1.npy %t/r2.npy
// RUN: fp4-numerics-check sr-repeat --codes %t/r1.npy --codes2 %t/r2.npy | FileCheck %s --check-prefix=SAME
// RUN: fp4-numerics-check sr-repeat --codes %t/r1.npy --codes2 %t/r3.npy --expect different | FileCheck %s --check-prefix=DIFF
// RUN: fp4-numerics-check sr-repeat --codes %t/r1.npy --codes2 %t/r4.npy --expect different | FileCheck %s --check-prefix=DIFF
// RUN: fp4-numerics-check quantize --format e2m1 --input %t/x.npy --scale 1 --codes %t/r1.npy \
// RUN:   --rounding stochastic --seed 20260601 --stream 1 | FileCheck %s --check-prefix=SR
// RUN: fp4-numerics-check quantize --format e2m1 --input %t/x.npy --scale 1 --codes %t/r3.npy \
// RUN:   --rounding stochastic --seed 20260602 --stream 1 | FileCheck %s --check-prefix=SR
// RUN: fp4-numerics-check quantize --format e2m1 --input %t/x.npy --scale 1 --codes %t/r4.npy \
// RUN:   --rounding stochastic --seed 20260601 --stream 2 | FileCheck %s --check-prefix=SR
// SAME: sr-repeat: 500000 bytes, 0 differ, expected same: PASS
// DIFF: sr-repeat: 500000 bytes, {{[1-9][0-9]*}} differ, expected different: PASS
// SR: quantize e2m1 stochastic: 1000000 elements, 0 mismatches

func.func @sr_radix4_even(%x: tensor<1000000xf32>, %s: f32, %seed: i64) -> tensor<500000xi8> {
  %q = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(1)
      : tensor<1000000xf32> -> !fp4.qtensor<1000000x#fp4.format<radix4, even>>
  %codes, %scale = fp4.unpack %q : !fp4.qtensor<1000000x#fp4.format<radix4, even>>
  return %codes : tensor<500000xi8>
}

func.func @sr_radix4_odd(%x: tensor<1000000xf32>, %s: f32, %seed: i64) -> tensor<500000xi8> {
  %q = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(1)
      : tensor<1000000xf32> -> !fp4.qtensor<1000000x#fp4.format<radix4, odd>>
  %codes, %scale = fp4.unpack %q : !fp4.qtensor<1000000x#fp4.format<radix4, odd>>
  return %codes : tensor<500000xi8>
}

func.func @sr_radix2_fp4(%x: tensor<1000000xf32>, %s: f32, %seed: i64) -> tensor<500000xi8> {
  %q = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(1)
      : tensor<1000000xf32> -> !fp4.qtensor<1000000x#fp4.format<radix2_fp4>>
  %codes, %scale = fp4.unpack %q : !fp4.qtensor<1000000x#fp4.format<radix2_fp4>>
  return %codes : tensor<500000xi8>
}

func.func @sr_e2m1(%x: tensor<1000000xf32>, %s: f32, %seed: i64) -> tensor<500000xi8> {
  %q = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(1)
      : tensor<1000000xf32> -> !fp4.qtensor<1000000x#fp4.format<e2m1>>
  %codes, %scale = fp4.unpack %q : !fp4.qtensor<1000000x#fp4.format<e2m1>>
  return %codes : tensor<500000xi8>
}

func.func @sr_int4(%x: tensor<1000000xf32>, %s: f32, %seed: i64) -> tensor<500000xi8> {
  %q = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(1)
      : tensor<1000000xf32> -> !fp4.qtensor<1000000x#fp4.format<int4>>
  %codes, %scale = fp4.unpack %q : !fp4.qtensor<1000000x#fp4.format<int4>>
  return %codes : tensor<500000xi8>
}

func.func @sr_uint4(%x: tensor<1000000xf32>, %s: f32, %seed: i64) -> tensor<500000xi8> {
  %q = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(1)
      : tensor<1000000xf32> -> !fp4.qtensor<1000000x#fp4.format<uint4>>
  %codes, %scale = fp4.unpack %q : !fp4.qtensor<1000000x#fp4.format<uint4>>
  return %codes : tensor<500000xi8>
}

func.func @sr_e4m3(%x: tensor<1000000xf32>, %s: f32, %seed: i64) -> tensor<1000000xi8> {
  %q = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(1)
      : tensor<1000000xf32> -> !fp4.qtensor<1000000x#fp4.format<e4m3>>
  %codes, %scale = fp4.unpack %q : !fp4.qtensor<1000000x#fp4.format<e4m3>>
  return %codes : tensor<1000000xi8>
}

func.func @sr_e5m2(%x: tensor<1000000xf32>, %s: f32, %seed: i64) -> tensor<1000000xi8> {
  %q = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(1)
      : tensor<1000000xf32> -> !fp4.qtensor<1000000x#fp4.format<e5m2>>
  %codes, %scale = fp4.unpack %q : !fp4.qtensor<1000000x#fp4.format<e5m2>>
  return %codes : tensor<1000000xi8>
}

func.func @sr_f16(%x: tensor<1000000xf32>, %s: f32, %seed: i64) -> tensor<1000000xf16> {
  %q = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(1)
      : tensor<1000000xf32> -> !fp4.qtensor<1000000x#fp4.format<f16>>
  %codes, %scale = fp4.unpack %q : !fp4.qtensor<1000000x#fp4.format<f16>>
  %h = arith.bitcast %codes : tensor<1000000xi16> to tensor<1000000xf16>
  return %h : tensor<1000000xf16>
}

func.func @sr_bf16(%x: tensor<1000000xf32>, %s: f32, %seed: i64) -> tensor<1000000xf16> {
  %q = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(1)
      : tensor<1000000xf32> -> !fp4.qtensor<1000000x#fp4.format<bf16>>
  %codes, %scale = fp4.unpack %q : !fp4.qtensor<1000000x#fp4.format<bf16>>
  %h = arith.bitcast %codes : tensor<1000000xi16> to tensor<1000000xf16>
  return %h : tensor<1000000xf16>
}

func.func @sr_e2m1_stream2(%x: tensor<1000000xf32>, %s: f32, %seed: i64) -> tensor<500000xi8> {
  %q = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(2)
      : tensor<1000000xf32> -> !fp4.qtensor<1000000x#fp4.format<e2m1>>
  %codes, %scale = fp4.unpack %q : !fp4.qtensor<1000000x#fp4.format<e2m1>>
  return %codes : tensor<500000xi8>
}
