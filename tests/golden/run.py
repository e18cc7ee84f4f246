#!/usr/bin/env python3
"""Golden tests for the dirgate command line.

Each case is tests/golden/<name>.args: one line of arguments (shell quoting),
run from the source root with NO_COLOR set.  Expectations beside it:
  <name>.out   exact stdout            <name>.exit  exit code (default 0)
  <name>.err   exact stderr (optional)
Set DG_UPDATE_GOLDEN=1 to (re)write .out/.err/.exit from the current binary
after reviewing the change.  Prints TAP.

Every `--format json` output must also be one line of UTF-8 JSON valid
against schemas/output/COMMAND.json, or schemas/output/error.json when the
command failed before writing its document (docs/output.md; when
python3-jsonschema is installed).
"""
import json
import os
import shlex
import subprocess
import sys

try:
    import jsonschema
except ImportError:
    jsonschema = None

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
binary = os.path.abspath(sys.argv[1])
update = os.environ.get("DG_UPDATE_GOLDEN") == "1"

cases = sorted(f[:-5] for f in os.listdir(here) if f.endswith(".args"))
schemas = os.path.join(root, "schemas", "output")


def asks_json(args):
    """The last --format value is json (as dirgate reads it)."""
    fmt = None
    for i, a in enumerate(args):
        if a == "--":
            break
        if a.startswith("--format="):
            fmt = a[9:]
        elif a == "--format" and i + 1 < len(args):
            fmt = args[i + 1]
    return fmt == "json"


def json_problems(args, stdout):
    """The JSON contract: one line of UTF-8 JSON that its schema accepts."""
    if not args or not asks_json(args):
        return []
    if not stdout.endswith(b"\n") or stdout.count(b"\n") != 1:
        return ["--format json output is not one line of JSON"]
    try:
        doc = json.loads(stdout.decode("utf-8"))
    except ValueError as e:
        return ["--format json output is not UTF-8 JSON: %s" % e]
    # show prints a saved plan: the plan document (docs/output.md)
    name = "error" if isinstance(doc, dict) and "error" in doc else \
        {"show": "plan"}.get(args[0], args[0])
    with open(os.path.join(schemas, name + ".json"), encoding="utf-8") as f:
        schema = json.load(f)
    if jsonschema is None:
        return []
    v = jsonschema.validators.validator_for(schema)(schema)
    return ["schema %s: %s at %s" % (name, e.message, "/".join(map(str, e.path)))
            for e in v.iter_errors(doc)][:3]


failed = 0
# A minimal environment: goldens must not depend on who runs them (secret
# env vars set or not, locale, colour).
env = {k: v for k, v in os.environ.items()
       if k in ("PATH", "HOME", "TMPDIR") or k.startswith(("ASAN_", "UBSAN_", "LSAN_"))}
# SOURCE_DATE_EPOCH pins the date the reports carry.
env.update(NO_COLOR="1", LC_ALL="C.UTF-8", SOURCE_DATE_EPOCH="1767225600")
for n, name in enumerate(cases, 1):
    base = os.path.join(here, name)
    with open(base + ".args", encoding="utf-8") as f:
        args = shlex.split(f.read().strip())
    p = subprocess.run([binary] + args, cwd=root, env=env, capture_output=True, timeout=60)
    problems = []
    if update:
        with open(base + ".out", "wb") as f:
            f.write(p.stdout)
        with open(base + ".exit", "w") as f:
            f.write("%d\n" % p.returncode)
        if os.path.exists(base + ".err"):
            with open(base + ".err", "wb") as f:
                f.write(p.stderr)
    want_exit = 0
    if os.path.exists(base + ".exit"):
        want_exit = int(open(base + ".exit").read().strip())
    if p.returncode != want_exit:
        problems.append("exit %d, want %d" % (p.returncode, want_exit))
    if os.path.exists(base + ".out"):
        want = open(base + ".out", "rb").read()
        if p.stdout != want:
            problems.append("stdout differs:\n" + p.stdout.decode("utf-8", "replace"))
    if os.path.exists(base + ".err"):
        want = open(base + ".err", "rb").read()
        if p.stderr != want:
            problems.append("stderr differs:\n" + p.stderr.decode("utf-8", "replace"))
    problems += json_problems(args, p.stdout)
    if b"AddressSanitizer" in p.stderr or b"runtime error:" in p.stderr:
        problems.append("sanitizer report:\n" + p.stderr.decode("utf-8", "replace"))
    if problems:
        failed += 1
        print("not ok %d - %s" % (n, name))
        for line in "\n".join(problems).splitlines():
            print("#   " + line)
    else:
        print("ok %d - %s" % (n, name))
print("1..%d" % len(cases))
sys.exit(1 if failed else 0)
