//===- FP4Types.td - Types of the fp4 dialect --------------*- tablegen -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_DIALECT_FP4_IR_FP4TYPES_TD
#define FP4_DIALECT_FP4_IR_FP4TYPES_TD

include "fp4/Dialect/FP4/IR/FP4Attrs.td"

def FP4_QTensorType : TypeDef<FP4_Dialect, "QTensor"> {
  let mnemonic = "qtensor";
  let summary = "a quantized tensor: element codes of a format plus its scale";
  let description = [{
    A statically shaped tensor quantized to `format`. A value of this type
    bundles the element codes and the f32 per-tensor scale that produced them
    (`quantize(x) = Q(x * scale) / scale`): `fp4.dequantize` and
    `fp4.lowp_matmul` need nothing else. After lowering (`fp4-expand-qtensor`)
    a value becomes its storage, a 1-D tensor of codes (two 4-bit codes per
    `i8` in row-major order, element 2i in the low nibble; one `i8` per 8-bit
    code; one `i16` per 16-bit code), and its `f32` scale.

    ```mlir
    !fp4.qtensor<128x784x#fp4.format<int4>>
    !fp4.qtensor<64x#fp4.format<radix4, odd>>
    ```
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$shape,
                        "::mlir::fp4::FormatAttr":$format);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getRank() const { return getShape().size(); }
    int64_t getNumElements() const;
    /// Number of storage elements (bytes for 4/8-bit formats, i16 for 16-bit).
    int64_t getStorageSize() const;
    /// The lowered storage type of the codes, e.g. tensor<8xi8> for 16 int4.
    ::mlir::RankedTensorType getStorageType() const;
  }];
}

#endif // FP4_DIALECT_FP4_IR_FP4TYPES_TD
