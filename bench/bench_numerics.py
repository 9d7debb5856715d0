#!/usr/bin/env python3
"""Benchmark of the compiled fp4 numerics on the CPU (not a test).

Measures, in one run:
  * compiled fp4.quantize throughput (GB/s of f32 input) for several formats,
    against numpy's f32 copy of the same array (the bandwidth peer);
  * compiled fp4.lowp_matmul GFLOP/s against numpy's f32 matmul (OpenBLAS
    when libopenblas0-pthread is installed) on the same shapes.

Times come from `fp4-run --benchmark N` (minimum wall time per call,
compilation and file I/O excluded; each call includes allocating its result
buffer) and from time.perf_counter around numpy calls (minimum of N).

Usage: /usr/bin/python3 bench/bench_numerics.py [--build build] [--quick]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

QUANT_FORMATS = [
    ("int4", "#fp4.format<int4>", 4),
    ("radix4_even", "#fp4.format<radix4, even>", 4),
    ("e2m1", "#fp4.format<e2m1>", 4),
    ("e4m3", "#fp4.format<e4m3>", 8),
]


def run_bench(fp4_run, mlir, entry, inputs, reps):
    cmd = [fp4_run, mlir, "--entry", entry, "--benchmark", str(reps)]
    for i in inputs:
        cmd += ["--input", i]
    with tempfile.TemporaryDirectory() as out:
        # Outputs are written to a throwaway file (not timed).
        n_out = mlir_num_results(mlir, entry)
        for k in range(n_out):
            cmd += ["--output", os.path.join(out, f"o{k}.npy")]
        res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{res.stderr}")
    m = re.search(r"min ([0-9.]+) s", res.stdout)
    return float(m.group(1))


def mlir_num_results(mlir, entry):
    text = open(mlir).read()
    m = re.search(r"func\.func @" + entry + r"\([^)]*\)\s*->\s*\(([^)]*)\)", text)
    if m:
        return m.group(1).count("tensor<")
    return 1


def best_of(fn, reps):
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--quick", action="store_true", help="smaller sizes")
    args = ap.parse_args()
    fp4_run = os.path.join(args.build, "bin", "fp4-run")
    n = 1 << (22 if args.quick else 25)
    reps = 3 if args.quick else 7
    rng = np.random.default_rng(0)

    try:
        from threadpoolctl import threadpool_info
        blas = ", ".join(f"{i['internal_api']} ({i.get('architecture', '?')}, "
                         f"{i['num_threads']} threads)" for i in threadpool_info())
    except ImportError:
        blas = "unknown (threadpoolctl not installed)"
    print(f"numpy {np.__version__}, BLAS: {blas}")
    print(f"fp4-run: {fp4_run}\n")

    with tempfile.TemporaryDirectory() as d:
        x = rng.standard_normal(n).astype(np.float32)
        xp = os.path.join(d, "x.npy")
        sp = os.path.join(d, "s.npy")
        np.save(xp, x)
        np.save(sp, np.float32(8.0))
        y = np.empty_like(x)
        copy = best_of(lambda: np.copyto(y, x), reps)
        copy_gbs = x.nbytes / copy / 1e9
        print(f"quantize, {n} f32 elements ({x.nbytes >> 20} MiB), one thread")
        print(f"  numpy f32 copy            {copy * 1e3:8.2f} ms  {copy_gbs:6.2f} GB/s")
        for name, fmt, bits in QUANT_FORMATS:
            storage = n // 2 if bits == 4 else n
            ety = "i8"
            src = f"""
func.func @q(%x: tensor<{n}xf32>, %s: f32) -> tensor<{storage}x{ety}> {{
  %q = fp4.quantize %x, %s : tensor<{n}xf32> -> !fp4.qtensor<{n}x{fmt}>
  %c, %sc = fp4.unpack %q : !fp4.qtensor<{n}x{fmt}>
  return %c : tensor<{storage}x{ety}>
}}"""
            mp = os.path.join(d, f"q_{name}.mlir")
            open(mp, "w").write(src)
            t = run_bench(fp4_run, mp, "q", [xp, sp], reps)
            gbs = x.nbytes / t / 1e9
            print(f"  fp4.quantize {name:12s} {t * 1e3:8.2f} ms  {gbs:6.2f} GB/s"
                  f"  = {gbs / copy_gbs * 100:5.1f}% of copy")

        print("\nlowp_matmul (uint4 x int4, f32 accumulation) vs numpy f32 matmul")
        shapes = [(128, 784, 256), (512, 512, 512)]
        if not args.quick:
            shapes.append((1024, 1024, 1024))
        for (m, k, nn) in shapes:
            a = np.abs(rng.standard_normal((m, k))).astype(np.float32)
            b = rng.standard_normal((k, nn)).astype(np.float32)
            ap_, bp_ = os.path.join(d, "a.npy"), os.path.join(d, "b.npy")
            np.save(ap_, a)
            np.save(bp_, b)
            src = f"""
func.func @mm(%a: tensor<{m}x{k}xf32>, %b: tensor<{k}x{nn}xf32>, %sa: f32, %sb: f32) -> tensor<{m}x{nn}xf32> {{
  %qa = fp4.quantize %a, %sa : tensor<{m}x{k}xf32> -> !fp4.qtensor<{m}x{k}x#fp4.format<uint4>>
  %qb = fp4.quantize %b, %sb : tensor<{k}x{nn}xf32> -> !fp4.qtensor<{k}x{nn}x#fp4.format<int4>>
  %c = fp4.lowp_matmul %qa, %qb : !fp4.qtensor<{m}x{k}x#fp4.format<uint4>>, !fp4.qtensor<{k}x{nn}x#fp4.format<int4>> -> tensor<{m}x{nn}xf32>
  return %c : tensor<{m}x{nn}xf32>
}}"""
            mp = os.path.join(d, f"mm_{m}_{k}_{nn}.mlir")
            open(mp, "w").write(src)
            sa, sb = os.path.join(d, "sa.npy"), os.path.join(d, "sb.npy")
            np.save(sa, np.float32(15.0 / a.max()))
            np.save(sb, np.float32(7.0 / np.abs(b).max()))
            mm_reps = 2 if m * k * nn >= 1 << 28 else reps
            t = run_bench(fp4_run, mp, "mm", [ap_, bp_, sa, sb], mm_reps)
            tn = best_of(lambda: a @ b, reps)
            flop = 2.0 * m * k * nn
            print(f"  {m}x{k}x{nn}: fp4 (quantize both + matmul) {flop / t / 1e9:7.2f} GFLOP/s,"
                  f" numpy {flop / tn / 1e9:7.2f} GFLOP/s, ratio {tn / t:6.3f}")


if __name__ == "__main__":
    main()
