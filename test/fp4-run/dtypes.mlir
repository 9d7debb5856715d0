// REQUIRES: numpy
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/mknpy.py %t/i64.npy "np.array([[-(2**62), 7], [2**40 + 3, -1]], dtype=np.int64)"
// RUN: %python %S/Inputs/mknpy.py %t/i32.npy "np.array([-2**31, 2**31 - 1, 5], dtype=np.int32)"
// RUN: %python %S/Inputs/mknpy.py %t/f16.npy "np.array([0.1, -65504, 1e-7, np.inf], dtype=np.float16)"
// RUN: %python %S/Inputs/mknpy.py %t/i8.npy "np.array([-128, -1, 0, 127], dtype=np.int8)"
// RUN: %python %S/Inputs/mknpy.py %t/u8.npy "np.array([0x00, 0x7f, 0x80, 0xfe], dtype=np.uint8)"
// RUN: fp4-run %s --entry pass --input %t/i64.npy --input %t/i32.npy --input %t/f16.npy --input %t/i8.npy --input %t/u8.npy \
// RUN:   --output %t/o64.npy --output %t/o32.npy --output %t/o16.npy --output %t/o8.npy --output %t/ou8.npy
// RUN: %python %S/Inputs/cmpnpy.py %t/o64.npy "load('%t/i64.npy') + 1"
// RUN: %python %S/Inputs/cmpnpy.py %t/o32.npy "load('%t/i32.npy')"
// RUN: %python %S/Inputs/cmpnpy.py %t/o16.npy "load('%t/f16.npy') * np.float16(2)"
// RUN: %python %S/Inputs/cmpnpy.py %t/o8.npy "load('%t/i8.npy')"
// RUN: %python %S/Inputs/cmpnpy.py %t/ou8.npy "load('%t/u8.npy')"

// An i8 argument takes int8 and uint8 arrays (the bytes are unchanged); an i8
// result is written as int8, or as uint8 when it has `fp4.unsigned`.
// RUN: fp4-run %s --entry pass --input %t/i64.npy --input %t/i32.npy --input %t/f16.npy --input %t/u8.npy --input %t/i8.npy \
// RUN:   --output %t/p64.npy --output %t/p32.npy --output %t/p16.npy --output %t/p8.npy --output %t/pu8.npy
// RUN: %python %S/Inputs/cmpnpy.py %t/p8.npy "load('%t/u8.npy').view(np.int8)"
// RUN: %python %S/Inputs/cmpnpy.py %t/pu8.npy "load('%t/i8.npy').view(np.uint8)"

// Packed 4-bit codes: split each uint8 into its high and low nibble.
// RUN: fp4-run %s --entry nibbles --input %t/u8.npy --output %t/hi.npy --output %t/lo.npy
// RUN: %python %S/Inputs/cmpnpy.py %t/hi.npy "load('%t/u8.npy') >> 4"
// RUN: %python %S/Inputs/cmpnpy.py %t/lo.npy "(load('%t/u8.npy') & 15).view(np.int8)"
// RUN: fp4-run %s --entry nibbles --input %t/u8.npy | FileCheck %s

// CHECK:      output 1: uint8 [4]
// CHECK-NEXT: [0, 7, 8, 15]
// CHECK-NEXT: output 2: int8 [4]
// CHECK-NEXT: [0, 15, 0, 14]

func.func @pass(%a: tensor<2x2xi64>, %b: tensor<3xi32>, %c: tensor<4xf16>,
                %d: tensor<4xi8>, %e: tensor<4xi8>)
    -> (tensor<2x2xi64>, tensor<3xi32>, tensor<4xf16>, tensor<4xi8>,
        tensor<4xi8> {fp4.unsigned}) {
  %one = arith.constant dense<1> : tensor<2x2xi64>
  %a1 = arith.addi %a, %one : tensor<2x2xi64>
  %c2 = arith.addf %c, %c : tensor<4xf16>
  return %a1, %b, %c2, %d, %e
      : tensor<2x2xi64>, tensor<3xi32>, tensor<4xf16>, tensor<4xi8>, tensor<4xi8>
}

func.func @nibbles(%codes: tensor<4xi8>)
    -> (tensor<4xi8> {fp4.unsigned}, tensor<4xi8>) {
  %four = arith.constant dense<4> : tensor<4xi8>
  %mask = arith.constant dense<15> : tensor<4xi8>
  %hi = arith.shrui %codes, %four : tensor<4xi8>
  %lo = arith.andi %codes, %mask : tensor<4xi8>
  return %hi, %lo : tensor<4xi8>, tensor<4xi8>
}
