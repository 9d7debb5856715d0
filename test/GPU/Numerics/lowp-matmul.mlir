// fp4.lowp_matmul on the GPU, compared bit for bit with the numerics library
// (sequential k order, SPEC 7). Each function quantizes its inputs and
// returns both codes, so the checker recomputes the products from the codes
// the kernels used. In EMU mode (lit.local.cfg) the sm_80 kernels run: one
// thread per element in the CPU's k order, bit-identical for every case.
// On a device with FP8 tensor cores (DEV) the MMA kernels sum in another
// order: bit-identical where every partial sum is exact whatever the order
// and the tensor cores' internal accumulation width (small integer sums:
// int4 x uint4 with K = 64, e2m1 x e2m1 with K = 32); the other cases only
// report their mismatch count (docs/gpu.md). Chunked f16 accumulation and
// e5m2 operands use the f32 path on every chip: bit-identical.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: %gpu_prepare %s -o %t/kernels.mlir
// RUN: fp4-numerics-check scalar -o %t/s1.npy --f32 1
// RUN: fp4-numerics-check scalar -o %t/s4.npy --f32 4
// RUN: fp4-numerics-check scalar -o %t/s7.7.npy --f32 7.7
// RUN: fp4-numerics-check scalar -o %t/s8.npy --f32 8
// RUN: fp4-numerics-check scalar -o %t/s15.npy --f32 15
// RUN: fp4-numerics-check scalar -o %t/s16.npy --f32 16

// int4 x uint4, B stored 256x64 (transpose_b), K = 64: exact everywhere.
// RUN: fp4-numerics-check gen -o %t/a0.npy --count 8192 --shape 128x64 --seed 1 --uniform -2,2
// RUN: fp4-numerics-check gen -o %t/b0.npy --count 16384 --shape 256x64 --seed 2 --uniform 0,2
// RUN: %gpu_run %t/kernels.mlir --entry int4_x_uint4 --input %t/a0.npy --input %t/b0.npy --input %t/s4.npy --input %t/s8.npy \
// RUN:   --output %t/ca0.npy --output %t/cb0.npy --output %t/r0.npy
// RUN: fp4-numerics-check matmul --format-a int4 --format-b uint4 --a %t/ca0.npy --b %t/cb0.npy --scale-a 4 --scale-b 8 \
// RUN:   --m 128 --n 256 --k 64 --transpose-b --result %t/r0.npy --expect-exact-f64 | FileCheck %s --check-prefix=R0
// R0: matmul int4 x uint4 f32 128x256x64 transpose_b: 32768 elements, 0 mismatches
// R0-NEXT: f64 reference: max 0 ulp, 0 elements differ

// e2m1 x e2m1, 7x32 x 32x5 (every dimension padded by the MMA path): exact.
// RUN: fp4-numerics-check gen -o %t/a1.npy --count 224 --shape 7x32 --seed 3 --uniform -4,4
// RUN: fp4-numerics-check gen -o %t/b1.npy --count 160 --shape 32x5 --seed 4 --uniform -4,4
// RUN: %gpu_run %t/kernels.mlir --entry e2m1_x_e2m1 --input %t/a1.npy --input %t/b1.npy --input %t/s1.npy --input %t/s1.npy \
// RUN:   --output %t/ca1.npy --output %t/cb1.npy --output %t/r1.npy
// RUN: fp4-numerics-check matmul --format-a e2m1 --format-b e2m1 --a %t/ca1.npy --b %t/cb1.npy --scale-a 1 --scale-b 1 \
// RUN:   --m 7 --n 5 --k 32 --result %t/r1.npy --expect-exact-f64 | FileCheck %s --check-prefix=R1
// R1: matmul e2m1 x e2m1 f32 7x5x32: 35 elements, 0 mismatches

// radix4_even x int4, 128x784 x 784x256: the sum order matters.
// RUN: fp4-numerics-check gen -o %t/a2.npy --count 100352 --shape 128x784 --seed 5 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/b2.npy --count 200704 --shape 784x256 --seed 6 --uniform -1,1
// RUN: %gpu_run %t/kernels.mlir --entry radix4_even_x_int4 --input %t/a2.npy --input %t/b2.npy --input %t/s16.npy --input %t/s7.7.npy \
// RUN:   --output %t/ca2.npy --output %t/cb2.npy --output %t/r2.npy
// RUN: fp4-numerics-check matmul --format-a radix4_even --format-b int4 --a %t/ca2.npy --b %t/cb2.npy --scale-a 16 --scale-b 7.7 \
// RUN:   --m 128 --n 256 --k 784 --result %t/r2.npy | FileCheck %s --check-prefix=R2-%gpu_mode
// R2-EMU: matmul radix4_even x int4 f32 128x256x784: 32768 elements, 0 mismatches
// R2-DEV: matmul radix4_even x int4 f32 128x256x784: 32768 elements, {{[0-9]+}} mismatches

