#!/usr/bin/env python3
"""Exit codes and usage conventions of every command (DESIGN.md)."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap, run  # noqa: E402

binary = os.path.abspath(sys.argv[1])
t = Tap()
out = tempfile.TemporaryDirectory(prefix="dg-exitcodes-")  # no fixed /tmp path
cases = [
    ([], 64, "no command"),
    (["frobnicate"], 64, "unknown command"),
    (["--help"], 0, "help"),
    (["--version"], 0, "version"),
    (["check"], 64, "check without profile"),
    (["check", "--format", "yaml", "x.json"], 64, "check bad format"),
    (["check", "--bogus", "x.json"], 64, "check unknown option"),
    (["check", "--offline", "/nonexistent/profile.json"], 1, "check unreadable profile"),
    (["check", "--help"], 0, "check help"),
    (["preview"], 64, "preview without profile"),
    (["preview", "--format", "text", "x.json"], 64, "preview bad format"),
    (["preview", "/nonexistent/profile.json"], 1, "preview unreadable profile"),
    (["preview", "--help"], 0, "preview help"),
    (["uri"], 64, "uri without URI"),
    (["uri", "--help"], 0, "uri help"),
    (["filter"], 64, "filter without filter"),
    (["filter", "--help"], 0, "filter help"),
    (["snapshot"], 64, "snapshot without profile"),
    (["snapshot", "examples/demo/profile.json"], 64, "snapshot without --output"),
    (["snapshot", "--help"], 0, "snapshot help"),
    (["snapshot", "--output", os.path.join(out.name, "x.jsonl"),
      "tests/data/m365/live-missing-cert.json"], 3,
     "snapshot of a microsoft-365 directory whose certificate is missing"),
    (["filter", "(uid=alice)"], 0, "valid filter"),
    (["filter", "(uid=alice"], 3, "invalid filter"),
    (["uri", "https://archive.contoso.com:8462/oidc/signin"], 0, "valid uri"),
    (["uri", "http://archive.contoso.com/oidc/signin"], 3, "invalid uri"),
]
for args, want, name in cases:
    p = run(binary, args)
    t.check(p.returncode == want, "%s -> %d" % (name, want),
            "got %d\nstdout: %s\nstderr: %s" % (p.returncode, p.stdout.decode()[-500:],
                                               p.stderr.decode()[-500:]))
    if want == 64:
        t.check(p.stdout == b"" and p.stderr != b"", "%s: usage error on stderr only" % name)
    if want == 0 and "--help" in args:
        t.check(b"usage:" in p.stdout, "%s: usage on stdout" % name)
out.cleanup()
t.done()
