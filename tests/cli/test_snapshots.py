#!/usr/bin/env python3
"""JSON Lines snapshots (Microsoft Graph, Google Workspace) that are cut
short, oversized or select no group: each gives the finding that says so,
never a preview of part of the directory, and never undefined behaviour
(the suite's sanitizer build halts on a UBSan report)."""
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ROOT, Tap, run  # noqa: E402

binary = os.path.abspath(sys.argv[1])
t = Tap()
tmp = tempfile.mkdtemp(prefix="dg-snapshots-")
DEMO = os.path.join(ROOT, "examples", "demo")
LIMIT = 64 << 20   # DG_SNAPLINE_MAX (src/connectors/snapline.h)


def m365_profile(name, lines, groups=("MailStore Users",)):
    """A copy of the demo profile over a snapshot of the given lines."""
    with open(os.path.join(DEMO, "m365-profile.json")) as f:
        prof = json.load(f)
    prof.pop("$schema", None)
    prof["directory"]["filters"]["groups"] = list(groups)
    prof["directory"]["snapshot"] = name + ".jsonl"
    with open(os.path.join(tmp, name + ".jsonl"), "w") as f:
        f.writelines(lines)
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(prof, f)
    return path


def sanitizer_quiet(p):
    return b"runtime error" not in p.stderr and b"Sanitizer" not in p.stderr


try:
    with open(os.path.join(DEMO, "m365-snapshot.jsonl")) as f:
        demo = f.readlines()
    streams = [json.loads(x).get("stream") for x in demo]

    # no group selection: nothing to look members up in (UBSan: null + 0)
    p = run(binary, ["preview", "--format", "json", m365_profile("nogroups", demo, groups=())])
    doc = json.loads(p.stdout or b"{}")
    reasons = sorted(s["reason"] for s in doc.get("skipped", []))
    t.check(p.returncode == 0 and sanitizer_quiet(p) and len(doc.get("users", [])) == 3 and
            reasons == ["disabled", "no-email", "no-email"],
            "m365 snapshot without a group filter: no group rule applied, no UB",
            (p.returncode, p.stderr[-600:], doc.get("summary"), reasons))

    # the last saved page of a stream links to another that is not there
    def last_page(prefix):
        return max(i for i, s in enumerate(streams) if s and s.startswith(prefix))

    for stream, drop in (("users", last_page("users")), ("members", last_page("members:"))):
        lines = demo[:drop] + demo[drop + 1:]
        p = run(binary, ["preview", m365_profile("cut-" + stream, lines)])
        t.check(p.returncode == 1 and b"M365025" in p.stderr and b"cut short" in p.stderr and
                sanitizer_quiet(p),
                "m365 snapshot whose %s pages are cut short: M365025 \"cut short\"" % stream,
                (p.returncode, p.stderr[-600:]))

    # one line longer than the bound: refused, and not read into memory
    pad = '{"stream": "users", "page": {"value": [], "pad": "%s"}}\n' % ("x" * (LIMIT + 1))
    path = m365_profile("huge", demo[:1] + [pad])
    start = time.monotonic()
    p = run(binary, ["preview", path])
    t.check(p.returncode == 1 and b"M365025" in p.stderr and b"longer than 64 MiB" in p.stderr and
            b":2:" in p.stderr, "m365 snapshot with a 64 MiB + 1 line: M365025 at line 2",
            (p.returncode, p.stderr[-600:], time.monotonic() - start))
    del pad

    # Google: the same bound for the pages of a JSON Lines snapshot
    with open(os.path.join(ROOT, "tests", "data", "google", "snapshot.jsonl")) as f:
        header = f.readline()
    gsnap = os.path.join(tmp, "google-huge.jsonl")
    with open(gsnap, "w") as f:
        f.write(header)
        f.write('{"users":null,"page":{"users":[],"pad":"')
        f.write("x" * (LIMIT + 1))
        f.write('"}}\n')
    gprof = os.path.join(tmp, "google-huge.json")
    with open(gprof, "w") as f:
        json.dump({"name": "g", "directory": {"type": "google-workspace",
                                              "adminUser": "admin@example.com",
                                              "snapshot": gsnap}}, f)
    p = run(binary, ["preview", gprof])
    t.check(p.returncode != 0 and b"google-huge.jsonl:2:" in p.stderr and
            b"longer than 64 MiB" in p.stderr and sanitizer_quiet(p),
            "google snapshot with a 64 MiB + 1 line: refused at line 2", (p.returncode, p.stderr[-600:]))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
