//===- ImporterImpl.h - Internals of the ONNX importer ----------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// The graph importer walks the nodes of a checked, shape-inferred ONNX graph
// in order. Every ONNX value name maps to a `ValueEntry`: an f32 tensor of
// `@forward`, a host tensor known at import time (initializers of integer
// type, Constant nodes, shape computations), or both (a float graph input
// whose value fp4-run knows). Each operator is a row of the operator table
// (Operators.cpp): its type, the ONNX versions (since_version of the schema)
// it implements, a handler that emits MLIR, and optionally a folder that
// computes the node on the host when all of its inputs are known.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_LIB_TARGET_ONNX_IMPORTERIMPL_H
#define FP4_LIB_TARGET_ONNX_IMPORTERIMPL_H

#include "fp4/Target/ONNX/ONNXImporter.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/Twine.h"

#include <onnx/onnx_pb.h>

#include <optional>
#include <string>
#include <vector>

namespace fp4::onnx_import {

/// A tensor whose value is known at import time.
struct HostTensor {
  /// An `onnx::TensorProto_DataType`.
  int32_t elemType = onnx::TensorProto_DataType_INT64;
  llvm::SmallVector<int64_t, 4> shape;
  /// Values of integer and boolean tensors.
  std::vector<int64_t> ints;
  /// Values of floating-point tensors.
  std::vector<double> floats;

  bool isFloat() const;
  int64_t getNumElements() const;
  /// Element `i` as a double / an integer, whatever the element type.
  double getDouble(int64_t i) const;
  int64_t getInt(int64_t i) const;

  static HostTensor
  makeInts(llvm::ArrayRef<int64_t> shape, std::vector<int64_t> values,
           int32_t elemType = onnx::TensorProto_DataType_INT64);
  static HostTensor
  makeFloats(llvm::ArrayRef<int64_t> shape, std::vector<double> values,
             int32_t elemType = onnx::TensorProto_DataType_FLOAT);
};

/// Decodes a TensorProto (typed fields or raw_data, little-endian). Returns
/// std::nullopt and sets `error` for unsupported element types, external
/// data, or a size that does not match the dimensions.
std::optional<HostTensor> decodeTensor(const onnx::TensorProto &tensor,
                                       std::string &error);

/// Decodes a FLOAT TensorProto into f32 values (the weights).
std::optional<ONNXHostTensor> decodeFloatTensor(const onnx::TensorProto &tensor,
                                                std::string &error);

/// The largest tensor fp4 imports (elements), and the largest value it
/// computes on the host while folding.
inline constexpr int64_t kMaxElements = int64_t(1) << 31;
inline constexpr int64_t kMaxFoldedElements = int64_t(1) << 24;

/// The number of elements of `shape`, saturated at INT64_MAX; negative
/// dimensions count as huge.
int64_t countElements(llvm::ArrayRef<int64_t> shape);

/// "FLOAT", "INT64", ... for an `onnx::TensorProto_DataType`.
std::string getElementTypeName(int32_t elemType);

/// "[2, 3, 4]".
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// What an ONNX value name refers to during the import.
struct ValueEntry {
  /// The f32 tensor in `@forward`, if any.
  mlir::Value tensor;
  /// The value, when it is known at import time.
  std::optional<HostTensor> host;
  /// Why the value has neither (an output fp4 does not produce).
  std::string unavailable;
};

class GraphImporter;

/// The view of one node that operator handlers work with.
class NodeImporter {
public:
  NodeImporter(GraphImporter &graph, const onnx::NodeProto &node,
               std::string name, int opset, int version, mlir::Location loc);

  const onnx::NodeProto &getNode() const { return node; }
  llvm::StringRef getName() const { return name; }
  llvm::StringRef getOpType() const { return node.op_type(); }
  /// The opset version of the node's domain that the model imports.
  int getOpset() const { return opset; }
  /// The since_version of the operator schema the node resolves to.
  int getVersion() const { return version; }
  mlir::Location getLoc() const { return loc; }
  mlir::OpBuilder &getBuilder();
  mlir::MLIRContext *getContext();

  /// Records "node 'N' (Op, opset V): MESSAGE" as the import error.
  mlir::LogicalResult error(const llvm::Twine &message);

