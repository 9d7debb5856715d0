#!/usr/bin/env python3
"""Writes mlp3.mlir's initial parameters (PyTorch's default uniform bounds,
seeded) as an .npz, and optionally one batch x.npy / y.npy.

    mlp3_init.py OUT.npz [--batch-dir DIR]
"""
import os
import sys

import numpy as np

rng = np.random.RandomState(0)
params = {}
for name, fan_in, fan_out in (("fc1", 784, 32), ("fc2", 32, 32), ("fc3", 32, 10)):
    bound = 1.0 / np.sqrt(fan_in)
    params[name + ".weight"] = rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32)
    params[name + ".bias"] = rng.uniform(-bound, bound, (fan_out,)).astype(np.float32)
np.savez(sys.argv[1], **params)
if len(sys.argv) > 3 and sys.argv[2] == "--batch-dir":
    d = sys.argv[3]
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, "x.npy"), rng.standard_normal((16, 1, 28, 28)).astype(np.float32))
    np.save(os.path.join(d, "y.npy"), rng.randint(0, 10, 16).astype(np.int64))
    for name, value in params.items():
        np.save(os.path.join(d, name + ".npy"), value)
