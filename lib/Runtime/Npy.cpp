//===- Npy.cpp - NumPy .npy arrays ----------------------------------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// The format (numpy/lib/format.py): the magic "\x93NUMPY", a major and minor
// version byte, the header length (uint16 for 1.0, uint32 for 2.0 and 3.0),
// and the header: a Python dict literal with exactly the keys 'descr',
// 'fortran_order' and 'shape', padded with spaces and a final newline. The
// raw C-ordered data follows.
//
//===----------------------------------------------------------------------===//

#include "fp4/Runtime/Npy.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace fp4;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// DType
//===----------------------------------------------------------------------===//

size_t fp4::getDTypeSize(DType dtype) {
  switch (dtype) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F16:
    return 2;
  case DType::I8:
  case DType::U8:
    return 1;
  case DType::I64:
  case DType::F64:
    return 8;
  }
  llvm_unreachable("unknown dtype");
}

StringRef fp4::getDTypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "float32";
  case DType::F16:
    return "float16";
  case DType::I8:
    return "int8";
  case DType::U8:
    return "uint8";
  case DType::I32:
    return "int32";
  case DType::I64:
    return "int64";
  case DType::F64:
    return "float64";
  }
  llvm_unreachable("unknown dtype");
}

StringRef fp4::getDTypeDescr(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "<f4";
  case DType::F16:
    return "<f2";
  case DType::I8:
    return "|i1";
  case DType::U8:
    return "|u1";
  case DType::I32:
    return "<i4";
  case DType::I64:
    return "<i8";
  case DType::F64:
    return "<f8";
  }
  llvm_unreachable("unknown dtype");
}

std::optional<DType> fp4::parseDTypeDescr(StringRef descr) {
  return llvm::StringSwitch<std::optional<DType>>(descr)
      .Case("<f4", DType::F32)
      .Case("<f2", DType::F16)
      .Case("|i1", DType::I8)
      .Case("|u1", DType::U8)
      .Case("<i4", DType::I32)
      .Case("<i8", DType::I64)
      .Case("<f8", DType::F64)
      .Default(std::nullopt);
}

//===----------------------------------------------------------------------===//
// NpyArray
//===----------------------------------------------------------------------===//

void NpyArray::Deleter::operator()(char *ptr) const { std::free(ptr); }

NpyArray::NpyArray(DType dtype, llvm::ArrayRef<int64_t> shape)
    : dtype(dtype), shape(shape.begin(), shape.end()) {
  numBytes = static_cast<size_t>(getNumElements()) * getDTypeSize(dtype);
  // 64-byte alignment matches the buffers the compiled code allocates itself;
  // aligned_alloc wants a multiple of the alignment (and a non-zero size).
  size_t allocBytes = llvm::alignTo(std::max<size_t>(numBytes, 1), 64);
  storage.reset(static_cast<char *>(std::aligned_alloc(64, allocBytes)));
  if (!storage)
    llvm::report_bad_alloc_error("cannot allocate an NpyArray");
  std::memset(storage.get(), 0, allocBytes);
}

void NpyArray::setDType(DType newType) {
  assert(getDTypeSize(newType) == getDTypeSize(dtype) &&
         "can only reinterpret as a dtype of the same size");
  dtype = newType;
}

int64_t NpyArray::getNumElements() const {
  int64_t n = 1;
  for (int64_t dim : shape)
    n *= dim;
  return n;
}

std::string NpyArray::describe() const {
  std::string result;
  llvm::raw_string_ostream os(result);
  os << getDTypeName(dtype) << " [";
  llvm::interleaveComma(shape, os);
  os << "]";
  return result;
}

/// Returns the shortest decimal spelling of `value` that reads back as the
/// same value of the element type `semantics`: positional notation for
/// decimal exponents in [-4, 16), scientific otherwise (as NumPy does).
static std::string formatFloat(double value,
                               const llvm::fltSemantics &semantics) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value < 0 ? "-inf" : "inf";
  llvm::APFloat original(value);
  bool losesInfo = false;
  original.convert(semantics, llvm::APFloat::rmNearestTiesToEven, &losesInfo);
  char buffer[64];
  int digits = 1;
  for (; digits < 17; ++digits) {
    std::snprintf(buffer, sizeof(buffer), "%.*e", digits - 1, value);
    llvm::APFloat reread(std::strtod(buffer, nullptr));
    reread.convert(semantics, llvm::APFloat::rmNearestTiesToEven, &losesInfo);
    if (reread.bitwiseIsEqual(original))
      break;
  }
  // `buffer` now holds "d.ddde[+-]XX" with `digits` significant digits.
  int exponent = std::atoi(std::strchr(buffer, 'e') + 1);
  if (exponent < -4 || exponent >= 16)
    return buffer;
  std::snprintf(buffer, sizeof(buffer), "%.*f",
                std::max(0, digits - 1 - exponent), value);
  return buffer;
}

