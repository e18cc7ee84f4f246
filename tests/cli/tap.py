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

    def skip(self, name, why):
        """A test point that could not run: a skip, never a pass (TAP
        "ok N - name # SKIP why"; scripts/tap-summary.py counts it apart)."""
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, why))
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


def run_pty(binary, args, env=None, cwd=None, timeout=120):
    """Runs the program with stderr on a pseudo-terminal (stdout and stdin
    are not); returns (exit code, stdout bytes, what the terminal got)."""
    import pty
    import select
    import time
    e = dict(os.environ, NO_COLOR="1", LC_ALL="C.UTF-8")
    if env:
        e.update(env)
    master, slave = pty.openpty()
    p = subprocess.Popen([binary] + list(args), cwd=cwd or ROOT, env=e,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    got, deadline = [], time.monotonic() + timeout
    out = b""
    while time.monotonic() < deadline:
        r, _, _ = select.select([master, p.stdout], [], [], 0.5)
        if p.stdout in r:
            chunk = p.stdout.read1(65536)
            out += chunk
        if master in r:
            try:
                chunk = os.read(master, 65536)
            except OSError:   # EIO: the child closed its end
                chunk = b""
            if not chunk:
                break
            got.append(chunk)
    else:
        p.kill()
    os.close(master)
    out += p.stdout.read()
    p.stdout.close()
    return p.wait(timeout=10), out, b"".join(got)