// radix4_odd x uint4, A stored 64x128 (transpose_a): odd codes doubled on
// the MMA path.
// RUN: fp4-numerics-check gen -o %t/a3.npy --count 8192 --shape 64x128 --seed 7 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/b3.npy --count 4096 --shape 64x64 --seed 8 --uniform 0,1
// RUN: %gpu_run %t/kernels.mlir --entry radix4_odd_x_uint4_ta --input %t/a3.npy --input %t/b3.npy --input %t/s8.npy --input %t/s15.npy \
// RUN:   --output %t/ca3.npy --output %t/cb3.npy --output %t/r3.npy
// RUN: fp4-numerics-check matmul --format-a radix4_odd --format-b uint4 --a %t/ca3.npy --b %t/cb3.npy --scale-a 8 --scale-b 15 \
// RUN:   --m 128 --n 64 --k 64 --transpose-a --result %t/r3.npy | FileCheck %s --check-prefix=R3-%gpu_mode
// R3-EMU: matmul radix4_odd x uint4 f32 128x64x64 transpose_a: 8192 elements, 0 mismatches
// R3-DEV: matmul radix4_odd x uint4 f32 128x64x64 transpose_a: 8192 elements, {{[0-9]+}} mismatches

// Chunked f16 accumulation (chunk 64 does not divide K = 200) and e5m2
// operands: the f32 path on every chip.
// RUN: fp4-numerics-check gen -o %t/a4.npy --count 6400 --shape 32x200 --seed 9 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/b4.npy --count 9600 --shape 200x48 --seed 10 --uniform -1,1
// RUN: %gpu_run %t/kernels.mlir --entry chunked_and_e5m2 --input %t/a4.npy --input %t/b4.npy --input %t/s16.npy --input %t/s7.7.npy \
// RUN:   --output %t/ca4.npy --output %t/cb4.npy --output %t/h4.npy --output %t/ea4.npy --output %t/eb4.npy --output %t/e4.npy
// RUN: fp4-numerics-check matmul --format-a radix4_even --format-b int4 --a %t/ca4.npy --b %t/cb4.npy --scale-a 16 --scale-b 7.7 \
// RUN:   --m 32 --n 48 --k 200 --accumulation f16 --chunk 64 --result %t/h4.npy | FileCheck %s --check-prefix=R4
// R4: matmul radix4_even x int4 f16 chunk 64 32x48x200: 1536 elements, 0 mismatches
// RUN: fp4-numerics-check matmul --format-a e5m2 --format-b e5m2 --a %t/ea4.npy --b %t/eb4.npy --scale-a 16 --scale-b 7.7 \
// RUN:   --m 32 --n 48 --k 200 --result %t/e4.npy | FileCheck %s --check-prefix=R5
// R5: matmul e5m2 x e5m2 f32 32x48x200: 1536 elements, 0 mismatches

func.func @int4_x_uint4(%a: tensor<128x64xf32>, %b: tensor<256x64xf32>, %sa: f32, %sb: f32)
    -> (tensor<4096xi8>, tensor<8192xi8>, tensor<128x256xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<128x64xf32> -> !fp4.qtensor<128x64x#fp4.format<int4>>
  %qb = fp4.quantize %b, %sb : tensor<256x64xf32> -> !fp4.qtensor<256x64x#fp4.format<uint4>>
  %c = fp4.lowp_matmul %qa, %qb {transpose_b}
      : !fp4.qtensor<128x64x#fp4.format<int4>>, !fp4.qtensor<256x64x#fp4.format<uint4>> -> tensor<128x256xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<128x64x#fp4.format<int4>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<256x64x#fp4.format<uint4>>
  return %ca, %cb, %c : tensor<4096xi8>, tensor<8192xi8>, tensor<128x256xf32>
}

