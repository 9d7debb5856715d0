// RUN: fp4-opt %s -canonicalize -split-input-file | FileCheck %s

// unpack(pack(c, s)) is (c, s).
// CHECK-LABEL: func.func @unpack_of_pack
// CHECK-SAME: (%[[C:.*]]: tensor<16xi8>, %[[S:.*]]: f32)
// CHECK-NOT: fp4.
// CHECK: return %[[C]], %[[S]]
func.func @unpack_of_pack(%c: tensor<16xi8>, %s: f32) -> (tensor<16xi8>, f32) {
  %q = fp4.pack %c, %s : tensor<16xi8>, f32 -> !fp4.qtensor<4x8x#fp4.format<int4>>
  %c2, %s2 = fp4.unpack %q : !fp4.qtensor<4x8x#fp4.format<int4>>
  return %c2, %s2 : tensor<16xi8>, f32
}

// -----

// pack(unpack(q)) is q.
// CHECK-LABEL: func.func @pack_of_unpack
// CHECK-SAME: (%[[Q:.*]]: !fp4.qtensor<4x8x#fp4.format<int4>>)
// CHECK-NEXT: return %[[Q]]
func.func @pack_of_unpack(%q: !fp4.qtensor<4x8x#fp4.format<int4>>) -> !fp4.qtensor<4x8x#fp4.format<int4>> {
  %c, %s = fp4.unpack %q : !fp4.qtensor<4x8x#fp4.format<int4>>
  %q2 = fp4.pack %c, %s : tensor<16xi8>, f32 -> !fp4.qtensor<4x8x#fp4.format<int4>>
  return %q2 : !fp4.qtensor<4x8x#fp4.format<int4>>
}

// -----

// Re-packing the same codes with another scale is a different value.
// CHECK-LABEL: func.func @pack_of_unpack_other_scale
// CHECK: fp4.unpack
// CHECK: fp4.pack
func.func @pack_of_unpack_other_scale(%q: !fp4.qtensor<4x8x#fp4.format<int4>>, %t: f32) -> !fp4.qtensor<4x8x#fp4.format<int4>> {
  %c, %s = fp4.unpack %q : !fp4.qtensor<4x8x#fp4.format<int4>>
  %q2 = fp4.pack %c, %t : tensor<16xi8>, f32 -> !fp4.qtensor<4x8x#fp4.format<int4>>
  return %q2 : !fp4.qtensor<4x8x#fp4.format<int4>>
}

// -----

// Reinterpreting codes as another format of the same storage is not folded.
// CHECK-LABEL: func.func @pack_of_unpack_other_format
// CHECK: fp4.unpack
// CHECK: fp4.pack
func.func @pack_of_unpack_other_format(%q: !fp4.qtensor<4x8x#fp4.format<int4>>) -> !fp4.qtensor<4x8x#fp4.format<e2m1>> {
  %c, %s = fp4.unpack %q : !fp4.qtensor<4x8x#fp4.format<int4>>
  %q2 = fp4.pack %c, %s : tensor<16xi8>, f32 -> !fp4.qtensor<4x8x#fp4.format<e2m1>>
  return %q2 : !fp4.qtensor<4x8x#fp4.format<e2m1>>
}

// -----

// dequantize(quantize(x)) is Q(x*s)/s, not x: nothing folds, and unused
// pure ops are erased.
// CHECK-LABEL: func.func @no_roundtrip_fold
// CHECK: %[[Q:.*]] = fp4.quantize
// CHECK: %[[D:.*]] = fp4.dequantize %[[Q]]
// CHECK: return %[[D]]
func.func @no_roundtrip_fold(%x: tensor<8xf32>, %s: f32) -> tensor<8xf32> {
  %q = fp4.quantize %x, %s : tensor<8xf32> -> !fp4.qtensor<8x#fp4.format<e2m1>>
  %unused = fp4.quantize %x, %s : tensor<8xf32> -> !fp4.qtensor<8x#fp4.format<int4>>
  %d = fp4.dequantize %q : !fp4.qtensor<8x#fp4.format<e2m1>> -> tensor<8xf32>
  return %d : tensor<8xf32>
}
