"""Private OpenLDAP slapd instances for the integration tests.

Everything lives in one temporary directory and listens only on 127.0.0.1:

    with SlapdSet() as s:          # makes the certificates, starts the servers
        s.main.ldap_port, s.main.ldaps_port, s.ca_file, ...

SlapdSet starts:
  main       the test CA's good certificate (SAN DNS:localhost, IP:127.0.0.1),
             suffix dc=example,dc=com with people and groups (memberof overlay),
             anonymous searches limited to 500 entries (`limits anonymous`),
             uid=alice (password alicepass) to 1000 per search, unlimited in pages
  badca      a certificate signed by a CA the tests never trust
  wronghost  signed by the test CA, but for wrong.example.invalid only;
             simple binds need TLS (`security simple_bind=1`, result 13)
  expired    signed by the test CA, valid only in 2020

Each slapd runs in the foreground (-d0) as our child; stop() kills it by its
PID and waits.  SlapdSet stops every server it started on exit, on
exceptions and on SIGTERM/SIGINT/SIGHUP (see install_signal_handlers).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SUFFIX = "dc=example,dc=com"
ROOT_DN = "cn=admin," + SUFFIX
# Deliberately distinctive: the tests check that it never shows up in output.
ROOT_PW = "Canary-Root-9f3e1c"
SCHEMAS = ["core", "cosine", "nis", "inetorgperson"]
START_TIMEOUT = 15.0
PORT_ATTEMPTS = 5      # ports taken by another test in between: try new ones


def _run(args, cwd=None, stdin=None):
    r = subprocess.run(args, cwd=cwd, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (
            " ".join(args[:3]), r.returncode,
            r.stderr.decode("utf-8", "replace").strip()))
    return r.stdout


def skip_unless_installed():
    """Skips the whole test file (a TAP plan of 0) when slapd or the
    ldap-utils the tests compare with are not installed."""
    if not shutil.which("ldapsearch") or not (shutil.which("slapd") or
                                               os.path.exists("/usr/sbin/slapd")):
        print("1..0 # SKIP slapd or ldap-utils not installed (scripts/install-deps.sh --test)")
        sys.exit(0)


def free_port():
    """A TCP port on 127.0.0.1 that is free right now -- and may be taken by
    the time a server binds it (tests run in parallel): whoever starts a
    server on it must check that the server answering is its own
    (owns_port) and try another port when not (Slapd.start)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dead_port():
    """A socket bound to a port on 127.0.0.1 that never listens: connecting
    to its port is refused for as long as the caller keeps the socket open,
    and no other test can start a server there."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    return s


def _listening_inodes(port):
    """Inodes of the sockets listening on TCP `port` (IPv4 and IPv6) in
    this network namespace."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == "0A":
                        found.add(cols[9])
        except OSError:
            continue
    return found


def owns_port(pid, port):
    """Whether process `pid` holds the socket listening on `port`: the
    server that answers there is the one we started, not another test's."""
    want = {"socket:[%s]" % i for i in _listening_inodes(port)}
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) in want:
                return True
        except OSError:
            continue
    return False


