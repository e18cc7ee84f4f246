#!/usr/bin/env python3
"""A strict emulator of Google's OAuth token endpoint (JWT bearer grant with
domain-wide delegation, RFC 7523) and the Admin SDK Directory API
(users.list, groups.list / groups.get, members.list), over HTTPS on
127.0.0.1 with a test CA made at start-up.  Standard library only.

Written from the documented behaviour (shared/reference/identity-protocols.md
§C): it refuses what Google refuses, answers errors in Google's shapes, and
can inject faults.

In a test:

    with GoogleEmulator(workdir, users=make_users(10)) as g:
        g.key_file, g.ca_file, g.api_url, g.token_uri     # for the profile
        g.faults["rate_limit"] = 2                         # next 2 API calls: 403

Domain-wide delegation authorises exactly MailStore's three scopes unless a
test sets g.authorized_scopes; a token request with any other scope is
refused with access_denied, as Google refuses it.

As a program (benchmarks): google_directory.py --dir D --users N; writes
D/key.json, D/ca.crt and D/emulator.json ({"port", "api_url", ...}), then
serves until SIGTERM/SIGINT.
"""

import base64
import hashlib
import http.server
import json
import os
import re
import secrets
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

SCOPE_USER = "https://www.googleapis.com/auth/admin.directory.user.readonly"
SCOPE_GROUP = "https://www.googleapis.com/auth/admin.directory.group.readonly"
SCOPE_MEMBER = "https://www.googleapis.com/auth/admin.directory.group.member.readonly"
SCOPE_MAIL = "https://mail.google.com/"
# What MailStore's guide has the administrator authorise in domain-wide
# delegation (identity-protocols.md §C.1): a tenant set up by the guide.
MAILSTORE_SCOPES = frozenset({SCOPE_MAIL, SCOPE_GROUP, SCOPE_USER})
KNOWN_SCOPES = {
    SCOPE_USER, SCOPE_GROUP, SCOPE_MEMBER, SCOPE_MAIL,
    "https://www.googleapis.com/auth/admin.directory.user",
    "https://www.googleapis.com/auth/admin.directory.group",
    "https://www.googleapis.com/auth/admin.directory.group.member",
}
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
# The standard parameters every Google API method takes besides its own
# (developers.google.com "System parameters"; each method's reference lists
# them as "Standard Parameters"): Google's clients send some (googleapis:
# alt, prettyPrint, quotaUser, fields).
SYSTEM_PARAMS = frozenset({"$.xgafv", "access_token", "alt", "callback", "fields", "key",
                           "oauth_token", "prettyPrint", "quotaUser", "upload_protocol",
                           "uploadType", "userIp"})
CUSTOMER_ID = "C01abcdef"
# DigestInfo prefix of SHA-256 (RFC 8017 §9.2 note 1)
SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")

USER_FIELDS = {"kind", "id", "etag", "primaryEmail", "name", "isAdmin", "isDelegatedAdmin",
               "lastLoginTime", "creationTime", "agreedToTerms", "suspended",
               "suspensionReason", "archived", "changePasswordAtNextLogin",
               "ipWhitelisted", "emails", "aliases", "nonEditableAliases", "customerId",
               "orgUnitPath", "isMailboxSetup", "includeInGlobalAddressList",
               "thumbnailPhotoUrl", "isEnrolledIn2Sv", "isEnforcedIn2Sv"}
GROUP_FIELDS = {"kind", "id", "etag", "email", "name", "directMembersCount",
                "description", "adminCreated", "aliases", "nonEditableAliases"}
MEMBER_FIELDS = {"kind", "id", "etag", "email", "role", "type", "status", "delivery_settings"}


def b64url_decode(s):
    if not re.fullmatch(r"[A-Za-z0-9_-]*", s):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _run(args):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if r.returncode:
        raise RuntimeError("%s: %s" % (" ".join(args[:3]), r.stderr.decode(errors="replace")))
    return r.stdout


