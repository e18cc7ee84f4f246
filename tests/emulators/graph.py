#!/usr/bin/env python3
"""A strict Microsoft Graph v1.0 emulator (stdlib only, HTTPS on 127.0.0.1)
for the parts dirgate reads, written from the documented API
(learn.microsoft.com/graph: user-list, group-list, group-list-transitivemembers,
paging, throttling):

  GET /v1.0/users?$select=...&$top=N                  ($skiptoken via nextLink)
  GET /v1.0/groups?$filter=displayName eq '...'&$select=...
  GET /v1.0/groups/{id}/transitiveMembers?$select=...&$top=N
  GET /v1.0/organization?$select=verifiedDomains       (the tenant's domains)

Strict where Graph is strict: the bearer token must be an RS256 JWT that
verifies against the issuer's JWKS (fetched from the oidc-provider fixture),
is unexpired, has aud https://graph.microsoft.com, the tenant's tid and the
Directory.Read.All role; unknown query options, unknown $select properties,
$top outside 1..999, a malformed $filter literal or a tampered $skiptoken
are 400s with Graph's error body; only the selected properties come back.

Faults (Faults below, settable per test): 429 with Retry-After, 503, the
token "expiring" after N pages (401 InvalidAuthenticationToken), a page
chain that never ends, malformed JSON, a dropped connection, slow answers,
403 Authorization_RequestDenied.

Used in-process by the tests (GraphEmulator(...).start()) and as a program by
the benchmark: graph.py --port P --tls-dir D --jwks URL --ca CA --tenant T
--users N  (prints READY, serves until SIGTERM).
"""
import argparse
import base64
import hashlib
import json
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GRAPH_AUD = "https://graph.microsoft.com"
MAX_TOP = 999
DEFAULT_TOP = 100
USER_PROPS = {"id", "userPrincipalName", "displayName", "mail", "proxyAddresses",
              "accountEnabled", "assignedPlans", "assignedLicenses", "givenName", "surname",
              "jobTitle", "businessPhones", "mobilePhone", "officeLocation",
              "preferredLanguage", "otherMails", "onPremisesSamAccountName"}
USER_DEFAULT = ["businessPhones", "displayName", "givenName", "id", "jobTitle", "mail",
                "mobilePhone", "officeLocation", "preferredLanguage", "surname",
                "userPrincipalName"]
GROUP_PROPS = {"id", "displayName", "description", "mail", "securityEnabled", "mailEnabled",
               "groupTypes"}
EXCHANGE_PLAN = "efb87545-963c-4e0d-99df-69c6916d9eb0"   # EXCHANGE_S_ENTERPRISE
SHAREPOINT_PLAN = "5dbe027f-2339-4123-9542-606e4d348a72"

# DigestInfo prefix of SHA-256 for PKCS#1 v1.5 (RFC 8017 §9.2 note 1).
SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def b64url_decode(s):
    s = s.encode() if isinstance(s, str) else s
    return base64.urlsafe_b64decode(s + b"=" * (-len(s) % 4))


def rs256_verify(n, e, signing_input, sig):
    """RSASSA-PKCS1-v1_5 with SHA-256: s^e mod n must be the padded digest."""
    k = (n.bit_length() + 7) // 8
    if len(sig) != k:
        return False
    m = pow(int.from_bytes(sig, "big"), e, n).to_bytes(k, "big")
    t = SHA256_PREFIX + hashlib.sha256(signing_input).digest()
    return m == b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t