class Certs:
    """The openssl test CA and the server certificates."""

    def __init__(self, d):
        self.dir = d
        os.makedirs(d, exist_ok=True)
        self.ca_crt = os.path.join(d, "ca.crt")
        self._ca("ca", "dirgate test CA")
        self._ca("otherca", "dirgate unknown CA")
        good = "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
        self.good = self._server("server", "localhost", good, "ca")
        self.badca = self._server("badca", "localhost", good, "otherca")
        self.wronghost = self._server("wronghost", "wrong.example.invalid",
                                      "subjectAltName=DNS:wrong.example.invalid\n", "ca")
        self.expired = self._server("expired", "localhost", good, "ca",
                                    dates=("20200101000000Z", "20200201000000Z"))

    def _p(self, name):
        return os.path.join(self.dir, name)

    def _ca(self, name, cn):
        _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
              "-keyout", self._p(name + ".key"), "-out", self._p(name + ".crt"),
              "-days", "3650", "-subj", "/CN=" + cn,
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign"])

    def _server(self, name, cn, san, ca, dates=None):
        key, csr, crt = self._p(name + ".key"), self._p(name + ".csr"), self._p(name + ".crt")
        _run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
              "-out", csr, "-subj", "/CN=" + cn])
        ext = self._p(name + ".ext")
        with open(ext, "w") as f:
            f.write(san + "basicConstraints=CA:FALSE\n"
                    "keyUsage=digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth\n")
        if dates is None:
            _run(["openssl", "x509", "-req", "-in", csr, "-CA", self._p(ca + ".crt"),
                  "-CAkey", self._p(ca + ".key"), "-CAcreateserial", "-out", crt,
                  "-days", "3650", "-extfile", ext])
        else:
            # `openssl x509` cannot back-date; `openssl ca` takes explicit dates.
            cadir = self._p(name + "-ca")
            os.makedirs(cadir, exist_ok=True)
            open(os.path.join(cadir, "index.txt"), "w").close()
            with open(os.path.join(cadir, "serial"), "w") as f:
                f.write("1000\n")
            cnf = os.path.join(cadir, "ca.cnf")
            with open(cnf, "w") as f:
                f.write("[ca]\ndefault_ca=d\n[d]\ndir=%s\ndatabase=$dir/index.txt\n"
                        "serial=$dir/serial\nnew_certs_dir=$dir\ndefault_md=sha256\n"
                        "policy=p\nunique_subject=no\n[p]\ncommonName=supplied\n" % cadir)
            _run(["openssl", "ca", "-batch", "-config", cnf, "-notext",
                  "-cert", self._p(ca + ".crt"), "-keyfile", self._p(ca + ".key"),
                  "-startdate", dates[0], "-enddate", dates[1], "-extfile", ext,
                  "-in", csr, "-out", crt])
        os.chmod(key, 0o600)
        return (crt, key)


