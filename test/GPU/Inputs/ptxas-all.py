"""Assembles every PTX module of an fp4-dump-ptx file with ptxas.

usage: ptxas-all.py PTXAS FILE

FILE holds sections `//--- NAME.CHIP.ptx` followed by PTX text (the format
of split-file); each section is assembled with `ptxas -arch=CHIP`. Prints
"ptxas: N modules assembled for CHIP[, CHIP...]" and exits 0, or prints the
first failure and exits 1.
"""

import os
import re
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    ptxas, path = sys.argv[1], sys.argv[2]
    sections = []
    with open(path) as f:
        for line in f:
            m = re.match(r"^//--- (.+)\.(sm_[0-9a-z]+)\.ptx$", line.rstrip("\n"))
            if m:
                sections.append([m.group(1), m.group(2), ""])
            elif sections:
                sections[-1][2] += line
    if not sections:
        print("ptxas: no PTX modules in " + path)
        return 1
    chips = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, chip, text in sections:
            ptx = os.path.join(tmp, name + ".ptx")
            with open(ptx, "w") as out:
                out.write(text)
            result = subprocess.run(
                [ptxas, "-arch=" + chip, ptx, "-o", os.devnull],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if result.returncode != 0:
                print("ptxas: %s (%s) failed: %s" %
                      (name, chip, result.stdout.strip().replace("\n", " ")))
                return 1
            if chip not in chips:
                chips.append(chip)
    print("ptxas: %d modules assembled for %s" % (len(sections), ", ".join(chips)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
