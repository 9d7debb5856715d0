#!/usr/bin/env python3
"""ibm-fp4 training steps of test/Recipe/Inputs/cnn3.mlir: fp4's compiled
@train_step against an independent numpy implementation from the SPEC.

Usage: cnn3_oracle.py STEP.mlir --fp4-run PATH --work DIR [--steps N]
"""
import argparse
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import spec  # noqa: E402
from spec import f32  # noqa: E402
from mlp3_oracle import parse_result_roles  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "Autodiff", "Inputs"))
from fdcheck import parse_signature  # noqa: E402

MU, LR = 0.9, 0.0625


def pad(x):
    return np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))


def conv(xp, w):
    """Stride-1 convolution of an already padded NCHW input, in f64 (the
    compiled lowp convolution sums exact products, so order is irrelevant)."""
    n, c, hp, wp = xp.shape
    f, _, kh, kw = w.shape
    oh, ow = hp - kh + 1, wp - kw + 1
    out = np.zeros((n, f, oh, ow))
    for i in range(kh):
        for j in range(kw):
            out += np.einsum("nchw,fc->nfhw", xp[:, :, i:i + oh, j:j + ow].astype(np.float64),
                             w[:, :, i, j].astype(np.float64))
    return out


def conv_dw(xp, dy, kh, kw):
    oh, ow = dy.shape[2:]
    return np.stack([np.stack([np.einsum("nchw,nfhw->fc", xp[:, :, i:i + oh, j:j + ow].astype(np.float64),
                                         dy.astype(np.float64)) for j in range(kw)], -1)
                     for i in range(kh)], -2)


def conv_dxp(dy, w, hp, wp):
    f, c, kh, kw = w.shape
    oh, ow = dy.shape[2:]
    dxp = np.zeros((dy.shape[0], c, hp, wp))
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i:i + oh, j:j + ow] += np.einsum("nfhw,fc->nchw", dy.astype(np.float64),
                                                        w[:, :, i, j].astype(np.float64))
    return dxp


