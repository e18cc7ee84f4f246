#!/usr/bin/env python3
"""microsoft-365 end to end: oidc-provider as the Entra token endpoint (its
own refusals of replayed, wrongly signed, mis-addressed and expired
assertions), the strict Graph emulator, and dirgate preview / check /
snapshot against them, with Graph's faults and the secret canaries.

Everything listens on 127.0.0.1 with TLS from a test CA made here; dirgate
trusts it through /directory/tls/caFile and reaches the services through
the test-only profile keys authorityUrl and apiUrl."""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "oidc"))
sys.path.insert(0, os.path.join(HERE, "..", "emulators"))
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
from tap import Tap, run_pty  # noqa: E402
import fixture  # noqa: E402
import graph  # noqa: E402

binary = os.path.abspath(sys.argv[1])
t = Tap()
why = fixture.available()
if why:
    print("1..0 # SKIP %s" % why)
    sys.exit(0)

tmp = tempfile.mkdtemp(prefix="dg-m365-")
CLIENT = "8255370c-5d0d-4f37-97e7-30f9bf8a6fbf"
TENANT = "015b1e55-614a-4fea-a7ff-59a9f85ebb1a"
servers = []


def stop_all():
    for s in reversed(servers):
        s.stop()


fixture.install_signal_handlers(stop_all)


def dirgate(args, env=None):
    e = dict(os.environ, NO_COLOR="1", LC_ALL="C.UTF-8")
    e.update(env or {})
    return subprocess.run([binary] + args, env=e, capture_output=True, timeout=240)


def new_cert(name):
    d = os.path.join(tmp, name)
    os.mkdir(d)
    p = dirgate(["cert", "new", "--subject", name, "--days", "30", "--out", d])
    assert p.returncode == 0, p.stderr
    return os.path.join(d, "certificate.pem"), os.path.join(d, "private-key.pem")


GRAPH = {}      # "api": the Graph emulator's origin, once it runs


def profile(name, op, groups=(), filters=None, cert=None, tenant=TENANT, client=CLIENT,
            snapshot=None):
    crt, key = cert or (CERT, KEY)
    d = {"type": "microsoft-365", "tenantId": tenant, "clientId": client,
         "filters": dict(filters or {}, groups=list(groups)), "tls": {"caFile": op.ca_file}}
    if GRAPH:   # the test-only endpoints: the emulators instead of Microsoft
        d.update(apiUrl=GRAPH["api"], authorityUrl=op.authority)
    if snapshot:
        d["snapshot"] = snapshot
    else:
        d["certificate"] = {"certFile": crt, "keyFile": key}
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump({"name": name, "directory": d,
                   "authentication": {"method": "microsoft-365",
                                      "redirectUri": "https://archive.contoso.com:8462/oidc/signin"}},
                  f)
    return path


def with_endpoints(path, api=None, authority=None):
    """A copy of the profile at `path` pointing at other test endpoints."""
    with open(path) as f:
        d = json.load(f)
    if api:
        d["directory"]["apiUrl"] = api
    if authority:
        d["directory"]["authorityUrl"] = authority
    other = path.replace(".json", "-%d.json" % len(os.listdir(tmp)))
    with open(other, "w") as f:
        json.dump(d, f)
    return other


def preview_json(path, env):
    p = dirgate(["preview", path, "--format", "json"], env)
    try:
        return p, json.loads(p.stdout)
    except ValueError:
        return p, {}


def codes(p):
    try:
        return [f["code"] for f in json.loads(p.stdout)["findings"]]
    except (ValueError, KeyError):
        return []


outputs = []    # every byte dirgate printed, for the canary checks

CERT, KEY = new_cert("app")
OTHER_CERT, OTHER_KEY = new_cert("not-uploaded")
tls = fixture.make_tls(os.path.join(tmp, "tls"))
op = fixture.OidcProvider("entra", tmp, tenant=TENANT, client_id=CLIENT, client_cert=CERT,
                          tls_dir=tls)
