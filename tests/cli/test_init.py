#!/usr/bin/env python3
"""dirgate init: each starting profile passes 'check --offline' apart from
exactly the fields left to fill in, validates against the JSON Schema, names
the MailStore UI label of its fields in "//" comment keys, and passes
cleanly once those fields are filled in.  Also: "//" keys are comments for
the loader (a string), anything else is still an error.
usage: test_init.py DIRGATE"""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ROOT, Tap, run  # noqa: E402

binary = os.path.abspath(sys.argv[1])
t = Tap()
KEYS = os.path.join(ROOT, "examples", "keys")

# (code, path) of every finding check --offline gives each untouched profile:
# PROF007 for each "" to fill in, SECRET004 for the environment variables not
# set here, and the rules that follow from an empty value or the method.
TODO = ["/target/url", "/target/user"]
EXPECTED = {
    "active-directory": {("PROF007", p) for p in
                         ["/directory/server", "/directory/bind/user"] + TODO} |
                        {("SECRET004", "/directory/bind/password"), ("SECRET004", "/target/password")},
    "ldap": {("PROF007", p) for p in ["/directory/server", "/directory/bind/dn"] + TODO} |
            {("SECRET004", "/directory/bind/password"), ("SECRET004", "/target/password")},
    "microsoft-365": {("PROF007", p) for p in
                      ["/directory/tenantId", "/directory/clientId",
                       "/directory/certificate/certFile", "/directory/certificate/keyFile",
                       "/authentication/redirectUri"] + TODO} |
                     {("AUTH002", "/authentication/redirectUri"), ("AUTH004", "/authentication/method"),
                      ("AUTH006", "/authentication/method"), ("SECRET004", "/target/password")},
    "google-workspace": {("PROF007", p) for p in
                         ["/directory/serviceAccountKeyFile", "/directory/adminUser",
                          "/authentication/clientId", "/authentication/redirectUri"] + TODO} |
                        {("AUTH002", "/authentication/clientId"),
                         ("AUTH002", "/authentication/redirectUri"),
                         ("AUTH004", "/authentication/method"),
                         ("SECRET004", "/authentication/clientSecret"),
                         ("SECRET004", "/target/password")},
}
# What an administrator fills in; afterwards no error may remain.
FILL = {
    "/directory/server": "dc01.contoso.com",
    "/directory/bind/user": "svc-mailstore@contoso.com",
    "/directory/bind/dn": "cn=mailstore,dc=example,dc=com",
    "/directory/tenantId": "015b1e55-614a-4fea-a7ff-59a9f85ebb1a",
    "/directory/clientId": "8255370c-5d0d-4f37-97e7-30f9bf8a6fbf",
    "/directory/certificate/certFile": os.path.join(KEYS, "mailstore-m365.crt"),
    "/directory/certificate/keyFile": os.path.join(KEYS, "mailstore-m365.key"),
    "/directory/serviceAccountKeyFile": os.path.join(KEYS, "google-service-account.json"),
    "/directory/adminUser": "admin@example.com",
    "/authentication/clientId": "402589133417-85f5x40v46iihlrskp7juu95fy3a4ne1.apps.googleusercontent.com",
    "/authentication/redirectUri": "https://archive.example.com:8462/oidc/signin",
    "/target/url": "https://archive.example.com:8463",
    "/target/user": "admin",
}
SECRET_ENV = {"DIRGATE_AD_PASSWORD": "x", "DIRGATE_LDAP_PASSWORD": "x", "DIRGATE_API_PASSWORD": "x",
              "DIRGATE_GOOGLE_CLIENT_SECRET": "x"}


def findings(path, env=None):
    p = run(binary, ["check", "--offline", "--format", "json", path], env=env)
    doc = json.loads(p.stdout)
    return p.returncode, doc["findings"]


def set_pointer(doc, pointer, value):
    *parents, last = pointer.strip("/").split("/")
    for k in parents:
        doc = doc[k]
    doc[last] = value


def comments_and_fields(obj, path=""):
    """(fields without a "//" comment, comments that name no field)."""
    bare, orphans = [], []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k.startswith("//"):
                if k != "//" and k[2:] not in obj:
                    orphans.append(path + "/" + k)
                continue
            if "//" + k in obj or k.startswith("$"):
                continue  # a commented object (a secret reference) is one field
            if not isinstance(v, dict):
                bare.append(path + "/" + k)
                continue
            bare_, orphans_ = comments_and_fields(v, path + "/" + k)
            bare += bare_
            orphans += orphans_
    return bare, orphans


