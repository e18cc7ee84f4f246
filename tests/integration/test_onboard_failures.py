#!/usr/bin/env python3
"""The onboarding, cut-over and verify findings no other test produces,
each asserted by code, severity, JSON pointer and exit status, against the
MailStore SPE emulator (tests/emulators/mailstore_api.py, started and
stopped here) and the demo directory snapshots (examples/demo):

  FLEET005  the tenants CSV file cannot be read
  FLEET006  the tenant's SPE instance does not exist
  FLEET008  StartInstances fails
  FLEET009  Microsoft 365 certificate made: the manual steps
  FLEET010  the synchronisation dry run creates more users than the plan
  FLEET011  after the synchronisation the plan's users are not on the server
  FLEET012  Ctrl-C: one tenant interrupted while syncing, one not started
  FLEET013  a tenant's profile without a MailStore target
  FLEET015  a re-run finds the schedule job and does not create it again
  AUTH013   cutover: clients keep trying saved credentials
  AUTH014   cutover: the profile sets no login method
  API041    verify: a directory user the preview did not predict, with
            sync.deleteUsers off (a warning)
  API045    the same with sync.deleteUsers on: it should have been deleted
            (an error)

Prints TAP.  usage: test_onboard_failures.py DIRGATE"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, os.path.join(os.path.dirname(here), "cli"))
sys.path.insert(0, os.path.join(os.path.dirname(here), "emulators"))
from tap import Tap  # noqa: E402
from mailstore_fixture import Emulator, make_certs, stop_process  # noqa: E402

binary = os.path.abspath(sys.argv[1])
t = Tap()
tmp = tempfile.mkdtemp(prefix="dg-onboard-failures-")
demo = os.path.join(root, "examples", "demo")
API_PW = "CANARY-onboard-failures-5e21"
# the demo LDAP profile's bind password: push puts it into the server's
# configuration (the directory itself is read from the snapshot)
ENV = dict(os.environ, NO_COLOR="1", LC_ALL="C.UTF-8", DG_API_PW=API_PW,
           DEMO_LDAP_PASSWORD="CANARY-onboard-failures-bind")

# tenant ids: each one fails (or succeeds) in its own way
OK = "ok"              # reaches its goal; a second run finds its schedule job
MISSING = "missing"    # no such SPE instance
HALTED = "halted"      # stopped, and StartInstances fails
DRIFT = "drift"        # the server's directory has one user more than the plan
RENAMED = "renamed"    # ... the same number of users, under other names
NO_TARGET = "notarget"  # the profile's target is removed
CERT = "cert"          # Microsoft 365 with certificate.generate
SLOW = ("slow1", "slow2")  # interrupted while syncing / before starting
RUNNING = [OK, DRIFT, RENAMED, NO_TARGET, CERT, *SLOW, "cut", "verify"]


def run(args, timeout=120):
    r = subprocess.run([binary] + args, cwd=tmp, env=ENV, capture_output=True,
                       timeout=timeout)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def run_json(args):
    rc, out, err = run(args + ["--format", "json"])
    try:
        return rc, json.loads(out), err
    except ValueError:
        return rc, {"tenants": [], "findings": []}, out + err


def demo_profile(name):
    with open(os.path.join(demo, name)) as f:
        p = json.load(f)
    p.pop("$schema", None)
    p["directory"]["snapshot"] = os.path.join(demo, p["directory"]["snapshot"])
    return p


def target(emu, instance):
    return {"url": emu.url, "product": "spe", "instanceId": instance, "user": "admin",
            "password": {"env": "DG_API_PW"}, "tls": {"caFile": emu.ca_file}}


def preview_users(profile):
    path = os.path.join(tmp, "preview-%s.json" % profile["name"])
    with open(path, "w") as f:
        json.dump(profile, f)
    rc, out, err = run(["preview", path, "--format", "json"])
    users = json.loads(out)["users"] if rc == 0 else []
    return [{"userName": u["userName"], "fullName": u["fullName"],
             "distinguishedName": u["distinguishedName"],
             "emailAddresses": u["emailAddresses"]} for u in users]


def has(findings, code, severity, path, words=""):
    return any(f["code"] == code and f["severity"] == severity and f["path"] == path and
               words in f["message"] for f in findings)


def expect(findings, code, severity, path, words, name, ok=True, detail=""):
    t.check(ok and has(findings, code, severity, path, words),
            "%s: %s %s at %s" % (name, severity, code, path or '""'),
            "%s\n%s" % (detail, json.dumps(findings, indent=1)[-2500:]))


def write_manifest(emu, name, tenants_value):
    ldap, m365 = demo_profile("ldap-profile.json"), demo_profile("m365-profile.json")
    m365["directory"]["certificate"] = {
        "certFile": os.path.join(tmp, "certs", "${tenant.id}", "certificate.pem"),
        "keyFile": os.path.join(tmp, "certs", "${tenant.id}", "private-key.pem")}
    m365["authentication"]["redirectUri"] = "https://archive.example.net/${tenant.id}/oidc/signin"
    m = {"version": 1,
         "defaults": {"target": target(emu, "${tenant.id}"),
                      "sync": {"deleteUsers": False, "defaultPrivileges": ["login"]}},
         "templates": {"ldap": {k: ldap[k] for k in ("directory", "authentication")},
                       "m365": {k: m365[k] for k in ("directory", "authentication")}},
         "onboard": {"schedule": "daily@02:30",
                     "instance": {"start": True, "startTimeoutSeconds": 10},
                     "certificate": {"generate": True, "days": 30}},
         "tenants": tenants_value}
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        json.dump(m, f, indent=1)
    return name


def tenant(tid, template="ldap", profile=None):
    d = {"id": tid, "template": template}
    if profile:
        d["profile"] = profile
    return d


def by_id(doc):
    """The tenants of onboard --format json's report, by id."""
    return {x["id"]: x for x in doc.get("report", {}).get("tenants", [])}


