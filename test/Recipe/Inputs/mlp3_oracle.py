#!/usr/bin/env python3
"""One (or several) ibm-fp4 training steps of test/Transforms/Inputs/mlp3.mlir
computed by fp4's compiled @train_step and by an independent numpy
implementation of the same step (SPEC-numerics quantizers in spec.py).

Usage: mlp3_oracle.py STEP.mlir --fp4-run PATH --work DIR [--steps N] [--inject-inf]
"""
import argparse
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import spec  # noqa: E402
from spec import f32  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "Autodiff", "Inputs"))
from fdcheck import parse_signature  # noqa: E402

MU, WD, LR = 0.9, 0.0, 0.0625


def reference_step(st, x, labels):
    """The ibm-fp4 step of the 3-layer MLP, from the SPEC and the paper."""
    B = x.shape[0]
    w1, w2, b2, w3 = st["fc1.weight"], st["fc2.weight"], st["fc2.bias"], st["fc3.weight"]
    alpha, s_in = f32(st["fc2.weight.pact_alpha"]), f32(st["gradscale"])
    # Forward. Layer 1 (first) and 3 (last) stay f32.
    m1 = spec.matmul_seq(x, w1)
    h1 = np.maximum(m1, f32(0))
    # Layer 2: uint4 activations with PACT, int4 weights with SAWB.
    mask = h1 < alpha
    xc = np.minimum(h1, alpha)
    sx = f32(f32(15.0) / alpha)
    cx = spec.uint4(f32(xc * sx))
    sw = spec.sawb_scale(w2)
    cw = spec.int4(f32(w2 * sw))
    m2 = f32(spec.matmul_seq(cx, cw) / f32(sx * sw))
    p2 = f32(m2 + b2)
    h2 = np.maximum(p2, f32(0))
    z = spec.matmul_seq(h2, w3)
    zm = f32(z - z.max(axis=1, keepdims=True))
    e = np.exp(zm)
    ssum = spec.matmul_seq(e, np.ones((z.shape[1], 1), np.float32))
    p = f32(e / ssum)
    loss = float(np.mean(np.log(ssum[:, 0].astype(np.float64)) - zm[np.arange(B), labels]))
    onehot = np.eye(z.shape[1], dtype=np.float32)[labels]
    dz = f32(f32(p - onehot) * f32(1.0 / B))
    # Backward.
    # The f32 GEMMs of the first and last layer sum in increasing k order,
    # like the compiled code, so only exp/log ulps separate the two.
    dw3 = spec.matmul_seq(h2.T, dz)
    dh2 = spec.matmul_seq(dz, w3.T)
    dy = f32(np.where(p2 > 0, dh2, 0.0))  # ReLU backward selects (NaN stays out)
    db2 = spec.matmul_seq(np.ones((1, B), np.float32), dy)[0]
    used, nxt = spec.gradscale(dy, s_in)
    ge = spec.radix4(f32(dy * used), "even")
    go = spec.radix4(f32(dy * used), "odd")
    cnt = list(spec.radix4_code_stats(f32(dy * used), "even")) + \
        list(spec.radix4_code_stats(f32(dy * used), "odd"))
    dx2 = f32(spec.matmul_seq(ge, cw.T) / f32(used * sw))
    dw2 = f32(spec.matmul_seq(cx.T, go) / f32(sx * used))
    dalpha = f32(np.sum(np.where(mask, 0.0, dx2), dtype=np.float64))
    dh1 = f32(np.where(mask, dx2, 0.0))
    dm1 = f32(np.where(m1 > 0, dh1, 0.0))
    dw1 = spec.matmul_seq(x.T, dm1)
    grads = {"fc1.weight": dw1, "fc2.weight": dw2, "fc2.bias": db2,
             "fc3.weight": dw3, "fc2.weight.pact_alpha": dalpha}
    skip = cnt[2] + cnt[5] > 0
    new = dict(st)
    if not skip:
        for k, g in grads.items():
            pv = st[k]
            v = f32(MU * st["mom:" + k] + g + WD * pv)
            new[k] = f32(pv - LR * v)
            new["mom:" + k] = v
    new["gradscale"] = nxt
    return loss, new, cnt, skip


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mlir")
    ap.add_argument("--fp4-run", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--steps", type=int, default=1)
    ap.add_argument("--inject-inf", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    text = open(a.mlir).read()
    sig = parse_signature(text, "train_step")
    rng = np.random.default_rng(11)
    # Dyadic forward inputs: the first layer's f32 sums are exact in any
    # order, so the quantizers see bit-identical inputs.
    x = f32(rng.integers(-8, 9, size=(8, 12)) / 4.0)
    st = {
        "fc1.weight": f32(rng.integers(-8, 9, size=(12, 16)) / 8.0),
        "fc2.weight": f32(rng.normal(0, 0.3, size=(16, 16))),
        "fc2.bias": f32(rng.normal(0, 0.1, size=16)),
        "fc3.weight": f32(rng.normal(0, 0.3, size=(16, 4))),
        "fc2.weight.pact_alpha": f32(10.0),
        "gradscale": f32(0.0),
    }
    if a.inject_inf:
        st["fc3.weight"][3, 1] = np.inf
    for k in list(st):
        if k != "gradscale":
            st["mom:" + k] = np.zeros_like(st[k])

    def arg_value(role, name, shape, step):
        if role == "input":
            return x
        if role == "labels":
            return (np.arange(8) * 3 + step) % 4
        if role == "lr":
            return f32(LR)
        if role in ("momentum", "pact_momentum"):
            return st["mom:" + name]
        if role == "gradscale":
            return st["gradscale"]
        return st[name]

    failed = 0
    for step in range(a.steps):
        labels = ((np.arange(8) * 3 + step) % 4).astype(np.int64)
        cmd = [a.fp4_run, a.mlir, "--entry", "train_step"]
        for i, (role, name, shape, et) in enumerate(sig):
            v = arg_value(role, name, shape, step)
            path = os.path.join(a.work, f"a{i}.npy")
            np.save(path, np.asarray(v, dtype=np.int64 if role == "labels" else np.float32))
            cmd += ["--input", path]
        res_sig = parse_result_roles(text)
        outs = [os.path.join(a.work, f"r{i}.npy") for i in range(len(res_sig))]
        for o in outs:
            cmd += ["--output", o]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"oracle: fp4-run failed: {r.stderr.strip()}")
        got = {}
        for (role, name), o in zip(res_sig, outs):
            if role in ("momentum", "pact_momentum"):
                key = "mom:" + name
            elif role in ("gradscale", "counters", "loss", "correct", "step"):
                key = role
            else:
                key = name
            got[key] = np.load(o)
        loss, new, cnt, skip = reference_step(st, x, labels)

        def check(label, ok, detail):
            nonlocal failed
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} step {step + 1} {label}: {detail}")

        gl = float(got["loss"])
        check("loss", abs(gl - loss) <= 1e-6 * max(1.0, abs(loss)) or (np.isnan(gl) and np.isnan(loss)),
              f"fp4 {gl:.9g} numpy {loss:.9g}")
        check("gradscale", float(got["gradscale"]) == float(new["gradscale"]),
              f"next {float(got['gradscale'])} numpy {float(new['gradscale'])}")
        check("counters", list(got["counters"]) == cnt,
              f"fp4 {list(got['counters'])} numpy {cnt}")
        for k in ["fc1.weight", "fc2.weight", "fc2.bias", "fc3.weight",
                  "fc2.weight.pact_alpha"]:
            ref, val = new[k], got[k]
            if skip:
                ok = np.array_equal(val, st[k], equal_nan=True)
                check(k, ok, "unchanged (step skipped)" if ok else "changed although skipped")
                continue
            denom = max(float(np.max(np.abs(ref - st[k]))), 1e-30)
            err = float(np.max(np.abs(val - ref))) / denom
            check(k, err < 1e-6 or np.array_equal(val, ref),
                  f"update relative error {err:.2e}")
        st = {k: (got.get(k, v)) for k, v in new.items()}
        for k in list(st):
            st[k] = f32(st[k])
    print(f"{failed} failed")
    sys.exit(1 if failed else 0)


def parse_result_roles(text):
    import re
    m = re.search(r"func\.func @train_step\(.*?\)\s*->\s*\((.*?)\)\s*attributes", text, re.S)
    if not m:
        m = re.search(r"func\.func @train_step\(.*?\)\s*->\s*\((.*?)\)\s*\{", text, re.S)
    roles = []
    for r in re.finditer(r'\{fp4.onnx_name = "([^"]*)", fp4.role = "(\w+)"\}', m.group(1)):
        roles.append((r.group(2), r.group(1)))
    return roles


if __name__ == "__main__":
    main()
