// fp4.lowp_matmul through the exact integer GEMMs of
// fp4-lowp-matmul-to-integer (u8 x s8 quads on VNNI CPUs, i16 pairs
// otherwise, offsets for two signed operands, NaN rows/columns for radix-4
// NaN codes, k and n padding), compared bit for bit with the numerics
// library's f32-accumulation reference. Every function runs three times:
// with the default pipeline (vpdpbusd on this machine if it has
// AVX512-VNNI), with vnni=off (i16 pairs everywhere) and with
// int-matmul=false (the f32 path).
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: fp4-numerics-check scalar -o %t/s0.75.npy --f32 0.75
// RUN: fp4-numerics-check scalar -o %t/s1.5.npy --f32 1.5
// RUN: fp4-numerics-check scalar -o %t/s4.npy --f32 4
// RUN: fp4-numerics-check scalar -o %t/s7.7.npy --f32 7.7
// RUN: fp4-numerics-check scalar -o %t/s8.npy --f32 8
// RUN: fp4-numerics-check scalar -o %t/s15.npy --f32 15
// RUN: fp4-numerics-check scalar -o %t/s16.npy --f32 16

// int4_x_uint4: 128x784 x 784x256
// RUN: fp4-numerics-check gen -o %t/a0.npy --count 100352 --shape 128x784 --seed 1 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/b0.npy --count 200704 --shape 784x256 --seed 2 --uniform 0,2
// RUN: fp4-run %s --entry int4_x_uint4 --input %t/a0.npy --input %t/b0.npy --input %t/s4.npy --input %t/s8.npy \
// RUN:   --output %t/ca0dflt.npy --output %t/cb0dflt.npy --output %t/r0dflt.npy
// RUN: fp4-numerics-check matmul --format-a int4 --format-b uint4 --a %t/ca0dflt.npy --b %t/cb0dflt.npy --scale-a 4 --scale-b 8 \
// RUN:   --m 128 --n 256 --k 784 --result %t/r0dflt.npy | FileCheck %s --check-prefix=C0
// RUN: env FP4_CPU_PIPELINE_OPTIONS=vnni=off fp4-run %s --entry int4_x_uint4 --input %t/a0.npy --input %t/b0.npy --input %t/s4.npy --input %t/s8.npy \
// RUN:   --output %t/ca0i16.npy --output %t/cb0i16.npy --output %t/r0i16.npy
// RUN: fp4-numerics-check matmul --format-a int4 --format-b uint4 --a %t/ca0i16.npy --b %t/cb0i16.npy --scale-a 4 --scale-b 8 \
// RUN:   --m 128 --n 256 --k 784 --result %t/r0i16.npy | FileCheck %s --check-prefix=C0
// RUN: env FP4_CPU_PIPELINE_OPTIONS=int-matmul=false fp4-run %s --entry int4_x_uint4 --input %t/a0.npy --input %t/b0.npy --input %t/s4.npy --input %t/s8.npy \
// RUN:   --output %t/ca0f32.npy --output %t/cb0f32.npy --output %t/r0f32.npy
// RUN: fp4-numerics-check matmul --format-a int4 --format-b uint4 --a %t/ca0f32.npy --b %t/cb0f32.npy --scale-a 4 --scale-b 8 \
// RUN:   --m 128 --n 256 --k 784 --result %t/r0f32.npy | FileCheck %s --check-prefix=C0
// C0: matmul int4 x uint4 f32 128x256x784: 32768 elements, 0 mismatches

