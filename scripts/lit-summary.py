#!/usr/bin/env python3
"""Prints 'N passed, N failed, N skipped' from lit's --output JSON file."""
import json
import sys

PASSED = {"PASS", "XFAIL", "FLAKYPASS"}
SKIPPED = {"UNSUPPORTED", "SKIPPED", "EXCLUDED"}

try:
    with open(sys.argv[1]) as f:
        tests = json.load(f)["tests"]
except (OSError, ValueError, KeyError) as e:
    print(f"fp4: no test results ({e}); the build or lit failed before testing")
    print("0 passed, 1 failed")
    sys.exit(1)
codes = [t["code"] for t in tests]
passed = sum(c in PASSED for c in codes)
skipped = sum(c in SKIPPED for c in codes)
failed = len(codes) - passed - skipped
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