/// Formats element `index` of `array`.
static std::string formatElement(const NpyArray &array, int64_t index) {
  switch (array.getDType()) {
  case DType::F32:
    return formatFloat(array.getAs<float>()[index],
                       llvm::APFloat::IEEEsingle());
  case DType::F16: {
    llvm::APFloat half(llvm::APFloat::IEEEhalf(),
                       llvm::APInt(16, array.getAs<uint16_t>()[index]));
    return formatFloat(half.convertToFloat(), llvm::APFloat::IEEEhalf());
  }
  case DType::I8:
    return std::to_string(array.getAs<int8_t>()[index]);
  case DType::U8:
    return std::to_string(array.getAs<uint8_t>()[index]);
  case DType::I32:
    return std::to_string(array.getAs<int32_t>()[index]);
  case DType::I64:
    return std::to_string(array.getAs<int64_t>()[index]);
  case DType::F64:
    return formatFloat(array.getAs<double>()[index],
                       llvm::APFloat::IEEEdouble());
  }
  llvm_unreachable("unknown dtype");
}

namespace {
/// Prints nested lists with NumPy's summarization: `edgeItems` leading and
/// trailing entries per dimension when the array is large.
struct ValuePrinter {
  const NpyArray &array;
  llvm::raw_ostream &os;
  bool summarize;
  static constexpr int64_t edgeItems = 3;

  void print(unsigned dim, int64_t offset, int64_t stride) {
    llvm::ArrayRef<int64_t> shape = array.getShape();
    if (dim == shape.size()) {
      os << formatElement(array, offset);
      return;
    }
    int64_t size = shape[dim];
    int64_t innerStride = size == 0 ? 0 : stride / size;
    os << "[";
    bool elide = summarize && size > 2 * edgeItems;
    for (int64_t i = 0; i < size; ++i) {
      if (elide && i == edgeItems) {
        os << "...";
        i = size - edgeItems - 1;
        separate(dim);
        continue;
      }
      print(dim + 1, offset + i * innerStride, innerStride);
      if (i + 1 < size)
        separate(dim);
    }
    os << "]";
  }

  /// Separator between two entries of dimension `dim`: ", " for the last
  /// dimension, a comma and newline(s) plus indentation otherwise.
  void separate(unsigned dim) {
    unsigned rank = array.getShape().size();
    if (dim + 1 == rank) {
      os << ", ";
      return;
    }
    os << ",";
    for (unsigned i = dim + 1; i < rank; ++i)
      os << "\n";
    os.indent(dim + 1);
  }
};
} // namespace

void NpyArray::printValues(llvm::raw_ostream &os) const {
  ValuePrinter printer{*this, os, getNumElements() > 1000};
  printer.print(0, 0, getNumElements());
}

//===----------------------------------------------------------------------===//
// Header parsing
//===----------------------------------------------------------------------===//

namespace {
/// A strict parser for the Python dict literal of a `.npy` header.
class HeaderParser {
public:
  explicit HeaderParser(StringRef text) : text(text) {}

  /// Parses the header; on failure returns a message after "malformed
  /// header: ".
  std::optional<std::string> parse() {
    skipSpace();
    if (!consume('{'))
      return std::string("expected '{'");
    bool seenDescr = false, seenOrder = false, seenShape = false;
    while (true) {
      skipSpace();
      if (consume('}'))
        break;
      std::string key;
      if (!parseString(key))
        return std::string("expected a quoted key or '}'");
      skipSpace();
      if (!consume(':'))
        return "expected ':' after '" + key + "'";
      skipSpace();
      if (key == "descr") {
        if (seenDescr)
          return std::string("duplicate key 'descr'");
        seenDescr = true;
        if (!parseString(descr))
          return std::string("'descr' must be a string (structured dtypes "
                             "are not supported)");
      } else if (key == "fortran_order") {
        if (seenOrder)
          return std::string("duplicate key 'fortran_order'");
        seenOrder = true;
        if (consumeWord("True"))
          fortranOrder = true;
        else if (consumeWord("False"))
          fortranOrder = false;
        else
          return std::string("'fortran_order' must be True or False");
      } else if (key == "shape") {
        if (seenShape)
          return std::string("duplicate key 'shape'");
        seenShape = true;
        if (std::optional<std::string> error = parseShape())
          return error;
      } else {
        return "unexpected key '" + key + "'";
      }
      skipSpace();
      if (consume(','))
        continue;
      skipSpace();
      if (consume('}'))
        break;
      return std::string("expected ',' or '}'");
    }
    if (!seenDescr)
      return std::string("missing key 'descr'");
    if (!seenOrder)
      return std::string("missing key 'fortran_order'");
    if (!seenShape)
      return std::string("missing key 'shape'");
    skipSpace();
    if (pos != text.size())
      return std::string("unexpected characters after the dict");
    return std::nullopt;
  }

