// RUN: fp4-opt %s -split-input-file --convert-fp4-to-gpu=chip=sm_80 | FileCheck %s --check-prefixes=CHECK,SM80
// RUN: fp4-opt %s -split-input-file --convert-fp4-to-gpu=chip=sm_90 | FileCheck %s --check-prefixes=CHECK,SM90
// RUN: fp4-opt %s -split-input-file --convert-fp4-to-gpu=chip=sm_100a | FileCheck %s --check-prefixes=CHECK,SM100

// Quantize with counters: the input buffer comes from bufferization.to_buffer,
// the codes (two per byte) and the per-thread partial counters go to fresh
// buffers; the kernel is a block_x/thread_x nest named by `function`; 8
// elements per thread and iteration (vector load, 4 packed bytes stored);
// the 32 partial counters of each kind are summed on the host.

// CHECK-LABEL: func.func @quantize_int4
// CHECK-SAME:    (%[[X:.*]]: tensor<4x8xf32>, %[[S:.*]]: f32) -> (tensor<16xi8>, i64, i64, i64)
// CHECK:         %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1]] : tensor<4x8xf32> into tensor<32xf32>
// CHECK:         %[[IN:.*]] = bufferization.to_buffer %[[FLAT]] read_only : tensor<32xf32> to memref<32xf32>
// CHECK:         %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<16xi8>
// CHECK:         %[[PART:.*]] = memref.alloc() {alignment = 64 : i64} : memref<3x32xi64>
// CHECK:         scf.parallel
// CHECK:           scf.parallel
// CHECK:             scf.for
// CHECK:               vector.load %[[IN]][%{{.*}}] {alignment = 16 : i64} : memref<32xf32>, vector<8xf32>
// CHECK:               vector.store %{{.*}}, %[[OUT]][%{{.*}}] {alignment = 4 : i64} : memref<16xi8>, vector<4xi8>
// CHECK:             memref.store %{{.*}}, %[[PART]]
// CHECK:           } {mapping = [#gpu.loop_dim_map<processor = thread_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK:         } {function = @fp4_quantize_int4, mapping = [#gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK:         %[[CODES:.*]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<16xi8> to tensor<16xi8>
// CHECK:         %[[SAT:.*]] = scf.for
// CHECK:           memref.load %[[PART]]
// CHECK:         return %[[CODES]], %[[SAT]], %{{.*}}, %{{.*}} : tensor<16xi8>, i64, i64, i64
func.func @quantize_int4(%x: tensor<4x8xf32>, %s: f32) -> (tensor<16xi8>, i64, i64, i64) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s
      : tensor<4x8xf32> -> !fp4.qtensor<4x8x#fp4.format<int4>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<4x8x#fp4.format<int4>>
  return %c, %sat, %flush, %nf : tensor<16xi8>, i64, i64, i64
}

// -----

// More than 1024 threads: a second kernel reduces the partial counters to
// 256 before the host adds them.

// CHECK-LABEL: func.func @quantize_many
// CHECK:         memref.alloc() {alignment = 64 : i64} : memref<3x131072xi64>
// CHECK:         } {function = @fp4_quantize_int4, mapping
// CHECK:         memref.alloc() {alignment = 64 : i64} : memref<3x256xi64>
// CHECK:         } {function = @fp4_quantize_int4_reduce, mapping
func.func @quantize_many(%x: tensor<1048576xf32>, %s: f32) -> i64 {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s
      : tensor<1048576xf32> -> !fp4.qtensor<1048576x#fp4.format<int4>>, i64, i64, i64
  return %sat : i64
}

// -----

// Stochastic rounding: Philox (mului_extended) per element index; 13
// elements are one full chunk and a tail of 5 elements that thread 0
// quantizes one at a time (3 bytes, the last high nibble 0).

// CHECK-LABEL: func.func @stochastic
// CHECK-SAME:    %[[SEED:[^:]*]]: i64
// CHECK:         scf.for
// CHECK:           arith.mului_extended
// CHECK:         scf.if
// CHECK-COUNT-3:   memref.store %{{.*}} : memref<7xi8>
// CHECK:         } {function = @fp4_quantize_radix4_odd_sr, mapping
func.func @stochastic(%x: tensor<13xf32>, %s: f32, %seed: i64) -> tensor<7xi8> {
  %q = fp4.quantize %x, %s rounding(stochastic) seed(%seed) stream(3)
      : tensor<13xf32> -> !fp4.qtensor<13x#fp4.format<radix4, odd>>
  %c, %sc = fp4.unpack %q : !fp4.qtensor<13x#fp4.format<radix4, odd>>
  return %c : tensor<7xi8>
}

