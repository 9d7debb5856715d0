"""Running the compiler's passes on MLIR text."""

import ctypes

from ._capi import lib, check, encode_str, take_string


def opt(mlir_text, pipeline):
    """Parses `mlir_text` (a module), runs `pipeline` and returns the
    printed module, like `fp4-opt --pass-pipeline=...`. The pipeline may be
    anchored ("builtin.module(canonicalize, cse)") or not
    ("convert-fp4-to-standard, canonicalize"); every upstream and fp4 pass
    and pipeline (e.g. "fp4-to-llvm") is available. Errors (parse errors,
    unknown passes, failing passes) raise ValueError."""
    if not isinstance(mlir_text, str):
        raise TypeError("mlir_text must be a str, not %s"
                        % type(mlir_text).__name__)
    if not isinstance(pipeline, str):
        raise TypeError("pipeline must be a str, not %s"
                        % type(pipeline).__name__)
    out = ctypes.c_void_p()
    check(lib.fp4_opt(encode_str(mlir_text), encode_str(pipeline),
                      ctypes.byref(out)))
    return take_string(out.value)