  std::string descr;
  bool fortranOrder = false;
  llvm::SmallVector<int64_t, 4> shape;

private:
  std::optional<std::string> parseShape() {
    if (!consume('('))
      return std::string("'shape' must be a tuple");
    skipSpace();
    if (consume(')'))
      return std::nullopt;
    while (true) {
      skipSpace();
      size_t start = pos;
      while (pos < text.size() && llvm::isDigit(text[pos]))
        ++pos;
      int64_t dim;
      if (start == pos || text.substr(start, pos - start).getAsInteger(10, dim))
        return std::string("'shape' must contain non-negative integers");
      shape.push_back(dim);
      skipSpace();
      if (consume(')')) {
        // Python spells a 1-tuple "(n,)"; "(n)" is an int.
        if (shape.size() == 1)
          return std::string("'shape' must be a tuple");
        return std::nullopt;
      }
      if (!consume(','))
        return std::string("expected ',' or ')' in 'shape'");
      skipSpace();
      if (consume(')'))
        return std::nullopt;
    }
  }

  bool parseString(std::string &result) {
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return false;
    char quote = text[pos++];
    size_t end = text.find(quote, pos);
    if (end == StringRef::npos)
      return false;
    result = text.substr(pos, end - pos).str();
    if (StringRef(result).contains('\\'))
      return false;
    pos = end + 1;
    return true;
  }

  bool consumeWord(StringRef word) {
    if (!text.substr(pos).starts_with(word))
      return false;
    size_t end = pos + word.size();
    if (end < text.size() && (llvm::isAlnum(text[end]) || text[end] == '_'))
      return false;
    pos = end;
    return true;
  }

  bool consume(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }

  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  StringRef text;
  size_t pos = 0;
};
} // namespace

static llvm::Error makeError(StringRef name, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 (name + ": " + message).str());
}

static constexpr char kMagic[] = "\x93NUMPY";
static constexpr size_t kMagicSize = 6;

llvm::Expected<NpyArray> fp4::parseNpy(StringRef contents, StringRef name) {
  if (contents.size() < kMagicSize ||
      contents.substr(0, kMagicSize) != StringRef(kMagic, kMagicSize))
    return makeError(name, "not a .npy file (bad magic)");
  if (contents.size() < kMagicSize + 2)
    return makeError(name, "truncated: no format version");
  unsigned major = static_cast<unsigned char>(contents[kMagicSize]);
  unsigned minor = static_cast<unsigned char>(contents[kMagicSize + 1]);
  if (major < 1 || major > 3 || minor != 0)
    return makeError(name, "unsupported .npy format version " +
                               llvm::Twine(major) + "." + llvm::Twine(minor));
  size_t lengthSize = major == 1 ? 2 : 4;
  size_t prefixSize = kMagicSize + 2 + lengthSize;
  if (contents.size() < prefixSize)
    return makeError(name, "truncated: no header length");
  const char *lengthPtr = contents.data() + kMagicSize + 2;
  uint64_t headerSize = major == 1 ? llvm::support::endian::read16le(lengthPtr)
                                   : llvm::support::endian::read32le(lengthPtr);
  if (contents.size() - prefixSize < headerSize)
    return makeError(name, "truncated: the header needs " +
                               llvm::Twine(headerSize) + " bytes, found " +
                               llvm::Twine(contents.size() - prefixSize));
  StringRef header = contents.substr(prefixSize, headerSize);
  if (header.empty() || header.back() != '\n')
    return makeError(name, "malformed header: it does not end in a newline");

  HeaderParser parser(header);
  if (std::optional<std::string> error = parser.parse())
    return makeError(name, "malformed header: " + *error);
  if (parser.fortranOrder)
    return makeError(name, "fortran_order arrays are not supported "
                           "(save a C-ordered array)");
  std::optional<DType> dtype = parseDTypeDescr(parser.descr);
  if (!dtype)
    return makeError(name, "unsupported dtype '" + parser.descr +
                               "' (supported: <f4, <f8, <f2, |i1, |u1, <i4, <i8)");

  // Guard the element count against overflow before allocating.
  uint64_t numBytes = getDTypeSize(*dtype);
  for (int64_t dim : parser.shape) {
    if (dim != 0 && numBytes > (uint64_t(1) << 48) / uint64_t(dim))
      return makeError(name, "array too large");
    numBytes *= uint64_t(dim);
  }
  StringRef data = contents.substr(prefixSize + headerSize);
  if (data.size() < numBytes)
    return makeError(name, "truncated: expected " + llvm::Twine(numBytes) +
                               " data bytes, found " +
                               llvm::Twine(data.size()));
  if (data.size() > numBytes)
    return makeError(name, "size mismatch: expected " + llvm::Twine(numBytes) +
                               " data bytes, found " +
                               llvm::Twine(data.size()));

  NpyArray array(*dtype, parser.shape);
  if (numBytes)
    std::memcpy(array.data(), data.data(), numBytes);
  return std::move(array);
}

