#!/usr/bin/env python3
"""dirgate pull / plan / push / sync / migrate end to end against the
MailStore API emulator (tests/emulators/mailstore_api.py), which the test
starts on 127.0.0.1 with a test CA it generates, and stops by PID.

The directory side is the embedded demo (an LDIF snapshot), so no
directory server is needed.  Secret canaries: the API password and the
LDAP bind password must never appear in any output or file unless
--include-secrets asks for it, and the bind password must reach the
server only inside SetDirectoryServicesConfiguration."""

import json
import os
import re
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
tmpdir = tempfile.TemporaryDirectory(prefix="dg-msapi-")  # removed at exit: secrets
tmp = tmpdir.name
API_PW = "CANARY-api-pass-51c7e2"
BIND_PW = "CANARY-bind-pass-9e04ab"
SERVER_SECRET = "CANARY-server-secret-77d1"
ENV = {"DG_MS_API_PW": API_PW, "DG_MS_BIND_PW": BIND_PW}
outputs = []   # every stdout/stderr, for the canary check at the end


def run(args, env=None, timeout=120):
    e = dict(os.environ, NO_COLOR="1", LC_ALL="C.UTF-8", **ENV)
    e.update(env or {})
    r = subprocess.run([binary] + args, cwd=tmp, env=e, capture_output=True, timeout=timeout)
    out, err = r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
    outputs.append((" ".join(args), out + err))
    return r.returncode, out, err


def preview_users():
    rc, out, _ = run(["preview", os.path.join(root, "examples/demo/profile.json"),
                      "--format", "json"])
    return json.loads(out)["users"]


def write_profile(name, emu, **over):
    with open(os.path.join(root, "examples/demo/profile.json")) as f:
        p = json.load(f)
    p.pop("$schema", None)
    p["name"] = name
    p["directory"]["snapshot"] = os.path.join(root, "examples/demo/directory.ldif")
    p["directory"]["bind"]["password"] = {"env": "DG_MS_BIND_PW"}
    p["sync"]["guards"] = {"minUsers": 1, "maxDeletes": 5, "maxDropPercent": 50}
    p["sync"]["deleteUsers"] = True
    p["target"] = {"url": emu.url, "user": "admin", "password": {"env": "DG_MS_API_PW"},
                   "tls": {"caFile": emu.ca_file}}
    if emu.spe:
        p["target"]["product"] = "spe"
        p["target"]["instanceId"] = "tenant1"
    for k, v in over.items():
        node = p
        keys = k.split("/")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        if v is None:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = v
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(p, f, indent=2)
    return path


users = preview_users()
by_name = {u["userName"]: u for u in users}
names = sorted(by_name)
same, changed, renamed = names[0], names[1], names[2]
server_users = [
    # unchanged: exactly what the directory says
    dict(by_name[same], authentication="directoryServices"),
    # update: another full name
    dict(by_name[changed], fullName="Old Name", authentication="directoryServices"),
    # rename: the directory user's e-mail address under an old sAMAccountName-style name
    {"userName": "legacy42", "fullName": by_name[renamed]["fullName"],
     "emailAddresses": by_name[renamed]["emailAddresses"][:1],
     "authentication": "directoryServices"},
    # delete: came from directory services, gone from the directory
    {"userName": "left.company", "fullName": "Left Company", "authentication": "directoryServices",
     "distinguishedName": "CN=Left,OU=Gone,DC=contoso,DC=com"},
    # kept: a MailStore-integrated user
    {"userName": "admin", "fullName": "Administrator", "authentication": "integrated"},
]
directory = [{"userName": u["userName"], "fullName": u["fullName"],
              "distinguishedName": u["distinguishedName"],
              "emailAddresses": u["emailAddresses"]} for u in users]
# An opaque object goes back exactly as read: a 64-bit tick count that a
# double cannot hold, a decimal written with a trailing zero, and form
# delimiters inside a string.
TICKS = 638412345678901234
# Secrets under key names nobody documented: masked by name pattern, or by
# the value's shape where the name says nothing.
UNEXPECTED = {
    "privateKey": "-----BEGIN PRIVATE KEY-----\nCANARYpemKey77\n-----END PRIVATE KEY-----",
    "serviceAccountKey": '{"type":"service_account","private_key":"CANARYsaKey31"}',
    "accessToken": "eyJhbGciOiJSUzI1NiJ9.CANARYjwtBody52.c2ln",
    "apiKey": "CANARYapiKey",
    "bindPwd": "CANARYbindPwd",
    "connection": {"blob": "CANARYblob0Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2Rl"},
    "credentials": [{"name": "m365", "client_secret": "CANARYarraySecret"}],
}
UNEXPECTED_CANARIES = ["CANARYpemKey77", "CANARYsaKey31", "CANARYjwtBody52", "CANARYapiKey",
                       "CANARYbindPwd", "CANARYblob0", "CANARYarraySecret"]
config = {"directoryServiceType": "ActiveDirectory", "server": "old-dc.contoso.com",
          "unknownVendorKey": {"nested": [1, 2, 3]}, "password": SERVER_SECRET,
          "lastSyncTicks": TICKS, "text": "a+b&c=d%20e;x", **UNEXPECTED}
certs = make_certs(os.path.join(tmp, "tls"))


def emulator(**kw):
    args = dict(users=server_users, directory=directory, config=config, certs=certs,
                password=API_PW)
    args.update(kw)
    return Emulator(**args)


def log_fns(emu):
    return [e.get("function") for e in emu.log()]


