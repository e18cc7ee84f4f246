#!/usr/bin/env python3
"""`dirgate check` with live probes against private slapd servers
(tests/integration/slapd.py): connect and bind, RootDSE, base DN, the user
filter's count (equal to what ldapsearch finds), per-clause counts when the
filter selects no one, bind failures, an LDAP server posing as AD, and the
printed ldapsearch command repeated by hand.  Prints TAP.

usage: test_check_live.py DIRGATE"""
import json
import os
import shlex
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


def check(tmp, directory, env_extra=None, auth=None, args=(), no_tty=False):
    prof = {"name": "live", "directory": directory}
    if auth:
        prof["authentication"] = auth
    path = os.path.join(tmp, "p.json")
    with open(path, "w") as f:
        json.dump(prof, f)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LDAP")}
    env.update(NO_COLOR="1", LC_ALL="C.UTF-8", DG_IT_PW=slapd.ROOT_PW)
    env.update(env_extra or {})
    p = subprocess.run([binary, "check", "--format", "json", *args, path], env=env,
                       capture_output=True, timeout=120, start_new_session=no_tty)
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        doc = {"findings": []}
    return p, doc


def check_on_tty(tmp, directory, auth, typed):
    """check --format json on a new controlling terminal; types `typed` at
    the secret prompt.  Returns (exit code, everything the terminal got)."""
    import pty
    import select
    import time
    prof = {"name": "live", "directory": directory, "authentication": auth}
    path = os.path.join(tmp, "tty.json")
    with open(path, "w") as f:
        json.dump(prof, f)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LDAP")}
    env.update(NO_COLOR="1", LC_ALL="C.UTF-8", DG_IT_PW=slapd.ROOT_PW)
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(binary, [binary, "check", "--format", "json", path], env)
    out, sent, deadline = b"", False, time.monotonic() + 60
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.5)
        if not r:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if not sent and b"Secret for" in out:
            os.write(fd, typed.encode() + b"\n")
            sent = True
    else:
        os.kill(pid, 9)
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out


def codes(doc):
    return [f["code"] for f in doc["findings"]]


def find(doc, code):
    return next((f for f in doc["findings"] if f["code"] == code), None)


def ldapsearch_count(port, filt, pwfile, extra=()):
    args = ["ldapsearch", "-x", "-LLL", "-H", "ldap://127.0.0.1:%d" % port, "-D",
            slapd.ROOT_DN, "-y", pwfile, "-b", slapd.SUFFIX, "-E", "pr=1000/noprompt",
            *extra, filt, "1.1"]
    out = subprocess.run(args, capture_output=True, timeout=60).stdout.decode()
    return sum(1 for line in out.splitlines() if line.startswith("dn:"))


