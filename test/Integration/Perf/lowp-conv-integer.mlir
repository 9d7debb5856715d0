// A low-precision convolution as fp4-apply-recipe writes it (the f32
// convolution of operands in format units, from zero) through the integer
// GEMM of fp4-lowp-matmul-to-integer: im2col on decoded bytes, u8 x s8
// quads for vpdpbusd on VNNI CPUs (i16 pairs with vnni=off), an offset
// correction for two signed operands. Every product and partial sum is an
// exact integer, so the result must equal the f32 convolution
// (int-matmul=false) byte for byte; `cmp` compares the .npy files. Odd
// sizes: K = C * KH * KW not a multiple of 4, stride 2 and dilation 1 x 2,
// padding zeros in the quantized input; 16 filters stay on the f32 path.
//
// REQUIRES: numpy
// RUN: rm -rf %t && mkdir -p %t
// RUN: fp4-numerics-check gen -o %t/x.npy --count 2100 --shape 3x7x10x10 --seed 1 --uniform -1,2
// RUN: fp4-numerics-check gen -o %t/w.npy --count 2016 --shape 32x7x3x3 --seed 2 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/w16.npy --count 1008 --shape 16x7x3x3 --seed 3 --uniform -1,1
// RUN: fp4-run %s --entry convs --input %t/x.npy --input %t/w.npy --input %t/w16.npy \
// RUN:   --output %t/u0.npy --output %t/s0.npy --output %t/n0.npy
// RUN: env FP4_CPU_PIPELINE_OPTIONS=vnni=off fp4-run %s --entry convs --input %t/x.npy --input %t/w.npy --input %t/w16.npy \
// RUN:   --output %t/u1.npy --output %t/s1.npy --output %t/n1.npy
// RUN: env FP4_CPU_PIPELINE_OPTIONS=int-matmul=false fp4-run %s --entry convs --input %t/x.npy --input %t/w.npy --input %t/w16.npy \
// RUN:   --output %t/u2.npy --output %t/s2.npy --output %t/n2.npy
// RUN: cmp %t/u0.npy %t/u2.npy && cmp %t/s0.npy %t/s2.npy && cmp %t/n0.npy %t/n2.npy
// RUN: cmp %t/u1.npy %t/u2.npy && cmp %t/s1.npy %t/s2.npy && cmp %t/n1.npy %t/n2.npy
// The results are not trivial (non-zero sums of both signs):
// RUN: %python -c "import numpy as n; a = n.load('%t/u0.npy'); print('neg', (a < 0).sum() > 0, 'pos', (a > 0).sum() > 0)" | FileCheck %s
// CHECK: neg True pos True
//
// The rewrite itself: the 32-filter convolutions become integer GEMMs, the
// 16-filter one stays.
// RUN: fp4-opt %s --fp4-lowp-matmul-to-integer=vnni=true | FileCheck %s --check-prefix=IR
// IR-LABEL: func.func @convs(
// IR:         scf.forall (%{{.*}}) in (63)
// IR:           linalg.copy
// IR:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// IR:           arith.extsi %{{.*}} : i8 to i32
// IR:           arith.extui %{{.*}} : i8 to i32
// IR:         linalg.transpose
// IR:         linalg.conv_2d_nchw_fchw {{.*}}fp4.lowp
// IR-SAME:      tensor<16x7x3x3xf32>


