#!/usr/bin/env python3
"""dump-gradients-mlir.test: compares fp4-train's g.npz and printed loss
(DIR/out.txt) with fp4-run's @grad_step outputs in DIR."""
import os
import sys

import numpy as np

d = sys.argv[1]
g = np.load(os.path.join(d, "g.npz"))
files = {"fc1.weight": "g1w", "fc1.bias": "g1b", "fc2.weight": "g2w",
         "fc2.bias": "g2b", "fc3.weight": "g3w", "fc3.bias": "g3b"}
assert list(g.files) == list(files), g.files
for key, f in files.items():
    ref = np.load(os.path.join(d, f + ".npy"))
    assert g[key].dtype == ref.dtype and np.array_equal(g[key], ref), key
printed = open(os.path.join(d, "out.txt")).read().split()[1]
assert printed == "%.4f" % np.load(os.path.join(d, "loss.npy")), printed
print("%d gradients equal, loss equal" % len(files))
