//===- CudaRuntime.cpp - Small CUDA driver-API runtime --------------------===//
//
// Part of the fp4 project.
//
// Compiled when the CUDA toolkit is found (for cuda.h); the driver itself is
// opened with dlopen at run time. See include/fp4/Runtime/CudaRuntime.h.
//
//===----------------------------------------------------------------------===//

#include "fp4/Runtime/CudaRuntime.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <cuda.h>
#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>

using namespace fp4::cuda;

//===----------------------------------------------------------------------===//
// The driver, opened at run time
//===----------------------------------------------------------------------===//

namespace {

// The versioned names of the driver entry points (cuda.h maps cuMemAlloc to
// cuMemAlloc_v2 and so on), as strings for dlsym.
#define FP4_STR(x) #x
#define FP4_XSTR(x) FP4_STR(x)

// Every driver function the runtime uses. OPT marks those an older driver
// may lack (the runtime then does without).
#define FP4_CUDA_FUNCTIONS(X, OPT)                                             \
  X(cuInit)                                                                    \
  X(cuGetErrorName)                                                            \
  X(cuGetErrorString)                                                          \
  X(cuDeviceGetCount)                                                          \
  X(cuDeviceGet)                                                               \
  X(cuDeviceGetName)                                                           \
  X(cuDeviceGetAttribute)                                                      \
  X(cuDeviceTotalMem)                                                          \
  X(cuDevicePrimaryCtxRetain)                                                  \
  X(cuCtxSetCurrent)                                                           \
  X(cuCtxSynchronize)                                                          \
  X(cuModuleLoadDataEx)                                                        \
  X(cuModuleUnload)                                                            \
  X(cuModuleGetFunction)                                                       \
  X(cuLaunchKernel)                                                            \
  X(cuMemAlloc)                                                                \
  X(cuMemAllocManaged)                                                         \
  X(cuMemFree)                                                                 \
  X(cuMemcpyHtoD)                                                              \
  X(cuMemcpyDtoH)                                                              \
  X(cuMemcpyDtoD)                                                              \
  X(cuMemcpyAsync)                                                             \
  X(cuMemsetD32Async)                                                          \
  X(cuMemsetD16Async)                                                          \
  X(cuStreamSynchronize)                                                       \
  X(cuStreamWaitEvent)                                                         \
  X(cuEventCreate)                                                             \
  X(cuEventDestroy)                                                            \
  X(cuEventRecord)                                                             \
  X(cuEventSynchronize)                                                        \
  X(cuEventElapsedTime)                                                        \
  OPT(cuMemPrefetchAsync)

struct Driver {
#define FP4_DECLARE(name) decltype(&name) name = nullptr;
  FP4_CUDA_FUNCTIONS(FP4_DECLARE, FP4_DECLARE)
#undef FP4_DECLARE
  /// cuMemPrefetchAsync of drivers older than CUDA 12.2 (no _v2).
  CUresult (*cuMemPrefetchAsyncV1)(CUdeviceptr, size_t, CUdevice,
                                   CUstream) = nullptr;
  CUdevice device = 0;
  CUcontext context = nullptr;
};

Driver driver;
std::once_flag initOnce;
std::string initError; // empty: initialized

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 message.str());
}

/// "CALL failed: CUDA_ERROR_X (message)".
std::string describe(CUresult result, const char *call) {
  const char *name = nullptr, *text = nullptr;
  if (driver.cuGetErrorName)
    driver.cuGetErrorName(result, &name);
  if (driver.cuGetErrorString)
    driver.cuGetErrorString(result, &text);
  return llvm::formatv("{0} failed: {1} ({2})", call,
                       name ? name : "unknown error",
                       text ? text : "no description")
      .str();
}

llvm::Error check(CUresult result, const char *call) {
  if (result == CUDA_SUCCESS)
    return llvm::Error::success();
  return makeError(describe(result, call));
}

