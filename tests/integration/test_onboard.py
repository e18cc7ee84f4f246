#!/usr/bin/env python3
"""dirgate onboard end to end: 27 tenants (Active Directory, OpenLDAP and
Microsoft 365 snapshots, live LDAP from a private slapd and live Google
Workspace from the Admin SDK emulator, from a CSV customer list) on one
MailStore SPE emulator (tests/emulators/mailstore_api.py); all started and
stopped here.

Proves: rendering with positions in the manifest; a first run with broken
tenants (the others finish, exit 3, the report names the cause); SPE
instances created (from 'pull --instance-config') and started; Ctrl-C
mid-run, then the same command resumes (nothing done twice, no duplicate
job); a server change between plan and apply; --shard halves merged equal
the whole; secrets (canaries) never in the report, the state file, the
rendered profiles or any output; the HTML page in headless Chromium
(skipped when Chromium is not installed)."""

import csv
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
from tap import Tap, run_pty  # noqa: E402
from mailstore_fixture import Emulator, make_certs, stop_process  # noqa: E402
sys.path.insert(0, here)
import slapd  # noqa: E402
import google_directory as gd  # noqa: E402

binary = os.path.abspath(sys.argv[1])
t = Tap()
tmp = tempfile.mkdtemp(prefix="dg-onboard-")
demo = os.path.join(root, "examples", "demo")
API_PW = "CANARY-onboard-api-3d9a71"
BIND_PREFIX = "CANARY-bind-"
GOOGLE_SECRET = "CANARY-google-client-secret-61e0"
outputs = []

TEMPLATES = ["ad", "ldap", "m365"]
N = 27
ids = ["t%02d" % i for i in range(1, N + 1)]
template_of = {tid: TEMPLATES[i % 3] for i, tid in enumerate(ids)}
for tid in ids[24:]:
    template_of[tid] = "slapd"   # live: libldap on the tenants' threads
for tid in ("t20", "t21"):
    template_of[tid] = "google"  # live: the Admin SDK emulator, a token per tenant
NO_SECRET = "t04"        # broken: its bind password file is missing
NO_SPA = "t07"           # broken: service-provider access is off
STOPPED = "t05"          # stopped: the manifest says start it
CREATED = "t24"          # does not exist: created from the template's configuration
CHANGED = "t10"          # the server changes between plan and apply
template_of[CREATED] = "ad"
BROKEN = {NO_SECRET, NO_SPA}
existing = [i for i in ids if i not in (STOPPED, CREATED)] + ["template"]


def run(args, timeout=180, env=None):
    e = dict(os.environ, NO_COLOR="1", LC_ALL="C.UTF-8", DG_API_PW=API_PW,
             DG_IT_PW=slapd.ROOT_PW, DG_GOOGLE_SECRET=GOOGLE_SECRET)
    e.update(env or {})
    r = subprocess.run([binary] + args, cwd=tmp, env=e, capture_output=True,
                       timeout=timeout)
    out, err = r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
    outputs.append((" ".join(args), out + err))
    return r.returncode, out, err


