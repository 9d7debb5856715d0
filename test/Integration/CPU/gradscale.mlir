// fp4.gradscale (SPEC 4.1) compiled for the CPU, compared bit for bit with the
// numerics library: the scaled gradient and the next scale, for both modes,
// initialized and uninitialized (0) scales, gradients holding an Inf or a NaN,
// all-zero gradients, scales at the clamp limits 2^127 / 2^-126, several
// formats, and 100003-element gradients (tails of the vectorized reduction).
// The `used ..., next ...` lines pin values derived by hand from the op
// description (docs/generated/FP4Dialect.md).
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: fp4-numerics-check gen -o %t/ga.npy --count 1280 --shape 128x10 --seed 1 --uniform -0.003,0.003
// RUN: fp4-numerics-check gen -o %t/gb.npy --count 1280 --shape 128x10 --seed 2 --log-uniform -30,-5
// RUN: fp4-numerics-check gen -o %t/gbig.npy --count 1280 --shape 128x10 --seed 3 --uniform -1000,1000
// RUN: fp4-numerics-check gen -o %t/ginf.npy --count 1280 --shape 128x10 --seed 1 --uniform -0.003,0.003 --set 5=inf
// RUN: fp4-numerics-check gen -o %t/gninf.npy --count 1280 --shape 128x10 --seed 1 --uniform -0.003,0.003 --set 1279=-inf
// RUN: fp4-numerics-check gen -o %t/gnan.npy --count 1280 --shape 128x10 --seed 1 --uniform -0.003,0.003 --set 1000=nan
// RUN: fp4-numerics-check gen -o %t/gzero.npy --count 1280 --shape 128x10 --constant 0
// RUN: fp4-numerics-check gen -o %t/gtiny.npy --count 1280 --shape 128x10 --constant 1e-38
// RUN: fp4-numerics-check gen -o %t/go.npy --count 100003 --seed 4 --log-uniform -20,3
// RUN: fp4-numerics-check gen -o %t/gonan.npy --count 100003 --seed 4 --log-uniform -20,3 --set 100002=-nan
// RUN: fp4-numerics-check gen -o %t/gl.npy --count 300007 --seed 5 --log-uniform -20,3
// RUN: fp4-numerics-check gen -o %t/glnan.npy --count 300007 --seed 5 --log-uniform -20,3 --set 150001=nan
// RUN: fp4-numerics-check gen -o %t/glinf.npy --count 300007 --seed 5 --log-uniform -20,3 --set 65536=-inf
// RUN: fp4-numerics-check scalar -o %t/s0.npy --f32 0
// RUN: fp4-numerics-check scalar -o %t/s0x1p-126.npy --f32 0x1p-126
// RUN: fp4-numerics-check scalar -o %t/s0.5.npy --f32 0.5
// RUN: fp4-numerics-check scalar -o %t/s1.npy --f32 1
// RUN: fp4-numerics-check scalar -o %t/s3.npy --f32 3
// RUN: fp4-numerics-check scalar -o %t/s4.npy --f32 4
// RUN: fp4-numerics-check scalar -o %t/s8.npy --f32 8
// RUN: fp4-numerics-check scalar -o %t/s16.npy --f32 16
// RUN: fp4-numerics-check scalar -o %t/s256.npy --f32 256
// RUN: fp4-numerics-check scalar -o %t/s1024.npy --f32 1024
// RUN: fp4-numerics-check scalar -o %t/s2048.npy --f32 2048
// RUN: fp4-numerics-check scalar -o %t/s16384.npy --f32 16384
// RUN: fp4-numerics-check scalar -o %t/s65536.npy --f32 65536
// RUN: fp4-numerics-check scalar -o %t/s0x1p127.npy --f32 0x1p127

