// RUN: fp4-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(fp4-cpu-early-dealloc))" | FileCheck %s

// A temporary is freed right after its last use, not at the end of the
// block.
// CHECK-LABEL: func.func @last_use(
// CHECK:         %[[A:.*]] = memref.alloc() : memref<64xf32>
// CHECK-NEXT:    call @use(%[[A]])
// CHECK-NEXT:    memref.dealloc %[[A]]
// CHECK-NEXT:    call @other()
// CHECK-NEXT:    return
func.func private @use(memref<64xf32>)
func.func private @other()
func.func @last_use() {
  %a = memref.alloc() : memref<64xf32>
  call @use(%a) : (memref<64xf32>) -> ()
  call @other() : () -> ()
  memref.dealloc %a : memref<64xf32>
  return
}

// -----

// Uses through views and reshapes count, and so do uses nested in a loop:
// the dealloc goes after the loop that reads the reshaped view.
// CHECK-LABEL: func.func @aliases(
// CHECK:         %[[A:.*]] = memref.alloc() : memref<8x8xf32>
// CHECK:         %[[V:.*]] = memref.subview %[[A]]
// CHECK:         call @other()
// CHECK:         scf.for
// CHECK:           memref.load %{{.*}}
// CHECK:         }
// CHECK-NEXT:    memref.dealloc %[[A]]
// CHECK-NEXT:    call @other()
// CHECK-NEXT:    return
func.func private @other()
func.func @aliases(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc() : memref<8x8xf32>
  %v = memref.subview %a[0, 0] [4, 8] [1, 1] : memref<8x8xf32> to memref<4x8xf32, strided<[8, 1]>>
  %c = memref.collapse_shape %v [[0, 1]] : memref<4x8xf32, strided<[8, 1]>> into memref<32xf32, strided<[1]>>
  call @other() : () -> ()
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %c[%i] : memref<32xf32, strided<[1]>>
  }
  call @other() : () -> ()
  memref.dealloc %a : memref<8x8xf32>
  return
}

// -----

// A buffer that a loop yields may be used through the loop's result: the
// dealloc follows that use.
// CHECK-LABEL: func.func @yielded(
// CHECK:         %[[A:.*]] = memref.alloc() : memref<64xf32>
// CHECK:         %[[R:.*]] = scf.for
// CHECK:         call @other()
// CHECK-NEXT:    call @use(%[[R]])
// CHECK-NEXT:    memref.dealloc %[[A]]
// CHECK-NEXT:    return
func.func private @use(memref<64xf32>)
func.func private @other()
func.func @yielded(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc() : memref<64xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%m = %a) -> (memref<64xf32>) {
    scf.yield %m : memref<64xf32>
  }
  call @other() : () -> ()
  call @use(%r) : (memref<64xf32>) -> ()
  memref.dealloc %a : memref<64xf32>
  return
}

// -----

// A buffer that escapes (an alias returned) keeps its dealloc where it is;
// so does a dealloc of a buffer the block did not allocate.
// CHECK-LABEL: func.func @escapes(
// CHECK:         %[[A:.*]] = memref.alloc() : memref<64xf32>
// CHECK-NEXT:    %[[C:.*]] = memref.cast %[[A]]
// CHECK-NEXT:    call @other()
// CHECK-NEXT:    memref.dealloc %[[A]]
// CHECK-NEXT:    memref.dealloc %{{.*}} : memref<16xf32>
// CHECK-NEXT:    return %[[C]]
func.func private @other()
func.func @escapes(%m: memref<16xf32>) -> memref<?xf32> {
  %a = memref.alloc() : memref<64xf32>
  %c = memref.cast %a : memref<64xf32> to memref<?xf32>
  call @other() : () -> ()
  memref.dealloc %a : memref<64xf32>
  memref.dealloc %m : memref<16xf32>
  return %c : memref<?xf32>
}

// -----

// Allocations move down to their first use (bufferization allocates where
// the tensor.empty that seeded a result was, and one CSE'd empty can sit
// far above): here the buffer is not held across the first call.
// CHECK-LABEL: func.func @first_use(
// CHECK:         call @other()
// CHECK-NEXT:    %[[A:.*]] = memref.alloc() : memref<64xf32>
// CHECK-NEXT:    call @use(%[[A]])
// CHECK-NEXT:    memref.dealloc %[[A]]
// CHECK-NEXT:    return
func.func private @use(memref<64xf32>)
func.func private @other()
func.func @first_use() {
  %a = memref.alloc() : memref<64xf32>
  call @other() : () -> ()
  call @use(%a) : (memref<64xf32>) -> ()
  memref.dealloc %a : memref<64xf32>
  return
}

// -----

// A static temporary of each iteration of sequential loops is allocated
// once before the outermost of them and freed after it; not out of a
// parallel loop, and not when an alias leaves the iteration.
// CHECK-LABEL: func.func @hoist_out_of_loops(
// CHECK:         %[[A:.*]] = memref.alloc() : memref<64xf32>
// CHECK-NEXT:    scf.for
// CHECK-NEXT:      scf.for
// CHECK-NEXT:        func.call @use(%[[A]])
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// CHECK-NEXT:    memref.dealloc %[[A]] : memref<64xf32>
// CHECK:         scf.forall
// CHECK-NEXT:      %[[B:.*]] = memref.alloc() : memref<64xf32>
// CHECK-NEXT:      scf.for
// CHECK-NEXT:        func.call @use(%[[B]])
// CHECK-NEXT:      }
// CHECK-NEXT:      memref.dealloc %[[B]] : memref<64xf32>
// CHECK:         scf.for
// CHECK-NEXT:      %[[C:.*]] = memref.alloc() : memref<64xf32>
// CHECK-NEXT:      func.call @use(%[[C]])
// CHECK-NEXT:      func.call @keep(%[[C]])
func.func private @use(memref<64xf32>)
func.func private @keep(memref<64xf32>) -> ()
func.func @hoist_out_of_loops(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %a = memref.alloc() : memref<64xf32>
      func.call @use(%a) : (memref<64xf32>) -> ()
      memref.dealloc %a : memref<64xf32>
    }
  }
  scf.forall (%i) in (4) {
    scf.for %j = %c0 to %n step %c1 {
      %b = memref.alloc() : memref<64xf32>
      func.call @use(%b) : (memref<64xf32>) -> ()
      memref.dealloc %b : memref<64xf32>
    }
  }
  // No dealloc in the iteration: the buffer is not a per-iteration
  // temporary.
  scf.for %j = %c0 to %n step %c1 {
    %c = memref.alloc() : memref<64xf32>
    func.call @use(%c) : (memref<64xf32>) -> ()
    func.call @keep(%c) : (memref<64xf32>) -> ()
  }
  return
}
