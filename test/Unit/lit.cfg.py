# -*- Python -*-
# lit configuration that runs the GoogleTest unit tests (unittests/) so that
# check-fp4 reports every suite in one summary.

import os

import lit.formats

config.name = "FP4-Unit"
config.suffixes = []
config.test_exec_root = os.path.join(config.fp4_obj_root, "unittests")
config.test_source_root = config.test_exec_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