// uint4_x_int4_ta: 33x130 x 130x47 transpose_a
// RUN: fp4-numerics-check gen -o %t/a1.npy --count 4290 --shape 130x33 --seed 3 --uniform 0,2
// RUN: fp4-numerics-check gen -o %t/b1.npy --count 6110 --shape 130x47 --seed 4 --uniform -1,1
// RUN: fp4-run %s --entry uint4_x_int4_ta --input %t/a1.npy --input %t/b1.npy --input %t/s8.npy --input %t/s4.npy \
// RUN:   --output %t/ca1dflt.npy --output %t/cb1dflt.npy --output %t/r1dflt.npy
// RUN: fp4-numerics-check matmul --format-a uint4 --format-b int4 --a %t/ca1dflt.npy --b %t/cb1dflt.npy --scale-a 8 --scale-b 4 \
// RUN:   --m 33 --n 47 --k 130 --transpose-a --result %t/r1dflt.npy | FileCheck %s --check-prefix=C1
// RUN: env FP4_CPU_PIPELINE_OPTIONS=vnni=off fp4-run %s --entry uint4_x_int4_ta --input %t/a1.npy --input %t/b1.npy --input %t/s8.npy --input %t/s4.npy \
// RUN:   --output %t/ca1i16.npy --output %t/cb1i16.npy --output %t/r1i16.npy
// RUN: fp4-numerics-check matmul --format-a uint4 --format-b int4 --a %t/ca1i16.npy --b %t/cb1i16.npy --scale-a 8 --scale-b 4 \
// RUN:   --m 33 --n 47 --k 130 --transpose-a --result %t/r1i16.npy | FileCheck %s --check-prefix=C1
// RUN: env FP4_CPU_PIPELINE_OPTIONS=int-matmul=false fp4-run %s --entry uint4_x_int4_ta --input %t/a1.npy --input %t/b1.npy --input %t/s8.npy --input %t/s4.npy \
// RUN:   --output %t/ca1f32.npy --output %t/cb1f32.npy --output %t/r1f32.npy
// RUN: fp4-numerics-check matmul --format-a uint4 --format-b int4 --a %t/ca1f32.npy --b %t/cb1f32.npy --scale-a 8 --scale-b 4 \
// RUN:   --m 33 --n 47 --k 130 --transpose-a --result %t/r1f32.npy | FileCheck %s --check-prefix=C1
// C1: matmul uint4 x int4 f32 33x47x130 transpose_a: 1551 elements, 0 mismatches

// int4_x_int4_tb: 64x200 x 200x96 transpose_b
// RUN: fp4-numerics-check gen -o %t/a2.npy --count 12800 --shape 64x200 --seed 5 --uniform -2,2
// RUN: fp4-numerics-check gen -o %t/b2.npy --count 19200 --shape 96x200 --seed 6 --uniform -2,2
// RUN: fp4-run %s --entry int4_x_int4_tb --input %t/a2.npy --input %t/b2.npy --input %t/s4.npy --input %t/s4.npy \
// RUN:   --output %t/ca2dflt.npy --output %t/cb2dflt.npy --output %t/r2dflt.npy
// RUN: fp4-numerics-check matmul --format-a int4 --format-b int4 --a %t/ca2dflt.npy --b %t/cb2dflt.npy --scale-a 4 --scale-b 4 \
// RUN:   --m 64 --n 96 --k 200 --transpose-b --result %t/r2dflt.npy | FileCheck %s --check-prefix=C2
// RUN: env FP4_CPU_PIPELINE_OPTIONS=vnni=off fp4-run %s --entry int4_x_int4_tb --input %t/a2.npy --input %t/b2.npy --input %t/s4.npy --input %t/s4.npy \
// RUN:   --output %t/ca2i16.npy --output %t/cb2i16.npy --output %t/r2i16.npy
// RUN: fp4-numerics-check matmul --format-a int4 --format-b int4 --a %t/ca2i16.npy --b %t/cb2i16.npy --scale-a 4 --scale-b 4 \
// RUN:   --m 64 --n 96 --k 200 --transpose-b --result %t/r2i16.npy | FileCheck %s --check-prefix=C2
// RUN: env FP4_CPU_PIPELINE_OPTIONS=int-matmul=false fp4-run %s --entry int4_x_int4_tb --input %t/a2.npy --input %t/b2.npy --input %t/s4.npy --input %t/s4.npy \
// RUN:   --output %t/ca2f32.npy --output %t/cb2f32.npy --output %t/r2f32.npy
// RUN: fp4-numerics-check matmul --format-a int4 --format-b int4 --a %t/ca2f32.npy --b %t/cb2f32.npy --scale-a 4 --scale-b 4 \
// RUN:   --m 64 --n 96 --k 200 --transpose-b --result %t/r2f32.npy | FileCheck %s --check-prefix=C2
// C2: matmul int4 x int4 f32 64x96x200 transpose_b: 6144 elements, 0 mismatches

