//===- FP4Enums.td - Enumerations of the fp4 dialect -------*- tablegen -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_DIALECT_FP4_IR_FP4ENUMS_TD
#define FP4_DIALECT_FP4_IR_FP4ENUMS_TD

include "mlir/IR/EnumAttr.td"

def FP4_ElementKind : I32EnumAttr<"ElementKind",
    "element format of quantized data (SPEC-numerics section 2)", [
      I32EnumAttrCase<"radix4", 0>,
      I32EnumAttrCase<"radix2_fp4", 1>,
      I32EnumAttrCase<"e2m1", 2>,
      I32EnumAttrCase<"int4", 3>,
      I32EnumAttrCase<"uint4", 4>,
      I32EnumAttrCase<"e4m3", 5>,
      I32EnumAttrCase<"e5m2", 6>,
      I32EnumAttrCase<"f16", 7>,
      I32EnumAttrCase<"bf16", 8>
    ]> {
  let cppNamespace = "::mlir::fp4";
  let genSpecializedAttr = 0;
}

def FP4_Phase : I32EnumAttr<"Phase",
    "rounding phase of the radix-4 format (even grid 4^k, odd grid 2*4^k)", [
      I32EnumAttrCase<"even", 0>,
      I32EnumAttrCase<"odd", 1>
    ]> {
  let cppNamespace = "::mlir::fp4";
  let genSpecializedAttr = 0;
}

def FP4_ScaleFormat : I32EnumAttr<"ScaleFormat",
    "storage format of a block scale", [
      I32EnumAttrCase<"e8m0", 0>,
      I32EnumAttrCase<"e4m3", 1>,
      I32EnumAttrCase<"f32", 2>
    ]> {
  let cppNamespace = "::mlir::fp4";
  let genSpecializedAttr = 0;
}

def FP4_Rounding : I32EnumAttr<"Rounding", "rounding mode of a quantizer", [
      I32EnumAttrCase<"nearest", 0>,
      I32EnumAttrCase<"stochastic", 1>
    ]> {
  let cppNamespace = "::mlir::fp4";
}

def FP4_GradScaleMode : I32EnumAttr<"GradScaleMode",
    "when the power-of-two gradient scale is computed (SPEC 4.1)", [
      I32EnumAttrCase<"delayed", 0>,
      I32EnumAttrCase<"current", 1>
    ]> {
  let cppNamespace = "::mlir::fp4";
}

def FP4_Accumulation : I32EnumAttr<"Accumulation",
    "accumulation precision of a low-precision matmul (SPEC 7)", [
      I32EnumAttrCase<"f32", 0>,
      I32EnumAttrCase<"f16", 1>
    ]> {
  let cppNamespace = "::mlir::fp4";
}

def FP4_ScaleRule : I32EnumAttr<"ScaleRule",
    "rule that derives a per-tensor quantization scale from the data", [
      I32EnumAttrCase<"sawb", 0>,
      I32EnumAttrCase<"amax", 1>
    ]> {
  let cppNamespace = "::mlir::fp4";
}

#endif // FP4_DIALECT_FP4_IR_FP4ENUMS_TD
