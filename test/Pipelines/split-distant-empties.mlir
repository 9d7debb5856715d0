// RUN: fp4-opt %s --pass-pipeline="builtin.module(func.func(fp4-split-distant-empties))" | FileCheck %s

// CSE leaves one tensor.empty for every equal-typed result of a step; uses
// more than 64 ops apart get empties of their own (so that bufferization
// gives them separate buffers with separate lifetimes), nearby uses keep
// sharing one.
// CHECK-LABEL: func.func @distant(
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<16xf32>
// CHECK-NEXT:    %[[A:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<16xf32>)
// CHECK-NEXT:    %[[B:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<16xf32>)
// CHECK:         %[[F:.*]] = tensor.empty() : tensor<16xf32>
// CHECK-NEXT:    %[[C:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[F]] : tensor<16xf32>)
// CHECK-NEXT:    return %[[A]], %[[B]], %[[C]]
func.func @distant(%f0: f32) -> (tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) {
  %e = tensor.empty() : tensor<16xf32>
  %a = linalg.fill ins(%f0 : f32) outs(%e : tensor<16xf32>) -> tensor<16xf32>
  %b = linalg.fill ins(%f0 : f32) outs(%e : tensor<16xf32>) -> tensor<16xf32>
  %f1 = arith.addf %f0, %f0 : f32
  %f2 = arith.addf %f1, %f1 : f32
  %f3 = arith.addf %f2, %f2 : f32
  %f4 = arith.addf %f3, %f3 : f32
  %f5 = arith.addf %f4, %f4 : f32
  %f6 = arith.addf %f5, %f5 : f32
  %f7 = arith.addf %f6, %f6 : f32
  %f8 = arith.addf %f7, %f7 : f32
  %f9 = arith.addf %f8, %f8 : f32
  %f10 = arith.addf %f9, %f9 : f32
  %f11 = arith.addf %f10, %f10 : f32
  %f12 = arith.addf %f11, %f11 : f32
  %f13 = arith.addf %f12, %f12 : f32
  %f14 = arith.addf %f13, %f13 : f32
  %f15 = arith.addf %f14, %f14 : f32
  %f16 = arith.addf %f15, %f15 : f32
  %f17 = arith.addf %f16, %f16 : f32
  %f18 = arith.addf %f17, %f17 : f32
  %f19 = arith.addf %f18, %f18 : f32
  %f20 = arith.addf %f19, %f19 : f32
  %f21 = arith.addf %f20, %f20 : f32
  %f22 = arith.addf %f21, %f21 : f32
  %f23 = arith.addf %f22, %f22 : f32
  %f24 = arith.addf %f23, %f23 : f32
  %f25 = arith.addf %f24, %f24 : f32
  %f26 = arith.addf %f25, %f25 : f32
  %f27 = arith.addf %f26, %f26 : f32
  %f28 = arith.addf %f27, %f27 : f32
  %f29 = arith.addf %f28, %f28 : f32
  %f30 = arith.addf %f29, %f29 : f32
  %f31 = arith.addf %f30, %f30 : f32
  %f32 = arith.addf %f31, %f31 : f32
  %f33 = arith.addf %f32, %f32 : f32
  %f34 = arith.addf %f33, %f33 : f32
  %f35 = arith.addf %f34, %f34 : f32
  %f36 = arith.addf %f35, %f35 : f32
  %f37 = arith.addf %f36, %f36 : f32
  %f38 = arith.addf %f37, %f37 : f32
  %f39 = arith.addf %f38, %f38 : f32
  %f40 = arith.addf %f39, %f39 : f32
  %f41 = arith.addf %f40, %f40 : f32
  %f42 = arith.addf %f41, %f41 : f32
  %f43 = arith.addf %f42, %f42 : f32
  %f44 = arith.addf %f43, %f43 : f32
  %f45 = arith.addf %f44, %f44 : f32
  %f46 = arith.addf %f45, %f45 : f32
  %f47 = arith.addf %f46, %f46 : f32
  %f48 = arith.addf %f47, %f47 : f32
  %f49 = arith.addf %f48, %f48 : f32
  %f50 = arith.addf %f49, %f49 : f32
  %f51 = arith.addf %f50, %f50 : f32
  %f52 = arith.addf %f51, %f51 : f32
  %f53 = arith.addf %f52, %f52 : f32
  %f54 = arith.addf %f53, %f53 : f32
  %f55 = arith.addf %f54, %f54 : f32
  %f56 = arith.addf %f55, %f55 : f32
  %f57 = arith.addf %f56, %f56 : f32
  %f58 = arith.addf %f57, %f57 : f32
  %f59 = arith.addf %f58, %f58 : f32
  %f60 = arith.addf %f59, %f59 : f32
  %f61 = arith.addf %f60, %f60 : f32
  %f62 = arith.addf %f61, %f61 : f32
  %f63 = arith.addf %f62, %f62 : f32
  %f64 = arith.addf %f63, %f63 : f32
  %f65 = arith.addf %f64, %f64 : f32
  %c = linalg.fill ins(%f65 : f32) outs(%e : tensor<16xf32>) -> tensor<16xf32>
  return %a, %b, %c : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}
