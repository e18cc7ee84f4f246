#!/usr/bin/env python3
"""AD FS login, checked live: oidc-provider as AD FS (issuer under /adfs,
discovery at /adfs/.well-known/openid-configuration, token path with the
trailing slash, scopes openid profile allatclaims) on 127.0.0.1 with TLS
from a test CA, and dirgate check against it: trusted through
/authentication/tls/caFile, and each way it goes wrong."""
import json
import os
import shutil
import sys
import tempfile
import urllib.request
import ssl

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "oidc"))
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
from tap import ROOT, Tap, run  # noqa: E402
import fixture  # noqa: E402

binary = os.path.abspath(sys.argv[1])
t = Tap()
why = fixture.available()
if why:
    print("1..0 # SKIP %s" % why)
    sys.exit(0)

tmp = tempfile.mkdtemp(prefix="dg-adfs-")
servers = []
fixture.install_signal_handlers(lambda: [s.stop() for s in servers])
CLIENT = "5b8e8a4c-1f6e-4d7a-9c3b-2e1f0a9b8c7d"
REDIRECT = "https://archive.contoso.com:8462/oidc/signin"
LDIF = os.path.join(ROOT, "examples", "demo", "directory.ldif")


def profile(name, adfs_url, ca=True, fmt="sAMAccountName"):
    auth = {"method": "adfs", "adfsUrl": adfs_url, "clientId": CLIENT, "redirectUri": REDIRECT}
    if ca:
        auth["tls"] = {"caFile": ca if isinstance(ca, str) else op.ca_file}
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump({"name": name, "directory": {
            "type": "active-directory", "domain": "contoso.com", "baseDn": "DC=contoso,DC=com",
            "userNameFormat": fmt, "snapshot": LDIF}, "authentication": auth}, f)
    return path


def check(path):
    p = run(binary, ["check", path, "--format", "json"])
    try:
        return p, json.loads(p.stdout)["findings"]
    except (ValueError, KeyError):
        return p, []


def by_code(findings, code):
    return [f for f in findings if f["code"] == code]


tls = fixture.make_tls(os.path.join(tmp, "tls"))
op = fixture.OidcProvider("adfs", tmp, tls_dir=tls, adfs_client_id=CLIENT,
                          adfs_redirect_uri=REDIRECT)
try:
    op.start()
    servers.append(op)
    ctx = ssl.create_default_context(cafile=op.ca_file)
    with urllib.request.urlopen(op.issuer + "/.well-known/openid-configuration", context=ctx) as r:
        disc = json.load(r)
    t.check(disc["issuer"] == op.issuer and disc["token_endpoint"] == op.issuer + "/oauth2/token/"
            and {"openid", "profile", "allatclaims"} <= set(disc["scopes_supported"]),
            "the fixture looks like AD FS", disc)

    p, f = check(profile("good", op.base))
    t.check(p.returncode == 0 and by_code(f, "ADFS012"), "a good AD FS: ADFS012, no errors",
            p.stdout[-1500:] + p.stderr)
    t.check(by_code(f, "ADFS013") and REDIRECT in by_code(f, "ADFS013")[0]["message"],
            "reminder: redirect URI is the Web API identifier", by_code(f, "ADFS013"))
    t.check(by_code(f, "ADFS004"), "sAMAccountName names: the claim-rule finding", [x["code"] for x in f])
    p, f = check(profile("upn", op.base + "/adfs/", fmt="userPrincipalName"))
    t.check(p.returncode == 0 and by_code(f, "ADFS012") and not by_code(f, "ADFS004"),
            "adfsUrl with /adfs/; UPN names need no claim rule", [x["code"] for x in f])

    p, f = check(profile("noca", op.base, ca=False))
    t.check(p.returncode == 3 and by_code(f, "ADFS006") and not by_code(f, "ADFS012"),
            "the test CA not trusted: ADFS006", p.stdout[-800:])
    other = fixture.make_tls(os.path.join(tmp, "other"))
    p, f = check(profile("otherca", op.base, ca=os.path.join(other, "ca.crt")))
    t.check(p.returncode == 3 and by_code(f, "ADFS006") and
            by_code(f, "ADFS006")[0]["path"] == "/authentication/tls/caFile",
            "a CA file that did not issue it: ADFS006 at tls/caFile", p.stdout[-800:])
    p, f = check(profile("alias", op.base.replace("127.0.0.1", "localhost")))
    t.check(p.returncode == 3 and by_code(f, "ADFS008"), "another host name than the issuer: ADFS008",
            p.stdout[-800:])
    p, f = check(profile("down", "https://127.0.0.1:%d" % fixture.free_port()))
    t.check(p.returncode == 3 and by_code(f, "ADFS005"), "nothing listening: ADFS005", p.stdout[-800:])
finally:
    for s in servers:
        s.stop()

# AD FS without allatclaims
op = fixture.OidcProvider("adfs", tmp, tls_dir=tls, adfs_client_id=CLIENT,
                          adfs_redirect_uri=REDIRECT, adfs_scopes="openid profile email")
try:
    op.start()
    servers[:] = [op]
    p, f = check(profile("noscope", op.base))
    t.check(p.returncode == 3 and by_code(f, "ADFS011") and
            "allatclaims" in by_code(f, "ADFS011")[0]["message"],
            "allatclaims not supported: ADFS011", p.stdout[-800:])
finally:
    op.stop()

# AD FS whose signing keys cannot be used: MailStore could not verify any
# ID token it issues
for fault, says in (("garbage", "not"), ("none", "key"), ("missing", "HTTP error")):
    op = fixture.OidcProvider("adfs", tmp, tls_dir=tls, adfs_client_id=CLIENT,
                              adfs_redirect_uri=REDIRECT, adfs_keys=fault)
    try:
        op.start()
        p, f = check(profile("keys-" + fault, op.base))
        hits = by_code(f, "ADFS010")
        t.check(p.returncode == 3 and hits and op.jwks_uri in hits[0]["message"] and
                says in hits[0]["message"] and "Certificates" in hits[0]["hint"],
                "signing keys %s: ADFS010" % fault, p.stdout[-800:])
    finally:
        op.stop()
shutil.rmtree(tmp, ignore_errors=True)
t.done()
