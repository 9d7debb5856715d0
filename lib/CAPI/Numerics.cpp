//===- Numerics.cpp - Compiled and reference numerics for the C API -------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// fp4_quantize / fp4_encode / fp4_decode / fp4_sawb_scale /
// fp4_gradscale_next build a small module around the fp4 dialect op,
// JIT-compile it with fp4::JitRunner (the CPU pipeline of fp4-run and
// fp4-train) and cache the compiled kernel per module text, i.e. per
// (operation, format, rounding, stream, element count). Kernels take the
// data as a flat 1-D tensor: every quantizer is elementwise in the row-major
// index, which is also the index of stochastic rounding (SPEC section 5).
//
// The fp4_oracle_* functions run the reference library (fp4::numerics).
//
//===----------------------------------------------------------------------===//

#include "fp4-c/FP4.h"

#include "Common.h"

#include "fp4/InitAllDialects.h"
#include "fp4/Numerics/Numerics.h"
#include "fp4/Runtime/JitRunner.h"
#include "fp4/Runtime/Npy.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Parser/Parser.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

using namespace fp4;
using namespace fp4::capi;
namespace num = fp4::numerics;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// Argument checking
//===----------------------------------------------------------------------===//

static const char *kFormatList =
    "radix4_even, radix4_odd, radix2_fp4, e2m1, int4, uint4, e4m3, e5m2, "
    "f16, bf16";

static char *parseFormat(const char *name, num::Format &format) {
  if (!name)
    return makeErrorString("format is NULL");
  std::optional<num::Format> parsed = num::parseFormat(name);
  if (!parsed)
    return makeErrorString(llvm::Twine("unknown format '") + name +
                           "' (expected one of " + kFormatList + ")");
  format = *parsed;
  return nullptr;
}

static char *parseRounding(const char *name, num::Rounding &rounding) {
  StringRef r = name ? name : "";
  if (r == "nearest")
    rounding = num::Rounding::Nearest;
  else if (r == "stochastic")
    rounding = num::Rounding::Stochastic;
  else
    return makeErrorString("unknown rounding '" + r +
                           "' (expected nearest or stochastic)");
  return nullptr;
}

static char *parseMode(const char *name, num::GradScaleMode &mode) {
  StringRef m = name ? name : "";
  if (m == "delayed")
    mode = num::GradScaleMode::Delayed;
  else if (m == "current")
    mode = num::GradScaleMode::Current;
  else
    return makeErrorString("unknown gradscale mode '" + m +
                           "' (expected delayed or current)");
  return nullptr;
}

static char *checkCount(int64_t n, bool nullData) {
  if (n < 0)
    return makeErrorString("negative element count " + llvm::Twine(n));
  if (n > 0 && nullData)
    return makeErrorString("data pointer is NULL");
  return nullptr;
}

static char *checkStorage(num::Format format, int64_t n, int64_t nbytes) {
  int64_t expected = num::storageBytes(format, n);
  if (nbytes != expected)
    return makeErrorString(llvm::Twine(n) + " elements of " +
                           num::formatName(format) + " take " +
                           llvm::Twine(expected) + " bytes, not " +
                           llvm::Twine(nbytes));
  return nullptr;
}

/// The `#fp4.format<...>` parameters of a format.
static std::string mlirFormat(num::Format format) {
  switch (format) {
  case num::Format::Radix4Even:
    return "radix4, even";
  case num::Format::Radix4Odd:
    return "radix4, odd";
  default:
    return num::formatName(format);
  }
}

//===----------------------------------------------------------------------===//
// Kernel cache
//===----------------------------------------------------------------------===//

namespace {
struct Kernel {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::unique_ptr<JitRunner> runner;
};

/// Compiled kernels by module text, with the context they live in. Every
/// kernel call holds the lock (compilation and execution).
class KernelCache {
public:
  static KernelCache &get() {
    static KernelCache *cache = new KernelCache();
    return *cache;
  }

  std::mutex mutex;

