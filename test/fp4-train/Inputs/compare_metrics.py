#!/usr/bin/env python3
"""Compares two fp4-train metrics files, ignoring the timing fields
(`seconds`, `images_per_second`, `timing`). Prints "same metrics (N epochs)" or the
first difference and exits 1."""
import json
import sys


def strip(value):
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items()
                if k not in ("seconds", "images_per_second", "timing")}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


a, b = (strip(json.load(open(p))) for p in sys.argv[1:3])
if a != b:
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            print("metrics differ in '%s': %r vs %r" % (key, a.get(key), b.get(key)))
            sys.exit(1)
print("same metrics (%d epochs)" % len(a["epochs"]))
