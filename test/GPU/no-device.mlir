// fp4-run --device cuda where there is no CUDA device (or no driver, or a
// build without the CUDA toolkit): one line, exit code 1. Option errors are
// reported before any device is looked for.
//
// UNSUPPORTED: cuda-device
// RUN: not fp4-run %s --device cuda 2>&1 | FileCheck %s --check-prefix=NODEV
// NODEV: fp4-run: error: no CUDA device available ({{.+}})
// NODEV-NOT: {{.}}
//
// RUN: not fp4-run %s --device cuda --chip sm_75 2>&1 | FileCheck %s --check-prefix=CHIP
// CHIP: fp4-run: error: unknown chip 'sm_75' (supported: sm_80, sm_89, sm_90, sm_100a)
// RUN: not fp4-run %s --device gpu 2>&1 | FileCheck %s --check-prefix=DEVICE
// DEVICE: fp4-run: error: unknown --device 'gpu' (cpu or cuda)
// RUN: not fp4-run %s --chip sm_90 2>&1 | FileCheck %s --check-prefix=CPUCHIP
// CPUCHIP: fp4-run: error: --chip needs --device cuda
//
// The same function runs on the CPU.
// RUN: fp4-run %s --device cpu | FileCheck %s --check-prefix=CPU
// CPU: output 1: float32 [4]
// CPU-NEXT: [1, 2, 3, 4]

func.func @f() -> tensor<4xf32> {
  %c = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  return %c : tensor<4xf32>
}