  /// The compiled function @kernel of `text` (compiled on first use).
  llvm::Expected<JitRunner *> lookup(const std::string &text) {
    auto it = kernels.find(text);
    if (it != kernels.end())
      return it->second->runner.get();
    if (kernels.size() >= kMaxKernels)
      kernels.clear();
    auto kernel = std::make_unique<Kernel>();
    std::string diagnostics;
    {
      mlir::ScopedDiagnosticHandler handler(
          &context, [&](mlir::Diagnostic &diag) {
            if (diagnostics.empty())
              diagnostics = diag.str();
            return mlir::success();
          });
      kernel->module =
          mlir::parseSourceString<mlir::ModuleOp>(text, &context);
    }
    if (!kernel->module)
      return llvm::createStringError("cannot build the kernel: " +
                                     diagnostics);
    JitRunnerOptions options;
    options.optLevel = 2;
    options.numThreads = 1;
    auto runner = JitRunner::create(*kernel->module, "kernel", options);
    if (!runner)
      return runner.takeError();
    kernel->runner = std::move(*runner);
    JitRunner *result = kernel->runner.get();
    kernels[text] = std::move(kernel);
    return result;
  }

  size_t size() const { return kernels.size(); }

private:
  KernelCache() {
    mlir::DialectRegistry registry;
    fp4::registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    context.disableMultithreading();
  }

  static constexpr size_t kMaxKernels = 256;
  mlir::MLIRContext context;
  std::map<std::string, std::unique_ptr<Kernel>> kernels;
};
} // namespace

static NpyArray makeF32(const float *data, int64_t n) {
  NpyArray array(DType::F32, {n});
  std::memcpy(array.data(), data, n * sizeof(float));
  return array;
}

static NpyArray makeScalarF32(float value) {
  NpyArray array(DType::F32, {});
  *array.getAs<float>() = value;
  return array;
}

static NpyArray makeScalarI64(uint64_t value) {
  NpyArray array(DType::I64, {});
  std::memcpy(array.data(), &value, sizeof(value));
  return array;
}

/// Compiles (or finds) `text` and runs it.
static char *runKernel(const std::string &text,
                       llvm::ArrayRef<const NpyArray *> inputs,
                       llvm::SmallVector<NpyArray> &results) {
  KernelCache &cache = KernelCache::get();
  std::lock_guard<std::mutex> lock(cache.mutex);
  llvm::Expected<JitRunner *> runner = cache.lookup(text);
  if (!runner)
    return takeErrorString(runner.takeError());
  auto outputs = (*runner)->run(inputs);
  if (!outputs)
    return takeErrorString(outputs.takeError());
  results = std::move(*outputs);
  return nullptr;
}

/// The quantize op (with counters) on tensor<Nxf32> %x, %s and, for
/// stochastic rounding, %seed; defines %q, %sat, %flush, %nonfinite.
static std::string quantizeOp(int64_t n, num::Format format,
                              num::Rounding rounding, uint32_t stream) {
  std::string qtype =
      llvm::formatv("!fp4.qtensor<{0}x#fp4.format<{1}>>", n, mlirFormat(format));
  std::string mode =
      rounding == num::Rounding::Stochastic
          ? llvm::formatv(" rounding(stochastic) seed(%seed) stream({0})",
                          stream)
                .str()
          : std::string();
  return llvm::formatv("  %q, %sat, %flush, %nonfinite = fp4.quantize %x, "
                       "%s{0} : tensor<{1}xf32> -> {2}, i64, i64, i64\n",
                       mode, n, qtype);
}

static std::string qtensorType(int64_t n, num::Format format) {
  return llvm::formatv("!fp4.qtensor<{0}x#fp4.format<{1}>>", n,
                       mlirFormat(format));
}

static std::string kernelArgs(int64_t n, num::Rounding rounding) {
  return llvm::formatv("%x: tensor<{0}xf32>, %s: f32{1}", n,
                       rounding == num::Rounding::Stochastic ? ", %seed: i64"
                                                             : "");
}

static void copyCounters(const NpyArray &counters, int64_t *out) {
  if (out)
    std::memcpy(out, counters.data(), 3 * sizeof(int64_t));
}

