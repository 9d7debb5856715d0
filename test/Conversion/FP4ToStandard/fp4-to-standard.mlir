// RUN: fp4-opt %s --convert-fp4-to-standard -split-input-file | FileCheck %s
// RUN: fp4-opt %s --convert-fp4-to-standard=vector-width=8 -split-input-file | FileCheck %s --check-prefix=W8

// A qtensor value becomes its packed codes and its scale, at function
// boundaries too; pack/unpack disappear.
// CHECK-LABEL: func.func @signature
// CHECK-SAME: (%[[C:.*]]: tensor<16xi8>, %[[S:.*]]: f32) -> (tensor<16xi8>, f32)
// CHECK-NOT: fp4.
// CHECK: return %[[C]], %[[S]] : tensor<16xi8>, f32
func.func @signature(%q: !fp4.qtensor<4x8x#fp4.format<int4>>) -> !fp4.qtensor<4x8x#fp4.format<int4>> {
  return %q : !fp4.qtensor<4x8x#fp4.format<int4>>
}

// -----

// Calls are rewritten with the callee.
// CHECK-LABEL: func.func @caller
// CHECK-SAME: (%[[C:.*]]: tensor<3xi8>, %[[S:.*]]: f32)
// CHECK: %[[R:.*]]:2 = call @callee(%[[C]], %[[S]]) : (tensor<3xi8>, f32) -> (tensor<3xi8>, f32)
func.func private @callee(!fp4.qtensor<5x#fp4.format<e2m1>>) -> !fp4.qtensor<5x#fp4.format<e2m1>>
func.func @caller(%q: !fp4.qtensor<5x#fp4.format<e2m1>>) -> !fp4.qtensor<5x#fp4.format<e2m1>> {
  %r = call @callee(%q) : (!fp4.qtensor<5x#fp4.format<e2m1>>) -> !fp4.qtensor<5x#fp4.format<e2m1>>
  return %r : !fp4.qtensor<5x#fp4.format<e2m1>>
}

// -----

// Quantize: full vectors in an scf.for, the rest in one masked tail step;
// two 4-bit codes per byte (even lanes low nibble, odd lanes high nibble).
// CHECK-LABEL: func.func @quantize_int4
// CHECK-SAME: (%[[X:.*]]: tensor<4x9xf32>, %[[S:.*]]: f32) -> (tensor<18xi8>, f32)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1]] : tensor<4x9xf32> into tensor<36xf32>
// CHECK: %[[INIT:.*]] = tensor.empty() : tensor<18xi8>
// CHECK: %[[LOOP:.*]] = scf.for %[[IV:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (tensor<18xi8>)
// CHECK:   vector.transfer_read %[[FLAT]][%[[IV]]], %{{.*}} {in_bounds = [true]} : tensor<36xf32>, vector<16xf32>
// CHECK:   arith.mulf
// CHECK:   vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, 6, 8, 10, 12, 14] : vector<16xi8>, vector<16xi8>
// CHECK:   vector.shuffle %{{.*}}, %{{.*}} [1, 3, 5, 7, 9, 11, 13, 15] : vector<16xi8>, vector<16xi8>
// CHECK:   arith.shli
// CHECK:   arith.ori
// CHECK:   vector.transfer_write %{{.*}}, %[[ACC]][%{{.*}}] {in_bounds = [true]} : vector<8xi8>, tensor<18xi8>
// CHECK: }
// CHECK: vector.transfer_read %[[FLAT]][%{{.*}}], %{{.*}} : tensor<36xf32>, vector<16xf32>
// CHECK: vector.constant_mask [4] : vector<16xi1>
// CHECK: %[[OUT:.*]] = vector.transfer_write %{{.*}}, %[[LOOP]][%{{.*}}] : vector<8xi8>, tensor<18xi8>
// CHECK: return %[[OUT]], %[[S]]
// W8-LABEL: func.func @quantize_int4
// W8: vector.transfer_read {{.*}} : tensor<36xf32>, vector<8xf32>
func.func @quantize_int4(%x: tensor<4x9xf32>, %s: f32) -> !fp4.qtensor<4x9x#fp4.format<int4>> {
  %q = fp4.quantize %x, %s : tensor<4x9xf32> -> !fp4.qtensor<4x9x#fp4.format<int4>>
  return %q : !fp4.qtensor<4x9x#fp4.format<int4>>
}

// -----

// Counters are carried through the loop as i64 sums of lane masks.
// CHECK-LABEL: func.func @quantize_counters
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}, %[[A:.*]] = %[[Z:.*]], %[[B:.*]] = %[[Z]], %[[C:.*]] = %[[Z]]) -> (tensor<16xi8>, i64, i64, i64)
// CHECK-COUNT-3: vector.reduction <add>
// CHECK: scf.yield
func.func @quantize_counters(%x: tensor<32xf32>, %s: f32) -> (i64, i64, i64) {
  %q, %c:3 = fp4.quantize %x, %s : tensor<32xf32> -> !fp4.qtensor<32x#fp4.format<radix4, even>>, i64, i64, i64
  return %c#0, %c#1, %c#2 : i64, i64, i64
}

