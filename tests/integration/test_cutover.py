#!/usr/bin/env python3
"""dirgate cutover and dirgate verify end to end against the MailStore API
emulator (tests/emulators/mailstore_api.py, started and stopped here).

The MailStore users of each case are what the *old* settings synchronised
(a preview of the old profile, or old-style names for the same people); the
new profile is one of the directory fixtures (examples/demo AD LDIF,
Microsoft 365 snapshot, tests/data/google).  Switches: AD sAMAccountName ->
AD FS with UPN names, AD -> Microsoft 365, LDAP -> Google, a user-name
format change; an administrator lock-out; verify after a sync whose result
differs from the preview."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, os.path.join(os.path.dirname(here), "cli"))
sys.path.insert(0, os.path.join(os.path.dirname(here), "emulators"))
from tap import Tap  # noqa: E402
from mailstore_fixture import Emulator, make_certs  # noqa: E402

binary = os.path.abspath(sys.argv[1])
class T(Tap):
    def ok(self, cond, name, detail=""):
        self.check(bool(cond), name, str(detail)[:2000])

    def eq(self, got, want, name, detail=""):
        self.check(got == want, name, "got %r, want %r %s" % (got, want, str(detail)[:2000]))


t = T()
tmp = tempfile.mkdtemp(prefix="dg-cutover-")
API_PW = "CANARY-cut-api-3f9a1c"
ENV = {"DG_MS_API_PW": API_PW, "DG_MS_BIND_PW": "CANARY-cut-bind-77aa", "DG_G_SECRET": "x"}
outputs = []
certs = make_certs(os.path.join(tmp, "tls"))
DEMO = os.path.join(root, "examples/demo")


def fresh(name):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    return d


def run(args):
    e = dict(os.environ, NO_COLOR="1", LC_ALL="C.UTF-8", **ENV)
    r = subprocess.run([binary] + args, cwd=tmp, env=e, capture_output=True, timeout=120)
    out, err = r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
    outputs.append(out + err)
    return r.returncode, out, err


def load(path):
    with open(path) as f:
        p = json.load(f)
    p.pop("$schema", None)
    snap = p["directory"].get("snapshot")
    if snap and not os.path.isabs(snap):
        p["directory"]["snapshot"] = os.path.join(os.path.dirname(path), snap)
    if "bind" in p["directory"]:
        p["directory"]["bind"]["password"] = {"env": "DG_MS_BIND_PW"}
    return p


def set_path(p, key, v):
    node = p
    keys = key.split("/")
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    if v is None:
        node.pop(keys[-1], None)
    else:
        node[keys[-1]] = v


def profile(name, base, emu=None, **over):
    p = load(base) if isinstance(base, str) else json.loads(json.dumps(base))
    p["name"] = name
    if emu:
        p["target"] = {"url": emu.url, "user": "admin", "password": {"env": "DG_MS_API_PW"},
                       "tls": {"caFile": emu.ca_file}}
    for k, v in over.items():
        set_path(p, k.replace("__", "/"), v)
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(p, f, indent=2)
    return path


def chromium_dom(path):
    """The DOM headless Chromium builds from a local file (its own
    profile directory; the process ends with --dump-dom)."""
    exe = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser")
                if os.path.exists(p)), None)
    if not exe:
        return "chromium is missing: run scripts/install-deps.sh --test"
    prof = tempfile.mkdtemp(prefix="chromium-", dir=tmp)
    r = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--no-first-run", "--user-data-dir=" + prof,
                        "--dump-dom", "file://" + path], capture_output=True, timeout=120)
    return r.stdout.decode("utf-8", "replace")


def preview(path):
    rc, out, err = run(["preview", path, "--format", "json"])
    assert rc == 0, err
    return json.loads(out)["users"]


def as_server(users, **extra):
    return [dict({"userName": u["userName"], "fullName": u["fullName"],
                  "distinguishedName": u.get("distinguishedName"),
                  "emailAddresses": u["emailAddresses"],
                  "authentication": "directoryServices"}, **extra) for u in users]


ADMIN = {"userName": "admin", "fullName": "Administrator", "authentication": "integrated",
         "privileges": ["admin"]}


def cutover(path, *more):
    rc, out, err = run(["cutover", path, "--format", "json"] + list(more))
    try:
        return rc, json.loads(out), err
    except ValueError:
        return rc, None, out + err


def verdicts(report):
    return {u["userName"]: u for u in report["users"]}


def codes(report):
    return [f["code"] for f in report["findings"]]


AD = os.path.join(DEMO, "profile.json")
AD_SAM = profile("ad-sam", AD, **{"directory__userNameFormat": "sAMAccountName",
                                  "authentication": {"method": "standard"}})
AD_UPN_LOCAL = preview(profile("ad-upnlocal", AD, **{"authentication": {"method": "standard"}}))
# The demo LDIF's sAMAccountNames are its UPN local parts for most users:
# derive old names that differ, so the switch renames them.
old_ad = [dict(u, userName=u["userName"].replace(".", "")) for u in AD_UPN_LOCAL]


# ---- AD sAMAccountName -> AD FS with userPrincipalName ------------------------------
with Emulator(password=API_PW, users=[ADMIN] + as_server(old_ad), certs=certs, tmp=fresh("e1")) as emu:
    new = profile("to-adfs-upn", AD, emu, **{"directory__userNameFormat": "userPrincipalName"})
    rc, rep, err = cutover(new, "--renames", os.path.join(tmp, "renames.txt"))
    t.ok(rep is not None, "cutover AD sAMAccountName -> AD FS UPN answers JSON", err)
    v = verdicts(rep)
    first = old_ad[0]
    t.eq(v[first["userName"]]["verdict"], "renamed", "a sAMAccountName user is renamed")
    t.eq(v[first["userName"]]["newName"], first["emailAddresses"][0],
         "its new name is the UPN")
    t.ok("empty archive" in v[first["userName"]]["reason"], "the reason names the empty archive")
    t.eq(rep["summary"]["renamed"], len(old_ad), "every directory user is renamed")
    t.eq(v["admin"]["verdict"], "admin", "the integrated admin is an admin")
    t.ok(not v["admin"]["atRisk"], "an integrated admin the directory does not give is safe")
    t.ok("AUTH010" in codes(rep) and "AUTH004" not in codes(rep) and "AUTH012" in codes(rep),
         "renames and the redirect URI are findings", codes(rep))
    t.eq(rc, 0, "renames alone do not fail the cut-over (exit 0)")
    with open(os.path.join(tmp, "renames.txt")) as f:
        lines = [ln.strip() for ln in f if ln.strip() and not ln.startswith("#")]
    t.ok("%s=%s" % (first["userName"], first["emailAddresses"][0]) in lines,
         "--renames writes the rename plan that keeps the archive", lines[:3])
    t.eq(len(lines), len(old_ad), "one rename per renamed user")

    # AD FS keeping sAMAccountName names: no claim rule -> everybody loses login
    sam = profile("adfs-sam", AD, emu, **{"directory__userNameFormat": "sAMAccountName"})
    samrep = preview(sam)
with Emulator(password=API_PW, users=[ADMIN] + as_server(samrep), certs=certs, tmp=fresh("e2")) as emu:
    sam = profile("adfs-sam", AD, emu, **{"directory__userNameFormat": "sAMAccountName"})
    rc, rep, err = cutover(sam)
    v = verdicts(rep)
    t.eq(rc, 3, "AD FS with sAMAccountName names and no claim rule: exit 3")
    t.ok(all(v[u["userName"]]["verdict"] == "loses-login" for u in samrep),
         "every sAMAccountName user loses login")
    t.ok("ADFS004" in v[samrep[0]["userName"]]["reason"], "the reason names the claim rule")
    t.ok("AUTH009" in codes(rep), "AUTH009 counts them")
    rc, rep, err = cutover(sam, "--claim-rule")
    t.eq(rc, 0, "with the claim rule in place: exit 0", err)
    t.eq(rep["summary"]["keeps-login"], len(samrep), "with the claim rule everybody keeps login")


# ---- AD -> Microsoft 365; an IMAP-only user; a lock-out of the API user --------------
m365_new = preview(os.path.join(DEMO, "m365-profile.json"))
alice = next(u for u in m365_new if u["userName"].startswith("alice@"))
ad_users = as_server(AD_UPN_LOCAL[:3]) + [
    {"userName": "alice", "fullName": "Alice", "emailAddresses": [alice["emailAddresses"][1]],
     "authentication": "directoryServices", "loginPrivileges": ["web", "imap"]},
    {"userName": "dave", "fullName": "Dave", "emailAddresses": ["dd@contoso.example"],
     "authentication": "directoryServices", "loginPrivileges": ["imap"]},
    {"userName": "svc-archive", "fullName": "API user", "authentication": "directoryServices",
     "loginPrivileges": ["api"], "privileges": ["admin"]},
    {"userName": "local.only", "fullName": "Local", "authentication": "integrated"}, ADMIN]
with Emulator(password=API_PW, users=ad_users, certs=certs, tmp=fresh("e3")) as emu:
    new = profile("to-m365", os.path.join(DEMO, "m365-profile.json"), emu)
    rc, rep, err = cutover(new)
    v = verdicts(rep)
    t.eq(rc, 3, "AD -> Microsoft 365 with users left behind: exit 3", err)
    t.eq(v[AD_UPN_LOCAL[0]["userName"]]["verdict"], "loses-login",
         "an AD user the tenant does not have loses login")
    t.ok("do not produce" in v[AD_UPN_LOCAL[0]["userName"]]["reason"], "and says why")
    t.eq(v["alice"]["verdict"], "renamed", "alice matched by e-mail is renamed")
    t.eq(v["alice"]["newName"], alice["userName"], "to her UPN")
    t.eq(v["dave"]["verdict"], "loses-login", "an IMAP-only user loses login with OIDC")
    t.ok("imap" in v["dave"]["reason"], "because IMAP ends", v["dave"]["reason"])
    t.eq(v["local.only"]["verdict"], "mailstore-local", "an integrated user is untouched")
    t.ok(v["svc-archive"]["verdict"] == "admin" and v["svc-archive"]["atRisk"],
         "the API user the tenant does not give is an admin at risk")
    t.ok("AUTH008" in codes(rep), "AUTH008 names the lock-out")
    imap = next(f["message"] for f in rep["findings"] if f["code"] == "AUTH011")
    t.ok("'alice'" in imap and "anna.berg" not in imap,
         "IMAP access ending is a caveat for those who keep a login", imap)
    t.eq(rep["summary"]["new"], 1, "frank is a new directory user")
    rc2, text, _ = run(["cutover", new])
    t.ok("ADMIN AT RISK" in text and "loses-login" in text, "the text report says it")
    t.eq(rc2, 3, "text: exit 3 too")
    rc3, html, _ = run(["cutover", new, "--format", "html"])

    class Rows(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows, self.cell, self.cls, self.title = [], None, None, ""
            self.in_title = False

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                self.rows.append([dict(attrs).get("class", "")])
            elif tag == "td":
                self.cell = ""
            elif tag == "title":
                self.in_title = True

        def handle_endtag(self, tag):
            if tag == "td" and self.rows:
                self.rows[-1].append(self.cell)
                self.cell = None
            elif tag == "title":
                self.in_title = False

        def handle_data(self, d):
            if self.cell is not None:
                self.cell += d
            if self.in_title:
                self.title += d

    pr = Rows()
    pr.feed(html)
    risk = [r for r in pr.rows if "at-risk" in r[0]]
    t.ok(pr.title == "dirgate cutover: to-m365", "the HTML page has the preview's title form",
         pr.title)
    t.ok(len(risk) == 1 and risk[0][1] == "svc-archive", "the HTML table marks the admin "
         "at risk", risk)
    t.ok("<style>" in html and "AUTH008" in html, "the page has the style sheet and findings")

    # the page as a browser builds it: headless Chromium's DOM
    page = os.path.join(tmp, "cutover.html")
    run(["cutover", new, "--format", "html", "--output", page])
    dom = chromium_dom(page)
    br = Rows()
    br.feed(dom)
    t.eq(len(br.rows), len(rep["users"]) + 1, "Chromium: one table row per user and a head")
    t.ok(any("at-risk" in r[0] and r[1] == "svc-archive" for r in br.rows),
         "Chromium: the admin at risk is marked in the DOM")
    t.ok(br.title == "dirgate cutover: to-m365" and "AUTH008" in dom,
         "Chromium: title and findings in the DOM")
    # the table sorts and filters as the preview's does: a script run after
    # the page's clicks 'User name' twice and records the order it sees
    driver = ("<script>window.addEventListener('load',function(){"
              "var t=document.getElementById('users'),th=t.tHead.rows[0].cells[0];"
              "th.click();th.click();document.body.setAttribute('data-order',"
              "Array.prototype.map.call(t.tBodies[0].rows,function(r){"
              "return r.cells[0].textContent;}).join(','));});</script>")
    with open(page) as f:
        driven = f.read().replace("</body>", driver + "</body>")
    with open(page, "w") as f:
        f.write(driven)
    dom = chromium_dom(page)
    m = re.search(r'<body[^>]*\sdata-order="([^"]*)"', dom)
    names = [u["userName"] for u in rep["users"]]
    t.ok('data-dg-script="ready"' in dom and 'class="dg-filter"' in dom and m and
         m.group(1).split(",") == sorted(names, key=str.lower, reverse=True),
         "Chromium: the users table sorts by a click on its heading and has a filter box",
         (m.group(1) if m else dom[-600:]))

    # offline: the users export and a saved pull give the same report
    rc, _, err = run(["pull", new, "--output", os.path.join(tmp, "pull.json"),
                      "--users", os.path.join(tmp, "users.json")])
    t.eq(rc, 0, "pull --users writes the users export", err)
    with open(os.path.join(tmp, "users.json")) as f:
        exp = json.load(f)
    t.eq(exp["dirgateUsers"], 1, "the export is marked")
    t.ok(any(u["userName"] == "dave" and u["loginPrivileges"] == ["imap"] for u in exp["users"]),
         "the export keeps login privileges")
    rc_live, live, _ = cutover(new)
offline = profile("to-m365-offline", os.path.join(DEMO, "m365-profile.json"))
rc, rep, err = cutover(offline, "--users", os.path.join(tmp, "users.json"),
                       "--config", os.path.join(tmp, "pull.json"))
t.eq(rc, rc_live, "offline cut-over exits like the live one", err)
t.eq(rep["users"], live["users"], "offline verdicts equal the live ones")
rc, rep, err = cutover(offline, "--users", os.path.join(tmp, "pull.json"))
t.ok(rc == 1 and "not a users export" in err, "a pull is not a users export", err)
with open(os.path.join(tmp, "bad-users.json"), "w") as f:
    json.dump({"dirgateUsers": 1, "users": [{"userName": "x"}]}, f)
rc, rep, err = cutover(offline, "--users", os.path.join(tmp, "bad-users.json"))
t.ok(rc == 1 and "/users/0" in err, "a user without authentication is named", err)


# ---- LDAP (uid names) -> Google ----------------------------------------------------
gp = os.path.join(tmp, "google.json")
with open(gp, "w") as f:
    json.dump({"name": "g", "directory": {"type": "google-workspace", "adminUser":
                                          "admin@example.com", "snapshot": os.path.join(
                                              root, "tests/data/google/snapshot.jsonl")},
               "authentication": {"method": "google-oidc",
                                  "clientId": "123-abc.apps.googleusercontent.com",
                                  "clientSecret": {"env": "DG_G_SECRET"},
                                  "redirectUri": "https://archive.example.com/oidc/signin"}}, f)
google_new = preview(gp)
ldap_old = [{"userName": u["userName"].split("@")[0], "fullName": u["fullName"],
             "distinguishedName": "uid=%s,ou=people,dc=example,dc=com" % u["userName"].split("@")[0],
             "emailAddresses": u["emailAddresses"][:1], "authentication": "directoryServices"}
            for u in google_new[:4]]
ldap_old.append({"userName": "oscar", "fullName": "Oscar", "authentication": "directoryServices",
                 "distinguishedName": "uid=oscar,ou=former,dc=example,dc=com",
                 "emailAddresses": ["oscar@example.com"]})
with Emulator(password=API_PW, users=ldap_old + [ADMIN], certs=certs, tmp=fresh("e4")) as emu:
    new = profile("to-google", gp, emu)
    rc, rep, err = cutover(new)
    v = verdicts(rep)
    t.eq(v["u00000"]["verdict"], "renamed", "an LDAP uid user becomes its Google address")
    t.eq(v["u00000"]["newName"], "u00000@example.com", "named by primary e-mail")
    t.eq(v["oscar"]["verdict"], "loses-login", "a user Google does not have loses login")
    t.eq(rc, 3, "LDAP -> Google with a user left behind: exit 3")


# ---- a user-name format change: UPN local part -> UPN, standard login ---------------
with Emulator(password=API_PW, users=as_server(AD_UPN_LOCAL) + [ADMIN], certs=certs,
              tmp=fresh("e5")) as emu:
    new = profile("to-upn", AD, emu, **{"directory__userNameFormat": "userPrincipalName",
                                         "authentication": {"method": "standard"}})
    rc, rep, err = cutover(new)
    t.eq(rep["summary"]["renamed"], len(AD_UPN_LOCAL), "every user is renamed by the format")
    t.eq(rc, 0, "standard login: nobody loses login (exit 0)")
    t.ok("AUTH011" not in codes(rep) and "AUTH012" not in codes(rep),
         "no OIDC caveats with standard login")
    same = profile("same", AD, emu, **{"authentication": {"method": "standard"}})
    rc, rep, err = cutover(same)
    t.eq(rep["summary"]["keeps-login"], len(AD_UPN_LOCAL), "no switch: everybody keeps login")


# ---- admin lock-out: the built-in admin from directory services, not produced -------
locked = [dict(ADMIN, authentication="directoryServices",
               distinguishedName="CN=Administrator,CN=Users,DC=contoso,DC=com")]
with Emulator(password=API_PW, users=locked + as_server(AD_UPN_LOCAL), certs=certs,
              tmp=fresh("e6")) as emu:
    new = profile("lockout", AD, emu, **{"authentication": {"method": "standard"}})
    rc, rep, err = cutover(new)
    v = verdicts(rep)
    t.ok(v["admin"]["atRisk"], "the directory admin the new filters drop is at risk")
    t.ok(any(f["code"] == "AUTH008" and "/target/user" in f["message"]
             for f in rep["findings"]), "AUTH008 says it is the profile's own API user")
    t.eq(rc, 3, "admin lock-out: exit 3")


# ---- integrated administrators: matched by address (safe), taken over by name -------
first, second = AD_UPN_LOCAL[0], AD_UPN_LOCAL[1]
admins = [dict(ADMIN, emailAddresses=first["emailAddresses"][:1]),
          {"userName": second["userName"], "fullName": "Local admin", "privileges": ["admin"],
           "authentication": "integrated"}] + as_server(AD_UPN_LOCAL[2:])
with Emulator(password=API_PW, users=admins, certs=certs, tmp=fresh("e9")) as emu:
    new = profile("admins", AD, emu, **{"authentication": {"method": "standard"}})
    ren = os.path.join(tmp, "admin-renames.txt")
    rc, rep, err = cutover(new, "--renames", ren)
    v = verdicts(rep)
    t.ok(v["admin"]["verdict"] == "admin" and not v["admin"]["atRisk"],
         "an integrated admin matched only by e-mail keeps its MailStore login",
         v["admin"]["reason"])
    with open(ren) as f:
        t.ok("admin=" not in f.read(), "the rename plan never renames an administrator")
    t.ok(v[second["userName"]]["atRisk"],
         "an integrated admin the directory gives by name is taken over: at risk",
         v[second["userName"]]["reason"])
    t.eq(rc, 3, "a taken-over administrator: exit 3")


# ---- verify after a real sync -------------------------------------------------------
directory = [{"userName": u["userName"], "fullName": u["fullName"],
              "distinguishedName": u["distinguishedName"],
              "emailAddresses": u["emailAddresses"]} for u in AD_UPN_LOCAL]
with Emulator(password=API_PW, users=[ADMIN], directory=directory, config={"directoryServiceType": "x"},
              certs=certs, tmp=fresh("e7")) as emu:
    good = profile("verify-ok", AD, emu, **{"authentication": {"method": "standard"},
                                             "sync__deleteUsers": True})
    rc, out, err = run(["sync", good, "--yes"])
    t.eq(rc, 0, "sync --yes whose result matches the preview: exit 0", out + err)
    t.ok("API044" in out, "sync --yes ends with verify: the users match", out[-600:])
    rc, out, err = run(["verify", good, "--format", "json"])
    rep = json.loads(out)
    t.eq((rc, rep["summary"]["matched"]), (0, len(AD_UPN_LOCAL)), "verify alone agrees")

bad_dir = [dict(d) for d in directory[2:]]
bad_dir[0]["userName"] = bad_dir[0]["emailAddresses"][0]           # named another way
bad_dir[1]["fullName"] = "Someone Else"                             # another value
bad_dir.append({"userName": "stranger", "fullName": "Stranger",     # not predicted
                "distinguishedName": "CN=Stranger,OU=Temp,DC=contoso,DC=com",
                "emailAddresses": ["stranger@contoso.com"]})
with Emulator(password=API_PW, users=[ADMIN], directory=bad_dir, config={"directoryServiceType": "x"},
              certs=certs, tmp=fresh("e8")) as emu:
    vp = profile("verify-bad", AD, emu, **{"authentication": {"method": "standard"},
                                            "sync__deleteUsers": True})
    rc, out, err = run(["sync", vp, "--yes", "--format", "json"])
    t.eq(rc, 3, "sync --yes whose result differs from the preview: exit 3", err)
    rep = json.loads(out)
    t.ok("sync" in rep and "verify" in rep, "the JSON carries the sync and its verify")
    verify_doc = rep["verify"]
    vc = [f["code"] for f in rep["verify"]["findings"]]
    s = rep["verify"]["summary"]
    t.eq((s["missing"], s["renamed"], s["differing"], s["unexpected"]), (2, 1, 1, 1),
         "verify counts each kind of difference", s)
    t.ok(all(c in vc for c in ("API040", "API045", "API042", "API043")),
         "each difference is a finding", vc)
    miss = next(f for f in rep["verify"]["findings"] if f["code"] == "API040")
    t.ok("the server holds nothing at /groups" in miss["message"],
         "the likely cause: a selection key the server does not hold", miss["message"])
    ren = next(f for f in rep["verify"]["findings"] if f["code"] == "API043")
    t.ok("/userNameFormat" in ren["message"], "a name difference points at the name key",
         ren["message"])
    rc, out, err = run(["verify", vp])
    t.eq(rc, 3, "dirgate verify PROFILE alone: exit 3")

# ---- the JSON contracts and usage errors -------------------------------------------
import jsonschema  # noqa: E402
with open(os.path.join(root, "schemas/output/cutover.json")) as f:
    cut_schema = json.load(f)
with open(os.path.join(root, "schemas/output/verify.json")) as f:
    verify_schema = json.load(f)
try:
    jsonschema.validate(live, cut_schema)
    t.ok(True, "cutover JSON follows schemas/output/cutover.json")
except jsonschema.ValidationError as e:
    t.ok(False, "cutover JSON follows schemas/output/cutover.json", e.message)
try:
    jsonschema.validate(verify_doc, verify_schema)
    t.ok(True, "verify JSON follows schemas/output/verify.json")
except jsonschema.ValidationError as e:
    t.ok(False, "verify JSON follows schemas/output/verify.json", e.message)
rc, out, err = run(["cutover", offline, "--config", "pull.json"])
t.ok(rc == 64 and "--config needs --users" in err, "--config alone is a usage error", err)
rc, out, err = run(["cutover", offline, "--format", "csv"])
t.eq(rc, 64, "cutover has no CSV form")

leaked = [o for o in outputs if API_PW in o or "CANARY-cut-bind" in o]
t.ok(not leaked, "no secret in any output")
shutil.rmtree(tmp, ignore_errors=True)
t.done()
