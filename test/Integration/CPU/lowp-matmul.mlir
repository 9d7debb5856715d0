// fp4.lowp_matmul compiled for the CPU, compared bit for bit with the numerics
// library (lowpMatmulF32 / lowpMatmulF16Chunk on the decoded codes). Each
// function quantizes its two f32 inputs (nearest), multiplies them with f32 and
// with f16 chunk accumulation, and returns both codes and both results, so the
// checker recomputes the products from the very codes the kernel used. For f32
// accumulation the checker also reports the distance to the f64 product of the
// dequantized operands, and requires it to be 0 where every sum is exact
// (--expect-exact-f64).
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: fp4-numerics-check scalar -o %t/s0.75.npy --f32 0.75
// RUN: fp4-numerics-check scalar -o %t/s1.npy --f32 1
// RUN: fp4-numerics-check scalar -o %t/s1.5.npy --f32 1.5
// RUN: fp4-numerics-check scalar -o %t/s4.npy --f32 4
// RUN: fp4-numerics-check scalar -o %t/s7.7.npy --f32 7.7
// RUN: fp4-numerics-check scalar -o %t/s8.npy --f32 8
// RUN: fp4-numerics-check scalar -o %t/s10.npy --f32 10
// RUN: fp4-numerics-check scalar -o %t/s15.npy --f32 15
// RUN: fp4-numerics-check scalar -o %t/s16.npy --f32 16
// RUN: fp4-numerics-check scalar -o %t/s100.npy --f32 100

// radix4_even x int4: 128x784 x 784x256; f16 chunk 64 does not divide K = 784.
// RUN: fp4-numerics-check gen -o %t/a0.npy --count 100352 --shape 128x784 --seed 1 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/b0.npy --count 200704 --shape 784x256 --seed 2 --uniform -1,1
// RUN: fp4-run %s --entry radix4_even_x_int4 --input %t/a0.npy --input %t/b0.npy --input %t/s16.npy --input %t/s7.7.npy \
// RUN:   --output %t/ca0.npy --output %t/cb0.npy --output %t/r0.npy --output %t/h0.npy
// RUN: fp4-numerics-check matmul --format-a radix4_even --format-b int4 --a %t/ca0.npy --b %t/cb0.npy --scale-a 16 --scale-b 7.7 --m 128 --n 256 --k 784 \
// RUN:   --result %t/r0.npy | FileCheck %s --check-prefix=F32-0
// RUN: fp4-numerics-check matmul --format-a radix4_even --format-b int4 --a %t/ca0.npy --b %t/cb0.npy --scale-a 16 --scale-b 7.7 --m 128 --n 256 --k 784 \
// RUN:   --accumulation f16 --chunk 64 --result %t/h0.npy | FileCheck %s --check-prefix=F16-0
// F32-0: matmul radix4_even x int4 f32 128x256x784: 32768 elements, 0 mismatches
// F16-0: matmul radix4_even x int4 f16 chunk 64 128x256x784: 32768 elements, 0 mismatches

// radix4_odd x uint4: A stored 256x128 (transpose_a); f16 chunk 64 divides K = 256.
// RUN: fp4-numerics-check gen -o %t/a1.npy --count 32768 --shape 256x128 --seed 3 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/b1.npy --count 16384 --shape 256x64 --seed 4 --uniform 0,1
// RUN: fp4-run %s --entry radix4_odd_x_uint4_ta --input %t/a1.npy --input %t/b1.npy --input %t/s8.npy --input %t/s15.npy \
// RUN:   --output %t/ca1.npy --output %t/cb1.npy --output %t/r1.npy --output %t/h1.npy
// RUN: fp4-numerics-check matmul --format-a radix4_odd --format-b uint4 --a %t/ca1.npy --b %t/cb1.npy --scale-a 8 --scale-b 15 --m 128 --n 64 --k 256 --transpose-a \
// RUN:   --result %t/r1.npy | FileCheck %s --check-prefix=F32-1
// RUN: fp4-numerics-check matmul --format-a radix4_odd --format-b uint4 --a %t/ca1.npy --b %t/cb1.npy --scale-a 8 --scale-b 15 --m 128 --n 64 --k 256 --transpose-a \
// RUN:   --accumulation f16 --chunk 64 --result %t/h1.npy | FileCheck %s --check-prefix=F16-1
// F32-1: matmul radix4_odd x uint4 f32 128x64x256 transpose_a: 8192 elements, 0 mismatches
// F16-1: matmul radix4_odd x uint4 f16 chunk 64 128x64x256 transpose_a: 8192 elements, 0 mismatches