// delayed_radix4_even, ga, scale 256: m = 0.77 <= 32: 2s.
// RUN: fp4-run %s --entry delayed_radix4_even --input %t/ga.npy --input %t/s256.npy --output %t/r0.npy --output %t/n0.npy
// RUN: fp4-numerics-check gradscale --format radix4_even --mode delayed --input %t/ga.npy --scale 256 \
// RUN:   --result %t/r0.npy --next %t/n0.npy | FileCheck %s --check-prefix=C0
// C0: gradscale radix4_even delayed: 1280 elements, 0 mismatches
// C0-NEXT: {{.*}}, used 0x43800000 (256), next 0x44000000 (512)

// delayed_radix4_even, ga, scale 65536: m = 197 > 64: s/2.
// RUN: fp4-run %s --entry delayed_radix4_even --input %t/ga.npy --input %t/s65536.npy --output %t/r1.npy --output %t/n1.npy
// RUN: fp4-numerics-check gradscale --format radix4_even --mode delayed --input %t/ga.npy --scale 65536 \
// RUN:   --result %t/r1.npy --next %t/n1.npy | FileCheck %s --check-prefix=C1
// C1: gradscale radix4_even delayed: 1280 elements, 0 mismatches
// C1-NEXT: {{.*}}, used 0x47800000 (65536), next 0x47000000 (32768)

// delayed_radix4_even, ga, scale 16384: m in (32, 64]: s.
// RUN: fp4-run %s --entry delayed_radix4_even --input %t/ga.npy --input %t/s16384.npy --output %t/r2.npy --output %t/n2.npy
// RUN: fp4-numerics-check gradscale --format radix4_even --mode delayed --input %t/ga.npy --scale 16384 \
// RUN:   --result %t/r2.npy --next %t/n2.npy | FileCheck %s --check-prefix=C2
// C2: gradscale radix4_even delayed: 1280 elements, 0 mismatches

// delayed_radix4_even, ga, scale 0: uninitialized: 2^floor(log2(64 / max|g|)).
// RUN: fp4-run %s --entry delayed_radix4_even --input %t/ga.npy --input %t/s0.npy --output %t/r3.npy --output %t/n3.npy
// RUN: fp4-numerics-check gradscale --format radix4_even --mode delayed --input %t/ga.npy --scale 0 \
// RUN:   --result %t/r3.npy --next %t/n3.npy | FileCheck %s --check-prefix=C3
// C3: gradscale radix4_even delayed: 1280 elements, 0 mismatches

// delayed_radix4_even, ginf, scale 256: Inf: s/2.
// RUN: fp4-run %s --entry delayed_radix4_even --input %t/ginf.npy --input %t/s256.npy --output %t/r4.npy --output %t/n4.npy
// RUN: fp4-numerics-check gradscale --format radix4_even --mode delayed --input %t/ginf.npy --scale 256 \
// RUN:   --result %t/r4.npy --next %t/n4.npy | FileCheck %s --check-prefix=C4
// C4: gradscale radix4_even delayed: 1280 elements, 0 mismatches
// C4-NEXT: {{.*}}, used 0x43800000 (256), next 0x43000000 (128)

// delayed_radix4_even, gnan, scale 0: NaN, uninitialized: used 1, next 1/2.
// RUN: fp4-run %s --entry delayed_radix4_even --input %t/gnan.npy --input %t/s0.npy --output %t/r5.npy --output %t/n5.npy
// RUN: fp4-numerics-check gradscale --format radix4_even --mode delayed --input %t/gnan.npy --scale 0 \
// RUN:   --result %t/r5.npy --next %t/n5.npy | FileCheck %s --check-prefix=C5
// C5: gradscale radix4_even delayed: 1280 elements, 0 mismatches
// C5-NEXT: {{.*}}, used 0x3f800000 (1), next 0x3f000000 (0.5)

