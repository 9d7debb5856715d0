//===- baselines.cu - Vendor baselines for bench/gpu/run.sh ---------------===//
//
// Part of the fp4 project.
//
//   baselines copy BYTES REPS      device-to-device copy of BYTES bytes
//   baselines gemm M N K REPS      cuBLASLt FP8 (e4m3 x e4m3, f32 accumulate)
//                                  D[MxN] = A[MxK] * B[KxN], the layout
//                                  cuBLASLt requires for FP8 ("TN")
//
// Prints one line, "copy BYTES: min T us" or "gemm M N K OUT: min T us"
// (OUT is the output type cuBLASLt accepted: f32, else bf16), the minimum of
// REPS timed calls after a warm-up, measured with CUDA events; or
// "... unsupported (REASON)" and exit 0 when the device cannot (FP8 needs
// sm_89+). Built by run.sh with nvcc.
//
//===----------------------------------------------------------------------===//

#include <cublasLt.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#define CHECK_CUDA(call)                                                       \
  do {                                                                         \
    cudaError_t e = (call);                                                    \
    if (e != cudaSuccess) {                                                    \
      std::fprintf(stderr, "baselines: %s: %s\n", #call,                       \
                   cudaGetErrorString(e));                                     \
      std::exit(1);                                                            \
    }                                                                          \
  } while (0)

template <typename F> static float minTimeUs(int reps, F fn) {
  cudaEvent_t start, stop;
  CHECK_CUDA(cudaEventCreate(&start));
  CHECK_CUDA(cudaEventCreate(&stop));
  fn(); // warm-up
  CHECK_CUDA(cudaDeviceSynchronize());
  float best = 1e30f;
  for (int i = 0; i < reps; ++i) {
    CHECK_CUDA(cudaEventRecord(start));
    fn();
    CHECK_CUDA(cudaEventRecord(stop));
    CHECK_CUDA(cudaEventSynchronize(stop));
    float ms = 0;
    CHECK_CUDA(cudaEventElapsedTime(&ms, start, stop));
    best = std::min(best, ms * 1000.0f);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return best;
}

static int copy(size_t bytes, int reps) {
  void *a = nullptr, *b = nullptr;
  CHECK_CUDA(cudaMalloc(&a, bytes));
  CHECK_CUDA(cudaMalloc(&b, bytes));
  CHECK_CUDA(cudaMemset(a, 1, bytes));
  float us = minTimeUs(reps, [&] {
    CHECK_CUDA(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice));
  });
  std::printf("copy %zu: min %.3f us\n", bytes, us);
  return 0;
}

/// One cuBLASLt FP8 GEMM with output type `out`; returns false (and why)
/// when cuBLASLt has no algorithm for it.
static bool gemm(int m, int n, int k, int reps, cudaDataType_t out,
                 const char *outName, std::string &why) {
  cublasLtHandle_t handle;
  if (cublasLtCreate(&handle) != CUBLAS_STATUS_SUCCESS) {
    why = "cublasLtCreate failed";
    return false;
  }
  size_t outBytes = out == CUDA_R_32F ? 4 : 2;
  void *a, *b, *d, *workspace;
  size_t workspaceBytes = size_t(64) << 20;
  CHECK_CUDA(cudaMalloc(&a, size_t(m) * k));
  CHECK_CUDA(cudaMalloc(&b, size_t(k) * n));
  CHECK_CUDA(cudaMalloc(&d, size_t(m) * n * outBytes));
  CHECK_CUDA(cudaMalloc(&workspace, workspaceBytes));
  // 0x38 is 1.0 in e4m3: finite values everywhere.
  CHECK_CUDA(cudaMemset(a, 0x38, size_t(m) * k));
  CHECK_CUDA(cudaMemset(b, 0x38, size_t(k) * n));

  cublasLtMatmulDesc_t op;
  cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32F, CUDA_R_32F);
  cublasOperation_t transA = CUBLAS_OP_T, transB = CUBLAS_OP_N;
  cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &transA,
                                 sizeof(transA));
  cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSB, &transB,
                                 sizeof(transB));
  // Column-major: A stored K x M (transposed), B K x N, D M x N.
  cublasLtMatrixLayout_t la, lb, ld;
  cublasLtMatrixLayoutCreate(&la, CUDA_R_8F_E4M3, k, m, k);
  cublasLtMatrixLayoutCreate(&lb, CUDA_R_8F_E4M3, k, n, k);
  cublasLtMatrixLayoutCreate(&ld, out, m, n, m);
  cublasLtMatmulPreference_t pref;
  cublasLtMatmulPreferenceCreate(&pref);
  cublasLtMatmulPreferenceSetAttribute(
      pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspaceBytes,
      sizeof(workspaceBytes));
  cublasLtMatmulHeuristicResult_t heuristic = {};
  int found = 0;
  cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(
      handle, op, la, lb, ld, ld, pref, 1, &heuristic, &found);
  bool ok = status == CUBLAS_STATUS_SUCCESS && found > 0;
  if (!ok) {
    why = std::string("no cuBLASLt FP8 algorithm with ") + outName +
          " output (status " + std::to_string(int(status)) + ")";
  } else {
    float alpha = 1.0f, beta = 0.0f;
    float us = minTimeUs(reps, [&] {
      cublasStatus_t s =
          cublasLtMatmul(handle, op, &alpha, a, la, b, lb, &beta, d, ld, d, ld,
                         &heuristic.algo, workspace, workspaceBytes, 0);
      if (s != CUBLAS_STATUS_SUCCESS) {
        std::fprintf(stderr, "baselines: cublasLtMatmul failed (%d)\n", int(s));
        std::exit(1);
      }
    });
    std::printf("gemm %d %d %d %s: min %.3f us\n", m, n, k, outName, us);
  }
  cublasLtMatmulPreferenceDestroy(pref);
  cublasLtMatrixLayoutDestroy(la);
  cublasLtMatrixLayoutDestroy(lb);
  cublasLtMatrixLayoutDestroy(ld);
  cublasLtMatmulDescDestroy(op);
  cudaFree(a);
  cudaFree(b);
  cudaFree(d);
  cudaFree(workspace);
  cublasLtDestroy(handle);
  return ok;
}

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 3 && args[0] == "copy")
    return copy(std::stoull(args[1]), std::stoi(args[2]));
  if (args.size() == 5 && args[0] == "gemm") {
    int m = std::stoi(args[1]), n = std::stoi(args[2]), k = std::stoi(args[3]);
    int reps = std::stoi(args[4]);
    cudaDeviceProp prop;
    CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
    if (prop.major * 10 + prop.minor < 89) {
      std::printf("gemm %d %d %d: unsupported (FP8 needs sm_89+, device is "
                  "sm_%d%d)\n",
                  m, n, k, prop.major, prop.minor);
      return 0;
    }
    std::string why32, why16;
    if (gemm(m, n, k, reps, CUDA_R_32F, "f32", why32) ||
        gemm(m, n, k, reps, CUDA_R_16BF, "bf16", why16))
      return 0;
    std::printf("gemm %d %d %d: unsupported (%s; %s)\n", m, n, k,
                why32.c_str(), why16.c_str());
    return 0;
  }
  std::fprintf(stderr, "usage: baselines copy BYTES REPS | gemm M N K REPS\n");
  return 1;
}
