#!/usr/bin/env python3
"""Counts individual test points across meson test logs (testlog.json, one
JSON object per line; TAP tests count each "ok"/"not ok" line) and plain
result files ("ok NAME" / "not ok NAME" lines).  Prints the closing line
"N passed, N failed" and exits non-zero when anything failed or nothing ran."""
import json
import re
import sys

passed = failed = 0
TAP = re.compile(r"^(not ok|ok)\b(.*)$")


def count_tap(text):
    p = f = 0
    for line in text.splitlines():
        m = TAP.match(line)
        if not m:
            continue
        if m.group(1) == "ok" or "# SKIP" in m.group(2) or "# TODO" in m.group(2):
            p += 1
        else:
            f += 1
    return p, f


for path in sys.argv[1:]:
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
    except OSError as e:
        print("cannot read %s: %s" % (path, e), file=sys.stderr)
        failed += 1
        continue
    if path.endswith(".json"):
        for line in text.splitlines():
            if not line.strip():
                continue
            t = json.loads(line)
            p, f = count_tap(t.get("stdout") or "")
            bad = t.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP")
            if p + f == 0:  # a test that is not TAP counts once
                p, f = (0, 1) if bad else (1, 0)
            elif bad and f == 0:  # crashed after its last test point
                f = 1
            passed += p
            failed += f
    else:
        p, f = count_tap(text)
        passed += p
        failed += f

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed or passed == 0 else 0)
