#!/usr/bin/env python3
"""The cloud emulators driven by Microsoft's and Google's own clients from
npm (@azure/msal-node, @microsoft/microsoft-graph-client, googleapis,
google-auth-library): the Entra stand-in (oidc/provider.mjs), the Graph
emulator and the Google Admin SDK emulator were written from the same
reference pages as dirgate's clients, so a shape both got wrong passes every
other test.  Here each call a vendor client makes must succeed, and what it
sends (PS256 + x5t#S256 from msal-node, Google's system parameters, a
domain-restricted groups.list) must be answered as the real service does.

The node scripts beside oidc/provider.mjs (vendor_*.mjs) do the calls and
print one JSON object of steps; this file starts the servers and checks.
Without the node modules: a skip, or a failure when CI is set."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OIDC = os.path.join(HERE, "oidc")
sys.path.insert(0, OIDC)
sys.path.insert(0, os.path.join(HERE, "..", "emulators"))
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
from tap import Tap  # noqa: E402
import fixture  # noqa: E402
import graph  # noqa: E402
import google_directory as gd  # noqa: E402

VENDOR_MODULES = ("@azure/msal-node", "@microsoft/microsoft-graph-client", "googleapis",
                  "google-auth-library")
CLIENT = "8255370c-5d0d-4f37-97e7-30f9bf8a6fbf"
TENANT = "015b1e55-614a-4fea-a7ff-59a9f85ebb1a"
NODE_TIMEOUT = 120


def missing_modules():
    why = fixture.available()
    if why:
        return why
    gone = [m for m in VENDOR_MODULES
            if not os.path.isdir(os.path.join(OIDC, "node_modules", m))]
    return "%s not installed (run scripts/install-deps.sh --test)" % ", ".join(gone) \
        if gone else None


t = Tap()
why = missing_modules()
if why:
    if os.environ.get("CI"):
        # CI installs the test dependencies: their absence is a broken
        # install, not a reason to pass.
        print("1..1\nnot ok 1 - the vendor clients are installed # %s" % why)
        sys.exit(1)
    print("1..0 # SKIP %s" % why)
    sys.exit(0)

tmp = tempfile.mkdtemp(prefix="dg-vendor-")
servers = []


def stop_all():
    for s in reversed(servers):
        s.stop()


fixture.install_signal_handlers(stop_all)


def run_node(script, env):
    """Runs oidc/<script>; its JSON steps, or {} with the failure in the log."""
    e = dict(os.environ, NODE_NO_WARNINGS="1")
    e.update(env)
    try:
        p = subprocess.run(["node", os.path.join(OIDC, script)], cwd=OIDC, env=e,
                           capture_output=True, timeout=NODE_TIMEOUT)
    except subprocess.TimeoutExpired:
        print("# %s did not finish in %d s" % (script, NODE_TIMEOUT))
        return {}
    try:
        return json.loads(p.stdout.decode().strip().splitlines()[-1])["steps"]
    except (ValueError, IndexError, KeyError):
        out = "%s failed (exit %d): %s %s" % (script, p.returncode, p.stdout.decode()[-2000:],
                                              p.stderr.decode()[-2000:])
        print("\n".join("# " + line for line in out.splitlines()))
        return {}


def ok(steps, name):
    s = steps.get(name) or {"ok": False, "error": "step did not run"}
    return s.get("ok") is True, s


def new_cert(name):
    key, crt = (os.path.join(tmp, name + ext) for ext in (".key", ".crt"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", crt, "-days", "30", "-subj", "/CN=" + name],
                   check=True, capture_output=True, timeout=60)
    return crt, key


def b64url_sha(path, algo):
    import base64
    import hashlib
    der = subprocess.run(["openssl", "x509", "-in", path, "-outform", "DER"],
                         capture_output=True, check=True).stdout
    return base64.urlsafe_b64encode(hashlib.new(algo, der).digest()).rstrip(b"=").decode()


def microsoft():
    crt, key = new_cert("app")
    tls = fixture.make_tls(os.path.join(tmp, "tls"))
    op = fixture.OidcProvider("entra", tmp, tenant=TENANT, client_id=CLIENT, client_cert=crt,
                              tls_dir=tls)
    op.start()
    servers.append(op)
    d = graph.sample_directory()
    emu = graph.GraphEmulator(tls, op.jwks_uri, op.ca_file, TENANT, op.issuer, d).start()
    servers.append(emu)
    env = {"AUTHORITY": op.issuer, "CLIENT_ID": CLIENT, "CERT_FILE": crt, "KEY_FILE": key,
           "GRAPH_URL": emu.base, "GROUP": "MailStore Users", "PAGE": "2",
           "NODE_EXTRA_CA_CERTS": op.ca_file}
    want_members = len(d.transitive(graph.guid(1, "g")))
    for thumb, alg, x5t_name, algo in (("sha256", "PS256", "x5t#S256", "sha256"),
                                       ("sha1", "RS256", "x5t", "sha1")):
        # the first /users call is throttled: graph-client's RetryHandler must
        # read the emulator's 429 and Retry-After as it reads Graph's
        emu.faults.throttle["/v1.0/users"] = 1
        emu.requests.clear()
        steps = run_node("vendor_msal_graph.mjs", dict(env, THUMBPRINT=thumb))
        good, s = ok(steps, "msal_token")
        t.check(good, "msal-node (%s thumbprint) gets a token from the Entra stand-in" % thumb, s)
        head = s.get("assertionHeader") or {}
        t.check(head.get("alg") == alg and head.get(x5t_name) == b64url_sha(crt, algo),
                "msal-node's assertion is %s with %s of the certificate" % (alg, x5t_name), head)
        if thumb == "sha1":
            break
        good, s = ok(steps, "users_paged")
        t.check(good and s.get("count") == len(d.users) and s.get("pages") == 3,
                "graph-client's PageIterator follows @odata.nextLink through all users", s)
        statuses = [st for path, st in emu.requests if path.startswith("/v1.0/users")]
        t.check(statuses[:2] == [429, 200],
                "graph-client retries a 429 after the emulator's Retry-After", statuses)
        good, s = ok(steps, "users_count")
        t.check(good and s.get("count") == len(d.users),
                "$count=true with ConsistencyLevel: eventual gives @odata.count", s)
        good, s = ok(steps, "users_count_plain")
        t.check(good and s.get("statusCode") == 400 and s.get("code") == "Request_BadRequest",
                "$count without ConsistencyLevel: eventual is refused, as Graph refuses it", s)
        good, s = ok(steps, "group_by_name")
        t.check(good and s.get("ids") == [graph.guid(1, "g")],
                "graph-client finds a group by displayName $filter", s)
        good, s = ok(steps, "transitive_members")
        t.check(good and s.get("count") == want_members and s.get("pages") == want_members,
                "graph-client pages a group's transitiveMembers", s)
        good, s = ok(steps, "unknown_group_error")
        t.check(good and s.get("statusCode") == 404 and s.get("code") == "Request_ResourceNotFound"
                and s.get("requestId"),
                "graph-client reads Graph's error body (code, request-id)", s)


def google_directory():
    users = gd.make_users(5, domain="example.com")
    others = gd.make_users(3, domain="other.example")
    for i, u in enumerate(others):
        u["id"] = str(200000000000000000000 + i)
    groups = {
        "staff@example.com": {"name": "Staff", "members": [
            ("USER", "u00000@example.com"), ("GROUP", "team@example.com")]},
        "team@example.com": {"name": "Team", "members": [
            ("USER", "u00001@example.com"), ("USER", "u00002@example.com")]},
        "sales@other.example": {"name": "Sales", "members": [("USER", "u00000@other.example")]},
    }
    g = gd.GoogleEmulator(os.path.join(tmp, "google"), users=users + others, groups=groups)
    g.start()
    servers.append(g)
    g.faults["too_many"] = 1   # the first API call: 429 with Retry-After
    steps = run_node("vendor_google.mjs", {
        "KEY_FILE": g.key_file, "ADMIN": "admin@example.com", "TOKEN_URL": g.token_uri,
        "API_URL": g.api_url, "DOMAIN": "example.com", "OTHER_DOMAIN": "other.example",
        "GROUP": "staff@example.com", "NODE_EXTRA_CA_CERTS": g.ca_file})
    good, s = ok(steps, "token")
    head = s.get("assertionHeader") or {}
    t.check(good and head.get("alg") == "RS256",
            "google-auth-library's JWT (subject = admin) gets a token (aud = Google's token URL)",
            s)
    good, s = ok(steps, "users_customer")
    t.check(good and s.get("count") == 8 and s.get("pages") == 4,
            "googleapis pages users.list(customer=my_customer) to the end", s)
    t.check(good and g.faults["too_many"] == 0,
            "googleapis retries the emulator's 429 (Retry-After) as Google's", s)
    good, s = ok(steps, "users_domain")
    t.check(good and s.get("emails") == [u["primaryEmail"] for u in users],
            "users.list(domain=) lists that domain's users only", s)
    good, s = ok(steps, "users_customer_and_domain")
    t.check(not good and s.get("status") == 400,
            "users.list with both customer and domain is refused (the documentation: give one)",
            s)
    good, s = ok(steps, "users_system_parameters")
    t.check(good and s.get("emails") == ["u00000@example.com"],
            "Google's system parameters (alt, prettyPrint, quotaUser, fields) are accepted", s)
    good, s = ok(steps, "users_ordered")
    t.check(not good and s.get("status") == 400,
            "a parameter the emulator does not act on (orderBy) is refused, not ignored", s)
    good, s = ok(steps, "groups_domain")
    t.check(good and s.get("emails") == ["sales@other.example"],
            "groups.list(domain=) lists that domain's groups only", s)
    good, s = ok(steps, "groups_customer")
    t.check(good and sorted(s.get("emails") or []) == sorted(groups),
            "groups.list(customer=my_customer) lists every domain's groups", s)
    good, s = ok(steps, "members")
    t.check(good and s.get("emails") == ["u00000@example.com", "u00001@example.com",
                                         "u00002@example.com"] and s.get("pages") == 3,
            "members.list(includeDerivedMembership) pages a group's nested members", s)
    good, s = ok(steps, "unknown_group")
    t.check(not good and s.get("status") == 404 and s.get("reason") == "notFound",
            "googleapis reads Google's error body (404 notFound) for an unknown group", s)


try:
    microsoft()
    google_directory()
finally:
    stop_all()
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