// uint4_x_uint4_odd: 17x31 x 31x19
// RUN: fp4-numerics-check gen -o %t/a3.npy --count 527 --shape 17x31 --seed 7 --uniform 0,2
// RUN: fp4-numerics-check gen -o %t/b3.npy --count 589 --shape 31x19 --seed 8 --uniform 0,2
// RUN: fp4-run %s --entry uint4_x_uint4_odd --input %t/a3.npy --input %t/b3.npy --input %t/s8.npy --input %t/s8.npy \
// RUN:   --output %t/ca3dflt.npy --output %t/cb3dflt.npy --output %t/r3dflt.npy
// RUN: fp4-numerics-check matmul --format-a uint4 --format-b uint4 --a %t/ca3dflt.npy --b %t/cb3dflt.npy --scale-a 8 --scale-b 8 \
// RUN:   --m 17 --n 19 --k 31 --result %t/r3dflt.npy | FileCheck %s --check-prefix=C3
// RUN: env FP4_CPU_PIPELINE_OPTIONS=vnni=off fp4-run %s --entry uint4_x_uint4_odd --input %t/a3.npy --input %t/b3.npy --input %t/s8.npy --input %t/s8.npy \
// RUN:   --output %t/ca3i16.npy --output %t/cb3i16.npy --output %t/r3i16.npy
// RUN: fp4-numerics-check matmul --format-a uint4 --format-b uint4 --a %t/ca3i16.npy --b %t/cb3i16.npy --scale-a 8 --scale-b 8 \
// RUN:   --m 17 --n 19 --k 31 --result %t/r3i16.npy | FileCheck %s --check-prefix=C3
// RUN: env FP4_CPU_PIPELINE_OPTIONS=int-matmul=false fp4-run %s --entry uint4_x_uint4_odd --input %t/a3.npy --input %t/b3.npy --input %t/s8.npy --input %t/s8.npy \
// RUN:   --output %t/ca3f32.npy --output %t/cb3f32.npy --output %t/r3f32.npy
// RUN: fp4-numerics-check matmul --format-a uint4 --format-b uint4 --a %t/ca3f32.npy --b %t/cb3f32.npy --scale-a 8 --scale-b 8 \
// RUN:   --m 17 --n 19 --k 31 --result %t/r3f32.npy | FileCheck %s --check-prefix=C3
// C3: matmul uint4 x uint4 f32 17x19x31: 323 elements, 0 mismatches

// e2m1_x_e2m1_tt: 40x64 x 64x40 transpose_a transpose_b
// RUN: fp4-numerics-check gen -o %t/a4.npy --count 2560 --shape 64x40 --seed 9 --uniform -4,4
// RUN: fp4-numerics-check gen -o %t/b4.npy --count 2560 --shape 40x64 --seed 10 --uniform -4,4
// RUN: fp4-run %s --entry e2m1_x_e2m1_tt --input %t/a4.npy --input %t/b4.npy --input %t/s1.5.npy --input %t/s0.75.npy \
// RUN:   --output %t/ca4dflt.npy --output %t/cb4dflt.npy --output %t/r4dflt.npy
// RUN: fp4-numerics-check matmul --format-a e2m1 --format-b e2m1 --a %t/ca4dflt.npy --b %t/cb4dflt.npy --scale-a 1.5 --scale-b 0.75 \
// RUN:   --m 40 --n 40 --k 64 --transpose-a --transpose-b --result %t/r4dflt.npy | FileCheck %s --check-prefix=C4
// RUN: env FP4_CPU_PIPELINE_OPTIONS=vnni=off fp4-run %s --entry e2m1_x_e2m1_tt --input %t/a4.npy --input %t/b4.npy --input %t/s1.5.npy --input %t/s0.75.npy \
// RUN:   --output %t/ca4i16.npy --output %t/cb4i16.npy --output %t/r4i16.npy
// RUN: fp4-numerics-check matmul --format-a e2m1 --format-b e2m1 --a %t/ca4i16.npy --b %t/cb4i16.npy --scale-a 1.5 --scale-b 0.75 \
// RUN:   --m 40 --n 40 --k 64 --transpose-a --transpose-b --result %t/r4i16.npy | FileCheck %s --check-prefix=C4
// RUN: env FP4_CPU_PIPELINE_OPTIONS=int-matmul=false fp4-run %s --entry e2m1_x_e2m1_tt --input %t/a4.npy --input %t/b4.npy --input %t/s1.5.npy --input %t/s0.75.npy \
// RUN:   --output %t/ca4f32.npy --output %t/cb4f32.npy --output %t/r4f32.npy
// RUN: fp4-numerics-check matmul --format-a e2m1 --format-b e2m1 --a %t/ca4f32.npy --b %t/cb4f32.npy --scale-a 1.5 --scale-b 0.75 \
// RUN:   --m 40 --n 40 --k 64 --transpose-a --transpose-b --result %t/r4f32.npy | FileCheck %s --check-prefix=C4
// C4: matmul e2m1 x e2m1 f32 40x40x64 transpose_a transpose_b: 1600 elements, 0 mismatches

