"""Starts panva/oidc-provider (tests/integration/oidc/provider.mjs) on
127.0.0.1 with TLS from a test CA made here, as the Entra ID token endpoint
or as AD FS, and stops it again.

    with OidcProvider("entra", tmpdir, client_id=..., client_cert=...) as op:
        op.token_endpoint, op.ca_file, op.jwks_uri, op.authority

The node modules come from `npm ci` in this directory
(scripts/install-deps.sh); without them the tests skip.
"""
import os
import select
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from slapd import stop_process  # noqa: E402

START_TIMEOUT = 20.0


def _run(args, cwd=None):
    subprocess.run(args, cwd=cwd, check=True, timeout=60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def available():
    """Why the fixture cannot run here, or None."""
    if not os.path.isdir(os.path.join(HERE, "node_modules", "oidc-provider")):
        return "oidc-provider not installed (run scripts/install-deps.sh --test)"
    if subprocess.run(["node", "--version"], capture_output=True).returncode != 0:
        return "node not found"
    return None


def make_tls(d, name="server", cn="localhost"):
    """A test CA (ca.crt) and a server certificate for 127.0.0.1/localhost
    signed by it, in directory d.  Returns d."""
    os.makedirs(d, exist_ok=True)
    ca_key, ca_crt = os.path.join(d, "ca.key"), os.path.join(d, "ca.crt")
    if not os.path.exists(ca_crt):
        _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key,
              "-out", ca_crt, "-days", "30", "-subj", "/CN=dirgate oidc test CA",
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    key, csr, crt = (os.path.join(d, name + ext) for ext in (".key", ".csr", ".crt"))
    ext = os.path.join(d, name + ".ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    _run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
          "-subj", "/CN=" + cn])
    _run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
          "-CAcreateserial", "-out", crt, "-days", "30", "-extfile", ext])
    return d


class OidcProvider:
    """One oidc-provider process; mode "entra" or "adfs"."""

    def __init__(self, mode, workdir, tenant="015b1e55-614a-4fea-a7ff-59a9f85ebb1a",
                 client_id=None, client_cert=None, token_ttl=3600, adfs_client_id=None,
                 adfs_redirect_uri=None, tls_dir=None, adfs_scopes=None, adfs_keys=None,
                 entra_algs=None):
        self.mode, self.tenant = mode, tenant
        self.tls_dir = tls_dir or make_tls(os.path.join(workdir, "tls-" + mode))
        self.ca_file = os.path.join(self.tls_dir, "ca.crt")
        self.port = free_port()
        self.log_path = os.path.join(workdir, "oidc-%s.log" % mode)
        self.env = dict(os.environ, MODE=mode, PORT=str(self.port), TLS_DIR=self.tls_dir,
                        TENANT=tenant, TOKEN_TTL=str(token_ttl), NODE_NO_WARNINGS="1")
        for k, v in (("CLIENT_ID", client_id), ("CLIENT_CERT", client_cert),
                     ("ADFS_CLIENT_ID", adfs_client_id),
                     ("ADFS_REDIRECT_URI", adfs_redirect_uri), ("ADFS_SCOPES", adfs_scopes),
                     ("ADFS_KEYS", adfs_keys), ("ENTRA_ALGS", entra_algs)):
            if v:
                self.env[k] = v
        self.proc = None
        self.base = "https://127.0.0.1:%d" % self.port
        if mode == "adfs":
            self.issuer = self.base + "/adfs"
            self.token_endpoint = self.issuer + "/oauth2/token/"
            self.jwks_uri = self.issuer + "/discovery/keys"
        else:
            self.authority = self.base
            self.issuer = "%s/%s" % (self.base, tenant)
            self.token_endpoint = self.issuer + "/oauth2/v2.0/token"
            self.jwks_uri = self.issuer + "/discovery/v2.0/keys"

    def start(self):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(["node", os.path.join(HERE, "provider.mjs")], cwd=HERE,
                                     env=self.env, stdout=subprocess.PIPE, stderr=self.log)
        deadline = time.time() + START_TIMEOUT
        line = b""
        while time.time() < deadline and self.proc.poll() is None:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if r:
                line = self.proc.stdout.readline()
                if line.startswith(b"READY"):
                    return self
        self.stop()
        raise RuntimeError("oidc-provider (%s) did not start: %s %s" % (
            self.mode, line, open(self.log_path).read()[-2000:]))

    def stop(self):
        stop_process(self.proc, 5)
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()

    def grant_errors(self):
        """oidc-provider's logged refusal reasons so far."""
        with open(self.log_path) as f:
            return [line for line in f if line.startswith("grant.error")]

    def assertions(self):
        """[(JOSE header, HTTP status)] of every client assertion so far."""
        import json
        with open(self.log_path) as f:
            return [(a["header"], a["status"]) for a in
                    (json.loads(line.split(" ", 1)[1]) for line in f
                     if line.startswith("assertion "))]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def install_signal_handlers(stop):
    """Stops the servers on SIGTERM/SIGINT/SIGHUP (meson's timeout)."""
    def handler(signum, frame):
        stop()
        sys.exit(128 + signum)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, handler)


def _b64url(b):
    import base64
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def sign_assertion(key, cert, client_id, aud, jti=None, now=None, ttl=300, x5t_cert=None,
                   alg="RS256"):
    """A client assertion signed with `openssl dgst` (not dirgate's code), for
    the tests that show oidc-provider's own refusals: RS256 with x5t, or
    PS256 (RSASSA-PSS) with x5t#S256.  The thumbprint names `cert`, or
    `x5t_cert` when given ("" leaves it out)."""
    import hashlib
    import json
    import uuid
    now = int(time.time()) if now is None else now
    head = {"alg": alg, "typ": "JWT"}
    if x5t_cert != "":
        der = subprocess.run(["openssl", "x509", "-in", x5t_cert or cert, "-outform", "DER"],
                             capture_output=True, check=True).stdout
        if alg == "PS256":
            head["x5t#S256"] = _b64url(hashlib.sha256(der).digest())
        else:
            head["x5t"] = _b64url(hashlib.sha1(der).digest())
    claims = {"aud": aud, "iss": client_id, "sub": client_id, "jti": jti or str(uuid.uuid4()),
              "nbf": now, "iat": now, "exp": now + ttl}
    signing_input = "%s.%s" % (_b64url(json.dumps(head).encode()),
                               _b64url(json.dumps(claims).encode()))
    pss = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest",
           "-sigopt", "rsa_mgf1_md:sha256"] if alg == "PS256" else []
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key] + pss,
                         input=signing_input.encode(), capture_output=True, check=True).stdout
    return signing_input + "." + _b64url(sig)


def token_request(op, client_id, assertion):
    """POSTs a client credentials request; returns (status, parsed JSON)."""
    import json
    import ssl
    import urllib.error
    import urllib.parse
    import urllib.request
    body = urllib.parse.urlencode({
        "grant_type": "client_credentials", "client_id": client_id,
        "scope": "https://graph.microsoft.com/.default",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion}).encode()
    ctx = ssl.create_default_context(cafile=op.ca_file)
    try:
        with urllib.request.urlopen(op.token_endpoint, data=body, context=ctx, timeout=20) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")
