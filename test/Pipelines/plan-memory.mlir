// RUN: fp4-opt %s --fp4-cpu-plan-memory | FileCheck %s

// Three temporaries of 128, 128 and 64 KiB: %a and %b overlap, %c starts
// after %a's dealloc and reuses its offset. The arena holds 256 KiB (the
// static peak), allocated at the entry and freed before the return; the
// 4 KiB buffer stays a heap allocation, and so does the one inside a
// parallel loop (its iterations would share an offset).

// CHECK-LABEL: func.func @plan(
// CHECK-SAME:    attributes {fp4.arena = 262144 : i64}
// CHECK:         %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<262144xi8>
// CHECK:         %[[OA:.*]] = arith.constant 0 : index
// CHECK:         memref.view %[[ARENA]][%[[OA]]][] : memref<262144xi8> to memref<128x256xf32>
// CHECK:         %[[OB:.*]] = arith.constant 131072 : index
// CHECK:         memref.view %[[ARENA]][%[[OB]]][] : memref<262144xi8> to memref<128x256xf32>
// CHECK:         %[[SMALL:.*]] = memref.alloc() : memref<32x32xf32>
// CHECK:         %[[OC:.*]] = arith.constant 0 : index
// CHECK:         memref.view %[[ARENA]][%[[OC]]][] : memref<262144xi8> to memref<64x256xf32>
// CHECK:         scf.forall
// CHECK:           memref.alloc() : memref<128x256xf32>
// CHECK:         memref.dealloc %[[SMALL]]
// CHECK-NEXT:    memref.dealloc %[[ARENA]]
// CHECK-NEXT:    return
func.func @plan(%x: f32) {
  %a = memref.alloc() : memref<128x256xf32>
  linalg.fill ins(%x : f32) outs(%a : memref<128x256xf32>)
  %b = memref.alloc() : memref<128x256xf32>
  linalg.copy ins(%a : memref<128x256xf32>) outs(%b : memref<128x256xf32>)
  %small = memref.alloc() : memref<32x32xf32>
  linalg.fill ins(%x : f32) outs(%small : memref<32x32xf32>)
  memref.dealloc %a : memref<128x256xf32>
  %c = memref.alloc() : memref<64x256xf32>
  %bs = memref.subview %b[0, 0] [64, 256] [1, 1] : memref<128x256xf32> to memref<64x256xf32, strided<[256, 1]>>
  linalg.copy ins(%bs : memref<64x256xf32, strided<[256, 1]>>) outs(%c : memref<64x256xf32>)
  memref.dealloc %b : memref<128x256xf32>
  memref.dealloc %c : memref<64x256xf32>
  scf.forall (%i) in (2) {
    %p = memref.alloc() : memref<128x256xf32>
    linalg.fill ins(%x : f32) outs(%p : memref<128x256xf32>)
    memref.dealloc %p : memref<128x256xf32>
  }
  memref.dealloc %small : memref<32x32xf32>
  return
}
