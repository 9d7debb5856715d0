/*===- fake-libcuda.c - A CUDA driver stand-in for runtime tests ---------===*
 *
 * Part of the fp4 project.
 *
 * Built by test/GPU/fake-driver.mlir as libcuda.so.1 and found through
 * LD_LIBRARY_PATH, so that the host side of fp4's CUDA runtime (driver
 * loading, module loading, kernel lookup, launches with their argument
 * buffers, managed memory, errors, the launch profile) runs without a GPU.
 * Kernels do not run. Memory is host memory. Behaviour is chosen with:
 *   FAKE_CUDA_LOG=1        log module loads and launches to stderr
 *   FAKE_CUDA_DEVICES=N    device count (default 1)
 *   FAKE_CUDA_FAIL=load    cuModuleLoadDataEx fails with a JIT log
 *   FAKE_CUDA_FAIL=launch  cuLaunchKernel fails
 * A launch whose pointer parameters (per the kernel's PTX .param list) are
 * not allocations of this driver fails: kernels must only see device
 * (managed) memory.
 *
 *===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef int CUdevice;
typedef void *CUcontext, *CUmodule, *CUfunction, *CUstream, *CUevent;
typedef unsigned long long CUdeviceptr;
typedef struct {
  int type;
  int id;
} CUmemLocation;

enum { kFake = 999, kInvalidPtx = 218, kNotFound = 500, kLaunchFailed = 719 };

#define LOG(...)                                                               \
  do {                                                                         \
    if (getenv("FAKE_CUDA_LOG"))                                               \
      fprintf(stderr, "fakecuda: " __VA_ARGS__);                               \
  } while (0)

static int failing(const char *what) {
  const char *f = getenv("FAKE_CUDA_FAIL");
  return f && strcmp(f, what) == 0;
}

/* Allocations, to check launch arguments. */
static char *allocs[1 << 16];
static size_t allocSizes[1 << 16];
static int numAllocs;

static int isAllocation(uint64_t p) {
  for (int i = 0; i < numAllocs; ++i)
    if (p >= (uint64_t)allocs[i] && p < (uint64_t)allocs[i] + allocSizes[i])
      return 1;
  return 0;
}

typedef struct {
  char *ptx;
} Module;

typedef struct {
  char name[256];
  int numParams;
  int isPointer[512];
} Function;

CUresult cuInit(unsigned flags) { return 0; }
CUresult cuGetErrorName(CUresult e, const char **s) {
  *s = e ? "CUDA_ERROR_FAKE" : "CUDA_SUCCESS";
  return 0;
}
CUresult cuGetErrorString(CUresult e, const char **s) {
  *s = e ? "failure injected by the fake driver" : "no error";
  return 0;
}
CUresult cuDeviceGetCount(int *count) {
  const char *n = getenv("FAKE_CUDA_DEVICES");
  *count = n ? atoi(n) : 1;
  return 0;
}
CUresult cuDeviceGet(CUdevice *d, int ordinal) {
  *d = ordinal;
  return 0;
}
CUresult cuDeviceGetName(char *name, int len, CUdevice d) {
  snprintf(name, len, "Fake GPU");
  return 0;
}
CUresult cuDeviceGetAttribute(int *v, int attr, CUdevice d) {
  /* Compute capability 9.0 (attributes 75/76), 132 multiprocessors. */
  *v = attr == 75 ? 9 : attr == 76 ? 0 : 132;
  return 0;
}
CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice d) {
  *bytes = (size_t)80 << 30;
  return 0;
}
CUresult cuDevicePrimaryCtxRetain(CUcontext *c, CUdevice d) {
  *c = (void *)1;
  return 0;
}
CUresult cuCtxSetCurrent(CUcontext c) { return 0; }
CUresult cuCtxSynchronize(void) { return 0; }

CUresult cuModuleLoadDataEx(CUmodule *m, const void *image, unsigned n,
                            int *options, void **values) {
  const char *ptx = image;
  if (failing("load") || !strstr(ptx, ".version")) {
    /* options[0] is CU_JIT_ERROR_LOG_BUFFER, as fp4 passes it. */
    if (n > 0)
      snprintf((char *)values[0], 64, "ptxas fatal   : fake JIT failure");
    return kInvalidPtx;
  }
  Module *module = malloc(sizeof(Module));
  module->ptx = strdup(ptx);
  const char *target = strstr(ptx, ".target ");
  LOG("load module (%.*s)\n", target ? (int)strcspn(target + 8, "\n") : 1,
      target ? target + 8 : "?");
  *m = module;
  return 0;
}
CUresult cuModuleUnload(CUmodule m) { return 0; }

