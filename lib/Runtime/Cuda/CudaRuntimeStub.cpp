//===- CudaRuntimeStub.cpp - CUDA runtime of a build without CUDA ---------===//
//
// Part of the fp4 project.
//
// Compiled instead of CudaRuntime.cpp when CMake does not find the CUDA
// toolkit: every entry point reports that no CUDA device is available.
//
//===----------------------------------------------------------------------===//

#include "fp4/Runtime/CudaRuntime.h"

using namespace fp4::cuda;

static llvm::Error noDevice() {
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      "no CUDA device available (fp4 was built without the CUDA toolkit)");
}

bool fp4::cuda::isBuiltWithCuda() { return false; }
llvm::Error fp4::cuda::initialize() { return noDevice(); }
llvm::Expected<DeviceInfo> fp4::cuda::getDeviceInfo() { return noDevice(); }
llvm::Expected<Module> Module::load(llvm::StringRef) { return noDevice(); }
Module &Module::operator=(Module &&other) {
  handle = other.handle;
  other.handle = nullptr;
  return *this;
}
Module::~Module() = default;
llvm::Expected<void *> Module::getFunction(llvm::StringRef) const {
  return noDevice();
}
llvm::Expected<void *> fp4::cuda::allocDevice(size_t) { return noDevice(); }
llvm::Expected<void *> fp4::cuda::allocManaged(size_t) { return noDevice(); }
llvm::Error fp4::cuda::free(void *) { return noDevice(); }
llvm::Error fp4::cuda::copyHostToDevice(void *, const void *, size_t) {
  return noDevice();
}
llvm::Error fp4::cuda::copyDeviceToHost(void *, const void *, size_t) {
  return noDevice();
}
llvm::Error fp4::cuda::copyDeviceToDevice(void *, const void *, size_t) {
  return noDevice();
}
llvm::Error fp4::cuda::prefetchToDevice(const void *, size_t) {
  return noDevice();
}
llvm::Error fp4::cuda::launch(void *, std::array<unsigned, 3>,
                              std::array<unsigned, 3>, unsigned, void **) {
  return noDevice();
}
llvm::Error fp4::cuda::synchronize() { return noDevice(); }
std::vector<std::pair<std::string, void *>> fp4::cuda::getJitSymbols() {
  return {};
}
