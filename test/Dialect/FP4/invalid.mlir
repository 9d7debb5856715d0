// RUN: fp4-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{radix4 format needs a phase (even or odd)}}
func.func @radix4_without_phase() attributes {f = #fp4.format<radix4>} { return }

// -----

// expected-error @+1 {{format int4 has no phase; only radix4 does}}
func.func @phase_on_int4() attributes {f = #fp4.format<int4, odd>} { return }

// -----

// expected-error @+1 {{unknown element format 'fp3'}}
func.func @unknown_format() attributes {f = #fp4.format<fp3>} { return }

// -----

// expected-error @+1 {{expected a phase (even, odd)}}
func.func @bad_phase() attributes {f = #fp4.format<radix4, middle>} { return }

// -----

// expected-error @+1 {{block size must be at least 2, got 0}}
func.func @bad_block() attributes {f = #fp4.block<0, e8m0, axis = 1>} { return }

// -----

// expected-error @+1 {{block axis must be non-negative, got -1}}
func.func @bad_block_axis() attributes {f = #fp4.block<32, e8m0, axis = -1>} { return }

// -----

// expected-error @+1 {{block scaling is defined for e2m1, e4m3, e5m2 and int4 elements, not radix4}}
func.func @block_on_radix4() attributes {f = #fp4.format<radix4, even, #fp4.block<32, e8m0, axis = 0>>} { return }

// -----

// expected-error @+1 {{block-scaled formats are not supported in qtensor yet}}
func.func @block_qtensor(%q: !fp4.qtensor<4x32x#fp4.format<e2m1, #fp4.block<32, e8m0, axis = 1>>>) { return }

// -----

// expected-error @+1 {{qtensor needs a static shape}}
func.func @dynamic_qtensor(%q: !fp4.qtensor<?x4x#fp4.format<int4>>) { return }

// -----

func.func @quantize_shape_mismatch(%x: tensor<4x8xf32>, %s: f32) {
  // expected-error @+1 {{'fp4.quantize' op input shape 4x8 does not match the quantized shape 8x4}}
  %q = fp4.quantize %x, %s : tensor<4x8xf32> -> !fp4.qtensor<8x4x#fp4.format<int4>>
  return
}

// -----

func.func @quantize_bad_element(%x: tensor<4xbf16>, %s: f32) {
  // expected-error @+1 {{'fp4.quantize' op operand #0 must be ranked tensor of 32-bit float or 16-bit float values}}
  %q = fp4.quantize %x, %s : tensor<4xbf16> -> !fp4.qtensor<4x#fp4.format<int4>>
  return
}

// -----

func.func @stochastic_without_seed(%x: tensor<4xf32>, %s: f32) {
  // expected-error @+1 {{'fp4.quantize' op stochastic rounding needs a seed operand}}
  %q = fp4.quantize %x, %s rounding(stochastic) stream(1) : tensor<4xf32> -> !fp4.qtensor<4x#fp4.format<e2m1>>
  return
}

// -----

func.func @stochastic_without_stream(%x: tensor<4xf32>, %s: f32, %seed: i64) {
  // expected-error @+1 {{'fp4.quantize' op stochastic rounding needs a stream id}}
  %q = fp4.quantize %x, %s rounding(stochastic) seed(%seed) : tensor<4xf32> -> !fp4.qtensor<4x#fp4.format<e2m1>>
  return
}

// -----

func.func @seed_with_nearest(%x: tensor<4xf32>, %s: f32, %seed: i64) {
  // expected-error @+1 {{'fp4.quantize' op a seed is only meaningful with stochastic rounding}}
  %q = fp4.quantize %x, %s seed(%seed) : tensor<4xf32> -> !fp4.qtensor<4x#fp4.format<e2m1>>
  return
}

// -----

func.func @stream_with_nearest(%x: tensor<4xf32>, %s: f32) {
  // expected-error @+1 {{'fp4.quantize' op a stream id is only meaningful with stochastic rounding}}
  %q = fp4.quantize %x, %s stream(3) : tensor<4xf32> -> !fp4.qtensor<4x#fp4.format<e2m1>>
  return
}

// -----

func.func @two_counters(%x: tensor<4xf32>, %s: f32) {
  // expected-error @+1 {{'fp4.quantize' op expects either no counters or three i64 counters (saturated, flushed, non-finite), got 2}}
  %q, %a, %b = fp4.quantize %x, %s : tensor<4xf32> -> !fp4.qtensor<4x#fp4.format<e2m1>>, i64, i64
  return
}

// -----

func.func @dequantize_shape(%q: !fp4.qtensor<4x8x#fp4.format<int4>>) {
  // expected-error @+1 {{'fp4.dequantize' op result shape 32 does not match the quantized shape 4x8}}
  %d = fp4.dequantize %q : !fp4.qtensor<4x8x#fp4.format<int4>> -> tensor<32xf32>
  return
}

// -----

func.func @pack_wrong_storage(%c: tensor<32xi8>, %s: f32) {
  // expected-error @+1 {{'fp4.pack' op codes of '!fp4.qtensor<4x8x#fp4.format<int4>>' must be stored as 'tensor<16xi8>', got 'tensor<32xi8>'}}
  %q = fp4.pack %c, %s : tensor<32xi8>, f32 -> !fp4.qtensor<4x8x#fp4.format<int4>>
  return
}

// -----

func.func @pack_wrong_width(%c: tensor<4xi8>, %s: f32) {
  // expected-error @+1 {{'fp4.pack' op codes of '!fp4.qtensor<4x#fp4.format<f16>>' must be stored as 'tensor<4xi16>', got 'tensor<4xi8>'}}
  %q = fp4.pack %c, %s : tensor<4xi8>, f32 -> !fp4.qtensor<4x#fp4.format<f16>>
  return
}

// -----

func.func @gradscale_int4(%g: tensor<4xf32>, %s: f32) {
  // expected-error @+1 {{'fp4.gradscale' op format int4 is not a gradient format; expected radix4, radix2_fp4, e2m1, e4m3 or e5m2}}
  %r, %u, %n = fp4.gradscale %g, %s {format = #fp4.format<int4>} : tensor<4xf32>
  return
}

// -----

func.func @gradscale_not_pow2(%g: tensor<4xf32>) {
  %s = arith.constant 3.0 : f32
  // expected-error @+1 {{'fp4.gradscale' op GradScale must be a positive power of two (or 0 for not yet initialized), got 3}}
  %r, %u, %n = fp4.gradscale %g, %s {format = #fp4.format<radix4, even>} : tensor<4xf32>
  return
}

// -----

func.func @gradscale_negative(%g: tensor<4xf32>) {
  %s = arith.constant -2.0 : f32
  // expected-error @+1 {{'fp4.gradscale' op GradScale must be a positive power of two (or 0 for not yet initialized), got -2}}
  %r, %u, %n = fp4.gradscale %g, %s {format = #fp4.format<radix4, even>} : tensor<4xf32>
  return
}

// -----

func.func @sawb_not_int4(%w: tensor<4xf32>) {
  // expected-error @+1 {{'fp4.compute_scale' op the SAWB rule is defined for int4 weights only, not uint4}}
  %s = fp4.compute_scale %w rule(sawb) {format = #fp4.format<uint4>} : tensor<4xf32>
  return
}

// -----

func.func @matmul_k_mismatch(%a: !fp4.qtensor<4x8x#fp4.format<int4>>, %b: !fp4.qtensor<7x3x#fp4.format<int4>>) {
  // expected-error @+1 {{'fp4.lowp_matmul' op reduction dimensions differ: op(lhs) is 4x8 and op(rhs) is 7x3}}
  %c = fp4.lowp_matmul %a, %b : !fp4.qtensor<4x8x#fp4.format<int4>>, !fp4.qtensor<7x3x#fp4.format<int4>> -> tensor<4x3xf32>
  return
}

// -----

func.func @matmul_transpose_mismatch(%a: !fp4.qtensor<4x8x#fp4.format<int4>>, %b: !fp4.qtensor<8x3x#fp4.format<int4>>) {
  // expected-error @+1 {{'fp4.lowp_matmul' op reduction dimensions differ: op(lhs) is 4x8 and op(rhs) is 3x8}}
  %c = fp4.lowp_matmul %a, %b {transpose_b} : !fp4.qtensor<4x8x#fp4.format<int4>>, !fp4.qtensor<8x3x#fp4.format<int4>> -> tensor<4x8xf32>
  return
}

// -----

func.func @matmul_result_shape(%a: !fp4.qtensor<4x8x#fp4.format<int4>>, %b: !fp4.qtensor<8x3x#fp4.format<int4>>) {
  // expected-error @+1 {{'fp4.lowp_matmul' op result shape 3x4 does not match 4x3}}
  %c = fp4.lowp_matmul %a, %b : !fp4.qtensor<4x8x#fp4.format<int4>>, !fp4.qtensor<8x3x#fp4.format<int4>> -> tensor<3x4xf32>
  return
}

// -----

func.func @matmul_rank(%a: !fp4.qtensor<2x4x8x#fp4.format<int4>>, %b: !fp4.qtensor<8x3x#fp4.format<int4>>) {
  // expected-error @+1 {{'fp4.lowp_matmul' op operands and result must be 2-D, got ranks 3, 2 -> 2}}
  %c = fp4.lowp_matmul %a, %b : !fp4.qtensor<2x4x8x#fp4.format<int4>>, !fp4.qtensor<8x3x#fp4.format<int4>> -> tensor<4x3xf32>
  return
}

// -----

func.func @f16_without_chunk(%a: !fp4.qtensor<4x8x#fp4.format<int4>>, %b: !fp4.qtensor<8x3x#fp4.format<int4>>) {
  // expected-error @+1 {{'fp4.lowp_matmul' op f16 accumulation needs a chunk size}}
  %c = fp4.lowp_matmul %a, %b accumulate(f16) : !fp4.qtensor<4x8x#fp4.format<int4>>, !fp4.qtensor<8x3x#fp4.format<int4>> -> tensor<4x3xf32>
  return
}

// -----

func.func @zero_chunk(%a: !fp4.qtensor<4x8x#fp4.format<int4>>, %b: !fp4.qtensor<8x3x#fp4.format<int4>>) {
  // expected-error @+1 {{'fp4.lowp_matmul' op chunk size must be positive, got 0}}
  %c = fp4.lowp_matmul %a, %b accumulate(f16, 0) : !fp4.qtensor<4x8x#fp4.format<int4>>, !fp4.qtensor<8x3x#fp4.format<int4>> -> tensor<4x3xf32>
  return
}

// -----

func.func @chunk_with_f32(%a: !fp4.qtensor<4x8x#fp4.format<int4>>, %b: !fp4.qtensor<8x3x#fp4.format<int4>>) {
  // expected-error @+1 {{'fp4.lowp_matmul' op a chunk size is only meaningful with f16 accumulation}}
  %c = fp4.lowp_matmul %a, %b {chunk = 64 : i64} : !fp4.qtensor<4x8x#fp4.format<int4>>, !fp4.qtensor<8x3x#fp4.format<int4>> -> tensor<4x3xf32>
  return
}
