#!/usr/bin/python3
"""fp4 quickstart: export a small PyTorch model, train it for one epoch on
Fashion-MNIST with fp32 and with IBM's 4-bit recipe (ibm-fp4), print both
test accuracies.

    PYTHONPATH=python FP4_LIBRARY=build/lib/libFP4CAPI.so \\
        /usr/bin/python3 examples/python_quickstart.py [--limit-train N]

ibm-fp4 keeps the first and the last GEMM layer in f32 (docs/recipes.md), so
the model has four layers: the second convolution and the first linear
layer train with INT4 weights/activations and radix-4 FP4 gradients.
"""

import argparse
import time

import numpy as np
import torch
import torch.nn as nn

import fp4


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc1 = nn.Linear(16 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--limit-train", type=int, default=None,
                        help="train on the first N images (default: all "
                             "60000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    x_train, y_train = fp4.datasets.fashion_mnist("train",
                                                  limit=args.limit_train)
    x_test, y_test = fp4.datasets.fashion_mnist("test")
    n = x_train.shape[0]
    steps = n // args.batch
    note = "" if args.limit_train is None else \
        " (subset: the first %d training images)" % n
    print("Fashion-MNIST: %d training images, %d test images%s"
          % (n, x_test.shape[0], note))

    rng = np.random.default_rng(args.seed)
    order = rng.permutation(n)
    results = {}
    for recipe in ("fp32", "ibm-fp4"):
        torch.manual_seed(args.seed)  # the same initial weights for both
        model = SmallCNN()
        t0 = time.time()
        step = fp4.from_torch(model, torch.zeros(args.batch, 1, 28, 28),
                              recipe=recipe, lr=args.lr, momentum=0.9)
        compile_s = time.time() - t0
        t0 = time.time()
        loss_sum = 0.0
        for i in range(steps):
            idx = order[i * args.batch:(i + 1) * args.batch]
            loss_sum += step.step(x_train[idx], y_train[idx])
        train_s = time.time() - t0
        ev = step.evaluate(x_test, y_test)
        results[recipe] = ev.accuracy
        print("%-8s compile %.1f s, 1 epoch (%d steps of %d) %.1f s "
              "(%.0f img/s), train loss %.4f, test loss %.4f, "
              "test accuracy %.2f%%"
              % (recipe, compile_s, steps, args.batch, train_s,
                 steps * args.batch / train_s, loss_sum / steps, ev.loss,
                 ev.accuracy))
        if recipe != "fp32":
            for layer, st in step.recipe_state().items():
                c = st.get("counters_total")
                print("         %s: gradscale %g, pact_alpha %.3f%s"
                      % (layer, st.get("gradscale", float("nan")),
                         st.get("pact_alpha", float("nan")),
                         "" if c is None else
                         ", flushed %d, saturated %d gradient values"
                         % (c[1] + c[4], c[0] + c[3])))
    print("accuracy after 1 epoch: fp32 %.2f%%, ibm-fp4 %.2f%%"
          % (results["fp32"], results["ibm-fp4"]))


if __name__ == "__main__":
    main()