  // Inputs.
  unsigned getNumInputs() const { return node.input_size(); }
  /// Whether input `i` is given (present and not the empty name).
  bool hasInput(unsigned i) const;
  llvm::StringRef getInputName(unsigned i) const { return node.input(i); }
  /// The entry of input `i` (which must be given).
  const ValueEntry &getEntry(unsigned i) const;
  /// Whether input `i` is given and known at import time.
  bool isKnown(unsigned i) const;
  /// The known value of input `i`, or nullptr.
  const HostTensor *getKnown(unsigned i) const;
  /// The known value of input `i`; an error naming `what` when the input is
  /// not known at import time.
  mlir::FailureOr<const HostTensor *> getConstant(unsigned i,
                                                  llvm::StringRef what);
  /// Input `i` as an f32 tensor of `@forward` (a known float value becomes
  /// an `arith.constant`); an error for other element types.
  mlir::FailureOr<mlir::Value> getTensor(unsigned i);
  /// The static shape of input `i` (a tensor or a known value).
  llvm::SmallVector<int64_t, 4> getShape(unsigned i) const;

  // Attributes.
  const onnx::AttributeProto *getAttr(llvm::StringRef name) const;
  int64_t getInt(llvm::StringRef name, int64_t defaultValue) const;
  float getFloat(llvm::StringRef name, float defaultValue) const;
  std::string getString(llvm::StringRef name,
                        llvm::StringRef defaultValue) const;
  /// The ints of attribute `name`, or std::nullopt when absent.
  std::optional<llvm::SmallVector<int64_t, 4>>
  getInts(llvm::StringRef name) const;

  // Outputs.
  unsigned getNumOutputs() const { return node.output_size(); }
  bool hasOutput(unsigned i) const;
  void setTensor(unsigned i, mlir::Value value);
  void setHost(unsigned i, HostTensor value);
  /// Marks output `i` as one fp4 does not produce; using it is an error.
  void setUnavailable(unsigned i, const llvm::Twine &reason);
  /// Forwards input `in` to output `out` (Identity, Dropout).
  void forward(unsigned in, unsigned out);

  /// Lets the shape check after the node skip outputs that ONNX 1.12 infers
  /// differently on purpose (pooling with ceil_mode, see docs/onnx.md).
  bool skipShapeCheck = false;

  GraphImporter &graph;

private:
  const onnx::NodeProto &node;
  std::string name;
  int opset;
  int version;
  mlir::Location loc;
};

using OpHandler = mlir::LogicalResult (*)(NodeImporter &);

/// One row of the operator table.
struct OpDescriptor {
  llvm::StringLiteral opType;
  /// The since_versions of the schemas this row implements.
  std::vector<int> versions;
  /// Emits MLIR for the node; nullptr for operators fp4 only folds.
  OpHandler handler = nullptr;
  /// Computes the node on the host; used when every given input is known.
  /// nullptr when the operator is never folded.
  OpHandler folder = nullptr;
};

/// The operator table (Operators.cpp).
llvm::ArrayRef<OpDescriptor> getOperatorTable();
const OpDescriptor *lookupOperator(llvm::StringRef opType);

/// Builds a module with `@forward` from a checked, shape-inferred graph.
class GraphImporter {
public:
  GraphImporter(mlir::MLIRContext &context, const onnx::ModelProto &model,
                llvm::StringRef fileName, const ONNXImportOptions &options);

  /// Runs the import. On failure, `getError()` says why.
  mlir::FailureOr<ONNXImportResult> run();

  const std::string &getError() const { return errorMessage; }
  void setError(const llvm::Twine &message) {
    if (errorMessage.empty())
      errorMessage = message.str();
  }

  mlir::OpBuilder &getBuilder() { return builder; }
  mlir::MLIRContext &getContext() { return context; }
  BatchNormMode getBNMode() const { return options.bnMode; }

  /// The entry of value `name` (nullptr if there is none).
  ValueEntry *lookup(llvm::StringRef name);
  ValueEntry &define(llvm::StringRef name);

  /// The `@forward` argument index of `value`, if it is an argument.
  std::optional<unsigned> getArgumentIndex(mlir::Value value) const;

  /// Records the updated value of a running statistic (BatchNormalization
  /// in training mode); `argument` is the statistic's argument.
  mlir::LogicalResult addStateUpdate(NodeImporter &node, unsigned argument,
                                     mlir::Value updated);

