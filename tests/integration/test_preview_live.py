#!/usr/bin/env python3
"""Live preview and `dirgate snapshot` against a private slapd: the live
preview selects the right users through the group, and the snapshot it
writes, previewed offline, gives exactly the live result.  Prints TAP.

usage: test_preview_live.py DIRGATE"""
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
from tap import Tap, run_pty  # noqa: E402

t = Tap()
binary = os.path.abspath(sys.argv[1])
slapd.skip_unless_installed()

env = {k: v for k, v in os.environ.items() if not k.startswith("LDAP")}
env.update(NO_COLOR="1", LC_ALL="C.UTF-8", DG_IT_PW=slapd.ROOT_PW)


def run(args):
    return subprocess.run([binary] + args, env=env, capture_output=True, timeout=120)


def comparable(doc):
    return {k: doc[k] for k in ("summary", "users", "skipped", "conflicts")}


POSIX_GROUPS = """dn: cn=mailstore-users,ou=groups,{sfx}
objectClass: posixGroup
cn: mailstore-users
gidNumber: 20001
memberUid: alice
memberUid: x)(uid=*
memberUid: *
memberUid: devs

dn: cn=devs,ou=groups,{sfx}
objectClass: posixGroup
cn: devs
gidNumber: 20002
memberUid: bob
memberUid: ops

dn: cn=ops,ou=groups,{sfx}
objectClass: posixGroup
cn: ops
gidNumber: 20003
memberUid: carol
memberUid: devs

dn: cn=others,ou=groups,{sfx}
objectClass: posixGroup
cn: others
gidNumber: 20004
memberUid: dave
"""


def member_search_tests(s):
    """posixGroup memberUid through the {member} search filter, live:
    nested groups, a cycle (devs <-> ops) and crafted values ("*" would
    select every user and group if it were not escaped)."""
    s.main.add(POSIX_GROUPS.format(sfx=slapd.SUFFIX))
    prof = {"name": "posix", "directory": {
        "type": "ldap", "server": "127.0.0.1", "port": s.main.ldaps_port,
        "protocol": "ldap-ssl", "baseDn": slapd.SUFFIX, "tls": {"caFile": s.ca_file},
        "bind": {"dn": slapd.ROOT_DN, "password": {"env": "DG_IT_PW"}},
        "users": {"filter": "(objectClass=posixAccount)", "userNameAttribute": "uid"},
        "groups": {"filter": "(objectClass=posixGroup)", "membersAttribute": "memberUid",
                   "memberSearchFilter": "(|(&(objectClass=posixAccount)(uid={member}))"
                                         "(&(objectClass=posixGroup)(cn={member})))",
                   "names": ["mailstore-users"]}}}
    path = os.path.join(tmp, "posix.json")
    with open(path, "w") as f:
        json.dump(prof, f)
    p = run(["preview", "--format", "json", path])
    live = json.loads(p.stdout) if p.returncode == 0 else None
    t.check(live and sorted(u["userName"] for u in live["users"]) == ["alice", "bob", "carol"],
            "{member}: alice direct, bob and carol through nested groups",
            live and live["users"] or p.stderr.decode()[-1500:])
    # 4 groups + the 3 members: the crafted values fetched nobody more
    t.check(live and live["source"]["entriesRead"] == 7,
            "only the groups and the members are fetched (crafted values escaped)",
            live and live["source"])
    # --show-queries: the group search and every member search, each as an
    # ldapsearch that fetches again exactly the entries dirgate read
    p = run(["preview", "--show-queries", path])
    cmds = [x for x in p.stderr.decode().splitlines() if "ldapsearch -H " in x]
    dns = []
    for c in cmds:
        r = subprocess.run(["sh", "-c", c.replace(" -W ", " -w \"$DG_IT_PW\" ")], env=env,
                           capture_output=True, timeout=60)
        dns += [x for x in r.stdout.decode().splitlines() if x.startswith("dn: ")]
    t.check(p.returncode == 0 and len(cmds) >= 2 and live and
            len(set(dns)) == live["source"]["entriesRead"],
            "{member}: the ldapsearch lines fetch the groups and members dirgate read",
            (cmds[:2], len(set(dns))))
    t.check(live and {u["userName"]: u["groupPaths"] for u in live["users"]}.get("alice") ==
            ["mailstore-users"] and
            all(x["groupPaths"] and x["groupPaths"][0].startswith("mailstore-users \u2190 ")
                for x in live["users"] if x["userName"] != "alice"),
            "{member}: group paths through the nested groups",
            live and [u["groupPaths"] for u in live["users"]])
    codes = {f["code"]: f["message"] for f in live["findings"]} if live else {}
    t.check("SNAP013" in codes and "devs" in codes["SNAP013"] and "ops" in codes["SNAP013"],
            "the devs <-> ops cycle is reported", codes)
    t.check("SNAP019" in codes and "x)(uid=*" in codes["SNAP019"],
            "the crafted value is reported as matching no entry", codes)

    # the group given by DN, spaced and cased differently from the server's
    by_dn = dict(prof, directory=dict(prof["directory"], groups=dict(
        prof["directory"]["groups"], names=["CN=Mailstore-Users, OU=groups, " + slapd.SUFFIX])))
    with open(path, "w") as f:
        json.dump(by_dn, f)
    p = run(["preview", "--format", "json", path])
    dn_sel = json.loads(p.stdout) if p.returncode == 0 else None
    t.check(dn_sel and sorted(u["userName"] for u in dn_sel["users"]) ==
            ["alice", "bob", "carol"] and dn_sel["source"]["entriesRead"] == 7,
            "{member}: the group selected by DN (any spacing and case)",
            dn_sel and dn_sel["users"] or p.stderr.decode()[-1500:])
    with open(path, "w") as f:
        json.dump(prof, f)

    snap = os.path.join(tmp, "posix.ldif")
    p = run(["snapshot", path, "--output", snap])
    off = dict(prof, directory=dict(prof["directory"], snapshot=snap))
    with open(path, "w") as f:
        json.dump(off, f)
    p2 = run(["preview", "--format", "json", path])
    offline = json.loads(p2.stdout) if p2.returncode == 0 else None
    t.check(p.returncode == 0 and live and offline and comparable(live) == comparable(offline),
            "{member}: the snapshot previewed offline equals the live preview",
            (p.stderr + p2.stderr).decode()[-1500:])


