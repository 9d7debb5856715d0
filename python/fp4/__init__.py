"""fp4: 4-bit training compiled with MLIR, from Python.

    import fp4
    y = fp4.quantize(x, "radix4_even")                  # compiled kernels
    step = fp4.compile("model.onnx", recipe="ibm-fp4", batch=64)
    loss = step.step(x_batch, y_batch)

The package wraps the C API libFP4CAPI.so (include/fp4-c/FP4.h) with ctypes;
docs/python.md describes how it is found and the whole API.
"""

from ._capi import FP4Error, library_path
from .numerics import (FORMATS, ROUNDINGS, GRADSCALE_MODES, quantize, encode,
                       decode, sawb_scale, gradscale_next, storage_bytes,
                       kernel_cache_size)
from .passes import opt
from .model import TrainingStep, EvalResult, compile, from_torch
from . import reference
from . import datasets

__version__ = "0.1"

__all__ = ["FP4Error", "FORMATS", "ROUNDINGS", "GRADSCALE_MODES", "quantize",
           "encode", "decode", "sawb_scale", "gradscale_next", "storage_bytes",
           "kernel_cache_size", "opt", "TrainingStep", "EvalResult", "compile",
           "from_torch", "reference", "datasets", "library_path"]
