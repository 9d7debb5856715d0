#!/usr/bin/env python3
"""Compares a .npy file written by fp4-run with an expected array.

  cmpnpy.py FILE EXPR [--rtol R]

EXPR is evaluated with numpy as `np` and `load(path)` = np.load(path). The
dtype and shape must match exactly; values must be equal (or close within
the relative tolerance R for floating-point arrays). Exits 1 on a mismatch.
"""
import sys

import numpy as np


def main(argv):
    path, expr = argv[0], argv[1]
    rtol = float(argv[argv.index("--rtol") + 1]) if "--rtol" in argv else 0.0
    actual = np.load(path)
    expected = np.asarray(eval(expr, {"np": np, "load": np.load}))
    if actual.dtype != expected.dtype or actual.shape != expected.shape:
        print(f"{path}: got {actual.dtype} {list(actual.shape)}, "
              f"expected {expected.dtype} {list(expected.shape)}")
        return 1
    if rtol and np.issubdtype(actual.dtype, np.floating):
        ok = np.allclose(actual, expected, rtol=rtol, atol=rtol)
    else:
        ok = np.array_equal(actual, expected)
    if not ok:
        print(f"{path}: values differ\ngot:\n{actual}\nexpected:\n{expected}")
        return 1
    print(f"{path}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