CUresult cuModuleGetFunction(CUfunction *f, CUmodule m, const char *name) {
  Module *module = m;
  char pattern[320];
  snprintf(pattern, sizeof(pattern), ".entry %s(", name);
  char *entry = strstr(module->ptx, pattern);
  if (!entry)
    return kNotFound;
  Function *fn = calloc(1, sizeof(Function));
  snprintf(fn->name, sizeof(fn->name), "%s", name);
  char *end = strchr(entry, ')');
  for (char *p = strstr(entry, ".param"); p && p < end && fn->numParams < 512;
       p = strstr(p + 6, ".param")) {
    char *line = strchr(p, '\n');
    char *ptr = strstr(p, ".ptr");
    fn->isPointer[fn->numParams++] = ptr && (!line || ptr < line);
  }
  *f = fn;
  return 0;
}

CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned smem,
                        CUstream s, void **params, void **extra) {
  Function *fn = f;
  int bad = 0;
  for (int i = 0; i < fn->numParams; ++i)
    if (fn->isPointer[i]) {
      uint64_t p = *(uint64_t *)params[i];
      if (p && !isAllocation(p))
        ++bad;
    }
  LOG("launch %s grid(%u,%u,%u) block(%u,%u,%u) params %d%s\n", fn->name, gx,
      gy, gz, bx, by, bz, fn->numParams,
      bad ? " with a pointer that is not device memory" : "");
  return bad || failing("launch") ? kLaunchFailed : 0;
}

CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t n) {
  if (numAllocs == (1 << 16))
    return kFake;
  char *m = aligned_alloc(256, (n + 255) / 256 * 256);
  allocs[numAllocs] = m;
  allocSizes[numAllocs++] = n;
  *p = (CUdeviceptr)m;
  return 0;
}
CUresult cuMemAllocManaged(CUdeviceptr *p, size_t n, unsigned flags) {
  return cuMemAlloc_v2(p, n);
}
CUresult cuMemFree_v2(CUdeviceptr p) { return 0; }
CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void *h, size_t n) {
  memcpy((void *)d, h, n);
  return 0;
}
CUresult cuMemcpyDtoH_v2(void *h, CUdeviceptr d, size_t n) {
  memcpy(h, (void *)d, n);
  return 0;
}
CUresult cuMemcpyDtoD_v2(CUdeviceptr a, CUdeviceptr b, size_t n) {
  memcpy((void *)a, (void *)b, n);
  return 0;
}
CUresult cuMemcpyAsync(CUdeviceptr a, CUdeviceptr b, size_t n, CUstream s) {
  memcpy((void *)a, (void *)b, n);
  return 0;
}
CUresult cuMemsetD32Async(CUdeviceptr a, unsigned v, size_t n, CUstream s) {
  for (size_t i = 0; i < n; ++i)
    ((unsigned *)a)[i] = v;
  return 0;
}
CUresult cuMemsetD16Async(CUdeviceptr a, unsigned short v, size_t n,
                          CUstream s) {
  for (size_t i = 0; i < n; ++i)
    ((unsigned short *)a)[i] = v;
  return 0;
}
CUresult cuStreamSynchronize(CUstream s) { return 0; }
CUresult cuStreamWaitEvent(CUstream s, CUevent e, unsigned flags) { return 0; }
CUresult cuEventCreate(CUevent *e, unsigned flags) {
  *e = malloc(1);
  return 0;
}
CUresult cuEventDestroy_v2(CUevent e) {
  free(e);
  return 0;
}
CUresult cuEventRecord(CUevent e, CUstream s) { return 0; }
CUresult cuEventSynchronize(CUevent e) { return 0; }
/* Only the unversioned entry point, as in drivers older than CUDA 12.8. */
CUresult cuEventElapsedTime(float *ms, CUevent a, CUevent b) {
  *ms = 0.001f;
  return 0;
}
CUresult cuMemPrefetchAsync_v2(CUdeviceptr p, size_t n, CUmemLocation l,
                               unsigned flags, CUstream s) {
  return isAllocation(p) ? 0 : kFake;
}