// delayed_radix4_even, gzero, scale 0: all zero, uninitialized: 1.
// RUN: fp4-run %s --entry delayed_radix4_even --input %t/gzero.npy --input %t/s0.npy --output %t/r6.npy --output %t/n6.npy
// RUN: fp4-numerics-check gradscale --format radix4_even --mode delayed --input %t/gzero.npy --scale 0 \
// RUN:   --result %t/r6.npy --next %t/n6.npy | FileCheck %s --check-prefix=C6
// C6: gradscale radix4_even delayed: 1280 elements, 0 mismatches
// C6-NEXT: {{.*}}, used 0x3f800000 (1), next 0x3f800000 (1)

// delayed_radix4_even, gzero, scale 8: all zero: unchanged.
// RUN: fp4-run %s --entry delayed_radix4_even --input %t/gzero.npy --input %t/s8.npy --output %t/r7.npy --output %t/n7.npy
// RUN: fp4-numerics-check gradscale --format radix4_even --mode delayed --input %t/gzero.npy --scale 8 \
// RUN:   --result %t/r7.npy --next %t/n7.npy | FileCheck %s --check-prefix=C7
// C7: gradscale radix4_even delayed: 1280 elements, 0 mismatches
// C7-NEXT: {{.*}}, used 0x41000000 (8), next 0x41000000 (8)

// delayed_radix4_even, gtiny, scale 0x1p127: 2s clamped to 2^127.
// RUN: fp4-run %s --entry delayed_radix4_even --input %t/gtiny.npy --input %t/s0x1p127.npy --output %t/r8.npy --output %t/n8.npy
// RUN: fp4-numerics-check gradscale --format radix4_even --mode delayed --input %t/gtiny.npy --scale 0x1p127 \
// RUN:   --result %t/r8.npy --next %t/n8.npy | FileCheck %s --check-prefix=C8
// C8: gradscale radix4_even delayed: 1280 elements, 0 mismatches
// C8-NEXT: {{.*}}, used 0x7f000000 (1.70141183e+38), next 0x7f000000 (1.70141183e+38)

// current_radix4_even, ga, scale 1: from this step's max.
// RUN: fp4-run %s --entry current_radix4_even --input %t/ga.npy --input %t/s1.npy --output %t/r9.npy --output %t/n9.npy
// RUN: fp4-numerics-check gradscale --format radix4_even --mode current --input %t/ga.npy --scale 1 \
// RUN:   --result %t/r9.npy --next %t/n9.npy | FileCheck %s --check-prefix=C9
// C9: gradscale radix4_even current: 1280 elements, 0 mismatches

// current_radix4_even, ga, scale 0.
// RUN: fp4-run %s --entry current_radix4_even --input %t/ga.npy --input %t/s0.npy --output %t/r10.npy --output %t/n10.npy
// RUN: fp4-numerics-check gradscale --format radix4_even --mode current --input %t/ga.npy --scale 0 \
// RUN:   --result %t/r10.npy --next %t/n10.npy | FileCheck %s --check-prefix=C10
// C10: gradscale radix4_even current: 1280 elements, 0 mismatches

// current_radix4_even, ginf, scale 4: Inf: scale kept, next halved.
// RUN: fp4-run %s --entry current_radix4_even --input %t/ginf.npy --input %t/s4.npy --output %t/r11.npy --output %t/n11.npy
// RUN: fp4-numerics-check gradscale --format radix4_even --mode current --input %t/ginf.npy --scale 4 \
// RUN:   --result %t/r11.npy --next %t/n11.npy | FileCheck %s --check-prefix=C11
// C11: gradscale radix4_even current: 1280 elements, 0 mismatches
// C11-NEXT: {{.*}}, used 0x40800000 (4), next 0x40000000 (2)

// current_radix4_even, gninf, scale 0: -Inf, uninitialized.
// RUN: fp4-run %s --entry current_radix4_even --input %t/gninf.npy --input %t/s0.npy --output %t/r12.npy --output %t/n12.npy
// RUN: fp4-numerics-check gradscale --format radix4_even --mode current --input %t/gninf.npy --scale 0 \
// RUN:   --result %t/r12.npy --next %t/n12.npy | FileCheck %s --check-prefix=C12
// C12: gradscale radix4_even current: 1280 elements, 0 mismatches
// C12-NEXT: {{.*}}, used 0x3f800000 (1), next 0x3f000000 (0.5)

