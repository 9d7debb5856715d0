// RUN: fp4-opt %s | FileCheck %s
// Round trip: print, re-parse, print again, and compare.
// RUN: fp4-opt %s | fp4-opt | FileCheck %s
// RUN: fp4-opt %s -mlir-print-op-generic | fp4-opt | FileCheck %s

// CHECK-LABEL: func.func @quantize_nearest
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[S:.*]]: f32)
// CHECK: %[[Q:.*]] = fp4.quantize %[[X]], %[[S]] : tensor<4x8xf32> -> !fp4.qtensor<4x8x#fp4.format<int4>>
// CHECK: return %[[Q]]
func.func @quantize_nearest(%x: tensor<4x8xf32>, %s: f32) -> !fp4.qtensor<4x8x#fp4.format<int4>> {
  %q = fp4.quantize %x, %s : tensor<4x8xf32> -> !fp4.qtensor<4x8x#fp4.format<int4>>
  return %q : !fp4.qtensor<4x8x#fp4.format<int4>>
}

// CHECK-LABEL: func.func @quantize_stochastic_counters
// CHECK: %{{.*}}, %[[CNT:.*]]:3 = fp4.quantize %{{.*}}, %{{.*}} rounding(stochastic) seed(%{{.*}}) stream(7) : tensor<128x10xf32> -> !fp4.qtensor<128x10x#fp4.format<radix4, odd>>, i64, i64, i64
func.func @quantize_stochastic_counters(%dy: tensor<128x10xf32>, %s: f32, %seed: i64) -> (i64, i64, i64) {
  %q, %sat, %fl, %nf = fp4.quantize %dy, %s rounding(stochastic) seed(%seed) stream(7)
      : tensor<128x10xf32> -> !fp4.qtensor<128x10x#fp4.format<radix4, odd>>, i64, i64, i64
  return %sat, %fl, %nf : i64, i64, i64
}

// CHECK-LABEL: func.func @quantize_f16_input
// CHECK: fp4.quantize %{{.*}}, %{{.*}} : tensor<16xf16> -> !fp4.qtensor<16x#fp4.format<e2m1>>
func.func @quantize_f16_input(%x: tensor<16xf16>, %s: f32) -> !fp4.qtensor<16x#fp4.format<e2m1>> {
  %q = fp4.quantize %x, %s : tensor<16xf16> -> !fp4.qtensor<16x#fp4.format<e2m1>>
  return %q : !fp4.qtensor<16x#fp4.format<e2m1>>
}

// CHECK-LABEL: func.func @every_format
// CHECK: !fp4.qtensor<2x#fp4.format<radix4, even>>
// CHECK: !fp4.qtensor<2x#fp4.format<radix4, odd>>
// CHECK: !fp4.qtensor<2x#fp4.format<radix2_fp4>>
// CHECK: !fp4.qtensor<2x#fp4.format<e2m1>>
// CHECK: !fp4.qtensor<2x#fp4.format<int4>>
// CHECK: !fp4.qtensor<2x#fp4.format<uint4>>
// CHECK: !fp4.qtensor<2x#fp4.format<e4m3>>
// CHECK: !fp4.qtensor<2x#fp4.format<e5m2>>
// CHECK: !fp4.qtensor<2x#fp4.format<f16>>
// CHECK: !fp4.qtensor<2x#fp4.format<bf16>>
func.func @every_format(%x: tensor<2xf32>, %s: f32) {
  %0 = fp4.quantize %x, %s : tensor<2xf32> -> !fp4.qtensor<2x#fp4.format<radix4, even>>
  %1 = fp4.quantize %x, %s : tensor<2xf32> -> !fp4.qtensor<2x#fp4.format<radix4, odd>>
  %2 = fp4.quantize %x, %s : tensor<2xf32> -> !fp4.qtensor<2x#fp4.format<radix2_fp4>>
  %3 = fp4.quantize %x, %s : tensor<2xf32> -> !fp4.qtensor<2x#fp4.format<e2m1>>
  %4 = fp4.quantize %x, %s : tensor<2xf32> -> !fp4.qtensor<2x#fp4.format<int4>>
  %5 = fp4.quantize %x, %s : tensor<2xf32> -> !fp4.qtensor<2x#fp4.format<uint4>>
  %6 = fp4.quantize %x, %s : tensor<2xf32> -> !fp4.qtensor<2x#fp4.format<e4m3>>
  %7 = fp4.quantize %x, %s : tensor<2xf32> -> !fp4.qtensor<2x#fp4.format<e5m2>>
  %8 = fp4.quantize %x, %s : tensor<2xf32> -> !fp4.qtensor<2x#fp4.format<f16>>
  %9 = fp4.quantize %x, %s : tensor<2xf32> -> !fp4.qtensor<2x#fp4.format<bf16>>
  return
}

