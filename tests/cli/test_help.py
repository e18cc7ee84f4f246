#!/usr/bin/env python3
"""The command line that helps: 'dirgate help COMMAND', one help format for
every command (options and exit status) checked against the real option
tables (--completion-helper), did-you-mean for commands and options, and
'dirgate explain CODE' for every registered code.
usage: test_help.py DIRGATE"""
import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ROOT, Tap, run  # noqa: E402

binary = os.path.abspath(sys.argv[1])
t = Tap()


def out(args):
    p = run(binary, args)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def commands():
    rc, so, _ = out(["--list-commands"])
    return [line.split("\t")[0] for line in so.splitlines()]


def helper_args(cmd):
    """The argv that reaches the command's option parser (cert's is 'new')."""
    return [cmd, "new"] if cmd == "cert" else [cmd]


def table_options(cmd):
    """{"--name": description} from the command's real option table."""
    rc, so, se = out(helper_args(cmd) + ["--completion-helper"])
    opts = {}
    for line in so.splitlines():
        name, _, desc = line.partition("\t")
        opts[name.rstrip("=")] = desc
    return rc, opts


def section(text, title):
    """The lines of the help's section `title` ("options:"), up to a blank line."""
    lines = text.splitlines()
    if title not in lines:
        return None
    body = []
    for line in lines[lines.index(title) + 1:]:
        if not line.strip():
            break
        body.append(line)
    return body


def swap(word):
    """A typo: two neighbouring letters in the middle swapped."""
    i = len(word) // 2
    if word[i - 1] == word[i]:
        i -= 1
    return word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]


cmds = commands()
t.check({"check", "preview", "plan", "help", "explain", "init"} <= set(cmds),
        "--list-commands lists the commands", cmds)

for cmd in cmds:
    rc_help, help_out, _ = out(["help", cmd])
    rc_direct, direct_out, _ = out([cmd, "--help"])
    t.check(rc_help == 0 and help_out == direct_out and help_out.startswith("usage: dirgate " + cmd),
            "'dirgate help %s' shows '%s --help'" % (cmd, cmd),
            "exit %d\n%s" % (rc_help, help_out))

    opts_sec = section(help_out, "options:")
    exit_sec = section(help_out, "exit status:")
    t.check(opts_sec is not None and exit_sec is not None,
            "%s --help has an 'options:' and an 'exit status:' section" % cmd, help_out)
    if opts_sec is None or exit_sec is None:
        continue
    codes = [int(m.group(1)) for m in (re.match(r"  (\d+) +\S", l) for l in exit_sec) if m]
    t.check(codes and codes == sorted(codes) and 0 in codes and 64 in codes and
            all(re.match(r"(  \d+ +|      )\S", l) for l in exit_sec),
            "%s --help: exit status one code a line, ascending, 0 and 64 included" % cmd,
            "\n".join(exit_sec))

    rc, table = table_options(cmd)
    listed = set(re.findall(r"^  (?:-\w, )?(--[a-z-]+)", "\n".join(opts_sec), re.M))
    t.check(rc == 0 and table and set(table) == listed,
            "%s --help lists exactly the options of its option table" % cmd,
            "table: %s\nhelp: %s" % (sorted(table), sorted(listed)))
    t.check(all(table.values()),
            "%s --completion-helper gives every option the help's description" % cmd,
            "\n".join(k for k, v in table.items() if not v))

    # did-you-mean for every option of every command
    for opt in table:
        if len(opt) < 6:
            continue
        typo = "--" + swap(opt[2:])
        rc, so, se = out(helper_args(cmd) + [typo])
        t.check(rc == 64 and ("did you mean '%s'?" % opt) in se,
                "dirgate %s %s suggests %s" % (cmd, typo, opt), se)

    if len(cmd) >= 4:
        typo = swap(cmd)
        rc, so, se = out([typo])
        t.check(rc == 64 and ("did you mean '%s'?" % cmd) in se,
                "dirgate %s suggests '%s'" % (typo, cmd), se)

rc, so, se = out(["help", "nosuchcommand"])
t.check(rc == 64 and "not a dirgate command" in se and "commands:" in se,
        "dirgate help with an unknown command: exit 64, the command list", se)
rc, so, se = out(["help", "check", "plan"])
t.check(rc == 64, "dirgate help takes one COMMAND", se)
rc, so, se = out(["help"])
t.check(rc == 0 and all(("  %s " % c) in so for c in cmds), "dirgate help lists every command", so)
rc, so, se = out(["--version"])
t.check(rc == 0 and re.fullmatch(r"dirgate \d+\.\d+\.\d+\n", so), "dirgate --version", so)

# explain: every registered code has its section of the findings reference
defs = "".join(open(os.path.join(d, f), encoding="utf-8").read()
               for d, _, files in os.walk(os.path.join(ROOT, "src")) for f in files
               if f == "codes.def")
registered = re.findall(r'DG_CODE\((\w+), (\w+), "([^"]*)"\)', defs)
bad = []
for code, sev, title in registered:
    rc, so, se = out(["explain", code.lower()])
    first = so.splitlines()[:2]
    if rc != 0 or first != ["%s — %s" % (code, title), "severity: %s" % {
            "ERROR": "error", "WARNING": "warning", "INFO": "info"}[sev]]:
        bad.append("%s: exit %d, %r %s" % (code, rc, first, se))
    elif any(m in so for m in ("**", "```", "](", "\n### ", "\n## ")) or so.endswith("\n\n"):
        bad.append("%s: markup or the next section in the output" % code)
t.check(len(registered) > 200 and not bad,
        "dirgate explain prints the section of each of %d codes" % len(registered),
        "\n".join(bad[:20]))
rc, so, se = out(["explain", "PROF001"])
t.check("How to fix it." in so and "a missing comma" in so,
        "explain PROF001 has the explanation and the fix", so)
rc, so, se = out(["explain", "PROF002"])
t.check('\n    error PROF002 /directory/protocl: unknown key "protocl"' in so,
        "explain: a code block is indented, without its fences", so)
rc, so, se = out(["explain", "PROF003"])
t.check("(see configuration.md)" in so.replace("\n  ", " "), "explain: a link shows its text", so)
rc, so, se = out(["explain", "GUARD09"])
t.check(rc == 64 and "did you mean GUARD009?" in se, "explain GUARD09 suggests GUARD009", se)
t.check(out(["explain"])[0] == 64 and out(["explain", "A", "B"])[0] == 64,
        "explain needs exactly one CODE")
rc, so, se = out(["explain", "PROF001" + "X" * 40])
t.check(rc == 64 and not so, "explain: an overlong code is unknown", se)

# Core code and the commands reach providers through the registry
# (core/provider.h): what the help says about each comes from there, and
# the profile's provider keys are the providers' own, so neither names
# one (docs/ARCHITECTURE.md).
named = []
for sub, pattern in (("cli", "*.[ch]"), ("core", "*.[ch]"), ("core", "*.py"), (".", "main.c")):
    for path in sorted(glob.glob(os.path.join(ROOT, "src", sub, pattern))):
        with open(path, encoding="utf-8") as f:
            named += ["%s:%d: %s" % (os.path.relpath(path, ROOT), n, line.strip())
                      for n, line in enumerate(f, 1)
                      if re.search(r"google|m365|entra|adfs", line, re.I)]
t.check(not named, "src/core, src/cli and main.c name no provider", "\n".join(named))

t.done()