try:
    import jsonschema
    schema = json.load(open(os.path.join(ROOT, "schemas", "profile.schema.json")))
    validator = jsonschema.Draft7Validator(schema)
except ImportError:
    validator = None

tmp = tempfile.mkdtemp(prefix="dirgate-init-")
try:
    for typ, expected in EXPECTED.items():
        path = os.path.join(tmp, typ + ".json")
        p = run(binary, ["init", "--type", typ, "--out", path])
        t.check(p.returncode == 0 and os.path.exists(path) and b"check --offline" in p.stderr,
                "init --type %s --out FILE writes the profile" % typ, p.stderr)
        if p.returncode:
            continue
        stdout = run(binary, ["init", "--type", typ]).stdout
        t.check(stdout == open(path, "rb").read(), "init --type %s without --out: the same, on stdout" % typ)
        doc = json.load(open(path))
        t.check(doc["directory"]["type"] == typ and doc["$schema"].endswith("/dirgate/profile.schema.json"),
                "%s: the type, and $schema names the installed schema" % typ, doc.get("$schema"))
        rc, fs = findings(path)
        got = {(f["code"], f["path"]) for f in fs}
        t.check(rc == 3 and got == expected,
                "%s: check --offline finds exactly the fields to fill in" % typ,
                "missing: %s\nunexpected: %s" % (sorted(expected - got), sorted(got - expected)))
        bare, orphans = comments_and_fields(doc)
        t.check(not bare and not orphans,
                "%s: every field has its \"//\" comment and every comment a field" % typ,
                "without comment: %s\ncomment without field: %s" % (bare, orphans))
        t.check(doc["directory"]["//type"].startswith("MailStore UI: Directory Service Type"),
                "%s: the comments give MailStore's UI labels" % typ, doc["directory"]["//type"])
        todo = sorted({p for c, p in expected if c == "PROF007"})
        if validator:
            errs = sorted("/" + "/".join(map(str, e.absolute_path)) for e in validator.iter_errors(doc))
            t.check(errs == todo, "%s: the JSON Schema objects to exactly the fields to fill in" % typ,
                    "\n".join(errs))
        for pointer in todo:
            set_pointer(doc, pointer, FILL[pointer])
        if validator:
            errs = [e.message for e in validator.iter_errors(doc)]
            t.check(not errs, "%s: filled in, the JSON Schema accepts it with its comments" % typ,
                    "\n".join(errs))
        filled = os.path.join(tmp, typ + "-filled.json")
        with open(filled, "w") as f:
            json.dump(doc, f)
        rc, fs = findings(filled, env=SECRET_ENV)
        errors = [(f["code"], f["path"], f["message"]) for f in fs if f["severity"] == "error"]
        t.check(rc == 0 and not errors, "%s: with the fields filled in, check --offline passes" % typ,
                "exit %d\n%s" % (rc, errors))

    path = os.path.join(tmp, "existing.json")
    with open(path, "w") as f:
        f.write("{}\n")
    p = run(binary, ["init", "--type", "active-directory", "--out", path])
    t.check(p.returncode == 1 and open(path).read() == "{}\n" and b"exists" in p.stderr,
            "init --out never replaces an existing file", p.stderr)
    p = run(binary, ["init", "--type", "ldap", "extra"])
    t.check(p.returncode == 64, "init: an operand is a usage error", p.stderr)

    # "//" keys are comments; their value must be a string
    base = json.load(open(os.path.join(ROOT, "examples", "ldap.json")))
    base["$schema"] = "x"
    base["//"] = "top"
    base["directory"]["//server"] = "a comment"
    base["directory"]["users"]["// any text"] = "another"
    bad = dict(base, directory=dict(base["directory"], **{"//port": 389}))
    for name, doc, want in (("string comments", base, set()),
                            ("a comment that is not a string", bad,
                             {("PROF003", "/directory/~1~1port")})):
        path = os.path.join(tmp, "comments.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        shutil.copytree(os.path.join(ROOT, "examples", "keys"), os.path.join(tmp, "keys"),
                        dirs_exist_ok=True)
        rc, fs = findings(path, env={"EXAMPLE_LDAP_PASSWORD": "x", "EXAMPLE_API_PASSWORD": "x"})
        got = {(f["code"], f["path"]) for f in fs if f["severity"] == "error"}
        t.check(got == want, "profile loader: %s" % name, "%s" % sorted(got))
finally:
    shutil.rmtree(tmp)
t.done()
