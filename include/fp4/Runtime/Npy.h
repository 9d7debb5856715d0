//===- Npy.h - NumPy .npy arrays --------------------------------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// A dense host array and a strict reader/writer for the NumPy `.npy` format
// (versions 1.0, 2.0 and 3.0, little-endian, C order). The supported dtypes
// are the element types fp4 functions take and return: `<f4`, `<f8`, `<f2`, `|i1`,
// `|u1`, `<i4`, `<i8`.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_RUNTIME_NPY_H
#define FP4_RUNTIME_NPY_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace fp4 {

/// Element type of an `NpyArray`.
enum class DType { F32, F16, I8, U8, I32, I64, F64 };

/// Size of one element of `dtype` in bytes.
size_t getDTypeSize(DType dtype);

/// The NumPy name of `dtype` ("float32", "uint8", ...).
llvm::StringRef getDTypeName(DType dtype);

/// The `.npy` descr string of `dtype` ("<f4", "|u1", ...).
llvm::StringRef getDTypeDescr(DType dtype);

/// Parses a `.npy` descr string; std::nullopt if it is not supported.
std::optional<DType> parseDTypeDescr(llvm::StringRef descr);

/// A dense, C-ordered host array that owns its (64-byte aligned) storage.
/// A 0-d array has an empty shape and one element.
class NpyArray {
public:
  NpyArray() = default;
  /// Creates a zero-filled array of the given dtype and shape.
  NpyArray(DType dtype, llvm::ArrayRef<int64_t> shape);

  NpyArray(NpyArray &&) = default;
  NpyArray &operator=(NpyArray &&) = default;
  NpyArray(const NpyArray &) = delete;
  NpyArray &operator=(const NpyArray &) = delete;

  DType getDType() const { return dtype; }
  /// Reinterprets the elements as another dtype of the same size (used for
  /// the int8/uint8 views of the same bytes).
  void setDType(DType newType);
  llvm::ArrayRef<int64_t> getShape() const { return shape; }
  int64_t getRank() const { return shape.size(); }
  int64_t getNumElements() const;
  size_t getNumBytes() const { return numBytes; }

  char *data() { return storage.get(); }
  const char *data() const { return storage.get(); }
  template <typename T> T *getAs() { return reinterpret_cast<T *>(data()); }
  template <typename T> const T *getAs() const {
    return reinterpret_cast<const T *>(data());
  }

  /// Returns "float32 [4, 7]" (dtype and shape; "float32 []" for 0-d).
  std::string describe() const;

  /// Prints the values like NumPy's repr of the array body: nested brackets,
  /// floats in their shortest round-trip form, and, for more than 1000
  /// elements, only the first and last 3 entries along each dimension.
  void printValues(llvm::raw_ostream &os) const;

private:
  struct Deleter {
    void operator()(char *ptr) const;
  };
  DType dtype = DType::F32;
  llvm::SmallVector<int64_t, 4> shape;
  size_t numBytes = 0;
  std::unique_ptr<char[], Deleter> storage;
};

/// Parses the contents of a `.npy` file. Errors are one line and start with
/// `name`, e.g. "b.npy: truncated: expected 112 data bytes, found 100".
llvm::Expected<NpyArray> parseNpy(llvm::StringRef contents,
                                  llvm::StringRef name);

/// Reads the `.npy` file at `path` (see `parseNpy`).
llvm::Expected<NpyArray> readNpy(llvm::StringRef path);

/// Serializes `array` in the `.npy` format (version 1.0, or 2.0 when the
/// header does not fit in 64 KiB).
std::string serializeNpy(const NpyArray &array);

/// Writes `array` to `path` atomically: to a temporary file in the same
/// directory, renamed over `path` once complete.
llvm::Error writeNpy(llvm::StringRef path, const NpyArray &array);

/// Writes several arrays, all or nothing: every array is first written to a
/// temporary file next to its destination, and the temporaries are renamed
/// only once all of them were written successfully.
llvm::Error
writeNpyFiles(llvm::ArrayRef<std::pair<std::string, const NpyArray *>> files);

} // namespace fp4

#endif // FP4_RUNTIME_NPY_H
