// fp4.compute_scale compiled for the CPU, compared bit for bit with the
// numerics library: SAWB (SPEC 4.2; sawbScale, the f64 means in index order)
// and amax (fl32(MAX / max|x|)) for several formats, including all-zero
// inputs (scale 1), inputs holding an Inf or a NaN (scale 1), constant
// weights (SAWB alpha <= 0, clipped to max|w|), heavy-tailed weights and an
// odd size (1001 elements: tail of the vectorized max reduction).
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: fp4-numerics-check gen -o %t/wu.npy --count 200704 --shape 256x784 --seed 1 --uniform -0.1,0.1
// RUN: fp4-numerics-check gen -o %t/wl.npy --count 200704 --shape 256x784 --seed 2 --log-uniform -20,0
// RUN: fp4-numerics-check gen -o %t/wc.npy --count 200704 --shape 256x784 --constant -0.25
// RUN: fp4-numerics-check gen -o %t/wz.npy --count 200704 --shape 256x784 --constant 0
// RUN: fp4-numerics-check gen -o %t/wn.npy --count 200704 --shape 256x784 --seed 1 --uniform -0.1,0.1 --set 200703=nan
// RUN: fp4-numerics-check gen -o %t/wi.npy --count 200704 --shape 256x784 --seed 1 --uniform -0.1,0.1 --set 17=-inf
// RUN: fp4-numerics-check gen -o %t/ou.npy --count 1001 --seed 3 --uniform -3,5
// RUN: fp4-numerics-check gen -o %t/on.npy --count 1001 --seed 3 --uniform -3,5 --set 1000=-nan
// RUN: fp4-numerics-check gen -o %t/oz.npy --count 1001 --constant -0.0

// SAWB.
// RUN: fp4-run %s --entry sawb --input %t/wu.npy --output %t/su.npy
// RUN: fp4-numerics-check sawb --input %t/wu.npy --scale %t/su.npy | FileCheck %s --check-prefix=SAWB
// RUN: fp4-run %s --entry sawb --input %t/wl.npy --output %t/sl.npy
// RUN: fp4-numerics-check sawb --input %t/wl.npy --scale %t/sl.npy | FileCheck %s --check-prefix=SAWB
// RUN: fp4-run %s --entry sawb --input %t/wc.npy --output %t/sc.npy
// RUN: fp4-numerics-check sawb --input %t/wc.npy --scale %t/sc.npy | FileCheck %s --check-prefix=SAWB-CONST
// RUN: fp4-run %s --entry sawb --input %t/wz.npy --output %t/sz.npy
// RUN: fp4-numerics-check sawb --input %t/wz.npy --scale %t/sz.npy | FileCheck %s --check-prefix=SAWB-ONE
// RUN: fp4-run %s --entry sawb --input %t/wn.npy --output %t/sn.npy
// RUN: fp4-numerics-check sawb --input %t/wn.npy --scale %t/sn.npy | FileCheck %s --check-prefix=SAWB-ONE
// RUN: fp4-run %s --entry sawb --input %t/wi.npy --output %t/si.npy
// RUN: fp4-numerics-check sawb --input %t/wi.npy --scale %t/si.npy | FileCheck %s --check-prefix=SAWB-ONE
// RUN: fp4-run %s --entry sawb_odd --input %t/ou.npy --output %t/sou.npy
// RUN: fp4-numerics-check sawb --input %t/ou.npy --scale %t/sou.npy | FileCheck %s --check-prefix=SAWB-ODD
// RUN: fp4-run %s --entry sawb_odd --input %t/oz.npy --output %t/soz.npy
// RUN: fp4-numerics-check sawb --input %t/oz.npy --scale %t/soz.npy | FileCheck %s --check-prefix=SAWB-ODD-ONE
// SAWB: sawb: 200704 elements, scale {{.*}}, 0 mismatches
// SAWB-CONST: sawb: 200704 elements, scale 0x41e00000 (28), 0 mismatches
// SAWB-ONE: sawb: 200704 elements, scale 0x3f800000 (1), 0 mismatches
// SAWB-ODD: sawb: 1001 elements, scale {{.*}}, 0 mismatches
// SAWB-ODD-ONE: sawb: 1001 elements, scale 0x3f800000 (1), 0 mismatches

