// RUN: fp4-opt %s --convert-fp4-to-standard --cse | FileCheck %s

// fp4-apply-recipe decodes a quantized operand again for the backward GEMMs
// (`fp4.backward_decode`), so that the forward's f32 values need not stay
// allocated until the backward pass. The lowered loops carry the tag, and
// CSE keeps the two decodes apart; two untagged equal decodes merge.
// CHECK-LABEL: func.func @decodes(
// CHECK:         %[[FWD:.*]] = scf.for
// CHECK-NOT:       fp4.backward_decode
// CHECK:         %[[BWD:.*]] = scf.for
// CHECK:         } {fp4.backward_decode}
// CHECK-NOT:     scf.for
// CHECK:         return %[[FWD]], %[[FWD]], %[[BWD]]
func.func @decodes(%codes: tensor<32xi8>) -> (tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) {
  %one = arith.constant 1.0 : f32
  %q = fp4.pack %codes, %one : tensor<32xi8>, f32 -> !fp4.qtensor<64x#fp4.format<int4>>
  %a = fp4.dequantize %q : !fp4.qtensor<64x#fp4.format<int4>> -> tensor<64xf32>
  %b = fp4.dequantize %q : !fp4.qtensor<64x#fp4.format<int4>> -> tensor<64xf32>
  %c = fp4.dequantize %q {fp4.backward_decode} : !fp4.qtensor<64x#fp4.format<int4>> -> tensor<64xf32>
  return %a, %b, %c : tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
}
