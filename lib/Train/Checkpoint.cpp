//===- Checkpoint.cpp - Training checkpoints ------------------------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "fp4/Train/Checkpoint.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/CRC.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>

using namespace fp4;
using llvm::StringRef;

static constexpr char kMagic[8] = {'F', 'P', '4', 'C', 'K', 'P', 'T', '\0'};
static constexpr uint32_t kVersion = 1;
static constexpr size_t kHeaderSize = 24;

namespace {
/// Little-endian serialization.
struct Writer {
  std::string data;
  template <typename T> void put(T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    // The project targets little-endian hosts (x86-64); the format is
    // little-endian whatever the host.
    if constexpr (llvm::endianness::native != llvm::endianness::little)
      std::reverse(bytes, bytes + sizeof(T));
    data.append(bytes, sizeof(T));
  }
  void str(StringRef s) {
    put<uint32_t>(s.size());
    data.append(s.begin(), s.end());
  }
};

/// Bounds-checked little-endian parsing; the first failure is kept.
struct Reader {
  StringRef bytes;
  size_t pos = 0;
  std::optional<std::string> error;

  bool need(size_t n, StringRef what) {
    if (error)
      return false;
    if (bytes.size() - pos < n) {
      error = ("truncated " + what).str();
      return false;
    }
    return true;
  }
  template <typename T> T get(StringRef what) {
    T value{};
    if (!need(sizeof(T), what))
      return value;
    char raw[sizeof(T)];
    std::memcpy(raw, bytes.data() + pos, sizeof(T));
    if constexpr (llvm::endianness::native != llvm::endianness::little)
      std::reverse(raw, raw + sizeof(T));
    std::memcpy(&value, raw, sizeof(T));
    pos += sizeof(T);
    return value;
  }
  std::string str(StringRef what) {
    uint32_t n = get<uint32_t>(what);
    if (!need(n, what))
      return {};
    std::string s = bytes.substr(pos, n).str();
    pos += n;
    return s;
  }
  StringRef raw(size_t n, StringRef what) {
    if (!need(n, what))
      return {};
    StringRef s = bytes.substr(pos, n);
    pos += n;
    return s;
  }
};
} // namespace

std::string fp4::serializeCheckpoint(const Checkpoint &checkpoint) {
  Writer payload;
  payload.put<uint64_t>(checkpoint.epoch);
  payload.put<uint64_t>(checkpoint.rngState);
  payload.put<uint32_t>(checkpoint.config.size());
  for (const auto &[key, value] : checkpoint.config) {
    payload.str(key);
    payload.str(value);
  }
  payload.put<uint32_t>(checkpoint.epochs.size());
  for (const EpochMetrics &m : checkpoint.epochs) {
    payload.put<int64_t>(m.epoch);
    payload.put<double>(m.trainLoss);
    payload.put<double>(m.trainAccuracy);
    payload.put<double>(m.testLoss);
    payload.put<double>(m.testAccuracy);
  }
  payload.put<uint32_t>(checkpoint.state.size());
  for (const auto &[key, array] : checkpoint.state) {
    payload.str(key.role);
    payload.str(key.name);
    payload.str(getDTypeDescr(array.getDType()));
    payload.put<uint32_t>(array.getRank());
    for (int64_t dim : array.getShape())
      payload.put<int64_t>(dim);
    payload.put<uint64_t>(array.getNumBytes());
    payload.data.append(array.data(), array.getNumBytes());
  }

  Writer file;
  file.data.append(kMagic, sizeof(kMagic));
  file.put<uint32_t>(kVersion);
  file.put<uint32_t>(llvm::crc32(llvm::arrayRefFromStringRef(payload.data)));
  file.put<uint64_t>(payload.data.size());
  file.data += payload.data;
  return std::move(file.data);
}

