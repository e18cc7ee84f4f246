#!/usr/bin/env python3
"""The finding codes as a contract: every code some codes.def lists is
explained in docs/findings.md and named by some test, so a code nobody
ever produces under test cannot slip in.  Naming is not producing: a test
may name a code only to say it must not appear, so scripts/test.sh also
records the codes the suite's processes produce and
scripts/codes-produced.py fails each one no test produced.  Codes no test names yet are listed
below; the list may only shrink (a listed code that a test names fails too,
so the list stays true).
usage: test_codes.py DIRGATE"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ROOT, Tap  # noqa: E402

# Codes no test names yet.  Take a code off when a test produces it;
# never add one.
NOT_YET_EXERCISED = set()

t = Tap()


def registered():
    codes = []
    for d, _, files in os.walk(os.path.join(ROOT, "src")):
        for f in files:
            if f == "codes.def":
                text = open(os.path.join(d, f), encoding="utf-8").read()
                codes += re.findall(r"^DG_CODE\((\w+),", text, re.M)
    return codes


def test_texts():
    """Every file under tests/ except this one and installed packages."""
    me = os.path.abspath(__file__)
    for d, dirs, files in os.walk(os.path.join(ROOT, "tests")):
        dirs[:] = [x for x in dirs if x not in ("node_modules", "out")]
        for f in files:
            p = os.path.join(d, f)
            if os.path.abspath(p) == me:
                continue
            try:
                yield open(p, encoding="utf-8", errors="ignore").read()
            except OSError:
                pass


codes = registered()
t.check(len(codes) > 250 and len(set(codes)) == len(codes),
     "the codes.def files list %d distinct codes" % len(codes))

doc = open(os.path.join(ROOT, "docs", "findings.md"), encoding="utf-8").read()
undocumented = [c for c in codes if "\n### %s " % c not in doc]
t.check(not undocumented, "every code has its section in docs/findings.md", undocumented)

named = set()
pattern = re.compile(r"\b(?:DGF_)?([A-Z][A-Z0-9]*[0-9]{3})\b")
for text in test_texts():
    named.update(pattern.findall(text))
unexercised = sorted(c for c in codes if c not in named and c not in NOT_YET_EXERCISED)
t.check(not unexercised, "every code is named by some test", unexercised)
stale = sorted(c for c in NOT_YET_EXERCISED if c in named or c not in codes)
t.check(not stale, "the not-yet-exercised list holds only codes no test names", stale)
t.done()
