// RUN: fp4-opt %s --fp4-to-llvm="threads=2 vnni=on" | FileCheck %s
// RUN: fp4-opt %s --fp4-to-llvm="threads=1 vnni=off" | FileCheck %s --check-prefix=SEQ
// RUN: fp4-opt %s --fp4-to-llvm="vectorize=false" | FileCheck %s --check-prefix=NAIVE

// The code generation of the CPU pipeline: tiled and vectorized GEMMs on
// 512-bit vectors, OpenMP worksharing loops for the thread blocks, vpdpbusd
// for the integer GEMM of fp4.lowp_matmul on VNNI CPUs.

// Every loop nest and parallel region is a function of its own
// (fp4-cpu-outline-loops), appended to the module in order.
// CHECK-LABEL: llvm.func @matmul(
// CHECK:         llvm.call @matmul_par{{[0-9]+}}(
// CHECK-NOT:     omp.parallel
// CHECK-LABEL: llvm.func @lowp(
// CHECK:         llvm.call @lowp_par{{[0-9]+}}(
// CHECK-LABEL: llvm.func internal @matmul_par{{[0-9]+}}(
// CHECK:         omp.parallel
// CHECK:           omp.wsloop
// CHECK:             llvm.fmul {{.*}} : vector<16xf32>
// CHECK:             llvm.fadd {{.*}} : vector<16xf32>
// CHECK-NOT:     llvm.intr.fmuladd
// CHECK-LABEL: llvm.func internal @lowp_par{{[0-9]+}}(
// CHECK:         omp.parallel
// CHECK:         llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// SEQ-LABEL: llvm.func @matmul(
// SEQ-NOT:     omp.
// SEQ-LABEL: llvm.func internal @matmul_loop{{[0-9]+}}(
// SEQ-NOT:     omp.
// SEQ:         llvm.fmul {{.*}} : vector<16xf32>
// SEQ-NOT:     llvm.call_intrinsic
// NAIVE-LABEL: llvm.func @matmul(
// NAIVE-NOT:     vector<16xf32>
// NAIVE-LABEL: llvm.func internal @matmul_loop1(
// NAIVE-NOT:     vector<16xf32>
// NAIVE:         llvm.fmul {{.*}} : f32
func.func @matmul(%a: tensor<96x64xf32>, %b: tensor<64x128xf32>) -> tensor<96x128xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<96x128xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<96x128xf32>) -> tensor<96x128xf32>
  %r = linalg.matmul ins(%a, %b : tensor<96x64xf32>, tensor<64x128xf32>) outs(%f : tensor<96x128xf32>) -> tensor<96x128xf32>
  return %r : tensor<96x128xf32>
}

func.func @lowp(%ca: tensor<2048xi8>, %cb: tensor<2048xi8>, %sa: f32, %sb: f32) -> tensor<64x64xf32> {
  %qa = fp4.pack %ca, %sa : tensor<2048xi8>, f32 -> !fp4.qtensor<64x64x#fp4.format<int4>>
  %qb = fp4.pack %cb, %sb : tensor<2048xi8>, f32 -> !fp4.qtensor<64x64x#fp4.format<uint4>>
  %c = fp4.lowp_matmul %qa, %qb : !fp4.qtensor<64x64x#fp4.format<int4>>, !fp4.qtensor<64x64x#fp4.format<uint4>> -> tensor<64x64xf32>
  return %c : tensor<64x64xf32>
}
