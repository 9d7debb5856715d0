#!/usr/bin/env python3
"""Writes .npy files for the fp4-run tests.

  mknpy.py FILE EXPR            np.save(FILE, eval(EXPR)), numpy as `np`
  mknpy.py --fortran FILE EXPR  the same array saved in Fortran order
  mknpy.py --version V FILE EXPR  saved in .npy format version V.0
  mknpy.py --truncate N FILE    drop the last N bytes of FILE
  mknpy.py --raw FILE TEXT      write TEXT (a Python bytes literal) to FILE
"""
import sys

import numpy as np


def main(argv):
    if argv[0] == "--truncate":
        count, path = int(argv[1]), argv[2]
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data[:-count])
    elif argv[0] == "--raw":
        data = eval(argv[2])
        with open(argv[1], "wb") as f:
            f.write(data)
    elif argv[0] == "--version":
        array = np.asarray(eval(argv[3], {"np": np}))
        with open(argv[2], "wb") as f:
            np.lib.format.write_array(f, array, version=(int(argv[1]), 0))
    elif argv[0] == "--fortran":
        array = np.asfortranarray(eval(argv[2], {"np": np}))
        assert array.flags.f_contiguous and not array.flags.c_contiguous
        np.save(argv[1], array)
    else:
        np.save(argv[0], eval(argv[1], {"np": np}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
