#!/usr/bin/env python3
"""Benchmark of the compiled CPU GEMMs against numpy/OpenBLAS (not a test).

Measures, in one run and on the same machine state:
  * f32 linalg.matmul (and its backward forms dC.B^T, A^T.dC) compiled by
    fp4-run, against numpy's f32 matmul (OpenBLAS SGEMM), in GFLOP/s;
  * fp4.lowp_matmul on pre-quantized operands (fp4.pack of codes and scales,
    so only the GEMM is timed), in GOP/s (2*M*N*K per call) against the same
    SGEMM: the exact integer path (int4 x uint4: u8 x s8 quads, vpdpbusd on
    AVX512-VNNI; radix4 x int4: i16 pairs, vpmaddwd/vpdpwssd) and the f32
    path (e4m3 x e4m3, not integer-valued);
  * fp4.quantize (f32 -> packed 4-bit codes) in GB/s of f32 input, against
    the read+write GB/s of a memcpy (numpy's f32 copy, one thread) and of a
    compiled f32 copy (the issue's measure);
  * 2-D convolutions (forward NCHW) against torch.nn.functional.conv2d when
    torch is installed (else skipped);
  * compile time (fp4-run's JIT compilation, from its --benchmark report).

Times come from `fp4-run --benchmark N` (minimum wall time per call,
compilation and file I/O excluded; each call includes allocating its result)
and from time.perf_counter around numpy/torch calls (minimum of N).

Both peers run with glibc's malloc told to keep freed memory (the
environment variables MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_, set by
this script for itself and fp4-run): without them every call of either side
page-faults its multi-MiB result and temporaries in again (the compiled
1024^3 lowp_matmul spends 3.5 of its 6.5 ms there).

Usage:
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
    /usr/bin/python3 bench/bench_cpu.py [--build build] [--quick] [--only NAME]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np


def fp4_time(fp4_run, src, inputs, reps, workdir, name, n_out=1, options=""):
    path = os.path.join(workdir, name + ".mlir")
    with open(path, "w") as f:
        f.write(src)
    cmd = [fp4_run, path, "--benchmark", str(reps)]
    for i in inputs:
        cmd += ["--input", i]
    for k in range(n_out):
        cmd += ["--output", os.path.join(workdir, f"{name}_o{k}.npy")]
    env = dict(os.environ)
    if options:
        env["FP4_CPU_PIPELINE_OPTIONS"] = options
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{res.stderr}")
    m = re.search(r"min ([0-9.e-]+) s", res.stdout)
    return float(m.group(1)), wall


def reps_for(flop, base):
    """More calls for small problems (warm thread pools, stable minimum)."""
    return int(min(2000, max(base, 4e9 / max(flop, 1.0))))


def best_of(fn, reps):
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def save(workdir, name, arr):
    p = os.path.join(workdir, name + ".npy")
    np.save(p, arr)
    return p


MATMUL = """
func.func @mm(%a: tensor<{MA}xf32>, %b: tensor<{MB}xf32>) -> tensor<{M}x{N}xf32> {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{M}x{N}xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<{M}x{N}xf32>) -> tensor<{M}x{N}xf32>
  %r = linalg.matmul {MAPS} ins(%a, %b : tensor<{MA}xf32>, tensor<{MB}xf32>)
                     outs(%f : tensor<{M}x{N}xf32>) -> tensor<{M}x{N}xf32>
  return %r : tensor<{M}x{N}xf32>
}}
"""

MAPS = {
    "nn": "",
    # dC . B^T: B stored N x K.
    "nt": "indexing_maps = [affine_map<(m, n, k) -> (m, k)>, "
          "affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]",
    # A^T . dC: A stored K x M.
    "tn": "indexing_maps = [affine_map<(m, n, k) -> (k, m)>, "
          "affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]",
}

LOWP = """
func.func @mm(%ca: tensor<{NA}x{SA}>, %cb: tensor<{NB}x{SB}>, %sa: f32, %sb: f32) -> tensor<{M}x{N}xf32> {{
  %qa = fp4.pack %ca, %sa : tensor<{NA}x{SA}>, f32 -> !fp4.qtensor<{M}x{K}x{FA}>
  %qb = fp4.pack %cb, %sb : tensor<{NB}x{SB}>, f32 -> !fp4.qtensor<{K}x{N}x{FB}>
  %c = fp4.lowp_matmul %qa, %qb : !fp4.qtensor<{M}x{K}x{FA}>, !fp4.qtensor<{K}x{N}x{FB}> -> tensor<{M}x{N}xf32>
  return %c : tensor<{M}x{N}xf32>
}}
"""

CONV = """
func.func @conv(%x: tensor<{N}x{C}x{H}x{W}xf32>, %w: tensor<{F}x{C}x{KH}x{KW}xf32>) -> tensor<{N}x{F}x{OH}x{OW}xf32> {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{N}x{F}x{OH}x{OW}xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<{N}x{F}x{OH}x{OW}xf32>) -> tensor<{N}x{F}x{OH}x{OW}xf32>
  %r = linalg.conv_2d_nchw_fchw {{strides = dense<{S}> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}}
      ins(%x, %w : tensor<{N}x{C}x{H}x{W}xf32>, tensor<{F}x{C}x{KH}x{KW}xf32>) outs(%f : tensor<{N}x{F}x{OH}x{OW}xf32>) -> tensor<{N}x{F}x{OH}x{OW}xf32>
  return %r : tensor<{N}x{F}x{OH}x{OW}xf32>
}}
"""

COPY = """
func.func @copy(%x: tensor<{n}xf32>) -> tensor<{n}xf32> {{
  %e = tensor.empty() : tensor<{n}xf32>
  %r = linalg.copy ins(%x : tensor<{n}xf32>) outs(%e : tensor<{n}xf32>) -> tensor<{n}xf32>
  return %r : tensor<{n}xf32>
}}
"""

QUANT = """
func.func @q(%x: tensor<{n}xf32>, %s: f32) -> tensor<{storage}xi8> {{
  %q = fp4.quantize %x, %s : tensor<{n}xf32> -> !fp4.qtensor<{n}x{fmt}>
  %c, %sc = fp4.unpack %q : !fp4.qtensor<{n}x{fmt}>
  return %c : tensor<{storage}xi8>
}}
"""

# (name, storage element type, codes per byte, numpy sampler of valid codes)
FORMATS = {
    "int4": ("i8", 2, lambda rng, n: rng.integers(-7, 8, n)),
    "uint4": ("i8", 2, lambda rng, n: rng.integers(0, 16, n)),
    "radix4_even": ("i8", 2, lambda rng, n: rng.integers(0, 16, n) & 0x77),
    "e4m3": ("i8", 1, lambda rng, n: rng.integers(0, 0x77, n)),
}
ATTR = {
    "int4": "#fp4.format<int4>",
    "uint4": "#fp4.format<uint4>",
    "radix4_even": "#fp4.format<radix4, even>",
    "e4m3": "#fp4.format<e4m3>",
}


def codes(rng, fmt, n):
    _, per_byte, sample = FORMATS[fmt]
    c = sample(rng, n).astype(np.int64)
    if per_byte == 2:
        c = c & 0xF
        if n % 2:
            c = np.append(c, 0)
        return (c[0::2] | (c[1::2] << 4)).astype(np.uint8).view(np.int8)
    return c.astype(np.uint8).view(np.int8)


MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(1 << 28),
              "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}


def main():
    if any(k not in os.environ for k in MALLOC_ENV):
        os.execve(sys.executable, [sys.executable] + sys.argv,
                  dict(os.environ, **MALLOC_ENV))
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="", help="matmul, lowp, quant or conv")
    args = ap.parse_args()
    fp4_run = os.path.join(args.build, "bin", "fp4-run")
    rng = np.random.default_rng(0)
    reps = 5 if args.quick else 10

    try:
        from threadpoolctl import threadpool_info
        blas = ", ".join(f"{i['internal_api']} ({i.get('architecture', '?')}, "
                         f"{i['num_threads']} threads)" for i in threadpool_info())
    except ImportError:
        blas = "threadpoolctl not installed"
    print(f"numpy {np.__version__}, BLAS: {blas}; fp4-run: {fp4_run} "
          f"(threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'all cores')})")

    with tempfile.TemporaryDirectory() as d:
        if args.only in ("", "matmul"):
            print("\nf32 linalg.matmul: fp4 vs numpy SGEMM (GFLOP/s)")
            shapes = [(1024, 1024, 1024, "nn"), (128, 784, 256, "nn"),
                      (128, 256, 10, "nn"), (128, 256, 784, "nt"),
                      (784, 128, 256, "tn"), (512, 512, 512, "nn")]
            for (m, k, n, form) in shapes:
                ma = f"{k}x{m}" if form == "tn" else f"{m}x{k}"
                mb = f"{n}x{k}" if form == "nt" else f"{k}x{n}"
                a = rng.standard_normal([int(s) for s in ma.split("x")]).astype(np.float32)
                b = rng.standard_normal([int(s) for s in mb.split("x")]).astype(np.float32)
                src = MATMUL.format(M=m, N=n, MA=ma, MB=mb, MAPS=MAPS[form])
                flop = 2.0 * m * n * k
                r = reps_for(flop, reps)
                t, wall = fp4_time(fp4_run, src, [save(d, "a", a), save(d, "b", b)],
                                   r, d, "mm")
                opa = a.T if form == "tn" else a
                opb = b.T if form == "nt" else b
                tn = best_of(lambda: opa @ opb, r)
                print(f"  {m}x{k}x{n} {form}: fp4 {flop / t / 1e9:7.1f}, numpy "
                      f"{flop / tn / 1e9:7.1f}, ratio {tn / t:5.2f}  "
                      f"(fp4-run total {wall:.2f} s)")

        if args.only in ("", "lowp"):
            print("\nfp4.lowp_matmul on packed codes (GOP/s, 2*M*N*K) vs numpy SGEMM")
            shapes = [(1024, 1024, 1024), (128, 784, 256), (128, 256, 10),
                      (512, 512, 512)]
            # (format a, format b, max |value| in integer units, options,
            # label); the integer path applies when K * maxA * maxB <= 2^24
            # (bit-identical to f32 accumulation), or 2^31 - 1 with
            # int-matmul-bound=int32.
            pairs = [("int4", "uint4", 8 * 15, "", "u8 x s8"),
                     ("radix4_even", "int4", 4096 * 8, "", "i16 pairs"),
                     ("radix4_even", "int4", 4096 * 8,
                      "int-matmul-bound=int32", "i16, bound int32"),
                     ("e4m3", "e4m3", None, "", "f32 path")]
            for (m, k, n) in shapes:
                a = rng.standard_normal((m, k)).astype(np.float32)
                b = rng.standard_normal((k, n)).astype(np.float32)
                flop = 2.0 * m * n * k
                r = reps_for(flop, reps)
                tn = best_of(lambda: a @ b, r)
                print(f"  {m}x{k}x{n}: numpy SGEMM {flop / tn / 1e9:7.1f} GFLOP/s")
                for fa, fb, prod, options, label in pairs:
                    if prod is None:
                        path = "f32"
                    elif k * prod <= (1 << 24):
                        path = "integer"
                    elif "int32" in options and k * prod < (1 << 31):
                        path = "integer, exactly rounded"
                    else:
                        path = "f32 (bound)"
                    if "int32" in options and k * prod <= (1 << 24):
                        continue
                    ca, cb = codes(rng, fa, m * k), codes(rng, fb, k * n)
                    src = LOWP.format(M=m, N=n, K=k, NA=ca.size, NB=cb.size,
                                      SA="i8", SB="i8", FA=ATTR[fa], FB=ATTR[fb])
                    inputs = [save(d, "ca", ca), save(d, "cb", cb),
                              save(d, "sa", np.float32(4.0)),
                              save(d, "sb", np.float32(8.0))]
                    t, _ = fp4_time(fp4_run, src, inputs, r, d, "lowp",
                                    options=options)
                    print(f"    {fa} x {fb} ({label}; {path} path): "
                          f"{flop / t / 1e9:7.1f} GOP/s = {tn / t:4.2f}x SGEMM")

        if args.only in ("", "quant"):
            n = 1 << (23 if args.quick else 25)
            x = rng.standard_normal(n).astype(np.float32)
            xp, sp = save(d, "x", x), save(d, "s", np.float32(8.0))
            y = np.empty_like(x)
            tc = best_of(lambda: np.copyto(y, x), reps)
            copy_gbs = 2 * x.nbytes / tc / 1e9
            print(f"\nfp4.quantize f32 -> packed codes, {n} elements "
                  f"({x.nbytes >> 20} MiB)")
            print(f"  numpy f32 copy (memcpy, one thread) {copy_gbs:7.2f} GB/s read+write")
            src = COPY.format(n=n)
            t, _ = fp4_time(fp4_run, src, [xp], reps, d, "copy")
            ccopy_gbs = 2 * x.nbytes / t / 1e9
            print(f"  compiled f32 copy (linalg.copy)     {ccopy_gbs:7.2f} GB/s read+write")
            peer = max(copy_gbs, ccopy_gbs)
            for fmt in ("int4", "uint4", "radix4_even", "e4m3"):
                storage = n if fmt == "e4m3" else n // 2
                src = QUANT.format(n=n, storage=storage, fmt=ATTR[fmt])
                t, _ = fp4_time(fp4_run, src, [xp, sp], reps, d, "quant")
                gbs = x.nbytes / t / 1e9
                print(f"  fp4.quantize {fmt:12s}           {gbs:7.2f} GB/s of f32 "
                      f"input = {gbs / peer * 100:5.1f}% of the faster copy's "
                      f"read+write GB/s")

        if args.only in ("", "conv"):
            try:
                import torch
                torch.set_num_threads(os.cpu_count())
            except ImportError:
                torch = None
            print("\nconv_2d_nchw_fchw f32 forward (GFLOP/s)" +
                  ("" if torch else " (torch not installed: no peer)"))
            convs = [(64, 32, 14, 14, 64, 3, 1, 1), (64, 1, 28, 28, 32, 3, 1, 1),
                     (64, 64, 14, 14, 64, 3, 2, 1)]
            for (n, c, h, w, f, kk, s, p) in convs:
                hp, wp = h + 2 * p, w + 2 * p
                oh, ow = (hp - kk) // s + 1, (wp - kk) // s + 1
                x = rng.standard_normal((n, c, hp, wp)).astype(np.float32)
                wt = rng.standard_normal((f, c, kk, kk)).astype(np.float32)
                src = CONV.format(N=n, C=c, H=hp, W=wp, F=f, KH=kk, KW=kk,
                                  OH=oh, OW=ow, S=s)
                flop = 2.0 * n * f * oh * ow * c * kk * kk
                r = reps_for(flop, reps)
                t, wall = fp4_time(fp4_run, src, [save(d, "x", x), save(d, "w", wt)],
                                   r, d, "conv")
                line = (f"  N{n} C{c}->{f} {h}x{w} k{kk} s{s}: fp4 "
                        f"{flop / t / 1e9:7.1f}")
                if torch:
                    tx, tw = torch.from_numpy(x), torch.from_numpy(wt)
                    with torch.no_grad():
                        tt = best_of(lambda: torch.nn.functional.conv2d(tx, tw, stride=s), r)
                    line += f", torch {flop / tt / 1e9:7.1f}, ratio {tt / t:5.2f}"
                print(line + f"  (fp4-run total {wall:.2f} s)")


if __name__ == "__main__":
    main()
