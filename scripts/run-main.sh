#!/usr/bin/env bash
# README command (a): installs what is missing, builds, and runs the main job:
# the bundled default CNN (examples/models/cnn.onnx) trained on Fashion-MNIST
# with the ibm-fp4 recipe (INT4 forward, radix-4 FP4 gradients with
# two-phase rounding and per-layer GradScale), then its test accuracy next to
# the fp32 figure that docs/results.md records for the same schedule.
#
# Outputs in build/main/: metrics.json, curves.png, trained.onnx.
# FP4_MAIN_EPOCHS overrides the number of epochs (the comparison with fp32 is
# only printed for the recorded schedule).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

EPOCHS="${FP4_MAIN_EPOCHS:-2}"
SCHEDULE=(--epochs "$EPOCHS" --batch 128 --lr 0.05 --momentum 0.9
          --weight-decay 5e-4 --schedule cosine --seed 0)
OUT="$BUILD_DIR/main"
mkdir -p "$OUT"

fp4_log "training examples/models/cnn.onnx with recipe ibm-fp4 on Fashion-MNIST (${SCHEDULE[*]})"
"$BUILD_DIR/bin/fp4-train" "$FP4_ROOT/examples/models/cnn.onnx" \
  --recipe ibm-fp4 --dataset fashion-mnist "${SCHEDULE[@]}" \
  --metrics "$OUT/metrics.json" --plot "$OUT/curves.png" \
  --export "$OUT/trained.onnx"

python3 - "$OUT/metrics.json" "$FP4_ROOT/docs/results.json" "${SCHEDULE[*]}" <<'PY'
import json, sys
metrics, recorded, schedule = sys.argv[1], sys.argv[2], sys.argv[3]
m = json.load(open(metrics))
acc = m["epochs"][-1]["test_accuracy"]
ips = m["epochs"][-1]["images_per_second"]
print(f"[fp4] ibm-fp4 (4-bit) test accuracy: {acc:.2f}%  ({ips:.0f} images/s)")
try:
    fp32 = json.load(open(recorded))["cnn"][schedule]["fp32"]
    print(f"[fp4] fp32 test accuracy recorded in docs/results.md for the same "
          f"schedule: {fp32:.2f}%  (difference {acc - fp32:+.2f} points)")
except (OSError, KeyError, ValueError):
    print("[fp4] no fp32 figure recorded in docs/results.json for this schedule "
          "(scripts/make-results.py records it)")
print(f"[fp4] metrics, curves and the trained ONNX model: {metrics.rsplit('/', 1)[0]}/")
PY