void initializeOnce() {
  void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
  if (!library) {
    const char *error = dlerror();
    initError = std::string("cannot open the CUDA driver: ") +
                (error ? error : "libcuda.so.1 not found");
    return;
  }
  // The versioned entry point cuda.h names (cuEventElapsedTime_v2 with CUDA
  // 13 headers), else, for drivers older than the headers, the unversioned
  // one: for the functions below both have the same signature.
#define FP4_LOAD(name)                                                         \
  driver.name = reinterpret_cast<decltype(&name)>(                             \
      dlsym(library, FP4_XSTR(name)));                                         \
  if (!driver.name)                                                            \
    driver.name = reinterpret_cast<decltype(&name)>(dlsym(library, #name));    \
  if (!driver.name) {                                                          \
    initError = "the CUDA driver lacks " FP4_XSTR(name);                       \
    return;                                                                    \
  }
#define FP4_LOAD_OPTIONAL(name)                                                \
  driver.name = reinterpret_cast<decltype(&name)>(                             \
      dlsym(library, FP4_XSTR(name)));
  FP4_CUDA_FUNCTIONS(FP4_LOAD, FP4_LOAD_OPTIONAL)
#undef FP4_LOAD
#undef FP4_LOAD_OPTIONAL
  if (!driver.cuMemPrefetchAsync)
    driver.cuMemPrefetchAsyncV1 =
        reinterpret_cast<decltype(driver.cuMemPrefetchAsyncV1)>(
            dlsym(library, "cuMemPrefetchAsync"));
  CUresult result = driver.cuInit(0);
  if (result != CUDA_SUCCESS) {
    initError = describe(result, "cuInit");
    return;
  }
  int count = 0;
  result = driver.cuDeviceGetCount(&count);
  if (result != CUDA_SUCCESS) {
    initError = describe(result, "cuDeviceGetCount");
    return;
  }
  if (count == 0) {
    initError = "the driver reports no device";
    return;
  }
  if ((result = driver.cuDeviceGet(&driver.device, 0)) != CUDA_SUCCESS ||
      (result = driver.cuDevicePrimaryCtxRetain(&driver.context,
                                                driver.device)) !=
          CUDA_SUCCESS ||
      (result = driver.cuCtxSetCurrent(driver.context)) != CUDA_SUCCESS) {
    initError = describe(result, "creating the CUDA context");
    return;
  }
}

/// Initializes (once) and makes the context current on this thread.
llvm::Error ready() {
  std::call_once(initOnce, initializeOnce);
  if (!initError.empty())
    return makeError("no CUDA device available (" + initError + ")");
  return check(driver.cuCtxSetCurrent(driver.context), "cuCtxSetCurrent");
}

CUdeviceptr toDevice(const void *pointer) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(pointer));
}
void *fromDevice(CUdeviceptr pointer) {
  return reinterpret_cast<void *>(static_cast<uintptr_t>(pointer));
}

/// Loads a module with the driver's JIT error log in the message.
llvm::Expected<CUmodule> loadModule(const void *image, int optLevel) {
  if (llvm::Error error = ready())
    return std::move(error);
  char errorLog[8192] = {0};
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                            CU_JIT_OPTIMIZATION_LEVEL};
  void *values[] = {errorLog,
                    reinterpret_cast<void *>(static_cast<uintptr_t>(
                        sizeof(errorLog))),
                    reinterpret_cast<void *>(static_cast<uintptr_t>(
                        std::clamp(optLevel, 0, 4)))};
  CUmodule module = nullptr;
  CUresult result =
      driver.cuModuleLoadDataEx(&module, image, 3, options, values);
  if (result != CUDA_SUCCESS) {
    std::string log(errorLog);
    std::replace(log.begin(), log.end(), '\n', ' ');
    while (!log.empty() && log.back() == ' ')
      log.pop_back();
    return makeError(describe(result, "cuModuleLoadDataEx") +
                     (log.empty() ? "" : ": " + log));
  }
  return module;
}

/// Errors in code called from JIT-compiled host code end the process with
/// one line: there is no caller to return them to.
[[noreturn]] void fatal(llvm::Error error) {
  std::string message = llvm::toString(std::move(error));
  std::fprintf(stderr, "fp4: CUDA error: %s\n", message.c_str());
  std::fflush(stderr);
  std::exit(1);
}
void fatalIf(CUresult result, const char *call) {
  if (result != CUDA_SUCCESS)
    fatal(makeError(describe(result, call)));
}

