// fp4.gradscale on the GPU (max|g| by a kernel and a reduction, the scalar
// logic of SPEC 4.1 on the host, g * scale by a kernel), compared bit for
// bit with the numerics library: both modes, an uninitialized (0) scale,
// gradients holding an Inf or a NaN, an all-zero gradient, and 100003
// elements (a tail, 12544 partial maxima reduced by a second kernel).
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: %gpu_prepare %s -o %t/kernels.mlir
// RUN: fp4-numerics-check gen -o %t/ga.npy --count 1280 --shape 128x10 --seed 1 --uniform -0.003,0.003
// RUN: fp4-numerics-check gen -o %t/gbig.npy --count 1280 --shape 128x10 --seed 3 --uniform -1000,1000
// RUN: fp4-numerics-check gen -o %t/ginf.npy --count 1280 --shape 128x10 --seed 1 --uniform -0.003,0.003 --set 5=inf
// RUN: fp4-numerics-check gen -o %t/gnan.npy --count 1280 --shape 128x10 --seed 1 --uniform -0.003,0.003 --set 1000=nan
// RUN: fp4-numerics-check gen -o %t/gzero.npy --count 1280 --shape 128x10 --constant 0
// RUN: fp4-numerics-check gen -o %t/go.npy --count 100003 --seed 4 --log-uniform -20,3
// RUN: fp4-numerics-check scalar -o %t/s0.npy --f32 0
// RUN: fp4-numerics-check scalar -o %t/s8.npy --f32 8
// RUN: fp4-numerics-check scalar -o %t/s256.npy --f32 256

// RUN: %gpu_run %t/kernels.mlir --entry delayed_radix4_even --input %t/ga.npy --input %t/s256.npy --output %t/r0.npy --output %t/n0.npy
// RUN: fp4-numerics-check gradscale --format radix4_even --mode delayed --input %t/ga.npy --scale 256 \
// RUN:   --result %t/r0.npy --next %t/n0.npy | FileCheck %s --check-prefix=C0
// C0: gradscale radix4_even delayed: 1280 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry delayed_radix4_even --input %t/gbig.npy --input %t/s0.npy --output %t/r1.npy --output %t/n1.npy
// RUN: fp4-numerics-check gradscale --format radix4_even --mode delayed --input %t/gbig.npy --scale 0 \
// RUN:   --result %t/r1.npy --next %t/n1.npy | FileCheck %s --check-prefix=C1
// C1: gradscale radix4_even delayed: 1280 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry delayed_radix4_even --input %t/ginf.npy --input %t/s8.npy --output %t/r2.npy --output %t/n2.npy
// RUN: fp4-numerics-check gradscale --format radix4_even --mode delayed --input %t/ginf.npy --scale 8 \
// RUN:   --result %t/r2.npy --next %t/n2.npy | FileCheck %s --check-prefix=C2
// C2: gradscale radix4_even delayed: 1280 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry current_e2m1 --input %t/gnan.npy --input %t/s8.npy --output %t/r3.npy --output %t/n3.npy
// RUN: fp4-numerics-check gradscale --format e2m1 --mode current --input %t/gnan.npy --scale 8 \
// RUN:   --result %t/r3.npy --next %t/n3.npy | FileCheck %s --check-prefix=C3
// C3: gradscale e2m1 current: 1280 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry current_e2m1 --input %t/gzero.npy --input %t/s8.npy --output %t/r4.npy --output %t/n4.npy
// RUN: fp4-numerics-check gradscale --format e2m1 --mode current --input %t/gzero.npy --scale 8 \
// RUN:   --result %t/r4.npy --next %t/n4.npy | FileCheck %s --check-prefix=C4
// C4: gradscale e2m1 current: 1280 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry delayed_e4m3_long --input %t/go.npy --input %t/s256.npy --output %t/r5.npy --output %t/n5.npy
// RUN: fp4-numerics-check gradscale --format e4m3 --mode delayed --input %t/go.npy --scale 256 \
// RUN:   --result %t/r5.npy --next %t/n5.npy | FileCheck %s --check-prefix=C5
// C5: gradscale e4m3 delayed: 100003 elements, 0 mismatches
// RUN: %gpu_run %t/kernels.mlir --entry current_radix4_odd_long --input %t/go.npy --input %t/s0.npy --output %t/r6.npy --output %t/n6.npy
// RUN: fp4-numerics-check gradscale --format radix4_odd --mode current --input %t/go.npy --scale 0 \
// RUN:   --result %t/r6.npy --next %t/n6.npy | FileCheck %s --check-prefix=C6
// C6: gradscale radix4_odd current: 100003 elements, 0 mismatches

func.func @delayed_radix4_even(%g: tensor<128x10xf32>, %s: f32) -> (tensor<128x10xf32>, f32) {
  %r, %used, %next = fp4.gradscale %g, %s {format = #fp4.format<radix4, even>} : tensor<128x10xf32>
  return %r, %next : tensor<128x10xf32>, f32
}

func.func @current_e2m1(%g: tensor<128x10xf32>, %s: f32) -> (tensor<128x10xf32>, f32) {
  %r, %used, %next = fp4.gradscale %g, %s mode(current) {format = #fp4.format<e2m1>} : tensor<128x10xf32>
  return %r, %next : tensor<128x10xf32>, f32
}

func.func @delayed_e4m3_long(%g: tensor<100003xf32>, %s: f32) -> (tensor<100003xf32>, f32) {
  %r, %used, %next = fp4.gradscale %g, %s {format = #fp4.format<e4m3>} : tensor<100003xf32>
  return %r, %next : tensor<100003xf32>, f32
}

func.func @current_radix4_odd_long(%g: tensor<100003xf32>, %s: f32) -> (tensor<100003xf32>, f32) {
  %r, %used, %next = fp4.gradscale %g, %s mode(current) {format = #fp4.format<radix4, odd>} : tensor<100003xf32>
  return %r, %next : tensor<100003xf32>, f32
}
