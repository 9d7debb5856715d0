// RUN: fp4-opt %s --fp4-cpu-outline-loops | FileCheck %s

// Every op with regions at the top level of a function moves into a private,
// internal, never-inlined function of its own: the values it uses from above
// become arguments (constants are cloned instead), its results the callee's
// results. Nested loops move with their parent; ops without regions stay.

// CHECK-LABEL: func.func @step(
// CHECK-SAME:    %[[M:.*]]: memref<64xf32>, %[[N:.*]]: index, %[[X:.*]]: f32)
// CHECK:         %[[A:.*]] = memref.alloc() : memref<64xf32>
// CHECK-NEXT:    call @step_par0(%[[X]], %[[M]]) : (f32, memref<64xf32>) -> ()
// CHECK-NEXT:    %[[S:.*]] = call @step_loop1(%[[N]], %[[M]]) : (index, memref<64xf32>) -> f32
// CHECK-NEXT:    memref.store %[[S]], %[[A]]
// CHECK-NEXT:    memref.dealloc %[[A]]
// CHECK-NEXT:    return
// CHECK-NOT:     scf.for
// CHECK-NOT:     omp.parallel

// CHECK:       func.func private @external(memref<64xf32>)

// CHECK:       func.func private @step_par0(%[[PX:.*]]: f32, %[[PM:.*]]: memref<64xf32>)
// CHECK-SAME:    attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C64:.*]] = arith.constant 64 : index
// CHECK:         omp.parallel {
// CHECK:           omp.loop_nest (%[[I:.*]]) : index = (%[[C0]]) to (%[[C64]])
// CHECK:             memref.store %[[PX]], %[[PM]][%[[I]]]
// CHECK:         return

// CHECK:       func.func private @step_loop1(%[[LN:.*]]: index, %[[LM:.*]]: memref<64xf32>) -> f32
// CHECK:         %[[R:.*]] = scf.for {{.*}} to %[[LN]] {{.*}} iter_args(
// CHECK:           scf.for
// CHECK:         return %[[R]] : f32
func.func @step(%m: memref<64xf32>, %n: index, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<64xf32>
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %x, %m[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> f32 {
    %t = scf.for %j = %c0 to %c64 step %c1 iter_args(%b = %acc) -> f32 {
      %v = memref.load %m[%j] : memref<64xf32>
      %w = arith.addf %b, %v : f32
      scf.yield %w : f32
    }
    scf.yield %t : f32
  }
  memref.store %s, %a[%c0] : memref<64xf32>
  memref.dealloc %a : memref<64xf32>
  return
}

// External functions are left alone (the new functions follow them).
func.func private @external(memref<64xf32>)
