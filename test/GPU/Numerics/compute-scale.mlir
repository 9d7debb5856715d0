// fp4.compute_scale on the GPU, compared with the numerics library: SAWB
// (per-thread f64 sums in a different order than the library's sequential
// sum, so SPEC 4.2 allows the f32 scale to differ by one ulp: the checks
// accept a 1-ulp mismatch and nothing more) and amax (bit for bit), on 200704 elements (25088
// partial results reduced by a second kernel) and 1001 (a tail), with a
// NaN, an Inf and all-zero inputs.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: %gpu_prepare %s -o %t/kernels.mlir
// RUN: fp4-numerics-check gen -o %t/wu.npy --count 200704 --shape 256x784 --seed 1 --uniform -0.1,0.1
// RUN: fp4-numerics-check gen -o %t/wl.npy --count 200704 --shape 256x784 --seed 2 --log-uniform -20,0
// RUN: fp4-numerics-check gen -o %t/wz.npy --count 200704 --shape 256x784 --constant 0
// RUN: fp4-numerics-check gen -o %t/wn.npy --count 200704 --shape 256x784 --seed 1 --uniform -0.1,0.1 --set 200703=nan
// RUN: fp4-numerics-check gen -o %t/wi.npy --count 200704 --shape 256x784 --seed 1 --uniform -0.1,0.1 --set 17=-inf
// RUN: fp4-numerics-check gen -o %t/ou.npy --count 1001 --seed 3 --uniform -3,5

// RUN: %gpu_run %t/kernels.mlir --entry sawb --input %t/wu.npy --output %t/su.npy
// RUN: fp4-numerics-check sawb --input %t/wu.npy --scale %t/su.npy > %t/su.txt || true
// RUN: FileCheck %s --check-prefix=SAWB < %t/su.txt
// RUN: %gpu_run %t/kernels.mlir --entry sawb --input %t/wl.npy --output %t/sl.npy
// RUN: fp4-numerics-check sawb --input %t/wl.npy --scale %t/sl.npy > %t/sl.txt || true
// RUN: FileCheck %s --check-prefix=SAWB < %t/sl.txt
// RUN: %gpu_run %t/kernels.mlir --entry sawb --input %t/wz.npy --output %t/sz.npy
// RUN: fp4-numerics-check sawb --input %t/wz.npy --scale %t/sz.npy > %t/sz.txt || true
// RUN: FileCheck %s --check-prefix=SAWB < %t/sz.txt
// RUN: %gpu_run %t/kernels.mlir --entry sawb --input %t/wn.npy --output %t/sn.npy
// RUN: fp4-numerics-check sawb --input %t/wn.npy --scale %t/sn.npy > %t/sn.txt || true
// RUN: FileCheck %s --check-prefix=SAWB < %t/sn.txt
// RUN: %gpu_run %t/kernels.mlir --entry sawb_odd --input %t/ou.npy --output %t/so.npy
// RUN: fp4-numerics-check sawb --input %t/ou.npy --scale %t/so.npy > %t/so.txt || true
// RUN: FileCheck %s --check-prefix=SAWB-ODD < %t/so.txt
// SAWB: sawb: 200704 elements, scale {{.*}}, {{(0 mismatches|1 ulp\), 1 mismatches)$}}
// SAWB-ODD: sawb: 1001 elements, scale {{.*}}, {{(0 mismatches|1 ulp\), 1 mismatches)$}}

// RUN: %gpu_run %t/kernels.mlir --entry amax --input %t/wl.npy --output %t/a0.npy --output %t/a1.npy --output %t/a2.npy
// RUN: fp4-numerics-check amax --format int4 --input %t/wl.npy --scale %t/a0.npy | FileCheck %s --check-prefix=AMAX
// RUN: fp4-numerics-check amax --format radix4_odd --input %t/wl.npy --scale %t/a1.npy | FileCheck %s --check-prefix=AMAX
// RUN: fp4-numerics-check amax --format bf16 --input %t/wl.npy --scale %t/a2.npy | FileCheck %s --check-prefix=AMAX
// RUN: %gpu_run %t/kernels.mlir --entry amax --input %t/wi.npy --output %t/i0.npy --output %t/i1.npy --output %t/i2.npy
// RUN: fp4-numerics-check amax --format int4 --input %t/wi.npy --scale %t/i0.npy | FileCheck %s --check-prefix=AMAX
// RUN: %gpu_run %t/kernels.mlir --entry amax --input %t/wn.npy --output %t/n0.npy --output %t/n1.npy --output %t/n2.npy
// RUN: fp4-numerics-check amax --format radix4_odd --input %t/wn.npy --scale %t/n1.npy | FileCheck %s --check-prefix=AMAX
// RUN: %gpu_run %t/kernels.mlir --entry amax_odd --input %t/ou.npy --output %t/o0.npy
// RUN: fp4-numerics-check amax --format e2m1 --input %t/ou.npy --scale %t/o0.npy | FileCheck %s --check-prefix=AMAX-ODD
// AMAX: amax {{[a-z0-9_]+}}: 200704 elements, scale {{.*}}, 0 mismatches
// AMAX-ODD: amax e2m1: 1001 elements, scale {{.*}}, 0 mismatches

func.func @sawb(%w: tensor<256x784xf32>) -> f32 {
  %s = fp4.compute_scale %w rule(sawb) {format = #fp4.format<int4>} : tensor<256x784xf32>
  return %s : f32
}

func.func @sawb_odd(%w: tensor<1001xf32>) -> f32 {
  %s = fp4.compute_scale %w rule(sawb) {format = #fp4.format<int4>} : tensor<1001xf32>
  return %s : f32
}

func.func @amax(%w: tensor<256x784xf32>) -> (f32, f32, f32) {
  %0 = fp4.compute_scale %w rule(amax) {format = #fp4.format<int4>} : tensor<256x784xf32>
  %1 = fp4.compute_scale %w rule(amax) {format = #fp4.format<radix4, odd>} : tensor<256x784xf32>
  %2 = fp4.compute_scale %w rule(amax) {format = #fp4.format<bf16>} : tensor<256x784xf32>
  return %0, %1, %2 : f32, f32, f32
}

func.func @amax_odd(%w: tensor<1001xf32>) -> f32 {
  %0 = fp4.compute_scale %w rule(amax) {format = #fp4.format<e2m1>} : tensor<1001xf32>
  return %0 : f32
}