//===----------------------------------------------------------------------===//
// Managed memory for host code lowered by fp4-to-nvvm
//===----------------------------------------------------------------------===//

/// Buffers at least this large are prefetched to the device when allocated:
/// the kernels, not page faults, then touch them first.
constexpr size_t kPrefetchBytes = 1 << 20;
/// Freed buffers kept for reuse (same size), at most this much in total.
constexpr size_t kPoolBytes = size_t(8) << 30;

struct ManagedPool {
  std::mutex mutex;
  llvm::DenseMap<void *, size_t> live;
  std::map<size_t, std::vector<void *>> freeBySize;
  size_t pooled = 0;

  void *allocate(size_t bytes) {
    bytes = std::max<size_t>(bytes, 1);
    void *pointer = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = freeBySize.find(bytes);
      if (it != freeBySize.end() && !it->second.empty()) {
        pointer = it->second.back();
        it->second.pop_back();
        pooled -= bytes;
      }
    }
    if (!pointer) {
      if (llvm::Error error = ready())
        fatal(std::move(error));
      CUdeviceptr device = 0;
      fatalIf(driver.cuMemAllocManaged(&device, bytes, CU_MEM_ATTACH_GLOBAL),
              "cuMemAllocManaged");
      pointer = fromDevice(device);
    }
    if (bytes >= kPrefetchBytes)
      if (llvm::Error error = prefetchToDevice(pointer, bytes))
        fatal(std::move(error));
    std::lock_guard<std::mutex> lock(mutex);
    live[pointer] = bytes;
    return pointer;
  }

  void release(void *pointer) {
    if (!pointer)
      return;
    size_t bytes;
    {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = live.find(pointer);
      if (it == live.end())
        fatal(makeError("free of a pointer the runtime did not allocate"));
      bytes = it->second;
      live.erase(it);
      if (pooled + bytes <= kPoolBytes) {
        freeBySize[bytes].push_back(pointer);
        pooled += bytes;
        return;
      }
    }
    fatalIf(driver.cuMemFree(toDevice(pointer)), "cuMemFree");
  }
};

ManagedPool &getPool() {
  static ManagedPool *pool = new ManagedPool(); // never destroyed
  return *pool;
}

void *memrefAlloc(size_t bytes) { return getPool().allocate(bytes); }
void memrefFree(void *pointer) { getPool().release(pointer); }

//===----------------------------------------------------------------------===//
// Kernel profile (FP4_CUDA_PROFILE=1)
//===----------------------------------------------------------------------===//

struct Profile {
  bool enabled = false;
  std::mutex mutex;
  llvm::DenseMap<CUfunction, std::string> names;
  llvm::StringMap<std::vector<float>> times; // milliseconds

  Profile() {
    const char *env = std::getenv("FP4_CUDA_PROFILE");
    enabled = env && *env && std::string(env) != "0";
  }
  ~Profile() {
    if (!enabled)
      return;
    std::vector<std::string> keys;
    for (auto &entry : times)
      keys.push_back(entry.getKey().str());
    std::sort(keys.begin(), keys.end());
    for (const std::string &key : keys) {
      std::vector<float> t = times[key];
      std::sort(t.begin(), t.end());
      double total = 0;
      for (float v : t)
        total += v;
      std::fprintf(stderr,
                   "fp4-cuda-profile: %s: %zu launches, min %.3f us, median "
                   "%.3f us, total %.3f us\n",
                   key.c_str(), t.size(), t.front() * 1e3, t[t.size() / 2] * 1e3,
                   total * 1e3);
    }
  }
};

Profile &getProfile() {
  static Profile profile;
  return profile;
}

//===----------------------------------------------------------------------===//
// The mgpu* ABI of MLIR's CUDA runtime wrappers, as gpu-to-llvm and the
// gpu.binary translation call it (all on the legacy default stream)
//===----------------------------------------------------------------------===//

CUmodule mgpuModuleLoad(void *data, size_t /*size*/) {
  llvm::Expected<CUmodule> module = loadModule(data, 4);
  if (!module)
    fatal(module.takeError());
  return *module;
}

CUmodule mgpuModuleLoadJIT(void *data, int optLevel) {
  llvm::Expected<CUmodule> module = loadModule(data, optLevel);
  if (!module)
    fatal(module.takeError());
  return *module;
}