llvm::Expected<Checkpoint> fp4::parseCheckpoint(StringRef bytes,
                                                StringRef name) {
  auto fail = [&](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   (name + ": " + message).str());
  };
  if (bytes.size() < kHeaderSize ||
      std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0)
    return fail("not an fp4-train checkpoint");
  Reader header{bytes, sizeof(kMagic), std::nullopt};
  uint32_t version = header.get<uint32_t>("header");
  uint32_t storedCrc = header.get<uint32_t>("header");
  uint64_t size = header.get<uint64_t>("header");
  if (version != kVersion)
    return fail("unsupported checkpoint version " + llvm::Twine(version) +
                " (expected " + llvm::Twine(kVersion) + ")");
  if (size != bytes.size() - kHeaderSize)
    return fail("corrupt checkpoint: the payload has " +
                llvm::Twine(bytes.size() - kHeaderSize) +
                " bytes, the header says " + llvm::Twine(size));
  StringRef payload = bytes.drop_front(kHeaderSize);
  uint32_t crc = llvm::crc32(llvm::arrayRefFromStringRef(payload));
  if (crc != storedCrc)
    return fail("corrupt checkpoint: checksum mismatch (stored " +
                llvm::utohexstr(storedCrc, /*LowerCase=*/true) + ", computed " +
                llvm::utohexstr(crc, true) + ")");

  Reader r{payload, 0, std::nullopt};
  Checkpoint checkpoint;
  checkpoint.epoch = r.get<uint64_t>("epoch");
  checkpoint.rngState = r.get<uint64_t>("PRNG state");
  uint32_t numConfig = r.get<uint32_t>("configuration");
  for (uint32_t i = 0; i < numConfig && !r.error; ++i) {
    std::string key = r.str("configuration");
    std::string value = r.str("configuration");
    checkpoint.config.emplace_back(std::move(key), std::move(value));
  }
  uint32_t numEpochs = r.get<uint32_t>("metrics");
  for (uint32_t i = 0; i < numEpochs && !r.error; ++i) {
    EpochMetrics m;
    m.epoch = r.get<int64_t>("metrics");
    m.trainLoss = r.get<double>("metrics");
    m.trainAccuracy = r.get<double>("metrics");
    m.testLoss = r.get<double>("metrics");
    m.testAccuracy = r.get<double>("metrics");
    checkpoint.epochs.push_back(m);
  }
  uint32_t numTensors = r.get<uint32_t>("tensor table");
  for (uint32_t i = 0; i < numTensors && !r.error; ++i) {
    StateKey key;
    key.role = r.str("tensor");
    key.name = r.str("tensor");
    std::string descr = r.str("tensor");
    uint32_t rank = r.get<uint32_t>("tensor");
    if (rank > 32 && !r.error)
      return fail("corrupt checkpoint: tensor " + key.describe() +
                  " has rank " + llvm::Twine(rank));
    llvm::SmallVector<int64_t, 4> shape;
    for (uint32_t d = 0; d < rank; ++d)
      shape.push_back(r.get<int64_t>("tensor shape"));
    uint64_t numBytes = r.get<uint64_t>("tensor");
    StringRef data = r.raw(numBytes, "tensor data");
    if (r.error)
      break;
    std::optional<DType> dtype = parseDTypeDescr(descr);
    if (!dtype)
      return fail("corrupt checkpoint: tensor " + key.describe() +
                  " has unknown dtype '" + descr + "'");
    uint64_t elements = 1;
    for (int64_t dim : shape) {
      if (dim < 0 || (dim != 0 && elements > (uint64_t(1) << 40) / dim))
        return fail("corrupt checkpoint: tensor " + key.describe() +
                    " has an invalid shape");
      elements *= dim;
    }
    if (elements * getDTypeSize(*dtype) != numBytes)
      return fail("corrupt checkpoint: tensor " + key.describe() + " has " +
                  llvm::Twine(numBytes) + " bytes for its shape");
    NpyArray array(*dtype, shape);
    std::memcpy(array.data(), data.data(), numBytes);
    if (!checkpoint.state.emplace(key, std::move(array)).second)
      return fail("corrupt checkpoint: tensor " + key.describe() +
                  " appears twice");
  }
  if (r.error)
    return fail("corrupt checkpoint: " + *r.error);
  if (r.pos != payload.size())
    return fail("corrupt checkpoint: " + llvm::Twine(payload.size() - r.pos) +
                " unexpected bytes at the end");
  return std::move(checkpoint);
}
