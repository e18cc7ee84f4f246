"""A private Samba Active Directory domain controller for the integration tests.

Samba's LDAP ports are fixed (389, 636, 3268, 3269), so the DC runs inside a
network namespace of its own and so must its clients.  The simplest robust
way: the test driver re-executes itself under `unshare --net` (see
enter_netns), brings up `lo` there, and then starts Samba and the test
program as its own children.  Nothing listens in the host's namespace, and
when the driver exits the namespace goes away with it.

    enter_netns()                       # re-exec under unshare --net (or SKIP)
    with SambaDC() as dc:               # provision, start, add test data
        dc.env() ...                    # DG_AD_* variables for the test program

SambaDC provisions a domain (realm SAMDOM.EXAMPLE.COM, --use-rfc2307,
--dns-backend=NONE, host IP 127.0.0.1) into one temporary directory, writes
a private smb.conf with every path below that directory (only the `ldap`
service, 127.0.0.1 only, no NetBIOS, TLS with the test CA's certificate for
DNS:localhost and IP:127.0.0.1, `ldap server require strong auth` left at
its default `yes`), starts `samba -i -M single --no-process-group` as our
child (in a process group of its own), waits (bounded) until LDAPS answers
and adds the test users and groups with one ldapmodify over LDAPS.  stop()
kills Samba by its PID, then anything left in its process group, waits for
it and removes the directory; it runs on exit, on exceptions and on
SIGTERM/SIGINT/SIGHUP (slapd.install_signal_handlers), and Samba also gets
SIGTERM from the kernel should the driver die first (PR_SET_PDEATHSIG).
restart(faketime=...) preloads libfaketime into Samba itself rather than
running it under faketime(1), which would stand between us and Samba: its
PID would be faketime's, and stopping it left Samba running.
"""

import base64
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slapd  # noqa: E402  (Certs, install_signal_handlers, stop_process)

REALM = "SAMDOM.EXAMPLE.COM"
DOMAIN = "SAMDOM"
BASE = "DC=samdom,DC=example,DC=com"
USERS = "CN=Users," + BASE
# Deliberately distinctive: the tests check that they never show up in output.
ADMIN_PW = "Canary-Adm1n-7c2d"
USER_PW = "Canary-User1-4be9"
ADMIN_UPN = "Administrator@" + REALM
PROVISION_TIMEOUT = 120.0
START_TIMEOUT = 30.0
NETNS_MARK = "DG_IT_IN_NETNS"
LOCKOUT_THRESHOLD = 2
NO_LOGON_HOURS = base64.b64encode(bytes(21)).decode("ascii")   # 168 hours, all denied


def missing_tools():
    """What is missing to run a Samba DC here, or "" when nothing is."""
    need = ["samba", "samba-tool", "unshare", "ip", "ldapsearch", "ldapmodify", "openssl"]
    missing = [t for t in need if not _which(t)]
    if missing:
        return "not installed: %s (scripts/install-deps.sh --test)" % ", ".join(missing)
    if not os.path.isdir("/usr/share/samba/setup"):
        return "samba's provisioning data is missing (package samba-ad-provision)"
    return ""


def _which(name):
    return shutil.which(name) or next(
        (p for p in ("/usr/sbin/" + name, "/sbin/" + name) if os.path.exists(p)), None)