// CHECK-LABEL: func.func @block_attr
// CHECK-SAME: fmt = #fp4.format<e2m1, #fp4.block<32, e8m0, axis = 1>>
// CHECK-SAME: nv = #fp4.format<e2m1, #fp4.block<16, e4m3, axis = 0>>
func.func @block_attr() attributes {fmt = #fp4.format<e2m1, #fp4.block<32, e8m0, axis = 1>>, nv = #fp4.format<e2m1, #fp4.block<16, e4m3, axis = 0>>} {
  return
}

// CHECK-LABEL: func.func @dequantize
// CHECK: %[[F32:.*]] = fp4.dequantize %{{.*}} : !fp4.qtensor<4x8x#fp4.format<int4>> -> tensor<4x8xf32>
// CHECK: %[[F16:.*]] = fp4.dequantize %{{.*}} : !fp4.qtensor<4x8x#fp4.format<int4>> -> tensor<4x8xf16>
func.func @dequantize(%q: !fp4.qtensor<4x8x#fp4.format<int4>>) -> (tensor<4x8xf32>, tensor<4x8xf16>) {
  %0 = fp4.dequantize %q : !fp4.qtensor<4x8x#fp4.format<int4>> -> tensor<4x8xf32>
  %1 = fp4.dequantize %q : !fp4.qtensor<4x8x#fp4.format<int4>> -> tensor<4x8xf16>
  return %0, %1 : tensor<4x8xf32>, tensor<4x8xf16>
}

// CHECK-LABEL: func.func @pack_unpack
// CHECK: %[[Q:.*]] = fp4.pack %{{.*}}, %{{.*}} : tensor<16xi8>, f32 -> !fp4.qtensor<4x8x#fp4.format<e2m1>>
// CHECK: %[[C:.*]], %[[S:.*]] = fp4.unpack %{{.*}} : !fp4.qtensor<4x8x#fp4.format<e2m1>>
// CHECK: fp4.pack %{{.*}}, %{{.*}} : tensor<3xi8>, f32 -> !fp4.qtensor<5x#fp4.format<int4>>
// CHECK: fp4.pack %{{.*}}, %{{.*}} : tensor<6xi8>, f32 -> !fp4.qtensor<2x3x#fp4.format<e4m3>>
// CHECK: fp4.pack %{{.*}}, %{{.*}} : tensor<6xi16>, f32 -> !fp4.qtensor<6x#fp4.format<bf16>>
func.func @pack_unpack(%codes: tensor<16xi8>, %s: f32, %q: !fp4.qtensor<4x8x#fp4.format<e2m1>>,
                       %odd: tensor<3xi8>, %b: tensor<6xi8>, %h: tensor<6xi16>) -> (!fp4.qtensor<4x8x#fp4.format<e2m1>>, tensor<16xi8>, f32) {
  %0 = fp4.pack %codes, %s : tensor<16xi8>, f32 -> !fp4.qtensor<4x8x#fp4.format<e2m1>>
  %c, %sc = fp4.unpack %q : !fp4.qtensor<4x8x#fp4.format<e2m1>>
  %1 = fp4.pack %odd, %s : tensor<3xi8>, f32 -> !fp4.qtensor<5x#fp4.format<int4>>
  %2 = fp4.pack %b, %s : tensor<6xi8>, f32 -> !fp4.qtensor<2x3x#fp4.format<e4m3>>
  %3 = fp4.pack %h, %s : tensor<6xi16>, f32 -> !fp4.qtensor<6x#fp4.format<bf16>>
  return %0, %c, %sc : !fp4.qtensor<4x8x#fp4.format<e2m1>>, tensor<16xi8>, f32
}