func.func @e2m1_x_e2m1(%a: tensor<7x32xf32>, %b: tensor<32x5xf32>, %sa: f32, %sb: f32)
    -> (tensor<112xi8>, tensor<80xi8>, tensor<7x5xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<7x32xf32> -> !fp4.qtensor<7x32x#fp4.format<e2m1>>
  %qb = fp4.quantize %b, %sb : tensor<32x5xf32> -> !fp4.qtensor<32x5x#fp4.format<e2m1>>
  %c = fp4.lowp_matmul %qa, %qb
      : !fp4.qtensor<7x32x#fp4.format<e2m1>>, !fp4.qtensor<32x5x#fp4.format<e2m1>> -> tensor<7x5xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<7x32x#fp4.format<e2m1>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<32x5x#fp4.format<e2m1>>
  return %ca, %cb, %c : tensor<112xi8>, tensor<80xi8>, tensor<7x5xf32>
}

func.func @radix4_even_x_int4(%a: tensor<128x784xf32>, %b: tensor<784x256xf32>, %sa: f32, %sb: f32)
    -> (tensor<50176xi8>, tensor<100352xi8>, tensor<128x256xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<128x784xf32> -> !fp4.qtensor<128x784x#fp4.format<radix4, even>>
  %qb = fp4.quantize %b, %sb : tensor<784x256xf32> -> !fp4.qtensor<784x256x#fp4.format<int4>>
  %c = fp4.lowp_matmul %qa, %qb
      : !fp4.qtensor<128x784x#fp4.format<radix4, even>>, !fp4.qtensor<784x256x#fp4.format<int4>> -> tensor<128x256xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<128x784x#fp4.format<radix4, even>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<784x256x#fp4.format<int4>>
  return %ca, %cb, %c : tensor<50176xi8>, tensor<100352xi8>, tensor<128x256xf32>
}

func.func @radix4_odd_x_uint4_ta(%a: tensor<64x128xf32>, %b: tensor<64x64xf32>, %sa: f32, %sb: f32)
    -> (tensor<4096xi8>, tensor<2048xi8>, tensor<128x64xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<64x128xf32> -> !fp4.qtensor<64x128x#fp4.format<radix4, odd>>
  %qb = fp4.quantize %b, %sb : tensor<64x64xf32> -> !fp4.qtensor<64x64x#fp4.format<uint4>>
  %c = fp4.lowp_matmul %qa, %qb {transpose_a}
      : !fp4.qtensor<64x128x#fp4.format<radix4, odd>>, !fp4.qtensor<64x64x#fp4.format<uint4>> -> tensor<128x64xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<64x128x#fp4.format<radix4, odd>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<64x64x#fp4.format<uint4>>
  return %ca, %cb, %c : tensor<4096xi8>, tensor<2048xi8>, tensor<128x64xf32>
}

func.func @chunked_and_e5m2(%a: tensor<32x200xf32>, %b: tensor<200x48xf32>, %sa: f32, %sb: f32)
    -> (tensor<3200xi8>, tensor<4800xi8>, tensor<32x48xf32>, tensor<6400xi8>, tensor<9600xi8>, tensor<32x48xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<32x200xf32> -> !fp4.qtensor<32x200x#fp4.format<radix4, even>>
  %qb = fp4.quantize %b, %sb : tensor<200x48xf32> -> !fp4.qtensor<200x48x#fp4.format<int4>>
  %h = fp4.lowp_matmul %qa, %qb accumulate(f16, 64)
      : !fp4.qtensor<32x200x#fp4.format<radix4, even>>, !fp4.qtensor<200x48x#fp4.format<int4>> -> tensor<32x48xf32>
  %ea = fp4.quantize %a, %sa : tensor<32x200xf32> -> !fp4.qtensor<32x200x#fp4.format<e5m2>>
  %eb = fp4.quantize %b, %sb : tensor<200x48xf32> -> !fp4.qtensor<200x48x#fp4.format<e5m2>>
  %e = fp4.lowp_matmul %ea, %eb
      : !fp4.qtensor<32x200x#fp4.format<e5m2>>, !fp4.qtensor<200x48x#fp4.format<e5m2>> -> tensor<32x48xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<32x200x#fp4.format<radix4, even>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<200x48x#fp4.format<int4>>
  %cea, %s2 = fp4.unpack %ea : !fp4.qtensor<32x200x#fp4.format<e5m2>>
  %ceb, %s3 = fp4.unpack %eb : !fp4.qtensor<200x48x#fp4.format<e5m2>>
  return %ca, %cb, %h, %cea, %ceb, %e : tensor<3200xi8>, tensor<4800xi8>, tensor<32x48xf32>, tensor<6400xi8>, tensor<9600xi8>, tensor<32x48xf32>
}
