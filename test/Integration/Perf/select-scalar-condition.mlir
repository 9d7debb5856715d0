// A select between two tensors on one scalar condition (the skipped update
// of a step whose gradients are not finite) runs as a vectorized loop that
// broadcasts the condition: the result is the first tensor, bit for bit,
// when the condition holds and the second when it does not, and equals the
// scalar loops (vectorize=false).
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: fp4-numerics-check gen -o %t/a.npy --count 1000 --shape 1000 --seed 31 --uniform -1,1
// RUN: fp4-numerics-check gen -o %t/b.npy --count 1000 --shape 1000 --seed 32 --uniform -1,1
// RUN: fp4-numerics-check scalar -o %t/yes.npy --f32 1.0
// RUN: fp4-numerics-check scalar -o %t/no.npy --f32 0.0
// RUN: fp4-run %s --entry sel --input %t/yes.npy --input %t/a.npy --input %t/b.npy --output %t/r1.npy
// RUN: fp4-run %s --entry sel --input %t/no.npy --input %t/a.npy --input %t/b.npy --output %t/r0.npy
// RUN: cmp %t/r1.npy %t/a.npy && cmp %t/r0.npy %t/b.npy
// RUN: env FP4_CPU_PIPELINE_OPTIONS=vectorize=false fp4-run %s --entry sel --input %t/no.npy --input %t/a.npy --input %t/b.npy --output %t/s0.npy
// RUN: cmp %t/r0.npy %t/s0.npy
// The select was vectorized (and is a scalar loop without vectorization).
// RUN: fp4-opt %s --fp4-to-llvm | FileCheck %s
// RUN: fp4-opt %s --fp4-to-llvm="vectorize=false" | FileCheck %s --check-prefix=SCALAR
// CHECK: llvm.select %{{.*}} : vector<{{[0-9]+}}xi1>, vector<{{[0-9]+}}xf32>
// SCALAR-NOT: vector<{{[0-9]+}}xi1>

func.func @sel(%x: tensor<f32>, %a: tensor<1000xf32>, %b: tensor<1000xf32>) -> tensor<1000xf32> {
  %v = tensor.extract %x[] : tensor<f32>
  %half = arith.constant 0.5 : f32
  %c = arith.cmpf ogt, %v, %half : f32
  %r = arith.select %c, %a, %b : tensor<1000xf32>
  return %r : tensor<1000xf32>
}
