#!/usr/bin/env python3
"""scripts/tap-summary.py, the line CI ends with: a skip is never counted
as a pass, a test point run by several builds counts once in the closing
line, each build has its own line, and in CI a skip is a failure."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ROOT, Tap  # noqa: E402

t = Tap()
tmp = tempfile.TemporaryDirectory(prefix="dg-tapsum-")
SCRIPT = os.path.join(ROOT, "scripts", "tap-summary.py")


def meson_log(name, tests):
    """A testlog.json: tests = [(name, result, stdout)]."""
    path = os.path.join(tmp.name, name)
    with open(path, "w") as f:
        for test, result, out in tests:
            f.write(json.dumps({"name": test, "result": result, "stdout": out}) + "\n")
    return path


def summary(args, ci=False):
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "true"
    p = subprocess.run([sys.executable, SCRIPT] + args, env=env, capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout.rstrip("\n").splitlines()


plain = meson_log("plain.json", [
    ("unit / a", "OK", "ok 1 - one\nok 2 - two\n1..2\n"),
    ("integration / samba", "SKIP", "1..0 # SKIP no Samba AD DC: samba-tool not found\n"),
    ("integration / m365", "OK", "ok 1 - token\nok 2 - clock skew # SKIP faketime not installed\n1..2\n"),
    ("golden", "OK", ""),
])
asan = meson_log("asan.json", [
    ("unit / a", "OK", "ok 1 - one\nok 2 - two\n1..2\n"),
    ("integration / samba", "SKIP", "1..0 # SKIP no Samba AD DC: samba-tool not found\n"),
    ("integration / m365", "OK", "ok 1 - token\nok 2 - clock skew # SKIP faketime not installed\n1..2\n"),
    ("golden", "OK", ""),
])
fuzz = os.path.join(tmp.name, "fuzz-results.txt")
with open(fuzz, "w") as f:
    f.write("ok fuzz_ldif\nok fuzz_uri\n")

rc, lines = summary(["plain build=" + plain, "ASan/UBSan build=" + asan, "fuzzing=" + fuzz])
t.check(lines and lines[-1] == "6 passed, 0 failed, 2 skipped",
        "skips are skips, and each test point counts once over both builds", lines)
t.check("plain build: 4 passed, 2 skipped, 0 failed" in lines and
        "ASan/UBSan build: 4 passed, 2 skipped, 0 failed" in lines and
        "fuzzing: 2 passed, 0 skipped, 0 failed" in lines, "one line per build", lines)
t.check(rc == 0, "skips alone do not fail outside CI", rc)
t.check(any("samba-tool not found" in x for x in lines) and
        any("faketime not installed" in x for x in lines), "each skip is named", lines)

rc, lines = summary([plain, asan, fuzz], ci=True)
t.check(rc != 0 and lines and lines[-1] == "6 passed, 2 failed, 0 skipped",
        "in CI a skip is a failure", (rc, lines))

bad = meson_log("bad.json", [
    ("unit / b", "FAIL", "ok 1 - one\nnot ok 2 - two # SKIP not really\n1..2\n"),
    ("unit / c", "FAIL", "ok 1 - one\n1..1\n"),        # crashed after its last point
    ("unit / d", "TIMEOUT", ""),
])
rc, lines = summary([bad])
t.check(rc != 0 and lines and lines[-1] == "2 passed, 3 failed, 0 skipped",
        "not ok with a SKIP directive, a crash after the last point and a timeout are failures", (rc, lines))

rc, lines = summary([os.path.join(tmp.name, "missing.json")])
t.check(rc != 0 and lines and lines[-1].endswith("1 failed, 0 skipped"),
        "an unreadable log is a failure", (rc, lines))
rc, lines = summary([meson_log("empty.json", [])])
t.check(rc != 0 and lines and lines[-1] == "0 passed, 0 failed, 0 skipped",
        "nothing run is not a success", (rc, lines))
t.done()