// amax: one function returns the scales of five formats.
// RUN: fp4-run %s --entry amax --input %t/wu.npy --output %t/au0.npy --output %t/au1.npy \
// RUN:   --output %t/au2.npy --output %t/au3.npy --output %t/au4.npy
// RUN: fp4-numerics-check amax --format int4 --input %t/wu.npy --scale %t/au0.npy | FileCheck %s --check-prefix=AMAX
// RUN: fp4-numerics-check amax --format radix4_even --input %t/wu.npy --scale %t/au1.npy | FileCheck %s --check-prefix=AMAX
// RUN: fp4-numerics-check amax --format radix4_odd --input %t/wu.npy --scale %t/au2.npy | FileCheck %s --check-prefix=AMAX
// RUN: fp4-numerics-check amax --format e4m3 --input %t/wu.npy --scale %t/au3.npy | FileCheck %s --check-prefix=AMAX
// RUN: fp4-numerics-check amax --format bf16 --input %t/wu.npy --scale %t/au4.npy | FileCheck %s --check-prefix=AMAX
// RUN: fp4-run %s --entry amax --input %t/wl.npy --output %t/al0.npy --output %t/al1.npy \
// RUN:   --output %t/al2.npy --output %t/al3.npy --output %t/al4.npy
// RUN: fp4-numerics-check amax --format int4 --input %t/wl.npy --scale %t/al0.npy | FileCheck %s --check-prefix=AMAX
// RUN: fp4-numerics-check amax --format radix4_even --input %t/wl.npy --scale %t/al1.npy | FileCheck %s --check-prefix=AMAX
// RUN: fp4-numerics-check amax --format radix4_odd --input %t/wl.npy --scale %t/al2.npy | FileCheck %s --check-prefix=AMAX
// RUN: fp4-numerics-check amax --format e4m3 --input %t/wl.npy --scale %t/al3.npy | FileCheck %s --check-prefix=AMAX
// RUN: fp4-numerics-check amax --format bf16 --input %t/wl.npy --scale %t/al4.npy | FileCheck %s --check-prefix=AMAX
// RUN: fp4-run %s --entry amax --input %t/wz.npy --output %t/az0.npy --output %t/az1.npy \
// RUN:   --output %t/az2.npy --output %t/az3.npy --output %t/az4.npy
// RUN: fp4-numerics-check amax --format int4 --input %t/wz.npy --scale %t/az0.npy | FileCheck %s --check-prefix=AMAX-ONE
// RUN: fp4-numerics-check amax --format bf16 --input %t/wz.npy --scale %t/az4.npy | FileCheck %s --check-prefix=AMAX-ONE
// RUN: fp4-run %s --entry amax --input %t/wn.npy --output %t/an0.npy --output %t/an1.npy \
// RUN:   --output %t/an2.npy --output %t/an3.npy --output %t/an4.npy
// RUN: fp4-numerics-check amax --format int4 --input %t/wn.npy --scale %t/an0.npy | FileCheck %s --check-prefix=AMAX-ONE
// RUN: fp4-numerics-check amax --format e4m3 --input %t/wn.npy --scale %t/an3.npy | FileCheck %s --check-prefix=AMAX-ONE
// RUN: fp4-run %s --entry amax --input %t/wi.npy --output %t/ai0.npy --output %t/ai1.npy \
// RUN:   --output %t/ai2.npy --output %t/ai3.npy --output %t/ai4.npy
// RUN: fp4-numerics-check amax --format radix4_even --input %t/wi.npy --scale %t/ai1.npy | FileCheck %s --check-prefix=AMAX-ONE
// RUN: fp4-run %s --entry amax_odd --input %t/ou.npy --output %t/aou0.npy --output %t/aou1.npy
// RUN: fp4-numerics-check amax --format e2m1 --input %t/ou.npy --scale %t/aou0.npy | FileCheck %s --check-prefix=AMAX-ODD
// RUN: fp4-numerics-check amax --format uint4 --input %t/ou.npy --scale %t/aou1.npy | FileCheck %s --check-prefix=AMAX-ODD
// RUN: fp4-run %s --entry amax_odd --input %t/on.npy --output %t/aon0.npy --output %t/aon1.npy
// RUN: fp4-numerics-check amax --format e2m1 --input %t/on.npy --scale %t/aon0.npy | FileCheck %s --check-prefix=AMAX-ODD-ONE
// RUN: fp4-numerics-check amax --format uint4 --input %t/on.npy --scale %t/aon1.npy | FileCheck %s --check-prefix=AMAX-ODD-ONE
// RUN: fp4-run %s --entry amax_odd --input %t/oz.npy --output %t/aoz0.npy --output %t/aoz1.npy
// RUN: fp4-numerics-check amax --format e2m1 --input %t/oz.npy --scale %t/aoz0.npy | FileCheck %s --check-prefix=AMAX-ODD-ONE
// AMAX: amax {{[a-z0-9_]+}}: 200704 elements, scale {{.*}}, 0 mismatches
// AMAX-ONE: amax {{[a-z0-9_]+}}: 200704 elements, scale 0x3f800000 (1), 0 mismatches
// AMAX-ODD: amax {{[a-z0-9_]+}}: 1001 elements, scale {{.*}}, 0 mismatches
// AMAX-ODD-ONE: amax {{[a-z0-9_]+}}: 1001 elements, scale 0x3f800000 (1), 0 mismatches

func.func @sawb(%w: tensor<256x784xf32>) -> f32 {
  %s = fp4.compute_scale %w rule(sawb) {format = #fp4.format<int4>} : tensor<256x784xf32>
  return %s : f32
}

func.func @sawb_odd(%w: tensor<1001xf32>) -> f32 {
  %s = fp4.compute_scale %w rule(sawb) {format = #fp4.format<int4>} : tensor<1001xf32>
  return %s : f32
}

func.func @amax(%w: tensor<256x784xf32>) -> (f32, f32, f32, f32, f32) {
  %0 = fp4.compute_scale %w rule(amax) {format = #fp4.format<int4>} : tensor<256x784xf32>
  %1 = fp4.compute_scale %w rule(amax) {format = #fp4.format<radix4, even>} : tensor<256x784xf32>
  %2 = fp4.compute_scale %w rule(amax) {format = #fp4.format<radix4, odd>} : tensor<256x784xf32>
  %3 = fp4.compute_scale %w rule(amax) {format = #fp4.format<e4m3>} : tensor<256x784xf32>
  %4 = fp4.compute_scale %w rule(amax) {format = #fp4.format<bf16>} : tensor<256x784xf32>
  return %0, %1, %2, %3, %4 : f32, f32, f32, f32, f32
}

func.func @amax_odd(%w: tensor<1001xf32>) -> (f32, f32) {
  %0 = fp4.compute_scale %w rule(amax) {format = #fp4.format<e2m1>} : tensor<1001xf32>
  %1 = fp4.compute_scale %w rule(amax) {format = #fp4.format<uint4>} : tensor<1001xf32>
  return %0, %1 : f32, f32
}
