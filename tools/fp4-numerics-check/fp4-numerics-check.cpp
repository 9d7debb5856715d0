//===- fp4-numerics-check.cpp - Check compiled fp4 numerics -----*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// A test-only tool: generates f32 inputs that cover every special value and
// boundary of every format, and compares what compiled fp4 code wrote (the
// .npy outputs of fp4-run) with the numerics library (FP4Numerics), bit for
// bit.
//
//   fp4-numerics-check gen -o x.npy --count N [--shape AxB..]
//       [--set I=V,..] (--seed S [--format F] [--scale S] | --constant V |
//       --seed S --uniform LO,HI | --seed S --log-uniform ELO,EHI)
//   fp4-numerics-check scalar -o s.npy (--f32 V | --i64 V | --i32 V)
//   fp4-numerics-check quantize --format F --input x.npy --scale S
//       --codes c.npy [--counters n.npy]
//       [--rounding stochastic --seed SEED --stream ID]
//   fp4-numerics-check dequantize --format F --codes c.npy --scale S
//       --values y.npy
//   fp4-numerics-check matmul --format-a F --format-b G --a ca.npy
//       --b cb.npy --scale-a SA --scale-b SB --m M --n N --k K
//       [--transpose-a] [--transpose-b] [--accumulation f32|f16 --chunk C]
//       [--expect-exact-f64] --result r.npy
//   fp4-numerics-check gradscale --format F --mode delayed|current
//       --input g.npy --scale S --result r.npy --next n.npy
//   fp4-numerics-check sawb --input w.npy --scale s.npy
//   fp4-numerics-check amax --format F --input x.npy --scale s.npy
//   fp4-numerics-check sr-mean --format F --value V --scale S --codes c.npy
//       [--count N]
//   fp4-numerics-check sr-repeat --codes a.npy --codes2 b.npy
//       [--expect same|different]
//
// gen without --constant/--uniform/--log-uniform first writes every special
// value of every format (or of --format F), mapped through --scale so that
// fl32(x * scale) hits them where such an f32 x exists, then random values
// (alternately uniformly random bit patterns and random sign/mantissa with an
// exponent uniform in [-40, 20]); it is deterministic for a seed (splitmix64).
//
// Codes files hold the storage bytes of SPEC section 3 whatever their dtype
// (uint8/int8 for 4- and 8-bit formats; a float16 array holds the raw 16-bit
// codes of f16/bf16, since .npy i16 is not supported by fp4-run). Numbers on
// the command line are parsed with strtof/strtod (decimal or hex floats, inf,
// nan). Every check prints one summary line "..., K mismatches" (plus up to 8
// example mismatches) and exits 1 when K > 0; every error is one line
// "fp4-numerics-check: error: ..." with exit code 1.
//
//===----------------------------------------------------------------------===//

#include "fp4/Numerics/MiniFloat.h"
#include "fp4/Numerics/Numerics.h"
#include "fp4/Runtime/Npy.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

using namespace fp4;
using namespace fp4::numerics;

namespace {

//===----------------------------------------------------------------------===//
// Errors, bits, printing
//===----------------------------------------------------------------------===//

[[noreturn]] void fail(const llvm::Twine &message) {
  llvm::outs().flush();
  llvm::errs() << "fp4-numerics-check: error: " << message << "\n";
  std::exit(1);
}

uint32_t bitsOf(float x) {
  uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

float floatOf(uint32_t b) {
  float x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

/// Bitwise equality, except that any two NaNs are equal.
bool sameFloat(float a, float b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b);
  return bitsOf(a) == bitsOf(b);
}

/// "0x3f800000 (1)".
std::string describeFloat(float x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "0x%08x (%.9g)", bitsOf(x),
                static_cast<double>(x));
  return buf;
}

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

/// Distance in f32 ulps (ordered integer distance; +0 and -0 are 0 apart).
uint64_t ulpDistance(float a, float b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b) ? 0 : UINT64_MAX;
  auto ordered = [](float x) -> int64_t {
    uint32_t u = bitsOf(x);
    return (u & 0x80000000u) ? -static_cast<int64_t>(u & 0x7FFFFFFFu)
                             : static_cast<int64_t>(u);
  };
  int64_t d = ordered(a) - ordered(b);
  return static_cast<uint64_t>(d < 0 ? -d : d);
}

//===----------------------------------------------------------------------===//
// Command line
//===----------------------------------------------------------------------===//

/// Options of one subcommand: "--name value" (or "-o value") and flags.
class Options {
public:
  Options(std::string command, int argc, char **argv,
          std::set<std::string> valueOpts, std::set<std::string> flagOpts)
      : command(std::move(command)) {
    for (int i = 0; i < argc; ++i) {
      std::string arg = argv[i];
      std::string name = arg;
      std::optional<std::string> value;
      if (arg.rfind("--", 0) == 0) {
        size_t eq = arg.find('=');
        if (eq != std::string::npos) {
          name = arg.substr(0, eq);
          value = arg.substr(eq + 1);
        }
      } else if (arg != "-o") {
        fail(this->command + ": unexpected argument '" + arg + "'");
      }
      if (flagOpts.count(name)) {
        if (value)
          fail(this->command + ": option '" + name + "' takes no value");
        flags.insert(name);
        continue;
      }
      if (!valueOpts.count(name))
        fail(this->command + ": unknown option '" + name + "'");
      if (!value) {
        if (i + 1 >= argc)
          fail(this->command + ": option '" + name + "' needs a value");
        value = argv[++i];
      }
      if (values.count(name))
        fail(this->command + ": option '" + name + "' given twice");
      values[name] = *value;
    }
  }