// current_radix4_even, gzero, scale 16: all zero: unchanged.
// RUN: fp4-run %s --entry current_radix4_even --input %t/gzero.npy --input %t/s16.npy --output %t/r13.npy --output %t/n13.npy
// RUN: fp4-numerics-check gradscale --format radix4_even --mode current --input %t/gzero.npy --scale 16 \
// RUN:   --result %t/r13.npy --next %t/n13.npy | FileCheck %s --check-prefix=C13
// C13: gradscale radix4_even current: 1280 elements, 0 mismatches
// C13-NEXT: {{.*}}, used 0x41800000 (16), next 0x41800000 (16)

// current_radix4_even, gzero, scale 0: all zero, uninitialized: 1.
// RUN: fp4-run %s --entry current_radix4_even --input %t/gzero.npy --input %t/s0.npy --output %t/r14.npy --output %t/n14.npy
// RUN: fp4-numerics-check gradscale --format radix4_even --mode current --input %t/gzero.npy --scale 0 \
// RUN:   --result %t/r14.npy --next %t/n14.npy | FileCheck %s --check-prefix=C14
// C14: gradscale radix4_even current: 1280 elements, 0 mismatches
// C14-NEXT: {{.*}}, used 0x3f800000 (1), next 0x3f800000 (1)

// delayed_radix4_odd, gb, scale 0: odd phase uses MAX = 64 too.
// RUN: fp4-run %s --entry delayed_radix4_odd --input %t/gb.npy --input %t/s0.npy --output %t/r15.npy --output %t/n15.npy
// RUN: fp4-numerics-check gradscale --format radix4_odd --mode delayed --input %t/gb.npy --scale 0 \
// RUN:   --result %t/r15.npy --next %t/n15.npy | FileCheck %s --check-prefix=C15
// C15: gradscale radix4_odd delayed: 1280 elements, 0 mismatches

// delayed_radix4_odd, gb, scale 1024.
// RUN: fp4-run %s --entry delayed_radix4_odd --input %t/gb.npy --input %t/s1024.npy --output %t/r16.npy --output %t/n16.npy
// RUN: fp4-numerics-check gradscale --format radix4_odd --mode delayed --input %t/gb.npy --scale 1024 \
// RUN:   --result %t/r16.npy --next %t/n16.npy | FileCheck %s --check-prefix=C16
// C16: gradscale radix4_odd delayed: 1280 elements, 0 mismatches

// delayed_e2m1, gbig, scale 1: m = 1000 > 6.
// RUN: fp4-run %s --entry delayed_e2m1 --input %t/gbig.npy --input %t/s1.npy --output %t/r17.npy --output %t/n17.npy
// RUN: fp4-numerics-check gradscale --format e2m1 --mode delayed --input %t/gbig.npy --scale 1 \
// RUN:   --result %t/r17.npy --next %t/n17.npy | FileCheck %s --check-prefix=C17
// C17: gradscale e2m1 delayed: 1280 elements, 0 mismatches
// C17-NEXT: {{.*}}, used 0x3f800000 (1), next 0x3f000000 (0.5)

// delayed_e2m1, ga, scale 3: a scale that is not a power of two: exponent arithmetic.
// RUN: fp4-run %s --entry delayed_e2m1 --input %t/ga.npy --input %t/s3.npy --output %t/r18.npy --output %t/n18.npy
// RUN: fp4-numerics-check gradscale --format e2m1 --mode delayed --input %t/ga.npy --scale 3 \
// RUN:   --result %t/r18.npy --next %t/n18.npy | FileCheck %s --check-prefix=C18
// C18: gradscale e2m1 delayed: 1280 elements, 0 mismatches

