//===- FP4Attrs.td - Attributes of the fp4 dialect ---------*- tablegen -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_DIALECT_FP4_IR_FP4ATTRS_TD
#define FP4_DIALECT_FP4_IR_FP4ATTRS_TD

include "fp4/Dialect/FP4/IR/FP4Dialect.td"
include "fp4/Dialect/FP4/IR/FP4Enums.td"
include "mlir/IR/AttrTypeBase.td"

class FP4_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<FP4_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def FP4_BlockScaleAttr : FP4_Attr<"BlockScale", "block"> {
  let summary = "block scaling of a quantized tensor (MX / NVFP4)";
  let description = [{
    Describes block scaling: every `size` consecutive elements along `axis`
    share one scale stored in `scale_format` (`e8m0` for OCP MX, `e4m3` for
    NVFP4, whose blocks also share an f32 per-tensor scale).

    ```mlir
    #fp4.block<32, e8m0, axis = 1>
    ```
  }];
  let parameters = (ins "int64_t":$size,
                        EnumParameter<FP4_ScaleFormat>:$scale_format,
                        "int64_t":$axis);
  let assemblyFormat = "`<` $size `,` $scale_format `,` `axis` `=` $axis `>`";
  let genVerifyDecl = 1;
}

def FP4_FormatAttr : FP4_Attr<"Format", "format"> {
  let summary = "an element format of SPEC-numerics";
  let description = [{
    Names one element format of the numerics specification:

    | syntax | format |
    |---|---|
    | `#fp4.format<radix4, even>` | IBM radix-4 FP4, even grid {0, 4^-3..4^3} |
    | `#fp4.format<radix4, odd>` | IBM radix-4 FP4, odd grid {0, 2*4^-4..2*4^2} |
    | `#fp4.format<radix2_fp4>` | radix-2 FP4 (ablation) |
    | `#fp4.format<e2m1>` | OCP FP4 E2M1 |
    | `#fp4.format<int4>` / `#fp4.format<uint4>` | symmetric / unsigned 4-bit integers |
    | `#fp4.format<e4m3>` / `#fp4.format<e5m2>` | OCP FP8 (saturating) |
    | `#fp4.format<f16>` / `#fp4.format<bf16>` | IEEE half, bfloat16 |

    A radix-4 format must name its phase; no other format has one. An
    optional block scaling (`#fp4.format<e2m1, #fp4.block<32, e8m0, axis =
    1>>`) describes the block-scaled MXFP4/NVFP4 variants.
  }];
  let parameters = (ins EnumParameter<FP4_ElementKind>:$kind,
                        OptionalParameter<"std::optional<::mlir::fp4::Phase>">:$phase,
                        OptionalParameter<"::mlir::fp4::BlockScaleAttr">:$block);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "::mlir::fp4::ElementKind":$kind), [{
      return $_get($_ctxt, kind, std::nullopt, BlockScaleAttr());
    }]>,
    AttrBuilder<(ins "::mlir::fp4::ElementKind":$kind,
                     "::mlir::fp4::Phase":$phase), [{
      return $_get($_ctxt, kind, phase, BlockScaleAttr());
    }]>
  ];
  let extraClassDeclaration = [{
    /// Bits per stored element code: 4, 8 or 16.
    unsigned getBitWidth() const;
    /// Largest finite magnitude in format units (SPEC section 2).
    double getMaxMagnitude() const;
    /// MAX of the GradScale rule (SPEC 4.1); 64 for both radix-4 phases.
    double getGradScaleMax() const;
    /// True for radix4, radix2_fp4, e2m1, e4m3, e5m2: formats a GradScale
    /// may target.
    bool isGradientFormat() const;
    /// Short name used in diagnostics and in the numerics library, e.g.
    /// "radix4_even", "int4".
    std::string getName() const;
  }];
}

#endif // FP4_DIALECT_FP4_IR_FP4ATTRS_TD