slapd.install_signal_handlers(lambda: None)
tmp = tempfile.mkdtemp(prefix="dg-check-live-")
try:
    with slapd.SlapdSet(n_bulk=1200) as s:
        pwfile = os.path.join(tmp, "pw")
        with open(pwfile, "w") as f:
            f.write(slapd.ROOT_PW)
        os.chmod(pwfile, 0o600)
        base = {"type": "ldap", "server": "127.0.0.1", "port": s.main.ldap_port,
                "protocol": "ldap", "baseDn": slapd.SUFFIX,
                "bind": {"dn": slapd.ROOT_DN, "password": {"env": "DG_IT_PW"}}}

        # 1. a working profile: bound, and the count equals ldapsearch's
        users = {"filter": "(objectClass=inetOrgPerson)"}
        p, doc = check(tmp, dict(base, users=users))
        want = ldapsearch_count(s.main.ldap_port, users["filter"], pwfile)
        t.check(p.returncode == 0, "working profile: exit 0", p.stdout.decode()[-1500:])
        t.check("LDAP021" in codes(doc), "connected and bound (LDAP021)", codes(doc))
        f23 = find(doc, "LDAP023")
        t.check(f23 and " %d entries " % want in f23["message"] and want > 1000,
                "user filter count equals ldapsearch (%d)" % want, f23)

        f32 = find(doc, "LDAP032")
        t.check(f32 and "would produce %d users" % want in f32["message"] and
                f32["hint"].startswith("  alice (Alice Anders) <alice@example.com>\n  bob "),
                "five sample users as MailStore would name them (LDAP032)", f32)

        # 2. the printed ldapsearch command, repeated by hand, finds the same
        if f23:
            cmd = f23["hint"].split("repeat by hand: ", 1)[1].splitlines()[0]
            argv = shlex.split(cmd)
            envs = {}
            while argv and "=" in argv[0] and not argv[0].startswith("-"):
                k, v = argv.pop(0).split("=", 1)
                envs[k] = v
            argv = [("-y" if a == "-W" else a) for a in argv]
            if "-y" in argv:
                argv.insert(argv.index("-y") + 1, pwfile)
            out = subprocess.run(argv, capture_output=True, timeout=60,
                                 env=dict(os.environ, **envs)).stdout.decode()
            n = sum(1 for line in out.splitlines() if line.startswith("dn:"))
            t.check(n == want, "the printed ldapsearch command finds the same %d" % want,
                    "%s -> %d" % (cmd, n))

        # 3. a filter that selects no one: per-clause counts say which clause
        users0 = {"filter": "(&(objectClass=inetOrgPerson)(description=nobody-has-this))"}
        p, doc = check(tmp, dict(base, users=users0))
        f22 = find(doc, "LDAP022")
        t.check(p.returncode == 3 and f22 and f22["path"] == "/directory/users/filter",
                "empty result is an error at /directory/users/filter", doc)
        t.check(f22 and "(description=nobody-has-this): 0" in f22["hint"] and
                "(objectClass=inetOrgPerson): %d" % want in f22["hint"],
                "per-clause counts show the clause that removes everyone",
                f22 and f22["hint"])

        # 4. StartTLS with the CA file
        tls = dict(base, protocol="ldap-tls", users=users, tls={"caFile": s.ca_file})
        p, doc = check(tmp, tls)
        t.check(p.returncode == 0 and "LDAP023" in codes(doc), "StartTLS with caFile",
                codes(doc))
        f23 = find(doc, "LDAP023")
        t.check(f23 and "-ZZ" in f23["hint"] and "LDAPTLS_CACERT=" in f23["hint"],
                "ldapsearch command carries -ZZ and the CA file", f23 and f23["hint"])

        # 5. wrong password: its own finding, exit 3
        p, doc = check(tmp, dict(base, users=users), {"DG_IT_PW": "wrong-Canary-77"})
        t.check(p.returncode == 3 and "LDAP015" in codes(doc), "wrong password -> LDAP015",
                codes(doc))
        t.check(b"wrong-Canary-77" not in p.stdout + p.stderr,
                "the wrong password is not echoed")

        # 6. an LDAP server posing as AD: not AD, and no base DN to take
        ad = {"type": "active-directory", "server": "127.0.0.1", "protocol": "ldap",
              "port": s.main.ldap_port, "baseDn": "",
              "bind": {"user": slapd.ROOT_DN, "password": {"env": "DG_IT_PW"}}}
        p, doc = check(tmp, ad)
        t.check("AD014" in codes(doc) and "AD016" in codes(doc) and p.returncode == 3,
                "slapd as AD: AD014 warning and AD016 (no defaultNamingContext)",
                codes(doc))

        # 7. the server's schema: unknown attributes, with a did-you-mean
        bad = {"filter": "(&(objectClass=inetOrgPerson)(mial=*))", "emailAttribute": "mial",
               "fullNameAttribute": "displayName"}
        p, doc = check(tmp, dict(base, users=bad))
        f24 = [f for f in doc["findings"] if f["code"] == "LDAP024"]
        paths = sorted(f["path"] for f in f24)
        t.check(paths == ["/directory/users/emailAttribute", "/directory/users/filter"],
                "unknown attribute in filter and mapping (LDAP024)", paths)
        t.check(all('did you mean "mail"' in f["message"] for f in f24),
                "did-you-mean names the schema's attribute", [f["message"] for f in f24])
        p, doc = check(tmp, dict(ad, filters={"exchangeUsersOnly": True,
                                              "visibleInAddressListsOnly": True}))
        t.check("AD017" in codes(doc), "no Exchange schema: visibleInAddressListsOnly is void",
                codes(doc))

        # 8. selected groups: found once, by name or DN; a crafted name stays a value
        grp = lambda names: dict(base, users=users, groups={"filter": "(objectClass=groupOfNames)",
                                                            "names": names})
        dn = "cn=engineering,ou=groups," + slapd.SUFFIX
        p, doc = check(tmp, grp(["engineering", dn, "nope*)(cn=*"]))
        by_path = {f["path"]: f["code"] for f in doc["findings"]
                   if f["path"].startswith("/directory/groups/names/")}
        t.check(by_path == {"/directory/groups/names/0": "LDAP028",
                            "/directory/groups/names/1": "LDAP028",
                            "/directory/groups/names/2": "LDAP026"},
                "groups by name and DN found; crafted name finds nothing", by_path)
        subprocess.run(["ldapadd", "-x", "-H", "ldap://127.0.0.1:%d" % s.main.ldap_port,
                        "-D", slapd.ROOT_DN, "-y", pwfile],
                       input=("dn: cn=engineering,ou=bulk,%s\nobjectClass: groupOfNames\n"
                              "cn: engineering\nmember: %s\n" % (slapd.SUFFIX, slapd.ROOT_DN)
                              ).encode(), capture_output=True, timeout=60,
                       env={k: v for k, v in os.environ.items() if not k.startswith("LDAP")})
        p, doc = check(tmp, grp(["engineering"]))
        f27 = find(doc, "LDAP027")
        t.check(p.returncode == 3 and f27 and "2 groups" in f27["message"],
                "a name that matches two groups is an error", f27)

        # 9. test authentication: log a user on as MailStore would
        login = {"method": "standard", "testUser": "alice",
                 "testPassword": {"env": "DG_IT_TESTPW"}}
        p, doc = check(tmp, dict(base, users=users), {"DG_IT_TESTPW": "alicepass"}, login)
        f31 = find(doc, "LDAP031")
        t.check(p.returncode == 0 and f31 and "uid=alice,ou=people" in f31["message"],
                "test user alice logs on by her uid (LDAP031)", codes(doc))
        p, doc = check(tmp, dict(base, users=users), {"DG_IT_TESTPW": "Canary-Test-55"}, login)
        f15 = find(doc, "LDAP015")
        t.check(p.returncode == 3 and f15 and f15["path"] == "/authentication/testPassword",
                "wrong test password: LDAP015 at /authentication/testPassword", doc["findings"])
        t.check(b"Canary-Test-55" not in p.stdout + p.stderr, "test password never printed")
        p, doc = check(tmp, dict(base, users=users), {"DG_IT_TESTPW": "x"}, login,
                       ("--test-user", "nobody*)(uid=*"))
        t.check("LDAP029" in codes(doc), "--test-user overrides; a crafted name finds no one",
                codes(doc))

        # 10. nothing printed ever holds the bind password
        outs = b""
        for d in (dict(base, users=users), dict(base, users=users0), tls, ad):
            p, _ = check(tmp, d)
            outs += p.stdout + p.stderr
        t.check(slapd.ROOT_PW.encode() not in outs, "bind password never printed")

        # 11. a bind secret that cannot be read: no probe ran, so no exit 0
        env_unset = {"DG_IT_PW": ""}
        p, doc = check(tmp, dict(base, users=users), env_unset)
        f37 = find(doc, "LDAP037")
        t.check(p.returncode == 3 and f37 and f37["path"] == "/directory/bind/password" and
                "DG_IT_PW" in f37["message"] and "LDAP021" not in codes(doc),
                "bind secret missing: LDAP037 names it, exit 3 (was 0 errors, exit 0)",
                (p.returncode, doc["findings"]))
        p, doc = check(tmp, dict(base, users=users), None, dict(login, testPassword={
            "env": "DG_IT_NO_SUCH_VAR"}))
        f37 = find(doc, "LDAP037")
        t.check(p.returncode == 3 and f37 and f37["path"] == "/authentication/testPassword",
                "test password missing: LDAP037 at /authentication/testPassword, exit 3",
                (p.returncode, codes(doc)))

        # 12. the test password typed at the prompt: the result is reported
        prompt_login = {"method": "standard", "testUser": "alice"}
        for typed, want, code in (("alicepass", 0, "LDAP031"), ("Canary-Typed-77", 3, "LDAP015")):
            rc, out = check_on_tty(tmp, dict(base, users=users), prompt_login, typed)
            t.check(rc == want and ('"%s"' % code).encode() in out and
                    b"Canary-Typed-77" not in out,
                    "test password typed at the prompt: %s, exit %d" % (code, want),
                    (rc, out[-1500:]))

        p, doc = check(tmp, dict(base, users=users), None, prompt_login, no_tty=True)
        f37 = find(doc, "LDAP037")
        t.check(p.returncode == 3 and f37 and f37["path"] == "/authentication/testPassword" and
                "no terminal" in f37["message"] and "LDAP031" not in codes(doc),
                "no terminal to prompt on: LDAP037 says the logon was not tried, exit 3",
                (p.returncode, doc["findings"][-2:]))

        # 13. a search cut short (anonymous: 500 entries) gives no exact counts
        anon = {k: v for k, v in base.items() if k != "bind"}
        p, doc = check(tmp, dict(anon, users=users))
        f23 = find(doc, "LDAP023")
        t.check(p.returncode == 3 and "LDAP018" in codes(doc) and f23 and
                "at least 500 entries" in f23["message"] and "unknown" in f23["message"],
                "truncated count: 'at least 500', not 'selects 500 entries'", f23)
        p, doc = check(tmp, dict(anon, users=users0))
        f22 = find(doc, "LDAP022")
        t.check(f22 and "(objectClass=inetOrgPerson): at least 500 (the search was cut short)"
                in f22["hint"], "truncated per-clause count says 'at least'", f22 and f22["hint"])
finally:
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
