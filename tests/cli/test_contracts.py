#!/usr/bin/env python3
"""The JSON contract of every command (docs/output.md), against real output.

  test_contracts.py DIRGATE_BINARY        (TAP on stdout)

Every command run with --format json writes exactly one compact JSON
document (one line) on standard output, whatever happens:
- its own document, valid against schemas/output/COMMAND.json, with
  "formatVersion" first;
- or, when it fails before writing it (a usage error, a missing profile
  file, a server that does not answer), the error document valid against
  schemas/output/error.json, with the same exit code the command returns.
The MailStore side is the API emulator (tests/emulators/mailstore_api.py)
and the directory side for snapshot is tests/integration/fake_ldap.py, both
started here on 127.0.0.1 and stopped by PID.  Set DG_CONTRACTS_DUMP=DIR to
keep each document there.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.environ.get("DG_SOURCE_ROOT") or os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "emulators"))

try:
    import jsonschema
except ImportError:
    # Debian's python3-jsonschema lives with the system interpreter.
    if os.environ.get("DG_SCHEMA_REEXEC") != "1" and os.path.exists("/usr/bin/python3") \
            and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.environ["DG_SCHEMA_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3", os.path.abspath(__file__)] + sys.argv[1:])
    print("1..0 # SKIP python jsonschema is not installed")
    sys.exit(0)

from tap import Tap  # noqa: E402
from mailstore_fixture import Emulator, stop_process  # noqa: E402

binary = os.path.abspath(sys.argv[1])
t = Tap()
tmpdir = tempfile.TemporaryDirectory(prefix="dg-contracts-")
tmp = tmpdir.name
dump = os.environ.get("DG_CONTRACTS_DUMP")
SCHEMAS = os.path.join(ROOT, "schemas", "output")
ENV = {"DG_MS_API_PW": "Emu-Admin-Pass-4d2a", "DG_MS_BIND_PW": "bind-pass"}
seen = set()   # the schemas some document was checked against


def schema(name):
    with open(os.path.join(SCHEMAS, name + ".json"), encoding="utf-8") as f:
        return json.load(f)


def validator(sch):
    """The validator of the draft the schema names (preview's is draft-07)."""
    cls = jsonschema.validators.validator_for(sch)
    cls.check_schema(sch)
    return cls(sch)


def run(args, env=None):
    e = {k: v for k, v in os.environ.items()
         if k in ("PATH", "HOME", "TMPDIR") or k.startswith(("ASAN_", "UBSAN_", "LSAN_"))}
    e.update(NO_COLOR="1", LC_ALL="C.UTF-8", **ENV)
    e.update(env or {})
    p = subprocess.run([binary] + args, cwd=tmp, env=e, capture_output=True, timeout=120)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def problems(out, name, rc):
    """What is wrong with `out` as the one document `name` promises."""
    if not out.endswith(b"\n") or out.count(b"\n") != 1:
        return ["not one line of JSON: %r" % out[:300]]
    try:
        doc = json.loads(out.decode("utf-8"))
    except ValueError as e:
        return ["not UTF-8 JSON: %s" % e]
    if not isinstance(doc, dict) or next(iter(doc), None) != "formatVersion":
        return ["formatVersion is not the first key"]
    if "error" in doc:
        name = "error"
        if doc["error"].get("exitCode") != rc:
            return ["error document says exit %s, the command exited %d"
                    % (doc["error"].get("exitCode"), rc)]
    seen.add(name)
    if not os.path.exists(os.path.join(SCHEMAS, name + ".json")):
        return ["no schemas/output/%s.json" % name]
    if dump:
        with open(os.path.join(dump, "%s-%d.json" % (name, len(os.listdir(dump)))), "wb") as f:
            f.write(out)
    return ["%s: %s at /%s" % (name, e.message, "/".join(map(str, e.path)))
            for e in validator(schema(name)).iter_errors(doc)][:3]


def contract(args, name, want_rc, env=None, what=None):
    """Runs dirgate ARGS, checks the exit code and the document; returns it."""
    rc, out, err = run(args, env)
    bad = problems(out, name, rc)
    if rc != want_rc:
        bad.insert(0, "exit %d, want %d" % (rc, want_rc))
    t.check(not bad, what or "%s: %s document, exit %d" % (" ".join(args), name, want_rc),
            "\n".join(bad) + "\nstderr: " + err)
    try:
        return json.loads(out)
    except ValueError:
        return {}


# ---- offline: documents and early failures -------------------------------
DEMO = os.path.join(ROOT, "examples", "demo", "profile.json")
BAD = os.path.join(ROOT, "tests", "golden", "profiles", "many-problems.json")
MISSING = os.path.join(tmp, "no-such-profile.json")

contract(["check", "--offline", DEMO, "--format", "json"], "check", 0)
contract(["check", "--offline", BAD, "--format", "json"], "check", 3)
contract(["preview", DEMO, "--format", "json"], "preview", 0)
contract(["uri", "--provider", "google", "https://archive.contoso.com:8462/oidc/signin",
          "--format", "json"], "uri", 0)
contract(["filter", "(&(objectClass=user)(mail=*))", "--format", "json"], "filter", 0)
contract(["filter", "(&(objectClass=user)", "--format", "json"], "filter", 3)
contract(["explain", "prof002", "--format", "json"], "explain", 0)
contract(["init", "--type", "ldap", "--format", "json"], "init", 0)
contract(["cert", "new", "--subject", "contracts", "--days", "30", "--out", tmp,
          "--format", "json"], "cert", 0)

# a usage error in every command, after --format json was parsed (and before)
rc, out, _ = run(["--list-commands"])
commands = [line.split("\t")[0] for line in out.decode().splitlines()]
t.check(len(commands) >= 15, "the command list is there", out)
for cmd in commands:
    if cmd == "help":
        continue
    sub = ["new"] if cmd == "cert" else []
    doc = contract([cmd] + sub + ["--format", "json", "--no-such-option"], "error", 64)
    t.check(doc.get("command") == cmd and doc.get("error", {}).get("code") == "usage" and
            "--no-such-option" in doc.get("error", {}).get("message", ""),
            "%s: the usage error says which option" % cmd, doc)
contract(["check", "--format=json"], "error", 64, what="check --format=json without PROFILE")
rc, out, _ = run(["check", "--format", "json", "--format", "text", "--bogus"])
t.check(rc == 64 and out == b"", "the last --format counts: text, no JSON error document", out)

# a missing profile file, for every command that reads one
for args in (["check"], ["preview"], ["plan"], ["push"], ["sync"], ["pull"], ["verify"],
             ["cutover"], ["snapshot", "--output", os.path.join(tmp, "s.ldif")]):
    doc = contract(args[:1] + [MISSING] + args[1:] + ["--format", "json"], "error", 1)
    t.check("no-such-profile.json" in doc.get("error", {}).get("message", ""),
            "%s: the error document names the missing file" % args[0], doc)
renames = os.path.join(tmp, "renames.txt")
with open(renames, "w") as f:
    f.write("old.name=new.name\n")
contract(["migrate", MISSING, renames, "--format", "json"], "error", 1)
# a profile with errors: exit 3 and its findings in the error document
doc = contract(["preview", BAD, "--format", "json"], "error", 3)
t.check(doc.get("error", {}).get("code") == "findings" and
        any(f["code"] == "PROF002" for f in doc.get("findings", [])),
        "preview of a broken profile: the findings in the error document", doc)
for args in (["plan"], ["push"], ["sync"], ["pull"], ["verify"], ["cutover"],
             ["snapshot", "--output", os.path.join(tmp, "s.ldif")]):
    doc = contract(args[:1] + [BAD] + args[1:] + ["--format", "json"], "error", 3)
    t.check(doc.get("error", {}).get("message") and
            any(f["code"] == "PROF002" for f in doc.get("findings", [])),
            "%s of a broken profile: message and findings in the error document" % args[0], doc)
contract(["snapshot", DEMO, "--output", "-", "--format", "json"], "error", 64,
         what="snapshot: --format json with --output - is a usage error")


# ---- the MailStore emulator ----------------------------------------------
def write_profile(name, url, ca_file, **over):
    with open(DEMO) as f:
        p = json.load(f)
    p.pop("$schema", None)
    p["name"] = name
    p["directory"]["snapshot"] = os.path.join(ROOT, "examples/demo/directory.ldif")
    p["directory"]["bind"]["password"] = {"env": "DG_MS_BIND_PW"}
    p["sync"]["guards"] = {"minUsers": 1, "maxDeletes": 50, "maxDropPercent": 90}
    p["target"] = {"url": url, "user": "admin", "password": {"env": "DG_MS_API_PW"},
                   "tls": {"caFile": ca_file}}
    p.update(over)
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(p, f, indent=2)
    return path


rc, out, _ = run(["preview", DEMO, "--format", "json"])
directory = [{k: u[k] for k in ("userName", "fullName", "distinguishedName", "emailAddresses")}
             for u in json.loads(out)["users"]]
users = [{"userName": "old.name", "fullName": "Old Name", "authentication": "integrated"},
         {"userName": "admin", "fullName": "Administrator", "authentication": "integrated"}]
try:
    with Emulator(users=users, directory=directory, tmp=os.path.join(tmp, "emu")) as emu:
        prof = write_profile("contracts", emu.url, emu.ca_file)
        raw = os.path.join(tmp, "pulled.json")
        rc, _, err = run(["pull", prof, "--output", raw])
        t.check(rc == 0, "pull (raw) writes the configuration", err)
        doc = contract(["pull", prof, "--format", "json"], "pull", 0)
        with open(raw) as f:
            t.check(doc.get("config") == json.load(f),
                    "pull --format json: \"config\" is what raw pull writes", doc)
        contract(["plan", prof, "--format", "json"], "plan", 0)
        doc = contract(["push", prof, "--format", "json"], "push", 0)
        t.check(doc.get("outcome") in ("shown", "unchanged"), "push without --yes: shown", doc)
        saved = os.path.join(tmp, "saved.plan.json")
        rc, _, err = run(["plan", prof, "--out", saved])
        t.check(rc == 0, "plan --out saves a plan", err)
        doc = contract(["push", prof, "--yes", "--backup", os.path.join(tmp, "b.json"),
                        "--format", "json"], "push", 0)
        t.check(doc.get("outcome") == "pushed" and doc.get("backup"),
                "push --yes: pushed, and where the backup went", doc)
        # the server changed since the plan: refused, and the error document says why
        doc = contract(["push", saved, "--yes", "--format", "json"], "error", 1)
        t.check("API011" in doc.get("error", {}).get("message", ""),
                "push of a stale plan: API011 in the error document", doc)
        doc = contract(["push", prof, "--format", "json"], "push", 0)
        t.check(doc.get("outcome") == "unchanged", "push again: unchanged", doc)
        contract(["sync", prof, "--dry-run", "--format", "json"], "sync", 0)
        contract(["sync", prof, "--schedule", "daily@02:00", "--format", "json"], "sync", 0)
        # the real run fails after a good dry run: the document says so
        emu.fault("SyncUsersWithDirectoryServices", "500", args={"dryRun": "false"})
        doc = contract(["sync", prof, "--yes", "--format", "json"], "sync", 1)
        t.check("dryRun" in doc and doc.get("failure", {}).get("exitCode") == 1 and
                doc["failure"].get("message"),
                "sync whose real run fails: the dry run, then the failure with its message", doc)
        emu.clear_faults()
        contract(["verify", prof, "--format", "json"], "verify", 3)
        contract(["cutover", prof, "--format", "json"], "cutover", 0)
        doc = contract(["migrate", prof, renames, "--format", "json"], "migrate", 0)
        t.check(doc.get("outcome") == "shown" and doc.get("renames", [{}])[0].get("done") is False,
                "migrate without --yes: shown, nothing done", doc)
        doc = contract(["migrate", prof, renames, "--yes", "--backup",
                        os.path.join(tmp, "m.json"), "--format", "json"], "migrate", 0)
        t.check(doc.get("outcome") == "renamed" and doc.get("renames", [{}])[0].get("done"),
                "migrate --yes: renamed", doc)
        # the user is gone now: a failure after the profile was read
        doc = contract(["migrate", prof, renames, "--format", "json"], "error", 1)
finally:
    pass

# a server that does not answer: the network failure as an error document
s = subprocess.Popen([sys.executable, "-c",
                      "import socket;s=socket.socket();s.bind(('127.0.0.1',0));"
                      "print(s.getsockname()[1])"], stdout=subprocess.PIPE)
port = int(s.communicate(timeout=30)[0])   # a port nobody listens on now
prof = write_profile("nowhere", "https://127.0.0.1:%d" % port, os.path.join(tmp, "none.pem"))
for cmd in ("pull", "plan", "push", "sync", "verify"):
    doc = contract([cmd, prof, "--format", "json"], "error", 1)
    t.check(doc.get("error", {}).get("code") == "failure" and doc["error"].get("message"),
            "%s with no server: the failure in the error document" % cmd, doc)


# ---- snapshot against fake_ldap ------------------------------------------
fake = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "integration", "fake_ldap.py")],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
try:
    port = int(fake.stdout.readline())
    with open(os.path.join(ROOT, "examples", "ldap.json")) as f:
        p = json.load(f)
    p.pop("$schema", None)
    p["directory"].update(server="127.0.0.1", port=port, protocol="ldap", baseDn="ou=ok,dc=fake",
                          bind={"dn": "cn=x,dc=fake", "password": {"env": "DG_MS_BIND_PW"}},
                          )
    p["directory"].pop("tls", None)
    p["directory"]["groups"]["names"] = []
    ldap_prof = os.path.join(tmp, "ldap.json")
    with open(ldap_prof, "w") as f:
        json.dump(p, f)
    doc = contract(["snapshot", ldap_prof, "--output", os.path.join(tmp, "snap.ldif"),
                    "--format", "json"], "snapshot", 0)
    t.check(doc.get("count", 0) > 0 and os.path.exists(os.path.join(tmp, "snap.ldif")),
            "snapshot --format json: what was written, and the file is there", doc)
finally:
    fake.stdin.close()
    stop_process(fake, 10)
p["directory"]["port"] = port   # it is stopped: nobody answers there now
with open(ldap_prof, "w") as f:
    json.dump(p, f)
contract(["snapshot", ldap_prof, "--output", os.path.join(tmp, "snap2.ldif"), "--format", "json"],
         "error", 1, what="snapshot with no LDAP server: the failure as an error document")

# onboard: the report as the document (a render-only run needs no server)
contract(["onboard", os.path.join(ROOT, "examples/onboard/manifest.json"), "--stop-after",
          "render", "--artifacts", os.path.join(tmp, "fleet"), "--format", "json"], "onboard", 0)
contract(["onboard", os.path.join(ROOT, "examples/onboard/manifest.json"), "--render",
          os.path.join(tmp, "rendered"), "--format", "json"], "error", 64,
         what="onboard --render with --format json: a usage error document")

# every schema in schemas/output was checked against real output
for name in sorted(f[:-5] for f in os.listdir(SCHEMAS) if f.endswith(".json")):
    t.check(name in seen, "schemas/output/%s.json was checked against real output" % name)
t.done()