def test_csv_unusable(emu):
    """The tenants CSV file: missing, then a line with a field too many."""
    name = write_manifest(emu, "csv.json", {"csv": "customers.csv"})
    rc, doc, err = run_json(["onboard", name])
    expect(doc.get("findings", []), "FLEET005", "error", "/tenants/csv",
           "No such file or directory", "tenants CSV file missing, exit 3",
           rc == 3 and "error FLEET005 /tenants/csv" in err, "rc %d %s" % (rc, err))
    with open(os.path.join(tmp, "customers.csv"), "w") as f:
        f.write("id,template\nt1,ldap\nt2,ldap,extra\n")
    rc, doc, err = run_json(["onboard", name])
    expect(doc.get("findings", []), "FLEET005", "error", "/tenants/csv",
           "line has 3 fields where the header has 2", "a CSV line with a field too many, "
           "exit 3", rc == 3 and any(f.get("line") == 3 for f in doc.get("findings", [])
                                     if f["code"] == "FLEET005"), "rc %d %s" % (rc, err))


def test_main_run(emu, ldap_users, m365_users):
    """One run over most tenants; each fails at its own step."""
    ids = [OK, MISSING, HALTED, DRIFT, RENAMED, NO_TARGET, CERT]
    name = write_manifest(emu, "manifest.json",
                          [tenant(i) for i in ids if i not in (CERT, NO_TARGET)] +
                          [tenant(CERT, "m365"),
                           tenant(NO_TARGET, profile={"target": None})])
    rc, rep, err = run_json(["onboard", name, "--yes", "--jobs", "3",
                             "--only", ",".join(ids)])
    ten = by_id(rep)
    t.check(rc == 3 and ten.get(OK, {}).get("status") == "done",
            "the main run: exit 3, the good tenant done", "rc %d\n%s" % (rc, err[-1500:]))
    f = lambda i: ten.get(i, {}).get("findings", [])  # noqa: E731
    st = lambda i: (ten.get(i, {}).get("status"), ten.get(i, {}).get("failedStep"))  # noqa: E731
    expect(f(MISSING), "FLEET006", "error", "", "does not exist",
           "an SPE instance that does not exist", st(MISSING) == ("failed", "instance"),
           st(MISSING))
    expect(f(HALTED), "FLEET008", "error", "", "StartInstances",
           "StartInstances refused", st(HALTED) == ("failed", "instance"), st(HALTED))
    expect(f(DRIFT), "FLEET010", "error", "", "would create %d users, the plan %d"
           % (len(ldap_users) + 1, len(ldap_users)),
           "the dry run creates one user more than the plan", st(DRIFT) == ("failed", "sync"),
           st(DRIFT))
    expect(f(RENAMED), "FLEET011", "error", "",
           "%d of the plan's %d directory users are not on the server"
           % (len(ldap_users), len(ldap_users)),
           "the plan's users absent after the synchronisation",
           st(RENAMED) == ("failed", "verify"), st(RENAMED))
    expect(f(NO_TARGET), "FLEET013", "error", "/target", "no MailStore target",
           "a profile without a target", st(NO_TARGET) == ("failed", "check"), st(NO_TARGET))
    cert = ten.get(CERT, {})
    manual = [x for x in f(CERT) if x["code"] == "FLEET009"]
    expect(f(CERT), "FLEET009", "info", "", "thumbprint",
           "Microsoft 365 certificate made: a manual step (not a failure)",
           cert.get("status") == "done" and len(manual) == 2 and
           len(cert.get("manualSteps", [])) == 2, json.dumps(cert)[:800])
    t.check(len(m365_users) > 0 and
            len(emu.state(instance=CERT)["users"]) >= len(m365_users),
            "the Microsoft 365 tenant was synchronised after its manual steps")

    rc, rep, err = run_json(["onboard", name, "--yes", "--only", OK,
                             "--artifacts", "again"])
    expect(by_id(rep).get(OK, {}).get("findings", []), "FLEET015", "info",
           "/onboard/schedule", "exists already", "a second run finds the schedule job",
           rc == 0 and len(emu.state(instance=OK)["jobs"]) == 1,
           "rc %d, jobs %s" % (rc, emu.state(instance=OK)["jobs"]))


