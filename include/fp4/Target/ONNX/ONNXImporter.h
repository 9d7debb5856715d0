//===- ONNXImporter.h - Import ONNX models as @forward ----------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// Imports an ONNX model (a `ModelProto` file) into a module holding one
// function, `@forward`, in the form docs/ir-contract.md defines: upstream
// tensor-level ops (linalg named ops, elementwise `linalg.generic`s, tensor,
// arith, math) over statically shaped f32 tensors, whose arguments are the
// graph inputs followed by the float initializers.
//
// The model is parsed with Debian's libonnx (protobuf), checked with
// `onnx::checker::check_model`, and its shapes are inferred with
// `onnx::shape_inference::InferShapes` once the graph inputs have static
// shapes. Every error is one line:
//
//   model.onnx: node 'Conv_3' (Conv, opset 13): group 3 does not divide ...
//
// Supported operators, versions and attributes: docs/onnx.md.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_TARGET_ONNX_ONNXIMPORTER_H
#define FP4_TARGET_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace fp4 {

/// A host tensor exchanged with the importer: a known graph-input value
/// (fp4-run) or a float initializer (the weights of `@forward`).
struct ONNXHostTensor {
  llvm::SmallVector<int64_t, 4> shape;
  /// True: the values are `floats` (an f32 tensor); false: `ints` (any
  /// integer or boolean element type).
  bool isFloat = true;
  std::vector<float> floats;
  std::vector<int64_t> ints;

  int64_t getNumElements() const;
};

/// Semantics of BatchNormalization in `@forward` (`fp4.bn_mode`).
enum class BatchNormMode {
  /// Running statistics normalize; nothing is updated.
  Inference,
  /// Batch statistics normalize; the updated running statistics are extra
  /// results (`fp4.role = "running_mean_update"` / `"running_var_update"`).
  Train,
};

/// Options of `ONNXModel::import`.
struct ONNXImportOptions {
  /// Replaces a symbolic first dimension of every graph input.
  std::optional<int64_t> batch;
  /// BatchNormalization semantics, whatever the nodes' `training_mode` says.
  BatchNormMode bnMode = BatchNormMode::Inference;
  /// Static shapes of graph inputs, by name: they replace the symbolic
  /// dimensions (the static ones must agree). Used by fp4-run, which knows
  /// the shapes of the arrays it is given.
  llvm::StringMap<llvm::SmallVector<int64_t, 4>> inputShapes;
  /// Known values of graph inputs, by name. A non-float input with a known
  /// value is a constant instead of an argument; a float input stays an
  /// argument, and its value is used where an operator needs a constant
  /// (e.g. the value of `Pad`). Used by fp4-run.
  llvm::StringMap<ONNXHostTensor> inputValues;
  /// Whether `ONNXImportResult::weights` is filled.
  bool collectWeights = false;
};

/// What `ONNXModel::import` produces.
struct ONNXImportResult {
  /// A module with `func.func @forward` (docs/ir-contract.md).
  mlir::OwningOpRef<mlir::ModuleOp> module;
  /// The float initializers by ONNX name (only with `collectWeights`).
  llvm::StringMap<ONNXHostTensor> weights;
};

/// One graph input of a model (an initializer listed as an input, as IR
/// version 3 models do, is not one).
struct ONNXGraphInput {
  std::string name;
  /// The ONNX element type name ("FLOAT", "INT64", ...).
  std::string elementType;
  /// True for FLOAT.
  bool isFloat = false;
  /// The declared dimensions; -1 for a symbolic or missing one.
  llvm::SmallVector<int64_t, 4> dims;
  /// Whether the type has a shape at all.
  bool hasShape = false;
};

/// A parsed and checked ONNX model.
class ONNXModel {
public:
  /// Reads, parses and checks (`onnx::checker`) the model at `path`. The
  /// error is one line starting with `path`.
  static llvm::Expected<std::unique_ptr<ONNXModel>> load(llvm::StringRef path);

  /// Same, from the bytes of a model; `name` starts the error messages and is
  /// the file name of the locations.
  static llvm::Expected<std::unique_ptr<ONNXModel>> parse(llvm::StringRef bytes,
                                                          llvm::StringRef name);

  ~ONNXModel();

  /// The graph inputs that are not initializers, in graph order.
  llvm::ArrayRef<ONNXGraphInput> getInputs() const;

  /// The version of the default ONNX domain the model imports.
  int64_t getOpsetVersion() const;

  /// Imports the model as `@forward` into a new module in `context` (which
  /// gets the dialects it needs loaded). Call it once per `ONNXModel`: it
  /// fixes the shapes of the model's inputs and runs shape inference on it.
  llvm::Expected<ONNXImportResult> import(mlir::MLIRContext &context,
                                          const ONNXImportOptions &options);

  class Impl;

private:
  explicit ONNXModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

/// Adds the dialects `@forward` uses (func, arith, math, tensor, linalg).
void registerONNXImportDialects(mlir::DialectRegistry &registry);

/// Names of the attributes of `@forward` (docs/ir-contract.md).
namespace onnx_attrs {
inline constexpr llvm::StringLiteral kName = "fp4.onnx_name";
inline constexpr llvm::StringLiteral kRole = "fp4.role";
inline constexpr llvm::StringLiteral kStateOf = "fp4.state_of";
inline constexpr llvm::StringLiteral kOpset = "fp4.onnx_opset";
inline constexpr llvm::StringLiteral kBNMode = "fp4.bn_mode";
} // namespace onnx_attrs

} // namespace fp4

#endif // FP4_TARGET_ONNX_ONNXIMPORTER_H
