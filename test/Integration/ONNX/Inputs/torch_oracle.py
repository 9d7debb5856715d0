#!/usr/bin/env python3
"""PyTorch as the oracle of the ONNX importer.

    torch_oracle.py export MODEL OUTDIR [--opset N[,N...]] [--batch N]
                    [--size N] [--dynamic] [--training]
    torch_oracle.py compare OUT.npy EXPECTED.npy [--rtol R] [--atol A]

`export` builds MODEL (mlp, cnn, resnet18) with fixed seeds and random
(non-trivial) BatchNorm statistics, exports it with torch.onnx.export to
OUTDIR/model.onnx, and writes the input OUTDIR/x.npy and PyTorch's outputs:

  eval export (default): y.npy, the eval-mode output;
  --training export (TrainingMode.TRAINING, BatchNormalization kept with
  training_mode=1): y_train.npy (train-mode BatchNorm, dropout off), the
  eval-mode y.npy, and rm_*.npy / rv_*.npy, the running statistics after one
  step by ONNX's definition (population variance; PyTorch itself updates
  running_var with the unbiased variance).

`compare` prints the largest errors and exits 1 unless
|out - expected| <= atol + rtol * |expected| everywhere.
"""

import argparse
import copy
import os
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")


def build(name, size):
    import torch
    import torch.nn as nn

    torch.manual_seed(0)
    if name == "mlp":
        return nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 16),
                             nn.Tanh(), nn.Linear(16, 10),
                             nn.LogSoftmax(dim=1)), (12,)
    if name == "cnn":
        class CNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
                self.bn1 = nn.BatchNorm2d(8)
                self.pool1 = nn.MaxPool2d(2)
                self.conv2 = nn.Conv2d(8, 16, 3, stride=1, padding=1, groups=2)
                self.bn2 = nn.BatchNorm2d(16)
                self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16)
                self.pool2 = nn.AvgPool2d(2, padding=1)
                self.drop = nn.Dropout(0.5)
                self.fc1 = nn.Linear(16 * 5 * 5, 32)
                self.fc2 = nn.Linear(32, 10)

            def forward(self, x):
                x = self.pool1(torch.relu(self.bn1(self.conv1(x))))
                x = nn.functional.leaky_relu(self.bn2(self.conv2(x)), 0.1)
                x = self.pool2(torch.sigmoid(self.dw(x)))
                x = x.view(x.size(0), -1)
                x = torch.relu(self.fc1(self.drop(x)))
                return torch.softmax(self.fc2(x) * 4.0, dim=1)
        return CNN(), (3, size, size)
    if name == "resnet18":
        import torchvision
        return torchvision.models.resnet18(), (3, size, size)
    raise SystemExit("unknown model " + name)


def randomize_bn(model):
    import torch
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=g) * 0.1)
            m.momentum = 0.1


def export(args):
    import torch

    model, shape = build(args.model, args.size)
    randomize_bn(model)
    model.eval()
    x = torch.randn((args.batch,) + shape, generator=torch.Generator().manual_seed(2))
    os.makedirs(args.outdir, exist_ok=True)
    path = os.path.join(args.outdir, "model.onnx")
    kwargs = dict(opset_version=args.opset, input_names=["input"],
                  output_names=["output"])
    if args.dynamic:
        kwargs["dynamic_axes"] = {"input": {0: "batch"}, "output": {0: "batch"}}
    if args.training:
        kwargs["training"] = torch.onnx.TrainingMode.TRAINING
        kwargs["do_constant_folding"] = False
    np.save(os.path.join(args.outdir, "x.npy"), x.numpy())
    # A training-mode export runs the model in training mode while tracing,
    # which updates the running statistics: export a copy, then take the
    # statistics back from the file so the oracle starts from what the model
    # holds.
    torch.onnx.export(copy.deepcopy(model), x, path, **kwargs)
    import onnx
    from onnx import numpy_helper
    saved = {t.name: numpy_helper.to_array(t)
             for t in onnx.load(path).graph.initializer}
    with torch.no_grad():
        for name, buf in model.named_buffers():
            if name in saved:
                buf.copy_(torch.from_numpy(saved[name].copy()))
    model.eval()
    with torch.no_grad():
        np.save(os.path.join(args.outdir, "y.npy"), model(x).numpy())
    if args.training:
        bns = [(n, m) for n, m in model.named_modules()
               if isinstance(m, torch.nn.BatchNorm2d)]
        before = {n: (m.running_mean.clone(), m.running_var.clone())
                  for n, m in bns}
        model.train()
        for m in model.modules():
            if isinstance(m, torch.nn.Dropout):
                m.eval()
        captured = {}
        hooks = [m.register_forward_hook(
            lambda mod, inp, out, n=n: captured.__setitem__(n, inp[0]))
            for n, m in bns]
        with torch.no_grad():
            y_train = model(x)
        for h in hooks:
            h.remove()
        np.save(os.path.join(args.outdir, "y_train.npy"), y_train.numpy())
        for n, m in bns:
            inp = captured[n].double()
            mean = inp.mean(dim=(0, 2, 3))
            var = inp.var(dim=(0, 2, 3), unbiased=False)
            rm, rv = before[n]
            momentum = 1 - m.momentum  # ONNX's momentum
            np.save(os.path.join(args.outdir, "rm_%s.npy" % n),
                    (rm.double() * momentum + mean * (1 - momentum)).float().numpy())
            np.save(os.path.join(args.outdir, "rv_%s.npy" % n),
                    (rv.double() * momentum + var * (1 - momentum)).float().numpy())
    print("exported %s (opset %d) to %s" % (args.model, args.opset, path))
    return 0


def compare(args):
    out = np.load(args.out).astype(np.float64)
    exp = np.load(args.expected).astype(np.float64)
    if out.shape != exp.shape:
        print("FAIL shape %s, expected %s" % (out.shape, exp.shape))
        return 1
    err = np.abs(out - exp)
    rel = err / np.maximum(np.abs(exp), 1e-30)
    ok = np.all(err <= args.atol + args.rtol * np.abs(exp))
    print("%s %s: max |error| %.3g, max relative error %.3g, max |expected| "
          "%.3g (rtol %g, atol %g)" % (
              "PASS" if ok else "FAIL", os.path.basename(args.out), err.max(),
              rel.max(), np.abs(exp).max(), args.rtol, args.atol))
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    e = sub.add_parser("export")
    e.add_argument("model")
    e.add_argument("outdir")
    e.add_argument("--opset", default="13",
                   help="an opset, or a comma-separated list: one export "
                        "per opset into OUTDIR/o<opset>/")
    e.add_argument("--batch", type=int, default=2)
    e.add_argument("--size", type=int, default=16)
    e.add_argument("--dynamic", action="store_true")
    e.add_argument("--training", action="store_true")
    c = sub.add_parser("compare")
    c.add_argument("out")
    c.add_argument("expected")
    c.add_argument("--rtol", type=float, default=1e-4)
    c.add_argument("--atol", type=float, default=1e-5)
    args = parser.parse_args()
    if args.command == "compare":
        return compare(args)
    opsets = [int(o) for o in args.opset.split(",")]
    outdir = args.outdir
    for opset in opsets:
        args.opset = opset
        args.outdir = (os.path.join(outdir, "o%d" % opset)
                       if len(opsets) > 1 else outdir)
        if export(args):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
