// RUN: fp4-opt %s -split-input-file -verify-diagnostics --fp4-gpu-sink-constants | FileCheck %s
// RUN: fp4-opt %s -split-input-file -verify-diagnostics --fp4-gpu-sink-constants --gpu-kernel-outlining | FileCheck %s --check-prefix=OUTLINED

// Constants (also vector ones) and buffers of constant globals used in a
// launch are cloned into it; uses outside keep the originals.

memref.global "private" constant @table : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>

// CHECK-LABEL: func.func @sink
// CHECK:         %[[G:.*]] = memref.get_global @table
// CHECK:         gpu.launch
// CHECK-DAG:       %[[GI:.*]] = memref.get_global @table : memref<4xf32>
// CHECK-DAG:       %[[V:.*]] = arith.constant dense<2.000000e+00> : vector<4xf32>
// CHECK:           vector.load %[[GI]]
// CHECK:           arith.mulf %{{.*}}, %[[V]]
// CHECK:           gpu.terminator
// CHECK:         memref.load %[[G]]

// OUTLINED:      gpu.launch_func @sink_kernel::@sink_kernel {{.*}} args(%{{.*}} : memref<4xf32>)
// OUTLINED:      gpu.module @sink_kernel
// OUTLINED:        gpu.func @sink_kernel(%{{.*}}: memref<4xf32>) kernel
// OUTLINED:          memref.get_global @table
// OUTLINED:        memref.global "private" constant @table : memref<4xf32> = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]>
func.func @sink(%out: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = arith.constant dense<2.0> : vector<4xf32>
  %g = memref.get_global @table : memref<4xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %v = vector.load %g[%c0] : memref<4xf32>, vector<4xf32>
    %w = arith.mulf %v, %two : vector<4xf32>
    vector.store %w, %out[%c0] : memref<4xf32>, vector<4xf32>
    gpu.terminator
  }
  %x = memref.load %g[%c0] : memref<4xf32>
  return %x : f32
}

// -----

// A view of a constant global goes in with the global.

memref.global "private" constant @matrix : memref<2x4xf32> = dense<1.0>

// CHECK-LABEL: func.func @view
// CHECK:         gpu.launch
// CHECK:           %[[G:.*]] = memref.get_global @matrix : memref<2x4xf32>
// CHECK:           %[[V:.*]] = memref.collapse_shape %[[G]]
// CHECK:           memref.load %[[V]]
func.func @view(%out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %g = memref.get_global @matrix : memref<2x4xf32>
  %flat = memref.collapse_shape %g [[0, 1]] : memref<2x4xf32> into memref<8xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %x = memref.load %flat[%c0] : memref<8xf32>
    memref.store %x, %out[%c0] : memref<8xf32>
    gpu.terminator
  }
  return
}

// -----

memref.global "private" @state : memref<4xf32> = dense<0.0>

func.func @mutable(%out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error @below {{a GPU kernel uses the non-constant global @state; the device cannot share it with the host}}
  %g = memref.get_global @state : memref<4xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %x = memref.load %g[%c0] : memref<4xf32>
    memref.store %x, %out[%c0] : memref<4xf32>
    gpu.terminator
  }
  return
}
