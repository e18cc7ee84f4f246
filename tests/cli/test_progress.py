#!/usr/bin/env python3
"""Progress on stderr: shown (and cleared at the end) when stderr is a
terminal, absent when it is not; standard output is the same either way.
Prints TAP."""
import json
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap, run, run_pty  # noqa: E402

binary = os.path.abspath(sys.argv[1])
t = Tap()
N = 5000
tmp = tempfile.mkdtemp(prefix="dg-progress-")
try:
    ldif = os.path.join(tmp, "dir.ldif")
    with open(ldif, "w") as f:
        f.write("version: 1\n\n")
        for i in range(N):
            f.write("dn: uid=u%05d,ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\n"
                    "uid: u%05d\ncn: User %05d\nmail: u%05d@example.com\n\n" % (i, i, i, i))
    prof = os.path.join(tmp, "profile.json")
    with open(prof, "w") as f:
        json.dump({"name": "progress", "directory": {
            "type": "ldap", "server": "ldap.example.com", "baseDn": "dc=example,dc=com",
            "snapshot": ldif, "users": {"filter": "(objectClass=inetOrgPerson)"}}}, f)
    args = ["preview", "--format", "json", prof]

    rc, out, term = run_pty(binary, args)
    text = term.decode("utf-8", "replace")
    t.check(rc == 0, "preview with a terminal on stderr exits 0", text[-500:])
    lines = re.findall(r"reading the snapshot: (\d+) entries, \d+/s", text)
    t.check(lines, "progress names the entries read and the rate", repr(text[:300]))
    t.check(lines and all(int(a) <= int(b) for a, b in zip(lines, lines[1:])) and
            int(lines[-1]) <= N, "the counts only grow", lines)
    t.check(text.endswith("\r\x1b[K"), "the progress line is cleared at the end",
            repr(text[-80:]))
    # at most a few updates a second: N entries cannot produce more lines
    # than the run took quarter seconds, plus the first
    t.check(len(lines) <= 1 + N // 1024, "not an update per entry", len(lines))

    p = run(binary, args)
    t.check(p.returncode == 0 and p.stderr == b"", "no progress when stderr is not a terminal",
            p.stderr[:300])
    t.check(out == p.stdout and json.loads(out)["summary"]["users"] == N,
            "standard output is the same with and without a terminal")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
