// PTX of the fp4 kernels for each chip (LLVM's NVPTX back end via
// gpu-module-to-binary), written by the pipeline's dump-ptx option:
// the PTX ISA version of the chip, FP8 tensor-core MMA by inline PTX on
// sm_89/sm_90/sm_100a, the native e2m1 conversion on sm_100a only, and the
// plain f32 fallback on sm_80. ptxas.test assembles the same PTX.
//
// RUN: fp4-opt %s --fp4-to-nvvm="chip=sm_80 dump-ptx=-" -o /dev/null | FileCheck %s --check-prefixes=CHECK,SM80
// RUN: fp4-opt %s --fp4-to-nvvm="chip=sm_89 dump-ptx=-" -o /dev/null | FileCheck %s --check-prefixes=CHECK,SM89
// RUN: fp4-opt %s --fp4-to-nvvm="chip=sm_90 dump-ptx=-" -o /dev/null | FileCheck %s --check-prefixes=CHECK,SM90
// RUN: fp4-opt %s --fp4-to-nvvm="chip=sm_100a dump-ptx=-" -o /dev/null | FileCheck %s --check-prefixes=CHECK,SM100

// e2m1 quantization: FormatCodec arithmetic, or cvt on sm_100a (4 per
// thread and iteration: 8 elements).
// SM80:        //--- fp4_quantize_e2m1.sm_80.ptx
// SM89:        //--- fp4_quantize_e2m1.sm_89.ptx
// SM90:        //--- fp4_quantize_e2m1.sm_90.ptx
// SM100:       //--- fp4_quantize_e2m1.sm_100a.ptx
// SM80:        .version 7.0
// SM80-NEXT:   .target sm_80
// SM89:        .version 8.4
// SM89-NEXT:   .target sm_89
// SM90:        .version 8.4
// SM90-NEXT:   .target sm_90
// SM100:       .version 8.6
// SM100-NEXT:  .target sm_100a
// CHECK:       .entry fp4_quantize_e2m1(
// CHECK:       ld.global.v{{[24]}}.b{{32|64}}
// SM80-NOT:    cvt.rn.satfinite.e2m1x2.f32
// SM89-NOT:    cvt.rn.satfinite.e2m1x2.f32
// SM90-NOT:    cvt.rn.satfinite.e2m1x2.f32
// SM100-COUNT-4: cvt.rn.satfinite.e2m1x2.f32
// CHECK:       st.global.b32
// CHECK:       ret;

// lowp_matmul int4 x uint4 with f32 accumulation.
// SM80:        //--- fp4_lowp_matmul_decode_a.sm_80.ptx
// SM80:        //--- fp4_lowp_matmul_decode_b.sm_80.ptx
// SM80:        //--- fp4_lowp_matmul.sm_80.ptx
// SM80:        .entry fp4_lowp_matmul(
// SM80-NOT:    mma.sync
// SM80:        add.rn.f32
// SM80:        div.rn.f32
// SM89:        //--- fp4_lowp_matmul_mma_a.sm_89.ptx
// SM89:        //--- fp4_lowp_matmul_mma.sm_89.ptx
// SM89:        .entry fp4_lowp_matmul_mma(
// SM89-COUNT-8: mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32
// SM90:        //--- fp4_lowp_matmul_mma.sm_90.ptx
// SM90-COUNT-8: mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32
// SM100:       //--- fp4_lowp_matmul_mma.sm_100a.ptx
// SM100-COUNT-8: mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32
// CHECK-NOT:   //---

func.func @step(%x: tensor<128x64xf32>, %w: tensor<64x64xf32>, %sx: f32, %sw: f32) -> (tensor<4096xi8>, tensor<128x64xf32>) {
  %qx = fp4.quantize %x, %sx : tensor<128x64xf32> -> !fp4.qtensor<128x64x#fp4.format<e2m1>>
  %a = fp4.quantize %x, %sx : tensor<128x64xf32> -> !fp4.qtensor<128x64x#fp4.format<int4>>
  %b = fp4.quantize %w, %sw : tensor<64x64xf32> -> !fp4.qtensor<64x64x#fp4.format<uint4>>
  %c = fp4.lowp_matmul %a, %b : !fp4.qtensor<128x64x#fp4.format<int4>>, !fp4.qtensor<64x64x#fp4.format<uint4>> -> tensor<128x64xf32>
  %codes, %s = fp4.unpack %qx : !fp4.qtensor<128x64x#fp4.format<e2m1>>
  return %codes, %c : tensor<4096xi8>, tensor<128x64xf32>
}