// current_e2m1, gbig, scale 1.
// RUN: fp4-run %s --entry current_e2m1 --input %t/gbig.npy --input %t/s1.npy --output %t/r19.npy --output %t/n19.npy
// RUN: fp4-numerics-check gradscale --format e2m1 --mode current --input %t/gbig.npy --scale 1 \
// RUN:   --result %t/r19.npy --next %t/n19.npy | FileCheck %s --check-prefix=C19
// C19: gradscale e2m1 current: 1280 elements, 0 mismatches

// current_e2m1, gb, scale 0.
// RUN: fp4-run %s --entry current_e2m1 --input %t/gb.npy --input %t/s0.npy --output %t/r20.npy --output %t/n20.npy
// RUN: fp4-numerics-check gradscale --format e2m1 --mode current --input %t/gb.npy --scale 0 \
// RUN:   --result %t/r20.npy --next %t/n20.npy | FileCheck %s --check-prefix=C20
// C20: gradscale e2m1 current: 1280 elements, 0 mismatches

// delayed_e5m2, gnan, scale 2048: NaN: s/2.
// RUN: fp4-run %s --entry delayed_e5m2 --input %t/gnan.npy --input %t/s2048.npy --output %t/r21.npy --output %t/n21.npy
// RUN: fp4-numerics-check gradscale --format e5m2 --mode delayed --input %t/gnan.npy --scale 2048 \
// RUN:   --result %t/r21.npy --next %t/n21.npy | FileCheck %s --check-prefix=C21
// C21: gradscale e5m2 delayed: 1280 elements, 0 mismatches
// C21-NEXT: {{.*}}, used 0x45000000 (2048), next 0x44800000 (1024)

// delayed_e5m2, gb, scale 0.
// RUN: fp4-run %s --entry delayed_e5m2 --input %t/gb.npy --input %t/s0.npy --output %t/r22.npy --output %t/n22.npy
// RUN: fp4-numerics-check gradscale --format e5m2 --mode delayed --input %t/gb.npy --scale 0 \
// RUN:   --result %t/r22.npy --next %t/n22.npy | FileCheck %s --check-prefix=C22
// C22: gradscale e5m2 delayed: 1280 elements, 0 mismatches

// delayed_e5m2, gbig, scale 0x1p-126.
// RUN: fp4-run %s --entry delayed_e5m2 --input %t/gbig.npy --input %t/s0x1p-126.npy --output %t/r23.npy --output %t/n23.npy
// RUN: fp4-numerics-check gradscale --format e5m2 --mode delayed --input %t/gbig.npy --scale 0x1p-126 \
// RUN:   --result %t/r23.npy --next %t/n23.npy | FileCheck %s --check-prefix=C23
// C23: gradscale e5m2 delayed: 1280 elements, 0 mismatches

// current_e5m2, gb, scale 0.
// RUN: fp4-run %s --entry current_e5m2 --input %t/gb.npy --input %t/s0.npy --output %t/r24.npy --output %t/n24.npy
// RUN: fp4-numerics-check gradscale --format e5m2 --mode current --input %t/gb.npy --scale 0 \
// RUN:   --result %t/r24.npy --next %t/n24.npy | FileCheck %s --check-prefix=C24
// C24: gradscale e5m2 current: 1280 elements, 0 mismatches

// current_e5m2, gnan, scale 0x1p-126: NaN: s/2 clamped to 2^-126.
// RUN: fp4-run %s --entry current_e5m2 --input %t/gnan.npy --input %t/s0x1p-126.npy --output %t/r25.npy --output %t/n25.npy
// RUN: fp4-numerics-check gradscale --format e5m2 --mode current --input %t/gnan.npy --scale 0x1p-126 \
// RUN:   --result %t/r25.npy --next %t/n25.npy | FileCheck %s --check-prefix=C25
// C25: gradscale e5m2 current: 1280 elements, 0 mismatches
// C25-NEXT: {{.*}}, used 0x00800000 (1.17549435e-38), next 0x00800000 (1.17549435e-38)