void mgpuModuleUnload(CUmodule module) {
  if (driver.cuModuleUnload)
    driver.cuModuleUnload(module);
}

CUfunction mgpuModuleGetFunction(CUmodule module, const char *name) {
  CUfunction function = nullptr;
  fatalIf(driver.cuModuleGetFunction(&function, module, name),
          "cuModuleGetFunction");
  Profile &profile = getProfile();
  if (profile.enabled) {
    std::lock_guard<std::mutex> lock(profile.mutex);
    profile.names[function] = name;
  }
  return function;
}

void mgpuLaunchKernel(CUfunction function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, CUstream stream,
                      void **params, void **extra, size_t /*paramsCount*/) {
  Profile &profile = getProfile();
  CUevent start = nullptr, stop = nullptr;
  if (profile.enabled) {
    fatalIf(driver.cuEventCreate(&start, CU_EVENT_DEFAULT), "cuEventCreate");
    fatalIf(driver.cuEventCreate(&stop, CU_EVENT_DEFAULT), "cuEventCreate");
    fatalIf(driver.cuEventRecord(start, stream), "cuEventRecord");
  }
  fatalIf(driver.cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY,
                                blockZ, smem, stream, params, extra),
          "cuLaunchKernel");
  if (profile.enabled) {
    fatalIf(driver.cuEventRecord(stop, stream), "cuEventRecord");
    fatalIf(driver.cuEventSynchronize(stop), "cuEventSynchronize");
    float ms = 0;
    fatalIf(driver.cuEventElapsedTime(&ms, start, stop), "cuEventElapsedTime");
    driver.cuEventDestroy(start);
    driver.cuEventDestroy(stop);
    std::lock_guard<std::mutex> lock(profile.mutex);
    profile.times[profile.names.lookup(function)].push_back(ms);
  }
}

CUstream mgpuStreamCreate() { return nullptr; }
void mgpuStreamDestroy(CUstream) {}
void mgpuStreamSynchronize(CUstream stream) {
  fatalIf(driver.cuStreamSynchronize(stream), "cuStreamSynchronize");
}
void mgpuStreamWaitEvent(CUstream stream, CUevent event) {
  fatalIf(driver.cuStreamWaitEvent(stream, event, 0), "cuStreamWaitEvent");
}
CUevent mgpuEventCreate() {
  CUevent event = nullptr;
  fatalIf(driver.cuEventCreate(&event, CU_EVENT_DISABLE_TIMING),
          "cuEventCreate");
  return event;
}
void mgpuEventDestroy(CUevent event) { driver.cuEventDestroy(event); }
void mgpuEventSynchronize(CUevent event) {
  fatalIf(driver.cuEventSynchronize(event), "cuEventSynchronize");
}
void mgpuEventRecord(CUevent event, CUstream stream) {
  fatalIf(driver.cuEventRecord(event, stream), "cuEventRecord");
}
void *mgpuMemAlloc(uint64_t bytes, CUstream, bool isHostShared) {
  if (isHostShared)
    return memrefAlloc(bytes);
  CUdeviceptr pointer = 0;
  fatalIf(driver.cuMemAlloc(&pointer, std::max<uint64_t>(bytes, 1)),
          "cuMemAlloc");
  return fromDevice(pointer);
}
void mgpuMemFree(void *pointer, CUstream) {
  bool managed;
  {
    ManagedPool &pool = getPool();
    std::lock_guard<std::mutex> lock(pool.mutex);
    managed = pool.live.count(pointer);
  }
  if (managed)
    return memrefFree(pointer);
  fatalIf(driver.cuMemFree(toDevice(pointer)), "cuMemFree");
}
void mgpuMemcpy(void *dst, void *src, size_t bytes, CUstream stream) {
  fatalIf(driver.cuMemcpyAsync(toDevice(dst), toDevice(src), bytes, stream),
          "cuMemcpyAsync");
}
void mgpuMemset32(void *dst, unsigned int value, size_t count,
                  CUstream stream) {
  fatalIf(driver.cuMemsetD32Async(toDevice(dst), value, count, stream),
          "cuMemsetD32Async");
}
void mgpuMemset16(void *dst, unsigned short value, size_t count,
                  CUstream stream) {
  fatalIf(driver.cuMemsetD16Async(toDevice(dst), value, count, stream),
          "cuMemsetD16Async");
}
void mgpuSetDefaultDevice(int32_t) {}

} // namespace

