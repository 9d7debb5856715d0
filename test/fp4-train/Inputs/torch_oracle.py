#!/usr/bin/env python3
"""PyTorch autograd as the oracle of `fp4-train --dump-gradients`.

    torch_oracle.py prepare MODEL OUTDIR [--batch N] [--seed S]
        exports OUTDIR/MODEL.onnx (examples/models/make_models.py) and writes
        a batch OUTDIR/x.npy, OUTDIR/y.npy and the reference OUTDIR/ref.npz:
        the loss (key `__loss__`) and the gradient of every parameter, by
        ONNX initializer name, from torch autograd in float64 (same weights,
        F.cross_entropy with mean reduction, BatchNormalization in training
        mode).
    torch_oracle.py compare OUTDIR/ref.npz grads.npz STDOUT [--rtol R]
        checks fp4-train's printed loss ("loss 2.3026", 4 decimals) and every
        gradient: per tensor, error = max|fp4 - torch| / max(max|torch|,
        0.01 G) <= R (default 1e-4), G = the largest max|torch| of all the
        parameters. The floor only matters for gradients that are 0 in exact
        arithmetic (a convolution's bias in front of BatchNormalization:
        torch f64 ~1e-17, any f32 computation ~1e-7). Prints one summary
        line; exits 1 on a mismatch.
"""

import argparse
import os
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "examples", "models"))


def prepare(args):
    import torch
    import torch.nn.functional as F
    import make_models

    os.makedirs(args.outdir, exist_ok=True)
    model = make_models.build(args.model, args.seed)
    make_models.export(model, os.path.join(args.outdir, args.model + ".onnx"))
    rng = np.random.RandomState(args.seed + 1)
    x = rng.standard_normal((args.batch, 1, 28, 28)).astype(np.float32)
    y = rng.randint(0, 10, args.batch).astype(np.int64)
    np.save(os.path.join(args.outdir, "x.npy"), x)
    np.save(os.path.join(args.outdir, "y.npy"), y)

    model = model.double().train()
    model.zero_grad()
    loss = F.cross_entropy(model(torch.from_numpy(x).double()),
                           torch.from_numpy(y))
    loss.backward()
    ref = {"__loss__": np.array(loss.item())}
    for name, p in model.named_parameters():
        ref[name] = p.grad.detach().numpy()
    np.savez(os.path.join(args.outdir, "ref.npz"), **ref)


def compare(args):
    ref = np.load(args.ref)
    got = np.load(args.grads)
    text = open(args.stdout).read()
    m = re.search(r"^loss (\S+)$", text, re.M)
    if not m:
        sys.exit("compare: no 'loss X' line in %s" % args.stdout)
    loss, ref_loss = float(m.group(1)), float(ref["__loss__"])
    failures = []
    # The printed loss has 4 decimals.
    if abs(loss - ref_loss) > 0.5e-4 + args.rtol * abs(ref_loss):
        failures.append("loss %.4f, torch %.6f" % (loss, ref_loss))
    names = [k for k in ref.files if k != "__loss__"]
    if sorted(names) != sorted(got.files):
        failures.append("gradient keys differ: fp4 %s, torch %s" %
                        (sorted(got.files), sorted(names)))
    floor = 0.01 * max(np.max(np.abs(ref[k])) for k in names)
    worst, worst_name = 0.0, None
    for name in names:
        if name not in got.files:
            continue
        a, b = got[name].astype(np.float64), ref[name]
        if a.shape != b.shape:
            failures.append("%s: shape %s, torch %s" % (name, a.shape, b.shape))
            continue
        err = np.max(np.abs(a - b)) / max(np.max(np.abs(b)), floor)
        if not err <= args.rtol:
            failures.append("%s: relative error %.3g" % (name, err))
        if err > worst or worst_name is None:
            worst, worst_name = err, name
    print("%d gradients, max relative error %.2e (%s), loss %.4f (torch %.6f)"
          % (len(names), worst, worst_name, loss, ref_loss))
    if failures:
        print("MISMATCH: " + "; ".join(failures))
        sys.exit(1)
    print("OK")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("model")
    p.add_argument("outdir")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    c = sub.add_parser("compare")
    c.add_argument("ref")
    c.add_argument("grads")
    c.add_argument("stdout")
    c.add_argument("--rtol", type=float, default=1e-4)
    args = parser.parse_args()
    prepare(args) if args.command == "prepare" else compare(args)


if __name__ == "__main__":
    import warnings
    warnings.filterwarnings("ignore")
    main()
