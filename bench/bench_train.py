#!/usr/bin/env python3
"""Training-speed benchmark of fp4-train against PyTorch (not a test).

Measures, in one run and on the same machine state, training images/s of
  * fp4-train --recipe fp32 and --recipe ibm-fp4 (the JIT-compiled training
    step; `images_per_second` of --metrics: steps * batch / training seconds
    of the epoch, compilation, dataset loading and evaluation excluded);
  * PyTorch eager fp32 on the same architecture (examples/models/make_models.py,
    same initialization, SGD with the same learning rate and momentum,
    torch.set_num_threads matched to fp4-train's --threads);
  * the ibm-fp4 recipe written as fake quantization in PyTorch (custom
    autograd Functions, docs/recipes.md): SAWB int4 weights, PACT uint4
    activations (a trainable clipping level per layer), per-layer delayed
    GradScale, radix-4 even-phase dY for dX and odd-phase dY for dW, the first
    and last GEMM layer f32 - what a researcher writes with QPyTorch-style
    hooks;
for the bundled CNN (examples/models/cnn.onnx), the small ResNet
(make_models.py resnet_small) and torchvision's resnet18 (make_models.py
resnet18: 1-channel stem; 28x28 Fashion-MNIST inputs, because fp4-train's
dataset and make_models.py's export are 28x28), batch 128.

It also reports, from the resnet18 runs of fp4-train:
  (d) the time from process start to the first training step (ONNX import,
      building and compiling the training step, JIT, dataset loading): wall
      time of the run minus the epoch's seconds and minus the evaluation
      step's compile time (fp4-train compiles it at the first evaluation and
      reports it in the metrics' `timing`), which is reported beside it;
  (e) peak resident memory: the process's peak (VmHWM: includes compilation)
      and the largest VmRSS sampled every 10 ms during the training epoch
      (and the last sample before it: the growth is the steps' own memory,
      since malloc keeps what compilation freed).

Usage:
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
    /usr/bin/python3 bench/bench_train.py [--build build] [--quick]
        [--models cnn,resnet_small,resnet18] [--threads N] [--steps N]
"""
import argparse
import gzip
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples", "models"))

# Training steps timed per model (full / --quick), batch 128.
STEPS = {"cnn": (50, 10), "resnet_small": (20, 5), "resnet18": (10, 3)}
BATCH = 128
LR, MOMENTUM = 0.05, 0.9  # fp4-train's defaults


# --------------------------------------------------------------------------
# fp4-train


