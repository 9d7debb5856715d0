//===- Recipe.cpp - Built-in recipes and JSON recipe files ----------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "fp4/Transforms/Recipe.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace llvm;

namespace {

Error recipeError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

bool isFormat(StringRef s) {
  return StringSwitch<bool>(s)
      .Cases({"f32", "int4", "uint4", "radix4_even", "radix4_odd",
              "radix2_fp4", "e2m1"},
             true)
      .Cases({"e4m3", "e5m2", "f16", "bf16"}, true)
      .Default(false);
}

bool isGradientFormat(StringRef s) {
  return StringSwitch<bool>(s)
      .Cases({"f32", "radix4_even", "radix4_odd", "radix2_fp4", "e2m1", "e4m3",
              "e5m2"},
             true)
      .Default(false);
}

fp4::LayerRecipe ibmFP4() {
  fp4::LayerRecipe r;
  r.weight = "int4";
  r.activation = "pact";
  r.gradDX = "radix4_even";
  r.gradDW = "radix4_odd";
  return r;
}

} // namespace

fp4::LayerRecipe fp4::Recipe::forLayer(StringRef layerName, unsigned index,
                                       unsigned count) const {
  auto it = overrides.find(layerName);
  if (it != overrides.end())
    return it->second;
  bool edge = index == 0 || index + 1 == count;
  if (!edge || firstLast == "same")
    return layers;
  LayerRecipe r;
  if (firstLast == "fp8") {
    r = layers;
    r.weight = r.activation = "e4m3";
    r.gradDX = r.gradDW = "e5m2";
    r.activationDW = "same";
  }
  return r; // f32: everything unchanged
}

std::vector<std::string> fp4::getBuiltinRecipeNames() {
  return {"fp32",      "ibm-fp4",          "ibm-fp4-dw8", "int4-fwd",
          "fp4-single-phase", "radix2-fp4", "no-gradscale"};
}

Expected<fp4::Recipe> fp4::getBuiltinRecipe(StringRef name) {
  Recipe r;
  r.name = name.str();
  if (name == "fp32")
    return r;
  r.layers = ibmFP4();
  if (name == "ibm-fp4")
    return r;
  if (name == "ibm-fp4-dw8") {
    r.layers.gradDW = "e5m2";
    r.layers.activationDW = "e4m3";
    return r;
  }
  if (name == "int4-fwd") {
    r.layers.gradDX = r.layers.gradDW = "f32";
    return r;
  }
  if (name == "fp4-single-phase") {
    r.layers.gradDW = "radix4_even";
    return r;
  }
  if (name == "radix2-fp4") {
    r.layers.gradDX = r.layers.gradDW = "radix2_fp4";
    return r;
  }
  if (name == "no-gradscale") {
    r.layers.gradScale = "fixed";
    return r;
  }
  std::string known;
  for (const std::string &n : getBuiltinRecipeNames())
    known += (known.empty() ? "" : ", ") + n;
  return recipeError("unknown recipe '" + name + "' (built-in recipes: " +
                     known + "; or a JSON recipe file)");
}