// radix4_even_x_int4: 128x256 x 256x64
// RUN: fp4-numerics-check gen -o %t/a5.npy --count 32768 --shape 128x256 --seed 11 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/b5.npy --count 16384 --shape 256x64 --seed 12 --uniform -1,1
// RUN: fp4-run %s --entry radix4_even_x_int4 --input %t/a5.npy --input %t/b5.npy --input %t/s16.npy --input %t/s7.7.npy \
// RUN:   --output %t/ca5dflt.npy --output %t/cb5dflt.npy --output %t/r5dflt.npy
// RUN: fp4-numerics-check matmul --format-a radix4_even --format-b int4 --a %t/ca5dflt.npy --b %t/cb5dflt.npy --scale-a 16 --scale-b 7.7 \
// RUN:   --m 128 --n 64 --k 256 --result %t/r5dflt.npy | FileCheck %s --check-prefix=C5
// RUN: env FP4_CPU_PIPELINE_OPTIONS=vnni=off fp4-run %s --entry radix4_even_x_int4 --input %t/a5.npy --input %t/b5.npy --input %t/s16.npy --input %t/s7.7.npy \
// RUN:   --output %t/ca5i16.npy --output %t/cb5i16.npy --output %t/r5i16.npy
// RUN: fp4-numerics-check matmul --format-a radix4_even --format-b int4 --a %t/ca5i16.npy --b %t/cb5i16.npy --scale-a 16 --scale-b 7.7 \
// RUN:   --m 128 --n 64 --k 256 --result %t/r5i16.npy | FileCheck %s --check-prefix=C5
// RUN: env FP4_CPU_PIPELINE_OPTIONS=int-matmul=false fp4-run %s --entry radix4_even_x_int4 --input %t/a5.npy --input %t/b5.npy --input %t/s16.npy --input %t/s7.7.npy \
// RUN:   --output %t/ca5f32.npy --output %t/cb5f32.npy --output %t/r5f32.npy
// RUN: fp4-numerics-check matmul --format-a radix4_even --format-b int4 --a %t/ca5f32.npy --b %t/cb5f32.npy --scale-a 16 --scale-b 7.7 \
// RUN:   --m 128 --n 64 --k 256 --result %t/r5f32.npy | FileCheck %s --check-prefix=C5
// C5: matmul radix4_even x int4 f32 128x64x256: 8192 elements, 0 mismatches

// radix4_odd_x_uint4_ta: 32x200 x 200x48 transpose_a
// RUN: fp4-numerics-check gen -o %t/a6.npy --count 6400 --shape 200x32 --seed 13 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/b6.npy --count 9600 --shape 200x48 --seed 14 --uniform 0,1
// RUN: fp4-run %s --entry radix4_odd_x_uint4_ta --input %t/a6.npy --input %t/b6.npy --input %t/s8.npy --input %t/s15.npy \
// RUN:   --output %t/ca6dflt.npy --output %t/cb6dflt.npy --output %t/r6dflt.npy
// RUN: fp4-numerics-check matmul --format-a radix4_odd --format-b uint4 --a %t/ca6dflt.npy --b %t/cb6dflt.npy --scale-a 8 --scale-b 15 \
// RUN:   --m 32 --n 48 --k 200 --transpose-a --result %t/r6dflt.npy | FileCheck %s --check-prefix=C6
// RUN: env FP4_CPU_PIPELINE_OPTIONS=vnni=off fp4-run %s --entry radix4_odd_x_uint4_ta --input %t/a6.npy --input %t/b6.npy --input %t/s8.npy --input %t/s15.npy \
// RUN:   --output %t/ca6i16.npy --output %t/cb6i16.npy --output %t/r6i16.npy
// RUN: fp4-numerics-check matmul --format-a radix4_odd --format-b uint4 --a %t/ca6i16.npy --b %t/cb6i16.npy --scale-a 8 --scale-b 15 \
// RUN:   --m 32 --n 48 --k 200 --transpose-a --result %t/r6i16.npy | FileCheck %s --check-prefix=C6
// RUN: env FP4_CPU_PIPELINE_OPTIONS=int-matmul=false fp4-run %s --entry radix4_odd_x_uint4_ta --input %t/a6.npy --input %t/b6.npy --input %t/s8.npy --input %t/s15.npy \
// RUN:   --output %t/ca6f32.npy --output %t/cb6f32.npy --output %t/r6f32.npy
// RUN: fp4-numerics-check matmul --format-a radix4_odd --format-b uint4 --a %t/ca6f32.npy --b %t/cb6f32.npy --scale-a 8 --scale-b 15 \
// RUN:   --m 32 --n 48 --k 200 --transpose-a --result %t/r6f32.npy | FileCheck %s --check-prefix=C6
// C6: matmul radix4_odd x uint4 f32 32x48x200 transpose_a: 1536 elements, 0 mismatches