// current_e4m3_odd, go, scale 0: 100003 elements: vector tail of the max reduction.
// RUN: fp4-run %s --entry current_e4m3_odd --input %t/go.npy --input %t/s0.npy --output %t/r26.npy --output %t/n26.npy
// RUN: fp4-numerics-check gradscale --format e4m3 --mode current --input %t/go.npy --scale 0 \
// RUN:   --result %t/r26.npy --next %t/n26.npy | FileCheck %s --check-prefix=C26
// C26: gradscale e4m3 current: 100003 elements, 0 mismatches

// current_e4m3_odd, gonan, scale 0: NaN in the tail.
// RUN: fp4-run %s --entry current_e4m3_odd --input %t/gonan.npy --input %t/s0.npy --output %t/r27.npy --output %t/n27.npy
// RUN: fp4-numerics-check gradscale --format e4m3 --mode current --input %t/gonan.npy --scale 0 \
// RUN:   --result %t/r27.npy --next %t/n27.npy | FileCheck %s --check-prefix=C27
// C27: gradscale e4m3 current: 100003 elements, 0 mismatches
// C27-NEXT: {{.*}}, used 0x3f800000 (1), next 0x3f000000 (0.5)

// delayed_radix2_odd, go, scale 1.
// RUN: fp4-run %s --entry delayed_radix2_odd --input %t/go.npy --input %t/s1.npy --output %t/r28.npy --output %t/n28.npy
// RUN: fp4-numerics-check gradscale --format radix2_fp4 --mode delayed --input %t/go.npy --scale 1 \
// RUN:   --result %t/r28.npy --next %t/n28.npy | FileCheck %s --check-prefix=C28
// C28: gradscale radix2_fp4 delayed: 100003 elements, 0 mismatches

// delayed_radix2_odd, gonan, scale 0.5: NaN in the tail.
// RUN: fp4-run %s --entry delayed_radix2_odd --input %t/gonan.npy --input %t/s0.5.npy --output %t/r29.npy --output %t/n29.npy
// RUN: fp4-numerics-check gradscale --format radix2_fp4 --mode delayed --input %t/gonan.npy --scale 0.5 \
// RUN:   --result %t/r29.npy --next %t/n29.npy | FileCheck %s --check-prefix=C29
// C29: gradscale radix2_fp4 delayed: 100003 elements, 0 mismatches
// C29-NEXT: {{.*}}, used 0x3f000000 (0.5), next 0x3e800000 (0.25)

// current_e4m3_large: 300007 elements, more than two parallel chunks of the
// CPU pipeline (65536 elements each, then a remainder with a vector tail):
// the chunks' maxima are combined exactly, a NaN or an Inf in any chunk
// reaches the result.
// RUN: fp4-run %s --entry current_e4m3_large --input %t/gl.npy --input %t/s0.npy --output %t/r30.npy --output %t/n30.npy
// RUN: fp4-numerics-check gradscale --format e4m3 --mode current --input %t/gl.npy --scale 0 \
// RUN:   --result %t/r30.npy --next %t/n30.npy | FileCheck %s --check-prefix=C30
// C30: gradscale e4m3 current: 300007 elements, 0 mismatches
// RUN: fp4-run %s --entry current_e4m3_large --input %t/glnan.npy --input %t/s4.npy --output %t/r31.npy --output %t/n31.npy
// RUN: fp4-numerics-check gradscale --format e4m3 --mode current --input %t/glnan.npy --scale 4 \
// RUN:   --result %t/r31.npy --next %t/n31.npy | FileCheck %s --check-prefix=C31
// C31: gradscale e4m3 current: 300007 elements, 0 mismatches
// C31-NEXT: {{.*}}, used 0x40800000 (4), next 0x40000000 (2)
// RUN: fp4-run %s --entry current_e4m3_large --input %t/glinf.npy --input %t/s4.npy --output %t/r32.npy --output %t/n32.npy
// RUN: fp4-numerics-check gradscale --format e4m3 --mode current --input %t/glinf.npy --scale 4 \
// RUN:   --result %t/r32.npy --next %t/n32.npy | FileCheck %s --check-prefix=C32
// C32: gradscale e4m3 current: 300007 elements, 0 mismatches
// C32-NEXT: {{.*}}, used 0x40800000 (4), next 0x40000000 (2)

