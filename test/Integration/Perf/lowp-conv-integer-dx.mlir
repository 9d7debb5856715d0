// The input-gradient convolution as fp4-apply-recipe writes it (radix-4 dY
// in format units, zero-padded, convolved with the flipped, channel-swapped
// int4 filter) through the integer GEMM of fp4-lowp-matmul-to-integer: i16
// pairs (radix-4 needs 13 bits: 64 = 4096 units of 2^-6), the 2^-6 shift
// applied to the i32 sums. K = 64 * 3 * 3 = 576: the bound K * 4096 * 7 <=
// 2^24 holds because int4's code -8 (which fp4.quantize never writes) is
// checked for at run time, as the NaN code of radix-4 is; either takes the
// f32 convolution. Every result must equal the f32 convolution
// (int-matmul=false) byte for byte.
//
// REQUIRES: numpy
// RUN: rm -rf %t && mkdir -p %t
//
// 1. Random dY (every radix-4 magnitude, both signs, zeros) and int4 codes.
// RUN: fp4-numerics-check gen -o %t/dy.npy --count 1152 --shape 2x64x3x3 --seed 1 --log-uniform -9,7
// RUN: %python -c "import numpy as n; r = n.random.default_rng(5); c = r.integers(-7, 8, 18432); c = (c & 15).astype(n.uint8); n.save('%t/w.npy', (c[0::2] | (c[1::2] << 4)).astype(n.int8))"
// RUN: fp4-run %s --entry dx --input %t/dy.npy --input %t/w.npy --output %t/i.npy
// RUN: env FP4_CPU_PIPELINE_OPTIONS=int-matmul=false fp4-run %s --entry dx --input %t/dy.npy --input %t/w.npy --output %t/f.npy
// RUN: cmp %t/i.npy %t/f.npy
// RUN: %python -c "import numpy as n; a = n.load('%t/i.npy'); print('neg', (a < 0).sum() > 0, 'pos', (a > 0).sum() > 0, 'nan', n.isnan(a).sum())" | FileCheck %s --check-prefix=RANDOM
// RANDOM: neg True pos True nan 0
//
// 2. One NaN in dY: the f32 convolution makes every output whose window
// reaches it NaN (NaN * 0 too); so must the rewritten step.
// RUN: fp4-numerics-check gen -o %t/dyn.npy --count 1152 --shape 2x64x3x3 --seed 1 --log-uniform -9,7 --set 40=nan
// RUN: fp4-run %s --entry dx --input %t/dyn.npy --input %t/w.npy --output %t/in.npy
// RUN: env FP4_CPU_PIPELINE_OPTIONS=int-matmul=false fp4-run %s --entry dx --input %t/dyn.npy --input %t/w.npy --output %t/fn.npy
// RUN: cmp %t/in.npy %t/fn.npy
// RUN: %python -c "import numpy as n; a = n.load('%t/in.npy'); print('nan', n.isnan(a).sum())" | FileCheck %s --check-prefix=NAN
// NAN: nan 288
//
// 3. Code -8 in W, where it matters: output (0, 0, 1, 1) sums 574 products
// -8 * 64 and then two products -7 * 1/64 (k in increasing order), past
// 2^24 units of 2^-6, where the f32 sum rounds twice (-18808848 units)
// and the exact integer sum does not (-18808846).
// RUN: %python -c "import numpy as n; c = n.full(18432, 8, n.uint8); c[18144] = c[18145] = 9; n.save('%t/w8.npy', (c[0::2] | (c[1::2] << 4)).astype(n.int8))"
// RUN: fp4-numerics-check gen -o %t/dy8.npy --count 1152 --shape 2x64x3x3 --constant 64 --set 574=0.015625,575=0.015625
// RUN: fp4-run %s --entry dx --input %t/dy8.npy --input %t/w8.npy --output %t/i8.npy
// RUN: env FP4_CPU_PIPELINE_OPTIONS=int-matmul=false fp4-run %s --entry dx --input %t/dy8.npy --input %t/w8.npy --output %t/f8.npy
// RUN: cmp %t/i8.npy %t/f8.npy
// RUN: %python -c "import numpy as n; a = n.load('%t/i8.npy'); print('units', int(a[0, 0, 1, 1] * 64))" | FileCheck %s --check-prefix=ROUNDED
// ROUNDED: units -18808848
//
// The rewrite: a run-time check of both operands' excluded codes, the f32
// convolution on one side, the i16 integer GEMM on the other.
// RUN: fp4-opt %s --fp4-lowp-matmul-to-integer=vnni=true | FileCheck %s --check-prefix=IR
// IR-LABEL: func.func @dx(
// IR:         linalg.generic {{.*}} iterator_types = ["reduction"]
// IR-SAME:      ins(%{{.*}} : tensor<576xi8>)
// IR:         linalg.generic {{.*}} iterator_types = ["reduction"]
// IR-SAME:      ins(%{{.*}} : tensor<9216xi8>)
// IR:         tensor.extract
// IR-NEXT:    arith.cmpi ne
// IR-NEXT:    %[[ANY:.*]] = arith.ori %{{.*}}, %{{.*}} : i1
// IR-NEXT:    scf.if %[[ANY]]
// IR:           tensor.pad
// IR:           linalg.conv_2d_nchw_fchw {{.*}}fp4.lowp
// IR:         } else {
// IR:           tensor.pad
// IR:           } : tensor<2x64x3x3xi16> to tensor<2x64x5x5xi16>
// IR:           scf.forall (%{{.*}}) in (576)
// IR:           arith.extsi %{{.*}} : i16 to i32
// IR:           arith.extsi %{{.*}} : i16 to i32
// IR:           arith.sitofp
// IR-NEXT:      arith.mulf {{.*}} : f32
// IR:           linalg.transpose