class Faults:
    """What to do wrong.  Counters are per emulator; all thread-safe under
    the emulator's lock."""

    def __init__(self):
        self.throttle = {}        # path -> how many 429s before answering
        self.unavailable = {}     # path -> how many 503s before answering
        self.retry_after = "1"
        self.expire_after_pages = 0   # a token dies after this many pages (0: never)
        self.endless = False      # True: /users nextLink never ends; "repeat": links to itself
        self.malformed_page = -1  # the page index of /users that is cut-off JSON
        self.drop_page = -1       # the /users page index whose connection is dropped
        self.cut_page = -1        # the /users page index sent half, then dropped (once)
        self.foreign_next = False # /users nextLinks name another host (localhost)
        self.slow_seconds = 0.0
        self.deny = False         # 403 Authorization_RequestDenied
        self.server_error = {}    # path -> how many 500 generalException before answering
        self.deny_organization = False  # 403 for /v1.0/organization only
        self.page_cap = 0         # serve at most this many items per page (Graph may
                                  # send fewer than $top); 0: $top


class Directory:
    """Users and groups; generated or given."""

    def __init__(self, users, groups, verified_domains=("contoso.example",)):
        self.verified_domains = list(verified_domains)
        self.users = users
        self.by_id = {u["id"]: u for u in users}
        self.groups = groups
        self.group_by_id = {g["id"]: g for g in groups}

    def transitive(self, gid):
        seen, out, stack = {gid}, [], list(self.group_by_id[gid]["members"])
        while stack:
            m = stack.pop(0)
            if m in seen:
                continue
            seen.add(m)
            if m in self.group_by_id:
                g = self.group_by_id[m]
                out.append({"@odata.type": "#microsoft.graph.group", "id": m,
                            "displayName": g["displayName"]})
                stack.extend(g["members"])
            elif m in self.by_id:
                out.append(dict(self.by_id[m], **{"@odata.type": "#microsoft.graph.user"}))
            else:
                out.append({"@odata.type": "#microsoft.graph.device", "id": m,
                            "displayName": "device " + m[:8]})
        return out


def guid(i, salt="u"):
    h = hashlib.sha1(("%s%d" % (salt, i)).encode()).hexdigest()
    return "%s-%s-4%s-a%s-%s" % (h[:8], h[8:12], h[13:16], h[17:20], h[20:32])


def plan(service, status, plan_id):
    return {"assignedDateTime": "2024-01-15T10:00:00Z", "capabilityStatus": status,
            "service": service, "servicePlanId": plan_id}


def generate_users(n, domain="contoso.example"):
    """n users; every 10th unlicensed, every 7th blocked, every 13th with only a
    suspended Exchange plan, aliases in proxyAddresses, a few without mail."""
    users = []
    for i in range(n):
        upn = "user%06d@%s" % (i, domain)
        plans = [plan("SharePoint", "Enabled", SHAREPOINT_PLAN)]
        if i % 10 != 3:
            plans.append(plan("exchange", "Suspended" if i % 13 == 5 else "Enabled",
                              EXCHANGE_PLAN))
        mail = None if i % 50 == 17 else upn
        proxies = [] if mail is None else ["smtp:alias%06d@%s" % (i, domain),
                                           "SMTP:" + upn, "SIP:" + upn]
        users.append({"id": guid(i), "userPrincipalName": upn,
                      "displayName": "User %06d" % i, "mail": mail,
                      "proxyAddresses": proxies, "accountEnabled": i % 7 != 4,
                      "assignedPlans": plans,
                      "assignedLicenses": [] if i % 10 == 3 else
                      [{"disabledPlans": [], "skuId": "6fd2c87f-b296-42f0-b197-1e91e994b900"}],
                      "givenName": "User", "surname": "%06d" % i})
    return users


