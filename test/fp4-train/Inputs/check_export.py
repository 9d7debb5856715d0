#!/usr/bin/env python3
"""Checks an --export'ed ONNX model.

    check_export.py ORIGINAL.onnx TRAINED.onnx STATE.npz DIR
        onnx.checker accepts TRAINED; every initializer that is a parameter
        or running statistic in the checkpoint STATE.npz (keys ROLE/NAME,
        from read_checkpoint.py --npz) equals it and differs from ORIGINAL's
        (for parameters); the graph is unchanged. Writes DIR/x.npy, a batch
        of 4 for the forward check.
    check_export.py --forward TRAINED.onnx x.npy logits.npy
        the logits of the MLP computed with numpy from TRAINED's
        initializers equal fp4-run's within 1e-5 relative.
"""
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def inits(model):
    return {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}


if sys.argv[1] == "--forward":
    model = onnx.load(sys.argv[2])
    w = inits(model)
    x = np.load(sys.argv[3]).reshape(-1, 784).astype(np.float64)
    h = np.maximum(x @ w["fc1.weight"].T + w["fc1.bias"], 0)
    ref = h @ w["fc2.weight"].T + w["fc2.bias"]
    got = np.load(sys.argv[4])
    err = np.abs(got - ref).max() / np.abs(ref).max()
    print("max relative error %.2e %s" % (err, "OK" if err < 1e-5 else "MISMATCH"))
    sys.exit(0 if err < 1e-5 else 1)

original, trained = onnx.load(sys.argv[1]), onnx.load(sys.argv[2])
onnx.checker.check_model(trained)
state = np.load(sys.argv[3])
before, after = inits(original), inits(trained)
assert list(before) == list(after)
assert original.graph.node == trained.graph.node
count = 0
for key in state.files:
    role, name = key.split("/", 1)
    if role not in ("param", "running_mean", "running_var"):
        continue
    assert name in after, name
    assert after[name].dtype == np.float32 and after[name].shape == before[name].shape
    assert np.array_equal(after[name], state[key]), name
    assert not np.array_equal(after[name], before[name]), name
    count += 1
print("checker OK, %d initializers trained, all equal to the checkpoint" % count)
np.save(os.path.join(sys.argv[4], "x.npy"),
        np.random.RandomState(0).standard_normal((4, 1, 28, 28)).astype(np.float32))
