#!/usr/bin/env python3
"""Canary test: a distinct canary value in every secret field of every
directory type — as env var, file, and literal, and inside malformed secret
objects — must never appear in any command's stdout, stderr or output file.

The rows must also get as far as using the secret: the Microsoft 365 key is
encrypted with its keyPassword canary (so every command has to decrypt it),
the Google service-account key file is a real one, and both point their
token endpoints at a closed port on this computer, so the live commands
stop at the network, after the secrets were read, and never leave it."""
import json
import os
import shutil
import subprocess
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
KEYS = os.path.join(ROOT, "examples", "keys")
CLOSED = "https://127.0.0.1:9"   # the discard port: nothing listens there
# Microsoft 365: the example certificate; its key is encrypted per form below
# (the token endpoint and Graph: CLOSED, through the test-only profile keys)


def m365_key(form, password):
    """The example key encrypted with `password` (the keyPassword canary)."""
    path = os.path.join(tmp, "m365-%s.key" % form)
    subprocess.run(["openssl", "pkcs8", "-topk8", "-in", os.path.join(KEYS, "mailstore-m365.key"),
                    "-out", path, "-v2", "aes-256-cbc", "-passout", "env:DG_KEY_PW"],
                   env=dict(os.environ, DG_KEY_PW=password), check=True, capture_output=True)
    os.chmod(path, 0o600)
    return path


def google_key():
    """The example service-account key, its token_uri on this computer."""
    with open(os.path.join(KEYS, "google-service-account.json")) as f:
        key = json.load(f)
    key["token_uri"] = CLOSED + "/token"
    path = os.path.join(tmp, "google-sa.json")
    with open(path, "w") as f:
        json.dump(key, f)
    os.chmod(path, 0o600)
    return path
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
    key_pw = secret("m365-key", form)
    m365 = {"name": "m365-%s" % form, "directory": {
        "type": "microsoft-365", "tenantId": "contoso.onmicrosoft.com",
        "clientId": "11111111-2222-3333-4444-555555555555",
        "certificate": {"certFile": os.path.join(KEYS, "mailstore-m365.crt"),
                        "keyFile": m365_key(form, canaries["m365-key-%s" % form]),
                        "keyPassword": key_pw},
        "authorityUrl": CLOSED, "apiUrl": CLOSED},
        "authentication": {"method": "microsoft-365",
                           "redirectUri": "https://archive.contoso.com:8462/oidc/signin"},
        "target": target(form)}
    google = {"name": "google-%s" % form, "directory": {
        "type": "google-workspace", "serviceAccountKeyFile": google_key(),
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


# What a row that never got as far as its secrets prints: a key or
# certificate file that cannot be read, a keyPassword that was not used to
# decrypt the key.  A canary row showing one of them proves nothing.
STOPPED_EARLY = {"m365": ("PROF009", "CERT002", "CERT003", "CERT004", "CERT012", "M365023"),
                 "google": ("PROF009", "GOOGLE011", "cannot read")}


def stopped_early(name, out):
    text = out.decode("utf-8", "replace")
    return [w for w in STOPPED_EARLY.get(name.split("-")[0], ()) if w in text]


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
        early = stopped_early(prof["name"], p.stdout + p.stderr)
        t.check(not bad and not crashed and not early,
                "%s: %s" % (prof["name"], " ".join(args[:-1])),
                "leaked %s, exit %d, stopped before the secrets at %s\n%s"
                % (bad, p.returncode, early, (p.stdout + p.stderr).decode()[-2000:]))

files = sorted(os.listdir(outdir))
for name in files:
    data = open(os.path.join(outdir, name), "rb").read()
    t.check(not leaked(data), "output file %s has no secret" % name)
# dirgate itself found every planted secret: a literal one earns SECRET001
# at its path (a canary in a field dirgate never reads would prove nothing)
PLANTED = {"ad": {"/directory/bind/password", "/authentication/testPassword", "/target/password"},
           "ldap": {"/directory/bind/password", "/target/password"},
           "m365": {"/directory/certificate/keyPassword", "/target/password"},
           "google": {"/authentication/clientSecret", "/target/password"}}
for kind, paths in PLANTED.items():
    p = run(binary, ["check", "--offline", "--format", "json",
                     os.path.join(tmp, "%s-literal.json" % kind)])
    try:
        found = {f["path"] for f in json.loads(p.stdout)["findings"] if f["code"] == "SECRET001"}
    except (ValueError, KeyError):
        found = set()
    t.check(found == paths, "%s: dirgate finds each planted literal secret" % kind,
            (sorted(found), sorted(paths)))
shutil.rmtree(tmp, ignore_errors=True)
shutil.rmtree(outdir, ignore_errors=True)
t.done()