# Capital / small letter pairs from each range of the folding table in core/utf8.h.
FOLD_PAIRS = [("À", "à"), ("Ā", "ā"), ("Ĺ", "ĺ"), ("Ÿ", "ÿ"), ("Ά", "ά"), ("Έ", "έ"),
              ("Ό", "ό"), ("Ώ", "ώ"), ("Ϊ", "ϊ"), ("Ω", "ω"), ("Ё", "ё"), ("Ж", "ж")]


def fold_tests(s, prof):
    """slapd's caseIgnoreMatch is the reference: a filter in small letters
    selects entries written in capitals live; the snapshot of them, filtered
    by dirgate offline, must give the same users, named as the mapping
    lower-cases them."""
    s.main.add("\n".join(
        "dn: uid=fold%02d,ou=bulk,%s\nobjectClass: inetOrgPerson\nuid: fold%02d\n"
        "cn: %snna\nsn: %snna\ndisplayName: %snna\n" % (i, slapd.SUFFIX, i, up, up, up)
        for i, (up, _) in enumerate(FOLD_PAIRS)))
    filt = "(&(objectClass=inetOrgPerson)(|%s))" % "".join(
        "(sn=%snna)" % low for _, low in FOLD_PAIRS)
    d = {k: v for k, v in prof["directory"].items() if k != "groups"}
    d["users"] = dict(d["users"], filter=filt, userNameAttribute="sn")
    live_p = dict(prof, directory=d)
    path = os.path.join(tmp, "fold.json")
    with open(path, "w") as f:
        json.dump(live_p, f)
    p = run(["preview", "--format", "json", path])
    live = json.loads(p.stdout) if p.returncode == 0 else None
    want = sorted(low + "nna" for _, low in FOLD_PAIRS)
    t.check(live and sorted(u["userName"] for u in live["users"]) == want,
            "slapd matches every capital with the small-letter filter; the mapping lower-cases "
            "them the same way", live and [u["userName"] for u in live["users"]])
    snap = os.path.join(tmp, "fold.ldif")
    p = run(["snapshot", path, "--output", snap])
    off = dict(live_p, directory=dict(d, snapshot=snap))
    with open(path, "w") as f:
        json.dump(off, f)
    p2 = run(["preview", "--format", "json", path])
    offline = json.loads(p2.stdout) if p2.returncode == 0 else None
    t.check(p.returncode == 0 and live and offline and comparable(offline) == comparable(live),
            "dirgate's filter folds like slapd: the offline preview equals the live one",
            offline and [u["userName"] for u in offline["users"]] or
            (p.stderr + p2.stderr).decode()[-800:])


