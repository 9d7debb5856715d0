// The host side of the CUDA path of fp4-run, against a fake driver
// (Inputs/fake-libcuda.c, found first through LD_LIBRARY_PATH): the chip
// follows the device's compute capability (9.0 -> sm_90), every kernel's PTX
// is loaded by the driver before the host code is compiled, the JIT-compiled
// host code loads the modules and launches the kernels with device
// (managed) memory only, the launch profile; and the errors: no device, a
// PTX the driver rejects (with its log), a failed launch. Kernels do not
// run, so no result is checked.
//
// REQUIRES: cuda-toolkit, host-cc
// RUN: rm -rf %t && mkdir -p %t
// RUN: %host_cc -shared -fPIC -o %t/libcuda.so.1 %S/Inputs/fake-libcuda.c
// RUN: fp4-numerics-check gen -o %t/x.npy --count 5000 --seed 1 --uniform -2,2 > /dev/null
// RUN: fp4-numerics-check gen -o %t/w.npy --count 4096 --shape 64x64 --seed 2 --uniform -1,1 > /dev/null
// RUN: fp4-numerics-check scalar -o %t/s.npy --f32 4

// RUN: env LD_LIBRARY_PATH=%t FAKE_CUDA_LOG=1 FP4_CUDA_PROFILE=1 fp4-run %s --device cuda --entry step \
// RUN:   --input %t/x.npy --input %t/w.npy --input %t/s.npy --output %t/c.npy --output %t/n.npy --output %t/y.npy 2>&1 \
// RUN:   | FileCheck %s
// CHECK-COUNT-6: fakecuda: load module (sm_90)
// CHECK:         fakecuda: launch fp4_quantize_int4 grid(3,1,1) block(256,1,1) params 18{{$}}
// CHECK:         fakecuda: launch fp4_quantize_int4_1 grid(2,1,1) block(256,1,1) params 11{{$}}
// CHECK:         fakecuda: launch fp4_quantize_uint4 grid(2,1,1) block(256,1,1) params 11{{$}}
// CHECK:         fakecuda: launch fp4_lowp_matmul_mma_a grid(4,1,1) block(256,1,1) params 10{{$}}
// CHECK:         fakecuda: launch fp4_lowp_matmul_mma_b grid(4,1,1) block(256,1,1) params 10{{$}}
// CHECK:         fakecuda: launch fp4_lowp_matmul_mma grid(1,1,1) block(128,1,1) params 16{{$}}
// CHECK-NOT:     not device memory
// CHECK:         fp4-cuda-profile: fp4_lowp_matmul_mma: 1 launches, min {{.*}} us

// An explicit chip.
// RUN: env LD_LIBRARY_PATH=%t FAKE_CUDA_LOG=1 fp4-run %s --device cuda --chip sm_100a --entry step \
// RUN:   --input %t/x.npy --input %t/w.npy --input %t/s.npy --output %t/c.npy --output %t/n.npy --output %t/y.npy 2>&1 \
// RUN:   | FileCheck %s --check-prefix=CHIP
// CHIP: fakecuda: load module (sm_100a)

// Errors: one line, exit code 1.
// RUN: env LD_LIBRARY_PATH=%t FAKE_CUDA_DEVICES=0 not fp4-run %s --device cuda --entry step \
// RUN:   --input %t/x.npy --input %t/w.npy --input %t/s.npy 2>&1 | FileCheck %s --check-prefix=NODEV
// NODEV: fp4-run: error: no CUDA device available (the driver reports no device)
// RUN: env LD_LIBRARY_PATH=%t FAKE_CUDA_FAIL=load not fp4-run %s --device cuda --entry step \
// RUN:   --input %t/x.npy --input %t/w.npy --input %t/s.npy --output %t/c.npy --output %t/n.npy --output %t/y.npy 2>&1 \
// RUN:   | FileCheck %s --check-prefix=LOAD
// LOAD: fp4-run: error: kernel fp4_quantize_int4 for sm_90: cuModuleLoadDataEx failed: CUDA_ERROR_FAKE (failure injected by the fake driver): ptxas fatal   : fake JIT failure
// RUN: env LD_LIBRARY_PATH=%t FAKE_CUDA_FAIL=launch not fp4-run %s --device cuda --entry step \
// RUN:   --input %t/x.npy --input %t/w.npy --input %t/s.npy --output %t/c.npy --output %t/n.npy --output %t/y.npy 2>&1 \
// RUN:   | FileCheck %s --check-prefix=LAUNCH
// LAUNCH: fp4: CUDA error: cuLaunchKernel failed: CUDA_ERROR_FAKE (failure injected by the fake driver)
// LAUNCH-NOT: {{.}}

func.func @step(%x: tensor<5000xf32>, %w: tensor<64x64xf32>, %s: f32)
    -> (tensor<2500xi8>, tensor<3xi64>, tensor<64x64xf32>) {
  %q, %sat, %flush, %nf = fp4.quantize %x, %s
      : tensor<5000xf32> -> !fp4.qtensor<5000x#fp4.format<int4>>, i64, i64, i64
  %c, %sc = fp4.unpack %q : !fp4.qtensor<5000x#fp4.format<int4>>
  %n = tensor.from_elements %sat, %flush, %nf : tensor<3xi64>
  %a = fp4.quantize %w, %s : tensor<64x64xf32> -> !fp4.qtensor<64x64x#fp4.format<int4>>
  %b = fp4.quantize %w, %s : tensor<64x64xf32> -> !fp4.qtensor<64x64x#fp4.format<uint4>>
  %y = fp4.lowp_matmul %a, %b
      : !fp4.qtensor<64x64x#fp4.format<int4>>, !fp4.qtensor<64x64x#fp4.format<uint4>> -> tensor<64x64xf32>
  return %c, %n, %y : tensor<2500xi8>, tensor<3xi64>, tensor<64x64xf32>
}
