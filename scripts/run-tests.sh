#!/usr/bin/env bash
# README command (b): installs what is missing, builds, and runs every test
# suite (lit regression + integration tests and the GoogleTest unit tests, in
# one lit run). Exits non-zero on any failure; lit prints the summary last.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
fp4_log "running every test suite (check-fp4)"
cmake --build "$BUILD_DIR" --target check-fp4