// -----

// Stochastic rounding draws Philox4x32-10 numbers: ten rounds of two
// 32x32->64 multiplies.
// CHECK-LABEL: func.func @quantize_stochastic
// CHECK-COUNT-20: arith.mului_extended
// CHECK-NOT: arith.mului_extended
func.func @quantize_stochastic(%x: tensor<16xf32>, %s: f32, %seed: i64) -> !fp4.qtensor<16x#fp4.format<e2m1>> {
  %q = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(3) : tensor<16xf32> -> !fp4.qtensor<16x#fp4.format<e2m1>>
  return %q : !fp4.qtensor<16x#fp4.format<e2m1>>
}

// -----

// 8- and 16-bit formats store one code per i8 / i16.
// CHECK-LABEL: func.func @quantize_wide
// CHECK-SAME: -> (tensor<16xi8>, f32, tensor<16xi16>, f32)
// CHECK: vector.transfer_write %{{.*}} : vector<16xi8>, tensor<16xi8>
// CHECK: vector.transfer_write %{{.*}} : vector<16xi16>, tensor<16xi16>
func.func @quantize_wide(%x: tensor<16xf32>, %s: f32) -> (!fp4.qtensor<16x#fp4.format<e4m3>>, !fp4.qtensor<16x#fp4.format<bf16>>) {
  %a = fp4.quantize %x, %s : tensor<16xf32> -> !fp4.qtensor<16x#fp4.format<e4m3>>
  %b = fp4.quantize %x, %s : tensor<16xf32> -> !fp4.qtensor<16x#fp4.format<bf16>>
  return %a, %b : !fp4.qtensor<16x#fp4.format<e4m3>>, !fp4.qtensor<16x#fp4.format<bf16>>
}

// -----

// Dequantize unpacks nibbles (interleaving low and high halves) and divides
// by the scale.
// CHECK-LABEL: func.func @dequantize
// CHECK-SAME: (%[[C:.*]]: tensor<16xi8>, %[[S:.*]]: f32) -> tensor<4x8xf32>
// CHECK: scf.for
// CHECK:   vector.transfer_read %[[C]][%{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<16xi8>, vector<8xi8>
// CHECK:   vector.shuffle %{{.*}}, %{{.*}} [0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15] : vector<8xi8>, vector<8xi8>
// CHECK:   %[[BS:.*]] = vector.broadcast %[[S]] : f32 to vector<16xf32>
// CHECK:   arith.divf %{{.*}}, %[[BS]] : vector<16xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [4, 8] : tensor<32xf32> into tensor<4x8xf32>
func.func @dequantize(%q: !fp4.qtensor<4x8x#fp4.format<uint4>>) -> tensor<4x8xf32> {
  %d = fp4.dequantize %q : !fp4.qtensor<4x8x#fp4.format<uint4>> -> tensor<4x8xf32>
  return %d : tensor<4x8xf32>
}

