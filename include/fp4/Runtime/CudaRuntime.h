//===- CudaRuntime.h - Small CUDA driver-API runtime ------------*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// A small runtime over the CUDA driver API: device discovery, modules (PTX,
// JIT-compiled by the driver, or cubin) loaded with cuModuleLoadDataEx,
// memory, copies and launches. Every error is an llvm::Error with one line
// naming the call and CUDA's own message (cuGetErrorName/cuGetErrorString).
//
// The driver (libcuda.so.1) is opened at run time rather than linked, so
// that the tools start, and report "no CUDA device available", on machines
// without an NVIDIA driver; without the CUDA toolkit at build time the same
// API is compiled as a stub that reports it too (CudaRuntimeStub.cpp).
//
// The runtime also implements the C functions that host code lowered by the
// GPU pipeline (`fp4-to-nvvm`) calls - `mgpuModuleLoadJIT`,
// `mgpuLaunchKernel`, ... (the ABI of MLIR's CUDA runtime wrappers, which
// Debian does not ship) and `_mlir_memref_to_llvm_alloc/free` (CUDA managed
// memory, so that host code and kernels share every buffer) - see
// getJitSymbols(). With FP4_CUDA_PROFILE=1 in the environment, every kernel
// launched through mgpuLaunchKernel is timed with CUDA events and a summary
// per kernel is printed to stderr at exit.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_RUNTIME_CUDARUNTIME_H
#define FP4_RUNTIME_CUDARUNTIME_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace fp4::cuda {

/// Whether this build has CUDA support (the CUDA toolkit was found).
bool isBuiltWithCuda();

/// Opens the driver, initializes it and makes the primary context of device
/// 0 current, once per process. Fails with "no CUDA device available
/// (REASON)" when the build has no CUDA support, the driver cannot be
/// opened, or there is no device.
llvm::Error initialize();

/// Device 0.
struct DeviceInfo {
  std::string name;
  int computeMajor = 0;
  int computeMinor = 0;
  int multiprocessors = 0;
  uint64_t memoryBytes = 0;
};
llvm::Expected<DeviceInfo> getDeviceInfo();

/// A module loaded on device 0.
class Module {
public:
  /// Loads PTX text (JIT-compiled by the driver; a compilation error is
  /// reported with the driver's log) or a cubin/fatbin image.
  static llvm::Expected<Module> load(llvm::StringRef image);

  Module(Module &&other) : handle(other.handle) { other.handle = nullptr; }
  Module &operator=(Module &&other);
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;
  ~Module();

  /// The kernel `name` (a CUfunction).
  llvm::Expected<void *> getFunction(llvm::StringRef name) const;

private:
  explicit Module(void *handle) : handle(handle) {}
  void *handle = nullptr;
};

/// Device memory (device pointers are returned as void *).
llvm::Expected<void *> allocDevice(size_t bytes);
/// Managed memory, accessible from the host and the device.
llvm::Expected<void *> allocManaged(size_t bytes);
llvm::Error free(void *pointer);
llvm::Error copyHostToDevice(void *device, const void *host, size_t bytes);
llvm::Error copyDeviceToHost(void *host, const void *device, size_t bytes);
llvm::Error copyDeviceToDevice(void *dst, const void *src, size_t bytes);
/// Moves managed memory to the device ahead of use (no-op where the driver
/// cannot).
llvm::Error prefetchToDevice(const void *managed, size_t bytes);

/// Launches `function` on the default stream; `args` holds one pointer per
/// kernel parameter.
llvm::Error launch(void *function, std::array<unsigned, 3> grid,
                   std::array<unsigned, 3> block, unsigned sharedBytes,
                   void **args);
/// Waits for all work on the device.
llvm::Error synchronize();

/// Name and address of every function that code lowered by `fp4-to-nvvm`
/// may call (the mgpu* wrappers and the generic memref allocation
/// functions); empty without CUDA support.
std::vector<std::pair<std::string, void *>> getJitSymbols();

} // namespace fp4::cuda

#endif // FP4_RUNTIME_CUDARUNTIME_H
