"""Minimal TAP helpers shared by the scripted CLI tests."""
import os
import subprocess
import sys

ROOT = os.environ.get("DG_SOURCE_ROOT") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, ok, name, detail=""):
        self.n += 1
        if not ok:
            self.failed += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", self.n, name))
        if not ok and detail:
            for line in str(detail).splitlines()[:40]:
                print("#   " + line)
        sys.stdout.flush()

    def done(self):
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)


def run(binary, args, env=None, cwd=None, stdin=subprocess.DEVNULL):
    e = dict(os.environ, NO_COLOR="1", LC_ALL="C.UTF-8")
    if env:
        e.update(env)
    return subprocess.run([binary] + list(args), cwd=cwd or ROOT, env=e,
                          capture_output=True, timeout=120, stdin=stdin)