  bool has(const std::string &name) const {
    return values.count(name) || flags.count(name);
  }
  bool flag(const std::string &name) const { return flags.count(name); }

  std::string str(const std::string &name) const {
    auto it = values.find(name);
    if (it == values.end())
      fail(command + ": missing option '" + name + "'");
    return it->second;
  }

  std::string str(const std::string &name, const std::string &dflt) const {
    return has(name) ? str(name) : dflt;
  }

  float f32(const std::string &name) const {
    std::string s = str(name);
    errno = 0;
    char *end = nullptr;
    float v = std::strtof(s.c_str(), &end);
    if (s.empty() || *end != '\0')
      fail(command + ": option '" + name + "': '" + s + "' is not a number");
    return v;
  }

  double f64(const std::string &name) const {
    std::string s = str(name);
    char *end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0')
      fail(command + ": option '" + name + "': '" + s + "' is not a number");
    return v;
  }

  uint64_t u64(const std::string &name) const {
    std::string s = str(name);
    char *end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(s.c_str(), &end, 0);
    if (s.empty() || *end != '\0' || errno || s[0] == '-')
      fail(command + ": option '" + name + "': '" + s +
           "' is not a non-negative integer");
    return v;
  }

  int64_t i64(const std::string &name) const {
    std::string s = str(name);
    char *end = nullptr;
    errno = 0;
    long long v = std::strtoll(s.c_str(), &end, 0);
    if (s.empty() || *end != '\0' || errno)
      fail(command + ": option '" + name + "': '" + s + "' is not an integer");
    return v;
  }

  Format format(const std::string &name) const {
    std::string s = str(name);
    std::string norm = s;
    std::replace(norm.begin(), norm.end(), '-', '_');
    std::optional<Format> f = parseFormat(norm);
    if (!f)
      fail(command + ": option '" + name + "': unknown format '" + s +
           "' (radix4_even, radix4_odd, radix2_fp4, e2m1, int4, uint4, e4m3, "
           "e5m2, f16, bf16)");
    return *f;
  }

  const std::string command;

private:
  std::map<std::string, std::string> values;
  std::set<std::string> flags;
};

NpyArray load(const std::string &path) {
  llvm::Expected<NpyArray> array = readNpy(path);
  if (!array)
    fail(llvm::toString(array.takeError()));
  return std::move(*array);
}

void save(const std::string &path, const NpyArray &array) {
  if (llvm::Error error = writeNpy(path, array))
    fail(llvm::toString(std::move(error)));
}

/// Loads a float32 array.
NpyArray loadF32(const std::string &path) {
  NpyArray a = load(path);
  if (a.getDType() != DType::F32)
    fail(path + ": expected a float32 array, found " + a.describe());
  return a;
}

/// Loads a float32 scalar (a 0-d array or any array of one element).
float loadF32Scalar(const std::string &path) {
  NpyArray a = loadF32(path);
  if (a.getNumElements() != 1)
    fail(path + ": expected one float32 value, found " + a.describe());
  return a.getAs<float>()[0];
}

/// Loads the storage bytes of \p n codes of format \p f.
NpyArray loadCodes(const std::string &path, Format f, size_t n) {
  NpyArray a = load(path);
  if (a.getNumBytes() != storageBytes(f, n))
    fail(path + ": expected " + llvm::Twine(storageBytes(f, n)) +
         " bytes of codes for " + llvm::Twine(n) + " " + formatName(f) +
         " elements, found " + a.describe() + " (" +
         llvm::Twine(a.getNumBytes()) + " bytes)");
  return a;
}

/// Code of element \p i of storage \p bytes.
uint16_t codeAt(const uint8_t *bytes, Format f, size_t i) {
  switch (bitWidth(f)) {
  case 4:
    return (bytes[i >> 1] >> ((i & 1) * 4)) & 15;
  case 8:
    return bytes[i];
  default:
    return static_cast<uint16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8));
  }
}

/// Flushes the report; the exit code is 1 when there are mismatches.
int finish(uint64_t mismatches) {
  llvm::outs().flush();
  return mismatches ? 1 : 0;
}

//===----------------------------------------------------------------------===//
// gen / scalar
//===----------------------------------------------------------------------===//

/// splitmix64: a small, fully specified generator (the values must not
/// depend on the standard library's distributions).
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

/// Finite non-negative magnitudes of format \p f (format units), sorted.
std::vector<float> gridMagnitudes(Format f) {
  std::vector<float> g;
  unsigned codes = 1u << bitWidth(f);
  for (unsigned c = 0; c < codes; ++c) {
    float v = decode(static_cast<uint16_t>(c), f);
    if (std::isfinite(v) && !std::signbit(v))
      g.push_back(v);
  }
  std::sort(g.begin(), g.end());
  g.erase(std::unique(g.begin(), g.end()), g.end());
  return g;
}

/// Special targets in format units.
class SpecialList {
public:
  /// x and its f32 neighbours, both signs.
  void addWithNeighbours(float x) {
    if (!std::isfinite(x))
      return;
    x = std::fabs(x);
    for (float v : {x, std::nextafter(x, INFINITY), std::nextafter(x, 0.0f)}) {
      if (!std::isfinite(v))
        continue;
      values.push_back(v);
      values.push_back(-v);
    }
  }
  std::vector<float> values;
};

