#!/usr/bin/env python3
"""Static peak of the buffers a lowered training step holds at one time.

Walks the top level of one function of memref-level IR in order (the IR
printed after `fp4-cpu-outline-loops`, where every loop nest is a call) and
adds the bytes of each `memref.alloc` until its `memref.dealloc`: the peak,
where it is reached, and the buffers live there by type. Allocations inside
the outlined functions (per-call scratch) are not counted.

Usage (docs/performance.md, "memory"):
  fp4-translate --import-onnx M.onnx --batch 128 --bn-mode=train \\
    | fp4-opt --fp4-build-training-step="momentum=0.9 weight-decay=0.0005" \\
    | fp4-opt --fp4-apply-recipe=recipe=ibm-fp4 \\
    | fp4-opt --fp4-to-llvm="threads=2" \\
        --mlir-print-ir-after=fp4-cpu-outline-loops 2> step.mlir > /dev/null
  python3 scripts/static-peak.py step.mlir [--function train_step] [--top 25]
"""
import argparse
import re
import sys
from collections import Counter

BYTES = {"f64": 8, "i64": 8, "f32": 4, "i32": 4, "f16": 2, "bf16": 2,
         "i16": 2, "i8": 1, "i1": 1}


def nbytes(memref_type):
    m = re.match(r"memref<((?:\d+x)*)(\w+)", memref_type)
    if not m or m.group(2) not in BYTES:
        return 0
    n = 1
    for d in m.group(1).split("x"):
        if d:
            n *= int(d)
    return n * BYTES[m.group(2)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ir")
    ap.add_argument("--function", default="train_step")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    text = open(args.ir).read()
    m = re.search(r"func\.func @%s\(.*?\n  }\n" % re.escape(args.function),
                  text, re.S)
    if not m:
        sys.exit(f"static-peak.py: no function @{args.function} in {args.ir}")
    live, cur, peak, at, peak_set = {}, 0, 0, 0, {}
    for i, line in enumerate(m.group(0).split("\n")):
        a = re.search(r"(%[\w]+) = memref\.alloc\(\).*: (memref<[^>]*>)$", line)
        if a:
            live[a.group(1)] = (nbytes(a.group(2)), a.group(2))
            cur += live[a.group(1)][0]
            if cur > peak:
                peak, at, peak_set = cur, i, dict(live)
            continue
        d = re.search(r"memref\.dealloc (%[\w]+)", line)
        if d and d.group(1) in live:
            cur -= live.pop(d.group(1))[0]
    print(f"@{args.function}: peak {peak / 2**20:.1f} MiB at line {at} of the "
          f"function, {len(peak_set)} live buffers")
    by_type = Counter(t for (_, t) in peak_set.values())
    rows = sorted(((nbytes(t) * n, t, n) for t, n in by_type.items()),
                  reverse=True)
    for total, t, n in rows[:args.top]:
        print(f"{total / 2**20:8.1f} MiB  {n:4d} x {t}")


if __name__ == "__main__":
    main()
