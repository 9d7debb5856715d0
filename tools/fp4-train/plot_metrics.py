#!/usr/bin/env python3
"""Plots the loss and accuracy curves of an fp4-train metrics file.

    plot_metrics.py METRICS.json OUT.png     draw (written atomically)
    plot_metrics.py --check                  exit 0 if matplotlib is usable

Left: train and test loss per epoch; right: test accuracy (%). Uses
matplotlib's Agg backend (no display needed).
"""

import json
import os
import sys
import tempfile


def fail(message):
    print("plot_metrics.py: error: " + message, file=sys.stderr)
    sys.exit(2)


def load_matplotlib():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt
    except ImportError:
        fail("matplotlib is not installed for %s (apt-get install "
             "python3-matplotlib)" % sys.executable)


def main(argv):
    if argv == ["--check"]:
        load_matplotlib()
        return 0
    if len(argv) != 2:
        fail("usage: plot_metrics.py METRICS.json OUT.png")
    metrics_path, out_path = argv
    try:
        with open(metrics_path) as f:
            metrics = json.load(f)
        epochs = metrics["epochs"]
    except (OSError, ValueError, KeyError) as e:
        fail("%s: cannot read the metrics: %s" % (metrics_path, e))
    plt = load_matplotlib()

    x = [e["epoch"] for e in epochs]
    nan = float("nan")
    value = lambda e, k: nan if e.get(k) is None else e[k]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(x, [value(e, "train_loss") for e in epochs], "o-",
                 label="train")
    ax_loss.plot(x, [value(e, "test_loss") for e in epochs], "s-",
                 label="test")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("cross-entropy loss")
    ax_loss.legend()
    ax_loss.grid(True, alpha=0.3)
    ax_acc.plot(x, [value(e, "test_accuracy") for e in epochs], "s-",
                color="tab:green")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("test accuracy (%)")
    ax_acc.grid(True, alpha=0.3)
    fig.suptitle("%s, recipe %s" % (metrics.get("model", "?"),
                                    metrics.get("recipe", "?")))
    fig.tight_layout()

    directory = os.path.dirname(os.path.abspath(out_path))
    fd, tmp = tempfile.mkstemp(prefix=".plot-", suffix=".png", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            fig.savefig(f, format="png", dpi=100)
        # mkstemp creates the file 0600; give it the usual mode (0666 less
        # the umask), like the other outputs of fp4-train.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, out_path)
    except OSError as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        fail("%s: cannot write: %s" % (out_path, e.strerror))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
