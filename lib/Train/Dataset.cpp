//===- Dataset.cpp - IDX image datasets (Fashion-MNIST) -------------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "fp4/Train/Dataset.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>

using namespace fp4;
using llvm::StringRef;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

/// Reads a gzip-compressed (or plain: zlib passes it through) file.
static llvm::Expected<std::string> readMaybeGzip(StringRef path) {
  std::string pathString = path.str();
  errno = 0;
  gzFile file = gzopen(pathString.c_str(), "rb");
  if (!file)
    return makeError(path + ": cannot read: " +
                     (errno ? std::strerror(errno) : "out of memory"));
  std::string contents;
  char chunk[1 << 16];
  for (;;) {
    int n = gzread(file, chunk, sizeof(chunk));
    if (n > 0) {
      contents.append(chunk, n);
      continue;
    }
    if (n == 0)
      break;
    int code;
    const char *message = gzerror(file, &code);
    std::string reason = code == Z_ERRNO ? std::strerror(errno) : message;
    gzclose(file);
    return makeError(path + ": corrupt gzip data: " + reason);
  }
  // A truncated gzip stream reads as end of file with an error pending.
  int code;
  const char *message = gzerror(file, &code);
  if (code != Z_OK && code != Z_STREAM_END) {
    std::string reason = message;
    gzclose(file);
    return makeError(path + ": corrupt gzip data: " + reason);
  }
  gzclose(file);
  return contents;
}

static uint32_t readBE32(StringRef bytes, size_t offset) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(bytes[offset])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(bytes[offset + 1]))
          << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(bytes[offset + 2])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(bytes[offset + 3]));
}

static std::string hex32(uint32_t value) {
  std::string result;
  llvm::raw_string_ostream os(result);
  os << llvm::format_hex(value, 10);
  return result;
}

namespace {
/// The dimensions and elements of an IDX file of unsigned bytes.
struct IDXFile {
  std::string contents;
  std::vector<int64_t> dims;
  size_t dataOffset = 0;
};
} // namespace

/// Reads and validates an IDX file of unsigned bytes with `rank` dimensions.
static llvm::Expected<IDXFile> readIDX(StringRef path, unsigned rank) {
  llvm::Expected<std::string> contents = readMaybeGzip(path);
  if (!contents)
    return contents.takeError();
  IDXFile idx;
  idx.contents = std::move(*contents);
  StringRef bytes = idx.contents;
  uint32_t expectedMagic = 0x800 | rank;
  if (bytes.size() < 4 || readBE32(bytes, 0) != expectedMagic)
    return makeError(path + ": not an IDX file of unsigned bytes with " +
                     llvm::Twine(rank) +
                     (rank == 1 ? " dimension" : " dimensions") + " (magic " +
                     (bytes.size() < 4 ? std::string("missing")
                                       : hex32(readBE32(bytes, 0))) +
                     ", expected " + hex32(expectedMagic) + ")");
  idx.dataOffset = 4 + 4 * rank;
  if (bytes.size() < idx.dataOffset)
    return makeError(path + ": truncated IDX header (" +
                     llvm::Twine(bytes.size()) + " bytes)");
  uint64_t elements = 1;
  for (unsigned i = 0; i < rank; ++i) {
    idx.dims.push_back(readBE32(bytes, 4 + 4 * i));
    elements *= idx.dims.back();
  }
  uint64_t found = bytes.size() - idx.dataOffset;
  if (found < elements)
    return makeError(path + ": truncated: expected " + llvm::Twine(elements) +
                     " bytes of data, found " + llvm::Twine(found));
  if (found > elements)
    return makeError(path + ": " + llvm::Twine(found - elements) +
                     " unexpected bytes after the " + llvm::Twine(elements) +
                     " bytes of data");
  return std::move(idx);
}

llvm::Expected<ImageDataset> fp4::loadIDXDataset(StringRef imagesPath,
                                                 StringRef labelsPath,
                                                 std::optional<int64_t> limit,
                                                 float mean, float std) {
  llvm::Expected<IDXFile> images = readIDX(imagesPath, 3);
  if (!images)
    return images.takeError();
  llvm::Expected<IDXFile> labels = readIDX(labelsPath, 1);
  if (!labels)
    return labels.takeError();
  int64_t count = images->dims[0];
  if (labels->dims[0] != count)
    return makeError(labelsPath + ": has " + llvm::Twine(labels->dims[0]) +
                     " labels but " + imagesPath + " has " +
                     llvm::Twine(count) + " images");
  if (count == 0 || images->dims[1] == 0 || images->dims[2] == 0)
    return makeError(imagesPath + ": the dataset is empty");

  ImageDataset dataset;
  dataset.count = limit ? std::min(*limit, count) : count;
  dataset.rows = images->dims[1];
  dataset.cols = images->dims[2];

  // (p / 255 - mean) / std, in f32, once per byte value.
  for (int p = 0; p < 256; ++p)
    dataset.normalized[p] = (static_cast<float>(p) / 255.0f - mean) / std;
  size_t numPixels = dataset.count * dataset.getImageSize();
  const auto *pixels =
      reinterpret_cast<const uint8_t *>(images->contents.data()) +
      images->dataOffset;
  dataset.bytes.assign(pixels, pixels + numPixels);
  const auto *classes =
      reinterpret_cast<const uint8_t *>(labels->contents.data()) +
      labels->dataOffset;
  dataset.labels.assign(classes, classes + dataset.count);
  return std::move(dataset);
}

llvm::Expected<ImageDataset>
fp4::loadFashionMNIST(StringRef dir, bool train, std::optional<int64_t> limit) {
  StringRef prefix = train ? "train" : "t10k";
  llvm::SmallString<256> images(dir), labels(dir);
  llvm::sys::path::append(images, prefix + "-images-idx3-ubyte.gz");
  llvm::sys::path::append(labels, prefix + "-labels-idx1-ubyte.gz");
  return loadIDXDataset(images, labels, limit, kFashionMNISTMean,
                        kFashionMNISTStd);
}