def reference_step(st, x, labels):
    B = x.shape[0]
    w1, w2, fc = st["conv1.weight"], st["conv2.weight"], st["fc.weight"]
    alpha, s_in = f32(st["conv2.weight.pact_alpha"]), f32(st["gradscale"])
    c1 = f32(conv(pad(x), w1))                      # exact: dyadic inputs
    h1 = np.maximum(c1, f32(0))
    h1p = pad(h1)
    mask = h1p < alpha
    sx = f32(f32(15.0) / alpha)
    cx = spec.uint4(f32(np.minimum(h1p, alpha) * sx))
    sw = spec.sawb_scale(w2)
    cw = spec.int4(f32(w2 * sw))
    c2 = f32(f32(conv(cx, cw)) / f32(sx * sw))
    h2 = np.maximum(c2, f32(0))
    # 2x2/2 max pool, first maximum of each window in row-major order.
    win = h2.reshape(B, 6, 4, 2, 4, 2).transpose(0, 1, 2, 4, 3, 5).reshape(B, 6, 4, 4, 4)
    arg = np.argmax(win, axis=-1)
    mp = np.take_along_axis(win, arg[..., None], -1)[..., 0]
    flat = mp.reshape(B, 96)
    z = spec.matmul_seq(flat, fc)
    zm = f32(z - z.max(axis=1, keepdims=True))
    e = np.exp(zm)
    ssum = spec.matmul_seq(e, np.ones((3, 1), np.float32))
    p = f32(e / ssum)
    loss = float(np.mean(np.log(ssum[:, 0].astype(np.float64)) - zm[np.arange(B), labels]))
    dz = f32(f32(p - np.eye(3, dtype=np.float32)[labels]) * f32(1.0 / B))
    dfc = spec.matmul_seq(flat.T, dz)
    dflat = spec.matmul_seq(dz, fc.T)
    dmp = dflat.reshape(B, 6, 4, 4)
    dwin = np.zeros((B, 6, 4, 4, 4), np.float32)
    np.put_along_axis(dwin, arg[..., None], dmp[..., None], -1)
    dh2 = dwin.reshape(B, 6, 4, 4, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(B, 6, 8, 8)
    dy = f32(np.where(c2 > 0, dh2, 0.0))
    used, nxt = spec.gradscale(dy, s_in)
    ys = f32(dy * used)
    ge, go = spec.radix4(ys, "even"), spec.radix4(ys, "odd")
    cnt = list(spec.radix4_code_stats(ys, "even")) + list(spec.radix4_code_stats(ys, "odd"))
    dxp = f32(f32(conv_dxp(ge, cw, 10, 10)) / f32(used * sw))
    dw2 = f32(f32(conv_dw(cx, go, 3, 3)) / f32(sx * used))
    dalpha = f32(np.sum(np.where(mask, 0.0, dxp), dtype=np.float64))
    dh1 = f32(np.where(mask, dxp, 0.0))[:, :, 1:9, 1:9]
    dc1 = f32(np.where(c1 > 0, dh1, 0.0))
    dw1 = f32(conv_dw(pad(x), dc1, 3, 3))
    grads = {"conv1.weight": dw1, "conv2.weight": dw2, "fc.weight": dfc,
             "conv2.weight.pact_alpha": dalpha}
    new = dict(st)
    for k, g in grads.items():
        v = f32(MU * st["mom:" + k] + g)
        new[k] = f32(st[k] - LR * v)
        new["mom:" + k] = v
    new["gradscale"] = nxt
    return loss, new, cnt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mlir")
    ap.add_argument("--fp4-run", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--steps", type=int, default=1)
    ap.add_argument("--skip-step", action="store_true",
                    help="then one step with an Inf weight: its "
                         "gradients are not finite, so every parameter and "
                         "momentum must come back unchanged, bit for bit")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    text = open(a.mlir).read()
    sig = parse_signature(text, "train_step")
    res_sig = parse_result_roles(text)
    rng = np.random.default_rng(5)
    x = f32(rng.integers(-8, 9, size=(4, 1, 8, 8)) / 4.0)
    st = {"conv1.weight": f32(rng.integers(-8, 9, size=(4, 1, 3, 3)) / 8.0),
          "conv2.weight": f32(rng.normal(0, 0.3, size=(6, 4, 3, 3))),
          "fc.weight": f32(rng.normal(0, 0.3, size=(96, 3))),
          "conv2.weight.pact_alpha": f32(3.0), "gradscale": f32(0.0)}
    for k in list(st):
        if k != "gradscale":
            st["mom:" + k] = np.zeros_like(st[k])
    failed = 0
    for step in range(a.steps + (1 if a.skip_step else 0)):
        skipped = step == a.steps
        if skipped:
            # An Inf weight of the f32 head makes the logits, and so every
            # gradient behind them, non-finite (an Inf input would not: the
            # 4-bit layer's PACT clip bounds what follows it).
            st = dict(st)
            st["fc.weight"] = st["fc.weight"].copy()
            st["fc.weight"][0, 0] = np.inf
        labels = ((np.arange(4) + step) % 3).astype(np.int64)
        cmd = [a.fp4_run, a.mlir, "--entry", "train_step"]
        for i, (role, name, shape, et) in enumerate(sig):
            v = {"input": x, "labels": labels, "lr": f32(LR)}.get(role)
            if v is None:
                v = st["mom:" + name] if role in ("momentum", "pact_momentum") else \
                    st["gradscale"] if role == "gradscale" else st[name]
            path = os.path.join(a.work, f"a{i}.npy")
            np.save(path, v)
            cmd += ["--input", path]
        outs = [os.path.join(a.work, f"r{i}.npy") for i in range(len(res_sig))]
        for o in outs:
            cmd += ["--output", o]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"oracle: fp4-run failed: {r.stderr.strip()}")
        got = {}
        for (role, name), o in zip(res_sig, outs):
            key = "mom:" + name if role in ("momentum", "pact_momentum") else \
                role if role in ("gradscale", "counters", "loss", "correct") else name
            got[key] = np.load(o)
        def check(label, ok, detail):
            nonlocal failed
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} step {step + 1} {label}: {detail}")
        if skipped:
            check("counters", int(got["counters"][2]) + int(got["counters"][5]) > 0,
                  f"non-finite gradients counted: {list(got['counters'])}")
            for k in ["conv1.weight", "conv2.weight", "fc.weight",
                      "conv2.weight.pact_alpha"]:
                for key in (k, "mom:" + k):
                    same = np.array_equal(np.asarray(got[key]).view(np.uint32),
                                          np.asarray(f32(st[key])).view(np.uint32))
                    check("skipped " + key, same, "unchanged" if same else "changed")
            break
        loss, new, cnt = reference_step(st, x, labels)

        gl = float(got["loss"])
        check("loss", abs(gl - loss) <= 1e-6 * max(1.0, abs(loss)), f"fp4 {gl:.9g} numpy {loss:.9g}")
        check("gradscale", float(got["gradscale"]) == float(new["gradscale"]),
              f"next {float(got['gradscale'])} numpy {float(new['gradscale'])}")
        check("counters", list(got["counters"]) == cnt, f"fp4 {list(got['counters'])} numpy {cnt}")
        for k in ["conv1.weight", "conv2.weight", "fc.weight", "conv2.weight.pact_alpha"]:
            denom = max(float(np.max(np.abs(new[k] - st[k]))), 1e-30)
            err = float(np.max(np.abs(got[k] - new[k]))) / denom
            check(k, err < 1e-6, f"update relative error {err:.2e}")
        st = {k: f32(got.get(k, v)) for k, v in new.items()}
    print(f"{failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
