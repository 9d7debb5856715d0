#!/usr/bin/env bash
# README command (b): installs what is missing, builds, and runs every test
# suite (lit regression + integration tests and the GoogleTest unit tests, in
# one lit run). Exits non-zero on any failure; the last line is the summary
# "N passed, N failed, N skipped".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
results="$BUILD_DIR/lit-results.json"
rm -f "$results"
fp4_log "running every test suite (check-fp4)"
status=0
LIT_OPTS="${LIT_OPTS:-} --output=$results" \
  cmake --build "$BUILD_DIR" --target check-fp4 || status=$?
python3 "$FP4_ROOT/scripts/lit-summary.py" "$results" || status=1
exit $status
