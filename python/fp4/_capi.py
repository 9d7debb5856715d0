"""ctypes bindings of libFP4CAPI.so (include/fp4-c/FP4.h).

The library is found, in order, at
  1. $FP4_LIBRARY (the path of libFP4CAPI.so),
  2. $FP4_BUILD_DIR/lib/libFP4CAPI.so,
  3. <repository>/build/lib/libFP4CAPI.so (the build directory of
     scripts/setup.sh and the README).
"""

import ctypes
import os

_LIB_NAME = "libFP4CAPI.so"


def _candidates():
    env = os.environ.get("FP4_LIBRARY")
    if env:
        return [("$FP4_LIBRARY", env)]
    found = []
    build = os.environ.get("FP4_BUILD_DIR")
    if build:
        found.append(("$FP4_BUILD_DIR", os.path.join(build, "lib", _LIB_NAME)))
    repo = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    found.append(("the default build directory",
                  os.path.join(repo, "build", "lib", _LIB_NAME)))
    return found


def _load():
    tried = []
    for origin, path in _candidates():
        if os.path.exists(path):
            # RTLD_LOCAL (ctypes' default): the JIT finds the OpenMP runtime
            # its code calls among the library's own dependencies, and LLVM's
            # libomp stays out of the global scope, where it would take over
            # the GOMP_* entry points of a PyTorch (GNU libgomp) loaded later.
            return ctypes.CDLL(path), path
        tried.append("%s (%s)" % (path, origin))
    raise ImportError(
        "fp4: cannot find %s; tried %s. Build it (cmake --build build "
        "--target FP4CAPI) or set FP4_LIBRARY to its path (docs/python.md)"
        % (_LIB_NAME, ", ".join(tried)))


lib, library_path = _load()

c_char_p = ctypes.c_char_p
c_void_p = ctypes.c_void_p
c_int = ctypes.c_int
c_int32 = ctypes.c_int32
c_int64 = ctypes.c_int64
c_uint32 = ctypes.c_uint32
c_uint64 = ctypes.c_uint64
c_float = ctypes.c_float
c_double = ctypes.c_double
P = ctypes.POINTER


class ModelOptions(ctypes.Structure):
    _fields_ = [("recipe", c_char_p), ("batch", c_int64),
                ("momentum", c_double), ("weight_decay", c_double),
                ("opt_level", c_int32), ("threads", c_int32)]


_ERR = c_void_p  # char * error, freed with fp4_free_string

_SIGNATURES = {
    "fp4_free_string": (None, [c_void_p]),
    "fp4_version": (c_char_p, []),
    "fp4_format_bits": (_ERR, [c_char_p, P(c_int)]),
    "fp4_storage_bytes": (_ERR, [c_char_p, c_int64, P(c_int64)]),
    "fp4_quantize": (_ERR, [c_void_p, c_int64, c_char_p, c_float, c_char_p,
                            c_uint64, c_uint32, c_void_p, P(c_int64)]),
    "fp4_encode": (_ERR, [c_void_p, c_int64, c_char_p, c_float, c_char_p,
                          c_uint64, c_uint32, c_void_p, c_int64, P(c_int64)]),
    "fp4_decode": (_ERR, [c_void_p, c_int64, c_int64, c_char_p, c_float,
                          c_void_p]),
    "fp4_sawb_scale": (_ERR, [c_void_p, c_int64, P(c_float)]),
    "fp4_gradscale_next": (_ERR, [c_void_p, c_int64, c_float, c_char_p,
                                  c_char_p, P(c_float)]),
    "fp4_kernel_cache_size": (c_int64, []),
    "fp4_oracle_encode": (_ERR, [c_void_p, c_int64, c_char_p, c_float,
                                 c_char_p, c_uint64, c_uint32, c_void_p,
                                 c_int64, P(c_int64)]),
    "fp4_oracle_decode": (_ERR, [c_void_p, c_int64, c_int64, c_char_p,
                                 c_float, c_void_p]),
    "fp4_oracle_sawb_scale": (_ERR, [c_void_p, c_int64, P(c_float)]),
    "fp4_oracle_gradscale_next": (_ERR, [c_float, c_float, c_char_p,
                                         c_char_p, c_int, P(c_float)]),
    "fp4_opt": (_ERR, [c_char_p, c_char_p, P(c_void_p)]),
    "fp4_model_create": (_ERR, [c_char_p, P(ModelOptions), P(c_void_p)]),
    "fp4_model_destroy": (None, [c_void_p]),
    "fp4_model_input_shape": (None, [c_void_p, P(c_int64), P(P(c_int64))]),
    "fp4_model_num_classes": (c_int64, [c_void_p]),
    "fp4_model_run": (_ERR, [c_void_p, c_int, c_void_p, c_int64, c_void_p,
                             c_int64, c_double, P(c_double), P(c_int64)]),
    "fp4_model_num_results": (c_int64, [c_void_p, c_int]),
    "fp4_model_result": (_ERR, [c_void_p, c_int, c_int64, P(c_char_p),
                                P(c_char_p), P(c_int), P(c_int64),
                                P(P(c_int64)), P(c_void_p), P(c_int64)]),
    "fp4_model_num_state": (c_int64, [c_void_p]),
    "fp4_model_state": (_ERR, [c_void_p, c_int64, P(c_char_p), P(c_char_p),
                               P(c_int), P(c_int64), P(P(c_int64)),
                               P(c_void_p), P(c_int64)]),
    "fp4_model_set_state": (_ERR, [c_void_p, c_char_p, c_char_p, c_int,
                                   c_void_p, c_int64]),
    "fp4_model_export_onnx": (_ERR, [c_void_p, c_char_p]),
}

for _name, (_restype, _argtypes) in _SIGNATURES.items():
    _fn = getattr(lib, _name)
    _fn.restype = _restype
    _fn.argtypes = _argtypes


class FP4Error(RuntimeError):
    """A failure reported by the C API that is not a bad argument (for
    example a pass that fails on a model)."""


def take_string(ptr):
    """The string at `ptr` (freed), or None for NULL."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        lib.fp4_free_string(ptr)


def check(error, exc=ValueError):
    """Raises `exc` with the C API's message if `error` is not NULL."""
    message = take_string(error)
    if message is not None:
        raise exc(message)


def encode_str(value):
    return value.encode("utf-8")
