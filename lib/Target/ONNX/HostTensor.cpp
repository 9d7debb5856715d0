//===- HostTensor.cpp - Tensors known at import time ----------------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// Decoding of ONNX TensorProtos (typed repeated fields or little-endian
// raw_data) into host tensors.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>
#include <limits>

using namespace fp4;
using namespace fp4::onnx_import;
using llvm::Twine;

bool HostTensor::isFloat() const {
  switch (elemType) {
  case onnx::TensorProto_DataType_FLOAT:
  case onnx::TensorProto_DataType_DOUBLE:
  case onnx::TensorProto_DataType_FLOAT16:
  case onnx::TensorProto_DataType_BFLOAT16:
    return true;
  default:
    return false;
  }
}

int64_t HostTensor::getNumElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

double HostTensor::getDouble(int64_t i) const {
  return isFloat() ? floats[i] : static_cast<double>(ints[i]);
}

int64_t HostTensor::getInt(int64_t i) const {
  return isFloat() ? static_cast<int64_t>(floats[i]) : ints[i];
}

HostTensor HostTensor::makeInts(llvm::ArrayRef<int64_t> shape,
                                std::vector<int64_t> values, int32_t elemType) {
  HostTensor t;
  t.elemType = elemType;
  t.shape.assign(shape.begin(), shape.end());
  t.ints = std::move(values);
  return t;
}

HostTensor HostTensor::makeFloats(llvm::ArrayRef<int64_t> shape,
                                  std::vector<double> values,
                                  int32_t elemType) {
  HostTensor t;
  t.elemType = elemType;
  t.shape.assign(shape.begin(), shape.end());
  t.floats = std::move(values);
  return t;
}

int64_t fp4::onnx_import::countElements(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || llvm::MulOverflow(n, d, n))
      return std::numeric_limits<int64_t>::max();
  }
  return n;
}

std::string fp4::onnx_import::getElementTypeName(int32_t elemType) {
  if (onnx::TensorProto_DataType_IsValid(elemType) &&
      elemType != onnx::TensorProto_DataType_UNDEFINED)
    return onnx::TensorProto_DataType_Name(
        static_cast<onnx::TensorProto_DataType>(elemType));
  return "UNDEFINED (" + std::to_string(elemType) + ")";
}

std::string fp4::onnx_import::formatShape(llvm::ArrayRef<int64_t> shape) {
  return "[" +
         llvm::join(llvm::map_range(shape,
                                    [](int64_t d) {
                                      return d < 0 ? std::string("?")
                                                   : std::to_string(d);
                                    }),
                    ", ") +
         "]";
}

/// Size in bytes of one element in raw_data; 0 for unsupported types.
static size_t getRawSize(int32_t elemType) {
  switch (elemType) {
  case onnx::TensorProto_DataType_FLOAT:
  case onnx::TensorProto_DataType_INT32:
  case onnx::TensorProto_DataType_UINT32:
    return 4;
  case onnx::TensorProto_DataType_DOUBLE:
  case onnx::TensorProto_DataType_INT64:
  case onnx::TensorProto_DataType_UINT64:
    return 8;
  case onnx::TensorProto_DataType_INT16:
  case onnx::TensorProto_DataType_UINT16:
    return 2;
  case onnx::TensorProto_DataType_INT8:
  case onnx::TensorProto_DataType_UINT8:
  case onnx::TensorProto_DataType_BOOL:
    return 1;
  default:
    return 0;
  }
}

/// Checks the common parts; returns the number of elements or -1.
static int64_t checkTensor(const onnx::TensorProto &tensor,
                           std::string &error) {
  if (tensor.data_location() == onnx::TensorProto_DataLocation_EXTERNAL) {
    error = "the tensor is stored as external data, which fp4 does not read";
    return -1;
  }
  if (tensor.has_segment()) {
    error = "segmented tensors are not supported";
    return -1;
  }
  int64_t n = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0) {
      error = "negative dimension " + std::to_string(d);
      return -1;
    }
    if (d > 0 && n > (int64_t(1) << 40) / d) {
      error = "the tensor is too large";
      return -1;
    }
    n *= d;
  }
  return n;
}

static bool checkCount(int64_t have, int64_t want, llvm::StringRef where,
                       std::string &error) {
  if (have == want)
    return true;
  error = ("has " + Twine(have) + " values in " + where +
           " but its shape needs " + Twine(want))
              .str();
  return false;
}

