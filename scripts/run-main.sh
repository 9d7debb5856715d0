#!/usr/bin/env bash
# README command (a): installs what is missing, builds, and runs the default
# job. Until the training driver lands, the default job compiles and runs the
# bundled 4-bit GEMM example (examples/lowp_gemm.mlir) through the CPU
# pipeline and reports what it did.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
exec bash "$FP4_ROOT/examples/run-lowp-gemm.sh" "$BUILD_DIR"
