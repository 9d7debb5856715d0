// RUN: fp4-opt %s --fp4-cpu-outline-loops | FileCheck %s

// Loop nests that come out identical once outlined (same argument types,
// constants and body, whichever values they are called with and whichever
// function they come from) call one shared function. A nest that differs
// in a constant, an op, or an argument type gets a function of its own.

// CHECK-LABEL: func.func @first(
// CHECK-SAME:    %[[A:.*]]: memref<64xf32>, %[[B:.*]]: memref<64xf32>, %[[C:.*]]: memref<32xf32>
// CHECK:         call @first_loop0(%[[A]]) : (memref<64xf32>) -> ()
// CHECK-NEXT:    call @first_loop0(%[[B]]) : (memref<64xf32>) -> ()
// CHECK-NEXT:    call @first_loop2(%[[A]]) : (memref<64xf32>) -> ()
// CHECK-NEXT:    call @first_loop3(%[[B]]) : (memref<64xf32>) -> ()
// CHECK-NEXT:    call @first_loop4(%[[C]]) : (memref<32xf32>) -> ()
// CHECK-NEXT:    return
func.func @first(%a: memref<64xf32>, %b: memref<64xf32>, %c: memref<32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c32 = arith.constant 32 : index
  %two = arith.constant 2.0 : f32
  %three = arith.constant 3.0 : f32
  // Doubles %a.
  scf.for %i = %c0 to %c64 step %c1 {
    %v = memref.load %a[%i] : memref<64xf32>
    %w = arith.mulf %v, %two : f32
    memref.store %w, %a[%i] : memref<64xf32>
  }
  // The same on %b: shares @first_loop0.
  scf.for %i = %c0 to %c64 step %c1 {
    %v = memref.load %b[%i] : memref<64xf32>
    %w = arith.mulf %v, %two : f32
    memref.store %w, %b[%i] : memref<64xf32>
  }
  // Another constant.
  scf.for %i = %c0 to %c64 step %c1 {
    %v = memref.load %a[%i] : memref<64xf32>
    %w = arith.mulf %v, %three : f32
    memref.store %w, %a[%i] : memref<64xf32>
  }
  // Another op.
  scf.for %i = %c0 to %c64 step %c1 {
    %v = memref.load %b[%i] : memref<64xf32>
    %w = arith.addf %v, %two : f32
    memref.store %w, %b[%i] : memref<64xf32>
  }
  // Another shape.
  scf.for %i = %c0 to %c32 step %c1 {
    %v = memref.load %c[%i] : memref<32xf32>
    %w = arith.mulf %v, %two : f32
    memref.store %w, %c[%i] : memref<32xf32>
  }
  return
}

// A nest of another function identical to one of @first's: shared too.
// CHECK-LABEL: func.func @second(
// CHECK-SAME:    %[[D:.*]]: memref<64xf32>
// CHECK:         call @first_loop3(%[[D]]) : (memref<64xf32>) -> ()
// CHECK-NEXT:    return
func.func @second(%d: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %two = arith.constant 2.0 : f32
  scf.for %i = %c0 to %c64 step %c1 {
    %v = memref.load %d[%i] : memref<64xf32>
    %w = arith.addf %v, %two : f32
    memref.store %w, %d[%i] : memref<64xf32>
  }
  return
}

// Four functions, no more.
// CHECK:     func.func private @first_loop0(
// CHECK:       arith.mulf
// CHECK:     func.func private @first_loop2(
// CHECK:       arith.mulf
// CHECK:     func.func private @first_loop3(
// CHECK:       arith.addf
// CHECK:     func.func private @first_loop4(
// CHECK-NOT: func.func