  /// The shape ONNX shape inference gives value `name`, if fully static.
  std::optional<llvm::SmallVector<int64_t, 4>>
  getInferredShape(llvm::StringRef name) const;

private:
  mlir::LogicalResult collectTypes();
  mlir::LogicalResult createFunction();
  mlir::LogicalResult importNode(const onnx::NodeProto &node, unsigned index);
  mlir::LogicalResult createReturn();
  mlir::LogicalResult checkOutputShapes(NodeImporter &node);

  mlir::MLIRContext &context;
  const onnx::ModelProto &model;
  std::string fileName;
  const ONNXImportOptions &options;
  mlir::OpBuilder builder;
  std::string errorMessage;

  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::Block *body = nullptr;
  llvm::StringMap<ValueEntry> values;
  llvm::StringMap<int> opsets;
  llvm::StringMap<const onnx::TypeProto *> inferredTypes;
  llvm::StringMap<ONNXHostTensor> weights;

  struct StateUpdate {
    unsigned argument;
    mlir::Value value;
  };
  std::vector<StateUpdate> stateUpdates;
  llvm::SmallVector<std::string> argumentNames;
  llvm::SmallVector<std::string> argumentRoles;
};

//===----------------------------------------------------------------------===//
// IR building helpers (Builders.cpp)
//===----------------------------------------------------------------------===//

using BodyBuilder = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

mlir::RankedTensorType getF32TensorType(mlir::MLIRContext *ctx,
                                        llvm::ArrayRef<int64_t> shape);
llvm::ArrayRef<int64_t> getShapeOf(mlir::Value tensor);

/// `arith.constant` of an f32 scalar.
mlir::Value createF32Constant(mlir::OpBuilder &b, mlir::Location loc,
                              double value);

/// `tensor.empty` of an f32 tensor.
mlir::Value createEmpty(mlir::OpBuilder &b, mlir::Location loc,
                        llvm::ArrayRef<int64_t> shape);

/// `linalg.fill` of a `tensor.empty` with `value`.
mlir::Value createFilled(mlir::OpBuilder &b, mlir::Location loc,
                         llvm::ArrayRef<int64_t> shape, double value);

/// Multidirectional (NumPy) broadcasting of two shapes; std::nullopt when
/// they are incompatible.
std::optional<llvm::SmallVector<int64_t, 4>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

/// An elementwise `linalg.generic` over `outShape`: every input is
/// broadcast to `outShape` (NumPy rules, right-aligned); broadcast unit
/// dimensions are first dropped with `tensor.collapse_shape` so every input
/// map is a projected permutation. `body` gets one scalar per input.
mlir::Value createElementwise(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::ValueRange inputs,
                              llvm::ArrayRef<int64_t> outShape,
                              BodyBuilder body);

/// An elementwise `linalg.generic` whose input `i` is indexed by the output
/// dimensions `inputDims[i]` (in order): a projected permutation without
/// broadcasting unit dimensions.
mlir::Value createElementwiseWithDims(
    mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange inputs,
    llvm::ArrayRef<llvm::SmallVector<int64_t, 4>> inputDims,
    llvm::ArrayRef<int64_t> outShape, BodyBuilder body);

/// `linalg.reduce` of `input` over `dims` with `arith.addf` (isMax false) or
/// `arith.maximumf` (isMax true), from 0 or -inf.
mlir::Value createReduce(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value input, llvm::ArrayRef<int64_t> dims,
                         bool isMax);

/// A reshape to `shape` with the same number of elements:
/// `tensor.collapse_shape` / `tensor.expand_shape` when one of them fits,
/// else a collapse to 1-D followed by an expand.
mlir::Value createReshape(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value input, llvm::ArrayRef<int64_t> shape);

/// `tensor.pad` with a constant value; `low`/`high` per dimension.
mlir::Value createPad(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                      llvm::ArrayRef<int64_t> low, llvm::ArrayRef<int64_t> high,
                      double padValue);

/// `linalg.transpose` with `perm` (result dim i = input dim perm[i]).
mlir::Value createTranspose(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value input, llvm::ArrayRef<int64_t> perm);

/// `arith.constant` of a dense f32 tensor (asFloat), or of an i32 (INT32)
/// or i64 (other integer types) tensor.
mlir::Value createDenseConstant(mlir::OpBuilder &b, mlir::Location loc,
                                const HostTensor &value, bool asFloat);

} // namespace fp4::onnx_import

#endif // FP4_LIB_TARGET_ONNX_IMPORTERIMPL_H
