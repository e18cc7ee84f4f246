#!/usr/bin/env python3
"""Finding the domain controller through DNS SRV, live: in a network and
mount namespace of its own, /etc/resolv.conf points at a tiny DNS server
(dns.py) and an active-directory profile names only the domain.  The best
SRV record (lowest priority, then highest weight) is used; without SRV the
domain name itself; with neither, AD013.  The "DC" is a private slapd
(plain LDAP: the test is about finding the server).  Prints TAP.

usage: test_srv_live.py DIRGATE"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(os.path.dirname(here), "cli"))
import dns  # noqa: E402
import slapd  # noqa: E402
from tap import Tap  # noqa: E402

MARK = "DG_SRV_NAMESPACE"


def enter_namespace():
    """Re-executes this script in new network + mount namespaces (root or a
    user namespace mapping us to root); "" inside, else why not."""
    if os.environ.get(MARK) == "1":
        for args in (["ip", "link", "set", "lo", "up"],):
            r = subprocess.run(args, capture_output=True, timeout=10)
            if r.returncode:
                return "cannot bring up lo: " + r.stderr.decode(errors="replace")
        return ""
    unshare = shutil.which("unshare")
    if not unshare or not shutil.which("ip") or not shutil.which("mount"):
        return "unshare, ip or mount missing"
    for args in ([unshare, "--net", "--mount"],
                 [unshare, "--map-root-user", "--net", "--mount"]):
        if subprocess.run(args + ["true"], capture_output=True, timeout=10).returncode == 0:
            os.environ[MARK] = "1"
            sys.stdout.flush()
            os.execv(unshare, args + ["--", sys.executable, os.path.abspath(sys.argv[0])]
                     + sys.argv[1:])
    return "cannot create network and mount namespaces"


def point_resolver_at_us(tmp):
    conf = os.path.join(tmp, "resolv.conf")
    with open(conf, "w") as f:
        f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    r = subprocess.run(["mount", "--bind", conf, "/etc/resolv.conf"], capture_output=True,
                       timeout=10)
    return "" if r.returncode == 0 else r.stderr.decode(errors="replace").strip()


def main():
    binary = os.path.abspath(sys.argv[1])
    if not (shutil.which("slapd") or os.path.exists("/usr/sbin/slapd")):
        print("1..0 # SKIP slapd not installed (scripts/install-deps.sh --test)")
        return 0
    why = enter_namespace()
    if why:
        print("1..0 # SKIP %s" % why)
        return 0
    os.environ["PATH"] += ":/usr/sbin"
    t = Tap()
    slapd.install_signal_handlers(lambda: None)
    tmp = tempfile.mkdtemp(prefix="dg-srv-")
    server = None
    try:
        why = point_resolver_at_us(tmp)
        if why:
            print("1..0 # SKIP cannot bind-mount /etc/resolv.conf: %s" % why)
            return 0
        server = slapd.Slapd(tmp, "dc", None, None)
        server.start()
        port = server.ldap_port
        table = {
            # the best record is priority 0, weight 50: localhost
            ("_ldap._tcp.dc._msdcs.example.test", "SRV"): [
                (10, 100, port, "far.example.test"), (0, 5, port, "second.example.test"),
                (0, 50, port, "localhost")],
            ("nosrv.test", "A"): ["127.0.0.1"],
            ("_ldap._tcp.dc._msdcs.dot.test", "SRV"): [(0, 0, port, ".")],
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith("LDAP")}
        env.update(NO_COLOR="1", LC_ALL="C.UTF-8", DG_IT_PW=slapd.ROOT_PW)

        def check(domain):
            prof = {"name": "srv", "directory": {
                "type": "active-directory", "domain": domain, "protocol": "ldap",
                "port": port, "baseDn": slapd.SUFFIX,
                "bind": {"user": slapd.ROOT_DN, "password": {"env": "DG_IT_PW"}}}}
            path = os.path.join(tmp, "p.json")
            with open(path, "w") as f:
                json.dump(prof, f)
            p = subprocess.run([binary, "check", "--format", "json", path], env=env,
                               capture_output=True, timeout=120)
            try:
                doc = json.loads(p.stdout)
            except ValueError:
                doc = {"findings": []}
            return p, {f["code"]: f for f in doc["findings"]}

        with dns.DnsServer(table) as d:
            p, codes = check("example.test")
            f21 = codes.get("LDAP021")
            t.check(f21 and "ldap://localhost:%d" % port in f21["message"],
                    "SRV: the lowest priority, then the highest weight (localhost)",
                    list(codes.values())[:6])
            t.check(("_ldap._tcp.dc._msdcs.example.test", 33) in d.queries,
                    "the query was _ldap._tcp.dc._msdcs.<domain> SRV", d.queries)

            p, codes = check("nosrv.test")
            f21 = codes.get("LDAP021")
            t.check(f21 and "ldap://nosrv.test:%d" % port in f21["message"],
                    "no SRV record: the domain name itself", list(codes.values())[:6])

            p, codes = check("dot.test")
            f13 = codes.get("AD013")
            t.check(p.returncode == 3 and f13 and "dot.test" in f13["message"] and
                    f13["path"] == "/directory/domain",
                    "SRV target '.' and no address: AD013", list(codes.values())[:6])

            p, codes = check("nothing.test")
            t.check(p.returncode == 3 and "AD013" in codes,
                    "neither SRV nor an address: AD013", list(codes.values())[:6])
            t.check(slapd.ROOT_PW.encode() not in p.stdout + p.stderr, "no password printed")
    finally:
        if server:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    sys.exit(main())