/// Every special value of format \p f in format units.
void addFormatSpecials(Format f, SpecialList &list) {
  std::vector<float> g = gridMagnitudes(f);
  for (float v : g)
    list.addWithNeighbours(v);
  // Midpoints (ties) between adjacent grid values; exact in f32 for every
  // format (at most 11 significant bits).
  for (size_t i = 0; i + 1 < g.size(); ++i)
    list.addWithNeighbours(static_cast<float>(
        (static_cast<double>(g[i]) + static_cast<double>(g[i + 1])) / 2));
  // Saturation: the midpoint to, and the value of, the grid point that would
  // follow max with the last spacing (f16 65520, bf16 0x1.ffp127, e4m3 464,
  // e5m2 61440, int4 7.5/8, ...), and the f32 max of the input range.
  if (g.size() >= 2) {
    double mx = g.back(), step = mx - g[g.size() - 2];
    list.addWithNeighbours(static_cast<float>(mx + step / 2));
    list.addWithNeighbours(static_cast<float>(mx + step));
    list.addWithNeighbours(static_cast<float>(2 * mx));
  }
  switch (f) {
  case Format::Radix4Even:
  case Format::Radix4Odd:
    // The thresholds 4^n/1.6 = 0x1.4p(2n-1) (even) / 0x1.4p(2n-2) (odd), and
    // the f32 quotients 4^n / 1.6f.
    for (int n = -4; n <= 4; ++n) {
      int shift = f == Format::Radix4Even ? 2 * n - 1 : 2 * n - 2;
      list.addWithNeighbours(std::ldexp(1.25f, shift));
      float p = std::ldexp(1.0f, 2 * n);
      if (f == Format::Radix4Odd)
        p *= 0.5f;
      list.addWithNeighbours(p / 1.6f);
      list.addWithNeighbours(static_cast<float>(p / 1.6));
    }
    // The SPEC's "25" (erratum) and its worked values.
    for (float v : {25.0f, 39.9f, 40.0f, 0.009f, 0.0098f, 0.15f, 0.16f, 0.6f,
                    0.625f, 2.4f, 2.5f, 9.9f, 10.0f, 0.1f, 1000.0f})
      list.addWithNeighbours(v);
    break;
  case Format::Radix2FP4:
    for (float v : {1.0f / 16, 3.0f / 32, 1.0f / 32, 0.75f, 12.0f})
      list.addWithNeighbours(v);
    break;
  case Format::E2M1:
    for (float v : {0.25f, 0.26f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f, 5.1f,
                    7.0f, 0.3f})
      list.addWithNeighbours(v);
    break;
  default:
    break;
  }
}

/// Raw f32 specials, used without a scale.
std::vector<float> rawSpecials() {
  std::vector<float> v;
  for (uint32_t b :
       {0x00000000u, 0x7F800000u, 0x7FC00000u, 0x7F800001u, 0x7FBFFFFFu,
        0x7FC00001u, 0x7FFFFFFFu, 0x7FA00000u, 0x7FD55555u, 0x7F80FFFFu,
        0x00000001u, 0x00000002u, 0x007FFFFFu, 0x00400000u, 0x00800000u,
        0x00800001u, 0x7F7FFFFFu, 0x7F7FFFFEu, 0x3F800000u, 0x1F800000u,
        0x5F800000u}) {
    v.push_back(floatOf(b));
    v.push_back(floatOf(b | 0x80000000u));
  }
  return v;
}

/// An f32 x with fl32(x * scale) == t when there is one near t / scale, else
/// t / scale.
float preimage(float t, float scale) {
  if (scale == 1.0f || !std::isfinite(t) || t == 0.0f)
    return t;
  float x0 = t / scale;
  if (!std::isfinite(x0))
    return x0;
  if (x0 * scale == t)
    return x0;
  float lo = x0, hi = x0;
  for (int i = 0; i < 8; ++i) {
    lo = std::nextafter(lo, -INFINITY);
    hi = std::nextafter(hi, INFINITY);
    if (lo * scale == t)
      return lo;
    if (hi * scale == t)
      return hi;
  }
  return x0;
}

/// Splits "a,b,c" (or "AxBxC" with \p sep 'x').
std::vector<std::string> split(const std::string &s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos - start));
    if (pos == std::string::npos)
      return parts;
    start = pos + 1;
  }
}

float parseF32(const std::string &what, const std::string &s) {
  char *end = nullptr;
  float v = std::strtof(s.c_str(), &end);
  if (s.empty() || *end != '\0')
    fail(what + ": '" + s + "' is not a number");
  return v;
}

int64_t parseI64(const std::string &what, const std::string &s) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 0);
  if (s.empty() || *end != '\0' || errno)
    fail(what + ": '" + s + "' is not an integer");
  return v;
}

/// Uniform double in [0, 1) from 53 random bits.
double unit(SplitMix64 &rng) { return (rng.next() >> 11) * 0x1p-53; }

