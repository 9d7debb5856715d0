// RUN: fp4-opt %s --pass-pipeline="builtin.module(func.func(fp4-return-allocations))" | FileCheck %s
// RUN: fp4-opt %s --pass-pipeline="builtin.module(func.func(fp4-return-allocations),buffer-results-to-out-params{hoist-static-allocs=true modify-public-functions=true})" | FileCheck %s --check-prefix=OUT

// A result computed in a flat buffer and returned reshaped (the SGD update
// of a parameter, an elementwise loop on the flattened tensor) is returned
// as an allocation of its own shape, which the loop writes through the
// inverse reshape; buffer-results-to-out-params then hands that allocation
// to the caller instead of copying the result into the caller's buffer.

// CHECK-LABEL: func.func @update(
// CHECK: %[[W:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x3x3x3xf32>
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[W]] {{\[\[}}0, 1, 2, 3]] : memref<4x3x3x3xf32> into memref<108xf32>
// CHECK: vector.transfer_write %{{.*}}, %[[FLAT]]
// CHECK: return %[[W]]
// OUT-LABEL: func.func @update(
// OUT-SAME: %{{.*}}: vector<108xf32>, %[[OUT:[a-z0-9]*]]: memref<4x3x3x3xf32>)
// OUT: memref.collapse_shape %[[OUT]]
// OUT-NOT: memref.copy
// OUT: return
func.func @update(%v: vector<108xf32>) -> memref<4x3x3x3xf32> {
  %c0 = arith.constant 0 : index
  %a = memref.alloc() {alignment = 64 : i64} : memref<108xf32>
  vector.transfer_write %v, %a[%c0] {in_bounds = [true]} : vector<108xf32>, memref<108xf32>
  %e = memref.expand_shape %a [[0, 1, 2, 3]] output_shape [4, 3, 3, 3] : memref<108xf32> into memref<4x3x3x3xf32>
  return %e : memref<4x3x3x3xf32>
}

// The same through a collapse_shape; an allocation returned twice (directly
// and reshaped) and a reshaped function argument stay as they are.
// CHECK-LABEL: func.func @others(
// CHECK: %[[M:.*]] = memref.alloc() : memref<6xf32>
// CHECK: memref.expand_shape %[[M]] {{\[\[}}0, 1]] output_shape [2, 3]
// CHECK: %[[A:.*]] = memref.alloc() : memref<2x3xf32>
// CHECK: %[[AE:.*]] = memref.expand_shape %[[A]]
// CHECK: %[[X:.*]] = memref.collapse_shape %arg0
// CHECK: return %[[M]], %[[A]], %[[AE]], %[[X]]
func.func @others(%x: memref<2x3xf32>) -> (memref<6xf32>, memref<2x3xf32>, memref<2x3x1xf32>, memref<6xf32>) {
  %m = memref.alloc() : memref<2x3xf32>
  %mc = memref.collapse_shape %m [[0, 1]] : memref<2x3xf32> into memref<6xf32>
  %a = memref.alloc() : memref<2x3xf32>
  %ae = memref.expand_shape %a [[0], [1, 2]] output_shape [2, 3, 1] : memref<2x3xf32> into memref<2x3x1xf32>
  %xc = memref.collapse_shape %x [[0, 1]] : memref<2x3xf32> into memref<6xf32>
  return %mc, %a, %ae, %xc : memref<6xf32>, memref<2x3xf32>, memref<2x3x1xf32>, memref<6xf32>
}
