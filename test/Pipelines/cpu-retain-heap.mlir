// RUN: fp4-opt %s --split-input-file --fp4-to-llvm="threads=1" | FileCheck %s
// RUN: fp4-opt %s --split-input-file --fp4-to-llvm="threads=1 retain-heap=false" | FileCheck %s --check-prefix=OFF
// REQUIRES: system-linux

// A public function with a temporary of 128 KiB or more first tells glibc's
// malloc to keep freed memory (mallopt(M_MMAP_THRESHOLD = -3, 32 MiB),
// mallopt(M_TRIM_THRESHOLD = -1, 1 GiB)); one with small temporaries only
// does not.

// CHECK-LABEL: llvm.func @large(
// CHECK-DAG:     %[[MMAP:.*]] = llvm.mlir.constant(-3 : i32) : i32
// CHECK-DAG:     %[[MMAPV:.*]] = llvm.mlir.constant(33554432 : i32) : i32
// CHECK-DAG:     %[[TRIM:.*]] = llvm.mlir.constant(-1 : i32) : i32
// CHECK-DAG:     %[[TRIMV:.*]] = llvm.mlir.constant(1073741824 : i32) : i32
// CHECK:         llvm.call @mallopt(%[[MMAP]], %[[MMAPV]])
// CHECK:         llvm.call @mallopt(%[[TRIM]], %[[TRIMV]])
// CHECK:         llvm.call @malloc
// OFF-LABEL: llvm.func @large(
// OFF-NOT:     mallopt
func.func @large(%a: tensor<256x256xf32>) -> tensor<256xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<256x256xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j, i)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<256x256xf32>) outs(%e : tensor<256x256xf32>) {
    ^bb0(%x: f32, %o: f32):
      %y = arith.mulf %x, %x : f32
      linalg.yield %y : f32
  } -> tensor<256x256xf32>
  %e2 = tensor.empty() : tensor<256xf32>
  %f = linalg.fill ins(%z : f32) outs(%e2 : tensor<256xf32>) -> tensor<256xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%t : tensor<256x256xf32>) outs(%f : tensor<256xf32>) {
    ^bb0(%x: f32, %o: f32):
      %y = arith.addf %x, %o : f32
      linalg.yield %y : f32
  } -> tensor<256xf32>
  return %r : tensor<256xf32>
}

// -----

// CHECK-LABEL: llvm.func @small(
// CHECK-NOT:     mallopt
// CHECK:         llvm.return
func.func @small(%a: tensor<16x16xf32>) -> tensor<16xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x16xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j, i)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<16x16xf32>) outs(%e : tensor<16x16xf32>) {
    ^bb0(%x: f32, %o: f32):
      %y = arith.mulf %x, %x : f32
      linalg.yield %y : f32
  } -> tensor<16x16xf32>
  %e2 = tensor.empty() : tensor<16xf32>
  %f = linalg.fill ins(%z : f32) outs(%e2 : tensor<16xf32>) -> tensor<16xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%t : tensor<16x16xf32>) outs(%f : tensor<16xf32>) {
    ^bb0(%x: f32, %o: f32):
      %y = arith.addf %x, %o : f32
      linalg.yield %y : f32
  } -> tensor<16xf32>
  return %r : tensor<16xf32>
}

// -----

// Two large temporaries live at once: fp4-cpu-plan-memory places them in
// one arena allocated per call, and the function also turns off glibc's
// mmap (mallopt(M_MMAP_MAX = -4, 0)), so the arena, above the largest mmap
// threshold, stays in the heap and every call reuses its pages.

// CHECK-LABEL: llvm.func @arena(
// CHECK-DAG:     %[[MAX:.*]] = llvm.mlir.constant(-4 : i32) : i32
// CHECK-DAG:     %[[ZERO:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK:         llvm.call @mallopt(%[[MAX]], %[[ZERO]])
// CHECK:         llvm.call @malloc
// CHECK-NOT:     llvm.call @malloc
// CHECK:         llvm.return
// OFF-LABEL: llvm.func @arena(
// OFF-NOT:     mallopt
func.func @arena(%a: tensor<256x256xf32>) -> tensor<256xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<256x256xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j, i)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<256x256xf32>) outs(%e : tensor<256x256xf32>) {
    ^bb0(%x: f32, %o: f32):
      %y = arith.mulf %x, %x : f32
      linalg.yield %y : f32
  } -> tensor<256x256xf32>
  %e1 = tensor.empty() : tensor<256x256xf32>
  %u = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j, i)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%t : tensor<256x256xf32>) outs(%e1 : tensor<256x256xf32>) {
    ^bb0(%x: f32, %o: f32):
      %y = arith.addf %x, %x : f32
      linalg.yield %y : f32
  } -> tensor<256x256xf32>
  %e2 = tensor.empty() : tensor<256xf32>
  %f = linalg.fill ins(%z : f32) outs(%e2 : tensor<256xf32>) -> tensor<256xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%t, %u : tensor<256x256xf32>, tensor<256x256xf32>) outs(%f : tensor<256xf32>) {
    ^bb0(%x: f32, %y: f32, %o: f32):
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %p, %o : f32
      linalg.yield %s : f32
  } -> tensor<256xf32>
  return %r : tensor<256xf32>
}
