//===- ExportONNX.cpp - Write a trained ONNX model ------------------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "fp4/Train/ExportONNX.h"

#include "fp4/Train/Files.h"

#include "llvm/ADT/StringMap.h"

#ifdef FP4_TRAIN_HAVE_ONNX
#include <onnx/onnx_pb.h>
#endif

#include <cstring>

using namespace fp4;
using llvm::StringRef;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

#ifdef FP4_TRAIN_HAVE_ONNX

bool fp4::canExportONNX() { return true; }

llvm::Error fp4::exportONNX(StringRef sourcePath, StringRef outputPath,
                            const StateMap &state) {
  llvm::Expected<std::string> bytes = readFile(sourcePath);
  if (!bytes)
    return bytes.takeError();
  onnx::ModelProto model;
  if (!model.ParseFromString(*bytes))
    return makeError(sourcePath + ": not an ONNX model (protobuf parse error)");

  // The trained values by name.
  llvm::StringMap<const NpyArray *> trained;
  for (const auto &[key, array] : state)
    if (key.role == "param" || key.role == "running_mean" ||
        key.role == "running_var")
      trained[key.name] = &array;

  for (onnx::TensorProto &init :
       *model.mutable_graph()->mutable_initializer()) {
    auto it = trained.find(init.name());
    if (it == trained.end())
      continue;
    const NpyArray &array = *it->second;
    if (init.data_type() != onnx::TensorProto::FLOAT ||
        array.getDType() != DType::F32)
      return makeError(sourcePath + ": initializer '" + init.name() +
                       "' is not a float tensor");
    if (init.data_location() == onnx::TensorProto::EXTERNAL)
      return makeError(sourcePath + ": initializer '" + init.name() +
                       "' is stored in an external file (not supported)");
    int64_t elements = 1;
    for (int64_t dim : init.dims())
      elements *= dim;
    if (elements != array.getNumElements())
      return makeError(sourcePath + ": initializer '" + init.name() + "' has " +
                       llvm::Twine(elements) + " elements but the trained " +
                       "tensor is " + array.describe());
    // raw_data is little-endian, like the host.
    init.clear_float_data();
    init.set_raw_data(array.data(), array.getNumBytes());
  }

  std::string output;
  if (!model.SerializeToString(&output))
    return makeError(outputPath + ": cannot serialize the model");
  return writeFileAtomically(outputPath, output);
}

#else

bool fp4::canExportONNX() { return false; }

llvm::Error fp4::exportONNX(StringRef sourcePath, StringRef outputPath,
                            const StateMap &state) {
  return makeError(outputPath + ": this fp4-train was built without ONNX "
                                "support (install libonnx-dev and rebuild)");
}

#endif