def test_pipeline():
    with emulator() as emu:
        prof = write_profile("pipe", emu)
        # pull: the real object, secrets masked
        rc, out, err = run(["pull", prof])
        got = json.loads(out) if rc == 0 else {}
        t.check(rc == 0 and got.get("unknownVendorKey") == {"nested": [1, 2, 3]},
                "pull writes the server's configuration", err)
        t.check(got.get("password") == "********", "pull masks secrets", out)
        t.check(re.search(r'"lastSyncTicks":\s*%d\b' % TICKS, out) and
                got.get("text") == config["text"],
                "pull keeps numbers' text and strings as the server sent them", out[:400])
        rc, out, err = run(["pull", prof, "--include-secrets", "--output", "full.json"])
        with open(os.path.join(tmp, "full.json")) as f:
            full = json.load(f)
        t.check(rc == 0 and full.get("password") == SERVER_SECRET and
                os.stat(os.path.join(tmp, "full.json")).st_mode & 0o077 == 0,
                "pull --include-secrets writes them, to a 0600 file", err)
        os.unlink(os.path.join(tmp, "full.json"))

        # plan
        rc, out, err = run(["plan", prof, "--format", "json"])
        plan = json.loads(out) if rc == 0 else {"users": [], "summary": {}}
        act = {u["userName"]: u for u in plan["users"]}
        t.check(rc == 0 and act.get(same, {}).get("action") == "unchanged",
                "plan: unchanged user", err + out[:400])
        t.check(act.get(same, {}).get("groups") == by_name[same]["groups"],
                "plan users carry the preview's fields (groups)", json.dumps(act.get(same)))
        t.check(act.get(changed, {}).get("action") == "update" and
                act[changed]["changes"]["fullName"] == {"from": "Old Name",
                                                        "to": by_name[changed]["fullName"]},
                "plan: update with the changed field", json.dumps(act.get(changed)))
        t.check(act.get(renamed, {}).get("action") == "rename" and
                act[renamed].get("from") == "legacy42" and
                act[renamed].get("match") == "emailAddress",
                "plan: rename found by e-mail address", json.dumps(act.get(renamed)))
        t.check(act.get("left.company", {}).get("action") == "delete" and "admin" not in act,
                "plan: delete only the directory-synced user", json.dumps(plan["summary"]))
        t.check(plan["summary"].get("create") == len(users) - 3,
                "plan: the rest are creates", json.dumps(plan["summary"]))
        keys = {c["key"]: c for c in plan["config"]}
        t.check(keys.get("/server", {}).get("to") == "dc01.contoso.com" and
                keys["/server"]["status"] == "assumed" and "/unknownVendorKey" not in keys,
                "plan: config diff through the target map", json.dumps(plan["config"])[:600])
        t.check(any(f["code"] == "API009" and "empty archive" in f["message"]
                    for f in plan["findings"]),
                "plan: rename warning says a second user with an empty archive would appear",
                json.dumps(plan["findings"])[:600])
        rc, out, err = run(["plan", prof])
        t.check(rc == 0 and "legacy42" in out and "empty archive" in out,
                "plan text lists the rename plainly", out[:800])
        rc, _, _ = run(["plan", prof, "--detailed-exitcode"])
        t.check(rc == 2, "plan --detailed-exitcode: 2 with changes pending", str(rc))

        # plan --out / --renames
        rc, out, err = run(["plan", prof, "--out", "p.plan", "--renames", "renames.txt"])
        with open(os.path.join(tmp, "renames.txt")) as f:
            ren = f.read()
        t.check(rc == 0 and "legacy42=%s\n" % renamed in ren, "plan --renames writes old=new",
                ren + err)
        with open(os.path.join(tmp, "p.plan")) as f:
            saved = f.read()
        t.check(BIND_PW not in saved and SERVER_SECRET not in saved and '"$secret"' in saved,
                "a saved plan holds no secret, only a reference", saved[:400])

        # push without --yes changes nothing
        emu.reset_log()
        rc, out, err = run(["push", "p.plan"])
        t.check(rc == 0 and "nothing was changed" in out and
                "SetDirectoryServicesConfiguration" not in log_fns(emu),
                "push without --yes shows and changes nothing", out + err)
        # push PLAN --yes; guards pass (1 delete <= 5)
        rc, out, err = run(["push", "p.plan", "--yes", "--backup", "b1.json"])
        st = emu.state()
        t.check(rc == 0 and st["config"].get("server") == "dc01.contoso.com" and
                st["config"].get("unknownVendorKey") == {"nested": [1, 2, 3]} and
                st["config"].get("password") == BIND_PW,
                "push PLAN sets the mapped keys, keeps unknown ones, resolves the secret",
                out + err + json.dumps(st["config"])[:400])
        t.check("read it back" in out, "push verifies by reading back", out)
        with open(os.path.join(tmp, "b1.json")) as f:
            b1 = json.load(f)
        t.check(b1["config"]["server"] == "old-dc.contoso.com" and
                b1["config"]["password"] == "********" and
                os.stat(os.path.join(tmp, "b1.json")).st_mode & 0o077 == 0,
                "backup holds the old config, secrets masked, mode 0600", json.dumps(b1)[:300])
        cfg_now = emu.state()["config"]
        t.check(cfg_now.get("lastSyncTicks") == TICKS and cfg_now.get("text") == config["text"],
                "push sends unknown keys back exactly as read (64-bit number, + & = %)",
                json.dumps(cfg_now)[:400])
        sets = [e for e in emu.log() if e.get("function") == "SetDirectoryServicesConfiguration"]
        leaks = [e.get("function") for e in emu.log()
                 if BIND_PW in (e.get("body") or "") and e not in sets]
        t.check(len(sets) == 1 and not leaks,
                "the bind password went only into SetDirectoryServicesConfiguration", leaks)
        wire = [e for e in emu.log() if e.get("body")]
        t.check(all(e["contentType"] == "application/x-www-form-urlencoded" for e in wire) and
                all(e.get("status") == 200 for e in emu.log()),
                "every request was accepted by the strict emulator",
                json.dumps([(e.get("function"), e.get("status")) for e in emu.log()]))

        # the same plan again: the server changed since
        rc, out, err = run(["push", "p.plan", "--yes"])
        t.check(rc == 1 and "API011" in err, "push refuses a plan when the server changed", err)

        # plan now: config unchanged, users still pending
        rc, out, err = run(["plan", prof, "--format", "json"])
        t.check(rc == 0 and json.loads(out)["summary"]["configChanges"] == 0,
                "after push the plan has no config changes", out[:300])

        # sync: dry run, then real
        rc, out, err = run(["sync", prof])
        st = emu.state()
        t.check(rc == 0 and "dry run" in out and len(st["users"]) == len(server_users),
                "sync without --yes is a dry run and stores nothing", out + err)
        rc, out, err = run(["sync", prof, "--yes"])
        st = emu.state()
        names_now = {u["userName"] for u in st["users"]}
        t.check(rc == 0 and set(names) <= names_now and "left.company" not in names_now,
                "sync --yes runs dry, then for real: GetUsers shows the directory",
                out + err)
        fns = log_fns(emu)
        t.check(fns.count("get-status") >= 2, "sync polls get-status (long-poll)", fns)
        dry = [e for e in emu.log() if e.get("function") == "SyncUsersWithDirectoryServices"]
        t.check([e["args"].get("dryRun") for e in dry][-2:] == ["true", "false"],
                "sync sends dryRun=true first, then dryRun=false (lower case)",
                [e.get("args") for e in dry])

        # restore the backup: config back, masked secret kept from the server
        rc, out, err = run(["push", prof, "--restore", "b1.json", "--yes", "--backup", "b2.json"])
        st = emu.state()
        t.check(rc == 0 and st["config"].get("server") == "old-dc.contoso.com" and
                st["config"].get("password") == BIND_PW and "API012" in err,
                "push --restore sets the backup, keeping masked secrets", out + err)
        t.check(all(st["config"].get(k) == v for k, v in UNEXPECTED.items()),
                "push --restore keeps secrets masked under any name (arrays too) as on "
                "the server", json.dumps({k: st["config"].get(k) for k in UNEXPECTED})[:500])

        # push PROFILE: no renames in the way now? still works, with verify
        rc, out, err = run(["push", prof, "--yes", "--backup", "b3.json",
                            "--include-secrets"])
        with open(os.path.join(tmp, "b3.json")) as f:
            b3 = json.load(f)
        t.check(rc == 0 and b3["config"]["password"] == BIND_PW,
                "push --include-secrets keeps secrets in the backup", out + err)
        os.unlink(os.path.join(tmp, "b3.json"))