//===----------------------------------------------------------------------===//
// Public API
//===----------------------------------------------------------------------===//

bool fp4::cuda::isBuiltWithCuda() { return true; }

llvm::Error fp4::cuda::initialize() { return ready(); }

llvm::Expected<DeviceInfo> fp4::cuda::getDeviceInfo() {
  if (llvm::Error error = ready())
    return std::move(error);
  DeviceInfo info;
  char name[256] = {0};
  if (llvm::Error error = check(
          driver.cuDeviceGetName(name, sizeof(name) - 1, driver.device),
          "cuDeviceGetName"))
    return std::move(error);
  info.name = name;
  auto attribute = [&](CUdevice_attribute attr, int &value) {
    return check(driver.cuDeviceGetAttribute(&value, attr, driver.device),
                 "cuDeviceGetAttribute");
  };
  if (llvm::Error error = attribute(
          CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, info.computeMajor))
    return std::move(error);
  if (llvm::Error error = attribute(
          CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, info.computeMinor))
    return std::move(error);
  if (llvm::Error error = attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
                                    info.multiprocessors))
    return std::move(error);
  size_t bytes = 0;
  if (llvm::Error error = check(driver.cuDeviceTotalMem(&bytes, driver.device),
                                "cuDeviceTotalMem"))
    return std::move(error);
  info.memoryBytes = bytes;
  return info;
}

llvm::Expected<Module> Module::load(llvm::StringRef image) {
  // PTX must be null-terminated; a cubin/fatbin starts with its ELF or
  // fatbin magic and is passed as is.
  std::string copy = image.str();
  llvm::Expected<CUmodule> module = loadModule(copy.c_str(), 4);
  if (!module)
    return module.takeError();
  return Module(*module);
}

Module &Module::operator=(Module &&other) {
  if (this != &other) {
    if (handle)
      driver.cuModuleUnload(static_cast<CUmodule>(handle));
    handle = other.handle;
    other.handle = nullptr;
  }
  return *this;
}

Module::~Module() {
  if (handle)
    driver.cuModuleUnload(static_cast<CUmodule>(handle));
}

llvm::Expected<void *> Module::getFunction(llvm::StringRef name) const {
  CUfunction function = nullptr;
  std::string nameCopy = name.str();
  if (llvm::Error error = check(
          driver.cuModuleGetFunction(&function, static_cast<CUmodule>(handle),
                                     nameCopy.c_str()),
          "cuModuleGetFunction"))
    return makeError(llvm::toString(std::move(error)) + " for kernel '" +
                     name + "'");
  return static_cast<void *>(function);
}

llvm::Expected<void *> fp4::cuda::allocDevice(size_t bytes) {
  if (llvm::Error error = ready())
    return std::move(error);
  CUdeviceptr pointer = 0;
  if (llvm::Error error = check(driver.cuMemAlloc(&pointer, std::max<size_t>(
                                                                bytes, 1)),
                                "cuMemAlloc"))
    return std::move(error);
  return fromDevice(pointer);
}

llvm::Expected<void *> fp4::cuda::allocManaged(size_t bytes) {
  if (llvm::Error error = ready())
    return std::move(error);
  CUdeviceptr pointer = 0;
  if (llvm::Error error =
          check(driver.cuMemAllocManaged(&pointer, std::max<size_t>(bytes, 1),
                                         CU_MEM_ATTACH_GLOBAL),
                "cuMemAllocManaged"))
    return std::move(error);
  return fromDevice(pointer);
}

llvm::Error fp4::cuda::free(void *pointer) {
  if (llvm::Error error = ready())
    return error;
  return check(driver.cuMemFree(toDevice(pointer)), "cuMemFree");
}

llvm::Error fp4::cuda::copyHostToDevice(void *device, const void *host,
                                        size_t bytes) {
  if (llvm::Error error = ready())
    return error;
  return check(driver.cuMemcpyHtoD(toDevice(device), host, bytes),
               "cuMemcpyHtoD");
}