/// Applies the keys of `obj` to `layer`; `where` names the object in errors.
static Error applyLayerKeys(const json::Object &obj, fp4::LayerRecipe &layer,
                            const Twine &where,
                            const StringSet<> &extraKeys = {}) {
  for (const auto &kv : obj) {
    StringRef key = kv.first;
    if (extraKeys.contains(key))
      continue;
    auto str = [&](std::string &slot,
                   function_ref<bool(StringRef)> valid,
                   StringRef expected) -> Error {
      std::optional<StringRef> v = kv.second.getAsString();
      if (!v || !valid(*v))
        return recipeError(where + ": \"" + key + "\" must be " + expected);
      slot = v->str();
      return Error::success();
    };
    Error err = Error::success();
    if (key == "weight")
      err = str(layer.weight, isFormat, "a format name or \"f32\"");
    else if (key == "activation")
      err = str(layer.activation,
                [](StringRef s) { return s == "pact" || isFormat(s); },
                "\"pact\", a format name or \"f32\"");
    else if (key == "grad_dx")
      err = str(layer.gradDX, isGradientFormat,
                "a gradient format (radix4_even, radix4_odd, radix2_fp4, "
                "e2m1, e4m3, e5m2) or \"f32\"");
    else if (key == "grad_dw")
      err = str(layer.gradDW, isGradientFormat,
                "a gradient format (radix4_even, radix4_odd, radix2_fp4, "
                "e2m1, e4m3, e5m2) or \"f32\"");
    else if (key == "activation_dw")
      err = str(layer.activationDW,
                [](StringRef s) { return s == "same" || isFormat(s); },
                "\"same\" or a format name");
    else if (key == "gradscale")
      err = str(layer.gradScale,
                [](StringRef s) {
                  return s == "per-layer" || s == "current" || s == "fixed";
                },
                "\"per-layer\", \"current\" or \"fixed\"");
    else if (key == "accumulation")
      err = str(layer.accumulation,
                [](StringRef s) { return s == "f32" || s == "f16"; },
                "\"f32\" or \"f16\"");
    else if (key == "rounding")
      err = str(layer.rounding,
                [](StringRef s) {
                  return s == "nearest" || s == "stochastic";
                },
                "\"nearest\" or \"stochastic\"");
    else if (key == "chunk") {
      std::optional<int64_t> v = kv.second.getAsInteger();
      if (!v || *v < 1)
        return recipeError(where + ": \"chunk\" must be a positive integer");
      layer.chunk = *v;
    } else if (key == "fixed_scale") {
      std::optional<double> v = kv.second.getAsNumber();
      int exp = 0;
      if (!v || !(*v > 0) || std::frexp(*v, &exp) != 0.5)
        return recipeError(where +
                           ": \"fixed_scale\" must be a positive power of two");
      layer.fixedScale = *v;
    } else {
      return recipeError(where + ": unknown key \"" + key +
                         "\" (known: weight, activation, grad_dx, grad_dw, "
                         "activation_dw, gradscale, fixed_scale, "
                         "accumulation, chunk, rounding)");
    }
    if (err)
      return err;
  }
  return Error::success();
}

Expected<fp4::Recipe> fp4::parseRecipeJSON(StringRef text, StringRef file) {
  Expected<json::Value> parsed = json::parse(text);
  if (!parsed)
    return recipeError(file + ": invalid JSON: " +
                       toString(parsed.takeError()));
  const json::Object *root = parsed->getAsObject();
  if (!root)
    return recipeError(file + ": a recipe file holds a JSON object");
  std::string base = "fp32";
  if (const json::Value *b = root->get("base")) {
    std::optional<StringRef> s = b->getAsString();
    if (!s)
      return recipeError(file + ": \"base\" must be a recipe name");
    base = s->str();
  }
  Expected<Recipe> recipe = getBuiltinRecipe(base);
  if (!recipe)
    return recipeError(file + ": " + toString(recipe.takeError()));
  recipe->name = (file + " (base " + base + ")").str();
  StringSet<> topKeys = {"base", "first_last", "layers"};
  if (Error err = applyLayerKeys(*root, recipe->layers, file, topKeys))
    return std::move(err);
  if (const json::Value *fl = root->get("first_last")) {
    std::optional<StringRef> s = fl->getAsString();
    if (!s || (*s != "f32" && *s != "fp8" && *s != "same"))
      return recipeError(file +
                         ": \"first_last\" must be \"f32\", \"fp8\" or \"same\"");
    recipe->firstLast = s->str();
  }
  if (const json::Value *layers = root->get("layers")) {
    const json::Object *obj = layers->getAsObject();
    if (!obj)
      return recipeError(file + ": \"layers\" must map layer names to objects");
    for (const auto &kv : *obj) {
      const json::Object *layerObj = kv.second.getAsObject();
      if (!layerObj)
        return recipeError(file + ": layers." + kv.first.str() +
                           " must be an object");
      LayerRecipe layer = recipe->layers;
      if (Error err = applyLayerKeys(*layerObj, layer,
                                     file + ": layers." + kv.first.str()))
        return std::move(err);
      recipe->overrides[kv.first.str()] = layer;
    }
  }
  return recipe;
}

Expected<fp4::Recipe> fp4::parseRecipeFile(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return recipeError(path + ": cannot read the recipe file: " +
                       buffer.getError().message());
  return parseRecipeJSON((*buffer)->getBuffer(), path);
}
