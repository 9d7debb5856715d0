// REQUIRES: numpy
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/mknpy.py %t/big.npy "np.arange(2 * 3 * 500, dtype=np.int32).reshape(2, 3, 500)"
// RUN: %python %S/Inputs/mknpy.py %t/f.npy "np.array([0.1, 1e-7, 3e20, -0.0, np.nan, -np.inf, 1/3, 16777216], dtype=np.float32)"
// RUN: fp4-run %s --entry id_big --input %t/big.npy | FileCheck %s --check-prefix=BIG
// RUN: fp4-run %s --entry id_f32 --input %t/f.npy | FileCheck %s --check-prefix=F32
// RUN: fp4-run %s --entry id_f32 --input %t/f.npy --output %t/o.npy | count 0

// Large arrays print the first and last 3 entries of each dimension.
// BIG:      output 1: int32 [2, 3, 500]
// BIG-NEXT: {{\[\[\[}}0, 1, 2, ..., 497, 498, 499],
// BIG-NEXT:   [500, 501, 502, ..., 997, 998, 999],
// BIG-NEXT:   [1000, 1001, 1002, ..., 1497, 1498, 1499]],
// BIG-EMPTY:
// BIG-NEXT:  {{\[\[}}1500, 1501, 1502, ..., 1997, 1998, 1999],
// BIG-NEXT:   [2000, 2001, 2002, ..., 2497, 2498, 2499],
// BIG-NEXT:   [2500, 2501, 2502, ..., 2997, 2998, 2999]]]

// Floats print in their shortest round-trip form.
// F32:      output 1: float32 [8]
// F32-NEXT: [0.1, 1e-07, 3e+20, -0, nan, -inf, 0.33333334, 16777216]

func.func @id_big(%a: tensor<2x3x500xi32>) -> tensor<2x3x500xi32> {
  return %a : tensor<2x3x500xi32>
}
func.func @id_f32(%a: tensor<8xf32>) -> tensor<8xf32> {
  return %a : tensor<8xf32>
}
