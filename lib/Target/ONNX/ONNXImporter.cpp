//===- ONNXImporter.cpp - Import ONNX models as @forward ------------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// Loading (protobuf parse, onnx::checker, static input shapes, onnx shape
// inference) and the graph walk that builds `@forward`. The operators are in
// Operators.cpp, the IR building helpers in Builders.cpp.
//
// This library is compiled with exceptions: libonnx reports checker and
// shape-inference failures by throwing, and every call into it is wrapped.
//
//===----------------------------------------------------------------------===//

#include "fp4/Target/ONNX/ONNXImporter.h"

#include "ImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <exception>

using namespace mlir;
using namespace fp4;
using namespace fp4::onnx_import;
using llvm::StringRef;
using llvm::Twine;

/// Makes a one-line error; bytes that are not printable ASCII (names in a
/// corrupted file, line breaks) are escaped as \xNN.
static llvm::Error makeError(const Twine &message) {
  std::string text;
  for (unsigned char c : message.str()) {
    if (c >= 0x20 && c < 0x7f) {
      text += static_cast<char>(c);
      continue;
    }
    static const char digits[] = "0123456789abcdef";
    text += "\\x";
    text += digits[c >> 4];
    text += digits[c & 15];
  }
  return llvm::createStringError(llvm::inconvertibleErrorCode(), text);
}

/// Turns a (possibly multi-line) libonnx message into one line.
static std::string oneLine(StringRef message) {
  SmallVector<StringRef> lines;
  message.split(lines, '\n', -1, /*KeepEmpty=*/false);
  std::string result;
  for (StringRef line : lines) {
    line = line.trim();
    if (line.empty())
      continue;
    if (!result.empty())
      result += " ";
    result += line.str();
  }
  return result;
}

static bool isDefaultDomain(StringRef domain) {
  return domain.empty() || domain == "ai.onnx";
}

//===----------------------------------------------------------------------===//
// ONNXHostTensor
//===----------------------------------------------------------------------===//

int64_t ONNXHostTensor::getNumElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

//===----------------------------------------------------------------------===//
// ONNXModel
//===----------------------------------------------------------------------===//

class ONNXModel::Impl {
public:
  onnx::ModelProto model;
  std::string name;
  SmallVector<ONNXGraphInput> inputs;
  int64_t opset = 0;
  bool imported = false;
};

ONNXModel::ONNXModel(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
ONNXModel::~ONNXModel() = default;

ArrayRef<ONNXGraphInput> ONNXModel::getInputs() const { return impl->inputs; }
int64_t ONNXModel::getOpsetVersion() const { return impl->opset; }

llvm::Expected<std::unique_ptr<ONNXModel>> ONNXModel::load(StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!file)
    return makeError(path +
                     ": cannot read the file: " + file.getError().message());
  return parse((*file)->getBuffer(), path);
}