def test_guards():
    many_gone = server_users + [
        {"userName": "gone%d" % i, "fullName": "Gone %d" % i,
         "authentication": "directoryServices"} for i in range(10)]
    with emulator(users=many_gone) as emu:
        prof = write_profile("guard-del", emu)
        rc, out, err = run(["push", prof, "--yes"])
        t.check(rc == 3 and "GUARD006" in err and
                emu.state()["config"]["server"] == "old-dc.contoso.com",
                "guard: more deletes than maxDeletes refuses the push", err)
        rc, out, err = run(["push", prof, "--yes", "--force", "--backup", "f.json"])
        t.check(rc == 0 and "GUARD007" in err and
                emu.state()["config"]["server"] == "dc01.contoso.com",
                "guard: --force overrides, loudly", err)
    big = server_users + [{"userName": "x%03d" % i, "authentication": "directoryServices"}
                          for i in range(200)]
    with emulator(users=big) as emu:
        prof = write_profile("guard-drop", emu, **{"sync/guards/maxDeletes": 1000})
        rc, out, err = run(["push", prof, "--yes"])
        t.check(rc == 3 and "GUARD005" in err, "guard: drop beyond maxDropPercent", err)
    with emulator() as emu:
        prof = write_profile("guard-min", emu, **{"sync/guards/minUsers": 500})
        rc, out, err = run(["push", prof, "--yes"])
        t.check(rc == 3 and "GUARD004" in err, "guard: fewer users than minUsers", err)
        rc, out, err = run(["plan", prof, "--out", "g.plan"])
        rc, out, err = run(["push", "g.plan", "--yes"])
        t.check(rc == 3 and "GUARD004" in err, "guard: a saved plan keeps its guards", err)


def test_plan_quality():
    """A user with a data-quality error (MAP025) makes plan exit 3, as it
    makes preview: the plan is written, and it is not an OK."""
    with open(os.path.join(root, "tests/data/quality/profile.json")) as f:
        qdir = json.load(f)["directory"]
    qdir["snapshot"] = os.path.join(root, "tests/data/quality/quality.ldif")
    with emulator() as emu:
        prof = write_profile("quality", emu, directory=qdir,
                             authentication={"method": "standard"},
                             **{"sync/guards": {"minUsers": 1, "maxDeletes": 1000,
                                                "maxDropPercent": 100}})
        rc, out, err = run(["plan", prof, "--format", "json"])
        doc = json.loads(out) if out.startswith("{") else {}
        errors = [f for f in doc.get("findings", []) if f.get("severity") == "error"]
        t.check(rc == 3 and doc.get("quality", {}).get("errors", 0) >= 1 and not errors and
                doc.get("users"),
                "plan: a data-quality error exits 3, with the plan written",
                "%s %s %s" % (rc, json.dumps(doc.get("quality"))[:300], err))
        rc, _, _ = run(["plan", prof, "--detailed-exitcode"])
        t.check(rc == 3, "plan --detailed-exitcode: 3 wins over 2 for a data-quality error",
                str(rc))


def test_migrate():
    with emulator() as emu:
        prof = write_profile("mig", emu)
        run(["plan", prof, "--renames", "r.txt"])
        rc, out, err = run(["migrate", prof, "r.txt"])
        t.check(rc == 0 and "would rename legacy42 -> %s" % renamed in out and
                "RenameUser" not in log_fns(emu),
                "migrate without --yes changes nothing", out + err)
        rc, out, err = run(["migrate", prof, "r.txt", "--yes", "--backup", "m.json"])
        st = {u["userName"]: u for u in emu.state()["users"]}
        with open(os.path.join(tmp, "m.json")) as f:
            listing = json.load(f)
        t.check(rc == 0 and renamed in st and "legacy42" not in st,
                "migrate renames the user", out + err)
        t.check({"folder": "legacy42", "privileges": ["read"]} in
                st.get(renamed, {}).get("privilegesOnFolders", []),
                "migrate keeps the privileges on the old archive folder",
                json.dumps(st.get(renamed)))
        t.check(listing and listing[0]["userName"] == "legacy42",
                "migrate wrote a backup listing of the users it touched", json.dumps(listing))
        rc, out, err = run(["plan", prof, "--format", "json"])
        acts = {u["userName"]: u["action"] for u in json.loads(out)["users"]}
        t.check(acts.get(renamed) in ("update", "unchanged"),
                "after migrate the plan has no rename", acts.get(renamed))
        with open(os.path.join(tmp, "bad.txt"), "w") as f:
            f.write("# comment\nnobody.here=someone\nbroken line\n")
        rc, out, err = run(["migrate", prof, "bad.txt", "--yes"])
        t.check(rc == 1 and "bad.txt:3" in err, "migrate: a bad line is named by file:line", err)
        with open(os.path.join(tmp, "bad.txt"), "w") as f:
            f.write("nobody.here=someone\n")
        rc, out, err = run(["migrate", prof, "bad.txt", "--yes"])
        t.check(rc == 1 and "nobody.here" in err and "does not exist" in err,
                "migrate: unknown user refused before any change", err)


def sync_interrupted(emu, prof, name):
    """dirgate sync --yes, Ctrl-C once its first server job runs; returns
    (exit code, stdout, stderr)."""
    e = dict(os.environ, NO_COLOR="1", **ENV)
    p = subprocess.Popen([binary, "sync", prof, "--yes"], cwd=tmp, env=e,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 20
    while time.time() < deadline and not emu.state()["tokens"]:
        time.sleep(0.1)
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=40)
    except subprocess.TimeoutExpired:
        stop_process(p, 5)
        out, err = b"", b"timeout"
    out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    outputs.append((name, out + err))
    return p.returncode, out, err