// radix4_even_x_int4_nan: 24x96 x 96x40 transpose_b
// RUN: fp4-numerics-check gen -o %t/a7.npy --count 2304 --shape 24x96 --seed 15 --uniform -1,1 --set 3=nan,77=nan,500=nan
// RUN: fp4-numerics-check gen -o %t/b7.npy --count 3840 --shape 40x96 --seed 16 --uniform -1,1 --set 10=nan
// RUN: fp4-run %s --entry radix4_even_x_int4_nan --input %t/a7.npy --input %t/b7.npy --input %t/s16.npy --input %t/s7.7.npy \
// RUN:   --output %t/ca7dflt.npy --output %t/cb7dflt.npy --output %t/r7dflt.npy
// RUN: fp4-numerics-check matmul --format-a radix4_even --format-b int4 --a %t/ca7dflt.npy --b %t/cb7dflt.npy --scale-a 16 --scale-b 7.7 \
// RUN:   --m 24 --n 40 --k 96 --transpose-b --result %t/r7dflt.npy | FileCheck %s --check-prefix=C7
// RUN: env FP4_CPU_PIPELINE_OPTIONS=vnni=off fp4-run %s --entry radix4_even_x_int4_nan --input %t/a7.npy --input %t/b7.npy --input %t/s16.npy --input %t/s7.7.npy \
// RUN:   --output %t/ca7i16.npy --output %t/cb7i16.npy --output %t/r7i16.npy
// RUN: fp4-numerics-check matmul --format-a radix4_even --format-b int4 --a %t/ca7i16.npy --b %t/cb7i16.npy --scale-a 16 --scale-b 7.7 \
// RUN:   --m 24 --n 40 --k 96 --transpose-b --result %t/r7i16.npy | FileCheck %s --check-prefix=C7
// RUN: env FP4_CPU_PIPELINE_OPTIONS=int-matmul=false fp4-run %s --entry radix4_even_x_int4_nan --input %t/a7.npy --input %t/b7.npy --input %t/s16.npy --input %t/s7.7.npy \
// RUN:   --output %t/ca7f32.npy --output %t/cb7f32.npy --output %t/r7f32.npy
// RUN: fp4-numerics-check matmul --format-a radix4_even --format-b int4 --a %t/ca7f32.npy --b %t/cb7f32.npy --scale-a 16 --scale-b 7.7 \
// RUN:   --m 24 --n 40 --k 96 --transpose-b --result %t/r7f32.npy | FileCheck %s --check-prefix=C7
// C7: matmul radix4_even x int4 f32 24x40x96 transpose_b: 960 elements, 0 mismatches