int cmdGen(const Options &o) {
  std::string out = o.str("-o");
  uint64_t count = o.u64("--count");
  std::vector<int64_t> shape{static_cast<int64_t>(count)};
  if (o.has("--shape")) {
    shape.clear();
    int64_t total = 1;
    for (const std::string &d : split(o.str("--shape"), 'x')) {
      int64_t v = parseI64("gen: --shape", d);
      if (v < 0)
        fail("gen: --shape: negative dimension");
      shape.push_back(v);
      total *= v;
    }
    if (static_cast<uint64_t>(total) != count)
      fail("gen: --shape " + o.str("--shape") + " does not hold --count " +
           llvm::Twine(count) + " elements");
  }
  NpyArray array(DType::F32, shape);
  float *x = array.getAs<float>();
  int kinds = o.has("--constant") + o.has("--uniform") + o.has("--log-uniform");
  if (kinds > 1)
    fail("gen: give at most one of --constant, --uniform, --log-uniform");
  if (kinds && (o.has("--format") || o.has("--scale")))
    fail("gen: --format/--scale only apply to the special-value generator");
  std::string what;
  if (o.has("--constant")) {
    if (o.has("--seed"))
      fail("gen: --constant does not take --seed");
    float v = o.f32("--constant");
    std::fill(x, x + count, v);
    what = "constant " + describeFloat(v);
  } else if (o.has("--uniform")) {
    // lo + (hi - lo) * u, evaluated in f64 and rounded once.
    std::vector<std::string> r = split(o.str("--uniform"), ',');
    if (r.size() != 2)
      fail("gen: --uniform takes LO,HI");
    double lo = parseF32("gen: --uniform", r[0]);
    double hi = parseF32("gen: --uniform", r[1]);
    SplitMix64 rng{o.u64("--seed")};
    for (size_t i = 0; i < count; ++i)
      x[i] = static_cast<float>(lo + (hi - lo) * unit(rng));
    what = "uniform in [" + r[0] + ", " + r[1] + ")";
  } else if (o.has("--log-uniform")) {
    // Random sign and mantissa, exponent uniform in [ELO, EHI].
    std::vector<std::string> r = split(o.str("--log-uniform"), ',');
    if (r.size() != 2)
      fail("gen: --log-uniform takes ELO,EHI");
    int64_t elo = parseI64("gen: --log-uniform", r[0]);
    int64_t ehi = parseI64("gen: --log-uniform", r[1]);
    if (elo > ehi || elo < -126 || ehi > 127)
      fail("gen: --log-uniform exponents must satisfy -126 <= ELO <= EHI "
           "<= 127");
    SplitMix64 rng{o.u64("--seed")};
    for (size_t i = 0; i < count; ++i) {
      uint64_t v = rng.next();
      uint32_t sign = static_cast<uint32_t>(v >> 63);
      int e = static_cast<int>(
          elo + static_cast<int64_t>((v >> 32) % (ehi - elo + 1)));
      x[i] = floatOf((sign << 31) | (static_cast<uint32_t>(e + 127) << 23) |
                     (static_cast<uint32_t>(v) & 0x7FFFFFu));
    }
    what = "log-uniform with exponents in [" + r[0] + ", " + r[1] + "]";
  } else {
    uint64_t seed = o.u64("--seed");
    float scale = o.has("--scale") ? o.f32("--scale") : 1.0f;
    if (!std::isfinite(scale) || scale == 0.0f)
      fail("gen: --scale must be finite and nonzero");

    std::vector<float> specials = rawSpecials();
    SpecialList list;
    if (o.has("--format")) {
      addFormatSpecials(o.format("--format"), list);
    } else {
      for (unsigned f = 0; f < kNumFormats; ++f)
        addFormatSpecials(static_cast<Format>(f), list);
    }
    for (float t : list.values)
      specials.push_back(preimage(t, scale));

    size_t numSpecials = std::min<size_t>(specials.size(), count);
    std::copy(specials.begin(), specials.begin() + numSpecials, x);
    SplitMix64 rng{seed};
    for (size_t i = numSpecials; i < count; ++i) {
      uint64_t r = rng.next();
      uint32_t bits;
      if (((i - numSpecials) & 1) == 0) {
        bits = static_cast<uint32_t>(r);
      } else {
        // Random sign and mantissa, exponent uniform in [-40, 20].
        uint32_t sign = static_cast<uint32_t>(r >> 63);
        uint32_t mant = static_cast<uint32_t>(r) & 0x7FFFFFu;
        int e = -40 + static_cast<int>((r >> 32) % 61);
        bits = (sign << 31) | (static_cast<uint32_t>(e + 127) << 23) | mant;
      }
      x[i] = floatOf(bits);
    }
    what = std::to_string(numSpecials) + " specials";
    if (numSpecials < specials.size())
      what += " (" + std::to_string(specials.size() - numSpecials) +
              " more did not fit)";
  }
  // --set I=V,...: overwrite single elements (flat index).
  if (o.has("--set")) {
    for (const std::string &item : split(o.str("--set"), ',')) {
      size_t eq = item.find('=');
      if (eq == std::string::npos)
        fail("gen: --set takes I=V[,I=V...], got '" + item + "'");
      int64_t i = parseI64("gen: --set", item.substr(0, eq));
      if (i < 0 || static_cast<uint64_t>(i) >= count)
        fail("gen: --set index " + llvm::Twine(i) + " out of range");
      x[i] = parseF32("gen: --set", item.substr(eq + 1));
    }
    what += ", set " + o.str("--set");
  }
  save(out, array);
  llvm::outs() << "gen: " << count << " values, " << what << "\n";
  return 0;
}

int cmdScalar(const Options &o) {
  std::string out = o.str("-o");
  int given = o.has("--f32") + o.has("--i64") + o.has("--i32");
  if (given != 1)
    fail("scalar: give exactly one of --f32, --i64, --i32");
  if (o.has("--f32")) {
    NpyArray a(DType::F32, {});
    a.getAs<float>()[0] = o.f32("--f32");
    save(out, a);
  } else if (o.has("--i64")) {
    NpyArray a(DType::I64, {});
    a.getAs<int64_t>()[0] = o.i64("--i64");
    save(out, a);
  } else {
    int64_t v = o.i64("--i32");
    if (v < INT32_MIN || v > INT32_MAX)
      fail("scalar: --i32 value out of range");
    NpyArray a(DType::I32, {});
    a.getAs<int32_t>()[0] = static_cast<int32_t>(v);
    save(out, a);
  }
  return 0;
}

//===----------------------------------------------------------------------===//
// quantize / dequantize
//===----------------------------------------------------------------------===//

constexpr unsigned kMaxReported = 8;