// int4 x uint4: B stored 256x784 (transpose_b); power-of-two scales and integer sums below 2^24: the f32 result is exact; f16 chunk 100 (f16 rounds sums above 2048).
// RUN: fp4-numerics-check gen -o %t/a2.npy --count 100352 --shape 128x784 --seed 5 --uniform -0.5,2
// RUN: fp4-numerics-check gen -o %t/b2.npy --count 200704 --shape 256x784 --seed 6 --uniform 0,2
// RUN: fp4-run %s --entry int4_x_uint4_tb --input %t/a2.npy --input %t/b2.npy --input %t/s4.npy --input %t/s8.npy \
// RUN:   --output %t/ca2.npy --output %t/cb2.npy --output %t/r2.npy --output %t/h2.npy
// RUN: fp4-numerics-check matmul --format-a int4 --format-b uint4 --a %t/ca2.npy --b %t/cb2.npy --scale-a 4 --scale-b 8 --m 128 --n 256 --k 784 --transpose-b \
// RUN:   --result %t/r2.npy --expect-exact-f64 | FileCheck %s --check-prefix=F32-2
// RUN: fp4-numerics-check matmul --format-a int4 --format-b uint4 --a %t/ca2.npy --b %t/cb2.npy --scale-a 4 --scale-b 8 --m 128 --n 256 --k 784 --transpose-b \
// RUN:   --accumulation f16 --chunk 100 --result %t/h2.npy | FileCheck %s --check-prefix=F16-2
// F32-2: matmul int4 x uint4 f32 128x256x784 transpose_b: 32768 elements, 0 mismatches
// F32-2-NEXT: f64 reference: max 0 ulp, 0 elements differ
// F16-2: matmul int4 x uint4 f16 chunk 100 128x256x784 transpose_b: 32768 elements, 0 mismatches

// e2m1 x e2m1: 7x13 x 13x5; f16 chunk 4 does not divide K = 13.
// RUN: fp4-numerics-check gen -o %t/a3.npy --count 91 --shape 7x13 --seed 7 --uniform -4,4
// RUN: fp4-numerics-check gen -o %t/b3.npy --count 65 --shape 13x5 --seed 8 --uniform -4,4
// RUN: fp4-run %s --entry e2m1_x_e2m1 --input %t/a3.npy --input %t/b3.npy --input %t/s1.5.npy --input %t/s0.75.npy \
// RUN:   --output %t/ca3.npy --output %t/cb3.npy --output %t/r3.npy --output %t/h3.npy
// RUN: fp4-numerics-check matmul --format-a e2m1 --format-b e2m1 --a %t/ca3.npy --b %t/cb3.npy --scale-a 1.5 --scale-b 0.75 --m 7 --n 5 --k 13 \
// RUN:   --result %t/r3.npy | FileCheck %s --check-prefix=F32-3
// RUN: fp4-numerics-check matmul --format-a e2m1 --format-b e2m1 --a %t/ca3.npy --b %t/cb3.npy --scale-a 1.5 --scale-b 0.75 --m 7 --n 5 --k 13 \
// RUN:   --accumulation f16 --chunk 4 --result %t/h3.npy | FileCheck %s --check-prefix=F16-3
// F32-3: matmul e2m1 x e2m1 f32 7x5x13: 35 elements, 0 mismatches
// F16-3: matmul e2m1 x e2m1 f16 chunk 4 7x5x13: 35 elements, 0 mismatches

// e2m1 x e2m1: both transposed, A stored 13x7, B stored 5x13.
// RUN: fp4-numerics-check gen -o %t/a4.npy --count 91 --shape 13x7 --seed 9 --uniform -4,4
// RUN: fp4-numerics-check gen -o %t/b4.npy --count 65 --shape 5x13 --seed 10 --uniform -4,4
// RUN: fp4-run %s --entry e2m1_x_e2m1_tt --input %t/a4.npy --input %t/b4.npy --input %t/s1.npy --input %t/s1.npy \
// RUN:   --output %t/ca4.npy --output %t/cb4.npy --output %t/r4.npy --output %t/h4.npy
// RUN: fp4-numerics-check matmul --format-a e2m1 --format-b e2m1 --a %t/ca4.npy --b %t/cb4.npy --scale-a 1 --scale-b 1 --m 7 --n 5 --k 13 --transpose-a --transpose-b \
// RUN:   --result %t/r4.npy --expect-exact-f64 | FileCheck %s --check-prefix=F32-4
// RUN: fp4-numerics-check matmul --format-a e2m1 --format-b e2m1 --a %t/ca4.npy --b %t/cb4.npy --scale-a 1 --scale-b 1 --m 7 --n 5 --k 13 --transpose-a --transpose-b \
// RUN:   --accumulation f16 --chunk 5 --result %t/h4.npy | FileCheck %s --check-prefix=F16-4
// F32-4: matmul e2m1 x e2m1 f32 7x5x13 transpose_a transpose_b: 35 elements, 0 mismatches
// F32-4-NEXT: f64 reference: max 0 ulp, 0 elements differ
// F16-4: matmul e2m1 x e2m1 f16 chunk 5 7x5x13 transpose_a transpose_b: 35 elements, 0 mismatches