def read_status(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def run_fp4_train(fp4_train, model, recipe, steps, threads, workdir):
    """Runs one epoch of `steps` steps; returns a dict of figures."""
    metrics = os.path.join(workdir, f"metrics-{os.path.basename(model)}-{recipe}.json")
    cmd = [fp4_train, model, "--recipe", recipe, "--epochs", "1",
           "--batch", str(BATCH), "--limit-train", str(steps * BATCH),
           "--limit-test", str(BATCH), "--threads", str(threads),
           "--metrics", metrics, "--quiet"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    samples = []  # (seconds since start, VmRSS bytes)
    hwm = None
    while proc.poll() is None:
        rss = read_status(proc.pid, "VmRSS")
        h = read_status(proc.pid, "VmHWM")
        if rss is not None:
            samples.append((time.perf_counter() - t0, rss))
        if h is not None:
            hwm = h
        time.sleep(0.01)
    wall = time.perf_counter() - t0
    out, err = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed ({proc.returncode}):\n"
                 f"{out.decode()}\n{err.decode()}")
    with open(metrics) as f:
        m = json.load(f)
    epoch = m["epochs"][-1]
    eval_compile = (m.get("timing") or {}).get("eval_compile_seconds") or 0.0
    start_train = wall - epoch["seconds"] - eval_compile
    train_rss = [r for (t, r) in samples if t >= start_train]
    before = [r for (t, r) in samples if t < start_train]
    return {"ips": epoch["images_per_second"], "wall": wall,
            "setup": start_train, "eval_compile": eval_compile, "hwm": hwm,
            "train_rss": max(train_rss) if train_rss else None,
            "start_rss": before[-1] if before else None,
            "cmd": " ".join(cmd)}


# --------------------------------------------------------------------------
# PyTorch


def load_fashion_mnist(n):
    d = "/usr/share/datasets/fashion-mnist"
    with gzip.open(os.path.join(d, "train-images-idx3-ubyte.gz")) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(os.path.join(d, "train-labels-idx1-ubyte.gz")) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return (x[:n].astype(np.float32) / 255.0), y[:n].astype(np.int64)


def torch_quant():
    """The ibm-fp4 recipe as fake quantization in PyTorch (docs/recipes.md,
    shared/SPEC-numerics.md). Values are kept in f32 tensors, as a
    researcher's fake-quantization code does."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    def int4(x):
        return torch.clamp(torch.round(torch.nan_to_num(x, nan=0.0)), -7, 7)

    def uint4(x):
        return torch.clamp(torch.round(torch.nan_to_num(x, nan=0.0)), 0, 15)

    def radix4_even(x):
        """SPEC 2.1 Q_even (x in format units): sign(x) * 4^e, e in [-3, 3],
        from the exponent field of 1.6|x| (bit trick, no log)."""
        a = 1.6 * x.abs()
        field = (a.view(torch.int32) >> 23)
        e = torch.div(field - 127, 2, rounding_mode="floor")
        mag = torch.pow(4.0, e.clamp(-3, 3).to(torch.float32))
        mag = torch.where((field == 0) | (e < -3), torch.zeros_like(mag), mag)
        return torch.sign(x) * mag

    def radix4_odd(x):
        return 0.5 * radix4_even(2.0 * x)

    def sawb_scale(w):
        """SPEC 4.2: 7 / alpha, alpha = 12.1 sqrt(E w^2) - 12.2 E|w| (f64)."""
        a = w.detach().abs().double()
        alpha = 12.1 * math.sqrt(float((a * a).mean())) - 12.2 * float(a.mean())
        amax = float(a.max())
        if not alpha > 0 or alpha > amax:
            alpha = amax
        return 7.0 / alpha if alpha > 0 else 1.0

    def pow2_from_max(m, mx):
        k = math.floor(math.log2(mx / m))
        while m * 2.0 ** (k + 1) <= mx:
            k += 1
        while m * 2.0 ** k > mx:
            k -= 1
        return 2.0 ** k

    class GemmLayer:
        """Per-layer recipe state: delayed GradScale (SPEC 4.1)."""

        def __init__(self, conv=None):
            self.conv = conv  # (stride, padding) or None for linear
            self.scale = 0.0

        def gradscale(self, dy, mx=64.0):
            m0 = float(dy.abs().max())
            if self.scale == 0.0:
                used = 1.0 if (m0 == 0 or not math.isfinite(m0)) else pow2_from_max(m0, mx)
            else:
                used = self.scale
            m = m0 * used
            if not math.isfinite(m) or m > mx:
                self.scale = used * 0.5
            elif m != 0 and m <= mx / 2:
                self.scale = used * 2.0
            else:
                self.scale = used
            return used

        def fwd(self, x, w):
            if self.conv:
                return F.conv2d(x, w, None, self.conv[0], self.conv[1])
            return x @ w.t()

        def bwd(self, g_even, g_odd, qx, qw):
            if self.conv:
                stride, pad = self.conv
                dx = torch.ops.aten.convolution_backward(
                    g_even, qx, qw, None, stride, pad, [1, 1], False, [0, 0], 1,
                    [True, False, False])[0]
                dw = torch.ops.aten.convolution_backward(
                    g_odd, qx, qw, None, stride, pad, [1, 1], False, [0, 0], 1,
                    [False, True, False])[1]
                return dx, dw
            return g_even @ qw, g_odd.t() @ qx

    class QGemm(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, w, alpha, layer):
            s_w = sawb_scale(w)
            qw = int4(w * s_w)
            a = float(alpha)
            # PACT: every quantized layer of these models reads a ReLU /
            # max-pool output (X >= 0).
            mask = x < alpha
            s_x = 15.0 / a
            qx = uint4(torch.minimum(x, alpha) * s_x)
            y = layer.fwd(qx, qw) * (1.0 / (s_x * s_w))
            ctx.save_for_backward(qx, qw, mask)
            ctx.scales = (s_x, s_w)
            ctx.layer = layer
            return y

        @staticmethod
        def backward(ctx, dy):
            qx, qw, mask = ctx.saved_tensors
            s_x, s_w = ctx.scales
            layer = ctx.layer
            s = layer.gradscale(dy)
            g = dy * s
            dx, dw = layer.bwd(radix4_even(g), radix4_odd(g), qx, qw)
            dx = dx * (1.0 / (s * s_w))
            dw = dw * (1.0 / (s * s_x))
            dalpha = torch.where(mask, torch.zeros_like(dx), dx).sum().reshape(1)
            dx = torch.where(mask, dx, torch.zeros_like(dx))
            return dx, dw, dalpha, None

    class QWrap(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            self.alpha = nn.Parameter(torch.tensor([10.0]))
            conv = None
            if isinstance(inner, nn.Conv2d):
                assert inner.groups == 1 and inner.dilation == (1, 1)
                conv = (list(inner.stride), list(inner.padding))
            self.layer = GemmLayer(conv)

        def forward(self, x):
            y = QGemm.apply(x, self.inner.weight, self.alpha, self.layer)
            if self.inner.bias is not None:
                shape = [1, -1] + [1] * (y.dim() - 2)
                y = y + self.inner.bias.view(shape)
            return y

    def quantize_model(model):
        """Wraps every Conv2d/Linear but the first and the last (module order
        is execution order in these models)."""
        gemms = [(n, m) for n, m in model.named_modules()
                 if isinstance(m, (nn.Conv2d, nn.Linear))]
        for name, mod in gemms[1:-1]:
            parent = model
            parts = name.split(".")
            for p in parts[:-1]:
                parent = getattr(parent, p)
            setattr(parent, parts[-1], QWrap(mod))
        return model

    return quantize_model


def torch_images_per_second(name, steps, threads, fake_quant, data):
    import torch
    import torch.nn.functional as F
    import make_models
    torch.set_num_threads(threads)
    model = make_models.build(name, 0)
    if fake_quant:
        model = torch_quant()(model)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x, y = data
    xs = torch.from_numpy(x)
    ys = torch.from_numpy(y)
    t0 = time.perf_counter()
    for s in range(steps):
        xb = xs[s * BATCH:(s + 1) * BATCH]
        yb = ys[s * BATCH:(s + 1) * BATCH]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
    dt = time.perf_counter() - t0
    if not math.isfinite(float(loss)):
        sys.exit(f"bench: PyTorch {name} loss is not finite")
    return steps * BATCH / dt


# --------------------------------------------------------------------------


def fmt_mib(b):
    return "-" if b is None else f"{b / 2**20:7.0f} MiB"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--models", default="cnn,resnet_small,resnet18")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--steps", type=int, default=0,
                    help="training steps per run (default: per model)")
    ap.add_argument("--no-torch", action="store_true")
    args = ap.parse_args()
    fp4_train = os.path.join(args.build, "bin", "fp4-train")
    models = [m for m in args.models.split(",") if m]
    for m in models:
        if m not in STEPS:
            sys.exit(f"bench: unknown model {m} (models: {', '.join(STEPS)})")

    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("torch not installed: no PyTorch peers")
    load0 = os.getloadavg()
    print(f"fp4-train: {fp4_train}, threads {args.threads}; batch {BATCH}; "
          f"torch {torch.__version__ if torch else '-'}; "
          f"load average {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}")

    rows = []
    fp4_r18 = {}
    with tempfile.TemporaryDirectory() as d:
        for name in models:
            steps = args.steps or STEPS[name][1 if args.quick else 0]
            if name == "cnn":
                onnx = os.path.join(ROOT, "examples", "models", "cnn.onnx")
            else:
                onnx = os.path.join(d, name + ".onnx")
                subprocess.run([sys.executable,
                                os.path.join(ROOT, "examples", "models", "make_models.py"),
                                "--out", d, name], check=True, capture_output=True)
            row = {"model": name, "steps": steps}
            for recipe in ("fp32", "ibm-fp4"):
                r = run_fp4_train(fp4_train, onnx, recipe, steps, args.threads, d)
                row[recipe] = r
                print(f"  {name:12s} fp4 {recipe:8s} {r['ips']:8.1f} img/s "
                      f"(setup+compile {r['setup']:.1f} s)", flush=True)
                if name == "resnet18":
                    fp4_r18[recipe] = r
            if torch:
                data = load_fashion_mnist(steps * BATCH)
                row["torch"] = torch_images_per_second(name, steps, args.threads, False, data)
                print(f"  {name:12s} torch fp32     {row['torch']:8.1f} img/s", flush=True)
                row["torch_fq"] = torch_images_per_second(name, steps, args.threads, True, data)
                print(f"  {name:12s} torch fakequant {row['torch_fq']:7.1f} img/s", flush=True)
            rows.append(row)

    load1 = os.getloadavg()
    print(f"\nTraining images/s (batch {BATCH}, {args.threads} threads; "
          f"load average at end {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f})")
    hdr = (f"{'model':13s} {'steps':>5s} {'fp4 fp32':>9s} {'fp4 ibm':>9s} "
           f"{'torch f32':>9s} {'torch fq':>9s} | {'fp32/torch':>10s} "
           f"{'ibm/fp32':>8s} {'ibm/torchfq':>11s}")
    print(hdr)
    print("-" * len(hdr))
    for row in rows:
        f32 = row["fp32"]["ips"]
        ibm = row["ibm-fp4"]["ips"]
        t = row.get("torch")
        tq = row.get("torch_fq")
        print(f"{row['model']:13s} {row['steps']:5d} {f32:9.1f} {ibm:9.1f} "
              f"{t if t else float('nan'):9.1f} {tq if tq else float('nan'):9.1f} | "
              f"{(f32 / t) if t else float('nan'):10.2f} {ibm / f32:8.2f} "
              f"{(ibm / tq) if tq else float('nan'):11.2f}")
    if fp4_r18:
        print("\nresnet18 training step (fp4-train):")
        for recipe, r in fp4_r18.items():
            print(f"  {recipe:8s} start to first step (import, compile the training "
                  f"step, JIT, data) {r['setup']:6.1f} s (then {r['eval_compile']:.1f} s "
                  f"to compile the evaluation step); peak RSS {fmt_mib(r['hwm'])} "
                  f"(process), {fmt_mib(r['train_rss'])} (during training; "
                  f"{fmt_mib(r['start_rss'])} just before it)")
    print("\nfp4-train commands (model paths of generated models are temporary):")
    for row in rows:
        for recipe in ("fp32", "ibm-fp4"):
            print("  " + row[recipe]["cmd"])


if __name__ == "__main__":
    main()