def test_interrupted(emu):
    """Ctrl-C while the first tenant's synchronisation runs; --jobs 1, so
    the second has not started."""
    name = write_manifest(emu, "slow.json", [tenant(i) for i in SLOW])
    emu.reset_log()
    emu.fault("SyncUsersWithDirectoryServices", "slow", delayMs=3000, count=10)
    p = subprocess.Popen([binary, "onboard", name, "--yes", "--jobs", "1", "--format", "json"],
                         cwd=tmp, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and p.poll() is None:
        if any(e.get("function") == "SyncUsersWithDirectoryServices" for e in emu.log()):
            break
        time.sleep(0.1)
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        stop_process(p, 5)
        out, err = b"", b"timeout"
    emu.clear_faults()
    try:
        ten = by_id(json.loads(out))
    except ValueError:
        ten = {}
    first, second = (ten.get(i, {}) for i in SLOW)
    detail = "rc %s\n%s" % (p.returncode, err.decode("utf-8", "replace")[-800:])
    expect(first.get("findings", []), "FLEET012", "warning", "", "interrupted during sync",
           "Ctrl-C during the synchronisation",
           p.returncode == 1 and first.get("status") == "interrupted", detail)
    expect(second.get("findings", []), "FLEET012", "warning", "",
           "interrupted before the tenant started", "Ctrl-C before the tenant started",
           second.get("status") == "interrupted", detail)


def profile_file(name, p):
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(dict(p, name=name), f)
    return path


def test_cutover(emu, ldap_users):
    """A profile without /authentication: nobody can be said to keep a login."""
    p = demo_profile("ldap-profile.json")
    del p["authentication"]
    p["target"] = target(emu, "cut")
    emu.control("users", [dict(u, authentication="directoryServices") for u in ldap_users],
                instance="cut")
    rc, out, err = run(["cutover", profile_file("no-method", p), "--format", "json"])
    try:
        fs = json.loads(out)["findings"]
    except (ValueError, KeyError):
        fs = []
    expect(fs, "AUTH014", "error", "/authentication/method", "sets no login method",
           "cutover, profile without a login method, exit 3", rc == 3, "rc %d %s" % (rc, err))
    expect(fs, "AUTH013", "info", "/authentication", "keep trying them",
           "cutover: saved credentials keep being tried")


def test_verify(emu, ldap_users):
    """MailStore holds one directory user more than the preview predicts."""
    stranger = {"userName": "stranger", "fullName": "Stranger",
                "distinguishedName": "uid=stranger,ou=gone,dc=example,dc=com",
                "emailAddresses": ["stranger@example.com"]}
    emu.control("users", [dict(u, authentication="directoryServices")
                          for u in ldap_users + [stranger]], instance="verify")
    p = demo_profile("ldap-profile.json")
    p["target"] = target(emu, "verify")
    for delete, code, severity, want_rc in ((False, "API041", "warning", 0),
                                            (True, "API045", "error", 3)):
        p["sync"]["deleteUsers"] = delete
        rc, out, err = run(["verify", profile_file("verify-%s" % delete, p),
                            "--format", "json"])
        try:
            fs = json.loads(out)["findings"]
        except (ValueError, KeyError):
            fs = []
        expect(fs, code, severity, "/directory", "'stranger'",
               "verify, sync.deleteUsers %s: an unpredicted user, exit %d"
               % ("on" if delete else "off", want_rc), rc == want_rc, "rc %d %s" % (rc, err))


# meson's timeout (SIGTERM) and Ctrl-C: the finally clause stops the emulator
for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
    signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
emu = None
try:
    ldap_users = preview_users(demo_profile("ldap-profile.json") | {"name": "ldap"})
    m365_users = preview_users(demo_profile("m365-profile.json") | {"name": "m365"})
    emu = Emulator(spe=True, instances=RUNNING, stopped_instance=HALTED,
                   certs=make_certs(os.path.join(tmp, "tls")), password=API_PW,
                   directory=ldap_users, sync_steps=2, sync_step_ms=10,
                   tmp=os.path.join(tmp, "emulator"))
    os.makedirs(emu.tmp)
    emu.start()
    emu.control("directory", m365_users, instance=CERT)
    extra = {"userName": "zed", "fullName": "Zed Extra", "distinguishedName":
             "uid=zed,ou=people,dc=example,dc=com", "emailAddresses": ["zed@example.com"]}
    emu.control("directory", ldap_users + [extra], instance=DRIFT)
    emu.control("directory", [dict(u, userName="x-" + u["userName"]) for u in ldap_users],
                instance=RENAMED)
    emu.fault("StartInstances", "failed", message="Instance 'halted' cannot start: "
              "the archive store is offline.")

    test_csv_unusable(emu)
    test_main_run(emu, ldap_users, m365_users)
    test_interrupted(emu)
    test_cutover(emu, ldap_users)
    test_verify(emu, ldap_users)
finally:
    if emu:
        emu.stop()
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