int cmdQuantize(const Options &o) {
  Format f = o.format("--format");
  std::string inPath = o.str("--input");
  NpyArray x = loadF32(inPath);
  size_t n = x.getNumElements();
  float scale = o.f32("--scale");
  Rounding rounding = Rounding::Nearest;
  uint64_t seed = 0;
  uint32_t stream = 0;
  std::string mode = o.str("--rounding", "nearest");
  if (mode == "stochastic") {
    rounding = Rounding::Stochastic;
    seed = o.u64("--seed");
    uint64_t s = o.u64("--stream");
    if (s > UINT32_MAX)
      fail("quantize: --stream must fit in 32 bits");
    stream = static_cast<uint32_t>(s);
  } else if (mode != "nearest") {
    fail("quantize: --rounding must be nearest or stochastic, got '" + mode +
         "'");
  } else if (o.has("--seed") || o.has("--stream")) {
    fail("quantize: --seed/--stream need --rounding stochastic");
  }
  NpyArray actual = loadCodes(o.str("--codes"), f, n);
  std::vector<uint8_t> expected(storageBytes(f, n));
  Counters c;
  quantizeToCodes(x.getAs<float>(), n, f, scale, rounding, seed, stream,
                  expected.data(), &c);
  const auto *act = reinterpret_cast<const uint8_t *>(actual.data());

  uint64_t mismatches = 0;
  std::vector<std::string> report;
  for (size_t i = 0; i < n; ++i) {
    uint16_t e = codeAt(expected.data(), f, i), a = codeAt(act, f, i);
    if (e == a)
      continue;
    if (mismatches++ < kMaxReported) {
      float xi = x.getAs<float>()[i];
      report.push_back("  element " + std::to_string(i) + ": input " +
                       describeFloat(xi) + ", x*scale " +
                       describeFloat(xi * scale) + ": expected code " + hex(e) +
                       ", actual " + hex(a));
    }
  }
  if (isFourBit(f) && (n & 1) && (act[n >> 1] >> 4) != 0) {
    ++mismatches;
    report.push_back("  padding nibble of the last byte is " +
                     hex(act[n >> 1] >> 4) + ", expected 0");
  }
  std::string counterLine;
  if (o.has("--counters")) {
    std::string path = o.str("--counters");
    NpyArray cnt = load(path);
    if (cnt.getDType() != DType::I64 || cnt.getNumElements() != 3)
      fail(path + ": expected 3 int64 counters, found " + cnt.describe());
    const int64_t *a = cnt.getAs<int64_t>();
    uint64_t e[3] = {c.saturated, c.flushed, c.nonfinite};
    const char *names[3] = {"saturated", "flushed", "nonfinite"};
    counterLine = "counters:";
    for (int k = 0; k < 3; ++k) {
      counterLine += std::string(" ") + names[k] + " " + std::to_string(e[k]);
      if (static_cast<uint64_t>(a[k]) != e[k]) {
        ++mismatches;
        counterLine += " (actual " + std::to_string(a[k]) + ")";
      }
    }
  }
  llvm::outs() << "quantize " << formatName(f) << " "
               << (rounding == Rounding::Nearest ? "nearest" : "stochastic")
               << ": " << n << " elements, " << mismatches << " mismatches\n";
  if (!counterLine.empty())
    llvm::outs() << counterLine << "\n";
  for (const std::string &line : report)
    llvm::outs() << line << "\n";
  return finish(mismatches);
}

int cmdDequantize(const Options &o) {
  Format f = o.format("--format");
  float scale = o.f32("--scale");
  std::string valuesPath = o.str("--values");
  NpyArray y = load(valuesPath);
  if (y.getDType() != DType::F32 && y.getDType() != DType::F16)
    fail(valuesPath + ": expected a float32 or float16 array, found " +
         y.describe());
  size_t n = y.getNumElements();
  NpyArray codes = loadCodes(o.str("--codes"), f, n);
  const auto *bytes = reinterpret_cast<const uint8_t *>(codes.data());
  std::vector<float> expected(n);
  dequantizeCodes(bytes, n, f, scale, expected.data());
  bool half = y.getDType() == DType::F16;
  uint64_t mismatches = 0;
  std::vector<std::string> report;
  for (size_t i = 0; i < n; ++i) {
    bool ok;
    std::string e, a;
    if (half) {
      uint16_t eb = floatToF16Bits(expected[i]), ab = y.getAs<uint16_t>()[i];
      float ef = f16BitsToFloat(eb), af = f16BitsToFloat(ab);
      ok = sameFloat(ef, af);
      if (!ok) {
        e = hex(eb);
        a = hex(ab);
      }
    } else {
      float af = y.getAs<float>()[i];
      ok = sameFloat(expected[i], af);
      if (!ok) {
        e = describeFloat(expected[i]);
        a = describeFloat(af);
      }
    }
    if (!ok && mismatches++ < kMaxReported)
      report.push_back("  element " + std::to_string(i) + ": code " +
                       hex(codeAt(bytes, f, i)) + ": expected " + e +
                       ", actual " + a);
  }
  llvm::outs() << "dequantize " << formatName(f) << ": " << n << " elements, "
               << mismatches << " mismatches\n";
  for (const std::string &line : report)
    llvm::outs() << line << "\n";
  return finish(mismatches);
}

//===----------------------------------------------------------------------===//
// matmul
//===----------------------------------------------------------------------===//

