#!/usr/bin/env python3
"""Checks @train_step's SGD update against @grad_step's gradients.

Usage: sgdcheck.py FILE.mlir --fp4-run PATH --work DIR --momentum M --weight-decay WD

With random inputs, parameters and velocities, p' must equal
p - lr * (M v + g + WD p) and v' = M v + g + WD p (PyTorch's SGD), where g
comes from @grad_step; the losses of both functions must be equal.
"""
import argparse
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from fdcheck import parse_signature  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mlir")
    ap.add_argument("--fp4-run", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--momentum", type=float, required=True)
    ap.add_argument("--weight-decay", type=float, required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    text = open(a.mlir).read()
    rng = np.random.default_rng(7)

    def draw(sig):
        vals = {}
        for role, name, shape, et in sig:
            key = (role, name)
            if role == "labels":
                vals[key] = rng.integers(0, 3, size=shape).astype(np.int64)
            elif role == "lr":
                vals[key] = np.float64(0.05)
            elif role == "running_var":
                vals[key] = rng.uniform(0.5, 1.5, size=shape)
            else:
                vals[key] = rng.normal(0, 0.5, size=shape)
        return vals

    def run(entry, sig, vals, nout):
        cmd = [a.fp4_run, a.mlir, "--entry", entry]
        for i, (role, name, _, _) in enumerate(sig):
            p = os.path.join(a.work, f"{entry}{i}.npy")
            np.save(p, vals[(role, name)])
            cmd += ["--input", p]
        outs = [os.path.join(a.work, f"{entry}_o{i}.npy") for i in range(nout)]
        for o in outs:
            cmd += ["--output", o]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"sgdcheck: {r.stderr.strip()}")
        return [np.load(o) for o in outs]

    tsig = parse_signature(text, "train_step")
    gsig = parse_signature(text, "grad_step")
    vals = draw(tsig)
    params = [(r, n) for r, n, _, _ in tsig if r == "param"]
    running = [(r, n) for r, n, _, _ in tsig if r in ("running_mean", "running_var")]
    g = run("grad_step", gsig, vals, 2 + len(params))
    t = run("train_step", tsig, vals, 2 + 2 * len(params) + len(running))
    failed = 0
    if float(g[0]) != float(t[0]):
        print(f"FAIL loss differs: {float(g[0])} vs {float(t[0])}")
        failed += 1
    lr, mu, wd = 0.05, a.momentum, a.weight_decay
    for j, key in enumerate(params):
        p, grad = vals[key], g[2 + j]
        v = vals[("momentum", key[1])]
        v_new = mu * v + grad + wd * p
        p_new = p - lr * v_new
        got_p = t[2 + j]
        got_v = t[2 + len(params) + len(running) + j]
        err = max(np.max(np.abs(got_p - p_new)), np.max(np.abs(got_v - v_new)))
        ok = err < 1e-12
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {key[1]}: max abs error {err:.2e}")
    print(f"{len(params) + 1 - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
