#!/usr/bin/env python3
"""Counts the test points of one or more runs and prints what happened.

Arguments: [LABEL=]PATH, one per run (a build's meson test log, or a plain
results file).  A meson log (testlog.json, one JSON object per line) counts
each "ok" / "not ok" line of a TAP test, and a test that is not TAP once; a
plain file counts its "ok NAME" / "not ok NAME" lines.

Every run gets its own line "LABEL: N passed, N skipped, N failed".  The
closing line counts each distinct test point once, however many runs
(plain, sanitizer, thread-sanitizer builds) ran it: failed if it failed in
any run, else skipped if it was skipped in any, else passed.  It reads
"N passed, N failed, N skipped" and is the last line.

A skip is never a pass: "ok ... # SKIP" and a skipped file ("1..0 # SKIP
why") are skips, "not ok ... # SKIP" is a failure.  With the environment
variable CI set, every skip is a failure too: the CI script installs every
server the tests need, so a skip there means a test did not run.  Exits
non-zero when anything failed or nothing passed."""
import json
import os
import re
import sys

TAP = re.compile(r"^(not ok|ok)\b\s*(\d+)?\s*-?\s*(.*)$")
SKIP_FILE = re.compile(r"^1\.\.0\s*#\s*skip\b\s*(.*)$", re.I)
SKIP = re.compile(r"#\s*skip\b", re.I)

PASS, SKIPPED, FAIL = "passed", "skipped", "failed"


def tap_points(test, text):
    """(key, status, description) for each TAP line of one test's output."""
    for line in text.splitlines():
        m = SKIP_FILE.match(line.strip())
        if m:
            yield (test, "file"), SKIPPED, "%s: %s" % (test, m.group(1) or "skipped")
            continue
        m = TAP.match(line)
        if not m:
            continue
        ok, num, desc = m.group(1) == "ok", m.group(2) or "", m.group(3)
        status = FAIL if not ok else SKIPPED if SKIP.search(desc) else PASS
        yield (test, num, desc), status, "%s: %s" % (test, desc)


def meson_points(text):
    for line in text.splitlines():
        if not line.strip():
            continue
        t = json.loads(line)
        name = t.get("name", "?")
        result = t.get("result")
        points = list(tap_points(name, t.get("stdout") or ""))
        bad = result not in ("OK", "EXPECTEDFAIL", "SKIP")
        if not points:  # not TAP, or nothing printed: the test counts once
            status = FAIL if bad else SKIPPED if result == "SKIP" else PASS
            points = [((name, "exit"), status, "%s: %s" % (name, result))]
        elif bad and not any(s == FAIL for _, s, _ in points):
            # crashed or timed out after its last test point
            points.append(((name, "exit"), FAIL, "%s: %s after its last test point" % (name, result)))
        yield from points


def read_run(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    if path.endswith(".json"):
        return list(meson_points(text))
    return list(tap_points(os.path.basename(path), text))


def worst(a, b):
    order = {PASS: 0, SKIPPED: 1, FAIL: 2}
    return a if order[a] >= order[b] else b


def main(args):
    in_ci = bool(os.environ.get("CI"))
    distinct = {}
    named = {}
    unreadable = 0
    for arg in args:
        label, _, path = arg.partition("=") if "=" in arg else ("", "", arg)
        label = label or path
        try:
            points = read_run(path)
        except (OSError, ValueError) as e:
            print("%s: cannot read %s: %s" % (label, path, e))
            unreadable += 1
            continue
        counts = {PASS: 0, SKIPPED: 0, FAIL: 0}
        for key, status, desc in points:
            if status == SKIPPED and in_ci:
                status = FAIL
                desc += " (skipped in CI, where its server is installed)"
            counts[status] += 1
            distinct[key] = worst(distinct.get(key, PASS), status)
            if status != PASS:
                named.setdefault((status, desc), None)
        print("%s: %d passed, %d skipped, %d failed" % (label, counts[PASS], counts[SKIPPED],
                                                         counts[FAIL]))
    for status in (SKIPPED, FAIL):
        descs = [d for s, d in named if s == status]
        if descs:
            print("%s:" % status)
            for d in descs:
                print("  " + d)
    total = {PASS: 0, SKIPPED: 0, FAIL: unreadable}
    for status in distinct.values():
        total[status] += 1
    print("distinct test points (each counted once over all runs): %d" % len(distinct))
    print("%d passed, %d failed, %d skipped" % (total[PASS], total[FAIL], total[SKIPPED]))
    return 1 if total[FAIL] or total[PASS] == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
