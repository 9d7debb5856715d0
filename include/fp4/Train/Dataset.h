//===- Dataset.h - IDX image datasets (Fashion-MNIST) -----------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// Reads image classification datasets in the IDX format of MNIST and
// Fashion-MNIST (gzip-compressed or not: zlib reads both), validates them,
// and keeps the images as their bytes with a table of the 256 normalized
// f32 values, looked up when a batch is filled (a quarter of the memory of
// f32 pixels: 45 instead of 180 MiB for Fashion-MNIST's training set).
//
// IDX: a big-endian header - two zero bytes, the element type (0x08 =
// unsigned byte), the number of dimensions - then one 32-bit size per
// dimension and the elements in row-major order. Images are 3-D
// (count, rows, cols; magic 0x00000803), labels 1-D (magic 0x00000801).
//
//===----------------------------------------------------------------------===//

#ifndef FP4_TRAIN_DATASET_H
#define FP4_TRAIN_DATASET_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fp4 {

/// Fashion-MNIST's pixel statistics over the training set (pixels scaled to
/// [0, 1]): normalized pixel = (p / 255 - mean) / std.
inline constexpr float kFashionMNISTMean = 0.2860f;
inline constexpr float kFashionMNISTStd = 0.3530f;

/// Where Debian's dataset-fashion-mnist package installs the files.
inline constexpr llvm::StringLiteral kFashionMNISTDir =
    "/usr/share/datasets/fashion-mnist";

/// A set of single-channel images and their class labels.
struct ImageDataset {
  int64_t count = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  /// count x rows x cols pixel bytes, as stored in the file.
  std::vector<uint8_t> bytes;
  /// The normalized f32 value of each byte: (p / 255 - mean) / std.
  std::array<float, 256> normalized = {};
  /// count labels.
  std::vector<int64_t> labels;

  int64_t getImageSize() const { return rows * cols; }
  /// Writes image `index`'s normalized pixels to `out` (getImageSize()
  /// floats).
  void copyImage(int64_t index, float *out) const {
    const uint8_t *image = bytes.data() + index * getImageSize();
    for (int64_t i = 0, e = getImageSize(); i < e; ++i)
      out[i] = normalized[image[i]];
  }
};

/// Reads an IDX images file and its labels file, keeping the first `limit`
/// samples (all when unset) and normalizing the pixels with `mean` and
/// `std`. Errors are one line naming the file: "PATH: not an IDX file of
/// unsigned bytes with 3 dimensions (magic 0x00000801, expected
/// 0x00000803)", "PATH: truncated: ...", "PATH: has 100 labels but IMAGES has
/// 60000 images", ...
llvm::Expected<ImageDataset> loadIDXDataset(llvm::StringRef imagesPath,
                                            llvm::StringRef labelsPath,
                                            std::optional<int64_t> limit,
                                            float mean, float std);

/// Reads the training (`train`-*) or test (`t10k`-*) split of Fashion-MNIST
/// from `dir` (files `{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz`).
llvm::Expected<ImageDataset> loadFashionMNIST(llvm::StringRef dir, bool train,
                                              std::optional<int64_t> limit);

} // namespace fp4

#endif // FP4_TRAIN_DATASET_H
