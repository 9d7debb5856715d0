//===- FP4Ops.td - Operations of the fp4 dialect -----------*- tablegen -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_DIALECT_FP4_IR_FP4OPS_TD
#define FP4_DIALECT_FP4_IR_FP4OPS_TD

include "fp4/Dialect/FP4/IR/FP4Types.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/IR/BuiltinAttributes.td"

class FP4_Op<string mnemonic, list<Trait> traits = []>
    : Op<FP4_Dialect, mnemonic, traits>;

def FP4_FloatTensor : RankedTensorOf<[F32, F16]>;
def FP4_F32Tensor : RankedTensorOf<[F32]>;

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

def FP4_QuantizeOp : FP4_Op<"quantize", [Pure]> {
  let summary = "quantize a float tensor to a format with a given scale";
  let description = [{
    Computes the codes of `Q_fmt(x * scale)` for every element of `input`
    (SPEC-numerics section 1) and bundles them with `scale` into the result
    `!fp4.qtensor`, whose format is the target format. `x * scale` is one f32
    multiplication (f16 inputs are first extended to f32 exactly).

    `rounding` is `nearest` (default) or `stochastic`. Stochastic rounding
    draws element i's uniform number from Philox4x32-10 keyed by the 64-bit
    `seed` operand (given per step) and the 32-bit `stream` attribute (a
    per-tensor id), as SPEC section 5 defines, so results are bit-identical on
    every back end.

    When three `i64` result types follow the quantized type, the op also
    returns its counters: the number of elements that saturated, that were
    flushed to zero, and that were not finite (SPEC section 6).

    ```mlir
    %q = fp4.quantize %x, %s : tensor<4x8xf32> -> !fp4.qtensor<4x8x#fp4.format<int4>>
    %g, %sat, %flush, %nonfinite = fp4.quantize %dy, %gs rounding(stochastic)
        seed(%seed) stream(7) : tensor<128x10xf32>
        -> !fp4.qtensor<128x10x#fp4.format<radix4, odd>>, i64, i64, i64
    ```
  }];
  let arguments = (ins FP4_FloatTensor:$input, F32:$scale,
                       Optional<I64>:$seed,
                       DefaultValuedAttr<FP4_Rounding,
                                         "::mlir::fp4::Rounding::nearest">:$rounding,
                       OptionalAttr<I32Attr>:$stream);
  let results = (outs FP4_QTensorType:$result, Variadic<I64>:$counters);
  let assemblyFormat = [{
    $input `,` $scale (`rounding` `(` $rounding^ `)`)? (`seed` `(` $seed^ `)`)?
    (`stream` `(` $stream^ `)`)? attr-dict `:` type($input) `->` qualified(type($result))
    (`,` type($counters)^)?
  }];
  let hasVerifier = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Type":$resultType, "::mlir::Value":$input,
                   "::mlir::Value":$scale)>
  ];
  let extraClassDeclaration = [{
    ::mlir::fp4::QTensorType getResultType() {
      return ::llvm::cast<::mlir::fp4::QTensorType>(getResult().getType());
    }
    bool hasCounters() { return !getCounters().empty(); }
  }];
}

//===----------------------------------------------------------------------===//
// DequantizeOp
//===----------------------------------------------------------------------===//

