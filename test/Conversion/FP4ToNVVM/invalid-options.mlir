// Option errors of convert-fp4-to-gpu: one located line each, exit code 1.
//
// RUN: not fp4-opt %s --convert-fp4-to-gpu=chip=sm_75 2>&1 | FileCheck %s --check-prefix=CHIP
// CHIP: invalid-options.mlir:{{[0-9]+}}:{{[0-9]+}}: error: unknown chip 'sm_75' (supported: sm_80, sm_89, sm_90, sm_100a)
// CHIP-NOT: error
//
// RUN: not fp4-opt %s --convert-fp4-to-gpu="chip=sm_90 block-size=48" 2>&1 | FileCheck %s --check-prefix=BLOCK
// BLOCK: error: block-size must be a multiple of 32 in [32, 1024], got 48
//
// RUN: not fp4-opt %s --convert-fp4-to-gpu="max-blocks=0" 2>&1 | FileCheck %s --check-prefix=GRID
// GRID: error: max-blocks must be positive, got 0

module {
  func.func @f(%x: tensor<8xf32>, %s: f32) -> tensor<4xi8> {
    %q = fp4.quantize %x, %s : tensor<8xf32> -> !fp4.qtensor<8x#fp4.format<int4>>
    %c, %sc = fp4.unpack %q : !fp4.qtensor<8x#fp4.format<int4>>
    return %c : tensor<4xi8>
  }
}