// e4m3 x e5m2: 33x70 x 70x17; f16 chunk 16 does not divide K = 70.
// RUN: fp4-numerics-check gen -o %t/a5.npy --count 2310 --shape 33x70 --seed 11 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/b5.npy --count 1190 --shape 70x17 --seed 12 --uniform -1,1
// RUN: fp4-run %s --entry e4m3_x_e5m2 --input %t/a5.npy --input %t/b5.npy --input %t/s100.npy --input %t/s10.npy \
// RUN:   --output %t/ca5.npy --output %t/cb5.npy --output %t/r5.npy --output %t/h5.npy
// RUN: fp4-numerics-check matmul --format-a e4m3 --format-b e5m2 --a %t/ca5.npy --b %t/cb5.npy --scale-a 100 --scale-b 10 --m 33 --n 17 --k 70 \
// RUN:   --result %t/r5.npy | FileCheck %s --check-prefix=F32-5
// RUN: fp4-numerics-check matmul --format-a e4m3 --format-b e5m2 --a %t/ca5.npy --b %t/cb5.npy --scale-a 100 --scale-b 10 --m 33 --n 17 --k 70 \
// RUN:   --accumulation f16 --chunk 16 --result %t/h5.npy | FileCheck %s --check-prefix=F16-5
// F32-5: matmul e4m3 x e5m2 f32 33x17x70: 561 elements, 0 mismatches
// F16-5: matmul e4m3 x e5m2 f16 chunk 16 33x17x70: 561 elements, 0 mismatches

func.func @radix4_even_x_int4(%a: tensor<128x784xf32>, %b: tensor<784x256xf32>, %sa: f32, %sb: f32)
    -> (tensor<50176xi8>, tensor<100352xi8>, tensor<128x256xf32>, tensor<128x256xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<128x784xf32> -> !fp4.qtensor<128x784x#fp4.format<radix4, even>>
  %qb = fp4.quantize %b, %sb : tensor<784x256xf32> -> !fp4.qtensor<784x256x#fp4.format<int4>>
  %c = fp4.lowp_matmul %qa, %qb : !fp4.qtensor<128x784x#fp4.format<radix4, even>>, !fp4.qtensor<784x256x#fp4.format<int4>> -> tensor<128x256xf32>
  %h = fp4.lowp_matmul %qa, %qb accumulate(f16, 64) : !fp4.qtensor<128x784x#fp4.format<radix4, even>>, !fp4.qtensor<784x256x#fp4.format<int4>> -> tensor<128x256xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<128x784x#fp4.format<radix4, even>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<784x256x#fp4.format<int4>>
  return %ca, %cb, %c, %h : tensor<50176xi8>, tensor<100352xi8>, tensor<128x256xf32>, tensor<128x256xf32>
}

func.func @radix4_odd_x_uint4_ta(%a: tensor<256x128xf32>, %b: tensor<256x64xf32>, %sa: f32, %sb: f32)
    -> (tensor<16384xi8>, tensor<8192xi8>, tensor<128x64xf32>, tensor<128x64xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<256x128xf32> -> !fp4.qtensor<256x128x#fp4.format<radix4, odd>>
  %qb = fp4.quantize %b, %sb : tensor<256x64xf32> -> !fp4.qtensor<256x64x#fp4.format<uint4>>
  %c = fp4.lowp_matmul %qa, %qb {transpose_a} : !fp4.qtensor<256x128x#fp4.format<radix4, odd>>, !fp4.qtensor<256x64x#fp4.format<uint4>> -> tensor<128x64xf32>
  %h = fp4.lowp_matmul %qa, %qb accumulate(f16, 64) {transpose_a} : !fp4.qtensor<256x128x#fp4.format<radix4, odd>>, !fp4.qtensor<256x64x#fp4.format<uint4>> -> tensor<128x64xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<256x128x#fp4.format<radix4, odd>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<256x64x#fp4.format<uint4>>
  return %ca, %cb, %c, %h : tensor<16384xi8>, tensor<8192xi8>, tensor<128x64xf32>, tensor<128x64xf32>
}

