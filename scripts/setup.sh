#!/usr/bin/env bash
# Installs the Debian packages fp4 needs (only those missing), then configures
# and builds the project in build/. Sourced by run-main.sh and run-tests.sh;
# safe and fast to run again.
set -euo pipefail

FP4_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${FP4_BUILD_DIR:-$FP4_ROOT/build}"

# Debian 12 packages: the LLVM/MLIR 22 toolchain, the build tools, GoogleTest,
# and Python with numpy for the tests' input generators.
FP4_PACKAGES=(
  clang-22 llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  cmake ninja-build libgtest-dev
  python3 python3-numpy
  # ONNX import (docs/onnx.md): libonnx + protobuf headers, ONNX's backend
  # test data, python3-onnx to build test models, PyTorch as the oracle.
  libonnx-dev libprotobuf-dev libonnx-testdata python3-onnx
  python3-torch python3-torchvision
  # fp4-train (docs/training.md): gzip'd IDX data, the dataset, plots.
  zlib1g-dev dataset-fashion-mnist python3-matplotlib
  # The Python package's test suite (docs/python.md).
  python3-pytest
  # Benchmarks compare with numpy on OpenBLAS.
  libopenblas0-pthread
  # The OpenMP runtime of the parallel CPU code (docs/performance.md).
  libomp-22-dev
)

fp4_log() { printf '[fp4] %s\n' "$*"; }

fp4_install() {
  local missing=()
  for p in "${FP4_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    fp4_log "all Debian packages present"
    return
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "fp4: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  fp4_log "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

fp4_build() {
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    fp4_log "configuring $BUILD_DIR (Release, clang-22, Ninja)"
    cmake -G Ninja -S "$FP4_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  fp4_log "building"
  cmake --build "$BUILD_DIR"
}

fp4_install
fp4_build