def test_cancel():
    with emulator(sync_steps=100, sync_step_ms=100) as emu:
        prof = write_profile("cancel", emu)
        rc, out, err = sync_interrupted(emu, prof, "sync cancel")
        toks = emu.state()["tokens"]
        t.check(rc == 1 and "cancel" in err, "Ctrl-C ends dirgate sync with a message", err)
        t.check(toks and toks[0]["cancelRequested"] and toks[0]["cancelled"],
                "Ctrl-C cancelled the job on the server (cancel-async)", json.dumps(toks))
        t.check("cancel-async" in log_fns(emu), "cancel-async was sent", log_fns(emu))


def test_cancel_not_honoured():
    """The server decides whether a cancel takes (reference 1.6): a job that
    runs to its end after Ctrl-C must not pass as cancelled, nor as fine."""
    with emulator(sync_steps=40, sync_step_ms=100) as emu:
        prof = write_profile("cancel-ignored", emu)
        emu.fault("cancel-async", "ignore")
        rc, out, err = sync_interrupted(emu, prof, "sync cancel ignored")
        toks = emu.state()["tokens"]
        t.check(rc == 1 and "ran the job to its end" in err and "succeeded" in out,
                "a cancel the server does not honour is reported, with what it did",
                "rc=%s\n%s\n%s" % (rc, err, out))
        t.check(len(toks) == 1 and toks[0]["status"] == "succeeded" and
                not toks[0]["cancelled"],
                "no further job was started after Ctrl-C", json.dumps(toks))


def test_faults():
    with emulator() as emu:
        prof = write_profile("faults", emu)
        emu.fault("GetUsers", "503", retryAfter=1)
        rc, out, err = run(["plan", prof])
        t.check(rc == 0, "a 503 with Retry-After on a read call is retried", err)
        emu.fault("GetUsers", "500")
        rc, out, err = run(["plan", prof])
        t.check(rc == 1 and "HTTP 500" in err and "injected fault" in err,
                "HTTP 500 text/plain is reported with its text", err)
        emu.clear_faults()
        emu.fault("GetDirectoryServicesConfiguration", "drop")
        rc, out, err = run(["pull", prof])
        t.check(rc == 0, "a dropped connection on a read call is retried", err)
        emu.fault("SetDirectoryServicesConfiguration", "drop")
        rc, out, err = run(["push", prof, "--yes", "--force", "--backup", "d.json"])
        n = sum(1 for e in emu.log() if e.get("function") == "SetDirectoryServicesConfiguration")
        t.check(rc == 1 and n == 1, "a write is never retried after a dropped connection",
                "%d sends; %s" % (n, err))
        emu.fault("SetDirectoryServicesConfiguration", "forget-key")
        rc, out, err = run(["push", prof, "--yes", "--force", "--backup", "v.json"])
        t.check(rc == 1 and "API010" in err and "/server" in err and
                "--restore v.json" in err,
                "read-back verification: a key the server did not keep is reported", err)
        emu.fault("SyncUsersWithDirectoryServices", "fail-halfway")
        rc, out, err = run(["sync", prof])
        t.check(rc == 1 and "could not be reached" in err,
                "an async job failing half-way is reported with its error", out + err)
        emu.fault("SyncUsersWithDirectoryServices", "expire-token")
        rc, out, err = run(["sync", prof])
        t.check(rc == 1 and "404" in err and "token" in err,
                "an unknown token (404 on get-status) is reported", err)
        emu.fault("GetServerInfo", "slow", delayMs=100)
        emu.fault("GetUsers", "slow", delayMs=1500)
        rc, out, err = run(["plan", prof])
        t.check(rc == 0, "a slow answer is waited for", err)
        emu.fault("GetUsers", "429", retryAfter=1)
        rc, out, err = run(["plan", prof])
        t.check(rc == 0, "429 with Retry-After is retried on a read call", err)
        emu.clear_faults()
    with emulator(password="another-password") as emu:
        prof = write_profile("badpw", emu)
        rc, out, err = run(["pull", prof])
        t.check(rc == 1 and "401" in err and "/target/password" in err,
                "bad credentials: 401 names the profile fields", err)


def api013(findings):
    return [f for f in findings if f["code"] == "API013"]


