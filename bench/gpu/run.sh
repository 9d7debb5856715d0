#!/usr/bin/env bash
# GPU check and benchmark of fp4, for a machine with an NVIDIA GPU, the CUDA
# toolkit (nvcc, ptxas, cuBLASLt) and the Debian LLVM/MLIR 22 packages.
#
#   bench/gpu/run.sh [--quick] [BUILD_DIR]      (default build dir: build)
#
# 1. Builds fp4-opt, fp4-run and fp4-numerics-check (configuring BUILD_DIR
#    if needed) and the vendor baselines (bench/gpu/baselines.cu, nvcc).
# 2. Runs the GPU tests: test/GPU and test/Conversion/FP4ToNVVM (PTX
#    FileCheck tests, ptxas on every chip, the device smoke test, the
#    numerics of the kernels on the host), then test/GPU/Numerics again with
#    every kernel on the device (lit --param fp4_gpu_device=cuda): quantize,
#    dequantize, stochastic rounding, counters, gradscale, compute_scale and
#    lowp_matmul compared bit for bit with the numerics library
#    (fp4-numerics-check).
# 3. Times quantize (GB/s) against a device-to-device copy and lowp_matmul
#    (TFLOP/s) against cuBLASLt's FP8 e4m3 GEMM of the same shapes, and
#    prints a table (bench/gpu/bench.py).
# Sized for 8 minutes on a 16-core machine with an H100/H200, most of it the
# build from scratch; --quick shortens the benchmarks.
set -euo pipefail

QUICK=""
if [[ "${1:-}" == "--quick" ]]; then
  QUICK="--quick"
  shift
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$(realpath -m "${1:-$ROOT/build}")"
JOBS="$(nproc)"
LLVM=/usr/lib/llvm-22
CUDA="${CUDA_HOME:-/usr/local/cuda}"
export PATH="$CUDA/bin:$PATH"
START=$SECONDS
step() { printf '\n== %s (%ds)\n' "$1" $((SECONDS - START)); }

step "device"
if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L; then
  echo "run.sh: no NVIDIA GPU (nvidia-smi -L failed)" >&2
  exit 1
fi

step "build"
if [[ ! -f "$BUILD/build.ninja" ]]; then
  cmake -G Ninja -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
ninja -C "$BUILD" -j "$JOBS" fp4-opt fp4-run fp4-numerics-check
if [[ ! -f "$BUILD/lib/Runtime/Cuda/CMakeFiles/obj.FP4CudaRuntime.dir/CudaRuntime.cpp.o" ]]; then
  echo "run.sh: CMake did not find the CUDA toolkit (fp4-run has no CUDA support)" >&2
  exit 1
fi
nvcc -O2 -std=c++17 -o "$BUILD/bench-gpu-baselines" "$ROOT/bench/gpu/baselines.cu" -lcublasLt

step "GPU tests (PTX, ptxas, device smoke test, kernels on the host)"
"$LLVM/bin/lit" -sv "$BUILD/test/GPU" "$BUILD/test/Conversion/FP4ToNVVM"

step "GPU tests: the numerics suite with every kernel on the device"
"$LLVM/bin/lit" -sv --param fp4_gpu_device=cuda "$BUILD/test/GPU/Numerics"

step "benchmarks"
/usr/bin/python3 "$ROOT/bench/gpu/bench.py" --build "$BUILD" \
  --baselines "$BUILD/bench-gpu-baselines" $QUICK

# TODO(fp4-train --device cuda): time a training step, resnet18 with the
# ibm-fp4 recipe against the same step in f32 (steps/s and images/s):
#   fp4-train resnet18.onnx --device cuda --chip <chip> --recipe ibm-fp4
#   fp4-train resnet18.onnx --device cuda --chip <chip> --recipe fp32
# fp4-train has no GPU mode yet. The GPU pipeline compiles whole training
# steps already (test/GPU/training-step.mlir); fp4::emitPTX and
# fp4::CudaRunner are the entry points such a mode would use.
step "done"
