// A whole ibm-fp4 training step (fp4-build-training-step and
// fp4-apply-recipe on a small CNN: convolution, bias, ReLU, two fully
// connected layers, SGD) through the GPU pipeline: the fp4 kernels (SAWB,
// int4/uint4 forward quantization, GradScale, two-phase radix-4 gradients,
// lowp_matmul on FP8 tensor cores) and the kernels of the rest of the step
// (convolution, elementwise and matmul loops, mapped by the upstream GPU
// mapping), launched from host code in the LLVM dialect. ptxas-training-step.test
// assembles the PTX.
//
// RUN: fp4-opt %S/Inputs/cnn.mlir --fp4-build-training-step --fp4-apply-recipe=recipe=ibm-fp4 -o %t.step.mlir
// RUN: fp4-opt %t.step.mlir --fp4-to-nvvm="chip=sm_90 dump-ptx=%t.ptx" | FileCheck %s --check-prefix=HOST
// RUN: FileCheck %s < %t.ptx

// HOST:     module attributes {{{.*}}gpu.container_module}
// HOST:       llvm.func @train_step(
// HOST-DAG:     llvm.call @_mlir_memref_to_llvm_alloc
// HOST-DAG:     gpu.launch_func @fp4_sawb::@fp4_sawb
// HOST-DAG:     gpu.launch_func @fp4_lowp_matmul_mma::@fp4_lowp_matmul_mma
// HOST-DAG:     gpu.launch_func @train_step_kernel::@train_step_kernel
// HOST:       gpu.binary @fp4_sawb
// HOST-NOT:   func.func
// HOST-NOT:   memref.

// CHECK: //--- fp4_sawb.sm_90.ptx
// CHECK: //--- fp4_quantize_int4.sm_90.ptx
// CHECK: //--- fp4_quantize_uint4.sm_90.ptx
// CHECK: //--- fp4_lowp_matmul_mma.sm_90.ptx
// CHECK: mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32
// CHECK: //--- fp4_gradscale_absmax.sm_90.ptx
// CHECK: //--- fp4_gradscale_apply.sm_90.ptx
// CHECK: //--- fp4_quantize_radix4_even.sm_90.ptx
// CHECK: //--- fp4_quantize_radix4_odd.sm_90.ptx
// CHECK: //--- train_step_kernel{{(_[0-9]+)?}}.sm_90.ptx