def test_vanished_user():
    """A user deleted (by an administrator or a running sync) after GetUsers
    answered and before its GetUserInfo: the plan completes without it and
    warns; every other GetUserInfo failure still fails the plan."""
    with emulator() as emu:
        prof = write_profile("vanish", emu)

        def restore():
            emu.clear_faults()
            emu.control("users", server_users)
            emu.control("config", config)

        emu.fault("GetUsers", "delete-after", userName=same)
        rc, out, err = run(["plan", prof, "--format", "json"])
        plan = json.loads(out) if rc == 0 else {"users": [], "summary": {}, "findings": []}
        act = {u["userName"]: u for u in plan["users"]}
        warn = api013(plan["findings"])
        t.check(rc == 0, "vanished user: the plan completes", err + out[:300])
        t.check(len(warn) == 1 and warn[0]["severity"] == "warning" and
                "'%s'" % same in warn[0]["message"] and
                "disappeared while the plan was being made" in warn[0]["message"] and
                "again before pushing" in (warn[0].get("hint") or ""),
                "vanished user: API013 warning in JSON names the user, says run again",
                json.dumps(plan["findings"])[:800])
        t.check(act.get(same, {}).get("action") == "create",
                "vanished user: not unchanged/update but a create (the directory has it)",
                json.dumps(act.get(same)))
        t.check(plan["summary"].get("serverUsers") == len(server_users) - 1 and
                act.get(changed, {}).get("action") == "update",
                "vanished user: the rest of the plan as usual", json.dumps(plan["summary"]))
        fns = log_fns(emu)
        t.check(fns.count("GetUsers") == 2,
                "vanished user: confirmed by a second GetUsers", fns)

        restore()
        emu.fault("GetUsers", "delete-after", userName=same)
        rc, out, err = run(["plan", prof, "--detailed-exitcode"])
        lines = [ln for ln in out.splitlines() if same in ln]
        t.check(rc == 2 and "warning API013" in out and
                any(ln.split()[:3] == ["+", "create", same] for ln in lines) and
                not any(ln.split()[:2] in (["~", "update"], [" ", "unchanged"])
                        for ln in lines),
                "vanished user: text output warns and lists a create; exit code as usual",
                out + err)

        # a saved plan: pushed while the server is what the plan saw ...
        restore()
        emu.fault("GetUsers", "delete-after", userName=same)
        rc, out, err = run(["plan", prof, "--out", "vanish.plan"])
        rc2, out2, err2 = run(["push", "vanish.plan", "--yes", "--backup", "vb1.json"])
        t.check(rc == 0 and rc2 == 0 and emu.state()["config"]["server"] == "dc01.contoso.com",
                "vanished user: a saved plan applies while the server stays as the plan saw it",
                out + err + out2 + err2)
        # ... refused once the user is back (the plan treated it as gone)
        restore()
        emu.fault("GetUsers", "delete-after", userName=same)
        rc, out, err = run(["plan", prof, "--out", "vanish2.plan"])
        emu.control("users", server_users)
        rc2, out2, err2 = run(["push", "vanish2.plan", "--yes", "--backup", "vb2.json"])
        t.check(rc == 0 and rc2 == 1 and "API011" in err2 and
                emu.state()["config"]["server"] == "old-dc.contoso.com",
                "vanished user: a saved plan is refused when the server moved on",
                err + err2)
        # ... and refused, whatever the server does, when other users changed
        # too while the plan was made: it then shows no state the server had
        restore()
        last = sorted([u["userName"] for u in server_users], key=str.lower)[-1]
        emu.fault("GetUsers", "delete-after", userName=same)
        emu.fault("GetUserInfo", "delete-after", userName="admin", args={"userName": last})
        rc, out, err = run(["plan", prof, "--parallel", "1", "--format", "json",
                            "--out", "vanish3.plan"])
        gone = [f["message"] for f in api013(json.loads(out)["findings"])] if rc == 0 else []
        rc2, out2, err2 = run(["push", "vanish3.plan", "--yes", "--backup", "vb3.json"])
        t.check(rc == 0 and len(gone) == 1 and "'%s'" % same in gone[0] and
                rc2 == 1 and "API011" in err2 and
                emu.state()["config"]["server"] == "old-dc.contoso.com",
                "vanished user: a plan made while other users changed too is never pushed",
                out[-600:] + err + err2)

        # every other GetUserInfo failure still fails the plan
        restore()
        emu.fault("GetUserInfo", "failed", message="Internal error.",
                  args={"userName": same})
        rc, out, err = run(["plan", prof])
        t.check(rc == 1 and "Internal error." in err and same in err and
                "API013" not in out + err,
                "another API-level GetUserInfo failure fails the plan, naming the user", err)
        emu.fault("GetUserInfo", "failed", message="User '%s' does not exist." % same,
                  args={"userName": same})
        rc, out, err = run(["plan", prof])
        t.check(rc == 1 and "still lists" in err,
                "an 'unknown user' answer for a user GetUsers still lists fails the plan", err)
        emu.fault("GetUserInfo", "500", args={"userName": same})
        rc, out, err = run(["plan", prof])
        t.check(rc == 1 and "HTTP 500" in err, "an HTTP 500 for GetUserInfo fails the plan",
                err)
        emu.fault("GetUsers", "delete-after", userName=same)
        emu.fault("GetUserInfo", "500", args={"userName": changed})
        rc, out, err = run(["plan", prof])
        t.check(rc == 1 and "HTTP 500" in err and "does not exist" not in err,
                "a vanished user does not hide another user's failure", err)
        restore()
        emu.fault("GetUsers", "delete-after", userName=same)
        emu.fault("GetUsers", "500", count=5)
        rc, out, err = run(["plan", prof])
        t.check(rc == 1 and "HTTP 500" in err,
                "the confirming GetUsers failing fails the plan", err)


def test_tls():
    with emulator() as emu:
        prof = write_profile("tls-none", emu, **{"target/tls": None})
        rc, out, err = run(["pull", prof])
        t.check(rc == 1 and "certificate" in err, "TLS verified by default: test CA untrusted",
                err)
        prof = write_profile("tls-pin", emu, **{"target/tls": {"pinSha256": emu.pin_sha256}})
        rc, out, err = run(["pull", prof])
        t.check(rc == 0, "a pinned certificate is accepted", err)
        prof = write_profile("tls-badpin", emu, **{"target/tls": {"pinSha256": "00" * 32}})
        rc, out, err = run(["pull", prof])
        t.check(rc == 1 and "pin" in err, "a wrong pin is refused", err)
        prof = write_profile("tls-insecure", emu, **{"target/tls": {"insecure": True}})
        rc, out, err = run(["pull", prof])
        t.check(rc == 0 and "TLS008" in err, "insecure works, with a loud warning", err)


def test_spe():
    with emulator(spe=True, stopped_instance="frozen") as emu:
        prof = write_profile("spe", emu)
        rc, out, err = run(["plan", prof, "--format", "json"])
        t.check(rc == 0 and json.loads(out)["summary"]["update"] == 1, "SPE: plan works", err)
        body = [e for e in emu.log() if e.get("function") == "GetUsers"]
        t.check(body and body[-1]["args"].get("instanceID") == "tenant1",
                "SPE: instanceID sent on instance functions", json.dumps(body[-1:]))
        rc, out, err = run(["sync", prof, "--yes"])
        # verify (run by sync --yes): the profile deletes users, the server (its
        # configuration never pushed) kept left.company
        t.check(rc == 3 and "API045" in out and len(emu.state()["users"]) > len(server_users),
                "SPE: sync works",
                out + err)
        prof = write_profile("spe-missing", emu, **{"target/instanceId": "nope"})
        rc, out, err = run(["pull", prof])
        t.check(rc == 1 and "does not exist" in err, "SPE: unknown instance named", err)
        prof = write_profile("spe-stopped", emu, **{"target/instanceId": "frozen"})
        rc, out, err = run(["pull", prof])
        t.check(rc == 1 and "not running" in err, "SPE: stopped instance named", err)


