// RUN: fp4-opt %s --split-input-file --fp4-lowp-matmul-to-integer=vnni=true --canonicalize --cse --verify-diagnostics | FileCheck %s
// RUN: fp4-opt %s --split-input-file --fp4-lowp-matmul-to-integer=vnni=false --canonicalize --cse --verify-diagnostics | FileCheck %s --check-prefix=I16
// RUN: fp4-opt %s --split-input-file --fp4-lowp-matmul-to-integer="vnni=true bound=int32" --canonicalize --cse --verify-diagnostics | FileCheck %s --check-prefix=I32

// int4 x uint4 on VNNI: the codes are decoded to i8 (nibbles, int4
// sign-extended), A is laid out as quads A[m, k/4, 4], B (zero-padded from
// 20 to 32 columns) as B[k/4, n, 4]; the GEMM is a u8 (B, zero-extended) x
// s8 (A) quad contraction in i32; the result is f32(acc) / (sA * sB).

// CHECK-LABEL: func.func @int4_x_uint4(
// CHECK:         %[[CA:.*]], %[[SA:.*]] = fp4.unpack %arg0
// CHECK:         %[[CB:.*]], %[[SB:.*]] = fp4.unpack %arg1
// CHECK:         arith.shrsi {{.*}} : vector<32xi8>
// CHECK:         vector.interleave {{.*}} : vector<32xi8> -> vector<64xi8>
// CHECK:         %[[A3:.*]] = tensor.expand_shape {{.*}} output_shape [4, 2, 4] : tensor<32xi8> into tensor<4x2x4xi8>
// CHECK:         %[[BP:.*]] = tensor.pad {{.*}} high[0, 12]
// CHECK:         %[[B4:.*]] = tensor.expand_shape %[[BP]] {{\[}}[0, 1], [2]] output_shape [2, 4, 32]
// CHECK:         %[[B3:.*]] = linalg.transpose ins(%[[B4]] : tensor<2x4x32xi8>) {{.*}} permutation = [0, 2, 1]
// CHECK:         %[[ACC:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%[[A3]], %[[B3]] : tensor<4x2x4xi8>, tensor<2x32x4xi8>) outs(%{{.*}} : tensor<4x32xi32>)
// CHECK:           arith.extsi %{{.*}} : i8 to i32
// CHECK:           arith.extui %{{.*}} : i8 to i32
// CHECK:           arith.muli
// CHECK:           arith.addi
// CHECK:         %[[S:.*]] = tensor.extract_slice %[[ACC]][0, 0] [4, 20] [1, 1]
// CHECK:         %[[D:.*]] = arith.mulf %[[SA]], %[[SB]] : f32
// CHECK:         linalg.generic {{.*}} ins(%[[S]] : tensor<4x20xi32>)
// CHECK:           %[[F:.*]] = arith.sitofp %{{.*}} : i32 to f32
// CHECK:           arith.divf %[[F]], %[[D]] : f32
// CHECK-NOT:     fp4.lowp_matmul
// I16-LABEL: func.func @int4_x_uint4(
// I16:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x4x2xi16>, tensor<4x32x2xi16>) outs(%{{.*}} : tensor<4x32xi32>)
func.func @int4_x_uint4(%a: !fp4.qtensor<4x8x#fp4.format<int4>>, %b: !fp4.qtensor<8x20x#fp4.format<uint4>>) -> tensor<4x20xf32> {
  %c = fp4.lowp_matmul %a, %b : !fp4.qtensor<4x8x#fp4.format<int4>>, !fp4.qtensor<8x20x#fp4.format<uint4>> -> tensor<4x20xf32>
  return %c : tensor<4x20xf32>
}

// -----

// Two signed operands on VNNI: A + 8 is unsigned; the result subtracts
// 8 * sum_k B[k, n].

// CHECK-LABEL: func.func @int4_x_int4(
// CHECK:         %[[ACC:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x2x4xi8>, tensor<2x16x4xi8>)
// CHECK:           arith.extui
// CHECK:           arith.extsi
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<8x16xi8>) outs(%{{.*}} : tensor<16xi32>)
// CHECK:         linalg.generic {{.*}} ins(%[[ACC]], %[[SUM]] : tensor<4x16xi32>, tensor<16xi32>)
// CHECK:           %[[O:.*]] = arith.muli %{{.*}}, %c8_i32 : i32
// CHECK:           arith.subi %{{.*}}, %[[O]] : i32
// I16-LABEL: func.func @int4_x_int4(
// I16-NOT:     arith.subi
func.func @int4_x_int4(%a: !fp4.qtensor<4x8x#fp4.format<int4>>, %b: !fp4.qtensor<8x16x#fp4.format<int4>>) -> tensor<4x16xf32> {
  %c = fp4.lowp_matmul %a, %b : !fp4.qtensor<4x8x#fp4.format<int4>>, !fp4.qtensor<8x16x#fp4.format<int4>> -> tensor<4x16xf32>
  return %c : tensor<4x16xf32>
}

