// RUN: fp4-opt %s --convert-fp4-to-standard="parallel-chunk=64" -split-input-file | FileCheck %s
// RUN: fp4-opt %s --convert-fp4-to-standard -split-input-file | FileCheck %s --check-prefix=SEQ
// RUN: fp4-opt %s --convert-fp4-to-standard="parallel-chunk=64" -split-input-file --one-shot-bufferize="bufferize-function-boundaries" --cse --canonicalize | FileCheck %s --check-prefix=BUF

// parallel-chunk: the full chunks of the elementwise loops are the
// iterations of an scf.forall; each writes its slice of the codes and one
// row of per-chunk counter partials (in place: into its slice of the
// partials), which are summed in chunk order after
// the forall; the remainder (200 - 3 * 64 = 8 elements, a vector tail) runs
// after that. Without the option the loop is sequential.

// CHECK-LABEL: func.func @quantize_counters(
// CHECK:         %[[R:.*]]:4 = scf.forall (%[[C:.*]]) in (3) shared_outs(%[[OUT:.*]] = %{{.*}}, %[[P0:.*]] = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (tensor<100xi8>, tensor<3xi64>, tensor<3xi64>, tensor<3xi64>)
// CHECK:           %[[SLICE:.*]] = tensor.extract_slice %[[OUT]][%{{.*}}] [32] [1] : tensor<100xi8> to tensor<32xi8>
// CHECK:           %[[L:.*]]:4 = scf.for {{.*}} step %c16 iter_args(%{{.*}} = %[[SLICE]], {{.*}}) -> (tensor<32xi8>, i64, i64, i64)
// CHECK:           %[[SLOT:.*]] = tensor.extract_slice %[[P0]][%[[C]]] [1] [1] : tensor<3xi64> to tensor<1xi64>
// CHECK:           %[[ROW:.*]] = tensor.insert %[[L]]#1 into %[[SLOT]][%{{.*}}] : tensor<1xi64>
// CHECK:           scf.forall.in_parallel {
// CHECK-NEXT:        tensor.parallel_insert_slice %[[L]]#0 into %[[OUT]][%{{.*}}] [32] [1] : tensor<32xi8> into tensor<100xi8>
// CHECK-NEXT:        tensor.parallel_insert_slice %[[ROW]] into %[[P0]][%[[C]]] [1] [1] : tensor<1xi64> into tensor<3xi64>
// CHECK:         scf.for {{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (i64) {
// CHECK:           %[[PART:.*]] = tensor.extract %[[R]]#1[%{{.*}}] : tensor<3xi64>
// CHECK:           arith.addi %[[ACC]], %[[PART]] : i64
// The remainder: one masked tail iteration at element 192 on the whole tensor.
// CHECK:         vector.transfer_read %{{.*}}[%c192]
// SEQ-LABEL: func.func @quantize_counters(
// SEQ-NOT:     scf.forall
// SEQ:         scf.for %{{.*}} = %{{.*}} to %c192 step %c16
// Bufferized, each chunk writes its codes and its partials in place: no
// buffer and no copy from the forall on.
// BUF-LABEL: func.func @quantize_counters(
// BUF:         scf.forall
// BUF-NOT:     memref.alloc
// BUF-NOT:     memref.copy
// BUF:         return
func.func @quantize_counters(%x: tensor<200xf32>, %s: f32) -> (!fp4.qtensor<200x#fp4.format<int4>>, i64, i64, i64) {
  %q, %c:3 = fp4.quantize %x, %s : tensor<200xf32> -> !fp4.qtensor<200x#fp4.format<int4>>, i64, i64, i64
  return %q, %c#0, %c#1, %c#2 : !fp4.qtensor<200x#fp4.format<int4>>, i64, i64, i64
}

// -----

// Vector accumulators (the lanes of a maximum): one row of lanes per chunk,
// combined with arith.maximumf, then reduced.
// CHECK-LABEL: func.func @amax(
// CHECK:         %[[P:.*]] = scf.forall (%[[C:.*]]) in (2) shared_outs(%[[PS:.*]] = %{{.*}}) -> (tensor<2x16xf32>)
// CHECK:           scf.for {{.*}} -> (vector<16xf32>)
// CHECK:             arith.maximumf
// CHECK:           %[[SLOT:.*]] = tensor.extract_slice %[[PS]][%[[C]], 0] [1, 16] [1, 1] : tensor<2x16xf32> to tensor<1x16xf32>
// CHECK:           %[[ROW:.*]] = vector.shape_cast %{{.*}} : vector<16xf32> to vector<1x16xf32>
// CHECK:           vector.transfer_write %[[ROW]], %[[SLOT]][%{{.*}}, %{{.*}}]
// CHECK:           tensor.parallel_insert_slice %{{.*}} into %[[PS]][%[[C]], 0] [1, 16] [1, 1]
// CHECK:         scf.for {{.*}} -> (vector<16xf32>)
// CHECK:           vector.transfer_read %[[P]]
// CHECK:           arith.maximumf
// CHECK:         vector.reduction <maximumf>
// A single chunk stays sequential.
// CHECK-LABEL: func.func @amax_small(
// CHECK-NOT:     scf.forall
// CHECK:         return
// BUF-LABEL: func.func @amax(
// BUF:         scf.forall
// BUF-NOT:     memref.alloc
// BUF-NOT:     memref.copy
// BUF:         return
func.func @amax(%x: tensor<150xf32>) -> f32 {
  %s = fp4.compute_scale %x rule(amax) {format = #fp4.format<int4>} : tensor<150xf32>
  return %s : f32
}
func.func @amax_small(%x: tensor<100xf32>) -> f32 {
  %s = fp4.compute_scale %x rule(amax) {format = #fp4.format<int4>} : tensor<100xf32>
  return %s : f32
}
