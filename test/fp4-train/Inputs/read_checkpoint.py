#!/usr/bin/env python3
"""Reads an fp4-train checkpoint (docs/training.md) with numpy only.

    read_checkpoint.py CHECKPOINT [--npz OUT.npz] [--corrupt OUT]

Prints the epoch, the configuration, the metrics and one line per state
tensor (role, name, dtype, shape); --npz writes the tensors as ROLE/NAME;
--corrupt writes a copy with one payload byte flipped.
"""
import struct
import sys
import zlib

import numpy as np


def read(path):
    data = open(path, "rb").read()
    assert data[:8] == b"FP4CKPT\0", "bad magic"
    version, crc, size = struct.unpack_from("<IIQ", data, 8)
    payload = data[24:]
    assert version == 1 and size == len(payload), "bad header"
    assert zlib.crc32(payload) == crc, "bad checksum"
    pos = 0

    def take(fmt):
        nonlocal pos
        values = struct.unpack_from("<" + fmt, payload, pos)
        pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def string():
        nonlocal pos
        n = take("I")
        s = payload[pos:pos + n].decode()
        pos += n
        return s

    ck = {"epoch": take("Q"), "rng": take("Q"), "config": {}, "metrics": [],
          "state": {}}
    for _ in range(take("I")):
        k = string()
        ck["config"][k] = string()
    for _ in range(take("I")):
        ck["metrics"].append(take("qdddd"))
    for _ in range(take("I")):
        role, name, descr = string(), string(), string()
        rank = take("I")
        shape = [take("q") for _ in range(rank)]
        nbytes = take("Q")
        array = np.frombuffer(payload[pos:pos + nbytes], np.dtype(descr)).reshape(shape)
        pos += nbytes
        ck["state"][(role, name)] = array
    assert pos == len(payload), "trailing bytes"
    return ck, data


def main():
    ck, data = read(sys.argv[1])
    args = sys.argv[2:]
    if "--corrupt" in args:
        out = args[args.index("--corrupt") + 1]
        flipped = bytearray(data)
        flipped[-5] ^= 0x01
        open(out, "wb").write(bytes(flipped))
    if "--npz" in args:
        out = args[args.index("--npz") + 1]
        np.savez(out, **{"%s/%s" % k: v for k, v in ck["state"].items()})
    print("epoch %d" % ck["epoch"])
    for k, v in ck["config"].items():
        print("config %s = %s" % (k, v))
    for m in ck["metrics"]:
        print("metrics epoch %d: train loss %.4f, test loss %.4f, test accuracy %.2f" %
              (m[0], m[1], m[3], m[4]))
    for (role, name), v in sorted(ck["state"].items()):
        print("tensor %s %s %s %s" % (role, name, v.dtype, list(v.shape)))


if __name__ == "__main__":
    main()
