# -*- Python -*-
# lit configuration of the fp4 regression tests.

import os
import subprocess

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "FP4"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Unit", "Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.fp4_obj_root, "test")

llvm_config.use_default_substitutions()
config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%fp4_src_root", config.fp4_src_root))
config.substitutions.append(("%fp4_obj_root", config.fp4_obj_root))

llvm_config.with_system_environment(["HOME", "TMPDIR", "TMP", "TEMP"])

# glibc's checking malloc with freed memory overwritten: a use after free or
# a read of uninitialized heap memory in a tool (the fp4 passes, the JIT)
# crashes or shows in the output instead of working by chance. On for every
# test where glibc ships the checker (Debian: libc6, libc_malloc_debug.so.0);
# `lit --param malloc_check=0` turns it off.
MALLOC_DEBUG_LIB = "/lib/x86_64-linux-gnu/libc_malloc_debug.so.0"
if lit_config.params.get("malloc_check", "1") != "0" and \
        os.path.exists(MALLOC_DEBUG_LIB):
    config.environment["LD_PRELOAD"] = MALLOC_DEBUG_LIB
    config.environment["MALLOC_CHECK_"] = "3"
    config.environment["MALLOC_PERTURB_"] = "165"
    config.available_features.add("malloc-check")
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.fp4_tools_dir, append_path=True)

tools = ["fp4-opt", "fp4-run", "fp4-translate", "fp4-train",
         "fp4-numerics-check"]
llvm_config.add_tool_substitutions(
    [ToolSubst(t, unresolved="ignore") for t in tools],
    [config.fp4_tools_dir])


def python_can_import(module):
    try:
        return subprocess.call(
            [config.python_executable, "-c", "import " + module],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0
    except OSError:
        return False


if python_can_import("numpy"):
    config.available_features.add("numpy")
if config.cuda_toolkit_found.upper() in ("TRUE", "ON", "1", "YES"):
    config.available_features.add("cuda-toolkit")

# ONNX import (docs/onnx.md): the importer is built when libonnx-dev is
# installed; the tests build models with python3-onnx, compare with ONNX's
# own backend test data (libonnx-testdata) and with PyTorch.
if os.path.exists(os.path.join(config.fp4_tools_dir, "fp4-translate")):
    config.available_features.add("onnx-importer")
if python_can_import("onnx"):
    config.available_features.add("onnx")
if python_can_import("torch, torchvision"):
    config.available_features.add("torch")
if os.path.isdir("/usr/share/libonnx-testdata/data/node"):
    config.available_features.add("onnx-testdata")

# The Python package (python/fp4, docs/python.md) over libFP4CAPI.so; its
# pytest suite runs from test/Python/pytest.test.
fp4_capi = os.path.join(config.fp4_obj_root, "lib", "libFP4CAPI.so")
config.substitutions.append(("%fp4_capi", fp4_capi))
if os.path.exists(fp4_capi) and python_can_import("pytest, numpy"):
    config.available_features.add("python-fp4")

# GPU (docs/gpu.md): `ptxas` when the CUDA toolkit's PTX assembler is found
# (tests then assemble every generated PTX for its chip; %ptxas is its path);
# `cuda-device` when a CUDA driver reports a device (tests that run kernels;
# %cuda_chip is the chip of device 0). Never set on machines without a GPU.
import ctypes
import shutil

ptxas = "/usr/local/cuda/bin/ptxas"
if not os.path.exists(ptxas):
    ptxas = shutil.which("ptxas")
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))


def cuda_device_chip():
    """The fp4 chip of CUDA device 0, or None."""
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
        count, major, minor = ctypes.c_int(0), ctypes.c_int(0), ctypes.c_int(0)
        if cuda.cuInit(0) != 0 or cuda.cuDeviceGetCount(ctypes.byref(count)) != 0:
            return None
        if count.value < 1:
            return None
        # CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR/MINOR = 75/76.
        if (cuda.cuDeviceGetAttribute(ctypes.byref(major), 75, 0) != 0 or
                cuda.cuDeviceGetAttribute(ctypes.byref(minor), 76, 0) != 0):
            return None
    except (OSError, AttributeError):
        return None
    if major.value == 8:
        return "sm_89" if minor.value == 9 else "sm_80"
    if (major.value, minor.value) == (10, 0):
        return "sm_100a"
    return "sm_90" if major.value >= 9 else None


# A C compiler for the fake CUDA driver of test/GPU/fake-driver.mlir.
host_cc = (shutil.which("cc") or shutil.which("gcc") or
           shutil.which("clang", path=config.llvm_tools_dir))
if host_cc:
    config.available_features.add("host-cc")
    config.substitutions.append(("%host_cc", host_cc))

cuda_chip = cuda_device_chip()
if cuda_chip:
    config.available_features.add("cuda-device")
    config.substitutions.append(("%cuda_chip", cuda_chip))