def enter_netns():
    """Re-executes this program inside a new network namespace (once).

    Returns "" inside the namespace (with lo up), or the reason why no
    namespace can be had (then the caller skips).  Root is needed for
    unshare --net; without root a user namespace mapping us to root is tried."""
    if os.environ.get(NETNS_MARK) == "1":
        r = subprocess.run([_which("ip"), "link", "set", "lo", "up"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=10)
        if r.returncode != 0:
            return "cannot bring up lo in the network namespace: " + \
                r.stdout.decode("utf-8", "replace").strip()
        return ""
    why = missing_tools()
    if why:
        return why
    unshare = _which("unshare")
    tried = []
    for args in ([unshare, "--net"], [unshare, "--map-root-user", "--net"]):
        r = subprocess.run(args + ["true"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=10)
        if r.returncode == 0:
            os.environ[NETNS_MARK] = "1"
            sys.stdout.flush()
            sys.stderr.flush()
            # unshare execs the command: this same PID keeps its signals.
            os.execv(unshare, args + ["--", sys.executable, os.path.abspath(sys.argv[0])]
                     + sys.argv[1:])
        tried.append(r.stdout.decode("utf-8", "replace").strip() or "exit %d" % r.returncode)
    return "cannot create a network namespace (unshare --net): %s" % "; ".join(tried)


FAKETIME_LIBS = ("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                 "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
                 "/usr/lib/faketime/libfaketime.so.1")


def faketime_lib():
    """libfaketime's path (package faketime), or None."""
    return next((p for p in FAKETIME_LIBS if os.path.exists(p)), None)


def _pdeathsig():
    """In the child before exec: SIGTERM when the parent dies."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _run(args, timeout, env=None, stdin=None):
    r = subprocess.run(args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=env, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (
            " ".join(args[:3]), r.returncode,
            r.stdout.decode("utf-8", "replace").strip()[-2000:]))
    return r.stdout.decode("utf-8", "replace")


def _unicode_pwd(pw):
    """unicodePwd value: the quoted password in UTF-16LE, base64 for LDIF."""
    return base64.b64encode(('"%s"' % pw).encode("utf-16-le")).decode("ascii")


def _user(cn, sam, uac=512, mail=None, proxies=(), extra=()):
    lines = ["dn: CN=%s,%s" % (cn, USERS), "changetype: add", "objectClass: user",
             "cn: " + cn, "sAMAccountName: " + sam,
             "userPrincipalName: %s@%s" % (sam, REALM.lower()),
             "displayName: " + cn, "givenName: " + cn.split()[0], "sn: " + cn.split()[-1],
             "unicodePwd:: " + _unicode_pwd(USER_PW), "userAccountControl: %d" % uac]
    if mail:
        lines.append("mail: " + mail)
    lines += ["proxyAddresses: " + p for p in proxies]
    lines += list(extra)
    return "\n".join(lines) + "\n"


def _group(cn, members):
    lines = ["dn: CN=%s,%s" % (cn, USERS), "changetype: add", "objectClass: group",
             "cn: " + cn, "sAMAccountName: " + cn]
    lines += ["member: %s" % m for m in members]
    return "\n".join(lines) + "\n"


def _pso(cn, prec, applies_to, lockout):
    """A fine-grained password policy for one user (leaves Administrator alone):
    lock out after `lockout` wrong passwords, for 30 minutes."""
    return "\n".join([
        "dn: CN=%s,CN=Password Settings Container,CN=System,%s" % (cn, BASE),
        "changetype: add", "objectClass: msDS-PasswordSettings",
        "msDS-PasswordSettingsPrecedence: %d" % prec,
        "msDS-PasswordReversibleEncryptionEnabled: FALSE",
        "msDS-PasswordHistoryLength: 0", "msDS-PasswordComplexityEnabled: FALSE",
        "msDS-MinimumPasswordLength: 0", "msDS-MinimumPasswordAge: 0",
        "msDS-MaximumPasswordAge: -9223372036854775808",   # never
        "msDS-LockoutThreshold: %d" % lockout,
        "msDS-LockoutObservationWindow: -18000000000", "msDS-LockoutDuration: -18000000000",
        "msDS-PSOAppliesTo: " + applies_to]) + "\n"


def _dn(cn):
    return "CN=%s,%s" % (cn, USERS)


def test_data_ldif():
    """The users and groups every AD test relies on (see the module doc of
    test_ad_live.c for what each is for)."""
    recs = [
        _user("Alice Anders", "alice", mail="alice@samdom.example.com",
              proxies=("SMTP:alice@samdom.example.com", "smtp:a.anders@alias.example.org")),
        _user("Bob Brown", "bob", mail="bob@samdom.example.com",
              proxies=("SMTP:bob@samdom.example.com",)),
        _user("Carol Chen", "carol", mail="carol@samdom.example.com"),
        _user("Dave Disabled", "dave", uac=514, mail="dave@samdom.example.com"),
        _user("Mona Mustchange", "mona", mail="mona@samdom.example.com"),
        _user("Ed Expired", "ed", extra=("accountExpires: 1",)),
        _user("Hank Hours", "hank", extra=("logonHours:: " + NO_LOGON_HOURS,)),
        _user("Wes Workstation", "wes", extra=("userWorkstations: NOWHERE",)),
        _user("Lou Locked", "lou"),
        _pso("lockout", 1, _dn("Lou Locked"), lockout=LOCKOUT_THRESHOLD),
        # engineering (alice, bob) inside allstaff (carol): IN_CHAIN finds all three.
        _group("engineering", [_dn("Alice Anders"), _dn("Bob Brown")]),
        _group("allstaff", [_dn("engineering"), _dn("Carol Chen")]),
        # must change the password at next logon: pwdLastSet 0 after the password is set
        "dn: %s\nchangetype: modify\nreplace: pwdLastSet\npwdLastSet: 0\n-\n"
        % _dn("Mona Mustchange"),
    ]
    return "\n".join(recs)


class SambaDC:
    """One provisioned, running Samba AD DC in a temporary directory.

    Must be used inside a private network namespace (enter_netns)."""

    def __init__(self, keep=False):
        self.keep = keep
        self.tmp = None
        self.proc = None
        self.log = None
        self.ca_file = None
        self.hidden_attr = False

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

    def _p(self, *parts):
        return os.path.join(self.tmp, *parts)

    def start(self):
        if os.environ.get(NETNS_MARK) != "1":
            raise RuntimeError("SambaDC must run inside its network namespace (enter_netns)")
        self.tmp = tempfile.mkdtemp(prefix="dirgate-samba-")
        for d in ("etc", "log", "run", "cache", "state", "private", "tls"):
            os.makedirs(self._p(d), exist_ok=True)
        t0 = time.monotonic()
        self._provision()
        certs = slapd.Certs(self._p("tls"))
        self.ca_file = certs.ca_crt
        self._write_conf(certs.good)
        self.provision_s = time.monotonic() - t0
        self._start_samba()
        self._add_data()
        self.start_s = time.monotonic() - t0

    def _provision(self):
        # An empty configuration file keeps the system smb.conf (shares,
        # log paths, DNS forwarder) out of the provisioned one.
        empty = self._p("etc", "provision.conf")
        open(empty, "w").close()
        env = dict(_clean_env(), HOME=self.tmp)
        _run(["samba-tool", "domain", "provision", "-s", empty,
              "--targetdir=" + self.tmp, "--realm=" + REALM, "--domain=" + DOMAIN,
              "--server-role=dc", "--dns-backend=NONE", "--use-rfc2307",
              "--host-name=dc1", "--host-ip=127.0.0.1", "--adminpass=" + ADMIN_PW,
              "--option=interfaces=127.0.0.1", "--option=bind interfaces only=yes"],
             PROVISION_TIMEOUT, env=env)

    def _write_conf(self, cert):
        t = self.tmp
        conf = """[global]
	netbios name = DC1
	realm = {realm}
	workgroup = {domain}
	server role = active directory domain controller
	interfaces = 127.0.0.1
	bind interfaces only = yes
	disable netbios = yes
	server services = ldap
	dns update command = /bin/true
	spn update command = /bin/true
	private dir = {t}/private
	lock directory = {t}
	state directory = {t}/state
	cache directory = {t}/cache
	binddns dir = {t}/bind-dns
	pid directory = {t}/run
	ncalrpc dir = {t}/run/ncalrpc
	ntp signd socket directory = {t}/run/ntp_signd
	winbindd socket directory = {t}/run/winbindd
	log file = {t}/log/samba.log
	log level = 1
	idmap_ldb:use rfc2307 = yes
	tls enabled = yes
	tls certfile = {crt}
	tls keyfile = {key}
	tls cafile = {ca}
[sysvol]
	path = {t}/state/sysvol
	read only = No
[netlogon]
	path = {t}/state/sysvol/{lrealm}/scripts
	read only = No
""".format(realm=REALM, domain=DOMAIN, t=t, crt=cert[0], key=cert[1],
           ca=self.ca_file, lrealm=REALM.lower())
        # `ldap server require strong auth` stays at its default (yes).
        with open(self._p("etc", "smb.conf"), "w") as f:
            f.write(conf)

    @property
    def conf(self):
        return self._p("etc", "smb.conf")

    def restart(self, faketime=None):
        """Stops samba and starts it again, with `faketime` (e.g. "+60d",
        libfaketime's FAKETIME syntax) shifting its clock: past the default
        maximum password age (42 days) every password has expired."""
        self._stop_samba()
        self.log.close()
        self._start_samba(faketime)

    def _stop_samba(self):
        """Samba, then whatever is left of its process group (it runs in one
        of its own), waited for with a bound."""
        group = self.proc.pid if self.proc else None
        slapd.stop_process(self.proc, grace=15)
        if group is None:
            return
        try:
            os.killpg(group, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def _start_samba(self, faketime=None):
        self.log = open(self._p("log", "stdout.log"), "ab")
        env = _clean_env()
        if faketime:
            lib = faketime_lib()
            if not lib:
                raise RuntimeError("libfaketime not installed (scripts/install-deps.sh --test)")
            env.update(LD_PRELOAD=lib, FAKETIME=faketime)
        self.proc = subprocess.Popen(
            [_which("samba"), "-i", "-M", "single", "--no-process-group", "-s", self.conf],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            env=env, preexec_fn=_pdeathsig, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("samba exited with %d; see %s" % (
                    self.proc.returncode, self.log.name))
            if self._ldaps_answers():
                return
            time.sleep(0.1)
        raise RuntimeError("samba did not answer on LDAPS within %.0f s" % START_TIMEOUT)

    def ldap_env(self):
        return dict(_clean_env(), LDAPTLS_CACERT=self.ca_file)

    def _ldaps_answers(self):
        r = subprocess.run(["ldapsearch", "-x", "-H", "ldaps://127.0.0.1", "-s", "base",
                            "-b", "", "-o", "nettimeout=1", "(objectClass=*)",
                            "defaultNamingContext"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env=self.ldap_env(), timeout=10)
        return r.returncode == 0

    def pwfile(self):
        p = self._p("private", "dirgate-admin.pw")
        if not os.path.exists(p):
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(ADMIN_PW)   # -y takes the whole file, no newline
        return p

    def ldapmodify(self, ldif):
        _run(["ldapmodify", "-x", "-H", "ldaps://127.0.0.1", "-D", ADMIN_UPN,
              "-y", self.pwfile()], 120, env=self.ldap_env(), stdin=ldif.encode("utf-8"))

    def ldapsearch(self, base, filt, attrs=("1.1",), paged=True):
        """Runs ldapsearch as Administrator over LDAPS; returns its output."""
        args = ["ldapsearch", "-x", "-LLL", "-H", "ldaps://127.0.0.1", "-D", ADMIN_UPN,
                "-y", self.pwfile(), "-b", base, "-s", "sub"]
        if paged:
            args += ["-E", "pr=1000/noprompt"]
        return _run(args + [filt] + list(attrs), 60, env=self.ldap_env())

    def _add_data(self):
        self.ldapmodify(test_data_ldif())
        # Samba's schema has no Exchange attributes unless extended; use
        # msExchHideFromAddressLists only where the schema knows it.
        out = self.ldapsearch("CN=Schema,CN=Configuration," + BASE,
                              "(lDAPDisplayName=msExchHideFromAddressLists)", paged=False)
        self.hidden_attr = "dn:" in out
        # Two wrong passwords lock lou out (its password policy says 2).
        for i in range(LOCKOUT_THRESHOLD):
            subprocess.run(["ldapsearch", "-x", "-H", "ldaps://127.0.0.1",
                            "-D", "lou@" + REALM.lower(), "-w", "not-the-password-%d" % i,
                            "-s", "base", "-b", "", "1.1"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env=self.ldap_env(), timeout=30)

    def stop(self):
        self._stop_samba()
        self.proc = None
        if self.log:
            self.log.close()
            self.log = None
        if self.tmp and not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def env(self):
        """Variables that tell a test program where everything is."""
        return {"DG_AD_CA_FILE": self.ca_file, "DG_AD_REALM": REALM,
                "DG_AD_BASE": BASE, "DG_AD_ADMIN": ADMIN_UPN, "DG_AD_ADMIN_PW": ADMIN_PW,
                "DG_AD_USER_PW": USER_PW, "DG_AD_GROUP": _dn("allstaff"),
                "DG_AD_HIDDEN_ATTR": "1" if self.hidden_attr else "0"}


def processes_using(directory):
    """PIDs of the processes holding a file below `directory` open (a DC's
    log, even once the directory is deleted): what must be gone once that DC
    is stopped.  Not the command line: Samba rewrites its own ("samba: root
    process")."""
    prefix = directory.rstrip("/") + "/"
    found = []
    for d in filter(str.isdigit, os.listdir("/proc")):
        try:
            links = [os.readlink("/proc/%s/fd/%s" % (d, fd)) for fd in os.listdir("/proc/%s/fd" % d)]
        except OSError:
            continue
        if any(link.startswith(prefix) for link in links):
            found.append(int(d))
    return found


def _clean_env():
    """No LDAP* / LDAPTLS_* / KRB5* surprises from the caller's environment."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("LDAP", "KRB5", "SMB"))}


if __name__ == "__main__":
    # Manual use: samba.py [COMMAND...] runs COMMAND (default: sh) inside the
    # namespace with the DC running and DG_AD_* set, then stops everything.
    why = enter_netns()
    if why:
        print("cannot run Samba here: " + why, file=sys.stderr)
        sys.exit(1)
    slapd.install_signal_handlers(lambda: None)
    with SambaDC() as dc:
        print("# provisioned in %.1f s, ready with data in %.1f s (%s)"
              % (dc.provision_s, dc.start_s, dc.tmp), file=sys.stderr)
        env = dict(os.environ, **dc.env())
        env["LDAPTLS_CACERT"] = dc.ca_file
        rc = subprocess.call(sys.argv[1:] or ["sh"], env=env)
    sys.exit(rc)
