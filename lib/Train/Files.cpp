//===- Files.cpp - Atomic output files and .npz archives ------------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "fp4/Train/Files.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CRC.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <zlib.h>

#include <cstring>

using namespace fp4;
using llvm::StringRef;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

//===----------------------------------------------------------------------===//
// Plain files
//===----------------------------------------------------------------------===//

llvm::Error fp4::writeFileAtomically(StringRef path, StringRef contents) {
  StringRef dir = llvm::sys::path::parent_path(path);
  llvm::SmallString<128> model(dir.empty() ? "." : dir);
  llvm::sys::path::append(model, "." + llvm::sys::path::filename(path) +
                                     ".tmp-%%%%%%%%");
  int fd;
  llvm::SmallString<128> tempPath;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(model, fd, tempPath))
    return makeError(path + ": cannot write: " + ec.message());
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << contents;
    os.close();
    if (os.has_error()) {
      std::error_code ec = os.error();
      os.clear_error();
      llvm::sys::fs::remove(tempPath);
      return makeError(path + ": cannot write: " + ec.message());
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tempPath, path)) {
    llvm::sys::fs::remove(tempPath);
    return makeError(path + ": cannot write: " + ec.message());
  }
  return llvm::Error::success();
}

llvm::Expected<std::string> fp4::readFile(StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError(path + ": cannot read: " + buffer.getError().message());
  return (*buffer)->getBuffer().str();
}

//===----------------------------------------------------------------------===//
// ZIP writer
//===----------------------------------------------------------------------===//

namespace {
/// Little-endian appends.
struct Bytes {
  std::string data;
  void u16(uint32_t v) {
    data.push_back(static_cast<char>(v & 0xff));
    data.push_back(static_cast<char>((v >> 8) & 0xff));
  }
  void u32(uint32_t v) {
    u16(v & 0xffff);
    u16(v >> 16);
  }
  void raw(StringRef s) { data.append(s.begin(), s.end()); }
};
} // namespace

/// MS-DOS date of 1980-01-01 (the ZIP epoch): members carry no real time, so
/// the archive depends only on its contents.
static constexpr uint32_t kDosDate = (0 << 9) | (1 << 5) | 1;
static constexpr uint32_t kLocalHeaderSig = 0x04034b50;
static constexpr uint32_t kCentralHeaderSig = 0x02014b50;
static constexpr uint32_t kEndSig = 0x06054b50;
static constexpr uint32_t kZip64EndSig = 0x06064b50;
static constexpr uint64_t kZipLimit = 0xffffffffull;

llvm::Expected<std::string>
fp4::serializeNpz(llvm::ArrayRef<NamedArray> arrays) {
  if (arrays.size() >= 0xffff)
    return makeError("too many arrays for an .npz archive (" +
                     llvm::Twine(arrays.size()) + ")");
  Bytes out, central;
  for (const NamedArray &entry : arrays) {
    std::string member = entry.first + ".npy";
    std::string npy = serializeNpy(*entry.second);
    uint32_t crc = llvm::crc32(llvm::arrayRefFromStringRef(npy));
    uint64_t offset = out.data.size();
    if (npy.size() >= kZipLimit || offset >= kZipLimit ||
        member.size() > 0xffff)
      return makeError("array '" + entry.first +
                       "' does not fit an .npz archive without ZIP64");
    // Local file header.
    out.u32(kLocalHeaderSig);
    out.u16(20); // version needed: 2.0
    out.u16(0);  // flags
    out.u16(0);  // stored
    out.u16(0);  // time
    out.u16(kDosDate);
    out.u32(crc);
    out.u32(npy.size());
    out.u32(npy.size());
    out.u16(member.size());
    out.u16(0); // extra
    out.raw(member);
    out.raw(npy);
    // Central directory entry.
    central.u32(kCentralHeaderSig);
    central.u16(20); // made by: MS-DOS, 2.0
    central.u16(20);
    central.u16(0);
    central.u16(0);
    central.u16(0);
    central.u16(kDosDate);
    central.u32(crc);
    central.u32(npy.size());
    central.u32(npy.size());
    central.u16(member.size());
    central.u16(0); // extra
    central.u16(0); // comment
    central.u16(0); // disk
    central.u16(0); // internal attributes
    central.u32(0); // external attributes
    central.u32(offset);
    central.raw(member);
  }
  uint64_t centralOffset = out.data.size();
  if (centralOffset + central.data.size() >= kZipLimit)
    return makeError("the arrays do not fit an .npz archive without ZIP64");
  out.raw(central.data);
  out.u32(kEndSig);
  out.u16(0);
  out.u16(0);
  out.u16(arrays.size());
  out.u16(arrays.size());
  out.u32(central.data.size());
  out.u32(centralOffset);
  out.u16(0); // comment
  return std::move(out.data);
}

llvm::Error fp4::writeNpz(StringRef path, llvm::ArrayRef<NamedArray> arrays) {
  llvm::Expected<std::string> bytes = serializeNpz(arrays);
  if (!bytes)
    return makeError(path + ": " + llvm::toString(bytes.takeError()));
  return writeFileAtomically(path, *bytes);
}

//===----------------------------------------------------------------------===//
// ZIP reader
//===----------------------------------------------------------------------===//

static uint64_t readLE(StringRef bytes, size_t offset, unsigned size) {
  uint64_t value = 0;
  for (unsigned i = 0; i < size; ++i)
    value |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[offset + i]))
             << (8 * i);
  return value;
}

