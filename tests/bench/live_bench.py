#!/usr/bin/env python3
"""Live preview benchmark: `dirgate preview` of N users from a private slapd
against `ldapsearch -E pr=1000/noprompt` fetching the same entries and
attributes, alternated, best of RUNS each.  Targets (issue 3): dirgate wall
time at most 1.3 x ldapsearch's, dirgate peak RSS at most 120 MB.

    live_bench.py DIRGATE [--users N] [--runs R] [--out DIR] [--keep]

The users are loaded with slapadd into a slapd of its own (config from
tests/integration/slapd.py, plain LDAP on 127.0.0.1, stopped on exit).
Exits 1 when a target is missed.
"""
import argparse
import base64
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(here), "integration"))
import slapd  # noqa: E402

FIRST = ["Anna", "Ben", "Chloé", "David", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jan",
         "Łukasz", "Jürgen", "Ελένη", "太郎", "Zoë", "Omar", "Paula", "Quinn", "Rosa", "Sven"]
LAST = ["Müller", "Smith", "Nowak", "García", "Rossi", "Dubois", "Jensen", "Yamada",
        "O'Brien", "Ångström", "Lee", "Kim", "Brown", "Fischer", "Weber", "Wagner"]
DEPTS = ["sales", "support", "engineering", "finance", "marketing", "legal"]
# What dirgate asks for with the profile below (ldap_live.c: the profile's
# attributes and those its filters test); ldapsearch fetches the same.
ATTRS = ["objectClass", "uid", "displayName", "mail", "cn", "member"]
USER_FILTER = "(objectClass=inetOrgPerson)"


def b64_if_needed(name, value):
    raw = value.encode()
    if all(32 <= c < 127 for c in raw) and raw[:1] not in (b" ", b":", b"<"):
        return "%s: %s\n" % (name, value)
    return "%s:: %s\n" % (name, base64.b64encode(raw).decode())


def write_ldif(path, users):
    """N inetOrgPerson users under ou=<dept>,ou=people plus what a real
    directory has around them (a few groups and service entries)."""
    rnd = random.Random(3)
    sfx = slapd.SUFFIX
    with open(path, "w", encoding="utf-8") as f:
        f.write("dn: %s\nobjectClass: dcObject\nobjectClass: organization\no: Bench\n"
                "dc: example\n\n" % sfx)
        for ou in ["people", "groups"]:
            f.write("dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n" % (ou, sfx, ou))
        for d in DEPTS:
            f.write("dn: ou=%s,ou=people,%s\nobjectClass: organizationalUnit\nou: %s\n\n"
                    % (d, sfx, d))
        for i in range(users):
            first, last = rnd.choice(FIRST), rnd.choice(LAST)
            uid = "u%06d" % i
            dept = DEPTS[i % len(DEPTS)]
            f.write("dn: uid=%s,ou=%s,ou=people,%s\n" % (uid, dept, sfx))
            f.write("objectClass: inetOrgPerson\nobjectClass: posixAccount\n")
            f.write("uid: %s\n" % uid)
            f.write(b64_if_needed("cn", "%s %s" % (first, last)))
            f.write(b64_if_needed("sn", last))
            f.write(b64_if_needed("givenName", first))
            f.write(b64_if_needed("displayName", "%s %s (%s)" % (first, last, dept)))
            f.write("mail: %s@example.com\n" % uid)
            if i % 7 == 0:
                f.write("mail: %s.alias@example.com\n" % uid)
            f.write("uidNumber: %d\ngidNumber: %d\nhomeDirectory: /home/%s\n"
                    "loginShell: /bin/bash\ntelephoneNumber: +49 30 %07d\n"
                    "departmentNumber: %s\n\n" % (20000 + i, 1000 + i % 6, uid, i, dept))
        for d in DEPTS:
            f.write("dn: cn=%s,ou=groups,%s\nobjectClass: groupOfNames\ncn: %s\n"
                    "member: uid=u%06d,ou=%s,ou=people,%s\n\n"
                    % (d, sfx, d, DEPTS.index(d), d, sfx))


