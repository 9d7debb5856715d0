"""The same numerics as `fp4.numerics`, computed by the C++ reference
library (lib/Numerics, the project's oracle) instead of compiled kernels.
For tests and comparisons; the results must be bit-identical."""

import ctypes

import numpy as np

from ._capi import lib, check, encode_str
from . import numerics as _n


def encode(x, fmt, scale=1.0, rounding="nearest", seed=0, stream=0, *,
           return_counters=False):
    """Packed codes like fp4.encode, from the reference library."""
    return _n._encode(lib.fp4_oracle_encode, x, fmt, scale, rounding, seed,
                      stream, return_counters)


def decode(codes, fmt, shape=None, scale=1.0):
    """Values like fp4.decode, from the reference library."""
    return _n._decode(lib.fp4_oracle_decode, codes, fmt, shape, scale)


def quantize(x, fmt, scale=1.0, rounding="nearest", seed=0, stream=0, *,
             return_counters=False):
    """decode(encode(x)) like fp4.quantize, from the reference library."""
    arr = _n._float_array(x)
    codes, counters = encode(arr, fmt, scale, rounding, seed, stream,
                             return_counters=True)
    out = decode(codes, fmt, arr.shape, scale)
    return (out, counters) if return_counters else out


def sawb_scale(w):
    """SAWB scale from the reference library."""
    arr = _n._float_array(w, "w")
    out = ctypes.c_float()
    check(lib.fp4_oracle_sawb_scale(_n._ptr(arr), arr.size, ctypes.byref(out)))
    return float(out.value)


def gradscale_next_from_max(scale, m, fmt="radix4_even", mode="delayed",
                            first_step=False):
    """gradscaleNext(s, m, fmt, mode, first_step) of the reference library,
    with m = max|g * s| (SPEC 4.1)."""
    _n._check_format(fmt)
    _n._check_choice(mode, "mode", _n.GRADSCALE_MODES)
    out = ctypes.c_float()
    check(lib.fp4_oracle_gradscale_next(float(np.float32(scale)),
                                        float(np.float32(m)), encode_str(fmt),
                                        encode_str(mode), int(bool(first_step)),
                                        ctypes.byref(out)))
    return float(out.value)
