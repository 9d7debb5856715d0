#!/usr/bin/env python3
"""Evaluates an exported model with PyTorch, the oracle of fp4-train's test
metrics: torch_eval.py MODEL TRAINED.onnx METRICS.json N

MODEL is a make_models.py name; its parameters and running statistics are
loaded from TRAINED.onnx's initializers; the first N Fashion-MNIST test
images (Debian's files, normalized like fp4-train: (p/255 - 0.2860)/0.3530)
are classified in eval mode (BatchNormalization with running statistics).
Compares the mean loss and the accuracy with the last epoch of METRICS."""
import gzip
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "examples", "models"))
import make_models  # noqa: E402

name, path, metrics, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
model = make_models.build(name).double()
inits = {i.name: numpy_helper.to_array(i) for i in onnx.load(path).graph.initializer}
state = model.state_dict()
for key in state:
    if key in inits:
        state[key] = torch.from_numpy(inits[key].copy()).double()
model.load_state_dict(state)
model.eval()

d = "/usr/share/datasets/fashion-mnist"
with gzip.open(os.path.join(d, "t10k-images-idx3-ubyte.gz")) as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16)[:n * 784]
with gzip.open(os.path.join(d, "t10k-labels-idx1-ubyte.gz")) as f:
    labels = np.frombuffer(f.read(), np.uint8, offset=8)[:n]
x = ((images.astype(np.float32) / np.float32(255) - np.float32(0.2860)) /
     np.float32(0.3530)).reshape(n, 1, 28, 28)
with torch.no_grad():
    logits = model(torch.from_numpy(x).double())
    loss = F.cross_entropy(logits, torch.from_numpy(labels.astype(np.int64))).item()
accuracy = 100.0 * (logits.argmax(1).numpy() == labels).mean()
last = json.load(open(metrics))["epochs"][-1]
ok = abs(last["test_loss"] - loss) <= 1e-4 * max(1.0, loss) and \
    abs(last["test_accuracy"] - accuracy) < 1e-9
print("torch eval: test loss %.6f, accuracy %.2f%%; fp4-train %.6f, %.2f%%: %s" %
      (loss, accuracy, last["test_loss"], last["test_accuracy"],
       "OK" if ok else "MISMATCH"))
sys.exit(0 if ok else 1)
