#!/usr/bin/env python3
"""Runs ONNX's own backend node tests through fp4-run and compares.

For each test directory /usr/share/libonnx-testdata/data/node/<test>/ the
inputs of test_data_set_*/input_*.pb are converted to .npy (numpy_helper;
booleans as uint8), `fp4-run model.onnx --input ... --output ...` runs the
model, and every output is compared with output_*.pb:

    |out - expected| <= atol + rtol * |expected|   (numpy.allclose, NaN == NaN)

The expectations are in node-tests.txt (one line per test: `pass`,
`pass --bn-mode=train`, `error: <substring of the one-line error>` for what
fp4 rejects with a clear error, or `skip: <reason>` for tests that cannot
match by construction, e.g. random dropout masks).
`--group PREFIX` selects the tests whose name starts with test_PREFIX.
Prints one line per test and a summary; exits 1 if anything fails.
"""

import argparse
import glob
import os
import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def load_expectations(path):
    tests = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name, _, rest = line.partition(" ")
            tests[name] = rest.strip()
    return tests


def to_npy(pb_path, npy_path):
    tensor = onnx.TensorProto()
    with open(pb_path, "rb") as f:
        tensor.ParseFromString(f.read())
    array = numpy_helper.to_array(tensor)
    if array.dtype == np.bool_:
        array = array.astype(np.uint8)
    np.save(npy_path, array)
    return array


def run_test(name, expectation, args):
    test_dir = os.path.join(args.data, name)
    model = os.path.join(test_dir, "model.onnx")
    work = os.path.join(args.work, name)
    os.makedirs(work, exist_ok=True)
    results = []
    sets = sorted(glob.glob(os.path.join(test_dir, "test_data_set_*")))
    if not sets:
        return False, "no test data sets", None
    for data_set in sets:
        inputs = sorted(glob.glob(os.path.join(data_set, "input_*.pb")),
                        key=lambda p: int(re.findall(r"\d+", os.path.basename(p))[0]))
        outputs = sorted(glob.glob(os.path.join(data_set, "output_*.pb")),
                         key=lambda p: int(re.findall(r"\d+", os.path.basename(p))[0]))
        cmd = [args.runner, model]
        for i, pb in enumerate(inputs):
            npy = os.path.join(work, "in%d.npy" % i)
            to_npy(pb, npy)
            cmd += ["--input", npy]
        expected = []
        for i, pb in enumerate(outputs):
            npy = os.path.join(work, "out%d.npy" % i)
            tensor = onnx.TensorProto()
            with open(pb, "rb") as f:
                tensor.ParseFromString(f.read())
            expected.append(numpy_helper.to_array(tensor))
            cmd += ["--output", npy]
        if "--bn-mode=train" in expectation:
            cmd.append("--bn-mode=train")
        proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True)
        stderr = proc.stderr.strip()
        if expectation.startswith("error:"):
            wanted = expectation[len("error:"):].strip()
            if proc.returncode != 1:
                return False, "expected an error, got exit code %d: %s" % (
                    proc.returncode, stderr), None
            lines = stderr.splitlines()
            if len(lines) != 1 or not lines[0].startswith("fp4-run: error: "):
                return False, "expected one error line, got: %r" % stderr, None
            if wanted not in lines[0]:
                return False, "unexpected error: %s" % lines[0], None
            return True, "expected error: " + lines[0].split("): ", 1)[-1], None
        if proc.returncode != 0:
            return False, "fp4-run failed (%d): %s" % (proc.returncode, stderr), None
        for i, exp in enumerate(expected):
            out = np.load(os.path.join(work, "out%d.npy" % i))
            if out.shape != exp.shape:
                return False, "output %d: shape %s, expected %s" % (
                    i, out.shape, exp.shape), None
            if out.dtype != exp.dtype:
                return False, "output %d: dtype %s, expected %s" % (
                    i, out.dtype, exp.dtype), None
            if exp.size == 0:
                continue
            o = out.astype(np.float64)
            e = exp.astype(np.float64)
            finite = np.isfinite(e)
            if not np.array_equal(np.isnan(o), np.isnan(e)) or \
                    not np.array_equal(o[~finite & ~np.isnan(e)],
                                       e[~finite & ~np.isnan(e)]):
                return False, "output %d: non-finite values differ" % i, None
            abs_err = np.abs(o[finite] - e[finite])
            if not np.allclose(o[finite], e[finite], rtol=args.rtol,
                               atol=args.atol):
                worst = np.argmax(abs_err - args.rtol * np.abs(e[finite]))
                return False, "output %d: max |error| %.3g (got %r, expected %r)" % (
                    i, abs_err.max(), o[finite][worst], e[finite][worst]), None
            rel = abs_err / np.maximum(np.abs(e[finite]), 1e-30)
            results.append((abs_err.max() if abs_err.size else 0.0,
                            rel.max() if rel.size else 0.0))
    max_abs = max(r[0] for r in results) if results else 0.0
    max_rel = max(r[1] for r in results) if results else 0.0
    return True, "max |error| %.3g" % max_abs, (max_abs, max_rel)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runner", required=True, help="the fp4-run binary")
    parser.add_argument("--data", default="/usr/share/libonnx-testdata/data/node")
    parser.add_argument("--work", required=True)
    parser.add_argument("--expectations",
                        default=os.path.join(HERE, "node-tests.txt"))
    parser.add_argument("--group", action="append", default=[],
                        help="run the tests named test_GROUP*")
    parser.add_argument("--rtol", type=float, default=1e-4)
    parser.add_argument("--atol", type=float, default=1e-5)
    parser.add_argument("tests", nargs="*")
    args = parser.parse_args()

    expectations = load_expectations(args.expectations)
    names = list(args.tests)
    for group in args.group:
        names += sorted(n for n in expectations if n.startswith("test_" + group))
    if not names:
        print("no tests selected")
        return 1
    passed = errors = failed = skipped = 0
    max_abs = max_rel = 0.0
    for name in names:
        expectation = expectations.get(name, "pass")
        if expectation.startswith("skip:"):
            skipped += 1
            print("SKIP %s: %s" % (name, expectation[len("skip:"):].strip()))
            continue
        ok, message, errs = run_test(name, expectation, args)
        if not ok:
            failed += 1
            print("FAIL %s: %s" % (name, message))
            continue
        if errs is None:
            errors += 1
            print("ERROR-AS-EXPECTED %s: %s" % (name, message))
        else:
            passed += 1
            max_abs = max(max_abs, errs[0])
            max_rel = max(max_rel, errs[1])
            print("PASS %s: %s" % (name, message))
    print("summary: %d passed, %d expected errors, %d skipped, %d failed" % (
        passed, errors, skipped, failed))
    print("max |error| %.3g, max relative error %.3g (rtol %g, atol %g)" % (
        max_abs, max_rel, args.rtol, args.atol))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
