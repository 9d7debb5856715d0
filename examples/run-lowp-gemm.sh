#!/usr/bin/env bash
# The default job until the training driver lands: compile the bundled
# 4-bit GEMM example through the CPU pipeline, JIT-run it and report.
set -euo pipefail
BUILD_DIR="${1:-build}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EX="$ROOT/examples/lowp_gemm.mlir"
OPT="$BUILD_DIR/bin/fp4-opt"
RUN="$BUILD_DIR/bin/fp4-run"

count() { grep -c "$1" || true; }
fp4_ops=$("$OPT" "$EX" | count ' fp4\.')
std_lines=$("$OPT" "$EX" --convert-fp4-to-standard | count 'vector.transfer_')
llvm_ops=$("$OPT" "$EX" --fp4-to-llvm | count 'llvm\.')
echo "[fp4] example: $EX"
echo "[fp4]   $fp4_ops fp4 ops (quantize, compute_scale, gradscale, lowp_matmul)"
echo "[fp4]   --convert-fp4-to-standard: vectorized loops with $std_lines vector transfers, packed 4-bit storage"
echo "[fp4]   --fp4-to-llvm: $llvm_ops LLVM dialect ops; JIT-compiling and running on the CPU"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s.%N)
"$RUN" "$EX" --entry main \
  --output "$tmp/fwd.npy" --output "$tmp/dx.npy" --output "$tmp/dw.npy" \
  --output "$tmp/sawb.npy" --output "$tmp/gradscale.npy" --output "$tmp/counters.npy"
end=$(date +%s.%N)
/usr/bin/python3 - "$tmp" "$start" "$end" <<'PY'
import sys, numpy as np
d, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
ld = lambda n: np.load(f"{d}/{n}.npy")
sat, flushed, nonfinite = ld("counters").tolist()
print("[fp4] one linear layer, 64x256 activations, 128x256 weights (Sun et al. 2020 recipe):")
print(f"[fp4]   forward  Y  = X W^T, uint4 x int4 (SAWB scale {float(ld('sawb')):.4f}): "
      f"relative error vs f32 {float(ld('fwd')):.4f}")
print(f"[fp4]   backward dX = dY W,  radix-4 even phase x int4:  relative error {float(ld('dx')):.4f}")
print(f"[fp4]   backward dW = dY^T X, radix-4 odd phase x uint4: relative error {float(ld('dw')):.4f}")
print(f"[fp4]   GradScale for dY: 2^{int(np.log2(float(ld('gradscale'))))}; "
      f"dY quantizer counters: saturated {sat}, flushed {flushed}, non-finite {nonfinite}")
print(f"[fp4]   compiled and ran in {t1 - t0:.2f} s")
PY
