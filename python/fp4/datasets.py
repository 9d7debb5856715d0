"""Fashion-MNIST from Debian's dataset-fashion-mnist, normalized exactly as
fp4-train does (docs/training.md): (p / 255 - 0.2860) / 0.3530 in float32,
NCHW [n, 1, 28, 28], int64 labels."""

import gzip
import os

import numpy as np

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530


def _read_idx(path, magic):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    got = int.from_bytes(data[0:4], "big")
    if got != magic:
        raise ValueError("%s: bad IDX magic number 0x%08x (expected 0x%08x)"
                         % (path, got, magic))
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big")
            for i in range(ndim)]
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError("%s: expected %d data bytes, found %d"
                         % (path, int(np.prod(dims)), body.size))
    return body.reshape(dims)


def _find(directory, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError("%s: no %s(.gz) (install dataset-fashion-mnist)"
                            % (directory, stem))


def fashion_mnist(split="train", directory=DEFAULT_DIR, limit=None):
    """(x, y) of the `train` or `test` split: x float32 [n, 1, 28, 28]
    normalized like fp4-train, y int64 [n]; the first `limit` samples if
    given."""
    if split not in ("train", "test"):
        raise ValueError("split must be 'train' or 'test', not %r" % (split,))
    prefix = "train" if split == "train" else "t10k"
    images = _read_idx(_find(directory, prefix + "-images-idx3-ubyte"),
                       0x00000803)
    labels = _read_idx(_find(directory, prefix + "-labels-idx1-ubyte"),
                       0x00000801)
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    x = ((images.astype(np.float32) / np.float32(255) - np.float32(MEAN))
         / np.float32(STD)).astype(np.float32)
    return x.reshape(-1, 1, images.shape[1], images.shape[2]), \
        labels.astype(np.int64)