// -----

// lowp_matmul decodes both operands in format units, multiplies them with a
// linalg.generic that reduces over k, then divides by scaleA * scaleB.
// CHECK-LABEL: func.func @lowp_matmul
// CHECK-SAME: (%{{.*}}: tensor<16xi8>, %[[SA:.*]]: f32, %{{.*}}: tensor<12xi8>, %[[SB:.*]]: f32)
// CHECK: %[[FILL:.*]] = linalg.fill
// CHECK: %[[ACC:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK: %[[D:.*]] = arith.mulf %[[SA]], %[[SB]] : f32
// CHECK: linalg.generic {{.*}} ins(%[[ACC]] : tensor<4x3xf32>)
// CHECK:   arith.divf %{{.*}}, %[[D]] : f32
func.func @lowp_matmul(%a: !fp4.qtensor<4x8x#fp4.format<uint4>>, %b: !fp4.qtensor<3x8x#fp4.format<int4>>) -> tensor<4x3xf32> {
  %c = fp4.lowp_matmul %a, %b {transpose_b} : !fp4.qtensor<4x8x#fp4.format<uint4>>, !fp4.qtensor<3x8x#fp4.format<int4>> -> tensor<4x3xf32>
  return %c : tensor<4x3xf32>
}

// -----

// f16 chunk accumulation: k padded to a multiple of the chunk, f16 partial
// sums rounded once per addition (f64 add, f64 -> f16), then an f32 sum.
// CHECK-LABEL: func.func @lowp_matmul_f16
// CHECK: tensor.pad {{.*}} low[0, 0] high[0, 3]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK:   arith.extf %{{.*}} : f16 to f64
// CHECK:   arith.addf %{{.*}}, %{{.*}} : f64
// CHECK:   arith.truncf %{{.*}} : f64 to f16
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:   arith.extf %{{.*}} : f16 to f32
func.func @lowp_matmul_f16(%a: !fp4.qtensor<4x13x#fp4.format<radix4, even>>, %b: !fp4.qtensor<13x2x#fp4.format<int4>>) -> tensor<4x2xf32> {
  %c = fp4.lowp_matmul %a, %b accumulate(f16, 4) : !fp4.qtensor<4x13x#fp4.format<radix4, even>>, !fp4.qtensor<13x2x#fp4.format<int4>> -> tensor<4x2xf32>
  return %c : tensor<4x2xf32>
}

// -----

// GradScale: one max|g| reduction, exact power-of-two scalar logic, one
// elementwise multiply.
// CHECK-LABEL: func.func @gradscale
// CHECK: vector.reduction <maximumf>
// CHECK: math.ctlz
// CHECK: linalg.generic
// CHECK:   arith.mulf
func.func @gradscale(%g: tensor<8x5xf32>, %s: f32) -> (tensor<8x5xf32>, f32) {
  %r, %u, %n = fp4.gradscale %g, %s {format = #fp4.format<radix4, even>} : tensor<8x5xf32>
  return %r, %n : tensor<8x5xf32>, f32
}

// -----

// SAWB accumulates both means in f64 in index order; max|w| (NaN-
// propagating maximumf) is a vectorized pass of its own.
// CHECK-LABEL: func.func @sawb
// CHECK: scf.for {{.*}} -> (f64, f64)
// CHECK:   arith.mulf %{{.*}}, %{{.*}} : f64
// CHECK-NOT: arith.maximumf %{{.*}} : f32
// CHECK: arith.maximumf %{{.*}} : vector<
// CHECK: math.sqrt %{{.*}} : f64
// CHECK: arith.truncf %{{.*}} : f64 to f32
func.func @sawb(%w: tensor<6x7xf32>) -> f32 {
  %s = fp4.compute_scale %w rule(sawb) {format = #fp4.format<int4>} : tensor<6x7xf32>
  return %s : f32
}