class Slapd:
    """One slapd: its own config, database and two listeners."""

    def __init__(self, base, name, cert, ca_file, extra_global="", maxsize=268435456):
        self.name = name
        self.dir = os.path.join(base, name)
        self.db = os.path.join(self.dir, "db")
        os.makedirs(self.db)
        self.conf = os.path.join(self.dir, "slapd.conf")
        self.ldap_port = free_port()
        self.ldaps_port = free_port()
        self.proc = None
        self.log = None
        self.strong = bool(extra_global)
        self.cert = cert
        lines = ["include /etc/ldap/schema/%s.schema" % s for s in SCHEMAS]
        lines += [
            "modulepath /usr/lib/ldap",
            "moduleload back_mdb",
            "moduleload memberof",
            "pidfile %s/slapd.pid" % self.dir,
            "argsfile %s/slapd.args" % self.dir,
        ] + ([  # cert None: plain LDAP only (the benchmark)
            "TLSCACertificateFile %s" % ca_file,
            "TLSCertificateFile %s" % cert[0],
            "TLSCertificateKeyFile %s" % cert[1],
        ] if cert else []) + [
            "sizelimit unlimited",
        ] + ([extra_global] if extra_global else []) + [
            "database mdb",
            "maxsize %d" % maxsize,
            'suffix "%s"' % SUFFIX,
            'rootdn "%s"' % ROOT_DN,
            "rootpw %s" % ROOT_PW,
            "directory %s" % self.db,
            "index objectClass eq",
            "index uid,cn,mail eq,sub",
            "index member eq",
            # Anonymous users get at most 500 entries, paged or not: the
            # real-server way to produce result 4 (size limit exceeded).
            "limits anonymous size=500 size.pr=noEstimate size.prtotal=500",
            # alice gets 1000 entries per search but any number in pages:
            # only a paged search returns all of ou=bulk to her.
            'limits dn.exact="uid=alice,ou=people,%s" size=1000 size.prtotal=unlimited'
            % SUFFIX,
            "access to attrs=userPassword by self write by anonymous auth by * none",
            "access to * by * read",
            "overlay memberof",
            "memberof-group-oc groupOfNames",
            "memberof-member-ad member",
            "memberof-memberof-ad memberOf",
        ]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")

    @property
    def ldap_uri(self):
        return "ldap://127.0.0.1:%d" % self.ldap_port

    def load(self, ldif_path):
        """Bulk-loads an LDIF file with slapadd (before start(): offline,
        far faster than ldapadd for the benchmark's 100,000 entries)."""
        _run(["slapadd", "-q", "-f", self.conf, "-l", ldif_path])

    def start(self):
        """Starts slapd on the ports chosen; when another process took one
        of them in the meantime, on new ones (a bounded number of times)."""
        for _ in range(PORT_ATTEMPTS):
            if self._start_once():
                return
            self.ldap_port, self.ldaps_port = free_port(), free_port()
        raise RuntimeError("slapd %s: its ports were taken %d times in a row (or it cannot "
                           "bind for another reason); see %s"
                           % (self.name, PORT_ATTEMPTS, self.log.name))

    def _start_once(self):
        """True when our slapd listens on its ports and answers; False when
        it could not bind them."""
        urls = "ldap://127.0.0.1:%d/" % self.ldap_port
        if self.cert:
            urls += " ldaps://127.0.0.1:%d/" % self.ldaps_port
        self.log = open(os.path.join(self.dir, "slapd.log"), "wb")
        self.proc = subprocess.Popen(["slapd", "-f", self.conf, "-h", urls, "-d0"],
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.close()
                if any(_listening_inodes(p) for p in self._ports()):
                    return False   # it died because another process has a port
                # slapd -d0 says nothing either way; a configuration that
                # tests good means a port was taken and given back between
                # its bind and the look above (another test's short-lived
                # socket): try new ports
                check = subprocess.run(["slaptest", "-Q", "-u", "-f", self.conf],
                                       capture_output=True)
                if check.returncode == 0:
                    return False
                raise RuntimeError("slapd %s exited with %d; slaptest says: %s" % (
                    self.name, self.proc.returncode,
                    (check.stdout + check.stderr).decode(errors="replace")[-800:]))
            if self._ours() and self._answers():
                return True
            time.sleep(0.05)
        raise RuntimeError("slapd %s did not answer within %.0f s" % (self.name, START_TIMEOUT))

    def _ports(self):
        return [self.ldap_port] + ([self.ldaps_port] if self.cert else [])

    def _ours(self):
        return all(owns_port(self.proc.pid, port) for port in self._ports())

    def _answers(self):
        r = subprocess.run(["ldapsearch", "-x", "-H", self.ldap_uri, "-s", "base",
                            "-b", "", "-o", "nettimeout=1", "(objectClass=*)", "1.1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env=_ldap_env(), timeout=10)
        return r.returncode == 0

    def add(self, ldif_text):
        if self.strong:   # simple binds need TLS here; the certificate is a bad one
            uri = "ldaps://127.0.0.1:%d" % self.ldaps_port
            env = dict(_ldap_env(), LDAPTLS_REQCERT="never")
        else:
            uri, env = self.ldap_uri, _ldap_env()
        r = subprocess.run(["ldapadd", "-x", "-H", uri, "-D", ROOT_DN, "-y", self._pwfile()],
                           input=ldif_text.encode("utf-8"), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env, timeout=120)
        if r.returncode != 0:
            raise RuntimeError("ldapadd to %s failed (%d): %s" % (
                self.name, r.returncode, r.stderr.decode("utf-8", "replace").strip()))

    def _pwfile(self):
        p = os.path.join(self.dir, "rootpw")
        if not os.path.exists(p):
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(ROOT_PW)   # -y takes the whole file, no newline
        return p

    def stop(self):
        stop_process(self.proc, grace=10)
        self.proc = None
        if self.log:
            self.log.close()
            self.log = None


def stop_process(p, grace):
    """Terminates a server we started and waits for it; kills it if it has
    not gone after `grace` seconds.  Safe on None and on exited processes."""
    if p is None or p.poll() is not None:
        return
    p.terminate()
    try:
        p.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=10)


def _ldap_env():
    """Environment for ldap-utils: no LDAP* / LDAPTLS_* surprises."""
    return {k: v for k, v in os.environ.items() if not k.startswith("LDAP")}


def base_ldif(n_bulk=0):
    """Base, people (5 named users), groups and n_bulk extra users in ou=bulk."""
    out = ["dn: %s\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n" % SUFFIX]
    for ou in ("people", "groups", "bulk"):
        out.append("dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n" % (ou, SUFFIX, ou))
    for i, (uid, name) in enumerate([("alice", "Alice Anders"), ("bob", "Bob Brown"),
                                     ("carol", "Carol Chen"), ("dave", "Dave Dunn"),
                                     ("erin", "Erin Evans")]):
        out.append("dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\n"
                   "objectClass: posixAccount\nuid: %s\ncn: %s\nsn: %s\n"
                   "displayName: %s\nmail: %s@example.com\nuidNumber: %d\n"
                   "gidNumber: 10000\nhomeDirectory: /home/%s\nuserPassword: %spass\n"
                   % (uid, SUFFIX, uid, name, name.split()[1], name, uid, 10001 + i, uid, uid))
    out.append("dn: cn=engineering,ou=groups,%s\nobjectClass: groupOfNames\ncn: engineering\n"
               "member: uid=alice,ou=people,%s\nmember: uid=bob,ou=people,%s\n"
               % (SUFFIX, SUFFIX, SUFFIX))
    for i in range(n_bulk):
        out.append("dn: uid=u%05d,ou=bulk,%s\nobjectClass: inetOrgPerson\nuid: u%05d\n"
                   "cn: User %05d\nsn: %05d\nmail: u%05d@example.com\n"
                   % (i, SUFFIX, i, i, i, i))
    return "\n".join(out)


class SlapdSet:
    """The four servers the live tests need, in one temporary directory."""

    NAMES = ("main", "badca", "wronghost", "expired")

    def __init__(self, n_bulk=2500, keep=False):
        self.n_bulk = n_bulk
        self.keep = keep
        self.tmp = None
        self.servers = {}
        self.dead = None   # held open: a port that refuses connections

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        self.tmp = tempfile.mkdtemp(prefix="dirgate-slapd-")
        certs = Certs(os.path.join(self.tmp, "tls"))
        self.ca_file = certs.ca_crt
        for name in self.NAMES:
            cert = getattr(certs, "good" if name == "main" else name)
            # wronghost also refuses simple binds without TLS (result 13),
            # for the "use LDAP-TLS or LDAP-SSL" finding.
            s = Slapd(self.tmp, name, cert, certs.ca_crt,
                      "security simple_bind=1" if name == "wronghost" else "")
            self.servers[name] = s
            s.start()
        self.main.add(base_ldif(self.n_bulk))
        for name in self.NAMES[1:]:
            self.servers[name].add(base_ldif(0))

    def __getattr__(self, name):
        servers = self.__dict__.get("servers", {})
        if name in servers:
            return servers[name]
        raise AttributeError(name)

    def stop(self):
        for s in self.servers.values():
            s.stop()
        if self.dead:
            self.dead.close()
            self.dead = None
        if self.tmp and not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def _dead_port(self):
        if not self.dead:
            self.dead = dead_port()
        return self.dead.getsockname()[1]

    def env(self):
        """Variables that tell a test program where everything is."""
        e = {"DG_IT_CA_FILE": self.ca_file, "DG_IT_ROOT_DN": ROOT_DN,
             "DG_IT_ROOT_PW": ROOT_PW, "DG_IT_SUFFIX": SUFFIX,
             "DG_IT_BULK": str(self.n_bulk), "DG_IT_DEAD_PORT": str(self._dead_port())}
        for name, s in self.servers.items():
            e["DG_IT_%s_LDAP" % name.upper()] = str(s.ldap_port)
            e["DG_IT_%s_LDAPS" % name.upper()] = str(s.ldaps_port)
        return e


def install_signal_handlers(on_signal):
    """Turn SIGTERM/SIGHUP/SIGINT into KeyboardInterrupt-like exits so the
    `with` blocks run their cleanup (on_signal is called first)."""
    def handler(signum, frame):
        on_signal()
        raise SystemExit(128 + signum)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, handler)


if __name__ == "__main__":
    # Manual use: start everything, print the environment, wait for Ctrl-C.
    with SlapdSet(keep=False) as s:
        install_signal_handlers(lambda: None)
        for k, v in sorted(s.env().items()):
            print("export %s=%s" % (k, v))
        print("# Ctrl-C to stop", flush=True)
        while True:
            time.sleep(3600)
