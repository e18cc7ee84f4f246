#!/usr/bin/env python3
"""`dirgate check` with live probes against a private Samba AD DC
(samba.py, in a network namespace of its own): the base DN from the
RootDSE, the user count equal to ldapsearch's, a nested group found by
name, a user logged on by UPN, and strong authentication required on plain
LDAP.  Skips only when Samba or a namespace cannot be had.  Prints TAP.

usage: test_check_ad.py DIRGATE"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(os.path.dirname(here), "cli"))
import samba  # noqa: E402
import slapd  # noqa: E402
from tap import Tap  # noqa: E402


def main():
    binary = os.path.abspath(sys.argv[1])
    why = samba.enter_netns()   # re-executes this script inside unshare --net
    if why:
        print("1..0 # SKIP no Samba AD DC: %s" % why)
        return 0
    t = Tap()
    slapd.install_signal_handlers(lambda: None)
    tmp = tempfile.mkdtemp(prefix="dg-check-ad-")
    try:
        dc_dir = run_checks(t, binary, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    # every Samba process gone, the one restarted under libfaketime included
    left = samba.processes_using(dc_dir) if dc_dir else []
    t.check(dc_dir and not left, "no Samba process left once the DC is stopped", left)
    t.done()


def run_checks(t, binary, tmp):
    """The checks against one DC; returns its directory (to look for
    processes left behind once it is stopped)."""
    with samba.SambaDC() as dc:
        dc_dir = dc.tmp
        persons = sum(1 for line in dc.ldapsearch(
            samba.BASE, "(&(objectCategory=person)(objectClass=user))").splitlines()
            if line.startswith(("dn: ", "dn:: ")))

        def check(protocol, extra_env=None):
            prof = {"name": "samdom", "directory": {
                "type": "active-directory", "server": "127.0.0.1", "protocol": protocol,
                "domain": samba.REALM.lower(), "baseDn": "",
                "bind": {"user": samba.ADMIN_UPN, "password": {"env": "DG_AD_PW"}},
                "tls": {"caFile": dc.ca_file},
                "filters": {"groups": ["allstaff"]}},
                "authentication": {"method": "standard", "testUser": "alice",
                                   "testPassword": {"env": "DG_AD_TEST_PW"}}}
            path = os.path.join(tmp, "p.json")
            with open(path, "w") as f:
                json.dump(prof, f)
            env = samba._clean_env()
            env.update(NO_COLOR="1", LC_ALL="C.UTF-8", DG_AD_PW=samba.ADMIN_PW,
                       DG_AD_TEST_PW=samba.USER_PW)
            env.update(extra_env or {})
            p = subprocess.run([binary, "check", "--format", "json", path], env=env,
                               capture_output=True, timeout=120)
            try:
                return p, json.loads(p.stdout)
            except ValueError:
                return p, {"findings": []}

        def find(doc, code):
            return next((f for f in doc["findings"] if f["code"] == code), None)

        p, doc = check("ldaps")
        codes = [f["code"] for f in doc["findings"]]
        t.check(p.returncode == 0 and "LDAP021" in codes, "LDAPS: connected and bound",
                doc["findings"])
        f15 = find(doc, "AD015")
        t.check(f15 and samba.BASE in f15["message"], "empty baseDn taken from the RootDSE",
                f15)
        f23 = find(doc, "LDAP023")
        t.check(f23 and " %d entr" % persons in f23["message"],
                "user count equals ldapsearch's (%d)" % persons, f23)
        f28 = find(doc, "LDAP028")
        t.check(f28 and "CN=allstaff" in f28["message"], "group allstaff found by name", f28)
        f31 = find(doc, "LDAP031")
        t.check(f31 and "alice@" + samba.REALM.lower() in f31["message"],
                "test user alice logged on by UPN", f31)
        t.check("AD014" not in codes, "Samba is recognised as Active Directory", codes)

        p, doc = check("ldaps", {"DG_AD_TEST_PW": "Canary-Wrong-31"})
        f5 = find(doc, "AD005")
        t.check(p.returncode == 3 and f5 and f5["path"] == "/authentication/testPassword",
                "wrong test password: AD005 (data 52e) at the test password", doc["findings"])

        p, doc = check("ldap")
        t.check(p.returncode == 3 and find(doc, "LDAP016"),
                "plain LDAP: strong authentication required (LDAP016)", doc["findings"])
        f16 = find(doc, "LDAP016")
        t.check(f16 and '"ldap-tls"' in f16.get("hint", ""),
                "LDAP016 suggests StartTLS too", f16)

        p, doc = check("ldap-tls")
        codes = [f["code"] for f in doc["findings"]]
        f23 = find(doc, "LDAP023")
        t.check(p.returncode == 0 and "LDAP021" in codes and f23 and
                " %d entr" % persons in f23["message"],
                "StartTLS (ldap-tls): bound despite strong auth, same user count", doc["findings"])

        # live preview: nested group selection, and snapshot == live
        def run(args, prof):
            path = os.path.join(tmp, "pv.json")
            with open(path, "w") as f:
                json.dump(prof, f)
            env = samba._clean_env()
            env.update(NO_COLOR="1", LC_ALL="C.UTF-8", DG_AD_PW=samba.ADMIN_PW)
            return subprocess.run([binary] + args + [path], env=env, capture_output=True,
                                  timeout=120)

        prof = {"name": "samdom", "directory": {
            "type": "active-directory", "server": "127.0.0.1", "protocol": "ldaps",
            "domain": samba.REALM.lower(), "baseDn": "", "tls": {"caFile": dc.ca_file},
            "bind": {"user": samba.ADMIN_UPN, "password": {"env": "DG_AD_PW"}},
            "filters": {"groups": ["allstaff"], "enabledUsersOnly": True},
            "userNameFormat": "sAMAccountName"}}
        p = run(["preview", "--format", "json"], prof)
        live = json.loads(p.stdout) if p.returncode == 0 else None
        names = [u["userName"] for u in live["users"]] if live else None
        t.check(names == ["alice", "bob", "carol"], "live AD preview: allstaff ⊃ engineering",
                names or p.stderr.decode()[-1500:])
        snap = os.path.join(tmp, "ad.ldif")
        p = run(["snapshot", "--output", snap], prof)
        off = dict(prof, directory=dict(prof["directory"], snapshot=snap))
        p2 = run(["preview", "--format", "json"], off)
        offline = json.loads(p2.stdout) if p2.returncode == 0 else None
        keys = ("summary", "users", "skipped", "conflicts")
        t.check(p.returncode == 0 and live and offline and
                {k: live[k] for k in keys} == {k: offline[k] for k in keys},
                "AD snapshot previewed offline equals the live preview",
                (p.stderr + p2.stderr).decode()[-1500:])

        # The live fetch asks the DC for the members with
        # LDAP_MATCHING_RULE_IN_CHAIN: non-members never come back, yet a
        # full export of every person and group, previewed offline, selects
        # the same users (the snapshot engine nests groups itself).
        t.check(live and not any(x["reason"] == "not-in-group" for x in live["skipped"]),
                "IN_CHAIN: non-members are not even fetched",
                live and live["skipped"])
        full = os.path.join(tmp, "full.ldif")
        with open(full, "w") as f:
            f.write(dc.ldapsearch(samba.BASE, "(|(objectCategory=group)(&(objectCategory=person)"
                                  "(objectClass=user)))",
                                  ("objectClass", "objectCategory", "userAccountControl",
                                   "sAMAccountName", "userPrincipalName", "displayName", "cn",
                                   "name", "mail", "proxyAddresses", "member", "memberOf")))
        p = run(["preview", "--format", "json"],
                dict(prof, directory=dict(prof["directory"], snapshot=full)))
        whole = json.loads(p.stdout) if p.returncode == 0 else None
        t.check(live and whole and whole["users"] == live["users"] and
                any(x["reason"] == "not-in-group" for x in whole["skipped"]),
                "a full export previewed offline selects the same users",
                p.stderr.decode()[-1500:])

        by_dn = dict(prof, directory=dict(prof["directory"], filters=dict(
            prof["directory"]["filters"], groups=[samba._dn("allstaff")])))
        p = run(["preview", "--format", "json"], by_dn)
        dn_sel = json.loads(p.stdout) if p.returncode == 0 else None
        t.check(live and dn_sel and [u["userName"] for u in dn_sel["users"]] == names,
                "IN_CHAIN with the group given by DN selects the same users",
                json.dumps(dn_sel)[:3000] if dn_sel else p.stderr.decode()[-1500:])

        tls = dict(prof, directory=dict(prof["directory"], protocol="ldap-tls"))
        p = run(["preview", "--format", "json"], tls)
        over_tls = json.loads(p.stdout) if p.returncode == 0 else None
        t.check(live and over_tls and over_tls["users"] == live["users"] and
                over_tls["source"]["detail"].startswith("ldap://127.0.0.1:389"),
                "live preview over StartTLS equals the LDAPS one", p.stderr.decode()[-1500:])

        out = b""
        for proto in ("ldaps", "ldap", "ldap-tls"):
            p, _ = check(proto)
            out += p.stdout + p.stderr
        t.check(samba.ADMIN_PW.encode() not in out and samba.USER_PW.encode() not in out,
                "no password printed")

        # Data code 532 (password expired): Samba refuses to store an old
        # pwdLastSet ("must be 0 or -1 only"), and a fine-grained policy
        # under a day counts as "never expires"; so the DC runs 60 days
        # ahead (libfaketime), past the default 42-day maximum age, and
        # answers every bind with "AcceptSecurityContext error, data 532".
        if not samba.faketime_lib():
            t.skip("password expired: AD008 (data 532)",
                   "libfaketime not installed (scripts/install-deps.sh --test)")
        else:
            dc.restart(faketime="+60d")
            p, doc = check("ldaps")
            f8 = find(doc, "AD008")
            t.check(p.returncode == 3 and f8 and "532" in f8["message"] and
                    f8["path"] == "/directory/bind/password",
                    "password expired: AD008 (data 532) at the bind password", doc["findings"])
    return dc_dir


if __name__ == "__main__":
    sys.exit(main())
