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

step "training step: resnet18, batch 256, ibm-fp4 vs fp32 (fp4-train --device cuda)"
# torchvision resnet18 (1-channel stem, 10 classes) on Fashion-MNIST: 8
# training steps after the compile, images/s of the epoch from --metrics.
ninja -C "$BUILD" -j "$JOBS" fp4-train
if [[ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]]; then
  echo "run.sh: skipped: no Fashion-MNIST (apt install dataset-fashion-mnist)"
else
/usr/bin/python3 "$ROOT/examples/models/make_models.py" --out "$BUILD/bench-gpu" resnet18 >/dev/null
for recipe in fp32 ibm-fp4; do
  t0=$SECONDS
  "$BUILD/bin/fp4-train" "$BUILD/bench-gpu/resnet18.onnx" --device cuda \
    --recipe "$recipe" --batch 256 --epochs 1 --limit-train 2048 \
    --limit-test 256 --quiet --metrics "$BUILD/bench-gpu/resnet18-$recipe.json"
  /usr/bin/python3 - "$BUILD/bench-gpu/resnet18-$recipe.json" "$recipe" $((SECONDS - t0)) <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
e = m["epochs"][-1]
print(f"resnet18 {sys.argv[2]:8s} batch 256: {e['images_per_second']:8.0f} images/s "
      f"({256 / e['images_per_second'] * 1e3:.1f} ms/step; {sys.argv[3]} s with compile)")
PY
done
fi
step "done"