func.func @int4_x_uint4_tb(%a: tensor<128x784xf32>, %b: tensor<256x784xf32>, %sa: f32, %sb: f32)
    -> (tensor<50176xi8>, tensor<100352xi8>, tensor<128x256xf32>, tensor<128x256xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<128x784xf32> -> !fp4.qtensor<128x784x#fp4.format<int4>>
  %qb = fp4.quantize %b, %sb : tensor<256x784xf32> -> !fp4.qtensor<256x784x#fp4.format<uint4>>
  %c = fp4.lowp_matmul %qa, %qb {transpose_b} : !fp4.qtensor<128x784x#fp4.format<int4>>, !fp4.qtensor<256x784x#fp4.format<uint4>> -> tensor<128x256xf32>
  %h = fp4.lowp_matmul %qa, %qb accumulate(f16, 100) {transpose_b} : !fp4.qtensor<128x784x#fp4.format<int4>>, !fp4.qtensor<256x784x#fp4.format<uint4>> -> tensor<128x256xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<128x784x#fp4.format<int4>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<256x784x#fp4.format<uint4>>
  return %ca, %cb, %c, %h : tensor<50176xi8>, tensor<100352xi8>, tensor<128x256xf32>, tensor<128x256xf32>
}

func.func @e2m1_x_e2m1(%a: tensor<7x13xf32>, %b: tensor<13x5xf32>, %sa: f32, %sb: f32)
    -> (tensor<46xi8>, tensor<33xi8>, tensor<7x5xf32>, tensor<7x5xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<7x13xf32> -> !fp4.qtensor<7x13x#fp4.format<e2m1>>
  %qb = fp4.quantize %b, %sb : tensor<13x5xf32> -> !fp4.qtensor<13x5x#fp4.format<e2m1>>
  %c = fp4.lowp_matmul %qa, %qb : !fp4.qtensor<7x13x#fp4.format<e2m1>>, !fp4.qtensor<13x5x#fp4.format<e2m1>> -> tensor<7x5xf32>
  %h = fp4.lowp_matmul %qa, %qb accumulate(f16, 4) : !fp4.qtensor<7x13x#fp4.format<e2m1>>, !fp4.qtensor<13x5x#fp4.format<e2m1>> -> tensor<7x5xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<7x13x#fp4.format<e2m1>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<13x5x#fp4.format<e2m1>>
  return %ca, %cb, %c, %h : tensor<46xi8>, tensor<33xi8>, tensor<7x5xf32>, tensor<7x5xf32>
}

func.func @e2m1_x_e2m1_tt(%a: tensor<13x7xf32>, %b: tensor<5x13xf32>, %sa: f32, %sb: f32)
    -> (tensor<46xi8>, tensor<33xi8>, tensor<7x5xf32>, tensor<7x5xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<13x7xf32> -> !fp4.qtensor<13x7x#fp4.format<e2m1>>
  %qb = fp4.quantize %b, %sb : tensor<5x13xf32> -> !fp4.qtensor<5x13x#fp4.format<e2m1>>
  %c = fp4.lowp_matmul %qa, %qb {transpose_a, transpose_b} : !fp4.qtensor<13x7x#fp4.format<e2m1>>, !fp4.qtensor<5x13x#fp4.format<e2m1>> -> tensor<7x5xf32>
  %h = fp4.lowp_matmul %qa, %qb accumulate(f16, 5) {transpose_a, transpose_b} : !fp4.qtensor<13x7x#fp4.format<e2m1>>, !fp4.qtensor<5x13x#fp4.format<e2m1>> -> tensor<7x5xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<13x7x#fp4.format<e2m1>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<5x13x#fp4.format<e2m1>>
  return %ca, %cb, %c, %h : tensor<46xi8>, tensor<33xi8>, tensor<7x5xf32>, tensor<7x5xf32>
}

func.func @e4m3_x_e5m2(%a: tensor<33x70xf32>, %b: tensor<70x17xf32>, %sa: f32, %sb: f32)
    -> (tensor<2310xi8>, tensor<1190xi8>, tensor<33x17xf32>, tensor<33x17xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<33x70xf32> -> !fp4.qtensor<33x70x#fp4.format<e4m3>>
  %qb = fp4.quantize %b, %sb : tensor<70x17xf32> -> !fp4.qtensor<70x17x#fp4.format<e5m2>>
  %c = fp4.lowp_matmul %qa, %qb : !fp4.qtensor<33x70x#fp4.format<e4m3>>, !fp4.qtensor<70x17x#fp4.format<e5m2>> -> tensor<33x17xf32>
  %h = fp4.lowp_matmul %qa, %qb accumulate(f16, 16) : !fp4.qtensor<33x70x#fp4.format<e4m3>>, !fp4.qtensor<70x17x#fp4.format<e5m2>> -> tensor<33x17xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<33x70x#fp4.format<e4m3>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<70x17x#fp4.format<e5m2>>
  return %ca, %cb, %c, %h : tensor<2310xi8>, tensor<1190xi8>, tensor<33x17xf32>, tensor<33x17xf32>
}