def write(path, text):
    path = os.path.join(tmp, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    return path


def demo_profile(name):
    with open(os.path.join(demo, name)) as f:
        p = json.load(f)
    p["directory"]["snapshot"] = os.path.join(demo, p["directory"]["snapshot"])
    return p


def slapd_directory(s):
    return {"type": "ldap", "server": "127.0.0.1", "port": s.main.ldaps_port,
            "protocol": "ldap-ssl", "baseDn": slapd.SUFFIX, "tls": {"caFile": s.ca_file},
            "bind": {"dn": slapd.ROOT_DN, "password": {"env": "DG_IT_PW"}},
            "users": {"filter": "(objectClass=inetOrgPerson)", "userNameAttribute": "uid",
                      "fullNameAttribute": "displayName", "emailAttribute": "mail"},
            "groups": {"filter": "(objectClass=groupOfNames)", "membersAttribute": "member",
                       "names": ["engineering"]}}


def google_directory(g):
    return {"type": "google-workspace", "serviceAccountKeyFile": g.key_file,
            "adminUser": "admin@example.com", "apiUrl": g.api_url,
            "tls": {"caFile": g.ca_file}}


def google_auth(redirect):
    return {"method": "google-oidc",
            "clientId": "402589133417-abc.apps.googleusercontent.com",
            "clientSecret": {"env": "DG_GOOGLE_SECRET"}, "redirectUri": redirect}


def templates(s, g):
    ad, ldap, m365 = (demo_profile(n) for n in
                      ("profile.json", "ldap-profile.json", "m365-profile.json"))
    ad["directory"]["server"] = "dc01.${tenant.domain}"
    ad["directory"]["domain"] = "${tenant.domain}"
    ad["directory"]["bind"]["password"] = {"file": "secrets/${tenant.id}/ldap.pw"}
    ad["authentication"] = {"method": "standard"}
    ldap["directory"]["server"] = "ldap.${tenant.domain}"
    ldap["directory"]["bind"]["password"] = {"file": "secrets/${tenant.id}/ldap.pw"}
    m365["directory"]["certificate"] = {"certFile": "certs/${tenant.id}/certificate.pem",
                                        "keyFile": "certs/${tenant.id}/private-key.pem"}
    m365["authentication"]["redirectUri"] = "https://archive.example.net/${tenant.id}/oidc/signin"
    return {"slapd": {"directory": slapd_directory(s),
                      "authentication": {"method": "standard"}},
            "google": {"directory": google_directory(g),
                       "authentication": google_auth(
                           "https://archive.example.net/${tenant.id}/oidc/signin")},
            "ad": {k: ad[k] for k in ("directory", "authentication")},
            "ldap": {k: ldap[k] for k in ("directory", "authentication")},
            "m365": {k: m365[k] for k in ("directory", "authentication")}}


def write_manifest(emu, create_cfg, s, g):
    m = {
        "$schema": os.path.join(root, "schemas", "manifest.schema.json"),
        "version": 1,
        "defaults": {
            "target": {"url": emu.url, "product": "spe", "instanceId": "${tenant.id}",
                       "user": "admin", "password": {"env": "DG_API_PW"},
                       "tls": {"caFile": emu.ca_file}},
            "sync": {"deleteUsers": False, "defaultPrivileges": ["login"],
                     "guards": {"minUsers": 1, "maxDeletes": 5, "maxDropPercent": 50}},
        },
        "templates": templates(s, g),
        "onboard": {"schedule": "daily@02:30",
                    "instance": {"start": True, "create": create_cfg,
                                 "startTimeoutSeconds": 20},
                    "certificate": {"generate": True, "days": 30}},
        "tenants": {"csv": "customers.csv"},
    }
    with open(os.path.join(tmp, "customers.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "template", "domain"])
        for tid in ids:
            w.writerow([tid, template_of[tid], tid + ".example"])
    with open(os.path.join(tmp, "manifest.json"), "w") as f:
        json.dump(m, f, indent=2)


def fixture(profile_path):
    """What a directory holds, for the emulator's synchronisation."""
    rc, out, err = run(["preview", os.path.join(demo, profile_path), "--format", "json"])
    users = json.loads(out)["users"] if rc == 0 else []
    return [{"userName": u["userName"], "fullName": u["fullName"],
             "distinguishedName": u["distinguishedName"],
             "emailAddresses": u["emailAddresses"]} for u in users]


def report(path):
    """A report; an empty one (every check on it fails) when it is missing."""
    try:
        with open(os.path.join(tmp, path)) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print("# cannot read %s: %s" % (path, e))
        return {"tenants": [], "summary": {"done": 0}}


def by_id(rep):
    return {x["id"]: x for x in rep["tenants"]}


def sync_calls(emu, dry):
    return [e["args"].get("instanceID") for e in emu.log()
            if e.get("function") == "SyncUsersWithDirectoryServices" and
            e.get("args", {}).get("dryRun") == ("true" if dry else "false")]


def api(emu, fn, **args):
    """One raw Administration API call: the envelope."""
    import base64
    import ssl
    import urllib.parse
    import urllib.request
    body = urllib.parse.urlencode(args).encode()
    auth = "Basic " + base64.b64encode(("admin:" + API_PW).encode()).decode()
    req = urllib.request.Request(
        emu.url + "/api/invoke/" + fn, data=body, method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": auth})
    ctx = ssl.create_default_context(cafile=emu.ca_file)
    with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
        return json.loads(r.read()[3:])


def test_emulator_refusals(emu):
    """The SPE emulator refuses what MailStore SPE would."""
    cases = [
        (api(emu, "CreateInstance", config=json.dumps({"instanceID": "t01"})),
         "already exists"),
        (api(emu, "CreateInstance", config=json.dumps({"alias": "x"})), "instanceID"),
        (api(emu, "StartInstances", instanceFilter="nosuch"), "No instance matches"),
        (api(emu, "GetUsers", instanceID="nosuch"), "does not exist"),
        (api(emu, "GetUsers", instanceID=NO_SPA), "Service provider access"),
        (api(emu, "GetUsers", instanceID=STOPPED), "not running"),
    ]
    bad = [(c[0].get("statusCode"), (c[0].get("error") or {}).get("message"), c[1])
           for c in cases if c[0].get("statusCode") != "failed" or
           c[1] not in (c[0].get("error") or {}).get("message", "")]
    cfg = api(emu, "GetInstanceConfiguration", instanceID=STOPPED)
    t.check(not bad and cfg.get("statusCode") == "succeeded",
            "emulator: CreateInstance/StartInstances/instance calls refused as SPE would; "
            "GetInstanceConfiguration reads a stopped instance", json.dumps(bad))


def canary_free(label, text):
    bad = [c for c in [API_PW, slapd.ROOT_PW, GOOGLE_SECRET, BIND_PREFIX + "literal"] +
           [BIND_PREFIX + i for i in ids]
           if c in text]
    t.check(not bad, "no secret in " + label, ", ".join(bad))


def line_col(path, needle):
    """1-based line:column of the first `needle` in a file (a key's quote)."""
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if needle in line:
                return "%d:%d" % (n, line.index(needle) + 1)
    return "?"


def test_manifest_errors():
    """Bad manifests: each message at the manifest's line:column; RFC 7396
    null removes what the defaults set."""
    bad = os.path.join(tmp, "typo.json")
    with open(bad, "w") as f:
        json.dump({"defaults": {}, "tenants": [], "tennants": 1}, f, indent=1)
    rc, out, err = run(["onboard", "typo.json"])
    t.check(rc == 3 and "typo.json:%s: error FLEET001" % line_col(bad, '"tennants"') in err and
            'did you mean "tenants"' in err, "unknown manifest key: FLEET001 at its line, "
            "with a did-you-mean", err)
    m = {"defaults": {"name": "x-${tenant.id}",
                      "directory": {"type": "ldap", "server": "ldap.example.com",
                                    "baseDn": "dc=example,dc=com",
                                    "snapshot": os.path.join(demo, "ldap-directory.ldif")},
                      "sync": {"deleteUsers": False, "guards": {"minUsers": 2}}},
         "tenants": [{"id": "a", "template": "nope"},
                     {"id": "b", "profile": {"directory": {"server": "${tenant.missing}"}}},
                     {"id": "B"},
                     {"id": "c", "profile": {"sync": {"guards": None}}, "note": "$${x}"},
                     {"id": "d", "profile": {"directory": {"bind": {
                         "password": BIND_PREFIX + "literal"}}}}]}
    path = os.path.join(tmp, "errors.json")
    with open(path, "w") as f:
        json.dump(m, f, indent=1)
    rc, out, err = run(["onboard", "errors.json", "--render", "errors-out"])
    t.check(rc == 3 and "errors.json:%s: error FLEET003" % line_col(path, '"template"') in err,
            "unknown template: FLEET003 at the tenant's template", err)
    t.check("errors.json:%s: error FLEET004" % line_col(path, '"server": "${') in err and
            "${tenant.missing}" in err, "unknown variable: FLEET004 where the string is", err)
    t.check("FLEET002" in err and '"B" is given twice' in err,
            "ids are unique regardless of case: FLEET002", err)
    try:
        with open(os.path.join(tmp, "errors-out", "c.json")) as f:
            c = json.load(f)
    except (OSError, ValueError):
        c = {}
    t.check("errors.json:%s: error FLEET017" % line_col(path, '"password"') in err and
            not os.path.exists(os.path.join(tmp, "errors-out", "d.json")),
            "a secret written in the manifest: FLEET017 at its line, no profile rendered", err)
    t.check(c.get("name") == "x-c" and "guards" not in c.get("sync", {"guards": 1}) and
            c["sync"].get("deleteUsers") is False,
            "merge patch: null removes what the defaults set, the rest stays", json.dumps(c))
    for args in (["--shard", "3/2"], ["--jobs", "0"], ["--stop-after", "lunch"], []):
        rc, _, err = run(["onboard"] + args + (["errors.json"] if args else []))
        t.check(rc == 64, "usage error: exit 64 for %s" % (" ".join(args) or "no manifest"),
                str(rc) + err)


certs = make_certs(os.path.join(tmp, "tls"))
test_manifest_errors()
for tid in ids:
    if tid != NO_SECRET:
        write("secrets/%s/ldap.pw" % tid, BIND_PREFIX + tid + "\n")
slapd.install_signal_handlers(lambda: None)
slapds = slapd.SlapdSet(n_bulk=20)
emu = None
slapds.__enter__()
google = gd.GoogleEmulator(os.path.join(tmp, "google"), users=gd.make_users(40),
                           groups={})
try:
    google.start()
    live_profile = write("live-profile.json", json.dumps(
        {"name": "live", "directory": slapd_directory(slapds)}))
    google_profile = write("google-profile.json", json.dumps(
        {"name": "google", "directory": google_directory(google),
         "authentication": google_auth("https://archive.example.net/g/oidc/signin")}))
    dirs = {"ad": fixture("profile.json"), "ldap": fixture("ldap-profile.json"),
            "m365": fixture("m365-profile.json"), "slapd": fixture(live_profile),
            "google": fixture(google_profile)}
    t.check(all(dirs.values()), "the five directories preview (three snapshots, slapd and "
            "the Google emulator live)",
            json.dumps({k: len(v) for k, v in dirs.items()}))
    emu = Emulator(spe=True, instances=existing, stopped_instance=STOPPED, certs=certs,
                   password=API_PW, directory=dirs["ad"], sync_steps=4, sync_step_ms=30)
    emu.start()
    for tid in ids:
        if tid != CREATED:
            emu.control("directory", dirs[template_of[tid]], instance=tid)
    emu.control("instance", {"id": NO_SPA, "serviceProviderAccess": False})
    test_emulator_refusals(emu)

    # --- pull --instance-config: the raw object CreateInstance takes
    tpl = write("template-profile.json", json.dumps(dict(
        demo_profile("ldap-profile.json"), name="template",
        target={"url": emu.url, "product": "spe", "instanceId": "template",
                "user": "admin", "password": {"env": "DG_API_PW"},
                "tls": {"caFile": emu.ca_file}})))
    rc, out, err = run(["pull", tpl, "--instance-config"])
    create_cfg = json.loads(out) if rc == 0 else {}
    t.check(rc == 0 and create_cfg.get("instanceID") == "template",
            "pull --instance-config writes GetInstanceConfiguration's object", err + out)
    write_manifest(emu, create_cfg, slapds, google)

    # --- render
    rc, out, err = run(["onboard", "manifest.json", "--render", "rendered"])
    t.check(rc == 3, "render: exit 3 (a tenant's secret file is missing)", str(rc) + err[-600:])
    t.check("tenant t04" in err and "manifest.json:" in err and "SECRET002" in err,
            "render names the manifest's file:line:column for a tenant's profile",
            err[-1500:])
    rendered = sorted(os.listdir(os.path.join(tmp, "rendered")))
    t.check(len(rendered) == N, "render writes every tenant's profile", str(rendered))
    with open(os.path.join(tmp, "rendered", "t02.json")) as f:
        r2 = json.load(f)
    t.check(r2["target"]["instanceId"] == "t02" and
            r2["directory"]["server"] == "ldap.t02.example" and
            r2["directory"]["bind"]["password"]["file"] ==
            os.path.join(os.path.realpath(tmp), "secrets/t02/ldap.pw") and r2["name"] == "t02",
            "render: defaults, template, CSV variables; paths made absolute",
            json.dumps(r2)[:700])

    # --- --stop-after, and progress on a terminal
    emu.reset_log()
    rc, out, err = run(["onboard", "manifest.json", "--only", "t01", "--artifacts", "stop",
                        "--stop-after", "check"])
    st = report("stop/report.json")
    t.check(rc == 0 and st["tenants"][0]["step"] == "check" and st["goal"] == "check" and
            not [e for e in emu.log() if e.get("args", {}).get("instanceID") == "t01"],
            "--stop-after check: the tenant stops there, the server is not asked",
            str(rc) + json.dumps(st)[:600])
    rc, _, term = run_pty(binary, ["onboard", "manifest.json", "--only", "t01,t02",
                                   "--artifacts", "pty"], cwd=tmp,
                          env={"DG_API_PW": API_PW, "DG_IT_PW": slapd.ROOT_PW})
    term = term.decode("utf-8", "replace")
    outputs.append(("pty run", term))
    t.check(rc == 0 and "onboard: 2 done, 0 failed, 0 left" in term and " plan" in term,
            "progress on a terminal: running tenants' steps and the counts", term[-800:])

    # --- the per-endpoint limit: never more calls in flight than tenants allowed
    def most_in_flight(per_endpoint, name):
        emu.control("latency", {"ms": 120})
        emu.reset_log()
        rc, _, err = run(["onboard", "manifest.json", "--only", "t01,t02,t08,t11,t14,t17",
                          "--artifacts", name, "--jobs", "6", "--per-endpoint",
                          str(per_endpoint)])
        emu.control("latency", {"ms": 0})
        return rc, emu.state()["maxInFlight"], err
    rc, most, err = most_in_flight(2, "limit2")
    rc6, most6, _ = most_in_flight(6, "limit6")
    t.check(rc == 0 and most == 2 and most6 > 2,
            "--per-endpoint 2 with --jobs 6: at most 2 calls in flight (%d with 6)" % most6,
            "rc %d, most in flight %d\n%s" % (rc, most, err[-600:]))

    # --- a server change between plan and apply (its own state)
    rc, out, err = run(["onboard", "manifest.json", "--only", CHANGED,
                        "--artifacts", "change"])
    st = report("change/report.json")
    t.check(rc == 0 and st["tenants"][0]["status"] == "done" and
            st["tenants"][0]["step"] == "plan", "without --yes the run stops at the plan",
            str(rc) + out + err[-800:])
    emu.control("users", [{"userName": "intruder", "fullName": "Changed Meanwhile"}],
                instance=CHANGED)
    # a backup of this second (and the next ones) exists already, as after
    # an interrupted run resumed at once: the new one gets another name
    now = time.time()
    taken = set()
    for d in range(4):
        taken.add(write("change/%s/dsconfig-backup-%s.json" % (
            CHANGED, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now + d))), "{}\n"))
    rc, out, err = run(["onboard", "manifest.json", "--only", CHANGED,
                        "--artifacts", "change", "--yes"])
    st = by_id(report("change/report.json")).get(CHANGED, {})
    codes = [f["code"] for f in st.get("findings", [])]
    t.check(rc == 0 and st.get("status") == "done" and "FLEET014" in codes,
            "the server changed since the plan: planned again (FLEET014), then applied",
            str(rc) + json.dumps(st)[:1500] + err[-600:])
    backup = os.path.join(tmp, st.get("artifacts", {}).get("backup") or "-")
    t.check(backup.endswith("-2.json") and os.path.exists(backup) and
            all(open(p).read() == "{}\n" for p in taken),
            "a backup name taken in the same second: the next one, nothing overwritten",
            backup)

    # --- the main run, interrupted
    emu.control("fault", {"function": "SyncUsersWithDirectoryServices", "kind": "slow",
                          "delayMs": 400, "count": 1000})
    emu.reset_log()
    env = dict(os.environ, NO_COLOR="1", LC_ALL="C.UTF-8", DG_API_PW=API_PW,
               DG_IT_PW=slapd.ROOT_PW)
    p = subprocess.Popen([binary, "onboard", "manifest.json", "--yes", "--jobs", "3",
                          "--html", "report.html"], cwd=tmp, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    state_path = os.path.join(tmp, "manifest.onboard", "state.json")
    deadline = time.time() + 60
    while time.time() < deadline and p.poll() is None:
        try:
            with open(state_path) as f:
                done = [k for k, v in json.load(f)["tenants"].items() if v["step"] == "done"]
            if len(done) >= 3:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        stop_process(p, 5)
        out, err = b"", b"timeout"
    out, err = out.decode(), err.decode()
    outputs.append(("interrupted run", out + err))
    if p.returncode not in (1, 3):
        print("# interrupted run: exit %s\n# %s" % (p.returncode,
                                                 err[-3000:].replace("\n", "\n# ")))
    rep = report("manifest.onboard/report.json")
    ten = by_id(rep)
    interrupted = [i for i, x in ten.items() if x["status"] == "interrupted"]
    t.check(p.returncode == 1 and interrupted and rep["summary"]["done"] >= 3,
            "Ctrl-C: exit 1, some tenants done, the rest interrupted",
            "rc %s, summary %s\n%s" % (p.returncode, rep["summary"], err[-800:]))
    with open(state_path) as f:
        state = json.load(f)
    t.check(all(v["step"] in ("done", "plan", "push", "sync", "verify", "schedule",
                              "instance", "certificate", "live-check", "check", "render")
                for v in state["tenants"].values()), "the state file is whole and valid",
            json.dumps(state)[:600])
    cancelled = [x for x in emu.state()["tokens"] if x["cancelRequested"]]
    t.check(bool(cancelled) or all(ten[i]["step"] != "sync" for i in interrupted),
            "Ctrl-C cancels the running server jobs", json.dumps(emu.state()["tokens"])[:600])
    done_first = {i for i, x in ten.items() if x["status"] == "done"}

    # --- resume: the same command
    emu.control("clear-faults", {})
    emu.reset_log()
    rc, out, err = run(["onboard", "manifest.json", "--yes", "--jobs", "3", "--html",
                        "report.html"])
    rep = report("manifest.onboard/report.json")
    ten = by_id(rep)
    t.check(rc == 3, "resumed run: exit 3 (broken tenants), others done",
            str(rc) + out[-1500:] + err[-600:])
    t.check(all(ten[i]["status"] == "resumed" for i in done_first),
            "finished tenants are skipped", json.dumps({i: ten[i]["status"] for i in ids}))
    synced_again = set(sync_calls(emu, False)) & done_first
    t.check(not synced_again, "nothing done twice: no second synchronisation",
            str(synced_again))
    good = [i for i in ids if i not in BROKEN]
    t.check(all(ten[i]["status"] in ("done", "resumed") for i in good),
            "every other tenant reaches its goal",
            json.dumps({i: (ten[i]["status"], ten[i]["failedStep"]) for i in ids}) + "\n" +
            "\n".join("%s: %s" % (i, f["message"]) for i in good if i in ten
                      for f in ten[i]["findings"] if f["severity"] == "error"))
    f4 = ten[NO_SECRET]
    t.check(f4["status"] == "failed" and f4["failedStep"] == "check" and
            any(f["code"] == "SECRET002" and f.get("file", "").endswith("manifest.json")
                and f.get("line") for f in f4["findings"]),
            "the broken tenant: failed at check, the report names the cause in the manifest",
            json.dumps(f4)[:1200])
    f7 = ten[NO_SPA]
    t.check(f7["status"] == "failed" and any(f["code"] == "FLEET007"
                                             for f in f7["findings"]),
            "no service-provider access: FLEET007", json.dumps(f7)[:1200])
    jobs_ok = True
    detail = []
    for i in good:
        s = emu.state(instance=i)
        names = sorted(u["userName"] for u in s["users"])
        want = sorted(u["userName"] for u in dirs[template_of[i]])
        if len(s["jobs"]) != 1 or not set(want) <= set(names):
            jobs_ok = False
            detail.append("%s: %d jobs, users %s" % (i, len(s["jobs"]), names[:4]))
    t.check(jobs_ok, "every good tenant: users synchronised, exactly one schedule job",
            "\n".join(detail))
    insts = emu.state()["instances"]
    t.check(insts.get(CREATED) == "running" and insts.get(STOPPED) == "running",
            "SPE: the missing instance was created, the stopped one started", str(insts))
    m365 = [i for i in good if template_of[i] == "m365"]
    t.check(all(ten[i]["manualSteps"] and "thumbprint" in ten[i]["manualSteps"][0] and
                os.path.exists(os.path.join(tmp, "certs", i, "certificate.pem"))
                for i in m365 if ten[i]["status"] == "done"),
            "Microsoft 365: certificate made, thumbprint and redirect URI as manual steps",
            json.dumps([ten[i]["manualSteps"] for i in m365])[:800])
    t.check(all(os.path.exists(os.path.join(tmp, ten[i]["artifacts"]["plan"])) and
                os.path.exists(os.path.join(tmp, ten[i]["artifacts"]["profile"]))
                for i in good if ten[i]["status"] == "done"),
            "per-tenant artefacts: profile, plan", "")

    # --- a third run: everything done, no new job
    rc, out, err = run(["onboard", "manifest.json", "--yes"])
    dup = [i for i in good if len(emu.state(instance=i)["jobs"]) != 1]
    t.check(rc == 3 and not dup, "a re-run never duplicates a schedule job", str(dup))

    # --- shards (plan only) merged equal the whole
    rc0, _, e0 = run(["onboard", "manifest.json", "--artifacts", "whole"])
    rc1, _, e1 = run(["onboard", "manifest.json", "--artifacts", "shards", "--shard", "1/2"])
    rc2, _, e2 = run(["onboard", "manifest.json", "--artifacts", "shards", "--shard", "2/2"])
    rc3, _, e3 = run(["onboard", "--merge", "shards/report-1-of-2.json",
                      "shards/report-2-of-2.json", "--report", "merged.json"])

    def essence(rep):
        return [(x["id"], x["status"], x["step"], x["users"],
                 sorted(f["code"] for f in x["findings"])) for x in rep["tenants"]]
    whole, merged = report("whole/report.json"), report("merged.json")
    h1, h2 = report("shards/report-1-of-2.json"), report("shards/report-2-of-2.json")
    t.check(rc3 == 3 and essence(whole) == essence(merged) and
            whole["summary"] == merged["summary"] and h1["tenants"] and h2["tenants"],
            "--shard 1/2 and 2/2 merged equal the whole run",
            "%s %s\n%s\n%s" % (rc3, e3, whole["summary"], merged["summary"]))
    wt = by_id(whole)
    live = [i for i in ids if template_of[i] == "slapd"]
    t.check(all(wt[i]["status"] == "done" and wt[i]["step"] == "plan" and
                wt[i]["users"]["directory"] == len(dirs["slapd"]) and
                not any(f["code"] == "FLEET016" for f in wt[i]["findings"]) for i in live),
            "live LDAP tenants: probed and read live on the tenants' threads",
            json.dumps({i: (wt[i]["status"], wt[i]["users"]["directory"],
                            [f["code"] for f in wt[i]["findings"]]) for i in live}))

    cloud = [i for i in ids if template_of[i] == "google"]
    t.check(all(wt[i]["status"] == "done" and wt[i]["step"] == "plan" and
                wt[i]["users"]["directory"] == len(dirs["google"]) for i in cloud),
            "Google tenants: a token by delegation and users.list live, per tenant",
            json.dumps({i: (wt[i]["status"], wt[i]["users"]["directory"],
                            [f["code"] for f in wt[i]["findings"]]) for i in cloud}))

    # --- a second run on one state cannot start while the first holds it
    lock = subprocess.Popen([sys.executable, "-c",
                             "import fcntl,sys,time;f=open(sys.argv[1],'a');"
                             "fcntl.flock(f,fcntl.LOCK_EX);print('locked',flush=True);"
                             "time.sleep(30)", os.path.join(tmp, "whole", "state.json.lock")],
                            stdout=subprocess.PIPE)
    lock.stdout.readline()
    rc, out, err = run(["onboard", "manifest.json", "--artifacts", "whole"])
    stop_process(lock, 2)
    t.check(rc == 1 and "another 'dirgate onboard' run" in err,
            "a locked state: exit 1, the run does not start", str(rc) + err)

    # --- the schemas: the manifests and every report
    try:
        import jsonschema
    except ImportError:
        jsonschema = None
    if jsonschema is None:
        print("ok %d - # SKIP schemas: python jsonschema is not installed" % (t.n + 1))
        t.n += 1
    else:
        def schema(name):
            with open(os.path.join(root, "schemas", name)) as f:
                return json.load(f)
        ms, rs = schema("manifest.schema.json"), schema("onboard-report.schema.json")
        errs = []
        for path in (os.path.join(tmp, "manifest.json"),
                     os.path.join(root, "examples", "onboard", "manifest.json"),
                     os.path.join(root, "examples", "onboard", "csv-manifest.json")):
            with open(path) as f:
                errs += ["%s: %s" % (path, e.message)
                         for e in jsonschema.Draft7Validator(ms).iter_errors(json.load(f))]
        for path in ("whole/report.json", "merged.json", "manifest.onboard/report.json",
                     "shards/report-1-of-2.json"):
            errs += ["%s: %s" % (path, e.message)
                     for e in jsonschema.Draft7Validator(rs).iter_errors(report(path))]
        t.check(not errs, "the manifests and reports match their schemas", "\n".join(errs))

    # --- secrets
    texts = [o for _, o in outputs]
    for base, _, files in os.walk(tmp):
        for fn in files:
            # (errors.json is the manifest holding a literal secret on purpose)
            if fn.endswith((".json", ".html", ".txt")) and "secrets" not in base and \
                    fn != "errors.json":
                with open(os.path.join(base, fn), errors="replace") as f:
                    texts.append(f.read())
    canary_free("reports, state files, rendered profiles, artefacts or output",
                "\n".join(texts))

    # --- the HTML page, as a person sees it
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("ok %d - # SKIP HTML report in Chromium: chromium not installed" % (t.n + 1))
        t.n += 1
    else:
        def dump_dom(fragment=""):
            prof = tempfile.mkdtemp(prefix="dg-chromium-")
            r = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                                "--disable-background-networking",
                                "--disable-component-update", "--disable-sync",
                                "--no-first-run", "--user-data-dir=" + prof, "--dump-dom",
                                "file://" + os.path.join(tmp, "report.html") + fragment],
                               capture_output=True, timeout=120)
            shutil.rmtree(prof, ignore_errors=True)
            return r.stdout.decode("utf-8", "replace")
        dom = dump_dom()
        rows = dom.count("<tr class=")
        first = dom.find('<tr class="')
        t.check(rows == N and dom[first:first + 20].startswith('<tr class="bad"') and
                "FLEET007" in dom and "manual step" in dom,
                "HTML report in headless Chromium: every tenant, failures first, findings "
                "and manual steps", "rows %d\n%s" % (rows, dom[:1500]))
        dom = dump_dom("#sort=0-desc")
        first = dom.find('<tr class="')
        t.check(">%s<" % ids[-1] in dom[first:first + 60] and dom.count("<tr class=") == N,
                "the table sorts in the browser (by tenant, descending)", dom[first:first + 300])
finally:
    if emu:
        emu.stop()
    google.stop()
    slapds.__exit__(None, None, None)
    if not os.environ.get("DG_KEEP_TMP"):
        shutil.rmtree(tmp, ignore_errors=True)
t.done()