/// Inflates a raw deflate stream of `size` bytes.
static llvm::Expected<std::string> inflateRaw(StringRef input, uint64_t size) {
  std::string output(size, '\0');
  z_stream stream;
  std::memset(&stream, 0, sizeof(stream));
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK)
    return makeError("cannot initialize zlib");
  stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(input.data()));
  stream.avail_in = input.size();
  stream.next_out = reinterpret_cast<Bytef *>(output.data());
  stream.avail_out = output.size();
  int status = inflate(&stream, Z_FINISH);
  uint64_t produced = stream.total_out;
  inflateEnd(&stream);
  if (status != Z_STREAM_END || produced != size)
    return makeError("corrupt deflate data");
  return output;
}

llvm::Expected<std::vector<std::pair<std::string, NpyArray>>>
fp4::readNpz(StringRef path) {
  llvm::Expected<std::string> file = readFile(path);
  if (!file)
    return file.takeError();
  StringRef bytes = *file;
  auto fail = [&](const llvm::Twine &message) {
    return makeError(path + ": " + message);
  };
  // The end-of-central-directory record: the last signature within the final
  // 64 KiB + 22 bytes (a trailing comment may follow it).
  if (bytes.size() < 22)
    return fail("not an .npz (ZIP) archive");
  size_t end = StringRef::npos;
  size_t lowest = bytes.size() > 22 + 0xffff ? bytes.size() - 22 - 0xffff : 0;
  for (size_t i = bytes.size() - 22 + 1; i-- > lowest;)
    if (readLE(bytes, i, 4) == kEndSig) {
      end = i;
      break;
    }
  if (end == StringRef::npos)
    return fail("not an .npz (ZIP) archive");
  uint64_t numEntries = readLE(bytes, end + 10, 2);
  uint64_t centralSize = readLE(bytes, end + 12, 4);
  uint64_t centralOffset = readLE(bytes, end + 16, 4);
  if (centralOffset == kZipLimit || numEntries == 0xffff) {
    // ZIP64: the locator (20 bytes) precedes the end record.
    if (end < 20 || readLE(bytes, end - 20, 4) != 0x07064b50)
      return fail("corrupt ZIP64 end of central directory");
    uint64_t record = readLE(bytes, end - 20 + 8, 8);
    if (record + 56 > bytes.size() || readLE(bytes, record, 4) != kZip64EndSig)
      return fail("corrupt ZIP64 end of central directory");
    numEntries = readLE(bytes, record + 32, 8);
    centralSize = readLE(bytes, record + 40, 8);
    centralOffset = readLE(bytes, record + 48, 8);
  }
  if (centralOffset + centralSize > bytes.size())
    return fail("corrupt central directory");

  std::vector<std::pair<std::string, NpyArray>> result;
  uint64_t pos = centralOffset;
  for (uint64_t e = 0; e < numEntries; ++e) {
    if (pos + 46 > bytes.size() || readLE(bytes, pos, 4) != kCentralHeaderSig)
      return fail("corrupt central directory");
    uint64_t flags = readLE(bytes, pos + 8, 2);
    uint64_t method = readLE(bytes, pos + 10, 2);
    uint32_t crc = readLE(bytes, pos + 16, 4);
    uint64_t compressed = readLE(bytes, pos + 20, 4);
    uint64_t size = readLE(bytes, pos + 24, 4);
    uint64_t nameLength = readLE(bytes, pos + 28, 2);
    uint64_t extraLength = readLE(bytes, pos + 30, 2);
    uint64_t commentLength = readLE(bytes, pos + 32, 2);
    uint64_t offset = readLE(bytes, pos + 42, 4);
    if (pos + 46 + nameLength + extraLength + commentLength > bytes.size())
      return fail("corrupt central directory");
    std::string name = bytes.substr(pos + 46, nameLength).str();
    // ZIP64 extended information: the 64-bit values of the saturated fields,
    // in this order.
    StringRef extra = bytes.substr(pos + 46 + nameLength, extraLength);
    for (size_t x = 0; x + 4 <= extra.size();) {
      uint64_t id = readLE(extra, x, 2), length = readLE(extra, x + 2, 2);
      if (x + 4 + length > extra.size())
        break;
      if (id == 1) {
        size_t f = x + 4;
        for (uint64_t *field : {&size, &compressed, &offset})
          if (*field == kZipLimit && f + 8 <= x + 4 + length) {
            *field = readLE(extra, f, 8);
            f += 8;
          }
      }
      x += 4 + length;
    }
    pos += 46 + nameLength + extraLength + commentLength;

    if (flags & 1)
      return fail("member '" + name + "' is encrypted");
    if (offset + 30 > bytes.size() ||
        readLE(bytes, offset, 4) != kLocalHeaderSig)
      return fail("corrupt local header of member '" + name + "'");
    uint64_t dataOffset = offset + 30 + readLE(bytes, offset + 26, 2) +
                          readLE(bytes, offset + 28, 2);
    if (dataOffset + compressed > bytes.size())
      return fail("member '" + name + "' is truncated");
    StringRef stored = bytes.substr(dataOffset, compressed);
    std::string inflated;
    if (method == 8) {
      llvm::Expected<std::string> data = inflateRaw(stored, size);
      if (!data)
        return fail("member '" + name +
                    "': " + llvm::toString(data.takeError()));
      inflated = std::move(*data);
      stored = inflated;
    } else if (method != 0 || compressed != size) {
      return fail("member '" + name + "' uses unsupported compression " +
                  llvm::Twine(method));
    }
    if (llvm::crc32(llvm::arrayRefFromStringRef(stored)) != crc)
      return fail("member '" + name + "' fails its CRC-32 check");
    if (!StringRef(name).ends_with(".npy"))
      continue;
    std::string key = StringRef(name).drop_back(4).str();
    llvm::Expected<NpyArray> array = parseNpy(stored, (path + ":" + key).str());
    if (!array)
      return array.takeError();
    result.emplace_back(std::move(key), std::move(*array));
  }
  return std::move(result);
}