// radix2_x_int4: 20x100 x 100x36
// RUN: fp4-numerics-check gen -o %t/a8.npy --count 2000 --shape 20x100 --seed 17 --uniform -2,2
// RUN: fp4-numerics-check gen -o %t/b8.npy --count 3600 --shape 100x36 --seed 18 --uniform -1,1
// RUN: fp4-run %s --entry radix2_x_int4 --input %t/a8.npy --input %t/b8.npy --input %t/s4.npy --input %t/s4.npy \
// RUN:   --output %t/ca8dflt.npy --output %t/cb8dflt.npy --output %t/r8dflt.npy
// RUN: fp4-numerics-check matmul --format-a radix2_fp4 --format-b int4 --a %t/ca8dflt.npy --b %t/cb8dflt.npy --scale-a 4 --scale-b 4 \
// RUN:   --m 20 --n 36 --k 100 --result %t/r8dflt.npy | FileCheck %s --check-prefix=C8
// RUN: env FP4_CPU_PIPELINE_OPTIONS=vnni=off fp4-run %s --entry radix2_x_int4 --input %t/a8.npy --input %t/b8.npy --input %t/s4.npy --input %t/s4.npy \
// RUN:   --output %t/ca8i16.npy --output %t/cb8i16.npy --output %t/r8i16.npy
// RUN: fp4-numerics-check matmul --format-a radix2_fp4 --format-b int4 --a %t/ca8i16.npy --b %t/cb8i16.npy --scale-a 4 --scale-b 4 \
// RUN:   --m 20 --n 36 --k 100 --result %t/r8i16.npy | FileCheck %s --check-prefix=C8
// RUN: env FP4_CPU_PIPELINE_OPTIONS=int-matmul=false fp4-run %s --entry radix2_x_int4 --input %t/a8.npy --input %t/b8.npy --input %t/s4.npy --input %t/s4.npy \
// RUN:   --output %t/ca8f32.npy --output %t/cb8f32.npy --output %t/r8f32.npy
// RUN: fp4-numerics-check matmul --format-a radix2_fp4 --format-b int4 --a %t/ca8f32.npy --b %t/cb8f32.npy --scale-a 4 --scale-b 4 \
// RUN:   --m 20 --n 36 --k 100 --result %t/r8f32.npy | FileCheck %s --check-prefix=C8
// C8: matmul radix2_fp4 x int4 f32 20x36x100: 720 elements, 0 mismatches

// radix4_odd_x_uint4_bigk: 16x784 x 784x32 transpose_a
// RUN: fp4-numerics-check gen -o %t/a9.npy --count 12544 --shape 784x16 --seed 19 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/b9.npy --count 25088 --shape 784x32 --seed 20 --uniform 0,1
// RUN: fp4-run %s --entry radix4_odd_x_uint4_bigk --input %t/a9.npy --input %t/b9.npy --input %t/s8.npy --input %t/s15.npy \
// RUN:   --output %t/ca9dflt.npy --output %t/cb9dflt.npy --output %t/r9dflt.npy
// RUN: fp4-numerics-check matmul --format-a radix4_odd --format-b uint4 --a %t/ca9dflt.npy --b %t/cb9dflt.npy --scale-a 8 --scale-b 15 \
// RUN:   --m 16 --n 32 --k 784 --transpose-a --result %t/r9dflt.npy | FileCheck %s --check-prefix=C9
// RUN: env FP4_CPU_PIPELINE_OPTIONS=vnni=off fp4-run %s --entry radix4_odd_x_uint4_bigk --input %t/a9.npy --input %t/b9.npy --input %t/s8.npy --input %t/s15.npy \
// RUN:   --output %t/ca9i16.npy --output %t/cb9i16.npy --output %t/r9i16.npy
// RUN: fp4-numerics-check matmul --format-a radix4_odd --format-b uint4 --a %t/ca9i16.npy --b %t/cb9i16.npy --scale-a 8 --scale-b 15 \
// RUN:   --m 16 --n 32 --k 784 --transpose-a --result %t/r9i16.npy | FileCheck %s --check-prefix=C9
// RUN: env FP4_CPU_PIPELINE_OPTIONS=int-matmul=false fp4-run %s --entry radix4_odd_x_uint4_bigk --input %t/a9.npy --input %t/b9.npy --input %t/s8.npy --input %t/s15.npy \
// RUN:   --output %t/ca9f32.npy --output %t/cb9f32.npy --output %t/r9f32.npy
// RUN: fp4-numerics-check matmul --format-a radix4_odd --format-b uint4 --a %t/ca9f32.npy --b %t/cb9f32.npy --scale-a 8 --scale-b 15 \
// RUN:   --m 16 --n 32 --k 784 --transpose-a --result %t/r9f32.npy | FileCheck %s --check-prefix=C9
// C9: matmul radix4_odd x uint4 f32 16x32x784 transpose_a: 512 elements, 0 mismatches

func.func @int4_x_uint4(%a: tensor<128x784xf32>, %b: tensor<784x256xf32>, %sa: f32, %sb: f32)
    -> (tensor<50176xi8>, tensor<100352xi8>, tensor<128x256xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<128x784xf32> -> !fp4.qtensor<128x784x#fp4.format<int4>>
  %qb = fp4.quantize %b, %sb : tensor<784x256xf32> -> !fp4.qtensor<784x256x#fp4.format<uint4>>
  %c = fp4.lowp_matmul %qa, %qb : !fp4.qtensor<128x784x#fp4.format<int4>>, !fp4.qtensor<784x256x#fp4.format<uint4>> -> tensor<128x256xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<128x784x#fp4.format<int4>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<784x256x#fp4.format<uint4>>
  return %ca, %cb, %c : tensor<50176xi8>, tensor<100352xi8>, tensor<128x256xf32>
}

