#!/usr/bin/env python3
"""Writes a small IDX dataset (Fashion-MNIST file names) for fp4-train tests.

    make_idx.py DIR [--train N] [--test M] [--size S] [--plain]
                [--corrupt KIND]

Class c (0..9) images have a bright 4x4 patch at a position that depends on
c, plus noise, so a linear model learns them in a few steps. Files are
gzip-compressed unless --plain. --corrupt damages the training files:
  magic      labels file with the images' magic number
  truncated  images file cut short
  count      labels file with one label fewer than images
  gzip       images file with a corrupt gzip stream
  label      a label of 12 (not a class of a 10-class model)
  empty      missing test labels file
"""

import argparse
import gzip
import os
import struct

import numpy as np


def idx(data, magic):
    header = struct.pack(">I", magic) + b"".join(
        struct.pack(">I", d) for d in data.shape)
    return header + data.astype(np.uint8).tobytes()


def images_labels(n, size, rng):
    labels = rng.randint(0, 10, n).astype(np.uint8)
    images = rng.randint(0, 40, (n, size, size)).astype(np.uint8)
    for i, c in enumerate(labels):
        r, q = (c // 5) * (size // 2) + 2, (c % 5) * (size // 5)
        images[i, r:r + 4, q:q + 4] = 250
    return images, labels


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--train", type=int, default=128)
    p.add_argument("--test", type=int, default=40)
    p.add_argument("--size", type=int, default=28)
    p.add_argument("--plain", action="store_true")
    p.add_argument("--corrupt", default=None)
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    rng = np.random.RandomState(0)
    files = {}
    for split, n in (("train", a.train), ("t10k", a.test)):
        x, y = images_labels(n, a.size, rng)
        files[split + "-images-idx3-ubyte.gz"] = idx(x, 0x803)
        files[split + "-labels-idx1-ubyte.gz"] = idx(y, 0x801)
    img, lab = "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"
    if a.corrupt == "magic":
        files[lab] = struct.pack(">I", 0x803) + files[lab][4:]
    elif a.corrupt == "truncated":
        files[img] = files[img][:-100]
    elif a.corrupt == "count":
        data = np.frombuffer(files[lab][8:], np.uint8)[:-1]
        files[lab] = idx(data, 0x801)
    elif a.corrupt == "label":
        data = np.frombuffer(files[lab][8:], np.uint8).copy()
        data[5] = 12
        files[lab] = idx(data, 0x801)
    elif a.corrupt == "empty":
        del files["t10k-labels-idx1-ubyte.gz"]
    for name, data in files.items():
        if a.corrupt == "gzip" and name == img:
            good = gzip.compress(data, mtime=0)
            data = good[:20] + bytes(b ^ 0x5A for b in good[20:60]) + good[60:]
        elif not a.plain:
            data = gzip.compress(data, mtime=0)
        with open(os.path.join(a.dir, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