llvm::Expected<NpyArray> fp4::readNpy(StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (std::error_code ec = buffer.getError())
    return makeError(path, "cannot read: " + ec.message());
  return parseNpy((*buffer)->getBuffer(), path);
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

std::string fp4::serializeNpy(const NpyArray &array) {
  std::string dict;
  llvm::raw_string_ostream os(dict);
  os << "{'descr': '" << getDTypeDescr(array.getDType())
     << "', 'fortran_order': False, 'shape': (";
  // Python tuples: "()", "(3,)", "(3, 4)".
  llvm::interleaveComma(array.getShape(), os);
  if (array.getRank() == 1)
    os << ",";
  os << "), }";

  // Version 1.0 unless the header needs more than 64 KiB.
  bool v1 = dict.size() + 1 + 10 < 65536 - 64;
  size_t prefixSize = kMagicSize + 2 + (v1 ? 2 : 4);
  size_t headerSize =
      llvm::alignTo(prefixSize + dict.size() + 1, 64) - prefixSize;
  std::string header = dict;
  header.append(headerSize - dict.size() - 1, ' ');
  header.push_back('\n');

  std::string result(kMagic, kMagicSize);
  result.push_back(v1 ? 1 : 2);
  result.push_back(0);
  char length[4];
  if (v1) {
    llvm::support::endian::write16le(length, headerSize);
    result.append(length, 2);
  } else {
    llvm::support::endian::write32le(length, headerSize);
    result.append(length, 4);
  }
  result += header;
  result.append(array.data(), array.getNumBytes());
  return result;
}

namespace {
/// A temporary file next to its destination, removed unless committed.
struct PendingFile {
  std::string path;
  llvm::SmallString<128> tempPath;
  bool committed = false;
  ~PendingFile() {
    if (!tempPath.empty() && !committed)
      llvm::sys::fs::remove(tempPath);
  }
};
} // namespace

/// Writes `array` to a fresh temporary file next to `pending.path`.
static llvm::Error writeTemporary(PendingFile &pending, const NpyArray &array) {
  StringRef path = pending.path;
  StringRef dir = llvm::sys::path::parent_path(path);
  llvm::SmallString<128> model(dir.empty() ? "." : dir);
  llvm::sys::path::append(model, "." + llvm::sys::path::filename(path) +
                                     ".tmp-%%%%%%%%");
  int fd;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueFile(model, fd, pending.tempPath))
    return makeError(path, "cannot write: " + ec.message());
  llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
  os << serializeNpy(array);
  os.close();
  if (os.has_error()) {
    std::error_code ec = os.error();
    os.clear_error();
    return makeError(path, "cannot write: " + ec.message());
  }
  return llvm::Error::success();
}

llvm::Error fp4::writeNpyFiles(
    llvm::ArrayRef<std::pair<std::string, const NpyArray *>> files) {
  std::vector<PendingFile> pending(files.size());
  for (auto [file, entry] : llvm::zip_equal(pending, files)) {
    file.path = entry.first;
    if (llvm::Error error = writeTemporary(file, *entry.second))
      return error;
  }
  for (PendingFile &file : pending) {
    if (std::error_code ec = llvm::sys::fs::rename(file.tempPath, file.path))
      return makeError(file.path, "cannot write: " + ec.message());
    file.committed = true;
  }
  return llvm::Error::success();
}

llvm::Error fp4::writeNpy(StringRef path, const NpyArray &array) {
  std::pair<std::string, const NpyArray *> file(path.str(), &array);
  return writeNpyFiles(file);
}