def make_ca_and_cert(d):
    """Test CA and a server certificate for localhost / 127.0.0.1 / ::1."""
    ca_key, ca_crt = os.path.join(d, "ca.key"), os.path.join(d, "ca.crt")
    key, csr, crt = (os.path.join(d, n) for n in ("server.key", "server.csr", "server.crt"))
    _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key,
          "-out", ca_crt, "-days", "30", "-subj", "/CN=dirgate Google emulator test CA",
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    _run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
          "-subj", "/CN=localhost"])
    ext = os.path.join(d, "server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n"
                "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    _run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
          "-CAcreateserial", "-out", crt, "-days", "30", "-extfile", ext])
    return ca_crt, crt, key


class ServiceAccount:
    """An RSA key pair and the JSON key file Google would hand out."""

    def __init__(self, d, token_uri, email="dirgate-sync@dirgate-test.iam.gserviceaccount.com",
                 client_id="112233445566778899001"):
        self.email, self.client_id = email, client_id
        self.key_id = secrets.token_hex(20)
        pem_path = os.path.join(d, "sa.pem")
        _run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
              "-out", pem_path])
        with open(pem_path) as f:
            self.private_pem = f.read()
        os.unlink(pem_path)
        p = subprocess.run(["openssl", "rsa", "-noout", "-modulus"], input=self.private_pem.encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        mod = p.stdout.decode().strip()
        self.n = int(mod.split("=", 1)[1], 16)
        self.e = 65537  # openssl genpkey's default public exponent
        self.token_uri = token_uri
        self.key_file = os.path.join(d, "key.json")
        doc = {
            "type": "service_account", "project_id": "dirgate-test",
            "private_key_id": self.key_id, "private_key": self.private_pem,
            "client_email": email, "client_id": client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/x",
            "universe_domain": "googleapis.com",
        }
        with open(self.key_file, "w") as f:
            json.dump(doc, f, indent=2)
        os.chmod(self.key_file, 0o600)

    def verify_rs256(self, signing_input, sig):
        """RSASSA-PKCS1-v1_5 with SHA-256, by the book (RFC 8017 §8.2.2)."""
        k = (self.n.bit_length() + 7) // 8
        if len(sig) != k:
            return False
        s = int.from_bytes(sig, "big")
        if s >= self.n:
            return False
        em = pow(s, self.e, self.n).to_bytes(k, "big")
        t = SHA256_PREFIX + hashlib.sha256(signing_input).digest()
        return em == b"\x00\x01" + b"\xff" * (k - 3 - len(t)) + b"\x00" + t


def make_users(n, domain="example.com", suspended_every=0, archived_every=0):
    """n users u00000@domain ...; every k-th suspended / archived."""
    users = []
    for i in range(n):
        local = "u%05d" % i
        u = {"kind": "admin#directory#user", "id": str(100000000000000000000 + i),
             "etag": '"e%d"' % i, "primaryEmail": "%s@%s" % (local, domain),
             "name": {"givenName": "User", "familyName": "%05d" % i,
                      "fullName": "User %05d" % i},
             "isAdmin": False, "isDelegatedAdmin": False, "suspended": False,
             "archived": False, "customerId": CUSTOMER_ID, "orgUnitPath": "/",
             "isMailboxSetup": True, "includeInGlobalAddressList": True,
             "emails": [{"address": "%s@%s" % (local, domain), "primary": True}]}
        if suspended_every and i % suspended_every == suspended_every - 1:
            u["suspended"] = True
            u["suspensionReason"] = "ADMIN"
        if archived_every and i % archived_every == archived_every - 1:
            u["archived"] = True
        users.append(u)
    return users


def parse_fields(spec):
    """Google's partial-response syntax: a,b/c,d(e,f) -> {a: {}, b: {c: {}}, d: {e:{}, f:{}}}.
    Raises ValueError on bad syntax."""
    pos = 0

    def parse_list(end):
        nonlocal pos
        tree = {}
        while True:
            m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*").match(spec, pos)
            if not m:
                raise ValueError("bad field selector at %d" % pos)
            pos = m.end()
            node = tree
            for part in m.group(0).split("/"):
                node = node.setdefault(part, {})
            if pos < len(spec) and spec[pos] == "(":
                pos += 1
                sub = parse_list(")")
                if pos >= len(spec) or spec[pos] != ")":
                    raise ValueError("unbalanced parentheses")
                pos += 1
                node.update(sub)
            if pos < len(spec) and spec[pos] == ",":
                pos += 1
                continue
            if end is None and pos == len(spec):
                return tree
            if end is not None and pos < len(spec) and spec[pos] == end:
                return tree
            raise ValueError("unexpected character at %d" % pos)

    return parse_list(None)


def check_fields(tree, allowed_top, item_key, item_allowed):
    for k, sub in tree.items():
        if k not in allowed_top:
            raise ValueError("Invalid field selection %s" % k)
        if k == item_key:
            for f in sub:
                if f not in item_allowed:
                    raise ValueError("Invalid field selection %s" % f)


def select(obj, tree):
    if not tree:
        return obj
    if isinstance(obj, list):
        return [select(x, tree) for x in obj]
    if not isinstance(obj, dict):
        return obj
    return {k: select(obj[k], tree[k]) for k in tree if k in obj}


def google_error(code, reason, message, domain="global", status=None, location=None):
    err = {"message": message, "domain": domain, "reason": reason}
    if location:
        err["location"], err["locationType"] = location, "parameter"
    body = {"error": {"code": code, "message": message, "errors": [err]}}
    if status:
        body["error"]["status"] = status
    return code, body


class ApiError(Exception):
    def __init__(self, code, reason, message, headers=None, **kw):
        super().__init__(message)
        self.answer = google_error(code, reason, message, **kw) + (headers,)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ESF"
    # Headers and body go out in separate writes: with Nagle on, the body
    # waits for the client's delayed ACK (40 ms a page), which Google doesn't.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet; the emulator keeps its own log
        self.server.emu.log.append(fmt % args)

    # -- plumbing --
    def _send(self, code, body, extra=None, raw=None):
        data = raw if raw is not None else json.dumps(body, indent=2).encode()
        self.send_response(code)
        ctype = "application/json; charset=UTF-8"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.server.emu.dispatch(self, "GET")

    def do_POST(self):
        self.server.emu.dispatch(self, "POST")

    def do_PUT(self):
        self._send(*google_error(405, "methodNotAllowed", "Method not allowed"))

    do_DELETE = do_PATCH = do_PUT


def cut_off(h, raw):
    """A 200 answer that promises the whole page and stops half-way: the
    connection drops mid-body, as when a proxy or the network gives up."""
    h.send_response(200)
    h.send_header("Content-Type", "application/json; charset=UTF-8")
    h.send_header("Content-Length", str(len(raw)))
    h.end_headers()
    h.wfile.write(raw[:len(raw) // 2])
    h.wfile.flush()
    h.close_connection = True
    h.connection.shutdown(socket.SHUT_RDWR)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class GoogleEmulator:
    def __init__(self, workdir, users=None, groups=None, admins=("admin@example.com",),
                 host="127.0.0.1"):
        self.dir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.users = users if users is not None else make_users(5)
        # groups: {email: {"name": ..., "members": [("USER"|"GROUP", email), ...]}}
        self.groups = groups or {}
        self.admins = set(admins)
        self.delegation = "ok"        # "ok" | "missing" | "email" (registered with the e-mail)
        self.authorized_scopes = set(MAILSTORE_SCOPES)   # as MailStore's guide says
        self.retry_after = 1          # seconds, in the Retry-After of the too_many fault
        self.token_lifetime = 3599
        self.clock_offset = 0         # seconds added to the emulator's idea of now
        self.faults = {}
        self.log = []
        self.requests = []            # (method, path, query dict) of every request
        self.tokens = {}              # access token -> (expiry, scopes)
        self.token_requests = 0
        self.scope_requests = []      # the scopes of every valid assertion
        self.issued = []              # every access token handed out (canary checks)
        self.page_cache = {}
        self.lock = threading.Lock()
        self.ca_file, crt, key = make_ca_and_cert(workdir)
        self.httpd = Server((host, 0), Handler)
        self.httpd.emu = self
        self.port = self.httpd.server_address[1]
        self.base = "https://%s:%d" % ("localhost" if host == "127.0.0.1" else host, self.port)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.token_uri = self.base + "/token"
        self.api_url = self.base
        self.sa = ServiceAccount(workdir, self.token_uri)
        self.key_file = self.sa.key_file
        self.thread = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.thread:
            self.thread.join(10)

    # -- faults --
    def take_fault(self, name):
        """Counts a fault down; True when it fires on this request."""
        with self.lock:
            n = self.faults.get(name, 0)
            if n > 0:
                self.faults[name] = n - 1
                return True
        return False

    def revoke_tokens(self):
        with self.lock:
            self.tokens.clear()

    # -- dispatch --
    def dispatch(self, h, method):
        url = urllib.parse.urlsplit(h.path)
        try:
            query = urllib.parse.parse_qs(url.query, keep_blank_values=True,
                                          strict_parsing=bool(url.query))
        except ValueError:
            return h._send(*google_error(400, "invalid", "Malformed query string"))
        with self.lock:
            self.requests.append((method, url.path, query))
        delay = self.faults.get("slow", 0)
        if delay:
            time.sleep(delay)
        if self.take_fault("drop"):
            h.close_connection = True
            h.connection.shutdown(2)
            return
        try:
            if url.path == "/token":
                if method != "POST":
                    return h._send(405, {"error": "invalid_request",
                                         "error_description": "POST only"})
                return self.token(h, query)
            if method != "GET":
                raise ApiError(405, "methodNotAllowed", "Method not allowed")
            self.api(h, url.path, query)
        except ApiError as e:
            h._send(*e.answer)

    # -- the token endpoint --
    def token_error(self, h, code, error, desc):
        h._send(code, {"error": error, "error_description": desc})

    def token(self, h, query):
        self.token_requests += 1
        n = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(n).decode("utf-8", "replace") if n else ""
        ctype = (h.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if query:
            return self.token_error(h, 400, "invalid_request", "Parameters belong in the body")
        if ctype != "application/x-www-form-urlencoded":
            return self.token_error(h, 400, "invalid_request",
                                    "Content-Type must be application/x-www-form-urlencoded")
        if self.take_fault("token_unavailable"):
            return h._send(503, {"error": "temporarily_unavailable",
                                 "error_description": "Try again later"})
        try:
            form = urllib.parse.parse_qs(body, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            return self.token_error(h, 400, "invalid_request", "Malformed form body")
        if any(len(v) != 1 for v in form.values()):
            return self.token_error(h, 400, "invalid_request", "Repeated parameter")
        form = {k: v[0] for k, v in form.items()}
        if form.get("grant_type") != JWT_BEARER:
            return self.token_error(h, 400, "unsupported_grant_type",
                                    "Invalid grant_type: %s" % form.get("grant_type", ""))
        if set(form) != {"grant_type", "assertion"}:
            return self.token_error(h, 400, "invalid_request", "Unexpected parameters")
        claims, problem = self.check_assertion(form["assertion"])
        if problem:
            return self.token_error(h, *problem)
        scopes = claims["scope"].split(" ")
        with self.lock:
            self.scope_requests.append(tuple(scopes))
        if self.delegation in ("missing", "email"):
            return self.token_error(
                h, 401, "unauthorized_client",
                "Client is unauthorized to retrieve access tokens using this method, or "
                "client not authorized for any of the scopes requested.")
        # Any requested scope the delegation does not list refuses the whole
        # request, as Google's error table says (access_denied).
        if not set(scopes) <= self.authorized_scopes:
            return self.token_error(h, 400, "access_denied", "Requested client not authorized.")
        tok = "ya29.emu-" + secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[tok] = (time.time() + self.token_lifetime, set(scopes))
            self.issued.append(tok)
        h._send(200, {"access_token": tok, "expires_in": self.token_lifetime,
                      "token_type": "Bearer"})

    def check_assertion(self, jwt):
        """Claims, or (status, error, description) as Google words it."""
        parts = jwt.split(".")
        if len(parts) != 3:
            return None, (400, "invalid_grant", "Invalid JWT: malformed")
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            sig = b64url_decode(parts[2])
        except (ValueError, UnicodeDecodeError):
            return None, (400, "invalid_grant", "Invalid JWT: not base64url-encoded JSON")
        if not isinstance(header, dict) or not isinstance(claims, dict):
            return None, (400, "invalid_grant", "Invalid JWT: malformed")
        if header.get("alg") != "RS256":
            return None, (400, "invalid_grant", "Invalid JWT: alg must be RS256")
        if "kid" in header and header["kid"] != self.sa.key_id:
            return None, (400, "invalid_grant", "Invalid JWT Signature.")
        if claims.get("iss") != self.sa.email:
            return None, (401, "invalid_client", "The OAuth client was not found.")
        if not self.sa.verify_rs256((parts[0] + "." + parts[1]).encode(), sig):
            return None, (400, "invalid_grant", "Invalid JWT Signature.")
        # The emulator stands in for oauth2.googleapis.com: Google's own
        # libraries name that URL as aud whatever the key file says.
        if claims.get("aud") not in (self.token_uri, GOOGLE_TOKEN_URL):
            return None, (400, "invalid_grant",
                          "Invalid JWT: Failed audience check. The right audience is "
                          + self.token_uri)
        iat, exp, now = claims.get("iat"), claims.get("exp"), time.time() + self.clock_offset
        if not isinstance(iat, int) or not isinstance(exp, int) or exp < iat \
                or exp - iat > 3600 or iat > now + 60 or exp < now:
            return None, (400, "invalid_grant",
                          "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                          "reasonable timeframe. Check your iat and exp values in the JWT claim.")
        scope = claims.get("scope")
        if not isinstance(scope, str) or not scope or "," in scope or \
                not set(scope.split(" ")) <= KNOWN_SCOPES:
            return None, (400, "invalid_scope",
                          "Invalid OAuth scope or ID token audience provided.")
        if claims.get("sub") not in self.admins:
            return None, (400, "invalid_grant", "Invalid email or User ID")
        return claims, None

    # -- the Directory API --
    def bearer(self, h, needed, query):
        auth = h.headers.get("Authorization") or ""
        tok = auth[7:] if auth.startswith("Bearer ") else None
        for name in ("access_token", "oauth_token"):   # system parameters
            if tok is None and query.get(name):
                tok = query[name][0]
        with self.lock:
            entry = self.tokens.get(tok) if tok else None
        if not entry or entry[0] < time.time():
            raise ApiError(401, "authError", "Invalid Credentials", status="UNAUTHENTICATED",
                           location="Authorization")
        if not entry[1] & needed:
            raise ApiError(403, "insufficientPermissions",
                           "Request had insufficient authentication scopes.",
                           status="PERMISSION_DENIED")

    def api_faults(self):
        if self.take_fault("expire_token"):
            self.revoke_tokens()
        if self.take_fault("rate_limit"):
            raise ApiError(403, "rateLimitExceeded", "Rate Limit Exceeded",
                           domain="usageLimits")
        if self.take_fault("user_rate_limit"):
            raise ApiError(403, "userRateLimitExceeded", "User Rate Limit Exceeded",
                           domain="usageLimits")
        if self.take_fault("forbidden"):
            raise ApiError(403, "forbidden", "Not Authorized to access this resource/api")
        if self.take_fault("unavailable"):
            raise ApiError(503, "backendError", "Service unavailable. Try again later.")
        if self.take_fault("too_many"):
            raise ApiError(429, "rateLimitExceeded", "Too many requests",
                           headers={"Retry-After": str(self.retry_after)})

    def api(self, h, path, query):
        prefix = "/admin/directory/v1/"
        if not path.startswith(prefix):
            raise ApiError(404, "notFound", "Not Found")
        if self.one(query, "alt", "json") != "json":
            raise ApiError(400, "invalid", "Invalid value for alt", location="alt")
        rest = [urllib.parse.unquote(p) for p in path[len(prefix):].split("/")]
        if rest == ["users"]:
            self.bearer(h, {SCOPE_USER, "https://www.googleapis.com/auth/admin.directory.user"}, query)
            self.api_faults()
            return self.users_list(h, query)
        if rest == ["groups"]:
            self.bearer(h, {SCOPE_GROUP}, query)
            self.api_faults()
            return self.groups_list(h, query)
        if len(rest) == 2 and rest[0] == "groups":
            self.bearer(h, {SCOPE_GROUP}, query)
            self.api_faults()
            return self.groups_get(h, rest[1], query)
        if len(rest) == 3 and rest[0] == "groups" and rest[2] == "members":
            self.bearer(h, {SCOPE_GROUP, SCOPE_MEMBER}, query)
            self.api_faults()
            return self.members_list(h, rest[1], query)
        raise ApiError(404, "notFound", "Not Found")

    @staticmethod
    def one(query, name, default=None):
        v = query.get(name)
        if v is None:
            return default
        if len(v) != 1:
            raise ApiError(400, "invalidParameter", "Parameter %s given twice" % name,
                           location=name)
        return v[0]

    def strict(self, query, allowed):
        for k in query:
            if k not in allowed and k not in SYSTEM_PARAMS:
                raise ApiError(400, "invalidParameter", "Unknown parameter %s" % k,
                               location=k)

    def not_emulated(self, query, defaults):
        """Refuses a parameter Google acts on but the emulator does not
        (ordering, deleted users, the public view, a user's groups, member
        roles) unless it holds the default: answering as if it had been
        applied would let a client and the emulator agree on a wrong
        result."""
        for name, default in defaults.items():
            v = self.one(query, name)
            if v is not None and v != default:
                raise ApiError(400, "invalid", "%s is not emulated" % name, location=name)

    def max_results(self, query, default, top):
        v = self.one(query, "maxResults")
        if v is None:
            return default
        if not re.fullmatch(r"[0-9]+", v) or not 1 <= int(v) <= top:
            raise ApiError(400, "invalid", "Invalid value for maxResults: %s" % v,
                           location="maxResults")
        return int(v)

    def customer(self, query):
        """The domain a listing is restricted to, or None for the customer's
        every domain.  The reference says to give customer or domain; the
        emulator refuses both together (what Google then does is not
        documented), so a client that sends both is caught here."""
        cust, dom = self.one(query, "customer"), self.one(query, "domain")
        if (cust is None) == (dom is None):
            raise ApiError(400, "badRequest", "Bad Request")
        if cust is not None and cust not in ("my_customer", CUSTOMER_ID):
            raise ApiError(400, "badRequest", "Bad Request")
        return dom

    def fields(self, query, allowed_top, item_key, item_allowed):
        spec = self.one(query, "fields")
        if spec is None:
            return None
        try:
            tree = parse_fields(spec)
            check_fields(tree, allowed_top, item_key, item_allowed)
        except ValueError as e:
            raise ApiError(400, "invalidParameter", str(e), location="fields")
        return tree

    def page_token(self, query, kind, total):
        """Our tokens: kind:offset:hmac, so a token from another listing fails."""
        tok = self.one(query, "pageToken")
        if tok is None or tok == "":
            return 0
        m = re.fullmatch(r"([a-z]+)-([0-9]+)-([0-9a-f]{16})", tok)
        if not m or m.group(1) != kind or self.sign(kind, int(m.group(2))) != m.group(3) \
                or int(m.group(2)) > total + 10**9:
            raise ApiError(400, "invalid", "Invalid page token", location="pageToken")
        return int(m.group(2))

    def sign(self, kind, off):
        return hashlib.sha256(("%s%d%d" % (kind, off, self.port)).encode()).hexdigest()[:16]

    def make_token(self, kind, off):
        return "%s-%d-%s" % (kind, off, self.sign(kind, off))

    def page_body(self, body, tree, h, page_no):
        if tree is not None:
            body = select(body, tree)
        if self.take_fault("malformed"):
            raw = json.dumps(body).encode()
            return h._send(200, None, raw=raw[: len(raw) // 2] + b"\n")
        h._send(200, body)

    def users_list(self, h, query):
        self.strict(query, {"customer", "domain", "maxResults", "pageToken", "projection",
                            "fields", "query", "showDeleted", "orderBy", "sortOrder",
                            "viewType", "customFieldMask", "event"})
        self.not_emulated(query, {"orderBy": None, "sortOrder": None, "showDeleted": "false",
                                  "viewType": "admin_view", "event": None})
        dom = self.customer(query)
        limit = self.max_results(query, 100, 500)
        proj = self.one(query, "projection", "basic")
        if proj not in ("basic", "full", "custom"):
            raise ApiError(400, "invalid", "Invalid value for projection", location="projection")
        if proj == "custom" and self.one(query, "customFieldMask") is None:
            raise ApiError(400, "invalid", "customFieldMask required", location="customFieldMask")
        if self.one(query, "query") is not None:
            raise ApiError(400, "invalid", "query is not emulated", location="query")
        tree = self.fields(query, {"kind", "etag", "nextPageToken", "users", "trigger_event"},
                           "users", USER_FIELDS)
        users = self.users if dom is None else [
            u for u in self.users if u["primaryEmail"].endswith("@" + dom)]
        off = self.page_token(query, "users", len(users))
        endless = self.faults.get("endless") or self.faults.get("repeat_page") or \
            self.faults.get("grow")
        key = (dom, off, limit, self.one(query, "fields"))
        cached = self.page_cache.get(key)
        if cached is not None and not endless and not self.faults.get("malformed") \
                and not self.faults.get("cut"):
            return h._send(200, None, raw=cached)
        page = self.broken_chain_page(users, off, limit) or users[off:off + limit]
        body = {"kind": "admin#directory#users", "etag": '"list"', "users": page}
        if off + limit < len(users) or endless:
            body["nextPageToken"] = self.make_token("users", off + limit)
        if not page:
            del body["users"]   # Google leaves the key out of an empty page
        if tree is not None:
            body = select(body, tree)
        if self.take_fault("malformed"):
            raw = json.dumps(body).encode()
            return h._send(200, None, raw=raw[: len(raw) // 2] + b"\n")
        raw = json.dumps(body, indent=1).encode()
        if not endless:
            self.page_cache[key] = raw
        if self.take_fault("cut"):
            return cut_off(h, raw)
        h._send(200, None, raw=raw)

    def broken_chain_page(self, users, off, limit):
        """Past the end of the list, what a broken chain sends instead of
        stopping (always under a new nextPageToken): "repeat_page" the last
        non-empty page again and again; "grow" one user never seen before
        per page, so the chain neither repeats nor runs dry."""
        if off + limit < len(users) or not users:
            return None
        if self.faults.get("repeat_page"):
            last = (len(users) - 1) // limit * limit
            return users[last:last + limit]
        if self.faults.get("grow") and off >= len(users):
            u = make_users(1)[0]
            u["id"] = str(900000000000000000000 + off)
            u["primaryEmail"] = "grow%d@%s" % (off, users[0]["primaryEmail"].split("@")[1])
            return [u]
        return None

    def group_by_key(self, key):
        k = key.lower()
        for email, g in self.groups.items():
            if email.lower() == k or g.get("id") == key or k in [a.lower() for a in
                                                                 g.get("aliases", [])]:
                return email, g
        raise ApiError(404, "notFound", "Resource Not Found: groupKey")

    def group_resource(self, email, g):
        return {"kind": "admin#directory#group", "id": g.get("id", "g-" + email),
                "etag": '"g"', "email": email, "name": g["name"],
                "directMembersCount": str(len(g["members"])),
                "description": g.get("description", ""), "adminCreated": True}

    def groups_list(self, h, query):
        self.strict(query, {"customer", "domain", "maxResults", "pageToken", "query", "fields",
                            "orderBy", "sortOrder", "userKey"})
        self.not_emulated(query, {"orderBy": None, "sortOrder": None, "userKey": None})
        dom = self.customer(query)
        limit = self.max_results(query, 200, 200)
        tree = self.fields(query, {"kind", "etag", "nextPageToken", "groups"}, "groups",
                           GROUP_FIELDS)
        q = self.one(query, "query")
        found = sorted(self.groups.items())
        if dom is not None:
            found = [(e, g) for e, g in found if e.lower().endswith("@" + dom.lower())]
        if q is not None:
            m = re.fullmatch(r"(name|email)\s*([=:])\s*'((?:[^'\\]|\\.)*)'", q)
            if not m:
                raise ApiError(400, "invalid", "Invalid Input: query", location="query")
            field, op = m.group(1), m.group(2)
            value = re.sub(r"\\(.)", r"\1", m.group(3))
            def hit(email, g):
                v = email if field == "email" else g["name"]
                return v.lower() == value.lower() if op == "=" else \
                    v.lower().startswith(value.lower())
            found = [(e, g) for e, g in found if hit(e, g)]
        off = self.page_token(query, "groups", len(found))
        body = {"kind": "admin#directory#groups", "etag": '"gl"',
                "groups": [self.group_resource(e, g) for e, g in found[off:off + limit]]}
        if off + limit < len(found):
            body["nextPageToken"] = self.make_token("groups", off + limit)
        if not body["groups"]:
            del body["groups"]
        self.page_body(body, tree, h, off)

    def groups_get(self, h, key, query):
        self.strict(query, set())
        email, g = self.group_by_key(key)
        self.page_body(self.group_resource(email, g), None, h, 0)

    def expand(self, email, derived, seen):
        """Members of a group; with derived, nested groups' users too (once each)."""
        out = []
        for typ, m in self.groups[email]["members"]:
            if typ == "GROUP" and derived:
                if m not in seen:
                    seen.add(m)
                    out.extend(self.expand(m, derived, seen))
            else:
                out.append((typ, m))
        return out

    def members_list(self, h, key, query):
        self.strict(query, {"includeDerivedMembership", "maxResults", "pageToken", "roles",
                            "fields"})
        self.not_emulated(query, {"roles": None})
        email, g = self.group_by_key(key)
        derived = self.one(query, "includeDerivedMembership", "false")
        if derived not in ("true", "false"):
            raise ApiError(400, "invalid", "Invalid value for includeDerivedMembership",
                           location="includeDerivedMembership")
        limit = self.max_results(query, 200, 200)
        tree = self.fields(query, {"kind", "etag", "nextPageToken", "members"}, "members",
                           MEMBER_FIELDS)
        by_mail = {u.get("primaryEmail", "").lower(): u for u in self.users}
        seen, members = {email}, []
        uniq = set()
        for typ, m in self.expand(email, derived == "true", seen):
            if (typ, m.lower()) in uniq:
                continue
            uniq.add((typ, m.lower()))
            u = by_mail.get(m.lower())
            members.append({"kind": "admin#directory#member", "etag": '"m"',
                            "id": u["id"] if u else self.groups.get(m, {}).get("id", "g-" + m),
                            "email": m, "role": "MEMBER", "type": typ,
                            "status": "ACTIVE"})
        off = self.page_token(query, "members", len(members))
        body = {"kind": "admin#directory#members", "etag": '"ml"',
                "members": members[off:off + limit]}
        if off + limit < len(members):
            body["nextPageToken"] = self.make_token("members", off + limit)
        if not body["members"]:
            del body["members"]
        self.page_body(body, tree, h, off)


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--latency-ms", type=float, default=0,
                    help="answer every request this much later (a remote API's time)")
    args = ap.parse_args()
    emu = GoogleEmulator(args.dir, users=make_users(args.users, suspended_every=50))
    emu.faults["slow"] = args.latency_ms / 1000.0
    with open(os.path.join(args.dir, "emulator.json"), "w") as f:
        json.dump({"port": emu.port, "api_url": emu.api_url, "token_uri": emu.token_uri,
                   "key_file": emu.key_file, "ca_file": emu.ca_file,
                   "admin": sorted(emu.admins)[0]}, f)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    emu.start()
    print("ready %d" % emu.port, flush=True)
    while not stop.wait(0.5):
        pass
    emu.stop()


if __name__ == "__main__":
    main()