func.func @current_e4m3_large(%g: tensor<300007xf32>, %s: f32) -> (tensor<300007xf32>, f32) {
  %r, %used, %next = fp4.gradscale %g, %s mode(current) {format = #fp4.format<e4m3>} : tensor<300007xf32>
  return %r, %next : tensor<300007xf32>, f32
}

func.func @delayed_radix4_even(%g: tensor<128x10xf32>, %s: f32) -> (tensor<128x10xf32>, f32) {
  %r, %used, %next = fp4.gradscale %g, %s {format = #fp4.format<radix4, even>} : tensor<128x10xf32>
  return %r, %next : tensor<128x10xf32>, f32
}

func.func @current_radix4_even(%g: tensor<128x10xf32>, %s: f32) -> (tensor<128x10xf32>, f32) {
  %r, %used, %next = fp4.gradscale %g, %s mode(current) {format = #fp4.format<radix4, even>} : tensor<128x10xf32>
  return %r, %next : tensor<128x10xf32>, f32
}

func.func @delayed_radix4_odd(%g: tensor<128x10xf32>, %s: f32) -> (tensor<128x10xf32>, f32) {
  %r, %used, %next = fp4.gradscale %g, %s {format = #fp4.format<radix4, odd>} : tensor<128x10xf32>
  return %r, %next : tensor<128x10xf32>, f32
}

func.func @delayed_e2m1(%g: tensor<128x10xf32>, %s: f32) -> (tensor<128x10xf32>, f32) {
  %r, %used, %next = fp4.gradscale %g, %s {format = #fp4.format<e2m1>} : tensor<128x10xf32>
  return %r, %next : tensor<128x10xf32>, f32
}

func.func @current_e2m1(%g: tensor<128x10xf32>, %s: f32) -> (tensor<128x10xf32>, f32) {
  %r, %used, %next = fp4.gradscale %g, %s mode(current) {format = #fp4.format<e2m1>} : tensor<128x10xf32>
  return %r, %next : tensor<128x10xf32>, f32
}

func.func @delayed_e5m2(%g: tensor<128x10xf32>, %s: f32) -> (tensor<128x10xf32>, f32) {
  %r, %used, %next = fp4.gradscale %g, %s {format = #fp4.format<e5m2>} : tensor<128x10xf32>
  return %r, %next : tensor<128x10xf32>, f32
}

func.func @current_e5m2(%g: tensor<128x10xf32>, %s: f32) -> (tensor<128x10xf32>, f32) {
  %r, %used, %next = fp4.gradscale %g, %s mode(current) {format = #fp4.format<e5m2>} : tensor<128x10xf32>
  return %r, %next : tensor<128x10xf32>, f32
}

func.func @current_e4m3_odd(%g: tensor<100003xf32>, %s: f32) -> (tensor<100003xf32>, f32) {
  %r, %used, %next = fp4.gradscale %g, %s mode(current) {format = #fp4.format<e4m3>} : tensor<100003xf32>
  return %r, %next : tensor<100003xf32>, f32
}

func.func @delayed_radix2_odd(%g: tensor<100003xf32>, %s: f32) -> (tensor<100003xf32>, f32) {
  %r, %used, %next = fp4.gradscale %g, %s {format = #fp4.format<radix2_fp4>} : tensor<100003xf32>
  return %r, %next : tensor<100003xf32>, f32
}