def truncation_tests(s, prof):
    """Anonymous searches stop at 500 entries (slapd.py `limits anonymous`):
    the cut-short result must never pass for a complete one."""
    s.main.add("\n".join(
        "dn: uid=t%04d,ou=bulk,%s\nobjectClass: inetOrgPerson\nuid: t%04d\ncn: T %04d\n"
        "sn: T\nmail: t%04d@example.com\n" % (i, slapd.SUFFIX, i, i, i) for i in range(520)))
    anon = dict(prof, directory=dict(prof["directory"]))
    anon["directory"].pop("bind")
    anon["directory"].pop("groups")
    path = os.path.join(tmp, "anon.json")
    with open(path, "w") as f:
        json.dump(anon, f)

    p = run(["preview", "--format", "json", path])
    doc = json.loads(p.stdout) if p.stdout else {}
    codes = [x["code"] for x in doc.get("findings", [])]
    t.check(p.returncode == 3 and "LDAP018" in codes and
            doc.get("complete") is False and doc["summary"]["users"] <= 500,
            "truncated search: JSON says complete false, LDAP018, exit 3",
            (p.returncode, doc.get("summary"), p.stderr.decode()[-800:]))
    p = run(["preview", "--format", "csv", path])
    t.check(p.returncode == 3 and p.stdout == b"" and b"LDAP018" in p.stderr and
            b"--allow-incomplete" in p.stderr,
            "truncated search: no CSV without --allow-incomplete, and stderr says why",
            (p.returncode, p.stdout[:200], p.stderr.decode()[-800:]))
    p = run(["preview", "--format", "html", path])
    t.check(p.returncode == 3 and p.stdout == b"", "truncated search: no HTML by default",
            (p.returncode, p.stdout[:200]))
    p = run(["preview", "--format", "html", "--allow-incomplete", path])
    t.check(p.returncode == 3 and b'<p role="alert"' in p.stdout and
            b"INCOMPLETE RESULT" in p.stdout and b"LDAP018" in p.stdout,
            "truncated search, --allow-incomplete: HTML with a banner, exit 3",
            (p.returncode, p.stdout[:600]))
    p = run(["preview", path])
    t.check(p.returncode == 3 and p.stdout.startswith(b"INCOMPLETE RESULT"),
            "truncated search: the table opens with the banner", p.stdout[:300])

    snap = os.path.join(tmp, "truncated.ldif")
    p = run(["snapshot", path, "--output", snap])
    t.check(p.returncode == 3 and not os.path.exists(snap) and b"LDAP018" in p.stderr and
            b"nothing written" in p.stderr and
            not [n for n in os.listdir(tmp) if n.startswith("truncated")],
            "truncated search: snapshot leaves no file (nor a temporary one), exit 3",
            (p.returncode, p.stderr.decode()[-800:]))
    p = run(["snapshot", path, "--output", "-"])
    t.check(p.returncode == 3 and p.stdout == b"" and b"LDAP018" in p.stderr,
            "truncated search: snapshot to standard output writes nothing, exit 3",
            (p.returncode, p.stdout[:300], p.stderr.decode()[-500:]))
    p = run(["snapshot", live_path_of(prof), "--output", "-"])
    t.check(p.returncode == 0 and p.stdout.startswith(b"version: 1"),
            "complete snapshot to standard output is written", p.stderr.decode()[-500:])


def live_path_of(prof):
    path = os.path.join(tmp, "bound.json")
    with open(path, "w") as f:
        json.dump(prof, f)
    return path