class GraphEmulator:
    def __init__(self, tls_dir, jwks_url, ca_file, tenant, issuer, directory,
                 port=0, faults=None, cache_pages=False):
        self.tls_dir, self.jwks_url, self.ca_file = tls_dir, jwks_url, ca_file
        self.tenant, self.issuer, self.dir = tenant, issuer, directory
        self.faults = faults or Faults()
        self.lock = threading.Lock()
        self.requests = []            # (raw path, status) of every request
        self.keys = {}
        self.verified = {}            # token -> claims (verification cache)
        self.pages_per_token = {}
        self.secret = os.urandom(16)  # signs $skiptoken values
        self.served = {}              # path -> count, for throttle/unavailable
        self.port = port
        self.server = None
        # Benchmarks: keep each rendered /users page (by request path), so
        # the emulator's own JSON encoding does not dominate what is timed.
        self.page_cache = {} if cache_pages else None

    # ---- lifecycle ----
    def start(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(self.tls_dir, "server.crt"),
                            os.path.join(self.tls_dir, "server.key"))
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.base = "https://127.0.0.1:%d" % self.port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- token ----
    def _load_keys(self):
        ctx = ssl.create_default_context(cafile=self.ca_file)
        with urllib.request.urlopen(self.jwks_url, context=ctx, timeout=10) as r:
            jwks = json.load(r)
        for k in jwks["keys"]:
            if k.get("kty") == "RSA":
                self.keys[k["kid"]] = (int.from_bytes(b64url_decode(k["n"]), "big"),
                                       int.from_bytes(b64url_decode(k["e"]), "big"))

    def check_token(self, auth):
        """Claims of a valid bearer token, or (code, message) for a 401."""
        if not auth.startswith("Bearer ") or len(auth) < 20:
            return None, ("InvalidAuthenticationToken", "Access token is empty.")
        tok = auth[7:]
        with self.lock:
            claims = self.verified.get(tok)
        if claims is None:
            parts = tok.split(".")
            if len(parts) != 3:
                return None, ("InvalidAuthenticationToken", "IDX14100: JWT is not well formed.")
            try:
                head = json.loads(b64url_decode(parts[0]))
                claims = json.loads(b64url_decode(parts[1]))
                sig = b64url_decode(parts[2])
            except ValueError:
                return None, ("InvalidAuthenticationToken", "IDX14100: JWT is not well formed.")
            if head.get("alg") != "RS256":
                return None, ("InvalidAuthenticationToken", "Signature algorithm not allowed.")
            with self.lock:
                if head.get("kid") not in self.keys:
                    self._load_keys()
                key = self.keys.get(head.get("kid"))
            if not key or not rs256_verify(key[0], key[1], (parts[0] + "." + parts[1]).encode(), sig):
                return None, ("InvalidAuthenticationToken", "Access token validation failure. Invalid signature.")
            if claims.get("iss") != self.issuer or claims.get("aud") != GRAPH_AUD:
                return None, ("InvalidAuthenticationToken", "Access token validation failure. Invalid audience or issuer.")
            if claims.get("tid") != self.tenant:
                return None, ("InvalidAuthenticationToken", "Access token is from another tenant.")
            with self.lock:
                self.verified[tok] = claims
        if claims.get("exp", 0) <= time.time():
            return None, ("InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
        return claims, None

    # ---- paging ----
    def skiptoken(self, kind, offset, extra=""):
        raw = "%s|%d|%s" % (kind, offset, extra)
        mac = hashlib.sha256(self.secret + raw.encode()).hexdigest()[:16]
        return base64.urlsafe_b64encode(("%s|%s" % (raw, mac)).encode()).decode().rstrip("=")

    def parse_skiptoken(self, kind, value, want_extra=""):
        try:
            raw, mac = b64url_decode(value).decode().rsplit("|", 1)
            k, off, extra = raw.split("|", 2)
        except (ValueError, UnicodeDecodeError):
            return None
        if k != kind or (want_extra is not None and extra != want_extra) or hashlib.sha256(self.secret + raw.encode()).hexdigest()[:16] != mac:
            return None
        return int(off)

    def _handler(self):
        emu = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in one write (flushed per request), and
            # without Nagle: otherwise every answer waits out a delayed ACK.
            disable_nagle_algorithm = True
            wbufsize = 1 << 16

            def log_message(self, *a):
                pass

            def do_GET(self):
                emu.handle(self)

            def do_POST(self):
                self.close_connection = True
                emu.send_error(self, 405, "Request_BadRequest", "Only GET is supported here.")
        return H

    def send_json(self, h, status, obj, headers=None, raw=None):
        body = raw if raw is not None else json.dumps(obj, separators=(",", ":")).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
        h.send_header("Content-Length", str(len(body)))
        h.send_header("request-id", guid(len(self.requests), "r"))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)
        return status

    def send_error(self, h, status, code, message, headers=None):
        return self.send_json(h, status, {"error": {
            "code": code, "message": message,
            "innerError": {"date": time.strftime("%Y-%m-%dT%H:%M:%S"),
                           "request-id": guid(len(self.requests), "r")}}}, headers)

    def handle(self, h):
        status = self._handle(h, urllib.parse.urlsplit(h.path))
        with self.lock:
            self.requests.append((h.path, status))

    def _count(self, table, key):
        with self.lock:
            left = table.get(key, 0)
            if left > 0:
                table[key] = left - 1
                return True
        return False

    def _handle(self, h, url):
        f = self.faults
        if f.slow_seconds:
            time.sleep(f.slow_seconds)
        claims, why = self.check_token(h.headers.get("Authorization", ""))
        if why:
            return self.send_error(h, 401, why[0], why[1],
                                   {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'})
        if f.deny or "Directory.Read.All" not in claims.get("roles", []):
            return self.send_error(h, 403, "Authorization_RequestDenied",
                                   "Insufficient privileges to complete the operation.")
        if self._count(f.server_error, url.path):
            return self.send_error(h, 500, "generalException",
                                   "An unexpected error occurred.")
        if self._count(f.throttle, url.path):
            return self.send_error(h, 429, "TooManyRequests",
                                   "Too many requests. Please retry after the time specified in Retry-After.",
                                   {"Retry-After": f.retry_after})
        if self._count(f.unavailable, url.path):
            return self.send_error(h, 503, "serviceNotAvailable",
                                   "Service unavailable. Please retry later.",
                                   {"Retry-After": f.retry_after})
        try:
            q = parse_query(url.query)
        except ValueError as e:
            return self.send_error(h, 400, "BadRequest", str(e))
        if url.path == "/v1.0/users":
            return self.users(h, q, claims)
        if url.path == "/v1.0/groups":
            return self.group_search(h, q)
        if url.path == "/v1.0/organization":
            return self.organization(h, q)
        m = re.fullmatch(r"/v1\.0/groups/([0-9a-f-]{36})/transitiveMembers", url.path)
        if m:
            return self.members(h, m.group(1), q, claims)
        return self.send_error(h, 404, "Request_ResourceNotFound",
                               "Resource '%s' does not exist." % url.path)

    def _page_budget(self, h, claims):
        """Counts pages per token; False after a 401 for the expiry fault."""
        f = self.faults
        if not f.expire_after_pages:
            return True
        with self.lock:
            n = self.pages_per_token.get(claims["jti"], 0)
            self.pages_per_token[claims["jti"]] = n + 1
        if n >= f.expire_after_pages:
            self.send_error(h, 401, "InvalidAuthenticationToken",
                            "Lifetime validation failed, the token is expired.",
                            {"WWW-Authenticate": 'Bearer error="invalid_token"'})
            return False
        return True

    def users(self, h, q, claims):
        allowed = {"$select", "$top", "$skiptoken", "$filter", "$count"}
        bad = set(q) - allowed
        if bad:
            return self.send_error(h, 400, "BadRequest", "Query option '%s' is not allowed." % sorted(bad)[0])
        if "$filter" in q:
            return self.send_error(h, 400, "Request_UnsupportedQuery", "Unsupported query.")
        count, err = parse_count(q.get("$count"), h.headers.get("ConsistencyLevel"))
        if err:
            return self.send_error(h, 400, "Request_BadRequest", err)
        select, err = parse_select(q.get("$select"), USER_PROPS, "user")
        if err:
            return self.send_error(h, 400, "BadRequest", err)
        top, err = parse_top(q.get("$top"))
        if err:
            return self.send_error(h, 400, "Request_BadRequest", err)
        top = min(top, self.faults.page_cap or top)
        offset = 0
        if "$skiptoken" in q:
            offset = self.parse_skiptoken("users", q["$skiptoken"], None)
            if offset is None:
                return self.send_error(h, 400, "Directory_ExpiredPageToken",
                                       "The specified page token value has expired and can no longer be included in your request.")
        if not self._page_budget(h, claims):
            return 401
        page_index = offset // top if top else 0
        f = self.faults
        if page_index == f.drop_page:
            f.drop_page = -1
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return 0
        if self.page_cache is not None and h.path in self.page_cache:
            return self.send_json(h, 200, None, raw=self.page_cache[h.path])
        items = self.dir.users[offset:offset + top]
        # Graph writes @odata.nextLink ahead of "value" (learn.microsoft.com
        # /graph/paging): the order is kept by building the page in order
        body = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(%s)" % ",".join(select or USER_DEFAULT)}
        if count:
            body["@odata.count"] = len(self.dir.users)
        nxt = offset + top
        extra = ""
        if f.endless and nxt >= len(self.dir.users):
            # the last page over and over under ever new links, as a broken
            # service would; "repeat" sends the very same link instead
            nxt = offset
            extra = "" if f.endless == "repeat" else str(len(self.requests))
        if nxt < len(self.dir.users) or f.endless:
            body["@odata.nextLink"] = self.next_link("/v1.0/users", q, "users", nxt, extra)
            if f.foreign_next:
                body["@odata.nextLink"] = body["@odata.nextLink"].replace(
                    "https://127.0.0.1:", "https://localhost:", 1)
        body["value"] = [project(u, select or USER_DEFAULT) for u in items]
        if page_index == f.cut_page:
            f.cut_page = -1
            raw = json.dumps(body, separators=(",", ":")).encode()
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(raw)))
            h.end_headers()
            h.wfile.write(raw[:len(raw) // 2])
            h.wfile.flush()
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return 0
        if page_index == f.malformed_page:
            raw = json.dumps(body).encode()
            return self.send_json(h, 200, None, raw=raw[:len(raw) // 2])
        if self.page_cache is not None:
            self.page_cache[h.path] = json.dumps(body, separators=(",", ":")).encode()
        return self.send_json(h, 200, body)

    def next_link(self, path, q, kind, offset, extra=""):
        keep = [(k, v) for k, v in q.items() if k != "$skiptoken"]
        keep.append(("$skiptoken", self.skiptoken(kind, offset, extra)))
        return "%s%s?%s" % (self.base, path, "&".join(
            "%s=%s" % (k, urllib.parse.quote(v, safe=",'$")) for k, v in keep))

    def organization(self, h, q):
        """GET /organization: one object; verifiedDomains as Graph lists them
        (name, isDefault, isInitial, capabilities, type)."""
        if self.faults.deny_organization:
            return self.send_error(h, 403, "Authorization_RequestDenied",
                                   "Insufficient privileges to complete the operation.")
        unknown = set(q) - {"$select"}
        if unknown:
            return self.send_error(h, 400, "BadRequest",
                                   "Query option '%s' is not allowed here." % sorted(unknown)[0])
        select, err = parse_select(q.get("$select"), {"id", "displayName", "verifiedDomains"},
                                   "organization")
        if err:
            return self.send_error(h, 400, "BadRequest", err)
        domains = [{"name": d, "isDefault": i == 0, "isInitial": d.endswith(".onmicrosoft.com"),
                    "capabilities": "Email, OfficeCommunicationsOnline", "type": "Managed"}
                   for i, d in enumerate(self.dir.verified_domains)]
        org = {"id": self.tenant, "displayName": "Contoso", "verifiedDomains": domains}
        if select:
            org = project(org, ["id"] + select)
        return self.send_json(h, 200, {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#organization",
            "value": [org]})

    def group_search(self, h, q):
        bad = set(q) - {"$filter", "$select", "$top"}
        if bad:
            return self.send_error(h, 400, "BadRequest", "Query option '%s' is not allowed." % sorted(bad)[0])
        select, err = parse_select(q.get("$select"), GROUP_PROPS, "group")
        if err:
            return self.send_error(h, 400, "BadRequest", err)
        m = re.fullmatch(r"displayName eq '((?:[^']|'')*)'", q.get("$filter", ""))
        if not m:
            return self.send_error(h, 400, "BadRequest",
                                   "Invalid filter clause: syntax error at position %d in '%s'."
                                   % (len(q.get("$filter", "")), q.get("$filter", "")))
        name = m.group(1).replace("''", "'")
        hits = [g for g in self.dir.groups if g["displayName"].lower() == name.lower()]
        return self.send_json(h, 200, {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#groups",
            "value": [project(g, select or ["id", "displayName"]) for g in hits]})

    def members(self, h, gid, q, claims):
        bad = set(q) - {"$select", "$top", "$skiptoken"}
        if bad:
            return self.send_error(h, 400, "BadRequest", "Query option '%s' is not allowed." % sorted(bad)[0])
        if gid not in self.dir.group_by_id:
            return self.send_error(h, 404, "Request_ResourceNotFound",
                                   "Resource '%s' does not exist or one of its queried reference-property objects are not present." % gid)
        select, err = parse_select(q.get("$select"), USER_PROPS | {"displayName"}, "directoryObject")
        if err:
            return self.send_error(h, 400, "BadRequest", err)
        top, err = parse_top(q.get("$top"))
        if err:
            return self.send_error(h, 400, "Request_BadRequest", err)
        top = min(top, self.faults.page_cap or top)
        offset = 0
        if "$skiptoken" in q:
            offset = self.parse_skiptoken("members", q["$skiptoken"], gid)
            if offset is None:
                return self.send_error(h, 400, "Directory_ExpiredPageToken", "The specified page token value has expired.")
        if not self._page_budget(h, claims):
            return 401
        allm = self.dir.transitive(gid)
        items = [dict(project(m, select or ["id"]), **{"@odata.type": m["@odata.type"]})
                 for m in allm[offset:offset + top]]
        body = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directoryObjects",
                "value": items}
        if offset + top < len(allm):
            body["@odata.nextLink"] = self.next_link(
                "/v1.0/groups/%s/transitiveMembers" % gid, q, "members", offset + top, gid)
        return self.send_json(h, 200, body)


def parse_query(query):
    """OData query options; a name given twice is an error, as in Graph."""
    out = {}
    for part in query.split("&") if query else []:
        k, _, v = part.partition("=")
        k, v = urllib.parse.unquote(k), urllib.parse.unquote(v)
        if k in out:
            raise ValueError("Query option '%s' was specified more than once." % k)
        out[k] = v
    return out


def parse_count(value, consistency):
    """$count=true on directory objects is an advanced query: Graph answers
    it only with the header ConsistencyLevel: eventual
    (learn.microsoft.com/graph/aad-advanced-queries).  (count, error)."""
    if value is None or value == "false":
        return False, None
    if value != "true":
        return False, "Invalid value '%s' for $count." % value
    if (consistency or "").lower() != "eventual":
        return False, "$count is not currently supported."
    return True, None


def parse_select(value, allowed, typename):
    if value is None:
        return None, None
    props = value.split(",")
    for p in props:
        if p not in allowed:
            return None, "Could not find a property named '%s' on type 'microsoft.graph.%s'." % (p, typename)
    if len(set(props)) != len(props):
        return None, "Duplicate property in $select."
    return props, None


def parse_top(value):
    if value is None:
        return DEFAULT_TOP, None
    if not re.fullmatch(r"[0-9]+", value) or not 1 <= int(value) <= MAX_TOP:
        return None, "Invalid page size specified: '%s'. Must be between 1 and %d inclusive." % (value, MAX_TOP)
    return int(value), None


def project(obj, props):
    return {p: obj.get(p) for p in props}


def sample_directory():
    """The small directory the integration tests assert on."""
    d = "contoso.example"
    users = [
        {"id": guid(1), "userPrincipalName": "alice@" + d, "displayName": "Alice Anders",
         "mail": "alice@" + d, "proxyAddresses": ["smtp:a.anders@" + d, "SMTP:alice@" + d],
         "accountEnabled": True, "assignedPlans": [plan("exchange", "Enabled", EXCHANGE_PLAN)]},
        {"id": guid(2), "userPrincipalName": "Bob@" + d, "displayName": "Bob O'Brien",
         "mail": "bob@" + d, "proxyAddresses": ["SMTP:bob@" + d],
         "accountEnabled": False, "assignedPlans": [plan("exchange", "Enabled", EXCHANGE_PLAN)]},
        {"id": guid(3), "userPrincipalName": "carol@" + d, "displayName": "Carol Chen",
         "mail": "carol@" + d, "proxyAddresses": [],
         "accountEnabled": True, "assignedPlans": [plan("SharePoint", "Enabled", SHAREPOINT_PLAN)]},
        {"id": guid(4), "userPrincipalName": "dave@" + d, "displayName": "Dave Dunn",
         "mail": None, "proxyAddresses": ["SMTP:dave@" + d, "smtp:dd@" + d, "X500:/o=x"],
         "accountEnabled": True, "assignedPlans": [plan("exchange", "Suspended", EXCHANGE_PLAN),
                                                   plan("Exchange", "Enabled", EXCHANGE_PLAN)]},
        # licensed only in the grace period: skipped, and named (M365027)
        {"id": guid(5), "userPrincipalName": "erin@" + d, "displayName": "Erin Evans",
         "mail": "erin@" + d, "proxyAddresses": ["SMTP:erin@" + d],
         "accountEnabled": True, "assignedPlans": [plan("exchange", "Deleted", EXCHANGE_PLAN),
                                                   plan("exchange", "Warning", EXCHANGE_PLAN)]},
        {"id": guid(6), "userPrincipalName": "frank@" + d, "displayName": None,
         "mail": "frank@" + d, "proxyAddresses": ["SMTP:frank@" + d],
         "accountEnabled": True, "assignedPlans": [plan("exchange", "Enabled", EXCHANGE_PLAN)]},
    ]
    groups = [
        {"id": guid(1, "g"), "displayName": "MailStore Users", "members": [guid(1), guid(2, "g"), "dev-1"]},
        {"id": guid(2, "g"), "displayName": "Sales", "members": [guid(4), guid(3, "g")]},
        {"id": guid(3, "g"), "displayName": "Sales EMEA", "members": [guid(6), guid(2, "g")]},
        {"id": guid(4, "g"), "displayName": "O'Brien's Team", "members": [guid(2)]},
        {"id": guid(5, "g"), "displayName": "Twins", "members": [guid(1)]},
        {"id": guid(6, "g"), "displayName": "twins", "members": [guid(3)]},
    ]
    return Directory(users, groups)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-dir", required=True)
    ap.add_argument("--jwks", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--tenant", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--users", type=int, default=0, help="generate N users (0: the sample)")
    a = ap.parse_args()
    d = Directory(generate_users(a.users), []) if a.users else sample_directory()
    emu = GraphEmulator(a.tls_dir, a.jwks, a.ca, a.tenant, a.issuer, d, port=a.port).start()
    print("READY %s" % emu.base, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *x: stop.set())
    signal.signal(signal.SIGINT, lambda *x: stop.set())
    stop.wait()
    emu.stop()


if __name__ == "__main__":
    main()