def test_metadata():
    with emulator() as emu:
        prof = write_profile("meta", emu)
        rc, out, err = run(["sync", prof, "--schedule", "daily@02:30", "--yes"])
        jobs = emu.state()["jobs"]
        t.check(rc == 0 and jobs and jobs[0]["time"] == "02:30" and
                jobs[0]["action"] == "SyncUsersWithDirectoryServices",
                "sync --schedule creates a MailStore job", out + err)
        rc, out, err = run(["sync", prof, "--schedule", "weekly:Friday@25:00"])
        t.check(rc == 64, "a bad --schedule is a usage error", err)
        before = len(emu.state()["jobs"])
        for bad in ("every:7", "every:0", "every:60x", "every:+60", "every:060"):
            rc, out, err = run(["sync", prof, "--schedule", bad, "--yes"])
            t.check(rc == 64 and "5, 10, 15" in err and len(emu.state()["jobs"]) == before,
                    "--schedule %s: an interval MailStore does not offer is a usage error"
                    % bad, err)
        rc, out, err = run(["sync", prof, "--schedule", "weekly:friday@03:15", "--yes"])
        jobs = emu.state()["jobs"]
        t.check(rc == 0 and jobs[-1].get("dayOfWeek") == "Friday" and
                jobs[-1].get("time") == "03:15", "weekly schedule", out + err)
        emu.control("hide", {"function": "CreateJob"})
        emu.control("hide", {"function": "SyncUsersWithDirectoryServices", "arg": "dryRun"})
        emu.reset_log()
        rc, out, err = run(["sync", prof, "--schedule", "every:60", "--yes"])
        t.check(rc == 1 and "does not support CreateJob" in err and
                "CreateJob" not in log_fns(emu),
                "a function get-metadata does not list is refused before sending", err)
        rc, out, err = run(["sync", prof])
        t.check(rc == 1 and "does not support argument 'dryRun'" in err,
                "an argument get-metadata does not list is refused before sending", err)


def test_profile_problems():
    with emulator() as emu:
        prof = write_profile("notarget", emu, target=None)
        rc, out, err = run(["plan", prof])
        t.check(rc == 1 and 'no "target" block' in err, "a profile without target: told how",
                err)
        prof = write_profile("badprof", emu, **{"target/usr": "x"})
        rc, out, err = run(["push", prof, "--yes"])
        t.check(rc == 3 and "PROF002" in err and "/target/usr" in err,
                "a profile with errors: findings with the path, exit 3", err)
        rc, out, err = run(["push", prof, "--yes"], env={"DG_MS_API_PW": ""})
        t.check(rc in (1, 3), "an unset password env is refused", err)
        prof = write_profile("nopw", emu)
        rc, out, err = run(["pull", prof], env={"DG_MS_API_PW": ""})
        t.check(rc == 1 and "DG_MS_API_PW" in err, "an empty password variable is named", err)
        rc, out, err = run(["push", "nosuch.plan"])
        t.check(rc != 0 and "nosuch.plan" in err, "a missing file is named", err)
        with open(os.path.join(tmp, "broken.plan"), "w") as f:
            f.write('{"dirgatePlan": 1, "profileFile": 3}')
        rc, out, err = run(["push", "broken.plan", "--yes"])
        t.check(rc == 1 and "profileFile" in err, "a broken plan file is named", err)


def test_sync_output():
    import pty
    with emulator(sync_steps=5, sync_step_ms=80) as emu:
        prof = write_profile("syncout", emu)
        rc, out, err = run(["sync", prof, "--yes", "--format", "json"])
        try:
            doc = json.loads(out)
        except ValueError:
            doc = {}
        # exit 3: verify finds users the unpushed server did not delete (API045)
        t.check(rc == 3 and doc.get("dryRun", {}).get("status") == "succeeded" and
                "API045" in json.dumps(doc.get("verify")) and
                doc.get("sync", {}).get("result", {}).get("created") and
                "created" in (doc["sync"].get("log") or ""),
                "sync --format json: both runs with status, log and result", out + err)
        t.check("%" not in err, "no progress on stderr when it is not a terminal", err)
        master, slave = pty.openpty()
        e = dict(os.environ, NO_COLOR="1", **ENV)
        p = subprocess.Popen([binary, "sync", prof], cwd=tmp, env=e, stdout=subprocess.PIPE,
                             stderr=slave)
        os.close(slave)
        got = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
        p.wait(timeout=60)
        os.close(master)
        text = got.decode("utf-8", "replace")
        outputs.append(("sync pty", text))
        t.check(p.returncode == 0 and "sync:" in text and "%" in text,
                "progress on stderr when it is a terminal", text)


def test_canaries():
    server_secrets = [SERVER_SECRET] + UNEXPECTED_CANARIES
    leaks = [name for name, text in outputs
             if API_PW in text or BIND_PW in text or
             (any(c in text for c in server_secrets) and "include-secrets" not in name)]
    t.check(not leaks, "no secret canary in any output", leaks)
    # every file the commands wrote (plans, backups, rename lists, listings)
    for f in sorted(os.listdir(tmp)):
        p = os.path.join(tmp, f)
        if not os.path.isfile(p):
            continue
        with open(p, "rb") as fh:
            data = fh.read()
        t.check(API_PW.encode() not in data and BIND_PW.encode() not in data and
                not any(c.encode() in data for c in server_secrets),
                "no canary in written file %s" % f)


def dir_users(n, prefix="d"):
    """n users that came from directory services, and their directory entries."""
    srv = [{"userName": "%s%03d" % (prefix, i), "fullName": "User %d" % i,
            "authentication": "directoryServices"} for i in range(n)]
    return srv, [{"userName": u["userName"], "fullName": u["fullName"],
                  "emailAddresses": []} for u in srv]


