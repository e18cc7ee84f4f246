#!/usr/bin/env python3
"""The lists in tests/meson.build and the test files agree: a listed test
whose file is missing, or a test file no list names, would be a test that
never runs while the suite says OK.  Each fuzzer has a seed corpus."""
import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ROOT, Tap  # noqa: E402

t = Tap()
TESTS = os.path.join(ROOT, "tests")
with open(os.path.join(TESTS, "meson.build")) as f:
    build = f.read()
with open(os.path.join(TESTS, "integration", "meson.build")) as f:
    integration = f.read()


def listed(var):
    names = []
    for body in re.findall(r"^%s\s*\+?=\s*\[([^\]]*)\]" % var, build, re.M):
        names += re.findall(r"'([^']+)'", body)
    return names


def on_disk(pattern, prefix, suffix):
    return sorted(os.path.basename(p)[len(prefix):-len(suffix)]
                  for p in glob.glob(os.path.join(TESTS, pattern)))


for var, pattern, prefix, suffix in (("unit_names", "unit/test_*.c", "test_", ".c"),
                                     ("cli_names", "cli/test_*.py", "test_", ".py"),
                                     ("fuzz_names", "fuzz/fuzz_*.c", "fuzz_", ".c")):
    names, files = listed(var), on_disk(pattern, prefix, suffix)
    t.check(names and not sorted(set(names) - set(files)),
            "every name in %s has its file (tests/%s)" % (var, pattern),
            sorted(set(names) - set(files)))
    t.check(not sorted(set(files) - set(names)), "every tests/%s is in %s" % (pattern, var),
            sorted(set(files) - set(names)))
    t.check(len(names) == len(set(names)), "%s names each test once" % var, names)

scripts = set(re.findall(r"files\('(test_\w+\.py)'\)", integration))
files = {os.path.basename(p) for p in glob.glob(os.path.join(TESTS, "integration", "test_*.py"))}
t.check(scripts == files, "tests/integration/meson.build runs every test_*.py there",
        (sorted(files - scripts), sorted(scripts - files)))

empty = [n for n in listed("fuzz_names")
         if not os.listdir(os.path.join(TESTS, "fuzz", "corpus", n))
         if os.path.isdir(os.path.join(TESTS, "fuzz", "corpus", n))]
missing = [n for n in listed("fuzz_names")
           if not os.path.isdir(os.path.join(TESTS, "fuzz", "corpus", n))]
t.check(not empty and not missing, "every fuzzer has a seed corpus", (empty, missing))
t.done()
