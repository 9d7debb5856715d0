// RUN: fp4-opt %s --fp4-bufferize-to-llvm | FileCheck %s \
// RUN:   --implicit-check-not="{{[ \"](builtin|func|arith|math|tensor|linalg|vector|scf|memref|bufferization|affine|cf|index|ub)\.[a-z_]+}}"
// RUN: fp4-opt %s --fp4-bufferize-to-llvm="out-params=false" | FileCheck %s --check-prefix=RESULTS

// `--fp4-bufferize-to-llvm` takes upstream tensor-level IR all the way to the
// LLVM dialect: the implicit CHECK-NOT rejects any op left in another
// dialect (an op name right after a space or a quote: LLVM intrinsics such
// as llvm.intr.vector.reduce.fadd contain dialect names). Tensor results become trailing out-params (two expanded memref
// descriptors here), scalar results stay results.

#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: llvm.func @step(
// CHECK-SAME:    %{{.*}}: f32, %[[OUT:[a-z0-9]+]]: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64) -> f32
// No temporary buffer: results are computed in the caller's out-params.
// CHECK-NOT:     llvm.call @malloc
// CHECK:         llvm.intr.tanh
// CHECK:         llvm.call @step_loop1(
// CHECK:         llvm.intr.vector.reduce.fadd
// CHECK-NOT:     llvm.call @free
// CHECK:         llvm.return %{{.*}} : f32
// The scf.for loops are functions of their own (fp4-cpu-outline-loops).
// CHECK-LABEL: llvm.func internal @step_loop0(
// CHECK-LABEL: llvm.func internal @step_loop1(
// CHECK:         llvm.intr.masked.load

// RESULTS-LABEL: llvm.func @step(
// RESULTS-SAME:    -> !llvm.struct<(struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>, struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, f32)>
func.func @step(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>, %s: f32)
    -> (tensor<4x4xf32>, tensor<4xf32>, f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<4x4xf32>) -> tensor<4x4xf32>
  %mm = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x4xf32>)
                      outs(%init : tensor<4x4xf32>) -> tensor<4x4xf32>
  %act = linalg.generic {indexing_maps = [#id, #id],
                         iterator_types = ["parallel", "parallel"]}
      ins(%mm : tensor<4x4xf32>) outs(%empty : tensor<4x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %t = math.tanh %x : f32
    %y = arith.addf %t, %s : f32
    linalg.yield %y : f32
  } -> tensor<4x4xf32>
  // Reads 8 elements of 4-element rows: out-of-bounds lanes are masked.
  %loop = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %act) -> tensor<4x4xf32> {
    %v = vector.transfer_read %acc[%i, %c0], %zero : tensor<4x4xf32>, vector<8xf32>
    %w = arith.addf %v, %v : vector<8xf32>
    %n = vector.transfer_write %w, %acc[%i, %c0] : vector<8xf32>, tensor<4x4xf32>
    scf.yield %n : tensor<4x4xf32>
  }
  %row = tensor.extract_slice %loop[1, 0] [1, 4] [1, 1] : tensor<4x4xf32> to tensor<4xf32>
  %vec = vector.transfer_read %row[%c0], %zero {in_bounds = [true]} : tensor<4xf32>, vector<4xf32>
  %sum = vector.reduction <add>, %vec : vector<4xf32> into f32
  return %loop, %row, %sum : tensor<4x4xf32>, tensor<4xf32>, f32
}