// CHECK-LABEL: func.func @gradscale
// CHECK: %{{.*}}, %{{.*}}, %{{.*}} = fp4.gradscale %{{.*}}, %{{.*}} {format = #fp4.format<radix4, even>} : tensor<128x10xf32>
// CHECK: %{{.*}}, %{{.*}}, %{{.*}} = fp4.gradscale %{{.*}}, %{{.*}} mode(current) {format = #fp4.format<e5m2>} : tensor<7xf32>
func.func @gradscale(%dy: tensor<128x10xf32>, %s: f32, %g: tensor<7xf32>) -> (tensor<128x10xf32>, f32) {
  %gs, %applied, %next = fp4.gradscale %dy, %s {format = #fp4.format<radix4, even>} : tensor<128x10xf32>
  %gc, %ac, %nc = fp4.gradscale %g, %s mode(current) {format = #fp4.format<e5m2>} : tensor<7xf32>
  return %gs, %next : tensor<128x10xf32>, f32
}

// CHECK-LABEL: func.func @compute_scale
// CHECK: fp4.compute_scale %{{.*}} rule(sawb) {format = #fp4.format<int4>} : tensor<256x784xf32>
// CHECK: fp4.compute_scale %{{.*}} rule(amax) {format = #fp4.format<e4m3>} : tensor<256x784xf32>
func.func @compute_scale(%w: tensor<256x784xf32>) -> (f32, f32) {
  %0 = fp4.compute_scale %w rule(sawb) {format = #fp4.format<int4>} : tensor<256x784xf32>
  %1 = fp4.compute_scale %w rule(amax) {format = #fp4.format<e4m3>} : tensor<256x784xf32>
  return %0, %1 : f32, f32
}

// CHECK-LABEL: func.func @lowp_matmul
// CHECK: fp4.lowp_matmul %{{.*}}, %{{.*}} {transpose_b} : !fp4.qtensor<128x784x#fp4.format<uint4>>, !fp4.qtensor<256x784x#fp4.format<int4>> -> tensor<128x256xf32>
// CHECK: fp4.lowp_matmul %{{.*}}, %{{.*}} accumulate(f16, 64) {transpose_a} : !fp4.qtensor<10x128x#fp4.format<radix4, odd>>, !fp4.qtensor<10x256x#fp4.format<uint4>> -> tensor<128x256xf32>
func.func @lowp_matmul(%a: !fp4.qtensor<128x784x#fp4.format<uint4>>, %w: !fp4.qtensor<256x784x#fp4.format<int4>>,
                       %dy: !fp4.qtensor<10x128x#fp4.format<radix4, odd>>, %x: !fp4.qtensor<10x256x#fp4.format<uint4>>) -> (tensor<128x256xf32>, tensor<128x256xf32>) {
  %0 = fp4.lowp_matmul %a, %w {transpose_b} : !fp4.qtensor<128x784x#fp4.format<uint4>>, !fp4.qtensor<256x784x#fp4.format<int4>> -> tensor<128x256xf32>
  %1 = fp4.lowp_matmul %dy, %x accumulate(f16, 64) {transpose_a} : !fp4.qtensor<10x128x#fp4.format<radix4, odd>>, !fp4.qtensor<10x256x#fp4.format<uint4>> -> tensor<128x256xf32>
  return %0, %1 : tensor<128x256xf32>, tensor<128x256xf32>
}
