#!/usr/bin/env python3
"""`dirgate check` against directories that fail in ways the other live
tests never see, one finding code each, asserted by code, severity, JSON
pointer and exit status:

  LDAP014  StartTLS refused (a slapd without TLS)
  LDAP017  a bind DN without a password
  LDAP020  the RootDSE cannot be read (a slapd whose ACL hides it)
  LDAP025  the schema cannot be read (a slapd whose ACL hides cn=Subschema)
  LDAP030  the test user's name matches two entries
  AD004    AD's "data 525" bind refusal (tests/integration/fake_ldap.py)

The two slapds listen on 127.0.0.1 only, without TLS, loaded offline with
slapadd; everything started here is stopped here.  Prints TAP.

usage: test_live_failures.py DIRGATE"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(os.path.dirname(here), "cli"))
import slapd  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
binary = os.path.abspath(sys.argv[1])
slapd.skip_unless_installed()

# slapd.conf lines of the global section: they govern the frontend entries
# (RootDSE, cn=Subschema), which the database's own "access to *" does not;
# what no rule there grants is denied.
HIDE_SCHEMA = 'access to dn.base="cn=Subschema" by * none\naccess to * by * read'
HIDE_ROOTDSE = 'access to dn.base="" by * none'
ALICE_DN = "uid=alice,ou=people," + slapd.SUFFIX
# a second entry whose uid is alice's: the test user's name is ambiguous
ALICE_TWIN = ("dn: uid=alice,ou=bulk,%s\nobjectClass: inetOrgPerson\nuid: alice\n"
              "cn: Alice Twin\nsn: Twin\nmail: alice.twin@example.com\n" % slapd.SUFFIX)


def check(tmp, directory, env_extra=None, auth=None):
    prof = {"name": "failures", "directory": directory}
    if auth:
        prof["authentication"] = auth
    path = os.path.join(tmp, "p.json")
    with open(path, "w") as f:
        json.dump(prof, f)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LDAP")}
    env.update(NO_COLOR="1", LC_ALL="C.UTF-8", DG_IT_PW=slapd.ROOT_PW)
    env.update(env_extra or {})
    p = subprocess.run([binary, "check", "--format", "json", path], env=env,
                       capture_output=True, timeout=60)
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        doc = {"findings": []}
    return p.returncode, doc


def expect(rc, doc, want_rc, code, severity, path, words, name):
    """One test point: the exit status, and a finding `code` with exactly
    this severity and path whose message holds `words`."""
    hits = [f for f in doc["findings"] if f["code"] == code]
    ok = rc == want_rc and any(f["severity"] == severity and f["path"] == path and
                               words in f["message"] for f in hits)
    t.check(ok, "%s: %s %s at %s, exit %d" % (name, severity, code, path or '""', want_rc),
            "exit %d\n%s" % (rc, json.dumps(doc["findings"], indent=1)[-2500:]))


def start_slapd(tmp, name, extra, ldif):
    """A plain-LDAP slapd (no certificate) with `extra` in its global
    section, loaded offline with slapadd before it starts."""
    s = slapd.Slapd(tmp, name, None, None, extra)
    path = os.path.join(tmp, name + ".ldif")
    with open(path, "w") as f:
        f.write(ldif)
    s.load(path)
    s.start()
    return s


def start_fake_ldap():
    """tests/integration/fake_ldap.py; it serves until its stdin closes."""
    p = subprocess.Popen([sys.executable, os.path.join(here, "fake_ldap.py")],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    port = p.stdout.readline().decode().strip()
    if not port.isdigit():
        stop_fake_ldap(p)
        raise RuntimeError("fake_ldap.py did not print its port")
    return p, int(port)


def stop_fake_ldap(p):
    p.stdin.close()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=10)


def ldap_directory(s, **over):
    d = {"type": "ldap", "server": "127.0.0.1", "port": s.ldap_port, "protocol": "ldap",
         "baseDn": slapd.SUFFIX,
         "bind": {"dn": slapd.ROOT_DN, "password": {"env": "DG_IT_PW"}},
         "users": {"filter": "(objectClass=inetOrgPerson)", "userNameAttribute": "uid"}}
    d.update(over)
    return d


def test_slapd(tmp, noschema, nordse):
    rc, doc = check(tmp, ldap_directory(noschema, protocol="ldap-tls"))
    expect(rc, doc, 3, "LDAP014", "error", "/directory/protocol", "refused StartTLS",
           "StartTLS to a server without TLS")

    rc, doc = check(tmp, ldap_directory(noschema, bind={"dn": slapd.ROOT_DN}))
    expect(rc, doc, 3, "LDAP017", "error", "/directory/bind/password",
           "a bind DN is given but no password", "bind DN without a password")
    t.check("LDAP021" not in [f["code"] for f in doc["findings"]],
            "bind DN without a password: no bind was claimed (no LDAP021)")

    rc, doc = check(tmp, ldap_directory(noschema))
    expect(rc, doc, 0, "LDAP025", "warning", "/directory", "from cn=Subschema",
           "subschema entry hidden by an ACL (a warning only)")

    login = {"method": "standard", "testUser": "alice",
             "testPassword": {"env": "DG_IT_TESTPW"}}
    rc, doc = check(tmp, ldap_directory(noschema), {"DG_IT_TESTPW": "alicepass"}, login)
    expect(rc, doc, 3, "LDAP030", "error", "/authentication/testUser",
           'test user "alice" matches 2 entries', "test user name matching two entries")
    t.check("LDAP031" not in [f["code"] for f in doc["findings"]],
            "an ambiguous test user is not logged on (no LDAP031)")

    rc, doc = check(tmp, ldap_directory(nordse))
    expect(rc, doc, 3, "LDAP020", "error", "/directory", "reading the RootDSE failed",
           "RootDSE hidden by an ACL")


def test_ad_data_525(tmp, port):
    ad = {"type": "active-directory", "server": "127.0.0.1", "port": port, "protocol": "ldap",
          "domain": "fake.example", "baseDn": "dc=fake",
          "bind": {"user": "ad-data-525@fake.example", "password": {"env": "DG_IT_PW"}}}
    rc, doc = check(tmp, ad)
    expect(rc, doc, 3, "AD004", "error", "/directory/bind/user",
           "the bind user does not exist (AD data 525)", "AD refuses the bind with data 525")


slapd.install_signal_handlers(lambda: None)
tmp = tempfile.mkdtemp(prefix="dg-live-failures-")
servers, fake = [], None
try:
    servers.append(start_slapd(tmp, "noschema", HIDE_SCHEMA,
                               slapd.base_ldif(0) + "\n" + ALICE_TWIN))
    servers.append(start_slapd(tmp, "nordse", HIDE_ROOTDSE, slapd.base_ldif(0)))
    test_slapd(tmp, *servers)
    fake, port = start_fake_ldap()
    test_ad_data_525(tmp, port)
finally:
    for s in servers:
        s.stop()
    if fake:
        stop_fake_ldap(fake)
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