def run_time(args, env, stdout, tmp):
    """Wall time and peak RSS of one child through GNU time (exact per run)."""
    tf = os.path.join(tmp, "time.txt")
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", tf] + args, env=env,
                       stdout=stdout, stderr=subprocess.PIPE, timeout=600)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.stderr.write(p.stderr.decode("utf-8", "replace")[-2000:])
        return wall, 0.0, p.returncode
    rss_kb = int(open(tf).read().split()[-1])
    return wall, rss_kb / 1024.0, 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dirgate")
    ap.add_argument("--users", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(here, "out"))
    ap.add_argument("--keep", action="store_true", help="keep the slapd directory")
    a = ap.parse_args()
    if not shutil.which("slapadd") and not os.path.exists("/usr/sbin/slapadd"):
        sys.exit("slapd is not installed (scripts/install-deps.sh --test)")
    os.makedirs(a.out, exist_ok=True)
    os.environ["PATH"] += ":/usr/sbin"
    ldif = os.path.join(a.out, "slapd-%d.ldif" % a.users)
    if not os.path.exists(ldif):
        write_ldif(ldif + ".tmp", a.users)
        os.rename(ldif + ".tmp", ldif)

    slapd.install_signal_handlers(lambda: None)
    tmp = tempfile.mkdtemp(prefix="dirgate-bench-")
    server = None
    try:
        server = slapd.Slapd(tmp, "bench", None, None, maxsize=4 << 30)
        t0 = time.monotonic()
        server.load(ldif)
        print("slapadd: %d users in %.1fs" % (a.users, time.monotonic() - t0), flush=True)
        server.start()
        pwfile = server._pwfile()
        prof = {"name": "bench-live", "directory": {
            "type": "ldap", "server": "127.0.0.1", "port": server.ldap_port,
            "protocol": "ldap", "baseDn": slapd.SUFFIX,
            "bind": {"dn": slapd.ROOT_DN, "password": {"env": "DG_BENCH_PW"}},
            "users": {"filter": USER_FILTER, "userNameAttribute": "uid",
                      "fullNameAttribute": "displayName", "emailAttribute": "mail"}}}
        prof_path = os.path.join(tmp, "profile.json")
        with open(prof_path, "w") as f:
            json.dump(prof, f)
        env = {k: v for k, v in os.environ.items() if not k.startswith("LDAP")}
        env.update(DG_BENCH_PW=slapd.ROOT_PW, LC_ALL="C.UTF-8")
        out_json = os.path.join(a.out, "live-preview.json")
        out_ldif = os.path.join(a.out, "ldapsearch.ldif")
        dg = [a.dirgate, "preview", "--format", "json", "--output", out_json, prof_path]
        ls = ["ldapsearch", "-x", "-LLL", "-H", server.ldap_uri, "-D", slapd.ROOT_DN,
              "-y", pwfile, "-b", slapd.SUFFIX, "-E", "pr=1000/noprompt", USER_FILTER] + ATTRS
        # one warm-up of each: slapd's caches, the page cache
        for args, target in ((ls, out_ldif), (dg, None)):
            with open(target or os.devnull, "wb") as so:
                run_time(args, env, so, tmp)
        best = {"dirgate": None, "ldapsearch": None}
        for i in range(a.runs):
            for name, args, target in (("ldapsearch", ls, out_ldif), ("dirgate", dg, None)):
                with open(target or os.devnull, "wb") as so:
                    wall, rss, rc = run_time(args, env, so, tmp)
                if rc != 0:
                    sys.exit("%s failed (exit %d)" % (name, rc))
                print("run %d: %-10s %6.2fs  peak RSS %6.1f MB" % (i + 1, name, wall, rss),
                      flush=True)
                if best[name] is None or wall < best[name][0]:
                    best[name] = (wall, rss)
        summary = json.load(open(out_json))["summary"]
        fetched = sum(1 for line in open(out_ldif, "rb") if line.startswith(b"dn:"))
        dg_wall, dg_rss = best["dirgate"]
        ls_wall, ls_rss = best["ldapsearch"]
        ratio = dg_wall / ls_wall
        print("ldapsearch: %d entries in %.2fs, peak RSS %.1f MB" % (fetched, ls_wall, ls_rss))
        print("dirgate:    %d users (%d skipped) in %.2fs, peak RSS %.1f MB"
              % (summary["users"], summary["skipped"], dg_wall, dg_rss))
        print("ratio %.2f (target <= 1.30), dirgate RSS %.1f MB (target <= 120)"
              % (ratio, dg_rss))
        ok = ratio <= 1.3 and dg_rss <= 120 and summary["users"] == a.users == fetched
        if summary["users"] != fetched:
            print("MISMATCH: dirgate previewed %d users, ldapsearch fetched %d"
                  % (summary["users"], fetched))
        return 0 if ok else 1
    finally:
        if server:
            server.stop()
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
