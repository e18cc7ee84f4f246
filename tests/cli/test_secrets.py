#!/usr/bin/env python3
"""Canary test: a distinct canary value in every secret field of every
directory type — as env var, file, and literal, and inside malformed secret
objects — must never appear in any command's stdout, stderr or output file."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ROOT, Tap, run  # noqa: E402

binary = os.path.abspath(sys.argv[1])
t = Tap()
tmp = tempfile.mkdtemp(prefix="dg-canary-")
canaries = {}


def canary(tag):
    v = "CANARY-%s-7f3a9c" % tag
    canaries[tag] = v
    return v


def secret(tag, form):
    """A secret reference whose resolved value is a canary."""
    value = canary("%s-%s" % (tag, form))
    if form == "literal":
        return value
    if form == "env":
        name = "DG_CANARY_%s" % tag.upper().replace("-", "_")
        os.environ[name] = value
        return {"env": name}
    path = os.path.join(tmp, "%s.secret" % tag)
    with open(path, "w") as f:
        f.write(value + "\n")
    os.chmod(path, 0o600)
    return {"file": path}


ldif = os.path.join(ROOT, "examples", "demo", "directory.ldif")
auth_ad = {"method": "adfs", "adfsUrl": "https://adfs.contoso.com",
           "clientId": "8f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
           "redirectUri": "https://archive.contoso.com:8462/oidc/signin"}


def target(form):
    return {"url": "https://archive.contoso.com:8463", "user": "admin",
            "password": secret("target-password", form)}


def profiles(form):
    ad = {"name": "ad-%s" % form, "directory": {
        "type": "active-directory", "domain": "contoso.com", "baseDn": "DC=contoso,DC=com",
        "bind": {"user": "svc@contoso.com", "password": secret("ad-bind", form)},
        "snapshot": ldif}, "authentication": dict(auth_ad, testUser="alice@contoso.com",
                                                   testPassword=secret("ad-test", form)),
        "target": target(form)}
    ldap = {"name": "ldap-%s" % form, "directory": {
        "type": "ldap", "server": "ldap.example.com", "baseDn": "DC=contoso,DC=com",
        "bind": {"dn": "cn=admin,dc=example,dc=com", "password": secret("ldap-bind", form)},
        "snapshot": ldif}, "target": target(form)}
    m365 = {"name": "m365-%s" % form, "directory": {
        "type": "microsoft-365", "tenantId": "contoso.onmicrosoft.com",
        "clientId": "11111111-2222-3333-4444-555555555555",
        "certificate": {"certFile": "nope.crt", "keyFile": "nope.key",
                        "keyPassword": secret("m365-key", form)}},
        "authentication": {"method": "microsoft-365",
                           "redirectUri": "https://archive.contoso.com:8462/oidc/signin"},
        "target": target(form)}
    google = {"name": "google-%s" % form, "directory": {
        "type": "google-workspace", "serviceAccountKeyFile": "nope.json",
        "adminUser": "admin@contoso.com"},
        "authentication": {"method": "google-oidc", "clientId": "123-abc.apps.googleusercontent.com",
                           "clientSecret": secret("google-client", form),
                           "redirectUri": "https://archive.contoso.com:8462/oidc/signin"},
        "target": target(form)}
    return [ad, ldap, m365, google]


def malformed():
    """Secrets in shapes the loader must reject without echoing them."""
    return [
        {"name": "bad1", "directory": {"type": "ldap", "server": "x.example.com",
                                       "baseDn": "dc=x", "bind": {"dn": "cn=a,dc=x",
                                       "password": {"env": "X", "extra": canary("extra")}}}},
        {"name": "bad2", "directory": {"type": "ldap", "server": "x.example.com",
                                       "baseDn": "dc=x", "bind": {"dn": "cn=a,dc=x",
                                       "password": [canary("array")]}}},
        {"name": "bad3", "directory": {"type": "ldap", "server": "x.example.com",
                                       "baseDn": "dc=x", "bind": {"dn": "cn=a,dc=x",
                                       "password": {"file": 5, "env": canary("envname")}}}},
        {"name": "bad4", "target": {"url": "https://a.example.com:8463", "user": "admin",
                                    "pasword": canary("typo-key")},
         "directory": {"type": "ldap", "server": "x.example.com", "baseDn": "dc=x"}},
    ]


def commands(path, outdir):
    base = os.path.join(outdir, os.path.basename(path))
    return [
        ["check", "--offline", path],
        ["check", "--offline", "--format", "json", path],
        ["check", path],
        ["preview", path],
        ["preview", "--format", "json", path],
        ["preview", "--format", "csv", "--output", base + ".csv", path],
        ["preview", "--format", "html", "--output", base + ".html", path],
        ["preview", "--format", "json", "--output", base + ".json", path],
    ]


def leaked(blob):
    text = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob
    return [v for v in canaries.values() if v in text]


all_profiles = []
for form in ("env", "file", "literal"):
    all_profiles += profiles(form)
all_profiles += malformed()

outdir = tempfile.mkdtemp(prefix="dg-canary-out-")
for prof in all_profiles:
    path = os.path.join(tmp, prof["name"] + ".json")
    with open(path, "w") as f:
        json.dump(prof, f, indent=2)
    for args in commands(path, outdir):
        p = run(binary, args)
        bad = leaked(p.stdout) + leaked(p.stderr)
        crashed = p.returncode < 0 or p.returncode not in (0, 1, 3)
        t.check(not bad and not crashed, "%s: %s" % (prof["name"], " ".join(args[:-1])),
                "leaked %s, exit %d\n%s" % (bad, p.returncode, p.stderr.decode()[-2000:]))

files = sorted(os.listdir(outdir))
for name in files:
    data = open(os.path.join(outdir, name), "rb").read()
    t.check(not leaked(data), "output file %s has no secret" % name)
t.check(len(canaries) >= 20, "canaries planted in every secret field (%d)" % len(canaries))
t.done()
