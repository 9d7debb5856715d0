// The GPU pipeline checks its chip before LLVM sees it (LLVM aborts on a
// chip/PTX pair it does not know): one line, exit code 1.
//
// RUN: not fp4-opt %s --fp4-to-nvvm=chip=sm_75 2>&1 | FileCheck %s --check-prefix=CHIP
// CHIP: error: fp4-to-nvvm: unknown chip 'sm_75' (supported: sm_80, sm_89, sm_90, sm_100a)
// RUN: not fp4-opt %s --fp4-to-nvvm=chip=sm_100 2>&1 | FileCheck %s --check-prefix=NOA
// NOA: error: fp4-to-nvvm: unknown chip 'sm_100' (supported: sm_80, sm_89, sm_90, sm_100a)
//
// The default chip is sm_90.
// RUN: fp4-opt %s --fp4-to-nvvm | FileCheck %s
// CHECK: gpu.binary @fp4_quantize_int4 [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx84">

func.func @f(%x: tensor<8xf32>, %s: f32) -> tensor<4xi8> {
  %q = fp4.quantize %x, %s : tensor<8xf32> -> !fp4.qtensor<8x#fp4.format<int4>>
  %c, %sc = fp4.unpack %q : !fp4.qtensor<8x#fp4.format<int4>>
  return %c : tensor<4xi8>
}