/// Prepares the inputs of a quantizing kernel.
struct QuantizeInputs {
  NpyArray x, s, seed;
  llvm::SmallVector<const NpyArray *, 3> list;
  QuantizeInputs(const float *data, int64_t n, float scale,
                 num::Rounding rounding, uint64_t seedValue)
      : x(makeF32(data, n)), s(makeScalarF32(scale)),
        seed(makeScalarI64(seedValue)) {
    list = {&x, &s};
    if (rounding == num::Rounding::Stochastic)
      list.push_back(&seed);
  }
};

extern "C" {

void fp4_free_string(char *str) { std::free(str); }

const char *fp4_version(void) { return "fp4 0.1"; }

char *fp4_format_bits(const char *format, int *bits) {
  num::Format f;
  if (char *error = parseFormat(format, f))
    return error;
  *bits = num::bitWidth(f);
  return nullptr;
}

char *fp4_storage_bytes(const char *format, int64_t n, int64_t *nbytes) {
  num::Format f;
  if (char *error = parseFormat(format, f))
    return error;
  if (char *error = checkCount(n, false))
    return error;
  *nbytes = num::storageBytes(f, n);
  return nullptr;
}

int64_t fp4_kernel_cache_size(void) {
  KernelCache &cache = KernelCache::get();
  std::lock_guard<std::mutex> lock(cache.mutex);
  return cache.size();
}

char *fp4_quantize(const float *x, int64_t n, const char *format, float scale,
                   const char *rounding, uint64_t seed, uint32_t stream,
                   float *out, int64_t *counters) {
  return guard([&]() -> char * {
    num::Format f;
    num::Rounding r;
    if (char *error = parseFormat(format, f))
      return error;
    if (char *error = parseRounding(rounding, r))
      return error;
    if (char *error = checkCount(n, !x || !out))
      return error;
    if (n == 0) {
      if (counters)
        std::memset(counters, 0, 3 * sizeof(int64_t));
      return nullptr;
    }
    std::string text = llvm::formatv(
        "func.func @kernel({0}) -> (tensor<{1}xf32>, tensor<3xi64>) {{\n"
        "{2}"
        "  %y = fp4.dequantize %q : {3} -> tensor<{1}xf32>\n"
        "  %c = tensor.from_elements %sat, %flush, %nonfinite : "
        "tensor<3xi64>\n"
        "  return %y, %c : tensor<{1}xf32>, tensor<3xi64>\n"
        "}\n",
        kernelArgs(n, r), n, quantizeOp(n, f, r, stream), qtensorType(n, f));
    QuantizeInputs inputs(x, n, scale, r, seed);
    llvm::SmallVector<NpyArray> results;
    if (char *error = runKernel(text, inputs.list, results))
      return error;
    std::memcpy(out, results[0].data(), n * sizeof(float));
    copyCounters(results[1], counters);
    return nullptr;
  });
}

char *fp4_encode(const float *x, int64_t n, const char *format, float scale,
                 const char *rounding, uint64_t seed, uint32_t stream,
                 uint8_t *codes, int64_t nbytes, int64_t *counters) {
  return guard([&]() -> char * {
    num::Format f;
    num::Rounding r;
    if (char *error = parseFormat(format, f))
      return error;
    if (char *error = parseRounding(rounding, r))
      return error;
    if (char *error = checkCount(n, !x || !codes))
      return error;
    if (char *error = checkStorage(f, n, nbytes))
      return error;
    if (n == 0) {
      if (counters)
        std::memset(counters, 0, 3 * sizeof(int64_t));
      return nullptr;
    }
    std::string body;
    std::string resultType;
    if (num::bitWidth(f) == 16) {
      // JitRunner exchanges no i16 arrays: widen the codes to i32.
      resultType = llvm::formatv("tensor<{0}xi32>", n);
      body = llvm::formatv(
          "  %codes, %scale = fp4.unpack %q : {0}\n"
          "  %e = tensor.empty() : tensor<{1}xi32>\n"
          "  %w = linalg.generic {{indexing_maps = [affine_map<(d0) -> (d0)>, "
          "affine_map<(d0) -> (d0)>], iterator_types = [\"parallel\"]} "
          "ins(%codes : tensor<{1}xi16>) outs(%e : tensor<{1}xi32>) {{\n"
          "  ^bb0(%in: i16, %o: i32):\n"
          "    %z = arith.extui %in : i16 to i32\n"
          "    linalg.yield %z : i32\n"
          "  } -> tensor<{1}xi32>\n",
          qtensorType(n, f), n);
    } else {
      resultType = llvm::formatv("tensor<{0}xi8>", nbytes);
      body = llvm::formatv("  %w, %scale = fp4.unpack %q : {0}\n",
                           qtensorType(n, f));
    }
    std::string text = llvm::formatv(
        "func.func @kernel({0}) -> ({1}, tensor<3xi64>) {{\n"
        "{2}{3}"
        "  %c = tensor.from_elements %sat, %flush, %nonfinite : "
        "tensor<3xi64>\n"
        "  return %w, %c : {1}, tensor<3xi64>\n"
        "}\n",
        kernelArgs(n, r), resultType, quantizeOp(n, f, r, stream), body);
    QuantizeInputs inputs(x, n, scale, r, seed);
    llvm::SmallVector<NpyArray> results;
    if (char *error = runKernel(text, inputs.list, results))
      return error;
    if (num::bitWidth(f) == 16) {
      const uint32_t *wide = results[0].getAs<uint32_t>();
      for (int64_t i = 0; i < n; ++i) {
        codes[2 * i] = wide[i] & 0xff;
        codes[2 * i + 1] = (wide[i] >> 8) & 0xff;
      }
    } else {
      std::memcpy(codes, results[0].data(), nbytes);
    }
    copyCounters(results[1], counters);
    return nullptr;
  });
}

char *fp4_decode(const uint8_t *codes, int64_t nbytes, int64_t n,
                 const char *format, float scale, float *out) {
  return guard([&]() -> char * {
    num::Format f;
    if (char *error = parseFormat(format, f))
      return error;
    if (char *error = checkCount(n, !codes || !out))
      return error;
    if (char *error = checkStorage(f, n, nbytes))
      return error;
    if (n == 0)
      return nullptr;
    std::string qtype = qtensorType(n, f);
    std::string text;
    NpyArray input;
    if (num::bitWidth(f) == 16) {
      input = NpyArray(DType::I32, {n});
      for (int64_t i = 0; i < n; ++i)
        input.getAs<int32_t>()[i] = codes[2 * i] | (codes[2 * i + 1] << 8);
      text = llvm::formatv(
          "func.func @kernel(%w: tensor<{0}xi32>, %s: f32) -> "
          "tensor<{0}xf32> {{\n"
          "  %e = tensor.empty() : tensor<{0}xi16>\n"
          "  %c = linalg.generic {{indexing_maps = [affine_map<(d0) -> (d0)>, "
          "affine_map<(d0) -> (d0)>], iterator_types = [\"parallel\"]} "
          "ins(%w : tensor<{0}xi32>) outs(%e : tensor<{0}xi16>) {{\n"
          "  ^bb0(%in: i32, %o: i16):\n"
          "    %z = arith.trunci %in : i32 to i16\n"
          "    linalg.yield %z : i16\n"
          "  } -> tensor<{0}xi16>\n"
          "  %q = fp4.pack %c, %s : tensor<{0}xi16>, f32 -> {1}\n"
          "  %y = fp4.dequantize %q : {1} -> tensor<{0}xf32>\n"
          "  return %y : tensor<{0}xf32>\n"
          "}\n",
          n, qtype);
    } else {
      input = NpyArray(DType::U8, {nbytes});
      std::memcpy(input.data(), codes, nbytes);
      text = llvm::formatv(
          "func.func @kernel(%c: tensor<{0}xi8>, %s: f32) -> "
          "tensor<{1}xf32> {{\n"
          "  %q = fp4.pack %c, %s : tensor<{0}xi8>, f32 -> {2}\n"
          "  %y = fp4.dequantize %q : {2} -> tensor<{1}xf32>\n"
          "  return %y : tensor<{1}xf32>\n"
          "}\n",
          nbytes, n, qtype);
    }
    NpyArray s = makeScalarF32(scale);
    llvm::SmallVector<NpyArray> results;
    if (char *error = runKernel(text, {&input, &s}, results))
      return error;
    std::memcpy(out, results[0].data(), n * sizeof(float));
    return nullptr;
  });
}

char *fp4_sawb_scale(const float *w, int64_t n, float *scale) {
  return guard([&]() -> char * {
    if (char *error = checkCount(n, !w || !scale))
      return error;
    if (n == 0) {
      *scale = 1.0f; // SPEC 4.2 via sawbScale: an empty tensor has scale 1.
      return nullptr;
    }
    std::string text = llvm::formatv(
        "func.func @kernel(%x: tensor<{0}xf32>) -> f32 {{\n"
        "  %s = fp4.compute_scale %x rule(sawb) {{format = "
        "#fp4.format<int4>} : tensor<{0}xf32>\n"
        "  return %s : f32\n"
        "}\n",
        n);
    NpyArray x = makeF32(w, n);
    llvm::SmallVector<NpyArray> results;
    if (char *error = runKernel(text, {&x}, results))
      return error;
    *scale = *results[0].getAs<float>();
    return nullptr;
  });
}

char *fp4_gradscale_next(const float *g, int64_t n, float scale,
                         const char *format, const char *mode, float *next) {
  return guard([&]() -> char * {
    num::Format f;
    num::GradScaleMode m;
    if (char *error = parseFormat(format, f))
      return error;
    if (char *error = parseMode(mode, m))
      return error;
    if (char *error = checkCount(n, !g || !next))
      return error;
    if (n == 0) {
      *next = scale; // m = 0: the scale is unchanged.
      return nullptr;
    }
    std::string text = llvm::formatv(
        "func.func @kernel(%x: tensor<{0}xf32>, %s: f32) -> f32 {{\n"
        "  %r, %used, %next = fp4.gradscale %x, %s mode({1}) {{format = "
        "#fp4.format<{2}>} : tensor<{0}xf32>\n"
        "  return %next : f32\n"
        "}\n",
        n, m == num::GradScaleMode::Delayed ? "delayed" : "current",
        mlirFormat(f));
    NpyArray x = makeF32(g, n);
    NpyArray s = makeScalarF32(scale);
    llvm::SmallVector<NpyArray> results;
    if (char *error = runKernel(text, {&x, &s}, results))
      return error;
    *next = *results[0].getAs<float>();
    return nullptr;
  });
}

//===----------------------------------------------------------------------===//
// Oracle
//===----------------------------------------------------------------------===//

char *fp4_oracle_encode(const float *x, int64_t n, const char *format,
                        float scale, const char *rounding, uint64_t seed,
                        uint32_t stream, uint8_t *codes, int64_t nbytes,
                        int64_t *counters) {
  num::Format f;
  num::Rounding r;
  if (char *error = parseFormat(format, f))
    return error;
  if (char *error = parseRounding(rounding, r))
    return error;
  if (char *error = checkCount(n, !x || !codes))
    return error;
  if (char *error = checkStorage(f, n, nbytes))
    return error;
  num::Counters c;
  num::quantizeToCodes(x, n, f, scale, r, seed, stream, codes, &c);
  if (counters) {
    counters[0] = c.saturated;
    counters[1] = c.flushed;
    counters[2] = c.nonfinite;
  }
  return nullptr;
}

char *fp4_oracle_decode(const uint8_t *codes, int64_t nbytes, int64_t n,
                        const char *format, float scale, float *out) {
  num::Format f;
  if (char *error = parseFormat(format, f))
    return error;
  if (char *error = checkCount(n, !codes || !out))
    return error;
  if (char *error = checkStorage(f, n, nbytes))
    return error;
  num::dequantizeCodes(codes, n, f, scale, out);
  return nullptr;
}

char *fp4_oracle_sawb_scale(const float *w, int64_t n, float *scale) {
  if (char *error = checkCount(n, !w || !scale))
    return error;
  *scale = num::sawbScale(w, n);
  return nullptr;
}

char *fp4_oracle_gradscale_next(float scale, float m, const char *format,
                                const char *mode, int firstStep, float *next) {
  num::Format f;
  num::GradScaleMode gm;
  if (char *error = parseFormat(format, f))
    return error;
  if (char *error = parseMode(mode, gm))
    return error;
  *next = num::gradscaleNext(scale, m, f, gm, firstStep != 0);
  return nullptr;
}

} // extern "C"