template <typename T> static T readRaw(const char *p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

std::optional<HostTensor>
fp4::onnx_import::decodeTensor(const onnx::TensorProto &tensor,
                               std::string &error) {
  int64_t n = checkTensor(tensor, error);
  if (n < 0)
    return std::nullopt;
  int32_t type = tensor.data_type();
  size_t rawSize = getRawSize(type);
  if (rawSize == 0) {
    error = "element type " + getElementTypeName(type) + " is not supported";
    return std::nullopt;
  }
  HostTensor result;
  result.elemType = type;
  result.shape.assign(tensor.dims().begin(), tensor.dims().end());
  bool raw = tensor.has_raw_data();
  const std::string &bytes = tensor.raw_data();
  if (raw && !checkCount(bytes.size() / rawSize, n, "raw_data", error))
    return std::nullopt;
  if (raw && bytes.size() % rawSize != 0) {
    error = "raw_data size is not a multiple of the element size";
    return std::nullopt;
  }
  const char *p = bytes.data();
  switch (type) {
  case onnx::TensorProto_DataType_FLOAT:
    if (!raw && !checkCount(tensor.float_data_size(), n, "float_data", error))
      return std::nullopt;
    for (int64_t i = 0; i < n; ++i)
      result.floats.push_back(raw ? readRaw<float>(p + 4 * i)
                                  : tensor.float_data(i));
    break;
  case onnx::TensorProto_DataType_DOUBLE:
    if (!raw && !checkCount(tensor.double_data_size(), n, "double_data", error))
      return std::nullopt;
    for (int64_t i = 0; i < n; ++i)
      result.floats.push_back(raw ? readRaw<double>(p + 8 * i)
                                  : tensor.double_data(i));
    break;
  case onnx::TensorProto_DataType_INT64:
    if (!raw && !checkCount(tensor.int64_data_size(), n, "int64_data", error))
      return std::nullopt;
    for (int64_t i = 0; i < n; ++i)
      result.ints.push_back(raw ? readRaw<int64_t>(p + 8 * i)
                                : tensor.int64_data(i));
    break;
  case onnx::TensorProto_DataType_UINT32:
  case onnx::TensorProto_DataType_UINT64:
    if (!raw && !checkCount(tensor.uint64_data_size(), n, "uint64_data", error))
      return std::nullopt;
    for (int64_t i = 0; i < n; ++i) {
      uint64_t v = !raw ? tensor.uint64_data(i)
                   : rawSize == 4
                       ? static_cast<uint64_t>(readRaw<uint32_t>(p + 4 * i))
                       : readRaw<uint64_t>(p + 8 * i);
      result.ints.push_back(static_cast<int64_t>(v));
    }
    break;
  default: {
    // INT32, INT16, INT8, UINT16, UINT8, BOOL: int32_data or raw bytes.
    if (!raw && !checkCount(tensor.int32_data_size(), n, "int32_data", error))
      return std::nullopt;
    for (int64_t i = 0; i < n; ++i) {
      int64_t v = 0;
      if (!raw) {
        v = tensor.int32_data(i);
      } else {
        switch (type) {
        case onnx::TensorProto_DataType_INT32:
          v = readRaw<int32_t>(p + 4 * i);
          break;
        case onnx::TensorProto_DataType_INT16:
          v = readRaw<int16_t>(p + 2 * i);
          break;
        case onnx::TensorProto_DataType_UINT16:
          v = readRaw<uint16_t>(p + 2 * i);
          break;
        case onnx::TensorProto_DataType_INT8:
          v = readRaw<int8_t>(p + i);
          break;
        default: // UINT8, BOOL
          v = readRaw<uint8_t>(p + i);
          break;
        }
      }
      if (type == onnx::TensorProto_DataType_BOOL)
        v = v != 0;
      result.ints.push_back(v);
    }
    break;
  }
  }
  return result;
}

std::optional<ONNXHostTensor>
fp4::onnx_import::decodeFloatTensor(const onnx::TensorProto &tensor,
                                    std::string &error) {
  int64_t n = checkTensor(tensor, error);
  if (n < 0)
    return std::nullopt;
  if (tensor.data_type() != onnx::TensorProto_DataType_FLOAT) {
    error = "element type " + getElementTypeName(tensor.data_type()) +
            " is not FLOAT";
    return std::nullopt;
  }
  ONNXHostTensor result;
  result.isFloat = true;
  result.shape.assign(tensor.dims().begin(), tensor.dims().end());
  if (tensor.has_raw_data()) {
    const std::string &bytes = tensor.raw_data();
    if (bytes.size() % 4 != 0 ||
        !checkCount(bytes.size() / 4, n, "raw_data", error))
      return std::nullopt;
    result.floats.resize(n);
    std::memcpy(result.floats.data(), bytes.data(), n * sizeof(float));
  } else {
    if (!checkCount(tensor.float_data_size(), n, "float_data", error))
      return std::nullopt;
    result.floats.assign(tensor.float_data().begin(),
                         tensor.float_data().end());
  }
  return result;
}