def test_sync_guards():
    """sync --yes measures the guards on the dry run's result and refuses the
    real run; each guard holds at its exact limit and trips one past it."""
    cfg = dict(config, automaticallyDeleteUsers=True)
    srv, entries = dir_users(100)
    with emulator(users=srv, directory=entries[:1], config=cfg, sync_steps=1,
                  sync_step_ms=10) as emu:
        prof = write_profile("sg-shrink", emu)
        rc, out, err = run(["sync", prof, "--yes"])
        st = emu.state()
        runs = [e["args"].get("dryRun") for e in emu.log()
                if e.get("function") == "SyncUsersWithDirectoryServices"]
        t.check(rc == 3 and "GUARD006" in err and "delete 99 users" in err and
                "maxDeletes (5)" in err and len(st["users"]) == 100 and runs == ["true"],
                "sync --yes: a directory shrunk from 100 to 1 is refused by maxDeletes, "
                "the real run never sent", "%s %s %s" % (rc, runs, err))
        t.check("GUARD005" in err and "99.0%" in err,
                "sync --yes: the drop is named with its numbers too", err)
        dflt = write_profile("sg-default", emu, **{"sync/guards/maxDeletes": None,
                                                   "sync/guards/maxDropPercent": None})
        rc, out, err = run(["sync", dflt, "--yes"])
        t.check(rc == 3 and "GUARD006" in err and "maxDeletes (10)" in err and
                len(emu.state()["users"]) == 100,
                "sync --yes: maxDeletes not set, the default 10 refuses 99 deletes", err)
        rc, out, err = run(["sync", prof, "--yes", "--format", "json"])
        doc = json.loads(out) if out.strip() else {}
        t.check(rc == 3 and "GUARD006" in [f["code"] for f in doc.get("findings", [])] and
                "sync" not in doc, "sync --format json: the guard findings in the JSON",
                out + err)
        emu.fault("SyncUsersWithDirectoryServices", "no-result", args={"dryRun": "true"})
        rc, out, err = run(["sync", prof, "--yes"])
        t.check(rc == 3 and "GUARD008" in err and "maxDeletes not evaluated" in err and
                "no count of the users it would delete" in err and
                "(dry run) deleted:" in out and len(emu.state()["users"]) == 100,
                "a dry run without a result dirgate understands: guards not evaluated, "
                "refused, the server's log shown", out + err)
        emu.fault("SyncUsersWithDirectoryServices", "no-result", args={"dryRun": "true"})
        rc, out, err = run(["sync", prof, "--yes", "--force"])
        # exit 3: verify finds the preview's users missing from this directory
        t.check(rc == 3 and "API040" in out and "GUARD007" in err and
                len(emu.state()["users"]) == 1,
                "sync --yes --force runs although the guards were not evaluated, loudly",
                out + err)
        rc, out, err = run(["sync", prof, "--schedule", "daily@02:00", "--yes"])
        t.check(rc == 0 and "GUARD009" in err and "without dirgate's guards" in err and
                "systemd" in err, "sync --schedule says the job is unguarded", err)
    # limits: 10 synchronised users, the directory keeps 5 -> 5 deletes, a
    # 50% drop, 5 users; every guard exactly at its limit passes
    srv, entries = dir_users(10)
    with emulator(users=srv, directory=entries[:5], config=cfg, sync_steps=1,
                  sync_step_ms=10) as emu:
        at = {"sync/guards/minUsers": 5, "sync/guards/maxDeletes": 5,
              "sync/guards/maxDropPercent": 50}
        for what, key, val, code in (
                ("at every limit", None, None, None),
                ("minUsers one above", "sync/guards/minUsers", 6, "GUARD004"),
                ("maxDeletes one below", "sync/guards/maxDeletes", 4, "GUARD006"),
                ("maxDropPercent just below", "sync/guards/maxDropPercent", 49.9, "GUARD005"),
                ("maxDropPercent 0", "sync/guards/maxDropPercent", 0, "GUARD005")):
            over = dict(at)
            if key:
                over[key] = val
            prof = write_profile("sg-limit", emu, **over)
            rc, out, err = run(["sync", prof])
            codes = sorted(set(c for c in ("GUARD004", "GUARD005", "GUARD006") if c in err))
            t.check((rc, codes) == ((3, [code]) if code else (0, [])),
                    "sync guard %s: %s" % (what, "refused (%s)" % code if code else "passes"),
                    "%s %s" % (rc, err))
        prof = write_profile("sg-limit", emu, **at)
        rc, out, err = run(["sync", prof])
        t.check(rc == 0 and "guards hold on the dry run: 5 users after it (minUsers 5), 5 to "
                "delete (maxDeletes 5), 10 from directory services before it "
                "(maxDropPercent 50%)" in out,
                "sync says what the guards were measured on when they hold", out)
        rc, out, err = run(["sync", prof, "--yes"])
        # exit 3: verify finds the preview's users missing from this directory
        t.check(rc == 3 and "API040" in out and len(emu.state()["users"]) == 5,
                "sync --yes at every limit synchronises for real", out + err)


def test_push_guard_limits():
    """push (and plan) guards at their exact limits."""
    n = len(users)
    extra, _ = dir_users(2 * n - 4, "x")
    # directory-services users on the server: 4 + 2n-4 = 2n; the directory
    # gives n: a 50% drop; deletes: left.company and the extras, 2n-3
    with emulator(users=server_users + extra) as emu:
        at = {"sync/guards/minUsers": n, "sync/guards/maxDeletes": 2 * n - 3,
              "sync/guards/maxDropPercent": 50}
        for what, key, val, code in (
                ("at every limit", None, None, None),
                ("minUsers one above", "sync/guards/minUsers", n + 1, "GUARD004"),
                ("maxDeletes one below", "sync/guards/maxDeletes", 2 * n - 4, "GUARD006"),
                ("maxDropPercent just below", "sync/guards/maxDropPercent", 49.9, "GUARD005"),
                ("maxDropPercent 0", "sync/guards/maxDropPercent", 0, "GUARD005")):
            over = dict(at)
            if key:
                over[key] = val
            prof = write_profile("pg-limit", emu, **over)
            rc, out, err = run(["push", prof])
            codes = sorted(set(c for c in ("GUARD004", "GUARD005", "GUARD006") if c in err))
            t.check((rc, codes) == ((3, [code]) if code else (0, [])),
                    "push guard %s: %s" % (what, "refused (%s)" % code if code else "passes"),
                    "%s %s" % (rc, err))
            rc, out, err = run(["plan", prof])
            t.check(rc == (3 if code else 0),
                    "plan exits %d %s" % (3 if code else 0, what), "%s %s" % (rc, err))
        # maxDeletes not set: the default (10) applies
        prof = write_profile("pg-default", emu, **{"sync/guards/maxDeletes": None,
                                                   "sync/guards/maxDropPercent": None})
        rc, out, err = run(["plan", prof])
        t.check(rc == 3 and "GUARD006" in err + out and "maxDeletes (10)" in err + out,
                "maxDeletes not set: the default 10 refuses %d deletes" % (2 * n - 3),
                out[-600:] + err)


def plan_digest(plan, profile_file):
    """The digest dirgate computes (docs/findings.md, API015)."""
    import hmac
    import hashlib
    body = {k: v for k, v in plan.items() if k != "digest"}
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    with open(profile_file, "rb") as f:
        key = f.read()
    return "hmac-sha256:" + hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def rewrite_plan(path, edit, reseal):
    with open(os.path.join(tmp, path)) as f:
        plan = json.load(f)
    edit(plan)
    if reseal:
        plan["digest"] = plan_digest(plan, plan["profileFile"])
    with open(os.path.join(tmp, path), "w") as f:
        json.dump(plan, f, indent=2)