int cmdMatmul(const Options &o) {
  Format fa = o.format("--format-a"), fb = o.format("--format-b");
  float sa = o.f32("--scale-a"), sb = o.f32("--scale-b");
  MatmulShape shape;
  shape.M = o.u64("--m");
  shape.N = o.u64("--n");
  shape.K = o.u64("--k");
  shape.transA = o.flag("--transpose-a");
  shape.transB = o.flag("--transpose-b");
  std::string acc = o.str("--accumulation", "f32");
  if (acc != "f32" && acc != "f16")
    fail("matmul: --accumulation must be f32 or f16, got '" + acc + "'");
  size_t chunk = 0;
  if (acc == "f16")
    chunk = o.u64("--chunk");
  else if (o.has("--chunk"))
    fail("matmul: --chunk needs --accumulation f16");
  bool expectExact = o.flag("--expect-exact-f64");
  if (expectExact && acc != "f32")
    fail("matmul: --expect-exact-f64 needs f32 accumulation");

  size_t nA = shape.M * shape.K, nB = shape.K * shape.N;
  NpyArray ca = loadCodes(o.str("--a"), fa, nA);
  NpyArray cb = loadCodes(o.str("--b"), fb, nB);
  std::string resultPath = o.str("--result");
  NpyArray r = loadF32(resultPath);
  if (static_cast<size_t>(r.getNumElements()) != shape.M * shape.N)
    fail(resultPath + ": expected " + llvm::Twine(shape.M * shape.N) +
         " float32 values, found " + r.describe());

  // Operands in format units.
  std::vector<float> a(nA), b(nB), c(shape.M * shape.N);
  dequantizeCodes(reinterpret_cast<const uint8_t *>(ca.data()), nA, fa, 1.0f,
                  a.data());
  dequantizeCodes(reinterpret_cast<const uint8_t *>(cb.data()), nB, fb, 1.0f,
                  b.data());
  if (acc == "f16")
    lowpMatmulF16Chunk(a.data(), b.data(), c.data(), shape, chunk, sa, sb);
  else
    lowpMatmulF32(a.data(), b.data(), c.data(), shape, sa, sb);

  const float *res = r.getAs<float>();
  uint64_t mismatches = 0;
  std::vector<std::string> report;
  for (size_t i = 0; i < c.size(); ++i) {
    if (sameFloat(c[i], res[i]))
      continue;
    if (mismatches++ < kMaxReported)
      report.push_back("  C[" + std::to_string(i / shape.N) + "," +
                       std::to_string(i % shape.N) + "]: expected " +
                       describeFloat(c[i]) + ", actual " +
                       describeFloat(res[i]));
  }

  // f32 accumulation: distance to the f64 product of the dequantized
  // operands, rounded once to f32.
  std::string f64Line;
  if (acc == "f16") {
    // How much the f16 rounding matters for these operands.
    std::vector<float> c32(c.size());
    lowpMatmulF32(a.data(), b.data(), c32.data(), shape, sa, sb);
    uint64_t differ = 0;
    for (size_t i = 0; i < c.size(); ++i)
      differ += !sameFloat(c[i], c32[i]);
    f64Line =
        "f32 accumulation differs in " + std::to_string(differ) + " elements";
  } else {
    std::vector<float> da(nA), db(nB);
    dequantizeCodes(reinterpret_cast<const uint8_t *>(ca.data()), nA, fa, sa,
                    da.data());
    dequantizeCodes(reinterpret_cast<const uint8_t *>(cb.data()), nB, fb, sb,
                    db.data());
    uint64_t maxUlp = 0, inexact = 0;
    for (size_t i = 0; i < shape.M; ++i)
      for (size_t j = 0; j < shape.N; ++j) {
        double sum = 0;
        for (size_t k = 0; k < shape.K; ++k) {
          double x = da[shape.transA ? k * shape.M + i : i * shape.K + k];
          double y = db[shape.transB ? j * shape.K + k : k * shape.N + j];
          sum += x * y;
        }
        uint64_t d = ulpDistance(res[i * shape.N + j], static_cast<float>(sum));
        maxUlp = std::max(maxUlp, d);
        if (d) {
          ++inexact;
          if (expectExact && mismatches++ < kMaxReported)
            report.push_back("  C[" + std::to_string(i) + "," +
                             std::to_string(j) + "]: f64 product " +
                             describeFloat(static_cast<float>(sum)) +
                             ", actual " + describeFloat(res[i * shape.N + j]));
        }
      }
    f64Line = "f64 reference: max " + std::to_string(maxUlp) + " ulp, " +
              std::to_string(inexact) + " elements differ";
  }
  llvm::outs() << "matmul " << formatName(fa) << " x " << formatName(fb) << " "
               << acc;
  if (acc == "f16")
    llvm::outs() << " chunk " << chunk;
  llvm::outs() << " " << shape.M << "x" << shape.N << "x" << shape.K
               << (shape.transA ? " transpose_a" : "")
               << (shape.transB ? " transpose_b" : "") << ": " << c.size()
               << " elements, " << mismatches << " mismatches\n";
  if (!f64Line.empty())
    llvm::outs() << f64Line << "\n";
  for (const std::string &line : report)
    llvm::outs() << line << "\n";
  return finish(mismatches);
}

//===----------------------------------------------------------------------===//
// gradscale, sawb, amax
//===----------------------------------------------------------------------===//

/// max|x| over \p n values; NaN if any value is NaN.
float absMax(const float *x, size_t n) {
  float m = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    float a = std::fabs(x[i]);
    if (std::isnan(a))
      return a;
    m = std::max(m, a);
  }
  return m;
}