func.func @uint4_x_int4_ta(%a: tensor<130x33xf32>, %b: tensor<130x47xf32>, %sa: f32, %sb: f32)
    -> (tensor<2145xi8>, tensor<3055xi8>, tensor<33x47xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<130x33xf32> -> !fp4.qtensor<130x33x#fp4.format<uint4>>
  %qb = fp4.quantize %b, %sb : tensor<130x47xf32> -> !fp4.qtensor<130x47x#fp4.format<int4>>
  %c = fp4.lowp_matmul %qa, %qb {transpose_a} : !fp4.qtensor<130x33x#fp4.format<uint4>>, !fp4.qtensor<130x47x#fp4.format<int4>> -> tensor<33x47xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<130x33x#fp4.format<uint4>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<130x47x#fp4.format<int4>>
  return %ca, %cb, %c : tensor<2145xi8>, tensor<3055xi8>, tensor<33x47xf32>
}

func.func @int4_x_int4_tb(%a: tensor<64x200xf32>, %b: tensor<96x200xf32>, %sa: f32, %sb: f32)
    -> (tensor<6400xi8>, tensor<9600xi8>, tensor<64x96xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<64x200xf32> -> !fp4.qtensor<64x200x#fp4.format<int4>>
  %qb = fp4.quantize %b, %sb : tensor<96x200xf32> -> !fp4.qtensor<96x200x#fp4.format<int4>>
  %c = fp4.lowp_matmul %qa, %qb {transpose_b} : !fp4.qtensor<64x200x#fp4.format<int4>>, !fp4.qtensor<96x200x#fp4.format<int4>> -> tensor<64x96xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<64x200x#fp4.format<int4>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<96x200x#fp4.format<int4>>
  return %ca, %cb, %c : tensor<6400xi8>, tensor<9600xi8>, tensor<64x96xf32>
}

func.func @uint4_x_uint4_odd(%a: tensor<17x31xf32>, %b: tensor<31x19xf32>, %sa: f32, %sb: f32)
    -> (tensor<264xi8>, tensor<295xi8>, tensor<17x19xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<17x31xf32> -> !fp4.qtensor<17x31x#fp4.format<uint4>>
  %qb = fp4.quantize %b, %sb : tensor<31x19xf32> -> !fp4.qtensor<31x19x#fp4.format<uint4>>
  %c = fp4.lowp_matmul %qa, %qb : !fp4.qtensor<17x31x#fp4.format<uint4>>, !fp4.qtensor<31x19x#fp4.format<uint4>> -> tensor<17x19xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<17x31x#fp4.format<uint4>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<31x19x#fp4.format<uint4>>
  return %ca, %cb, %c : tensor<264xi8>, tensor<295xi8>, tensor<17x19xf32>
}

func.func @e2m1_x_e2m1_tt(%a: tensor<64x40xf32>, %b: tensor<40x64xf32>, %sa: f32, %sb: f32)
    -> (tensor<1280xi8>, tensor<1280xi8>, tensor<40x40xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<64x40xf32> -> !fp4.qtensor<64x40x#fp4.format<e2m1>>
  %qb = fp4.quantize %b, %sb : tensor<40x64xf32> -> !fp4.qtensor<40x64x#fp4.format<e2m1>>
  %c = fp4.lowp_matmul %qa, %qb {transpose_a, transpose_b} : !fp4.qtensor<64x40x#fp4.format<e2m1>>, !fp4.qtensor<40x64x#fp4.format<e2m1>> -> tensor<40x40xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<64x40x#fp4.format<e2m1>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<40x64x#fp4.format<e2m1>>
  return %ca, %cb, %c : tensor<1280xi8>, tensor<1280xi8>, tensor<40x40xf32>
}

func.func @radix4_even_x_int4(%a: tensor<128x256xf32>, %b: tensor<256x64xf32>, %sa: f32, %sb: f32)
    -> (tensor<16384xi8>, tensor<8192xi8>, tensor<128x64xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<128x256xf32> -> !fp4.qtensor<128x256x#fp4.format<radix4, even>>
  %qb = fp4.quantize %b, %sb : tensor<256x64xf32> -> !fp4.qtensor<256x64x#fp4.format<int4>>
  %c = fp4.lowp_matmul %qa, %qb : !fp4.qtensor<128x256x#fp4.format<radix4, even>>, !fp4.qtensor<256x64x#fp4.format<int4>> -> tensor<128x64xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<128x256x#fp4.format<radix4, even>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<256x64x#fp4.format<int4>>
  return %ca, %cb, %c : tensor<16384xi8>, tensor<8192xi8>, tensor<128x64xf32>
}