def test_saved_plan_integrity():
    with emulator() as emu:
        prof = write_profile("sp", emu, **{"sync/guards/maxDeletes": 0})
        rc, out, err = run(["plan", prof, "--out", "sp.plan"])
        with open(os.path.join(tmp, "sp.plan")) as f:
            plan = json.load(f)
        t.check(rc == 3 and plan.get("digest") == plan_digest(plan, plan["profileFile"]),
                "a saved plan carries an HMAC digest keyed with its profile",
                "%s %s" % (rc, plan.get("digest")))
        # an edit that drops the guard error
        rewrite_plan("sp.plan", lambda p: p.update(findings=[]), False)
        rc, out, err = run(["push", "sp.plan", "--yes", "--backup", "sp-b1.json"])
        t.check(rc == 1 and "API015" in err and "edited" in err and
                emu.state()["config"]["server"] == "old-dc.contoso.com",
                "push PLAN refuses a plan whose guard findings were edited away", err)
        # the same edit with a valid digest: the guards are measured again
        rewrite_plan("sp.plan", lambda p: None, True)
        rc, out, err = run(["push", "sp.plan", "--yes", "--backup", "sp-b2.json"])
        t.check(rc == 3 and "GUARD006" in err and
                emu.state()["config"]["server"] == "old-dc.contoso.com",
                "push PLAN recomputes the guards at apply time", err)
        # the API password moved into a plain key
        prof = write_profile("sp2", emu)
        rc, out, err = run(["plan", prof, "--out", "sp2.plan"])

        def move(p):
            p["configAfter"]["server"] = {"$secret": "/target/password"}
        rewrite_plan("sp2.plan", move, False)
        rc, out, err = run(["push", "sp2.plan", "--yes", "--backup", "sp-b3.json"])
        t.check(rc == 1 and "API015" in err and
                API_PW not in json.dumps(emu.state()["config"]),
                "push PLAN refuses a plan whose secret placeholder was moved", err)
        rewrite_plan("sp2.plan", lambda p: None, True)
        rc, out, err = run(["push", "sp2.plan", "--yes", "--backup", "sp-b4.json"])
        t.check(rc == 1 and "API016" in err and "/server" in err and
                API_PW not in json.dumps(emu.state()["config"]),
                "a secret placeholder where the target map puts no secret is refused",
                err)
        # the profile changed after the plan was made
        rc, out, err = run(["plan", prof, "--out", "sp3.plan"])
        with open(prof, "a") as f:
            f.write("\n")
        rc, out, err = run(["push", "sp3.plan", "--yes", "--backup", "sp-b5.json"])
        t.check(rc == 1 and "API015" in err and "profile" in err,
                "push PLAN refuses a plan whose profile changed", err)


def test_backups():
    with emulator() as emu:
        prof = write_profile("bk", emu)
        run(["pull", prof, "--output", "bk-pulled.json"])
        # default names of this and the next seconds already taken
        now = time.time()
        taken = set()
        for d in range(-1, 15):
            name = "bk-dsconfig-backup-%s.json" % time.strftime(
                "%Y%m%dT%H%M%SZ", time.gmtime(now + d))
            with open(os.path.join(tmp, name), "w") as f:
                f.write("keep me\n")
            taken.add(name)
        before = set(os.listdir(tmp))
        rcs = [run(["push", prof, "--restore", "bk-pulled.json", "--yes"])[0]
               for _ in range(2)]
        new = sorted(set(os.listdir(tmp)) - before)
        kept = all(open(os.path.join(tmp, n)).read() == "keep me\n" for n in taken)
        modes = [os.stat(os.path.join(tmp, n)).st_mode & 0o777 for n in new]
        t.check(rcs == [0, 0] and len(new) == 2 and kept and modes == [0o600, 0o600],
                "two pushes in one second: two backups, unique names, 0600, none "
                "overwritten", "%s %s %s" % (rcs, new, modes))
        # a link at the backup path is not followed, a file not replaced
        with open(os.path.join(tmp, "bk-target.txt"), "w") as f:
            f.write("untouched\n")
        os.symlink("bk-target.txt", os.path.join(tmp, "bk-link.json"))
        rc, out, err = run(["push", prof, "--restore", "bk-pulled.json", "--yes",
                            "--backup", "bk-link.json"])
        with open(os.path.join(tmp, "bk-target.txt")) as f:
            target = f.read()
        t.check(rc == 1 and "already exists" in err and target == "untouched\n" and
                os.path.islink(os.path.join(tmp, "bk-link.json")),
                "a symlink at the backup path is refused, never followed", err)
        os.unlink(os.path.join(tmp, "bk-link.json"))
        os.unlink(os.path.join(tmp, "bk-target.txt"))
        # pulls and plans over an existing 0644 file become 0600
        for args, name in ((["pull", prof, "--output", "bk-open.json"], "bk-open.json"),
                           (["plan", prof, "--out", "bk-open.plan"], "bk-open.plan")):
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write("{}")
            os.chmod(path, 0o644)
            rc, out, err = run(args)
            t.check(rc == 0 and os.stat(path).st_mode & 0o777 == 0o600,
                    "%s over a 0644 file leaves it 0600" % args[0], err)


def test_lost_answer():
    """A Set whose answer is lost: read back, applied or not, --restore shown."""
    for kind, applied in (("applied-then-drop", True), ("applied-then-500", True),
                          ("500", False), ("drop", False)):
        with emulator() as emu:
            prof = write_profile("lost", emu)
            emu.fault("SetDirectoryServicesConfiguration", kind)
            backup = "lost-%s.json" % kind
            rc, out, err = run(["push", prof, "--yes", "--force", "--backup", backup])
            server = emu.state()["config"]["server"]
            sets = sum(1 for e in emu.log()
                       if e.get("function") == "SetDirectoryServicesConfiguration")
            said = "WAS applied" if applied else "NOT applied"
            t.check(rc == 1 and "API014" in err and said in err and
                    "--restore %s --yes" % backup in err and sets == 1 and
                    server == ("dc01.contoso.com" if applied else "old-dc.contoso.com"),
                    "Set fault %s: read back, says %s, prints --restore" % (kind, said),
                    "%s %s %s" % (rc, server, err))
    with emulator() as emu:
        prof = write_profile("lost", emu)
        emu.fault("SetDirectoryServicesConfiguration", "applied-then-outage")
        rc, out, err = run(["push", prof, "--yes", "--force", "--backup", "lost-outage.json"])
        t.check(rc == 1 and "API014" in err and "unknown" in err and "applied." not in err and
                "--restore lost-outage.json --yes" in err,
                "Set answer lost and the read-back fails too: 'unknown', never a guess", err)


for fn in (test_pipeline, test_guards, test_plan_quality, test_migrate, test_cancel, test_cancel_not_honoured,
           test_faults,
           test_vanished_user, test_tls,
           test_spe, test_metadata, test_profile_problems, test_sync_output,
           test_sync_guards, test_push_guard_limits, test_saved_plan_integrity, test_backups,
           test_lost_answer, test_canaries):
    try:
        fn()
    except Exception as e:  # a broken step is a failure, not a crash of the run
        import traceback
        t.check(False, fn.__name__ + " raised", traceback.format_exc())
t.done()