def FP4_DequantizeOp : FP4_Op<"dequantize", [Pure]> {
  let summary = "decode a quantized tensor to floats";
  let description = [{
    Returns `decode(code) / scale` for every element (one f32 division; an f16
    result is that f32 value rounded to nearest even). This is the value the
    quantizer stands for: `dequantize(quantize(x, s))` is `Q(x * s) / s`, not
    `x`.

    ```mlir
    %y = fp4.dequantize %q : !fp4.qtensor<4x8x#fp4.format<int4>> -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins FP4_QTensorType:$input);
  let results = (outs FP4_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` qualified(type($input)) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// PackOp / UnpackOp
//===----------------------------------------------------------------------===//

def FP4_PackOp : FP4_Op<"pack", [Pure]> {
  let summary = "bundle raw storage codes and a scale into a quantized tensor";
  let description = [{
    Builds a `!fp4.qtensor` from its storage: a 1-D tensor of codes laid out
    as SPEC section 3 defines (for 4-bit formats two codes per `i8`, element
    2i in the low nibble; `i8` per 8-bit code; `i16` per 16-bit code) and the
    f32 scale. Used to bring packed data in from outside (files, other
    programs) and by the lowering.

    ```mlir
    %q = fp4.pack %codes, %s : tensor<16xi8>, f32 -> !fp4.qtensor<4x8x#fp4.format<e2m1>>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I8, I16]>:$codes, F32:$scale);
  let results = (outs FP4_QTensorType:$result);
  let assemblyFormat = [{
    $codes `,` $scale attr-dict `:` type($codes) `,` type($scale) `->`
    qualified(type($result))
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def FP4_UnpackOp : FP4_Op<"unpack", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "split a quantized tensor into its storage codes and scale";
  let description = [{
    The inverse of `fp4.pack`: returns the 1-D storage tensor of codes and
    the f32 scale of a `!fp4.qtensor`.

    ```mlir
    %codes, %s = fp4.unpack %q : !fp4.qtensor<4x8x#fp4.format<int4>>
    ```
  }];
  let arguments = (ins FP4_QTensorType:$input);
  let results = (outs RankedTensorOf<[I8, I16]>:$codes, F32:$scale);
  let assemblyFormat = "$input attr-dict `:` qualified(type($input))";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// GradScaleOp
//===----------------------------------------------------------------------===//

def FP4_GradScaleOp : FP4_Op<"gradscale", [Pure,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "per-layer power-of-two gradient scaling (GradScale)";
  let description = [{
    Scales the gradient `input` by a power of two and returns the scaled
    gradient, the scale it applied (so consumers can unscale their results)
    and the scale for the next step (SPEC-numerics section 4.1), for gradients that will be
    quantized to `format` (whose MAX is 64 for radix-4 of either phase, 8 for
    `radix2_fp4`, 6 for `e2m1`, 448 for `e4m3`, 57344 for `e5m2`).

    - `delayed`: `result = input * scale`; with `m = max|result|`, the next
      scale is `scale / 2` if `m > MAX`, `2 * scale` if `m <= MAX / 2`, else
      `scale`. A `scale` of 0 means "not yet initialized" (the first step):
      the step then uses `2^floor(log2(MAX / m0))` from its own maximum `m0`,
      as `current` mode does.
    - `current`: `s = 2^floor(log2(MAX / max|input|))` from this step's
      maximum; `result = input * s` and `next_scale = s`.

    If the maximum is 0 the scale is unchanged (1 when it was not yet
    initialized). If `input` holds a NaN or an Inf, `next_scale` is the
    scale halved; the trainer skips the update (it sees the non-finite count
    of the quantizer that follows).

    ```mlir
    %gs, %applied, %next = fp4.gradscale %dy, %s
        {format = #fp4.format<radix4, even>} : tensor<128x10xf32>
    ```
  }];
  let arguments = (ins FP4_F32Tensor:$input, F32:$scale,
                       FP4_FormatAttr:$format,
                       DefaultValuedAttr<FP4_GradScaleMode,
                           "::mlir::fp4::GradScaleMode::delayed">:$mode);
  let results = (outs FP4_F32Tensor:$result, F32:$applied_scale,
                      F32:$next_scale);
  let assemblyFormat = [{
    $input `,` $scale (`mode` `(` $mode^ `)`)? attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// ComputeScaleOp
//===----------------------------------------------------------------------===//

def FP4_ComputeScaleOp : FP4_Op<"compute_scale", [Pure]> {
  let summary = "derive a per-tensor quantization scale from the data";
  let description = [{
    Computes the f32 scale that maps `input` onto `format`:

    - `sawb` (SPEC 4.2, int4 weights only): `alpha = 12.1 sqrt(mean(w^2)) -
      12.2 mean(|w|)` with both means accumulated in f64; if `alpha <= 0` or
      `alpha > max|w|` then `alpha = max|w|`; the scale is `fl32(7 / alpha)`.
      An all-zero tensor gets scale 1.
    - `amax`: `fl32(MAX / max|x|)` with MAX the format's largest magnitude
      (7 for int4), clamped to the largest finite f32 if the division
      overflows; an all-zero tensor, or one holding a NaN or an Inf, gets
      scale 1.

    ```mlir
    %s = fp4.compute_scale %w rule(sawb) {format = #fp4.format<int4>} : tensor<256x784xf32>
    ```
  }];
  let arguments = (ins FP4_F32Tensor:$input, FP4_ScaleRule:$rule,
                       FP4_FormatAttr:$format);
  let results = (outs F32:$scale);
  let assemblyFormat = "$input `rule` `(` $rule `)` attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// LowpMatmulOp
//===----------------------------------------------------------------------===//

def FP4_LowpMatmulOp : FP4_Op<"lowp_matmul", [Pure]> {
  let summary = "matrix product of two quantized tensors";
  let description = [{
    `C = op(A) * op(B)` where `op` transposes its operand when
    `transpose_a`/`transpose_b` is set, computed on the decoded codes (in
    format units, so every product of two 4-bit values is exact in f32) and
    then scaled: `C[i,j] = acc[i,j] / (scale(A) * scale(B))` in f32
    (SPEC-numerics section 7).

    Accumulation `f32` (default) sums the products over `k` in increasing
    order in f32. Accumulation `f16` with `chunk` k sums each run of k
    products in f16, rounding after every addition, then adds the chunk sums
    in f32 (IBM chunk-based accumulation).

    ```mlir
    %c = fp4.lowp_matmul %a, %b {transpose_b}
        : !fp4.qtensor<128x784x#fp4.format<uint4>>,
          !fp4.qtensor<256x784x#fp4.format<int4>> -> tensor<128x256xf32>
    %d = fp4.lowp_matmul %a, %b accumulate(f16, 64) : ...
    ```
  }];
  let arguments = (ins FP4_QTensorType:$lhs, FP4_QTensorType:$rhs,
                       UnitAttr:$transpose_a, UnitAttr:$transpose_b,
                       DefaultValuedAttr<FP4_Accumulation,
                           "::mlir::fp4::Accumulation::f32">:$accumulation,
                       OptionalAttr<I64Attr>:$chunk);
  let results = (outs FP4_F32Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`accumulate` `(` $accumulation^ (`,` $chunk^)? `)`)?
    attr-dict `:` qualified(type($lhs)) `,` qualified(type($rhs)) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

#endif // FP4_DIALECT_FP4_IR_FP4OPS_TD