// -----

// radix-4 x int4 (transposed B): i16 pairs (4096 = 64 * 2^6 does not fit
// i8), a NaN mask for A's code 0b1000 (rows of NaN), the result times 2^-6.

// CHECK-LABEL: func.func @radix4_x_int4(
// CHECK:         vector.interleave {{.*}} : vector<32xi16> -> vector<64xi16>
// CHECK:         %[[B3:.*]] = linalg.transpose ins(%{{.*}} : tensor<16x4x2xi16>) {{.*}} permutation = [1, 0, 2]
// CHECK:         %[[ACC:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[B3]] : tensor<4x4x2xi16>, tensor<4x16x2xi16>)
// CHECK:         %[[NAN:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<4x8xi8>) outs(%{{.*}} : tensor<4xi8>)
// CHECK:           arith.ori
// CHECK:         linalg.generic {{.*}} ins(%[[ACC]], %[[NAN]] : tensor<4x16xi32>, tensor<4xi8>)
// CHECK:           %[[F:.*]] = arith.sitofp
// CHECK:           %[[U:.*]] = arith.mulf %[[F]], %cst{{.*}} : f32
// CHECK:           %[[FLAG:.*]] = arith.trunci %{{.*}} : i8 to i1
// CHECK:           %[[R:.*]] = arith.select %[[FLAG]], %cst{{.*}}, %[[U]] : f32
// CHECK:           arith.divf %[[R]]
func.func @radix4_x_int4(%a: !fp4.qtensor<4x8x#fp4.format<radix4, even>>, %b: !fp4.qtensor<16x8x#fp4.format<int4>>) -> tensor<4x16xf32> {
  %c = fp4.lowp_matmul %a, %b {transpose_b} : !fp4.qtensor<4x8x#fp4.format<radix4, even>>, !fp4.qtensor<16x8x#fp4.format<int4>> -> tensor<4x16xf32>
  return %c : tensor<4x16xf32>
}

// -----

// K * 4096 * 15 > 2^24: some f32 partial sums could round, so the f32
// definition is kept (bound=f32-exact); int32 still holds it (bound=int32).

// CHECK-LABEL: func.func @radix4_x_uint4_big_k(
// CHECK:         fp4.lowp_matmul
// I32-LABEL: func.func @radix4_x_uint4_big_k(
// I32-NOT:     fp4.lowp_matmul
// I32:         tensor<4x16xi32>
func.func @radix4_x_uint4_big_k(%a: !fp4.qtensor<4x300x#fp4.format<radix4, odd>>, %b: !fp4.qtensor<300x16x#fp4.format<uint4>>) -> tensor<4x16xf32> {
  %c = fp4.lowp_matmul %a, %b : !fp4.qtensor<4x300x#fp4.format<radix4, odd>>, !fp4.qtensor<300x16x#fp4.format<uint4>> -> tensor<4x16xf32>
  return %c : tensor<4x16xf32>
}

// -----

// Not integer-valued (e4m3), or f16 chunk accumulation: unchanged.

// CHECK-LABEL: func.func @e4m3(
// CHECK:         fp4.lowp_matmul
func.func @e4m3(%a: !fp4.qtensor<4x8x#fp4.format<e4m3>>, %b: !fp4.qtensor<8x16x#fp4.format<e4m3>>) -> tensor<4x16xf32> {
  %c = fp4.lowp_matmul %a, %b : !fp4.qtensor<4x8x#fp4.format<e4m3>>, !fp4.qtensor<8x16x#fp4.format<e4m3>> -> tensor<4x16xf32>
  return %c : tensor<4x16xf32>
}

// CHECK-LABEL: func.func @f16_chunks(
// CHECK:         fp4.lowp_matmul {{.*}} accumulate(f16, 4)
func.func @f16_chunks(%a: !fp4.qtensor<4x8x#fp4.format<int4>>, %b: !fp4.qtensor<8x16x#fp4.format<uint4>>) -> tensor<4x16xf32> {
  %c = fp4.lowp_matmul %a, %b accumulate(f16, 4) : !fp4.qtensor<4x8x#fp4.format<int4>>, !fp4.qtensor<8x16x#fp4.format<uint4>> -> tensor<4x16xf32>
  return %c : tensor<4x16xf32>
}