func.func @convs(%x: tensor<3x7x10x10xf32>, %w: tensor<32x7x3x3xf32>, %w16: tensor<16x7x3x3xf32>)
    -> (tensor<3x32x5x4xf32>, tensor<3x32x5x4xf32>, tensor<3x16x5x4xf32>) {
  %z = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %sx = arith.constant 5.0 : f32
  %sw = arith.constant 6.5 : f32
  // Zero padding 1 on every side, as ONNX's pads: 12 x 12.
  %xp = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %z : f32
  } : tensor<3x7x10x10xf32> to tensor<3x7x12x12xf32>
  // uint4 activations (PACT-style, x clipped at 0 by the format) and
  // int4 weights; int4 activations for the signed x signed case.
  %qxu = fp4.quantize %xp, %sx : tensor<3x7x12x12xf32> -> !fp4.qtensor<3x7x12x12x#fp4.format<uint4>>
  %qxs = fp4.quantize %xp, %sx : tensor<3x7x12x12xf32> -> !fp4.qtensor<3x7x12x12x#fp4.format<int4>>
  %qw = fp4.quantize %w, %sw : tensor<32x7x3x3xf32> -> !fp4.qtensor<32x7x3x3x#fp4.format<int4>>
  %qw16 = fp4.quantize %w16, %sw : tensor<16x7x3x3xf32> -> !fp4.qtensor<16x7x3x3x#fp4.format<int4>>
  %cxu, %a0 = fp4.unpack %qxu : !fp4.qtensor<3x7x12x12x#fp4.format<uint4>>
  %cxs, %a1 = fp4.unpack %qxs : !fp4.qtensor<3x7x12x12x#fp4.format<int4>>
  %cw, %a2 = fp4.unpack %qw : !fp4.qtensor<32x7x3x3x#fp4.format<int4>>
  %cw16, %a3 = fp4.unpack %qw16 : !fp4.qtensor<16x7x3x3x#fp4.format<int4>>
  %pxu = fp4.pack %cxu, %one : tensor<1512xi8>, f32 -> !fp4.qtensor<3x7x12x12x#fp4.format<uint4>>
  %pxs = fp4.pack %cxs, %one : tensor<1512xi8>, f32 -> !fp4.qtensor<3x7x12x12x#fp4.format<int4>>
  %pw = fp4.pack %cw, %one : tensor<1008xi8>, f32 -> !fp4.qtensor<32x7x3x3x#fp4.format<int4>>
  %pw16 = fp4.pack %cw16, %one : tensor<504xi8>, f32 -> !fp4.qtensor<16x7x3x3x#fp4.format<int4>>
  %ux = fp4.dequantize %pxu : !fp4.qtensor<3x7x12x12x#fp4.format<uint4>> -> tensor<3x7x12x12xf32>
  %uxs = fp4.dequantize %pxs : !fp4.qtensor<3x7x12x12x#fp4.format<int4>> -> tensor<3x7x12x12xf32>
  %uw = fp4.dequantize %pw : !fp4.qtensor<32x7x3x3x#fp4.format<int4>> -> tensor<32x7x3x3xf32>
  %uw16 = fp4.dequantize %pw16 : !fp4.qtensor<16x7x3x3x#fp4.format<int4>> -> tensor<16x7x3x3xf32>
  %e = tensor.empty() : tensor<3x32x5x4xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<3x32x5x4xf32>) -> tensor<3x32x5x4xf32>
  %e16 = tensor.empty() : tensor<3x16x5x4xf32>
  %f16 = linalg.fill ins(%z : f32) outs(%e16 : tensor<3x16x5x4xf32>) -> tensor<3x16x5x4xf32>
  %yu = linalg.conv_2d_nchw_fchw {fp4.lowp, strides = dense<2> : tensor<2xi64>, dilations = dense<[1, 2]> : tensor<2xi64>}
      ins(%ux, %uw : tensor<3x7x12x12xf32>, tensor<32x7x3x3xf32>) outs(%f : tensor<3x32x5x4xf32>) -> tensor<3x32x5x4xf32>
  %ys = linalg.conv_2d_nchw_fchw {fp4.lowp, strides = dense<2> : tensor<2xi64>, dilations = dense<[1, 2]> : tensor<2xi64>}
      ins(%uxs, %uw : tensor<3x7x12x12xf32>, tensor<32x7x3x3xf32>) outs(%f : tensor<3x32x5x4xf32>) -> tensor<3x32x5x4xf32>
  %yn = linalg.conv_2d_nchw_fchw {fp4.lowp, strides = dense<2> : tensor<2xi64>, dilations = dense<[1, 2]> : tensor<2xi64>}
      ins(%ux, %uw16 : tensor<3x7x12x12xf32>, tensor<16x7x3x3xf32>) outs(%f16 : tensor<3x16x5x4xf32>) -> tensor<3x16x5x4xf32>
  return %yu, %ys, %yn : tensor<3x32x5x4xf32>, tensor<3x32x5x4xf32>, tensor<3x16x5x4xf32>
}

// 1 x 1 outputs keep the f32 convolution (the window copies would drop an
// ambiguous unit dimension).
// IR-LABEL: func.func @one_by_one(
// IR-NOT:     scf.forall
// IR:         linalg.conv_2d_nchw_fchw {{.*}}fp4.lowp
func.func @one_by_one(%cx: tensor<576xi8>, %cw: tensor<4608xi8>) -> tensor<4x32x1x1xf32> {
  %z = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %px = fp4.pack %cx, %one : tensor<576xi8>, f32 -> !fp4.qtensor<4x32x3x3x#fp4.format<uint4>>
  %pw = fp4.pack %cw, %one : tensor<4608xi8>, f32 -> !fp4.qtensor<32x32x3x3x#fp4.format<int4>>
  %ux = fp4.dequantize %px : !fp4.qtensor<4x32x3x3x#fp4.format<uint4>> -> tensor<4x32x3x3xf32>
  %uw = fp4.dequantize %pw : !fp4.qtensor<32x32x3x3x#fp4.format<int4>> -> tensor<32x32x3x3xf32>
  %e = tensor.empty() : tensor<4x32x1x1xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x32x1x1xf32>) -> tensor<4x32x1x1xf32>
  %y = linalg.conv_2d_nchw_fchw {fp4.lowp, strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%ux, %uw : tensor<4x32x3x3xf32>, tensor<32x32x3x3xf32>) outs(%f : tensor<4x32x1x1xf32>) -> tensor<4x32x1x1xf32>
  return %y : tensor<4x32x1x1xf32>
}
