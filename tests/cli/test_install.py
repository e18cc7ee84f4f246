#!/usr/bin/env python3
"""meson install (into a temporary DESTDIR) brings along everything an
administrator expects: the binary, every manual page (and 'man -w dirgate'
finds them), the profile JSON Schema where 'dirgate init' points $schema,
the MailStore target map, the findings reference and the completions.
usage: test_install.py DIRGATE (the build directory is two levels up)"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ROOT, Tap, run  # noqa: E402

binary = os.path.abspath(sys.argv[1])
build = os.path.dirname(os.path.dirname(binary))
t = Tap()

intro = json.loads(subprocess.run(["meson", "introspect", "--buildoptions", build],
                                  capture_output=True, check=True).stdout)
opt = {o["name"]: o["value"] for o in intro}
prefix = opt["prefix"]


def comp_dir(shell, default):
    """Where meson installs `shell`'s completion (relative to DATADIR by default)."""
    return opt[shell + "completiondir"] or default


dest = tempfile.mkdtemp(prefix="dirgate-install-")
try:
    p = subprocess.run(["meson", "install", "-C", build, "--destdir", dest, "--no-rebuild",
                        "--quiet"], capture_output=True, timeout=300)
    t.check(p.returncode == 0, "meson install --destdir", p.stderr.decode() + p.stdout.decode())
    root = dest + prefix
    share = os.path.join(root, opt["datadir"])
    installed = os.path.join(root, opt["bindir"], "dirgate")
    p = run(installed, ["--version"])
    t.check(p.returncode == 0 and p.stdout.startswith(b"dirgate "), "the installed dirgate --version",
            p.stderr)

    mandir = os.path.join(root, opt["mandir"])
    pages = sorted(os.path.basename(f) for f in glob.glob(os.path.join(mandir, "man1", "*.1")))
    want = sorted(f for f in os.listdir(os.path.join(ROOT, "docs", "man")) if f.endswith(".1"))
    t.check(pages == want, "every page of docs/man is installed in man1", "%s\n%s" % (pages, want))
    if shutil.which("man"):
        for name in ("dirgate", "dirgate-check"):
            p = subprocess.run(["man", "-M", mandir, "-w", name], capture_output=True)
            t.check(p.returncode == 0 and p.stdout.decode().strip() ==
                    os.path.join(mandir, "man1", name + ".1"), "man -w %s finds the installed page" % name,
                    p.stdout.decode() + p.stderr.decode())
        p = subprocess.run(["man", "-M", mandir, "dirgate"], capture_output=True,
                           env=dict(os.environ, MANPAGER="cat", PAGER="cat", MANWIDTH="80"))
        t.check(p.returncode == 0 and b"dirgate help" in p.stdout, "man dirgate shows the page",
                p.stderr.decode())
    else:
        t.check(True, "man -w dirgate # SKIP man is not installed")

    for rel, src in (("dirgate/profile.schema.json", "schemas/profile.schema.json"),
                     ("dirgate/mailstore/directory-services.json",
                      "schemas/mailstore/directory-services.json"),
                     ("doc/dirgate/findings.md", "docs/findings.md"),
                     ("doc/dirgate/configuration.md", "docs/configuration.md"),
                     (comp_dir("bash", "bash-completion/completions") + "/dirgate",
                      "completions/dirgate.bash"),
                     (comp_dir("zsh", "zsh/site-functions") + "/_dirgate", "completions/_dirgate"),
                     (comp_dir("fish", "fish/vendor_completions.d") + "/dirgate.fish",
                      "completions/dirgate.fish")):
        if rel.startswith("no/"):
            continue
        path = os.path.join(share, rel) if not rel.startswith("/") else dest + rel
        same = os.path.exists(path) and open(path, "rb").read() == open(os.path.join(ROOT, src), "rb").read()
        t.check(same, "installed: DATADIR/%s" % rel)

    p = run(installed, ["init", "--type", "ldap"])
    schema = json.loads(p.stdout)["$schema"]
    t.check(os.path.exists(dest + schema), "init's $schema is the installed schema (%s)" % schema)
finally:
    shutil.rmtree(dest)
t.done()