llvm::Error fp4::cuda::copyDeviceToHost(void *host, const void *device,
                                        size_t bytes) {
  if (llvm::Error error = ready())
    return error;
  return check(driver.cuMemcpyDtoH(host, toDevice(device), bytes),
               "cuMemcpyDtoH");
}

llvm::Error fp4::cuda::copyDeviceToDevice(void *dst, const void *src,
                                          size_t bytes) {
  if (llvm::Error error = ready())
    return error;
  return check(driver.cuMemcpyDtoD(toDevice(dst), toDevice(src), bytes),
               "cuMemcpyDtoD");
}

llvm::Error fp4::cuda::prefetchToDevice(const void *managed, size_t bytes) {
  if (llvm::Error error = ready())
    return error;
  if (bytes == 0 || (!driver.cuMemPrefetchAsync && !driver.cuMemPrefetchAsyncV1))
    return llvm::Error::success();
  CUresult result;
  if (driver.cuMemPrefetchAsync) {
    CUmemLocation location = {};
    location.type = CU_MEM_LOCATION_TYPE_DEVICE;
    location.id = driver.device;
    result = driver.cuMemPrefetchAsync(toDevice(managed), bytes, location, 0,
                                       nullptr);
  } else {
    result = driver.cuMemPrefetchAsyncV1(toDevice(managed), bytes,
                                         driver.device, nullptr);
  }
  // Devices without concurrent managed access cannot prefetch: not an error.
  if (result == CUDA_ERROR_INVALID_DEVICE || result == CUDA_ERROR_NOT_SUPPORTED)
    return llvm::Error::success();
  return check(result, "cuMemPrefetchAsync");
}

llvm::Error fp4::cuda::launch(void *function, std::array<unsigned, 3> grid,
                              std::array<unsigned, 3> block,
                              unsigned sharedBytes, void **args) {
  if (llvm::Error error = ready())
    return error;
  return check(driver.cuLaunchKernel(static_cast<CUfunction>(function),
                                     grid[0], grid[1], grid[2], block[0],
                                     block[1], block[2], sharedBytes, nullptr,
                                     args, nullptr),
               "cuLaunchKernel");
}

llvm::Error fp4::cuda::synchronize() {
  if (llvm::Error error = ready())
    return error;
  return check(driver.cuCtxSynchronize(), "cuCtxSynchronize");
}

std::vector<std::pair<std::string, void *>> fp4::cuda::getJitSymbols() {
  std::vector<std::pair<std::string, void *>> symbols;
#define FP4_SYMBOL(name) symbols.emplace_back(#name, reinterpret_cast<void *>(&name))
  FP4_SYMBOL(mgpuModuleLoad);
  FP4_SYMBOL(mgpuModuleLoadJIT);
  FP4_SYMBOL(mgpuModuleUnload);
  FP4_SYMBOL(mgpuModuleGetFunction);
  FP4_SYMBOL(mgpuLaunchKernel);
  FP4_SYMBOL(mgpuStreamCreate);
  FP4_SYMBOL(mgpuStreamDestroy);
  FP4_SYMBOL(mgpuStreamSynchronize);
  FP4_SYMBOL(mgpuStreamWaitEvent);
  FP4_SYMBOL(mgpuEventCreate);
  FP4_SYMBOL(mgpuEventDestroy);
  FP4_SYMBOL(mgpuEventSynchronize);
  FP4_SYMBOL(mgpuEventRecord);
  FP4_SYMBOL(mgpuMemAlloc);
  FP4_SYMBOL(mgpuMemFree);
  FP4_SYMBOL(mgpuMemcpy);
  FP4_SYMBOL(mgpuMemset32);
  FP4_SYMBOL(mgpuMemset16);
  FP4_SYMBOL(mgpuSetDefaultDevice);
#undef FP4_SYMBOL
  symbols.emplace_back("_mlir_memref_to_llvm_alloc",
                       reinterpret_cast<void *>(&memrefAlloc));
  symbols.emplace_back("_mlir_memref_to_llvm_free",
                       reinterpret_cast<void *>(&memrefFree));
  return symbols;
}
