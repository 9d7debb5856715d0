//===- Recipe.h - Low-precision training recipes ----------------*- C++ -*-===//
//
// Part of the fp4 project.
//
// A recipe says, per layer, in which format each operand of the layer's
// three GEMMs is quantized: the weight W and the activation X of the forward
// GEMM, the output gradient dY feeding the activation-gradient GEMM
// (dX = dY W^T) and the one feeding the weight-gradient GEMM (dW = X^T dY).
// Built-in recipes are listed in docs/recipes.md; a JSON file takes a base
// recipe plus overrides.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_TRANSFORMS_RECIPE_H
#define FP4_TRANSFORMS_RECIPE_H

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace fp4 {

/// The quantization of one layer. A format string is a SPEC-numerics
/// format name (`int4`, `uint4`, `radix4_even`, `radix4_odd`, `radix2_fp4`,
/// `e2m1`, `e4m3`, `e5m2`, `f16`, `bf16`) or `f32` (not quantized).
struct LayerRecipe {
  /// Weights: `int4` uses the SAWB scale, other formats a max-based scale.
  std::string weight = "f32";
  /// Activations: `pact` = `uint4` with a trainable per-layer PACT clip when
  /// the activation is provably non-negative, else `int4` with a max-based
  /// scale; or a format (max-based scale).
  std::string activation = "f32";
  /// Output gradient of the activation-gradient GEMM (dX = dY W^T).
  std::string gradDX = "f32";
  /// Output gradient of the weight-gradient GEMM (dW = X^T dY).
  std::string gradDW = "f32";
  /// The activation operand of the weight-gradient GEMM: `same` reuses the
  /// forward GEMM's quantized activation, a format re-quantizes X.
  std::string activationDW = "same";
  /// GradScale of the output gradient: `per-layer` (SPEC 4.1, delayed),
  /// `current`, or `fixed` (one global power of two, `fixedScale`).
  std::string gradScale = "per-layer";
  double fixedScale = 1024.0;
  /// Accumulation of the low-precision GEMMs: `f32` or `f16` with `chunk`.
  std::string accumulation = "f32";
  int64_t chunk = 64;
  /// Rounding of the gradient quantizers: `nearest` or `stochastic`.
  std::string rounding = "nearest";

  bool quantizesForward() const { return weight != "f32" || activation != "f32"; }
  bool quantizesBackward() const { return gradDX != "f32" || gradDW != "f32"; }
};

struct Recipe {
  std::string name;
  /// The default of every layer.
  LayerRecipe layers;
  /// The first and the last GEMM layer: `f32` (unchanged), `fp8` (weights
  /// and activations e4m3, gradients e5m2) or `same` (like the others).
  std::string firstLast = "f32";
  /// Per-layer overrides by layer name (ONNX node name).
  llvm::StringMap<LayerRecipe> overrides;

  /// The recipe of layer `index` of `count`, named `name`.
  LayerRecipe forLayer(llvm::StringRef name, unsigned index,
                       unsigned count) const;
};

/// The built-in recipes: fp32, ibm-fp4, ibm-fp4-dw8, int4-fwd,
/// fp4-single-phase, radix2-fp4, no-gradscale.
llvm::Expected<Recipe> getBuiltinRecipe(llvm::StringRef name);
std::vector<std::string> getBuiltinRecipeNames();

/// Parses a JSON recipe file (docs/recipes.md). Errors name the file and the
/// offending key.
llvm::Expected<Recipe> parseRecipeFile(llvm::StringRef path);
llvm::Expected<Recipe> parseRecipeJSON(llvm::StringRef text,
                                       llvm::StringRef fileName);

} // namespace fp4

#endif // FP4_TRANSFORMS_RECIPE_H