llvm::Expected<std::unique_ptr<ONNXModel>> ONNXModel::parse(StringRef bytes,
                                                            StringRef name) {
  auto impl = std::make_unique<Impl>();
  impl->name = name.str();
  if (bytes.empty())
    return makeError(name + ": not an ONNX model: the file is empty");
  if (bytes.size() > static_cast<size_t>(INT32_MAX))
    return makeError(name + ": the file is larger than 2 GiB, which "
                            "protobuf cannot parse");
  if (!impl->model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return makeError(name + ": not an ONNX model: the protobuf data is "
                            "truncated or corrupted");
  if (!impl->model.has_graph() || impl->model.opset_import_size() == 0)
    return makeError(name + ": not an ONNX model: no graph or no opset_import "
                            "(a truncated or corrupted file?)");

  // Initializers in external files are not read (and the checker would look
  // for them relative to the working directory).
  for (const onnx::TensorProto &init : impl->model.graph().initializer())
    if (init.data_location() == onnx::TensorProto_DataLocation_EXTERNAL)
      return makeError(name + ": initializer '" + init.name() +
                       "' is stored as external data, which fp4 does not "
                       "read (save the model with its weights inside)");

  // Operator versions resolve against libonnx's schemas: a newer opset would
  // silently resolve to older semantics.
  for (const onnx::OperatorSetIdProto &id : impl->model.opset_import()) {
    if (!isDefaultDomain(id.domain()))
      continue;
    const auto &ranges =
        onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
    auto range = ranges.find("");
    if (range != ranges.end() && id.version() > range->second.second)
      return makeError(name + ": opset " + Twine(id.version()) +
                       " of the default ONNX domain is newer than the "
                       "installed libonnx knows (up to " +
                       Twine(range->second.second) + ")");
  }

  try {
    onnx::checker::check_model(impl->model);
  } catch (const std::exception &e) {
    return makeError(
        name + ": the ONNX checker rejects the model: " + oneLine(e.what()));
  }

  impl->opset = -1;
  for (const onnx::OperatorSetIdProto &id : impl->model.opset_import())
    if (isDefaultDomain(id.domain()))
      impl->opset = id.version();

  llvm::StringSet<> initializers;
  for (const onnx::TensorProto &init : impl->model.graph().initializer())
    initializers.insert(init.name());
  for (const onnx::ValueInfoProto &input : impl->model.graph().input()) {
    if (initializers.contains(input.name()))
      continue;
    ONNXGraphInput info;
    info.name = input.name();
    if (input.type().has_tensor_type()) {
      const onnx::TypeProto_Tensor &tensor = input.type().tensor_type();
      info.elementType = getElementTypeName(tensor.elem_type());
      info.isFloat = tensor.elem_type() == onnx::TensorProto_DataType_FLOAT;
      info.hasShape = tensor.has_shape();
      for (const onnx::TensorShapeProto_Dimension &dim : tensor.shape().dim())
        info.dims.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
    } else {
      info.elementType = "(not a tensor)";
    }
    impl->inputs.push_back(std::move(info));
  }
  return std::unique_ptr<ONNXModel>(new ONNXModel(std::move(impl)));
}

/// Fixes the symbolic dimensions of one graph input from --batch.
static llvm::Error fixDims(onnx::TypeProto_Tensor &tensor, StringRef prefix,
                           const ONNXImportOptions &options) {
  for (int i = 0, e = tensor.shape().dim_size(); i < e; ++i) {
    onnx::TensorShapeProto_Dimension *dim =
        tensor.mutable_shape()->mutable_dim(i);
    if (dim->has_dim_value()) {
      if (i == 0 && options.batch && dim->dim_value() != *options.batch)
        return makeError(prefix + " has a static batch dimension " +
                         Twine(dim->dim_value()) + "; --batch " +
                         Twine(*options.batch) +
                         " can only fix a symbolic one (export the model "
                         "with a dynamic batch axis)");
      continue;
    }
    std::string symbol = dim->has_dim_param() && !dim->dim_param().empty()
                             ? " ('" + dim->dim_param() + "')"
                             : "";
    if (i == 0 && options.batch) {
      dim->set_dim_value(*options.batch);
      continue;
    }
    if (i == 0)
      return makeError(prefix + " has a dynamic batch dimension" + symbol +
                       "; give its size with --batch N");
    return makeError(prefix + " has a dynamic dimension " + Twine(i) + symbol +
                     "; fp4 needs static shapes and --batch fixes only "
                     "dimension 0");
  }
  return llvm::Error::success();
}

/// Gives every graph input a static shape in the model (from `options`),
/// so that shape inference works on static shapes.
static llvm::Error fixInputShapes(onnx::ModelProto &model, StringRef name,
                                  const ONNXImportOptions &options) {
  llvm::StringSet<> initializers;
  for (const onnx::TensorProto &init : model.graph().initializer())
    initializers.insert(init.name());
  for (onnx::ValueInfoProto &input : *model.mutable_graph()->mutable_input()) {
    if (initializers.contains(input.name()))
      continue;
    std::string prefix = (name + ": graph input '" + input.name() + "'").str();
    if (!input.type().has_tensor_type())
      return makeError(prefix + " is not a tensor; fp4 imports tensor inputs "
                                "only");
    onnx::TypeProto_Tensor *tensor =
        input.mutable_type()->mutable_tensor_type();
    auto override = options.inputShapes.find(input.name());
    if (override != options.inputShapes.end()) {
      const SmallVector<int64_t, 4> &shape = override->second;
      if (tensor->has_shape() &&
          tensor->shape().dim_size() != static_cast<int>(shape.size()))
        return makeError(
            prefix + " has rank " + Twine(tensor->shape().dim_size()) +
            " but the given array has shape " + formatShape(shape));
      if (!tensor->has_shape())
        for (size_t i = 0; i < shape.size(); ++i)
          tensor->mutable_shape()->add_dim();
      for (auto [i, size] : llvm::enumerate(shape)) {
        onnx::TensorShapeProto_Dimension *dim =
            tensor->mutable_shape()->mutable_dim(i);
        if (dim->has_dim_value() && dim->dim_value() != size)
          return makeError(
              prefix + " has shape " +
              formatShape(llvm::map_to_vector(
                  tensor->shape().dim(),
                  [](const onnx::TensorShapeProto_Dimension &d) {
                    return d.has_dim_value() ? d.dim_value() : int64_t(-1);
                  })) +
              " but the given array has shape " + formatShape(shape));
        dim->set_dim_value(size);
      }
    } else {
      if (!tensor->has_shape())
        return makeError(prefix + " has no shape; fp4 needs static shapes");
      if (llvm::Error error = fixDims(*tensor, prefix, options))
        return error;
    }
    SmallVector<int64_t, 4> dims;
    for (const onnx::TensorShapeProto_Dimension &dim : tensor->shape().dim())
      dims.push_back(dim.dim_value());
    if (countElements(dims) > kMaxElements)
      return makeError(prefix + " has shape " + formatShape(dims) +
                       ", more elements than fp4 supports (2^31)");
  }
  return llvm::Error::success();
}

llvm::Expected<ONNXImportResult>
ONNXModel::import(MLIRContext &context, const ONNXImportOptions &options) {
  if (impl->imported)
    return makeError(impl->name + ": internal error: ONNXModel::import "
                                  "called twice");
  impl->imported = true;
  onnx::ModelProto &model = impl->model;
  if (options.batch && *options.batch <= 0)
    return makeError(impl->name + ": --batch must be positive (got " +
                     Twine(*options.batch) + ")");
  if (llvm::Error error = fixInputShapes(model, impl->name, options))
    return std::move(error);

  // libonnx 1.12's shape inference divides by these without checking them
  // (a SIGFPE for strides = 0 or group = 0): check them first.
  for (auto [index, node] : llvm::enumerate(model.graph().node())) {
    if (!isDefaultDomain(node.domain()))
      continue;
    for (const onnx::AttributeProto &attr : node.attribute()) {
      StringRef attrName = attr.name();
      bool positive = attrName == "strides" || attrName == "dilations" ||
                      attrName == "kernel_shape" || attrName == "group";
      if (!positive)
        continue;
      bool ok = attrName == "group" ? attr.i() >= 1 : true;
      for (int64_t v : attr.ints())
        ok &= v >= 1;
      if (!ok)
        return makeError(
            impl->name + ": node '" +
            (node.name().empty() ? node.op_type() + "_" + std::to_string(index)
                                 : node.name()) +
            "' (" + node.op_type() + ", opset " + Twine(impl->opset) +
            "): attribute '" + attrName + "' must be positive");
    }
  }

  // Value infos are hints that may carry other (symbolic) sizes; shape
  // inference recomputes them from the now static inputs.
  model.mutable_graph()->clear_value_info();
  try {
    onnx::shape_inference::InferShapes(
        model, onnx::OpSchemaRegistry::Instance(),
        onnx::ShapeInferenceOptions(/*check_type=*/true, /*error_mode=*/1,
                                    /*data_prop=*/true));
  } catch (const std::exception &e) {
    return makeError(impl->name +
                     ": ONNX shape inference fails: " + oneLine(e.what()));
  }

  {
    DialectRegistry registry;
    registerONNXImportDialects(registry);
    context.appendDialectRegistry(registry);
    context
        .loadDialect<func::FuncDialect, arith::ArithDialect, math::MathDialect,
                     tensor::TensorDialect, linalg::LinalgDialect>();
  }

  GraphImporter importer(context, model, impl->name, options);
  FailureOr<ONNXImportResult> result = importer.run();
  if (failed(result))
    return makeError(impl->name + ": " + importer.getError());
  return std::move(*result);
}

void fp4::registerONNXImportDialects(DialectRegistry &registry) {
  registry.insert<func::FuncDialect, arith::ArithDialect, math::MathDialect,
                  tensor::TensorDialect, linalg::LinalgDialect>();
}

//===----------------------------------------------------------------------===//
// NodeImporter
//===----------------------------------------------------------------------===//

NodeImporter::NodeImporter(GraphImporter &graph, const onnx::NodeProto &node,
                           std::string name, int opset, int version,
                           Location loc)
    : graph(graph), node(node), name(std::move(name)), opset(opset),
      version(version), loc(loc) {}

OpBuilder &NodeImporter::getBuilder() { return graph.getBuilder(); }
MLIRContext *NodeImporter::getContext() { return &graph.getContext(); }

LogicalResult NodeImporter::error(const Twine &message) {
  graph.setError("node '" + name + "' (" + node.op_type() + ", opset " +
                 Twine(opset) + "): " + message);
  return failure();
}

bool NodeImporter::hasInput(unsigned i) const {
  return i < static_cast<unsigned>(node.input_size()) && !node.input(i).empty();
}

const ValueEntry &NodeImporter::getEntry(unsigned i) const {
  ValueEntry *entry = graph.lookup(node.input(i));
  assert(entry && "inputs are checked before the handler runs");
  return *entry;
}

bool NodeImporter::isKnown(unsigned i) const {
  return hasInput(i) && getEntry(i).host.has_value();
}

const HostTensor *NodeImporter::getKnown(unsigned i) const {
  if (!hasInput(i))
    return nullptr;
  const ValueEntry &entry = getEntry(i);
  return entry.host ? &*entry.host : nullptr;
}

FailureOr<const HostTensor *> NodeImporter::getConstant(unsigned i,
                                                        StringRef what) {
  if (const HostTensor *known = getKnown(i))
    return known;
  return error("the " + what + " (input " + Twine(i) + ", '" + node.input(i) +
               "') must be known at import time (an initializer of an "
               "integer type, a Constant, or computed from shapes)");
}

FailureOr<Value> NodeImporter::getTensor(unsigned i) {
  if (!hasInput(i))
    return error("input " + Twine(i) + " is missing");
  const ValueEntry &entry = getEntry(i);
  if (entry.tensor)
    return entry.tensor;
  assert(entry.host && "available entries have a tensor or a value");
  if (entry.host->elemType != onnx::TensorProto_DataType_FLOAT)
    return error("input '" + node.input(i) + "' has element type " +
                 getElementTypeName(entry.host->elemType) +
                 "; fp4 computes on FLOAT tensors only (other types only in "
                 "shape computations)");
  OpBuilder &b = getBuilder();
  Value constant = createDenseConstant(b, loc, *entry.host, /*asFloat=*/true);
  // Materialize each known float once.
  graph.lookup(node.input(i))->tensor = constant;
  return constant;
}

SmallVector<int64_t, 4> NodeImporter::getShape(unsigned i) const {
  const ValueEntry &entry = getEntry(i);
  if (entry.tensor)
    return SmallVector<int64_t, 4>(getShapeOf(entry.tensor));
  return entry.host->shape;
}

const onnx::AttributeProto *NodeImporter::getAttr(StringRef attrName) const {
  for (const onnx::AttributeProto &attr : node.attribute())
    if (attr.name() == attrName)
      return &attr;
  return nullptr;
}

int64_t NodeImporter::getInt(StringRef attrName, int64_t defaultValue) const {
  const onnx::AttributeProto *attr = getAttr(attrName);
  return attr ? attr->i() : defaultValue;
}

float NodeImporter::getFloat(StringRef attrName, float defaultValue) const {
  const onnx::AttributeProto *attr = getAttr(attrName);
  return attr ? attr->f() : defaultValue;
}

std::string NodeImporter::getString(StringRef attrName,
                                    StringRef defaultValue) const {
  const onnx::AttributeProto *attr = getAttr(attrName);
  return attr ? attr->s() : defaultValue.str();
}

std::optional<SmallVector<int64_t, 4>>
NodeImporter::getInts(StringRef attrName) const {
  const onnx::AttributeProto *attr = getAttr(attrName);
  if (!attr)
    return std::nullopt;
  return SmallVector<int64_t, 4>(attr->ints().begin(), attr->ints().end());
}

bool NodeImporter::hasOutput(unsigned i) const {
  return i < static_cast<unsigned>(node.output_size()) &&
         !node.output(i).empty();
}

void NodeImporter::setTensor(unsigned i, Value value) {
  if (!hasOutput(i))
    return;
  ValueEntry &entry = graph.define(node.output(i));
  entry.tensor = value;
  entry.unavailable.clear();
}

void NodeImporter::setHost(unsigned i, HostTensor value) {
  if (!hasOutput(i))
    return;
  ValueEntry &entry = graph.define(node.output(i));
  entry.host = std::move(value);
  entry.unavailable.clear();
}

void NodeImporter::setUnavailable(unsigned i, const Twine &reason) {
  if (!hasOutput(i))
    return;
  graph.define(node.output(i)).unavailable = reason.str();
}

void NodeImporter::forward(unsigned in, unsigned out) {
  if (!hasOutput(out))
    return;
  ValueEntry copy = getEntry(in);
  graph.define(node.output(out)) = std::move(copy);
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

GraphImporter::GraphImporter(MLIRContext &context,
                             const onnx::ModelProto &model, StringRef fileName,
                             const ONNXImportOptions &options)
    : context(context), model(model), fileName(fileName.str()),
      options(options), builder(&context) {}

ValueEntry *GraphImporter::lookup(StringRef name) {
  auto it = values.find(name);
  return it == values.end() ? nullptr : &it->second;
}

ValueEntry &GraphImporter::define(StringRef name) {
  ValueEntry &entry = values[name];
  entry = ValueEntry();
  return entry;
}

std::optional<unsigned> GraphImporter::getArgumentIndex(Value value) const {
  auto arg = dyn_cast<BlockArgument>(value);
  if (!arg || arg.getOwner() != body)
    return std::nullopt;
  return arg.getArgNumber();
}

LogicalResult GraphImporter::addStateUpdate(NodeImporter &node,
                                            unsigned argument, Value updated) {
  for (const StateUpdate &update : stateUpdates)
    if (update.argument == argument)
      return node.error("the running statistic '" + argumentNames[argument] +
                        "' is updated by two BatchNormalization nodes");
  stateUpdates.push_back({argument, updated});
  return success();
}

std::optional<SmallVector<int64_t, 4>>
GraphImporter::getInferredShape(StringRef name) const {
  auto it = inferredTypes.find(name);
  if (it == inferredTypes.end() || !it->second->has_tensor_type() ||
      !it->second->tensor_type().has_shape())
    return std::nullopt;
  SmallVector<int64_t, 4> shape;
  for (const onnx::TensorShapeProto_Dimension &dim :
       it->second->tensor_type().shape().dim()) {
    if (!dim.has_dim_value())
      return std::nullopt;
    shape.push_back(dim.dim_value());
  }
  return shape;
}

LogicalResult GraphImporter::collectTypes() {
  const onnx::GraphProto &graph = model.graph();
  for (const onnx::ValueInfoProto &info : graph.value_info())
    inferredTypes[info.name()] = &info.type();
  for (const onnx::ValueInfoProto &info : graph.output())
    inferredTypes[info.name()] = &info.type();
  for (const onnx::ValueInfoProto &info : graph.input())
    inferredTypes[info.name()] = &info.type();
  for (const onnx::OperatorSetIdProto &id : model.opset_import())
    opsets[isDefaultDomain(id.domain()) ? "" : id.domain()] = id.version();
  return success();
}

/// Converts `value` (an `ONNXHostTensor` given for a graph input) to a
/// `HostTensor` of the input's element type.
static HostTensor toHostTensor(const ONNXHostTensor &value, int32_t elemType) {
  HostTensor result;
  result.elemType = elemType;
  result.shape = value.shape;
  if (value.isFloat)
    result.floats.assign(value.floats.begin(), value.floats.end());
  else
    result.ints = value.ints;
  // Keep the value in the representation its element type implies.
  if (result.isFloat() && !value.isFloat)
    result.floats.assign(value.ints.begin(), value.ints.end());
  if (!result.isFloat() && value.isFloat) {
    result.ints.clear();
    for (float f : value.floats)
      result.ints.push_back(static_cast<int64_t>(f));
  }
  return result;
}

LogicalResult GraphImporter::createFunction() {
  const onnx::GraphProto &graph = model.graph();
  MLIRContext *ctx = &context;
  Location fileLoc = FileLineColLoc::get(ctx, fileName, 0, 0);

  llvm::StringMap<const onnx::TensorProto *> initializers;
  for (const onnx::TensorProto &init : graph.initializer())
    initializers[init.name()] = &init;

  // The roles of BatchNormalization statistics.
  llvm::StringMap<StringRef> statRoles;
  for (const onnx::NodeProto &node : graph.node()) {
    if (!isDefaultDomain(node.domain()) ||
        node.op_type() != "BatchNormalization")
      continue;
    if (node.input_size() > 3 && !node.input(3).empty())
      statRoles[node.input(3)] = "running_mean";
    if (node.input_size() > 4 && !node.input(4).empty())
      statRoles[node.input(4)] = "running_var";
  }

  struct Argument {
    std::string name;
    SmallVector<int64_t, 4> shape;
    StringRef role;
  };
  SmallVector<Argument> arguments;

  // Graph inputs.
  for (const onnx::ValueInfoProto &input : graph.input()) {
    if (initializers.count(input.name()))
      continue;
    const onnx::TypeProto_Tensor &type = input.type().tensor_type();
    SmallVector<int64_t, 4> shape;
    for (const onnx::TensorShapeProto_Dimension &dim : type.shape().dim())
      shape.push_back(dim.dim_value());
    auto known = options.inputValues.find(input.name());
    if (known != options.inputValues.end()) {
      if (known->second.shape != shape) {
        setError("graph input '" + input.name() + "' has shape " +
                 formatShape(shape) + " but its given value has shape " +
                 formatShape(known->second.shape));
        return failure();
      }
      define(input.name()).host = toHostTensor(known->second, type.elem_type());
    }
    if (type.elem_type() != onnx::TensorProto_DataType_FLOAT) {
      if (known != options.inputValues.end())
        continue;
      setError("graph input '" + input.name() + "' has element type " +
               getElementTypeName(type.elem_type()) +
               "; fp4 imports FLOAT inputs (other types only when their "
               "values are known, as fp4-run knows them)");
      return failure();
    }
    arguments.push_back({input.name(), shape, "input"});
  }

  // Float initializers; the others are known values.
  for (const onnx::TensorProto &init : graph.initializer()) {
    int32_t type = init.data_type();
    if (type == onnx::TensorProto_DataType_FLOAT) {
      auto role = statRoles.find(init.name());
      arguments.push_back(
          {init.name(),
           SmallVector<int64_t, 4>(init.dims().begin(), init.dims().end()),
           role == statRoles.end() ? StringRef("param") : role->second});
      continue;
    }
    std::string error;
    std::optional<HostTensor> value = decodeTensor(init, error);
    if (!value) {
      setError("initializer '" + init.name() + "': " + error);
      return failure();
    }
    if (value->isFloat()) {
      setError("initializer '" + init.name() + "' has element type " +
               getElementTypeName(type) +
               "; fp4 imports FLOAT (f32) floating-point tensors only");
      return failure();
    }
    define(init.name()).host = std::move(*value);
  }

  // The module and the function.
  module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());
  SmallVector<Type> argTypes;
  SmallVector<Location> argLocs;
  for (const Argument &arg : arguments) {
    argTypes.push_back(getF32TensorType(ctx, arg.shape));
    argLocs.push_back(NameLoc::get(StringAttr::get(ctx, arg.name), fileLoc));
  }
  auto func = func::FuncOp::create(builder, fileLoc, "forward",
                                   FunctionType::get(ctx, argTypes, {}));
  func->setAttr(onnx_attrs::kOpset,
                builder.getI64IntegerAttr(opsets.lookup("")));
  func->setAttr(onnx_attrs::kBNMode,
                builder.getStringAttr(options.bnMode == BatchNormMode::Train
                                          ? "train"
                                          : "inference"));
  body = func.addEntryBlock();
  for (auto [index, arg] : llvm::enumerate(arguments)) {
    body->getArgument(index).setLoc(argLocs[index]);
    func.setArgAttr(index, onnx_attrs::kName, builder.getStringAttr(arg.name));
    func.setArgAttr(index, onnx_attrs::kRole, builder.getStringAttr(arg.role));
    argumentNames.push_back(arg.name);
    argumentRoles.push_back(arg.role.str());
    ValueEntry *entry = lookup(arg.name);
    if (!entry)
      entry = &define(arg.name);
    entry->tensor = body->getArgument(index);
    // Float initializers are also known values (for the operands that must
    // be constants); they are decoded when such an operand needs them.
    auto init = initializers.find(arg.name);
    if (init != initializers.end()) {
      std::string error;
      if (options.collectWeights || init->second->dims_size() <= 1) {
        std::optional<ONNXHostTensor> weight =
            decodeFloatTensor(*init->second, error);
        if (!weight) {
          setError("initializer '" + arg.name + "': " + error);
          return failure();
        }
        if (weight->getNumElements() <= 16)
          entry->host = toHostTensor(*weight, onnx::TensorProto_DataType_FLOAT);
        if (options.collectWeights)
          weights[arg.name] = std::move(*weight);
      }
    }
  }
  builder.setInsertionPointToStart(body);
  return success();
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node,
                                        unsigned index) {
  std::string name = node.name().empty()
                         ? (node.op_type() + "_" + Twine(index)).str()
                         : node.name();
  StringRef domain =
      isDefaultDomain(node.domain()) ? StringRef() : StringRef(node.domain());
  int opset = opsets.lookup(domain);
  Location loc = NameLoc::get(StringAttr::get(&context, name),
                              FileLineColLoc::get(&context, fileName, 0, 0));
  std::string opType = node.op_type();
  if (!domain.empty())
    opType = (domain + "." + node.op_type()).str();
  auto unsupported = [&](const Twine &what) {
    setError("node '" + name + "' (" + opType + ", opset " + Twine(opset) +
             "): " + what);
    return failure();
  };

  const OpDescriptor *desc =
      domain.empty() ? lookupOperator(node.op_type()) : nullptr;
  if (!desc)
    return unsupported("unsupported operator '" + opType +
                       "' (docs/onnx.md lists the supported operators)");
  const onnx::OpSchema *schema =
      onnx::OpSchemaRegistry::Schema(node.op_type(), opset, "");
  int version = schema ? schema->since_version() : -1;
  if (!llvm::is_contained(desc->versions, version)) {
    std::string versions =
        llvm::join(llvm::map_range(desc->versions,
                                   [](int v) { return std::to_string(v); }),
                   ", ");
    return unsupported("version " + Twine(version) + " of " + opType +
                       " is not supported (fp4 implements " + opType + "-" +
                       versions +
                       "; docs/onnx.md lists the supported "
                       "operators)");
  }

  // Every given input must be available.
  bool allKnown = true;
  for (int i = 0, e = node.input_size(); i < e; ++i) {
    if (node.input(i).empty())
      continue;
    ValueEntry *entry = lookup(node.input(i));
    if (!entry)
      return unsupported("input '" + node.input(i) +
                         "' is not defined before the node");
    if (!entry->tensor && !entry->host)
      return unsupported("input '" + node.input(i) +
                         "' is not available: " + entry->unavailable);
    if (!entry->host || entry->tensor)
      allKnown = false;
  }

  NodeImporter importer(*this, node, name, opset, version, loc);
  // Outputs a handler does not set are unavailable.
  for (int i = 0, e = node.output_size(); i < e; ++i)
    if (!node.output(i).empty())
      define(node.output(i)).unavailable = "output " + std::to_string(i) +
                                           " of node '" + name + "' (" +
                                           opType + ") is not produced by fp4";

  OpHandler handler = allKnown && desc->folder ? desc->folder : desc->handler;
  if (!handler)
    return unsupported("fp4 supports " + opType +
                       " only on values known at import time (shape "
                       "computations); an input is computed at run time");
  if (failed(handler(importer)))
    return failure();
  return checkOutputShapes(importer);
}

LogicalResult GraphImporter::checkOutputShapes(NodeImporter &node) {
  for (unsigned i = 0, e = node.getNumOutputs(); i < e; ++i) {
    if (!node.hasOutput(i))
      continue;
    StringRef name = node.getNode().output(i);
    ValueEntry *entry = lookup(name);
    if (!entry || (!entry->tensor && !entry->host))
      continue;
    SmallVector<int64_t, 4> shape =
        entry->tensor ? SmallVector<int64_t, 4>(getShapeOf(entry->tensor))
                      : entry->host->shape;
    if (countElements(shape) > kMaxElements)
      return node.error("output '" + name + "' would have shape " +
                        formatShape(shape) +
                        ", more elements than fp4 supports (2^31)");
    if (node.skipShapeCheck)
      continue;
    std::optional<SmallVector<int64_t, 4>> inferred = getInferredShape(name);
    if (inferred && *inferred != shape)
      return node.error(
          "fp4 computes the shape " + formatShape(shape) + " for output '" +
          name + "' but ONNX shape inference gives " + formatShape(*inferred));
  }
  return success();
}

LogicalResult GraphImporter::createReturn() {
  const onnx::GraphProto &graph = model.graph();
  Location loc = FileLineColLoc::get(&context, fileName, 0, 0);
  SmallVector<Value> results;
  SmallVector<std::string> names;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    ValueEntry *entry = lookup(output.name());
    if (!entry) {
      setError("graph output '" + output.name() + "' is not computed");
      return failure();
    }
    if (entry->tensor) {
      results.push_back(entry->tensor);
    } else if (entry->host) {
      // An output known at import time (a constant, or a shape).
      bool isFloat = entry->host->isFloat();
      if (isFloat &&
          entry->host->elemType != onnx::TensorProto_DataType_FLOAT) {
        setError("graph output '" + output.name() + "' has element type " +
                 getElementTypeName(entry->host->elemType) +
                 "; fp4 returns FLOAT tensors (and integer constants)");
        return failure();
      }
      if (!isFloat &&
          entry->host->elemType != onnx::TensorProto_DataType_INT64 &&
          entry->host->elemType != onnx::TensorProto_DataType_INT32) {
        setError("graph output '" + output.name() + "' has element type " +
                 getElementTypeName(entry->host->elemType) +
                 "; fp4 returns FLOAT tensors (and INT64/INT32 constants)");
        return failure();
      }
      results.push_back(createDenseConstant(builder, loc, *entry->host,
                                            /*asFloat=*/isFloat));
    } else {
      setError("graph output '" + output.name() +
               "' is not available: " + entry->unavailable);
      return failure();
    }
    names.push_back(output.name());
  }

  auto func = cast<func::FuncOp>(body->getParentOp());
  unsigned numOutputs = results.size();
  for (const StateUpdate &update : stateUpdates)
    results.push_back(update.value);
  func::ReturnOp::create(builder, loc, results);
  func.setType(FunctionType::get(&context, body->getArgumentTypes(),
                                 ValueRange(results).getTypes()));
  for (unsigned i = 0; i < numOutputs; ++i)
    func.setResultAttr(i, onnx_attrs::kName, builder.getStringAttr(names[i]));
  for (auto [offset, update] : llvm::enumerate(stateUpdates)) {
    unsigned i = numOutputs + offset;
    func.setResultAttr(
        i, onnx_attrs::kName,
        builder.getStringAttr(argumentNames[update.argument] + "_out"));
    func.setResultAttr(
        i, onnx_attrs::kRole,
        builder.getStringAttr(argumentRoles[update.argument] + "_update"));
    func.setResultAttr(i, onnx_attrs::kStateOf,
                       builder.getI64IntegerAttr(update.argument));
  }
  return success();
}

FailureOr<ONNXImportResult> GraphImporter::run() {
  if (failed(collectTypes()) || failed(createFunction()))
    return failure();
  for (auto [index, node] : llvm::enumerate(model.graph().node()))
    if (failed(importNode(node, index)))
      return failure();
  if (failed(createReturn()))
    return failure();

  // The module must verify; a failure is a bug of the importer.
  std::string diagnostics;
  {
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      if (diagnostics.empty())
        diagnostics = diag.str();
      return success();
    });
    if (failed(verify(*module))) {
      setError("internal error: the imported function does not verify: " +
               oneLine(diagnostics));
      return failure();
    }
  }
  ONNXImportResult result;
  result.module = std::move(module);
  result.weights = std::move(weights);
  return result;
}
