#!/usr/bin/env python3
"""GPU benchmark of the fp4 kernels against vendor baselines (not a test).

Run by bench/gpu/run.sh on a machine with an NVIDIA GPU; prints one table:
  * fp4.quantize (several formats and roundings) in GB/s of memory traffic
    (4 bytes read + the code bytes written per element), against a
    device-to-device copy of the input (cudaMemcpy, 2 x 4 bytes per element);
  * fp4.lowp_matmul int4 x uint4 (f32 accumulation; FP8 tensor cores on
    sm_89+) in TFLOP/s (2*M*N*K per call), against cuBLASLt's FP8 e4m3 GEMM of
    the same shape.
Kernel times are device times: fp4-run --device cuda with FP4_CUDA_PROFILE=1
times every launch with CUDA events (the minimum over the calls is used);
the baselines are timed with CUDA events by bench/gpu/baselines.cu.

Usage: python3 bench/gpu/bench.py --build build --baselines BIN [--quick]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile


def run(cmd, env=None, timeout=300):
    res = subprocess.run(cmd, capture_output=True, text=True, env=env,
                         timeout=timeout)
    if res.returncode != 0:
        sys.exit("bench: %s failed:\n%s%s" % (" ".join(cmd), res.stdout,
                                              res.stderr))
    return res


def profile(build, mlir, inputs, reps, workdir):
    """Runs fp4-run --device cuda; returns {kernel: min microseconds}."""
    env = dict(os.environ, FP4_CUDA_PROFILE="1")
    cmd = [os.path.join(build, "bin", "fp4-run"), mlir, "--device", "cuda",
           "--benchmark", str(reps)]
    for i in inputs:
        cmd += ["--input", i]
    cmd += ["--output", os.path.join(workdir, "out.npy")]
    res = run(cmd, env=env)
    times = {}
    for m in re.finditer(r"fp4-cuda-profile: (\S+): \d+ launches, min ([0-9.]+) us",
                         res.stderr):
        times[m.group(1)] = float(m.group(2))
    return times


QUANTIZE = """
func.func @q(%x: tensor<{N}xf32>, %s: f32{SEEDARG}) -> {RESULT} {{
  %q{COUNTERS} = fp4.quantize %x, %s{ROUNDING} : tensor<{N}xf32> -> !fp4.qtensor<{N}x{FMT}>{COUNTERTYPES}
  %c, %sc = fp4.unpack %q : !fp4.qtensor<{N}x{FMT}>
  return %c : tensor<{S}x{CT}>
}}
"""

MATMUL = """
func.func @mm(%a: tensor<{M}x{K}xf32>, %b: tensor<{N}x{K}xf32>, %sa: f32, %sb: f32) -> tensor<{M}x{N}xf32> {{
  %qa = fp4.quantize %a, %sa : tensor<{M}x{K}xf32> -> !fp4.qtensor<{M}x{K}x#fp4.format<int4>>
  %qb = fp4.quantize %b, %sb : tensor<{N}x{K}xf32> -> !fp4.qtensor<{N}x{K}x#fp4.format<uint4>>
  %c = fp4.lowp_matmul %qa, %qb {{transpose_b}}
      : !fp4.qtensor<{M}x{K}x#fp4.format<int4>>, !fp4.qtensor<{N}x{K}x#fp4.format<uint4>> -> tensor<{M}x{N}xf32>
  return %c : tensor<{M}x{N}xf32>
}}
"""

# (label, format attribute, kernel name stem, code bits, stochastic, counters)
QUANTIZE_CASES = [
    ("int4 nearest", "#fp4.format<int4>", "int4", 4, False, False),
    ("int4 nearest+counters", "#fp4.format<int4>", "int4", 4, False, True),
    ("radix4 even SR+counters", "#fp4.format<radix4, even>", "radix4_even", 4,
     True, True),
    ("e2m1 nearest", "#fp4.format<e2m1>", "e2m1", 4, False, False),
    ("e4m3 nearest", "#fp4.format<e4m3>", "e4m3", 8, False, False),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--baselines", required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    check = os.path.join(args.build, "bin", "fp4-numerics-check")
    reps = 5 if args.quick else 20
    n = 1 << (24 if args.quick else 26)
    shapes = [(4096, 4096, 4096)] if args.quick else [
        (4096, 4096, 4096), (8192, 8192, 8192), (16384, 1024, 4096)]
    rows = []
    with tempfile.TemporaryDirectory() as work:
        def path(name):
            return os.path.join(work, name)

        run([check, "scalar", "-o", path("s.npy"), "--f32", "2.5"])
        run([check, "scalar", "-o", path("seed.npy"), "--i64", "0x1234"])
        run([check, "gen", "-o", path("x.npy"), "--count", str(n), "--seed",
             "1", "--uniform", "-4,4"])
        copy = run([args.baselines, "copy", str(4 * n), str(reps)]).stdout
        copy_us = float(re.search(r"min ([0-9.]+) us", copy).group(1))
        copy_gbs = 2 * 4 * n / copy_us / 1e3
        for label, fmt, stem, bits, sr, counters in QUANTIZE_CASES:
            storage = n // 2 if bits == 4 else n
            src = QUANTIZE.format(
                N=n, S=storage, CT="i8", FMT=fmt,
                SEEDARG=", %seed: i64" if sr else "",
                ROUNDING=" rounding(stochastic) seed(%seed) stream(1)" if sr else "",
                COUNTERS=", %sat, %flush, %nf" if counters else "",
                COUNTERTYPES=", i64, i64, i64" if counters else "",
                RESULT="tensor<%dxi8>" % storage)
            mlir = path("q.mlir")
            with open(mlir, "w") as f:
                f.write(src)
            inputs = [path("x.npy"), path("s.npy")] + ([path("seed.npy")] if sr else [])
            times = profile(args.build, mlir, inputs, reps, work)
            kernel = "fp4_quantize_" + stem + ("_sr" if sr else "")
            if kernel not in times:
                sys.exit("bench: no profile for %s in %s" % (kernel, times))
            us = times[kernel]
            gbs = (4 * n + storage) / us / 1e3
            rows.append(("quantize " + label, "2^%d elements" % (n.bit_length() - 1),
                         "%.0f GB/s (%.1f us)" % (gbs, us),
                         "copy %.0f GB/s (%.1f us)" % (copy_gbs, copy_us),
                         "%.2f" % (gbs / copy_gbs)))

        run([check, "scalar", "-o", path("sa.npy"), "--f32", "7"])
        run([check, "scalar", "-o", path("sb.npy"), "--f32", "15"])
        for m, nn, k in shapes:
            run([check, "gen", "-o", path("a.npy"), "--count", str(m * k),
                 "--shape", "%dx%d" % (m, k), "--seed", "2", "--uniform", "-1,1"])
            run([check, "gen", "-o", path("b.npy"), "--count", str(nn * k),
                 "--shape", "%dx%d" % (nn, k), "--seed", "3", "--uniform", "0,1"])
            mlir = path("mm.mlir")
            with open(mlir, "w") as f:
                f.write(MATMUL.format(M=m, N=nn, K=k))
            times = profile(args.build, mlir,
                            [path("a.npy"), path("b.npy"), path("sa.npy"),
                             path("sb.npy")], max(3, reps // 4), work)
            flop = 2.0 * m * nn * k
            if "fp4_lowp_matmul_mma" in times:
                main_us = times["fp4_lowp_matmul_mma"]
                conv_us = times.get("fp4_lowp_matmul_mma_a", 0) + times.get(
                    "fp4_lowp_matmul_mma_b", 0)
                ours = "%.1f TFLOP/s MMA (%.1f with e4m3 conversion)" % (
                    flop / main_us / 1e6, flop / (main_us + conv_us) / 1e6)
            else:
                main_us = times["fp4_lowp_matmul"]
                ours = "%.2f TFLOP/s f32 path" % (flop / main_us / 1e6)
            base = run([args.baselines, "gemm", str(m), str(nn), str(k),
                        str(max(3, reps // 4))]).stdout.strip()
            bm = re.search(r"gemm \d+ \d+ \d+ (\w+): min ([0-9.]+) us", base)
            if bm:
                base_tf = flop / float(bm.group(2)) / 1e6
                baseline = "cuBLASLt e4m3->%s %.1f TFLOP/s" % (bm.group(1), base_tf)
                ratio = "%.2f" % ((flop / main_us / 1e6) / base_tf)
            else:
                baseline, ratio = base, "-"
            rows.append(("lowp_matmul int4 x uint4", "%dx%dx%d" % (m, nn, k),
                         ours, baseline, ratio))

    header = ("op", "shape", "fp4 (kernel time)", "baseline", "ratio")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(5)]
    line = "  ".join("%-*s" % (w, h) for w, h in zip(widths, header))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join("%-*s" % (w, c) for w, c in zip(widths, r)))


if __name__ == "__main__":
    main()
