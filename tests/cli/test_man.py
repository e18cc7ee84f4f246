#!/usr/bin/env python3
"""The manual pages (docs/man): one per command (as git has) beside the
overview dirgate(1), each rendering without a groff warning, listing its
command's real options (the option table, via --completion-helper), the same
exit codes as its --help, at least one example, and the program's version.
usage: test_man.py DIRGATE"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ROOT, Tap, run  # noqa: E402

binary = os.path.abspath(sys.argv[1])
t = Tap()
MAN = os.path.join(ROOT, "docs", "man")


def out(args):
    p = run(binary, args)
    return p.returncode, p.stdout.decode()


def sections(text):
    """{"SYNOPSIS": body, ...} of a man page's source."""
    parts = re.split(r"^\.SH +\"?([^\"\n]+)\"?\n", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def roff_options(body):
    """The long options a man page section names (\\-\\-name)."""
    return set("--" + m.replace("\\-", "-") for m in re.findall(r"\\-\\-((?:[a-z]|\\-)+)", body))


def help_exit_codes(help_text):
    lines = help_text.splitlines()
    body = lines[lines.index("exit status:") + 1:]
    return [int(m.group(1)) for m in (re.match(r"  (\d+) ", line) for line in body) if m]


_, listing = out(["--list-commands"])
commands = [line.split("\t")[0] for line in listing.splitlines()]
_, version_line = out(["--version"])
version = version_line.split()[-1]
pages = sorted(f for f in os.listdir(MAN) if f.endswith(".1"))
t.check("check" in commands and "help" in commands, "dirgate --list-commands lists the commands",
        commands)

groff = shutil.which("groff")
for page in pages:
    path = os.path.join(MAN, page)
    if groff:
        p = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", path], capture_output=True)
        t.check(p.returncode == 0 and not p.stderr, "%s renders without groff warnings" % page,
                p.stderr.decode())
    else:
        t.check(True, "%s renders without groff warnings # SKIP groff is not installed" % page)
    text = open(path, encoding="utf-8").read()
    # a '"' inside a word of a macro line splits or drops the argument
    # ({"env": "NAME"} came out as {"env":NAME}): write \(dq there
    quoted = [line for line in text.splitlines()
              if re.match(r"\.[A-Z]{1,2}\b", line) and re.search(r'\S"\S', line)]
    t.check(not quoted, "%s: no double quote inside a macro argument" % page, "\n".join(quoted))
    th = re.search(r'^\.TH +\S+ +1 +"[^"]*" +"dirgate ([^"]+)"', text, re.M)
    t.check(th and th.group(1) == version, "%s names version %s" % (page, version),
            th.group(0) if th else "no .TH")
    secs = sections(text)
    for name in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "EXAMPLES", "SEE ALSO"):
        t.check(name in secs, "%s has a %s section" % (page, name), sorted(secs))
    t.check("EXAMPLES" in secs and re.search(r"^dirgate ", secs["EXAMPLES"], re.M),
            "%s: an example command line" % page)

overview = open(os.path.join(MAN, "dirgate.1"), encoding="utf-8").read()
osecs = sections(overview)
for cmd in commands:
    t.check(re.search(r'^\.BR "dirgate %s[ "]' % re.escape(cmd), osecs.get("COMMANDS", ""), re.M),
            "dirgate(1) lists '%s' with its synopsis under COMMANDS" % cmd)
for what in ("NO_COLOR", "\\-\\-version", "dirgate help", "FILES", "ENVIRONMENT", "SEE ALSO"):
    t.check(what in overview, "dirgate(1) covers %s" % what.replace("\\-", "-"))

for cmd in commands:
    if cmd == "help":
        continue  # described in dirgate(1)
    page = "dirgate-%s.1" % cmd
    path = os.path.join(MAN, page)
    t.check(os.path.exists(path), "%s has its page %s" % (cmd, page))
    if not os.path.exists(path):
        continue
    t.check(".BR dirgate\\-%s (1)" % cmd in overview, "dirgate(1) refers to %s" % page)
    secs = sections(open(path, encoding="utf-8").read())
    args = [cmd, "new"] if cmd == "cert" else [cmd]
    _, helper = out(args + ["--completion-helper"])
    table = set(line.split("\t")[0].rstrip("=") for line in helper.splitlines())
    documented = roff_options(secs.get("OPTIONS", ""))
    t.check(table and table == documented, "%s OPTIONS lists exactly the option table" % page,
            "table: %s\npage: %s" % (sorted(table), sorted(documented)))
    synopsis = roff_options(secs.get("SYNOPSIS", ""))
    t.check(synopsis <= table and table - synopsis <= {"--help"},
            "%s SYNOPSIS names every option but --help" % page,
            "missing: %s, unknown: %s" % (sorted(table - synopsis - {"--help"}), sorted(synopsis - table)))
    _, help_text = out([cmd, "--help"])
    page_codes = [int(c) for c in re.findall(r"^\.TP\n\.B (\d+)\n", secs.get("EXIT STATUS", ""), re.M)]
    t.check(page_codes and page_codes == help_exit_codes(help_text),
            "%s EXIT STATUS has the codes of '%s --help'" % (page, cmd),
            "page %s, help %s" % (page_codes, help_exit_codes(help_text)))
    name_line = secs.get("NAME", "").strip()
    t.check(name_line.startswith("dirgate\\-%s \\- " % cmd), "%s NAME line" % page, name_line)

extra = [p for p in pages if p != "dirgate.1" and p[len("dirgate-"):-2] not in commands]
t.check(not extra, "every page is of a command there is", extra)
t.done()
