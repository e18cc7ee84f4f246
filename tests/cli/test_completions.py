#!/usr/bin/env python3
"""Shell completions (completions/): bash is driven as bash calls it, for
commands, every command's options (which must be exactly its option
table), option values and file operands; zsh and fish are syntax-checked
when installed, and none of the three may hard-code an option list, since
they ask the program (--list-commands, --completion-helper).
usage: test_completions.py DIRGATE"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ROOT, Tap, run  # noqa: E402

binary = os.path.abspath(sys.argv[1])
t = Tap()
COMP = os.path.join(ROOT, "completions")
BASH = os.path.join(COMP, "dirgate.bash")


def complete(line):
    """What the bash completion offers for `line` (the cursor at its end)."""
    words = line.split(" ")
    script = ('source "$1"; _dirgate_bin="$2"; shift 2; COMP_WORDS=("$@"); '
              'COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _dirgate; printf "%s\\n" "${COMPREPLY[@]}"')
    p = subprocess.run(["bash", "-c", script, "bash", BASH, binary] + words,
                       cwd=ROOT, capture_output=True, timeout=60)
    return sorted(filter(None, p.stdout.decode().splitlines())), p.stderr.decode()


def helper(cmd):
    args = [cmd, "new"] if cmd == "cert" else [cmd]
    p = run(binary, args + ["--completion-helper"])
    return sorted(line.split("\t")[0].rstrip("=") for line in p.stdout.decode().splitlines())


commands = sorted(line.split("\t")[0]
                  for line in run(binary, ["--list-commands"]).stdout.decode().splitlines())

got, err = complete("dirgate ")
t.check(got == commands and not err, "bash: 'dirgate <TAB>' offers every command", "%s\n%s" % (got, err))
t.check(complete("dirgate ch")[0] == ["check"], "bash: 'dirgate ch<TAB>' is check")
t.check(complete("dirgate --v")[0] == ["--version"], "bash: 'dirgate --v<TAB>' is --version")
t.check(complete("dirgate help pl")[0] == ["plan"], "bash: 'dirgate help pl<TAB>' is plan")
t.check(complete("dirgate cert ")[0] == ["new"], "bash: 'dirgate cert <TAB>' is new")
for cmd in commands:
    line = "dirgate cert new --" if cmd == "cert" else "dirgate %s --" % cmd
    got, err = complete(line)
    t.check(got and got == helper(cmd) and not err,
            "bash: '%s<TAB>' offers exactly the option table" % line, "%s\n%s" % (got, err))
t.check(complete("dirgate check --of")[0] == ["--offline"], "bash: 'check --of<TAB>' is --offline")
for line, want in (("dirgate check --format ", ["json", "text"]),
                   ("dirgate preview --format ", ["csv", "html", "json", "table"]),
                   ("dirgate init --type ", ["active-directory", "google-workspace", "ldap",
                                             "microsoft-365"]),
                   ("dirgate uri --provider ", ["adfs", "entra", "google"]),
                   ("dirgate sync --format j", ["json"])):
    got, err = complete(line)
    t.check(got == want, "bash: '%s<TAB>' offers the values %s" % (line, " ".join(want)),
            "%s\n%s" % (got, err))
got, _ = complete("dirgate check examples/ld")
t.check(got == ["examples/ldap-profile.json"] or got == ["examples/ldap.json"],
        "bash: a PROFILE operand completes file names", got)
got, _ = complete("dirgate plan examples/demo/pro")
t.check(got == ["examples/demo/profile.json"], "bash: 'plan examples/demo/pro<TAB>' is the file", got)
got, _ = complete("dirgate plan x.json --out examples/demo/pro")
t.check(got == ["examples/demo/profile.json"], "bash: --out PLAN completes file names", got)
got, _ = complete("dirgate explain exa")
t.check(got == [], "bash: explain's CODE is not a file name", got)

# zsh and fish: syntax, when the shell is there
for shell, path, args in (("zsh", "_dirgate", ["-n"]), ("fish", "dirgate.fish", ["--no-execute"])):
    exe = shutil.which(shell)
    full = os.path.join(COMP, path)
    if not exe:
        t.check(os.path.exists(full), "%s: %s parses # SKIP %s is not installed" % (shell, path, shell))
        continue
    p = subprocess.run([exe] + args + [full], capture_output=True, timeout=60)
    t.check(p.returncode == 0 and not p.stderr, "%s: %s parses" % (shell, path), p.stderr.decode())

# none of them carries its own copy of the commands or options
all_options = set()
for cmd in commands:
    all_options |= set(helper(cmd))
for path in ("dirgate.bash", "_dirgate", "dirgate.fish"):
    text = open(os.path.join(COMP, path), encoding="utf-8").read()
    hard = sorted(o for o in all_options - {"--help", "--out"}
                  if re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(o), text))
    hard_cmds = sorted(c for c in commands if c not in ("help", "cert", "uri", "filter", "explain", "init")
                       and re.search(r"\b%s\b" % c, text))
    t.check("--list-commands" in text and "--completion-helper" in text and not hard and not hard_cmds,
            "%s asks dirgate for its commands and options instead of listing them" % path,
            "options: %s\ncommands: %s" % (hard, hard_cmds))
t.done()