int cmdGradscale(const Options &o) {
  Format f = o.format("--format");
  std::string mode = o.str("--mode");
  if (mode != "delayed" && mode != "current")
    fail("gradscale: --mode must be delayed or current, got '" + mode + "'");
  NpyArray g = loadF32(o.str("--input"));
  size_t n = g.getNumElements();
  float s = o.f32("--scale");
  std::string resultPath = o.str("--result");
  NpyArray r = loadF32(resultPath);
  if (static_cast<size_t>(r.getNumElements()) != n)
    fail(resultPath + ": expected " + llvm::Twine(n) +
         " float32 values, found " + r.describe());
  float actualNext = loadF32Scalar(o.str("--next"));

  const float *gv = g.getAs<float>();
  float maxMag = gradscaleMax(f);
  float m0 = absMax(gv, n);
  bool nonFinite = !std::isfinite(m0);
  bool uninit = s == 0.0f;
  float base = uninit ? 1.0f : s;
  float fromMax =
      (nonFinite || m0 == 0.0f) ? base : gradscaleFromMax(1.0f, m0, maxMag);
  float used, next;
  std::vector<float> expected(n);
  if (mode == "current") {
    used = fromMax;
    for (size_t i = 0; i < n; ++i)
      expected[i] = gv[i] * used;
    next = nonFinite ? gradscaleApply(used, -1) : used;
  } else {
    used = uninit ? fromMax : s;
    for (size_t i = 0; i < n; ++i)
      expected[i] = gv[i] * used;
    float m = absMax(expected.data(), n);
    next = gradscaleNext(used, m, f, GradScaleMode::Delayed, false);
  }

  uint64_t mismatches = 0;
  std::vector<std::string> report;
  const float *rv = r.getAs<float>();
  for (size_t i = 0; i < n; ++i) {
    if (sameFloat(expected[i], rv[i]))
      continue;
    if (mismatches++ < kMaxReported)
      report.push_back("  element " + std::to_string(i) + ": g " +
                       describeFloat(gv[i]) + ": expected " +
                       describeFloat(expected[i]) + ", actual " +
                       describeFloat(rv[i]));
  }
  bool nextOk = sameFloat(next, actualNext);
  if (!nextOk)
    ++mismatches;
  llvm::outs() << "gradscale " << formatName(f) << " " << mode << ": " << n
               << " elements, " << mismatches << " mismatches\n";
  llvm::outs() << "scale " << describeFloat(s) << ", max|g| "
               << describeFloat(m0) << ", used " << describeFloat(used)
               << ", next " << describeFloat(next);
  if (!nextOk)
    llvm::outs() << " (actual " << describeFloat(actualNext) << ")";
  llvm::outs() << "\n";
  for (const std::string &line : report)
    llvm::outs() << line << "\n";
  return finish(mismatches);
}

int reportScale(const std::string &what, size_t n, float expected,
                float actual) {
  uint64_t mismatches = sameFloat(expected, actual) ? 0 : 1;
  llvm::outs() << what << ": " << n << " elements, scale "
               << describeFloat(expected);
  if (mismatches)
    llvm::outs() << " (actual " << describeFloat(actual) << ", "
                 << ulpDistance(expected, actual) << " ulp)";
  llvm::outs() << ", " << mismatches << " mismatches\n";
  return finish(mismatches);
}

int cmdSawb(const Options &o) {
  NpyArray w = loadF32(o.str("--input"));
  float actual = loadF32Scalar(o.str("--scale"));
  size_t n = w.getNumElements();
  return reportScale("sawb", n, sawbScale(w.getAs<float>(), n), actual);
}

int cmdAmax(const Options &o) {
  Format f = o.format("--format");
  NpyArray x = loadF32(o.str("--input"));
  float actual = loadF32Scalar(o.str("--scale"));
  size_t n = x.getNumElements();
  float expected = amaxScale(x.getAs<float>(), n, f);
  return reportScale(std::string("amax ") + formatName(f), n, expected, actual);
}

//===----------------------------------------------------------------------===//
// Stochastic rounding statistics
//===----------------------------------------------------------------------===//

int cmdSrMean(const Options &o) {
  Format f = o.format("--format");
  float v = o.f32("--value");
  float scale = o.f32("--scale");
  std::string codesPath = o.str("--codes");
  NpyArray raw = load(codesPath);
  size_t n =
      o.has("--count") ? o.u64("--count") : raw.getNumBytes() * 8 / bitWidth(f);
  NpyArray codes = loadCodes(codesPath, f, n);
  const auto *bytes = reinterpret_cast<const uint8_t *>(codes.data());
  if (n == 0)
    fail("sr-mean: no elements");

  // The two possible results, from the library: u = 0 rounds up whenever
  // p > 0, u = 1 - 2^-24 rounds down whenever p < 1.
  float x = v * scale;
  uint16_t hiCode = encodeStochastic(x, f, 0.0f);
  uint16_t loCode = encodeStochastic(x, f, 1.0f - 0x1p-24f);
  double hi = decode(hiCode, f), lo = decode(loCode, f);
  // P(round up) = #{k : encodeStochastic(x, f, k 2^-24) == hiCode} / 2^24;
  // the set is a prefix of k (u < p).
  uint32_t first = 0, last = 1u << 24; // first k that rounds down
  while (first < last) {
    uint32_t mid = first + (last - first) / 2;
    if (encodeStochastic(x, f, static_cast<float>(mid) * 0x1p-24f) == hiCode)
      first = mid + 1;
    else
      last = mid;
  }
  double pUp = hiCode == loCode ? 0.0 : first * 0x1p-24;

  double sum = 0;
  uint64_t others = 0;
  for (size_t i = 0; i < n; ++i) {
    uint16_t c = codeAt(bytes, f, i);
    if (c != hiCode && c != loCode)
      ++others;
    sum += decode(c, f);
  }
  double mean = sum / static_cast<double>(n);
  double width = std::fabs(hi - lo);
  double sigma = width * std::sqrt(pUp * (1 - pUp) / static_cast<double>(n));
  // The drawn probability P differs from the exact (|x| - lo) / (hi - lo) by
  // the f32 rounding of p and the 2^-24 granularity of u.
  double eps = width * 0x1p-21 + 1e-300;
  double err = mean - static_cast<double>(x);
  double z = sigma > 0 ? err / sigma : (err == 0 ? 0.0 : INFINITY);
  bool pass = others == 0 && std::fabs(err) <= 5 * sigma + eps;
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      "sr-mean %s value %.9g scale %.9g: %zu elements, x %.9g, "
      "lo %.9g, hi %.9g, p %.6f, mean %.9g, z %.3f%s: %s\n",
      formatName(f), static_cast<double>(v), static_cast<double>(scale), n,
      static_cast<double>(x), lo, hi, pUp, mean, z,
      others ? (", " + std::to_string(others) + " other codes").c_str() : "",
      pass ? "PASS" : "FAIL");
  llvm::outs() << buf;
  return finish(pass ? 0 : 1);
}

