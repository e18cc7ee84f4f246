#!/usr/bin/env python3
"""Which finding codes the test suite produced, as TAP-style result lines.

usage: codes-produced.py RECORD [TESTLOG]

RECORD is the file the suite's processes appended each code they produced
to (the environment variable DG_FINDINGS_RECORD, src/core/findings.h).
Every code some codes.def lists gets a line: "ok N - CODE produced", or
"not ok N - CODE produced by no test".  tests/cli/test_codes.py checks that
every code is named by a test; this checks that naming it was not all the
test did.  When TESTLOG (the run's meson testlog.json) shows skipped tests
and CI is not set, a missing code is a skip instead: the test that produces
it may be one that did not run here."""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Codes no test can produce on the machines the suite runs on, each with
# why; they get no line.  The list may only shrink: a listed code that a
# test produces fails, so the list stays true.
CANNOT_PRODUCE = {
    "URI031": "libpsl here always has its built-in Public Suffix List",
}


def registered():
    codes = []
    for d, _, files in os.walk(os.path.join(ROOT, "src")):
        for f in sorted(files):
            if f == "codes.def":
                with open(os.path.join(d, f), encoding="utf-8") as fp:
                    codes += re.findall(r"^DG_CODE\((\w+),", fp.read(), re.M)
    return sorted(codes)


def skipped_tests(testlog):
    """Names of the tests the run skipped (meson's result SKIP, or a TAP
    plan of 1..0 # SKIP)."""
    names = []
    try:
        with open(testlog, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                out = r.get("stdout") or ""
                if r.get("result") == "SKIP" or re.search(r"^1\.\.0\s*#\s*skip", out,
                                                          re.I | re.M):
                    names.append(r.get("name", "?"))
    except (OSError, ValueError):
        pass
    return names


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            produced = set(f.read().split())
    except OSError:
        produced = set()
    skips = skipped_tests(sys.argv[2]) if len(sys.argv) == 3 else []
    lenient = skips and not os.environ.get("CI")
    for n, code in enumerate(registered(), 1):
        if code in CANNOT_PRODUCE:
            if code in produced:
                print("not ok %d - %s is produced now: take it off CANNOT_PRODUCE" % (n, code))
            continue
        if code in produced:
            print("ok %d - %s produced" % (n, code))
        elif lenient:
            print("ok %d - %s produced # SKIP not produced here; skipped: %s"
                  % (n, code, ", ".join(skips[:3])))
        else:
            print("not ok %d - %s produced by no test" % (n, code))


main()
