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