try:
    op.start()
    servers.append(op)

    # ---- oidc-provider's own refusals (assertions signed by openssl, not dirgate)
    a = fixture.sign_assertion(KEY, CERT, CLIENT, op.token_endpoint)
    st, body = fixture.token_request(op, CLIENT, a)
    t.check(st == 200 and body.get("token_type") == "Bearer", "a good assertion gets a token", body)
    st, body = fixture.token_request(op, CLIENT, a)
    t.check(st == 401 and body.get("error") == "invalid_client", "a replayed jti is refused", body)
    t.check(any("only be used once" in line for line in op.grant_errors()),
            "oidc-provider itself names the replay", op.grant_errors())
    st, body = fixture.token_request(op, CLIENT, fixture.sign_assertion(OTHER_KEY, OTHER_CERT, CLIENT,
                                                                        op.token_endpoint))
    t.check(st == 401 and body.get("error_codes") == [700027], "a wrong key is refused (700027)", body)
    # the right key, but x5t naming another certificate, or none: Entra cannot
    # find the certificate (the fixture holds oidc-provider to that rule)
    for label, x5t_cert in (("another certificate's", OTHER_CERT), ("no", "")):
        st, body = fixture.token_request(op, CLIENT, fixture.sign_assertion(
            KEY, CERT, CLIENT, op.token_endpoint, x5t_cert=x5t_cert))
        t.check(st == 401 and body.get("error_codes") == [700027],
                "an assertion with %s x5t is refused (700027)" % label, body)
    st, body = fixture.token_request(op, CLIENT, fixture.sign_assertion(
        KEY, CERT, CLIENT, "https://login.microsoftonline.com/other/oauth2/v2.0/token"))
    t.check(st == 401 and body.get("error") == "invalid_client", "a wrong audience is refused", body)
    t.check(any("audience" in line for line in op.grant_errors()),
            "oidc-provider itself names the audience", op.grant_errors()[-1:])
    st, body = fixture.token_request(op, CLIENT, fixture.sign_assertion(
        KEY, CERT, CLIENT, op.token_endpoint, now=int(time.time()) - 3600))
    t.check(st == 401 and body.get("error_codes") == [700024], "an expired assertion is refused (700024)",
            body)
    t.check(any("jwt expired" in line for line in op.grant_errors()),
            "oidc-provider itself names the expiry", op.grant_errors()[-1:])
    st, body = fixture.token_request(op, CLIENT, fixture.sign_assertion(
        KEY, CERT, CLIENT, op.token_endpoint, now=int(time.time()) + 3600))
    t.check(st == 401 and body.get("error_codes") == [700024],
            "an assertion from the future (clock skew) is refused (700024)", body)

    # PS256 with x5t#S256 (what Entra's certificate-credentials page asks
    # for): the stand-in accepts it, and refuses one naming another certificate
    st, body = fixture.token_request(op, CLIENT, fixture.sign_assertion(
        KEY, CERT, CLIENT, op.token_endpoint, alg="PS256"))
    t.check(st == 200 and body.get("token_type") == "Bearer",
            "a PS256 assertion with x5t#S256 gets a token", body)
    st, body = fixture.token_request(op, CLIENT, fixture.sign_assertion(
        KEY, CERT, CLIENT, op.token_endpoint, alg="PS256", x5t_cert=OTHER_CERT))
    t.check(st == 401 and body.get("error_codes") == [700027],
            "a PS256 assertion whose x5t#S256 names another certificate is refused (700027)",
            body)

    emu = graph.GraphEmulator(tls, op.jwks_uri, op.ca_file, TENANT, op.issuer,
                              graph.sample_directory()).start()
    servers.append(emu)
    GRAPH["api"] = emu.base
    env = {}

    # ---- live preview
    filt = {"exchangeUsersOnly": True, "enabledUsersOnly": True}
    prof = profile("live", op, filters=filt)
    p, res = preview_json(prof, env)
    outputs.append(p)
    t.check(p.returncode == 0, "live preview succeeds", p.stderr)
    users = {u["userName"]: u for u in res.get("users", [])}
    t.check(sorted(users) == ["alice@contoso.example", "dave@contoso.example",
                              "frank@contoso.example"],
            "licensed, enabled users only (UPN, lower-cased)", sorted(users))
    grace = [f for f in res.get("findings", []) if f.get("code") == "M365027"]
    t.check(len(grace) == 1 and "1 user holds" in grace[0]["message"] and
            "erin@contoso.example" in grace[0]["message"] and
            grace[0]["path"] == "/directory/filters/exchangeUsersOnly",
            "a licence only in its grace period: skipped and named (M365027)", grace)
    t.check(users.get("alice@contoso.example", {}).get("emailAddresses") ==
            ["alice@contoso.example", "a.anders@contoso.example"],
            "e-mail addresses: SMTP: primary first, then smtp:", users.get("alice@contoso.example"))
    t.check(users.get("dave@contoso.example", {}).get("emailAddresses") ==
            ["dave@contoso.example", "dd@contoso.example"],
            "no mail: addresses from proxyAddresses, X500 dropped", users.get("dave@contoso.example"))
    skipped = {s["entry"]: s["reason"] for s in res.get("skipped", [])}
    t.check(skipped == {'Bob@contoso.example "Bob O\'Brien" (id %s)' % graph.guid(2): "disabled",
                        'carol@contoso.example "Carol Chen" (id %s)' % graph.guid(3): "no-email",
                        'erin@contoso.example "Erin Evans" (id %s)' % graph.guid(5): "no-email"},
            "blocked sign-in, no Exchange plan, deleted Exchange plan skipped, "
            "each shown by UPN, display name and object ID", skipped)
    sel = [r for r in emu.requests if r[0].startswith("/v1.0/users")]
    t.check(len(sel) == 1 and "$select=id,userPrincipalName,displayName,mail,proxyAddresses,accountEnabled,"
                "assignedPlans&$top=999" in sel[0][0],
            "exactly the needed $select and $top=999", sel)
    # ---- the tenant's verified domains (GET /organization) feed MAP022
    issues = lambda r: [(q["code"], q["userName"]) for q in r.get("quality", {}).get("issues", [])]  # noqa: E731
    org = [r for r in emu.requests if r[0].startswith("/v1.0/organization")]
    t.check(org == [("/v1.0/organization?$select=verifiedDomains", 200)] and
            "M365040" not in codes(p) and not issues(res),
            "verified domains read once; every address is in one of them", (org, issues(res)))
    emu.dir.verified_domains = ["fabrikam.example"]
    p, res2 = preview_json(prof, env)
    t.check(p.returncode == 0 and sorted(set(issues(res2))) ==
            [("MAP022", "alice@contoso.example"), ("MAP022", "dave@contoso.example"),
             ("MAP022", "frank@contoso.example")],
            "an address outside the verified domains: MAP022 per user", issues(res2))
    emu.faults.deny_organization = True
    p, res2 = preview_json(prof, env)
    t.check(p.returncode == 0 and "M365040" in codes(p) and not issues(res2) and
            len(res2.get("users", [])) == 3,
            "GET /organization refused: M365040 says the rule did not run; the preview goes on",
            (p.returncode, codes(p)))
    emu.faults.deny_organization = False
    emu.dir.verified_domains = ["contoso.example"]
    # ---- every live Graph query as a curl line; the token only as $GRAPH_TOKEN
    # (the canary check at the end covers this output too)
    p = dirgate(["preview", "--show-queries", prof], env)
    outputs.append(p)
    lines = p.stderr.decode().splitlines()
    curls = [x for x in lines if x.startswith("curl ")]
    t.check(p.returncode == 0 and any(x.startswith("# GRAPH_TOKEN: ") for x in lines) and
            any("/v1.0/organization?$select=verifiedDomains'" in c for c in curls) and
            any("/v1.0/users?$select=" in c for c in curls) and
            all(c.startswith("curl -sS --cacert ") and
                '-H "Authorization: Bearer $GRAPH_TOKEN" ' in c for c in curls),
            "preview --show-queries: a curl line per Graph query, token as $GRAPH_TOKEN",
            lines[-5:])

    # ---- dirgate's assertion: PS256 with the certificate's x5t#S256; RS256
    # with x5t only after a token endpoint refused PS256
    def thumbprint(algo):
        der = subprocess.run(["openssl", "x509", "-in", CERT, "-outform", "DER"],
                             capture_output=True, check=True).stdout
        return fixture._b64url(hashlib.new(algo, der).digest())
    sent = op.assertions()[-1:]
    t.check(sent and sent[0][1] == 200 and sent[0][0].get("alg") == "PS256" and
            sent[0][0].get("x5t#S256") == thumbprint("sha256") and "x5t" not in sent[0][0],
            "dirgate's assertion is PS256 with the certificate's x5t#S256", sent)
    rs_only = fixture.OidcProvider("entra", os.path.join(tmp, "rs256-only"), tenant=TENANT,
                                   client_id=CLIENT, client_cert=CERT, tls_dir=tls,
                                   entra_algs="RS256")
    os.makedirs(os.path.join(tmp, "rs256-only"), exist_ok=True)
    rs_only.start()
    servers.append(rs_only)
    rs_graph = graph.GraphEmulator(tls, rs_only.jwks_uri, rs_only.ca_file, TENANT,
                                   rs_only.issuer, graph.sample_directory()).start()
    servers.append(rs_graph)
    p, res = preview_json(with_endpoints(prof, rs_graph.base, rs_only.authority), env)
    outputs.append(p)
    sent = [(h.get("alg"), h.get("x5t#S256") or h.get("x5t"), st)
            for h, st in rs_only.assertions()]
    t.check(p.returncode == 0 and len(res.get("users", [])) == 3 and
            sent == [("PS256", thumbprint("sha256"), 401), ("RS256", thumbprint("sha1"), 200)],
            "a token endpoint that refuses PS256: one retry with RS256 + x5t, which works",
            (p.stderr[-500:], sent))
    note = [f for f in res.get("findings", []) if f.get("code") == "M365035"]
    t.check(len(note) == 1 and "invalid_client" in note[0]["message"] and
            note[0]["path"] == "/directory/certificate/certFile",
            "the fallback is said once (M365035), with the PS256 refusal", note)

    # ---- paging verbatim, and snapshot == live
    emu.faults.page_cap = 2
    emu.requests.clear()
    prof = profile("groups", op, groups=["MailStore Users", "O'Brien's Team"])
    p, live = preview_json(prof, env)
    outputs.append(p)
    users = {u["userName"]: u["groups"] for u in live.get("users", [])}
    t.check(users == {"alice@contoso.example": ["MailStore Users"],
                      "bob@contoso.example": ["O'Brien's Team"],
                      "dave@contoso.example": ["MailStore Users"],
                      "frank@contoso.example": ["MailStore Users"]},
            "groups by display name, nested members, quote in a name", users)
    paths = [r[0] for r in emu.requests]
    t.check(any("%27O%27%27Brien%27%27s%20Team%27" in x for x in paths),
            "OData quote doubled and percent-encoded", paths)
    pages = [x for x in paths if x.startswith("/v1.0/users")]
    t.check(len(pages) == 3 and all("$skiptoken=" in x for x in pages[1:]),
            "three pages of two users via @odata.nextLink", pages)
    snap = os.path.join(tmp, "graph-snapshot.json")
    p = dirgate(["snapshot", prof, "--output", snap], env)
    outputs.append(p)
    t.check(p.returncode == 0 and b"6 users" in p.stderr, "dirgate snapshot writes the pages", p.stderr)
    p, offline = preview_json(profile("offline", op, groups=["MailStore Users", "O'Brien's Team"],
                                      snapshot=snap), {})
    outputs.append(p)
    strip = lambda r: {k: v for k, v in r.items() if k not in ("source", "profile")}  # noqa: E731
    t.check(p.returncode == 0 and strip(offline) == strip(live) and offline["users"],
            "snapshot previews exactly as live", (p.stderr, offline.get("summary"), live.get("summary")))
    p = dirgate(["preview", profile("offline2", op, groups=["Sales"], snapshot=snap)])
    t.check(p.returncode == 1 and b"M365026" in p.stderr, "a group the snapshot lacks: M365026", p.stderr)
    with open(os.path.join(tmp, "bad-snap.json"), "w") as f:
        f.write('{"format": "something else"}')
    p = dirgate(["preview", profile("badsnap", op, snapshot=os.path.join(tmp, "bad-snap.json"))])
    t.check(p.returncode == 1 and b"M365025" in p.stderr, "not a Graph snapshot: M365025", p.stderr)
    emu.faults.page_cap = 0

    # ---- check: token, Graph, groups
    p = dirgate(["check", profile("chk", op, groups=["MailStore Users", "Nope", "Twins"]),
                 "--format", "json"], env)
    outputs.append(p)
    c = codes(p)
    t.check(p.returncode == 3 and all(x in c for x in ("M365014", "M365016", "M365019", "M365017",
                                                       "M365018", "M365024")),
            "check: token, Graph, group found / missing / ambiguous, Web platform hint", c)
    # the offline rules say the Web platform hint; the live probe must not repeat it
    t.check(c.count("M365024") == 1, "check: the Web platform hint said once", c)
    # a group given by an object ID that does not exist: Graph's 404 is "not
    # found" (M365017), not "retry later" (M365015), and the next group is
    # still checked
    gone = "0badc0de-0000-4000-8000-000000000404"
    p = dirgate(["check", profile("chk404", op, groups=[gone, "MailStore Users"]), "--format", "json"],
                env)
    found = {(f["code"], f["path"]) for f in json.loads(p.stdout or b"{}").get("findings", [])}
    t.check(p.returncode == 3 and ("M365017", "/directory/filters/groups/0") in found and
            ("M365019", "/directory/filters/groups/1") in found and
            not any(code == "M365015" for code, _ in found),
            "check: a group ID Graph does not know is M365017, the next group still checked",
            sorted(found))
    p = dirgate(["preview", profile("prev404", op, groups=[gone, "MailStore Users"])], env)
    t.check(p.returncode == 3 and b"M365017" in p.stdout and gone.encode() in p.stdout and
            b"M365015" not in p.stdout + p.stderr and b"alice@contoso.example" in p.stdout,
            "preview: a group ID Graph does not know is M365017, the next group's users shown",
            (p.returncode, p.stdout[-300:], p.stderr))

    # ---- token errors, each its own finding
    p = dirgate(["check", profile("wrongcert", op, cert=(OTHER_CERT, OTHER_KEY)), "--format", "json"],
                env)
    outputs.append(p)
    other_sha1 = subprocess.run(["openssl", "x509", "-in", OTHER_CERT, "-noout", "-fingerprint",
                                 "-sha1"], capture_output=True, text=True).stdout
    other_sha1 = other_sha1.strip().split("=")[1].replace(":", "")
    f = [x for x in json.loads(p.stdout or b"{}").get("findings", []) if x["code"] == "M365005"]
    t.check(p.returncode == 3 and f and other_sha1 in f[0]["message"],
            "certificate not uploaded: M365005 with the thumbprint to look for", p.stdout[-800:])
    p = dirgate(["check", profile("wrongapp", op, client="11111111-2222-4333-8444-555555555555"),
                 "--format", "json"], env)
    t.check("M365007" in codes(p), "unknown application: M365007", p.stdout[-600:])
    p = dirgate(["check", profile("wrongtenant", op, tenant="22222222-3333-4444-8555-666666666666"),
                 "--format", "json"], env)
    t.check("M365008" in codes(p), "unknown tenant: M365008", p.stdout[-600:])
    p = dirgate(["preview", profile("wrongtenant2", op, tenant="fabrikam.onmicrosoft.com")], env)
    t.check(p.returncode == 1 and b"M365008" in p.stderr, "preview stops with the finding", p.stderr)
    # check refuses such a tenant offline; preview asks Entra, which says 900023
    p = dirgate(["preview", profile("badtenant", op, tenant="contoso_tenant")], env)
    t.check(p.returncode == 1 and b"M365009" in p.stderr and b"900023" in p.stderr,
            "malformed tenant identifier: AADSTS900023 -> M365009", p.stderr)

    # ---- clock skew: dirgate's clock an hour ahead (libfaketime), its
    # assertion not yet valid for oidc-provider -> AADSTS700024
    if shutil.which("faketime"):
        e = dict(os.environ, NO_COLOR="1", **env)
        # libfaketime is preloaded ahead of an ASan build's runtime; it only
        # wraps time functions, so ASan's link-order check can be waived
        e["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
        p = subprocess.run(["faketime", "-f", "+1h", binary, "check", profile("skew", op),
                            "--format", "json"], env=e, capture_output=True, timeout=120)
        t.check("M365010" in codes(p), "this machine's clock an hour ahead: M365010",
                p.stdout[-600:] + p.stderr[-300:])
    else:
        t.skip("this machine's clock an hour ahead: M365010", "faketime not installed")

    # ---- Graph faults
    prof = profile("faults", op)
    emu.faults.throttle = {"/v1.0/users": 2}
    t0 = time.time()
    p, res = preview_json(prof, env)
    t.check(p.returncode == 0 and len(res.get("users", [])) == 6 and time.time() - t0 >= 2,
            "429 with Retry-After: waited and retried", (p.stderr, time.time() - t0))
    emu.faults.unavailable = {"/v1.0/users": 1}
    p, res = preview_json(prof, env)
    t.check(p.returncode == 0 and len(res.get("users", [])) == 6, "503 with Retry-After retried",
            p.stderr)
    emu.faults.throttle = {"/v1.0/users": 50}
    p = dirgate(["preview", prof], env)
    t.check(p.returncode == 1 and b"M365022" in p.stderr, "endless 429: bounded, M365022", p.stderr)
    emu.faults.throttle = {}
    emu.faults.page_cap, emu.faults.expire_after_pages = 2, 1
    before = len(op.grant_errors())
    p, res = preview_json(prof, env)
    t.check(p.returncode == 0 and len(res.get("users", [])) == 6,
            "token expiring mid-paging is renewed", p.stderr)
    t.check(sum(1 for r in emu.requests if r[1] == 401) >= 2 and len(op.grant_errors()) == before,
            "renewed with fresh assertions (no replay refused)", emu.requests[-8:])
    emu.faults.page_cap, emu.faults.expire_after_pages = 0, 0
    emu.faults.endless = "repeat"
    p = dirgate(["preview", prof], env)
    t.check(p.returncode == 1 and b"M365020" in p.stderr and b"links back" in p.stderr,
            "a nextLink to itself: M365020", p.stderr)
    emu.faults.endless = True
    emu.faults.page_cap = 1
    n0 = len(emu.requests)
    p = dirgate(["preview", prof], env)
    t.check(p.returncode == 1 and b"M365020" in p.stderr and len(emu.requests) - n0 <= 2001,
            "a never-ending chain stops at the bound: M365020", (p.stderr, len(emu.requests) - n0))
    emu.faults.endless, emu.faults.page_cap = False, 0
    emu.faults.malformed_page = 0
    p = dirgate(["preview", prof], env)
    t.check(p.returncode == 1 and b"M365021" in p.stderr, "cut-off JSON: M365021", p.stderr)
    emu.faults.malformed_page = -1
    # the bearer token follows a nextLink only to Graph itself
    emu.faults.foreign_next, emu.faults.page_cap = True, 2
    n0 = len(emu.requests)
    p = dirgate(["preview", prof], env)
    pages = [r for r in emu.requests[n0:] if r[0].startswith("/v1.0/users")]
    t.check(p.returncode == 1 and b"M365021" in p.stderr and b"another host" in p.stderr and
            len(pages) == 1, "a nextLink to another host is not followed: M365021",
            (p.stderr, len(pages)))
    emu.faults.foreign_next, emu.faults.page_cap = False, 0
    emu.faults.drop_page = 0
    p, res = preview_json(prof, env)
    t.check(p.returncode == 0 and len(res.get("users", [])) == 6, "a dropped connection is retried",
            p.stderr)
    emu.faults.deny = True
    p = dirgate(["check", prof, "--format", "json"], env)
    t.check("M365011" in codes(p), "403 Authorization_RequestDenied: M365011", p.stdout[-600:])
    emu.faults.deny = False
    # a 500 is no throttling: not retried, M365015 names Graph's answer and
    # the preview fails instead of showing part of the directory
    emu.faults.server_error["/v1.0/users"] = 1
    p, res = preview_json(prof, env)
    fs = [f for f in res.get("findings", []) if f.get("code") == "M365015"]
    t.check(p.returncode == 1 and fs and fs[0].get("severity") == "error" and
            fs[0].get("path") == "/directory" and "500" in fs[0].get("message", "") and
            "generalException" in fs[0].get("message", "") and not res.get("users"),
            "500 generalException: M365015, no users", (p.returncode, fs, p.stderr[-400:]))
    emu.faults.server_error.clear()
    emu.faults.slow_seconds = 0.3
    p, res = preview_json(prof, env)
    t.check(p.returncode == 0 and len(res.get("users", [])) == 6, "slow answers are waited for",
            p.stderr)
    emu.faults.slow_seconds = 0

    # ---- TLS and the test-only overrides
    p = dirgate(["preview", with_endpoints(prof, emu.base.replace("https", "http"))], env)
    t.check(p.returncode == 1 and b"/directory/apiUrl must be an https URL" in p.stderr,
            "the Graph override must be https", p.stderr)
    noca = prof.replace(".json", "-noca.json")
    with open(prof) as f:
        d = json.load(f)
    del d["directory"]["tls"]
    with open(noca, "w") as f:
        json.dump(d, f)
    p = dirgate(["check", noca, "--format", "json"], env)
    t.check("M365013" in codes(p) and b"not trusted" in p.stdout,
            "an untrusted certificate: M365013", p.stdout[-600:])

    # ---- an encrypted key with keyPassword from the environment
    pw = "Canary-KeyPassword-51d0e7"
    enc = os.path.join(tmp, "app-encrypted.key")
    subprocess.run(["openssl", "pkcs8", "-topk8", "-in", KEY, "-out", enc, "-v2", "aes-256-cbc",
                    "-passout", "env:DG_M365_KEYPW"], env=dict(os.environ, DG_M365_KEYPW=pw),
                   check=True)
    os.chmod(enc, 0o600)
    with open(prof) as f:
        d = json.load(f)
    d["directory"]["certificate"] = {"certFile": CERT, "keyFile": enc,
                                     "keyPassword": {"env": "DG_M365_KEYPW"}}
    encprof = os.path.join(tmp, "encrypted.json")
    with open(encprof, "w") as f:
        json.dump(d, f)
    p, res = preview_json(encprof, dict(env, DG_M365_KEYPW=pw))
    outputs.append(p)
    t.check(p.returncode == 0 and len(res.get("users", [])) == 6,
            "an encrypted key is decrypted with keyPassword", p.stderr)
    p = dirgate(["preview", encprof], dict(env, DG_M365_KEYPW=pw[::-1]))
    outputs.append(p)
    t.check(p.returncode == 1 and b"M365023" in p.stderr, "a wrong keyPassword: M365023", p.stderr)
    printed_all = b"".join(x.stdout + x.stderr for x in outputs)
    t.check(pw.encode() not in printed_all and pw[::-1].encode() not in printed_all,
            "the key password never printed")

    # ---- a page cut off half-way is read again from its start: the users
    # read from its first half (999 users, ~600 KB a page: the reader has
    # taken several blocks of it) are not kept twice
    big = graph.GraphEmulator(tls, op.jwks_uri, op.ca_file, TENANT, op.issuer,
                              graph.Directory(graph.generate_users(2500), [])).start()
    servers.append(big)
    big_env = env
    prof = with_endpoints(prof, big.base)
    p0, whole = preview_json(prof, big_env)
    big.faults.cut_page = 1
    n0 = len(big.requests)
    p1, again = preview_json(prof, big_env)
    pages = [r[0] for r in big.requests[n0:] if r[0].startswith("/v1.0/users")]
    t.check(p0.returncode == 0 and p1.returncode == 0 and len(pages) == 4 and
            again.get("summary") == whole.get("summary") and
            again.get("users") == whole.get("users") and not again.get("conflicts"),
            "a page cut off mid-answer is retried and read once",
            (p1.stderr[-300:], len(pages), again.get("summary"), whole.get("summary")))

    # ---- progress on a terminal: reported from the page reader's thread
    # as each page is read, cleared at the end; stdout unchanged
    rc, out, term = run_pty(binary, ["preview", "--format", "json", prof], env=big_env)
    text = term.decode("utf-8", "replace")
    counts = [int(n) for n in re.findall(r"reading the directory: (\d+) entries, \d+/s", text)]
    t.check(rc == 0 and counts and counts == sorted(counts) and counts[-1] <= 2500 and
            text.endswith("\r\x1b[K") and json.loads(out).get("users") == whole.get("users"),
            "live preview: progress per page on a terminal, then cleared", (rc, text[-300:]))
    snap_pty = os.path.join(tmp, "progress.jsonl")
    rc, out, term = run_pty(binary, ["snapshot", prof, "--output", snap_pty], env=big_env)
    text = term.decode("utf-8", "replace")
    t.check(rc == 0 and re.search(r"reading the directory: \d+ entries", text) and
            "\r\x1b[K" in text and "2500 users from Microsoft Graph" in text and
            os.path.getsize(snap_pty) > 0,
            "snapshot: progress on a terminal, then the summary line", (rc, text[-300:]))

    # ---- canaries: no key material, no token anywhere
    key_lines = [ln.strip() for ln in open(KEY) if not ln.startswith("-----")]
    tokens = list(emu.verified)
    printed = b"".join(x.stdout + x.stderr for x in outputs) + open(snap, "rb").read()
    t.check(tokens and not any(tok.encode() in printed for tok in tokens) and
            not any(tok.split(".")[2].encode() in printed for tok in tokens),
            "no access token in any output or the snapshot", len(tokens))
    t.check(not any(ln.encode() in printed for ln in key_lines if len(ln) > 20),
            "no private-key line in any output or the snapshot")
finally:
    stop_all()
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