func.func @radix4_odd_x_uint4_ta(%a: tensor<200x32xf32>, %b: tensor<200x48xf32>, %sa: f32, %sb: f32)
    -> (tensor<3200xi8>, tensor<4800xi8>, tensor<32x48xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<200x32xf32> -> !fp4.qtensor<200x32x#fp4.format<radix4, odd>>
  %qb = fp4.quantize %b, %sb : tensor<200x48xf32> -> !fp4.qtensor<200x48x#fp4.format<uint4>>
  %c = fp4.lowp_matmul %qa, %qb {transpose_a} : !fp4.qtensor<200x32x#fp4.format<radix4, odd>>, !fp4.qtensor<200x48x#fp4.format<uint4>> -> tensor<32x48xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<200x32x#fp4.format<radix4, odd>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<200x48x#fp4.format<uint4>>
  return %ca, %cb, %c : tensor<3200xi8>, tensor<4800xi8>, tensor<32x48xf32>
}

func.func @radix4_even_x_int4_nan(%a: tensor<24x96xf32>, %b: tensor<40x96xf32>, %sa: f32, %sb: f32)
    -> (tensor<1152xi8>, tensor<1920xi8>, tensor<24x40xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<24x96xf32> -> !fp4.qtensor<24x96x#fp4.format<radix4, even>>
  %qb = fp4.quantize %b, %sb : tensor<40x96xf32> -> !fp4.qtensor<40x96x#fp4.format<int4>>
  %c = fp4.lowp_matmul %qa, %qb {transpose_b} : !fp4.qtensor<24x96x#fp4.format<radix4, even>>, !fp4.qtensor<40x96x#fp4.format<int4>> -> tensor<24x40xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<24x96x#fp4.format<radix4, even>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<40x96x#fp4.format<int4>>
  return %ca, %cb, %c : tensor<1152xi8>, tensor<1920xi8>, tensor<24x40xf32>
}

func.func @radix2_x_int4(%a: tensor<20x100xf32>, %b: tensor<100x36xf32>, %sa: f32, %sb: f32)
    -> (tensor<1000xi8>, tensor<1800xi8>, tensor<20x36xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<20x100xf32> -> !fp4.qtensor<20x100x#fp4.format<radix2_fp4>>
  %qb = fp4.quantize %b, %sb : tensor<100x36xf32> -> !fp4.qtensor<100x36x#fp4.format<int4>>
  %c = fp4.lowp_matmul %qa, %qb : !fp4.qtensor<20x100x#fp4.format<radix2_fp4>>, !fp4.qtensor<100x36x#fp4.format<int4>> -> tensor<20x36xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<20x100x#fp4.format<radix2_fp4>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<100x36x#fp4.format<int4>>
  return %ca, %cb, %c : tensor<1000xi8>, tensor<1800xi8>, tensor<20x36xf32>
}

func.func @radix4_odd_x_uint4_bigk(%a: tensor<784x16xf32>, %b: tensor<784x32xf32>, %sa: f32, %sb: f32)
    -> (tensor<6272xi8>, tensor<12544xi8>, tensor<16x32xf32>) {
  %qa = fp4.quantize %a, %sa : tensor<784x16xf32> -> !fp4.qtensor<784x16x#fp4.format<radix4, odd>>
  %qb = fp4.quantize %b, %sb : tensor<784x32xf32> -> !fp4.qtensor<784x32x#fp4.format<uint4>>
  %c = fp4.lowp_matmul %qa, %qb {transpose_a} : !fp4.qtensor<784x16x#fp4.format<radix4, odd>>, !fp4.qtensor<784x32x#fp4.format<uint4>> -> tensor<16x32xf32>
  %ca, %s0 = fp4.unpack %qa : !fp4.qtensor<784x16x#fp4.format<radix4, odd>>
  %cb, %s1 = fp4.unpack %qb : !fp4.qtensor<784x32x#fp4.format<uint4>>
  return %ca, %cb, %c : tensor<6272xi8>, tensor<12544xi8>, tensor<16x32xf32>
}