// -----

// e2m1 nearest: the native `cvt.rn.satfinite.e2m1x2.f32` on sm_100a only.

// CHECK-LABEL: func.func @quantize_e2m1
// SM80-NOT:      nvvm.convert.f32x2.to.f4x2
// SM90-NOT:      nvvm.convert.f32x2.to.f4x2
// SM100-COUNT-4: nvvm.convert.f32x2.to.f4x2 %{{.*}}, %{{.*}} : i8(f4E2M1FN)
// CHECK:         } {function = @fp4_quantize_e2m1, mapping
func.func @quantize_e2m1(%x: tensor<64xf32>, %s: f32) -> tensor<32xi8> {
  %q = fp4.quantize %x, %s : tensor<64xf32> -> !fp4.qtensor<64x#fp4.format<e2m1>>
  %c, %sc = fp4.unpack %q : !fp4.qtensor<64x#fp4.format<e2m1>>
  return %c : tensor<32xi8>
}

// -----

// Dequantize: 4 bytes unpacked to 8 codes, decoded, divided by the scale;
// the qtensor argument is its storage (codes, scale).

// CHECK-LABEL: func.func @dequantize
// CHECK-SAME:    (%[[C:.*]]: tensor<16xi8>, %[[S:.*]]: f32) -> tensor<4x8xf32>
// CHECK:         %[[IN:.*]] = bufferization.to_buffer %[[C]] read_only
// CHECK:         vector.load %[[IN]][%{{.*}}] {alignment = 4 : i64} : memref<16xi8>, vector<4xi8>
// CHECK:         vector.shuffle %{{.*}}, %{{.*}} [0, 4, 1, 5, 2, 6, 3, 7]
// CHECK:         arith.divf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK:         vector.store %{{.*}} {alignment = 16 : i64} : memref<32xf32>, vector<8xf32>
// CHECK:         } {function = @fp4_dequantize_uint4, mapping
// CHECK:         tensor.expand_shape
func.func @dequantize(%q: !fp4.qtensor<4x8x#fp4.format<uint4>>) -> tensor<4x8xf32> {
  %y = fp4.dequantize %q : !fp4.qtensor<4x8x#fp4.format<uint4>> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// GradScale: max|g| by a kernel, the scalar logic as the CPU lowering's
// gradscale of {max|g|} on the host (marked fp4.host), then g * scale.

// CHECK-LABEL: func.func @gradscale
// CHECK:         } {function = @fp4_gradscale_absmax, mapping
// CHECK:         %[[M:.*]] = tensor.from_elements %{{.*}} : tensor<1xf32>
// CHECK:         %{{.*}}, %[[USED:.*]], %[[NEXT:.*]] = fp4.gradscale %[[M]], %{{.*}} mode(current) {format = #fp4.format<radix4, even>, fp4.host} : tensor<1xf32>
// CHECK:         arith.mulf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK:         } {function = @fp4_gradscale_apply, mapping
// CHECK:         return %{{.*}}, %[[USED]], %[[NEXT]]
func.func @gradscale(%g: tensor<4x10xf32>, %s: f32) -> (tensor<4x10xf32>, f32, f32) {
  %r, %used, %next = fp4.gradscale %g, %s mode(current) {format = #fp4.format<radix4, even>} : tensor<4x10xf32>
  return %r, %used, %next : tensor<4x10xf32>, f32, f32
}

// -----

// compute_scale: amax like gradscale; SAWB with per-thread f64 sums and the
// formula on the host.

// CHECK-LABEL: func.func @amax
// CHECK:         } {function = @fp4_amax, mapping
// CHECK:         fp4.compute_scale %{{.*}} rule(amax) {format = #fp4.format<e4m3>, fp4.host} : tensor<1xf32>
func.func @amax(%w: tensor<100xf32>) -> f32 {
  %s = fp4.compute_scale %w rule(amax) {format = #fp4.format<e4m3>} : tensor<100xf32>
  return %s : f32
}

// CHECK-LABEL: func.func @sawb
// CHECK:         memref.alloc() {alignment = 64 : i64} : memref<2x32xf64>
// CHECK:         } {function = @fp4_sawb, mapping
// CHECK:         math.sqrt %{{.*}} : f64
// CHECK-NOT:     fp4.compute_scale
func.func @sawb(%w: tensor<100xf32>) -> f32 {
  %s = fp4.compute_scale %w rule(sawb) {format = #fp4.format<int4>} : tensor<100xf32>
  return %s : f32
}

// -----

// lowp_matmul, f32 accumulation of int4 x uint4: on sm_80 both operands are
// decoded to f32 and one thread computes one element; with FP8 tensor cores
// both become e4m3 matrices (i32 words of 4 k) and 64x64 tiles are computed
// by 4 warps with 8 inline-PTX MMAs per k step of 32.

// CHECK-LABEL: func.func @matmul
// SM80:          } {function = @fp4_lowp_matmul_decode_a, mapping
// SM80:          } {function = @fp4_lowp_matmul_decode_b, mapping
// SM80-NOT:      llvm.inline_asm
// SM80:          } {function = @fp4_lowp_matmul, mapping
// SM90:          memref.alloc() {alignment = 64 : i64} : memref<1024xi32>
// SM90:          } {function = @fp4_lowp_matmul_mma_a, mapping
// SM90:          } {function = @fp4_lowp_matmul_mma_b, mapping
// SM90:          scf.parallel (%{{.*}}, %{{.*}}) =
// SM90-COUNT-8:  llvm.inline_asm asm_dialect = att "mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 {$0, $1, $2, $3}, {$4, $5, $6, $7}, {$8, $9}, {$10, $11, $12, $13};", "=f,=f,=f,=f,r,r,r,r,r,r,f,f,f,f"
// SM90:          } {function = @fp4_lowp_matmul_mma, mapping = [#gpu.loop_dim_map<processor = block_x, {{.*}}>, #gpu.loop_dim_map<processor = block_y, {{.*}}>]}
// SM100-COUNT-8: llvm.inline_asm asm_dialect = att "mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32
func.func @matmul(%a: !fp4.qtensor<16x64x#fp4.format<int4>>,
                  %b: !fp4.qtensor<8x64x#fp4.format<uint4>>) -> tensor<16x8xf32> {
  %c = fp4.lowp_matmul %a, %b {transpose_b}
      : !fp4.qtensor<16x64x#fp4.format<int4>>, !fp4.qtensor<8x64x#fp4.format<uint4>> -> tensor<16x8xf32>
  return %c : tensor<16x8xf32>
}

// -----

// Chunked f16 accumulation, and e5m2 operands (not exact in e4m3), use the
// decoded f32 path on every chip.

// CHECK-LABEL: func.func @matmul_f16
// CHECK-NOT:     llvm.inline_asm
// CHECK:         arith.truncf %{{.*}} : f64 to f16
// CHECK:         } {function = @fp4_lowp_matmul, mapping
func.func @matmul_f16(%a: !fp4.qtensor<16x64x#fp4.format<int4>>,
                      %b: !fp4.qtensor<64x8x#fp4.format<uint4>>) -> tensor<16x8xf32> {
  %c = fp4.lowp_matmul %a, %b accumulate(f16, 32)
      : !fp4.qtensor<16x64x#fp4.format<int4>>, !fp4.qtensor<64x8x#fp4.format<uint4>> -> tensor<16x8xf32>
  return %c : tensor<16x8xf32>
}

// CHECK-LABEL: func.func @matmul_e5m2
// CHECK-NOT:     llvm.inline_asm
// CHECK:         } {function = @fp4_lowp_matmul_1, mapping
func.func @matmul_e5m2(%a: !fp4.qtensor<16x64x#fp4.format<e5m2>>,
                       %b: !fp4.qtensor<64x8x#fp4.format<e5m2>>) -> tensor<16x8xf32> {
  %c = fp4.lowp_matmul %a, %b
      : !fp4.qtensor<16x64x#fp4.format<e5m2>>, !fp4.qtensor<64x8x#fp4.format<e5m2>> -> tensor<16x8xf32>
  return %c : tensor<16x8xf32>
}
