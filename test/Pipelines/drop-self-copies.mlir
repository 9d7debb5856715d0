// RUN: fp4-opt %s --pass-pipeline="builtin.module(func.func(fp4-drop-self-copies))" | FileCheck %s

// One-shot bufferization leaves a copy from expand(collapse(S)) to S where
// a tensor value went out of a slot through a collapse_shape and back
// through an expand_shape (fp4-cpu-conv-to-gemm's im2col windows): the same
// elements in the same order, only a unit dim's stride differs. The pass
// erases such copies, copies between two equal subviews of one buffer and
// copies of a buffer onto itself, nothing else.

// CHECK-LABEL: func.func @window(
// CHECK: vector.transfer_write
// CHECK-NOT: memref.copy
// CHECK: return
func.func @window(%col: memref<576x8x7x7xf32>, %v: vector<7x7xf32>, %q: index, %i: index) {
  %c0 = arith.constant 0 : index
  %s = memref.subview %col[%q, %i, 0, 0] [1, 1, 7, 7] [1, 1, 1, 1] : memref<576x8x7x7xf32> to memref<1x1x7x7xf32, strided<[392, 49, 7, 1], offset: ?>>
  %c = memref.collapse_shape %s [[0, 1], [2], [3]] : memref<1x1x7x7xf32, strided<[392, 49, 7, 1], offset: ?>> into memref<1x7x7xf32, strided<[392, 7, 1], offset: ?>>
  vector.transfer_write %v, %c[%c0, %c0, %c0] {in_bounds = [true, true]} : vector<7x7xf32>, memref<1x7x7xf32, strided<[392, 7, 1], offset: ?>>
  %e = memref.expand_shape %c [[0, 1], [2], [3]] output_shape [1, 1, 7, 7] : memref<1x7x7xf32, strided<[392, 7, 1], offset: ?>> into memref<1x1x7x7xf32, strided<[392, 392, 7, 1], offset: ?>>
  memref.copy %e, %s : memref<1x1x7x7xf32, strided<[392, 392, 7, 1], offset: ?>> to memref<1x1x7x7xf32, strided<[392, 49, 7, 1], offset: ?>>
  memref.copy %s, %s : memref<1x1x7x7xf32, strided<[392, 49, 7, 1], offset: ?>> to memref<1x1x7x7xf32, strided<[392, 49, 7, 1], offset: ?>>
  %s2 = memref.subview %col[%q, %i, 0, 0] [1, 1, 7, 7] [1, 1, 1, 1] : memref<576x8x7x7xf32> to memref<1x1x7x7xf32, strided<[392, 49, 7, 1], offset: ?>>
  memref.copy %s, %s2 : memref<1x1x7x7xf32, strided<[392, 49, 7, 1], offset: ?>> to memref<1x1x7x7xf32, strided<[392, 49, 7, 1], offset: ?>>
  %e2 = memref.expand_shape %c [[0, 1], [2], [3]] output_shape [1, 1, 7, 7] : memref<1x7x7xf32, strided<[392, 7, 1], offset: ?>> into memref<1x1x7x7xf32, strided<[392, 392, 7, 1], offset: ?>>
  memref.copy %e2, %s2 : memref<1x1x7x7xf32, strided<[392, 392, 7, 1], offset: ?>> to memref<1x1x7x7xf32, strided<[392, 49, 7, 1], offset: ?>>
  return
}

// Copies between two buffers (directly or through the collapse/expand
// pair), between different slots of one buffer and from a transposed view
// of the target stay.
// CHECK-LABEL: func.func @other(
// CHECK: memref.copy %arg0, %arg1
// CHECK: memref.copy %{{.*}}, %[[S1:.*]] : memref<2x6xf32
// CHECK: memref.copy %{{.*}}, %arg0
// CHECK: memref.copy %{{.*}}, %arg2
// CHECK: return
func.func @other(%a: memref<4x6xf32>, %b: memref<4x6xf32>, %c: memref<6x6xf32>) {
  memref.copy %a, %b : memref<4x6xf32> to memref<4x6xf32>
  %r0 = memref.subview %a[0, 0] [2, 6] [1, 1] : memref<4x6xf32> to memref<2x6xf32, strided<[6, 1]>>
  %r1 = memref.subview %a[2, 0] [2, 6] [1, 1] : memref<4x6xf32> to memref<2x6xf32, strided<[6, 1], offset: 12>>
  memref.copy %r0, %r1 : memref<2x6xf32, strided<[6, 1]>> to memref<2x6xf32, strided<[6, 1], offset: 12>>
  %f = memref.collapse_shape %b [[0, 1]] : memref<4x6xf32> into memref<24xf32>
  %e = memref.expand_shape %f [[0, 1]] output_shape [4, 6] : memref<24xf32> into memref<4x6xf32>
  memref.copy %e, %a : memref<4x6xf32> to memref<4x6xf32>
  %t = memref.transpose %c (i, j) -> (j, i) : memref<6x6xf32> to memref<6x6xf32, strided<[1, 6]>>
  memref.copy %t, %c : memref<6x6xf32, strided<[1, 6]>> to memref<6x6xf32>
  return
}