slapd.install_signal_handlers(lambda: None)
tmp = tempfile.mkdtemp(prefix="dg-preview-live-")
try:
    with slapd.SlapdSet(n_bulk=40) as s:
        prof = {"name": "live", "directory": {
            "type": "ldap", "server": "127.0.0.1", "port": s.main.ldaps_port,
            "protocol": "ldap-ssl", "baseDn": slapd.SUFFIX, "tls": {"caFile": s.ca_file},
            "bind": {"dn": slapd.ROOT_DN, "password": {"env": "DG_IT_PW"}},
            "users": {"filter": "(objectClass=inetOrgPerson)", "userNameAttribute": "uid",
                      "fullNameAttribute": "displayName", "emailAttribute": "mail"},
            "groups": {"filter": "(objectClass=groupOfNames)", "membersAttribute": "member",
                       "names": ["engineering"]}}}
        live_path = os.path.join(tmp, "live.json")
        with open(live_path, "w") as f:
            json.dump(prof, f)

        p = run(["preview", "--format", "json", live_path])
        t.check(p.returncode == 0, "live preview exits 0", p.stderr.decode()[-2000:])
        live = json.loads(p.stdout) if p.returncode == 0 else None
        if live:
            names = [u["userName"] for u in live["users"]]
            t.check(names == ["alice", "bob"], "users through group engineering", names)
            t.check(live["summary"]["skipped"] == 3 + 40 and
                    all(x["reason"] == "not-in-group" for x in live["skipped"]),
                    "everyone else is skipped as not-in-group", live["summary"])
            t.check(live["source"]["type"] == "live" and
                    live["source"]["detail"].startswith("ldaps://127.0.0.1:"),
                    "source says live and where", live["source"])
            alice = live["users"][0]
            t.check(alice["fullName"] == "Alice Anders" and
                    alice["emailAddresses"] == ["alice@example.com"] and
                    alice["groups"] == ["engineering"], "alice mapped", alice)

            t.check(p.stderr == b"", "no progress when stderr is not a terminal",
                    p.stderr[:300])
        rc, out, term = run_pty(binary, ["preview", "--format", "json", live_path], env=env)
        t.check(rc == 0 and b"reading the directory: 1 entries" in term and
                term.endswith(b"\r\x1b[K") and live and
                comparable(json.loads(out)) == comparable(live),
                "live progress on a terminal, cleared; same output", term[-300:])

        snap = os.path.join(tmp, "snap.ldif")
        p = run(["snapshot", live_path, "--output", snap])
        t.check(p.returncode == 0 and os.path.exists(snap), "snapshot written",
                p.stderr.decode()[-2000:])
        t.check(b"entries from ldaps://127.0.0.1:" in p.stderr, "snapshot says what it wrote",
                p.stderr.decode())

        off = dict(prof, directory=dict(prof["directory"], snapshot=snap))
        off_path = os.path.join(tmp, "offline.json")
        with open(off_path, "w") as f:
            json.dump(off, f)
        p = run(["preview", "--format", "json", off_path])
        offline = json.loads(p.stdout) if p.returncode == 0 else None
        t.check(live and offline and comparable(live) == comparable(offline),
                "offline preview of the snapshot equals the live preview",
                offline and json.dumps(comparable(offline))[:1500])

        blob = open(snap, "rb").read() if os.path.exists(snap) else b""
        t.check(slapd.ROOT_PW.encode() not in blob and b"userPassword" not in blob,
                "snapshot holds no password attribute or secret")

        # --show-queries: the ldapsearch line repeats the live search; the
        # bind password is asked for (-W), never printed
        p = run(["preview", "--show-queries", live_path])
        cmds = [x for x in p.stderr.decode().splitlines() if " ldapsearch -H " in x or
                x.startswith("ldapsearch ")]
        t.check(p.returncode == 0 and len(cmds) == 1 and " -W " in cmds[0] and
                slapd.ROOT_PW.encode() not in p.stdout + p.stderr,
                "preview --show-queries: the search as ldapsearch, password not shown",
                p.stderr.decode()[-800:])
        if cmds:
            r = subprocess.run(["sh", "-c", cmds[0].replace(" -W ", " -w \"$DG_IT_PW\" ")],
                               env=env, capture_output=True, timeout=60)
            found = sorted(x.split(": ", 1)[1] for x in r.stdout.decode().splitlines()
                           if x.startswith("uid: "))
            t.check(r.returncode == 0 and {"alice", "bob"} <= set(found) and
                    live is not None and
                    len(found) == live["summary"]["users"] + live["summary"]["skipped"],
                    "the ldapsearch line repeats the search dirgate made",
                    (r.stderr[-300:], found[:5]))

        member_search_tests(s)
        fold_tests(s, prof)
        truncation_tests(s, prof)

        p = run(["snapshot", live_path])
        t.check(p.returncode == 64, "snapshot without --output is a usage error")
        bad = dict(prof, directory=dict(prof["directory"], port=slapd.free_port()))
        with open(live_path, "w") as f:
            json.dump(bad, f)
        p = run(["snapshot", live_path, "--output", os.path.join(tmp, "x.ldif")])
        t.check(p.returncode == 1 and b"LDAP009" in p.stderr and
                not os.path.exists(os.path.join(tmp, "x.ldif")),
                "unreachable server: finding, exit 1 (could not connect), no partial file",
                (p.returncode, p.stderr.decode()[-800:]))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