int cmdSrRepeat(const Options &o) {
  std::string pa = o.str("--codes"), pb = o.str("--codes2");
  std::string expect = o.str("--expect", "same");
  if (expect != "same" && expect != "different")
    fail("sr-repeat: --expect must be same or different");
  NpyArray a = load(pa), b = load(pb);
  if (a.getNumBytes() != b.getNumBytes())
    fail(pa + " and " + pb + " differ in size: " + a.describe() + " vs " +
         b.describe());
  const auto *x = reinterpret_cast<const uint8_t *>(a.data());
  const auto *y = reinterpret_cast<const uint8_t *>(b.data());
  uint64_t differ = 0;
  for (size_t i = 0; i < a.getNumBytes(); ++i)
    differ += x[i] != y[i];
  bool pass = expect == "same" ? differ == 0 : differ > 0;
  llvm::outs() << "sr-repeat: " << a.getNumBytes() << " bytes, " << differ
               << " differ, expected " << expect << ": "
               << (pass ? "PASS" : "FAIL") << "\n";
  return finish(pass ? 0 : 1);
}

void usage() {
  llvm::outs()
      << "usage: fp4-numerics-check COMMAND [OPTIONS]\n"
         "  gen -o x.npy --count N [--shape AxB..] [--set I=V,..]\n"
         "      (--seed S [--format F] [--scale S] | --constant V |\n"
         "       --seed S --uniform LO,HI | --seed S --log-uniform ELO,EHI)\n"
         "  scalar -o s.npy (--f32 V | --i64 V | --i32 V)\n"
         "  quantize --format F --input x.npy --scale S --codes c.npy "
         "[--counters n.npy]\n"
         "           [--rounding stochastic --seed SEED --stream ID]\n"
         "  dequantize --format F --codes c.npy --scale S --values y.npy\n"
         "  matmul --format-a F --format-b G --a ca.npy --b cb.npy "
         "--scale-a SA --scale-b SB\n"
         "         --m M --n N --k K [--transpose-a] [--transpose-b]\n"
         "         [--accumulation f32|f16 --chunk C] [--expect-exact-f64] "
         "--result r.npy\n"
         "  gradscale --format F --mode delayed|current --input g.npy "
         "--scale S --result r.npy --next n.npy\n"
         "  sawb --input w.npy --scale s.npy\n"
         "  amax --format F --input x.npy --scale s.npy\n"
         "  sr-mean --format F --value V --scale S --codes c.npy "
         "[--count N]\n"
         "  sr-repeat --codes a.npy --codes2 b.npy "
         "[--expect same|different]\n";
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2)
    fail("no command given (try --help)");
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    usage();
    return 0;
  }
  int n = argc - 2;
  char **rest = argv + 2;
  if (cmd == "gen")
    return cmdGen(
        Options(cmd, n, rest,
                {"-o", "--count", "--seed", "--format", "--scale", "--constant",
                 "--uniform", "--log-uniform", "--set", "--shape"},
                {}));
  if (cmd == "scalar")
    return cmdScalar(
        Options(cmd, n, rest, {"-o", "--f32", "--i64", "--i32"}, {}));
  if (cmd == "quantize")
    return cmdQuantize(
        Options(cmd, n, rest,
                {"--format", "--input", "--scale", "--codes", "--counters",
                 "--rounding", "--seed", "--stream"},
                {}));
  if (cmd == "dequantize")
    return cmdDequantize(Options(
        cmd, n, rest, {"--format", "--codes", "--scale", "--values"}, {}));
  if (cmd == "matmul")
    return cmdMatmul(Options(
        cmd, n, rest,
        {"--format-a", "--format-b", "--a", "--b", "--scale-a", "--scale-b",
         "--m", "--n", "--k", "--accumulation", "--chunk", "--result"},
        {"--transpose-a", "--transpose-b", "--expect-exact-f64"}));
  if (cmd == "gradscale")
    return cmdGradscale(Options(
        cmd, n, rest,
        {"--format", "--mode", "--input", "--scale", "--result", "--next"},
        {}));
  if (cmd == "sawb")
    return cmdSawb(Options(cmd, n, rest, {"--input", "--scale"}, {}));
  if (cmd == "amax")
    return cmdAmax(
        Options(cmd, n, rest, {"--format", "--input", "--scale"}, {}));
  if (cmd == "sr-mean")
    return cmdSrMean(
        Options(cmd, n, rest,
                {"--format", "--value", "--scale", "--codes", "--count"}, {}));
  if (cmd == "sr-repeat")
    return cmdSrRepeat(
        Options(cmd, n, rest, {"--codes", "--codes2", "--expect"}, {}));
  fail("unknown command '" + cmd + "' (try --help)");
}