#flip = affine_map<(d0, d1, d2, d3) -> (d1, d0, -d2 + 2, -d3 + 2)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @dx(%dy: tensor<2x64x3x3xf32>, %cw: tensor<9216xi8>) -> tensor<2x32x3x3xf32> {
  %z = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %q = fp4.quantize %dy, %one : tensor<2x64x3x3xf32> -> !fp4.qtensor<2x64x3x3x#fp4.format<radix4, even>>
  %cy, %s = fp4.unpack %q : !fp4.qtensor<2x64x3x3x#fp4.format<radix4, even>>
  %py = fp4.pack %cy, %one : tensor<576xi8>, f32 -> !fp4.qtensor<2x64x3x3x#fp4.format<radix4, even>>
  %uy = fp4.dequantize %py : !fp4.qtensor<2x64x3x3x#fp4.format<radix4, even>> -> tensor<2x64x3x3xf32>
  %yp = tensor.pad %uy low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %z : f32
  } : tensor<2x64x3x3xf32> to tensor<2x64x5x5xf32>
  %pw = fp4.pack %cw, %one : tensor<9216xi8>, f32 -> !fp4.qtensor<64x32x3x3x#fp4.format<int4>>
  %uw = fp4.dequantize %pw : !fp4.qtensor<64x32x3x3x#fp4.format<int4>> -> tensor<64x32x3x3xf32>
  %et = tensor.empty() : tensor<32x64x3x3xf32>
  %wt = linalg.generic {indexing_maps = [#flip, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%uw : tensor<64x32x3x3xf32>) outs(%et : tensor<32x64x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<32x64x3x3xf32>
  %e = tensor.empty() : tensor<2x32x3x3xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x32x3x3xf32>) -> tensor<2x32x3x3xf32>
  %dx = linalg.conv_2d_nchw_fchw {fp4.lowp, strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%yp, %wt : tensor<2x64x5x5xf32>, tensor<32x64x3x3xf32>) outs(%f : tensor<2x32x3x3xf32>) -> tensor<2x32x3x3xf32>
  return %dx : tensor<2x32x3x3xf32>
}
