#!/usr/bin/env python3
"""dirgate against the Google emulator (tests/emulators/google_directory.py):
check's live probes, live preview, `dirgate snapshot` previewed offline (==
live), every token error, the scopes (a tenant that authorised exactly
MailStore's three passes; one without https://mail.google.com/ fails check
with GOOGLE032), and the faults (rate limits, 429/503, token expiry
mid-paging, dropped connections, endless page chains: empty, repeating and
ever growing, malformed JSON).  Canaries: the private key, access tokens
and the OAuth client secret never appear in any output or in the snapshot.  Prints TAP.

usage: test_google_live.py DIRGATE"""
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(here), "emulators"))
sys.path.insert(0, os.path.join(os.path.dirname(here), "cli"))
import google_directory as gd  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
binary = os.path.abspath(sys.argv[1])
if not shutil.which("openssl"):
    print("1..0 # SKIP openssl not installed")
    sys.exit(0)

SECRET_CANARY = "Canary-Google-Client-Secret-5b71"
env = dict(os.environ, NO_COLOR="1", LC_ALL="C.UTF-8", DG_GOOGLE_SECRET=SECRET_CANARY)
outputs = []   # every stdout/stderr, for the canary check at the end


def run(args, timeout=120):
    p = subprocess.run([binary] + args, env=env, capture_output=True, timeout=timeout)
    outputs.append(p.stdout + p.stderr)
    return p


def make_directory():
    users = gd.make_users(1234, suspended_every=100, archived_every=250)
    users[5]["aliases"] = ["alias5@example.com", "U00005@EXAMPLE.COM"]
    users[6]["name"] = {"givenName": "Zoë", "familyName": "Ünal"}   # no fullName
    groups = {
        "staff@example.com": {"name": "Staff", "id": "g1",
                              "members": [("USER", "u00001@example.com"),
                                          ("GROUP", "eng@example.com"),
                                          ("USER", "u00099@example.com")]},
        "eng@example.com": {"name": "Engineering", "id": "g2",
                            "members": [("USER", "u00002@example.com"),
                                        ("USER", "u00003@example.com"),
                                        ("USER", "u00001@example.com")]},
        "dup1@example.com": {"name": "Dup", "id": "g3", "members": []},
        "dup2@example.com": {"name": "Dup", "id": "g4", "members": []},
    }
    return users, groups


def profile(g, tmp, name="p.json", **directory):
    d = {"type": "google-workspace", "serviceAccountKeyFile": g.key_file,
         "adminUser": "admin@example.com", "apiUrl": g.api_url,
         "tls": {"caFile": g.ca_file}}
    d.update(directory)
    doc = {"name": "google-it", "directory": d,
           "authentication": {"method": "google-oidc",
                              "clientId": "402589133417-abc.apps.googleusercontent.com",
                              "clientSecret": {"env": "DG_GOOGLE_SECRET"},
                              "redirectUri": "https://archive.example.com:8462/oidc/signin"}}
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def codes(doc):
    return [f["code"] for f in doc["findings"]]


def preview(path, timeout=120):
    p = run(["preview", "--format", "json", path], timeout)
    return p, (json.loads(p.stdout) if p.returncode == 0 else None)


def check_json(path):
    p = run(["check", "--format", "json", path])
    return p, json.loads(p.stdout) if p.stdout else {"findings": []}


def comparable(doc):
    return {k: doc[k] for k in ("summary", "users", "skipped", "conflicts")}


DIRECTORY_SCOPES = (gd.SCOPE_USER, gd.SCOPE_GROUP)   # what dirgate's directory reads ask for


def asked(g, since):
    """The scope sets of the token requests since index `since`."""
    return [tuple(sorted(s)) for s in g.scope_requests[since:]]


def test_check(g, tmp):
    # The emulator's tenant is set up by MailStore's guide: its three scopes
    t.check(g.authorized_scopes == gd.MAILSTORE_SCOPES,
            "tenant authorises exactly MailStore's three scopes", g.authorized_scopes)
    path = profile(g, tmp, filters={"groups": ["Staff", "eng@example.com"]})
    since = len(g.scope_requests)
    p, doc = check_json(path)
    c = codes(doc)
    t.check(p.returncode == 0, "check: live probes pass (exit 0)", p.stdout[-3000:])
    t.check("GOOGLE021" in c and "GOOGLE024" in c, "check: token obtained, API answers", c)
    t.check("GOOGLE033" in c and "GOOGLE032" not in c,
            "check: delegation proven to include https://mail.google.com/", c)
    t.check(asked(g, since) == [tuple(sorted(DIRECTORY_SCOPES)), (gd.SCOPE_MAIL,)],
            "check: asks for the two directory scopes, then for mail.google.com alone",
            asked(g, since))
    t.check(c.count("GOOGLE027") == 2, "check: both groups found exactly once", c)
    t.check("GOOGLE015" in c, "check: local endpoints warned about", c)
    path = profile(g, tmp, "dup.json", filters={"groups": ["Dup", "Nobody"]})
    p, doc = check_json(path)
    c = codes(doc)
    t.check(p.returncode == 3 and "GOOGLE026" in c and "GOOGLE025" in c,
            "check: ambiguous name and missing group are errors", c)
    hint = [f["hint"] for f in doc["findings"] if f["code"] == "GOOGLE026"]
    t.check(hint and "dup1@example.com" in hint[0], "check: ambiguity hint names an address",
            hint)


def test_preview(g, tmp):
    g.requests.clear()
    since = len(g.scope_requests)
    p, live = preview(profile(g, tmp, "all.json"))
    t.check(p.returncode == 0, "preview: all users", p.stderr[-2000:])
    t.check(asked(g, since) == [tuple(sorted(DIRECTORY_SCOPES))],
            "preview: one token, for the two directory scopes only", asked(g, since))
    if not live:
        return
    t.check(live["summary"]["users"] == 1234 and live["source"]["type"] == "live",
            "preview: 1234 users from the live API", live["summary"])
    users = [r for r in g.requests if r[1] == "/admin/directory/v1/users"]
    q = users[0][2]
    t.check(len(users) == 3 and q["customer"] == ["my_customer"] and
            q["maxResults"] == ["500"] and q["projection"] == ["basic"] and
            q["fields"][0].startswith("nextPageToken,users("),
            "preview: users.list paged by 500 with customer, projection and fields",
            users[:1])
    u5 = [u for u in live["users"] if u["userName"] == "u00005@example.com"]
    t.check(u5 and u5[0]["emailAddresses"] == ["u00005@example.com", "alias5@example.com"],
            "preview: e-mail addresses = primary, then aliases (duplicates dropped)", u5)
    u6 = [u for u in live["users"] if u["userName"] == "u00006@example.com"]
    t.check(u6 and u6[0]["fullName"] == "Zoë Ünal", "preview: full name from given + family",
            u6)
    t.check("GOOGLE031" in codes(live), "preview: suspended/archived included is noted",
            codes(live))

    p, doc = preview(profile(g, tmp, "enabled.json", filters={"enabledUsersOnly": True}))
    reasons = sorted(set(s["reason"] for s in doc["skipped"])) if doc else []
    # 12 suspended (every 100th), 4 archived (every 250th); 499 and 999 are both
    t.check(doc and doc["summary"]["users"] == 1234 - 14 and
            reasons == ["archived", "suspended"] and
            {"entry": "u00099@example.com", "reason": "suspended",
             "detail": "user is suspended (enabled users only)"} in doc["skipped"] and
            any(s["entry"] == "u00249@example.com" and s["reason"] == "archived"
                for s in doc["skipped"]),
            "preview: suspended users skipped as suspended, archived as archived",
            doc and doc["summary"])

    g.requests.clear()
    p, doc = preview(profile(g, tmp, "groups.json", filters={"groups": ["Staff"]}))
    names = [u["userName"] for u in doc["users"]] if doc else []
    t.check(names == ["u00001@example.com", "u00002@example.com", "u00003@example.com",
                      "u00099@example.com"],
            "preview: group members, nested group expanded", names)
    t.check(doc and all(u["groups"] == ["Staff"] for u in doc["users"]) and
            doc["summary"]["skipped"] == 1230 and
            all(s["reason"] == "not-in-group" for s in doc["skipped"]),
            "preview: everyone else not-in-group", doc and doc["summary"])
    mem = [r for r in g.requests if r[1].endswith("/members")]
    t.check(mem and mem[0][2].get("includeDerivedMembership") == ["true"] and
            urllib.parse.unquote(mem[0][1]) ==
            "/admin/directory/v1/groups/staff@example.com/members",
            "preview: members.list with includeDerivedMembership=true", mem[:1])
    lookups = [r for r in g.requests if r[1] == "/admin/directory/v1/groups"]
    t.check(lookups and lookups[0][2].get("query") == ["name='Staff'"],
            "preview: group looked up by name with query name='...'", lookups[:1])


def test_show_queries(g, tmp):
    """preview --show-queries: every live query chain as the curl line that
    repeats it (the token only as $GOOGLE_TOKEN), and the lines do repeat
    them: run with a token the emulator issued, the emulator sees the same
    requests again.  check's probe carries its curl line in the hint."""
    path = profile(g, tmp, "queries.json", filters={"groups": ["Staff"]})
    g.requests.clear()
    p = run(["preview", "--format", "json", "--show-queries", path])
    first = [r for r in g.requests if r[0] == "GET" and "pageToken" not in r[2]]
    lines = p.stderr.decode().splitlines()
    curls = [x for x in lines if x.startswith("curl ")]
    t.check(p.returncode == 0 and json.loads(p.stdout)["summary"]["users"] > 0 and
            any(x.startswith("# GOOGLE_TOKEN: an access token for admin@example.com") for x in lines)
            and len(curls) == len(first) and
            all('-H "Authorization: Bearer $GOOGLE_TOKEN" ' in c for c in curls),
            "preview --show-queries: one curl line per query chain, token as $GOOGLE_TOKEN",
            (lines[-6:], len(first)))
    tok = g.issued[-1]
    again = []
    for c in curls:
        before = len(g.requests)
        r = subprocess.run(["sh", "-c", c], env=dict(env, GOOGLE_TOKEN=tok),
                           capture_output=True, timeout=60)
        body = json.loads(r.stdout or b"{}")
        again += g.requests[before:]
        if r.returncode or "error" in body:
            again.append(("failed", c, r.stderr[-300:], body.get("error")))
    t.check(again == first, "the curl lines repeat exactly the requests dirgate made",
            (again[:3], first[:3]))
    t.check(all(shlex.split(c)[:4] == ["curl", "-sS", "--cacert", g.ca_file] for c in curls),
            "the curl lines trust the profile's caFile", curls[:1])
    p, doc = check_json(path)
    hint = [f["hint"] for f in doc["findings"] if f["code"] == "GOOGLE024"]
    t.check(hint and "Repeat by hand: curl -sS" in hint[0] and "$GOOGLE_TOKEN" in hint[0],
            "check: the API probe's hint has its curl line", hint)


def test_domain(g, tmp):
    """A profile naming a domain lists that domain's users by domain= alone:
    Google's reference asks for customer or domain, and the emulator
    refuses both together."""
    path = profile(g, tmp, "domain.json", domain="example.com")
    g.requests.clear()
    p, doc = check_json(path)
    t.check(p.returncode == 0 and "GOOGLE024" in codes(doc),
            "domain: check's one-user probe lists the domain's users", p.stdout[-2000:])
    p, live = preview(path)
    t.check(p.returncode == 0 and live and live["summary"]["users"] == 1234,
            "domain: preview lists the domain's users", p.stderr[-2000:])
    queries = [r[2] for r in g.requests if r[1] == "/admin/directory/v1/users"]
    t.check(queries and all(q.get("domain") == ["example.com"] and "customer" not in q
                            for q in queries),
            "domain: every users.list names the domain and not the customer", queries[:2])


def test_snapshot(g, tmp):
    for label, filters in (("all users", {}),
                           ("groups", {"groups": ["Staff", "eng@example.com"],
                                       "enabledUsersOnly": True})):
        path = profile(g, tmp, "snap-live.json", filters=filters)
        p, live = preview(path)
        snap = os.path.join(tmp, "snap.jsonl")
        s = run(["snapshot", path, "--output", snap])
        t.check(s.returncode == 0 and b"1234 users from https://localhost:" in s.stderr,
                "snapshot (%s) written" % label, s.stderr[-2000:])
        off = profile(g, tmp, "snap-off.json", filters=filters, snapshot=snap)
        p, offline = preview(off)
        t.check(live and offline and comparable(live) == comparable(offline) and
                offline["source"]["type"] == "snapshot",
                "snapshot (%s) previews offline to exactly the live result" % label,
                p.stderr[-2000:])
        with open(snap, "rb") as f:
            outputs.append(f.read())
    # a snapshot is refused for another group selection
    off = profile(g, tmp, "snap-other.json", filters={"groups": ["Staff"]}, snapshot=snap)
    p, _ = preview(off)
    t.check(p.returncode == 1 and b"another group selection" in p.stderr,
            "snapshot for another group selection is refused", p.stderr)
    # a damaged snapshot names the line
    with open(snap) as f:
        lines = f.read().split("\n")
    lines[3] = lines[3][:40]
    bad = os.path.join(tmp, "bad.jsonl")
    with open(bad, "w") as f:
        f.write("\n".join(lines))
    off = profile(g, tmp, "snap-bad.json", filters={"groups": ["Staff", "eng@example.com"],
                                                    "enabledUsersOnly": True}, snapshot=bad)
    p, _ = preview(off)
    t.check(p.returncode == 1 and b"bad.jsonl:4: not valid JSON" in p.stderr,
            "damaged snapshot: file and line named", p.stderr)


def expect_token_error(g, tmp, code, label, check_hint=None):
    path = profile(g, tmp, "tok.json")
    p, doc = check_json(path)
    hits = [f for f in doc["findings"] if f["code"] == code]
    t.check(p.returncode == 3 and hits, "token: %s -> %s" % (label, code),
            p.stdout[-2000:] + p.stderr[-500:])
    if check_hint and hits:
        t.check(check_hint(hits[0]), "token: %s hint says how to fix" % label, hits[0])
    p = run(["preview", path])
    t.check(p.returncode == 1 and code.encode() in p.stderr,
            "token: preview fails with %s in the message" % code, p.stderr[-1000:])


def names_mailstore_scopes(hint):
    """A hint that tells the administrator to authorise exactly MailStore's
    three scopes, and no scope MailStore never needs."""
    return all(s in hint for s in gd.MAILSTORE_SCOPES) and "group.member" not in hint


def test_token_errors(g, tmp):
    g.delegation = "missing"
    expect_token_error(g, tmp, "GOOGLE016", "delegation missing",
                       lambda f: g.sa.client_id in f["hint"] and
                       names_mailstore_scopes(f["hint"]))
    g.delegation = "ok"
    # a tenant without group.readonly: the directory token is refused
    g.authorized_scopes = {gd.SCOPE_MAIL, gd.SCOPE_USER}
    expect_token_error(g, tmp, "GOOGLE017", "group.readonly not authorised",
                       lambda f: names_mailstore_scopes(f["hint"]))
    test_mail_scope_missing(g, tmp)
    g.authorized_scopes = set(gd.MAILSTORE_SCOPES)
    g.admins = {"someone-else@example.com"}
    expect_token_error(g, tmp, "GOOGLE018", "unknown admin",
                       lambda f: f["path"] == "/directory/adminUser")
    g.admins = {"admin@example.com"}
    g.clock_offset = -7200
    expect_token_error(g, tmp, "GOOGLE019", "clock skew",
                       lambda f: "clock" in f["hint"].lower())
    g.clock_offset = 0
    other = os.path.join(tmp, "other")
    os.makedirs(other)
    real = g.sa.n
    g.sa.n = gd.ServiceAccount(other, g.token_uri).n   # verify against another key
    expect_token_error(g, tmp, "GOOGLE020", "signature from another key")
    g.sa.n = real


def test_mail_scope_missing(g, tmp):
    """Delegation with the directory scopes but not MailStore's own: every
    directory probe passes, check still fails with GOOGLE032, preview (which
    needs no mail scope) works."""
    g.authorized_scopes = {gd.SCOPE_USER, gd.SCOPE_GROUP}
    path = profile(g, tmp, "nomail.json", filters={"groups": ["Staff"]})
    p, doc = check_json(path)
    c = codes(doc)
    hits = [f for f in doc["findings"] if f["code"] == "GOOGLE032"]
    t.check(p.returncode == 3 and len(hits) == 1 and hits[0]["severity"] == "error" and
            "GOOGLE033" not in c,
            "mail.google.com not authorised: check fails with GOOGLE032", c)
    t.check("GOOGLE021" in c and "GOOGLE024" in c and "GOOGLE027" in c and
            not any(x in c for x in ("GOOGLE016", "GOOGLE017", "GOOGLE020")),
            "mail.google.com not authorised: the directory probes still pass", c)
    t.check(hits and "https://mail.google.com/" in hits[0]["message"] and
            g.sa.client_id in hits[0]["message"] and
            "domain-wide delegation" in hits[0]["hint"] and
            names_mailstore_scopes(hits[0]["hint"]),
            "GOOGLE032: names the scope, the client ID and MailStore's three", hits[:1])
    p, doc = preview(path)
    t.check(p.returncode == 0 and doc and doc["summary"]["users"] == 4,
            "mail.google.com not authorised: preview (directory only) still works",
            p.stderr[-800:])


def test_faults(g, tmp):
    path = profile(g, tmp, "faults.json", filters={"groups": ["Staff"]})
    p, ref = preview(path)

    def same(label, **faults):
        g.faults.update(faults)
        start = time.monotonic()
        p, doc = preview(path)
        took = time.monotonic() - start
        t.check(p.returncode == 0 and doc and comparable(doc) == comparable(ref),
                "fault %s: same result" % label, p.stderr[-1500:])
        if faults:
            t.check(not any(g.faults.get(k) for k in faults),
                    "fault %s: actually injected" % label, g.faults)
        return took

    took = same("403 rateLimitExceeded x2 (backoff)", rate_limit=2)
    t.check(took >= 1.4, "rate limit: backed off 0.5 s + 1 s", took)
    same("403 userRateLimitExceeded", user_rate_limit=1)
    same("503 x2 (retried)", unavailable=2)
    took = same("429 with Retry-After", too_many=1)
    # the first retry's own backoff is 0.25 s: only honouring the header waits this long
    t.check(took >= g.retry_after, "429: waited the Retry-After the emulator sent (%d s)"
            % g.retry_after, took)
    same("dropped connection", drop=1)
    # read while it arrives: the users of the first half must not stay twice
    same("users page cut off mid-answer (read again from its start)", cut=1)
    g.faults["slow"] = 0.05
    calls = len(g.requests)
    took = same("slow answers (50 ms each)")
    g.faults["slow"] = 0
    t.check(took >= 0.05 * (len(g.requests) - calls), "slow answers: really slow", took)
    before = g.token_requests
    same("token expired mid-paging (401, renewed)", expire_token=1)
    t.check(g.token_requests == before + 2, "token renewed exactly once",
            g.token_requests - before)

    # a token about to expire is renewed before the request, not after a 401
    g.token_lifetime = 30
    before, api_before = g.token_requests, len(g.requests)
    p, doc = preview(path)
    g.token_lifetime = 3599
    api = len(g.requests) - api_before - (g.token_requests - before)
    t.check(p.returncode == 0 and doc and comparable(doc) == comparable(ref) and
            g.token_requests - before == api + 1,
            "short-lived token: renewed before each request (%d tokens, %d API calls)"
            % (g.token_requests - before, api), p.stderr[-800:])

    g.faults["rate_limit"] = 100
    start = time.monotonic()
    p = run(["preview", path])
    took = time.monotonic() - start
    g.faults["rate_limit"] = 0
    t.check(p.returncode == 1 and b"GOOGLE030" in p.stderr and took < 40,
            "persistent rate limit: gives up, bounded (%.1fs)" % took, p.stderr[-800:])

    g.faults["endless"] = 1
    start = time.monotonic()
    p = run(["preview", profile(g, tmp, "endless.json")], timeout=60)
    g.faults["endless"] = 0
    t.check(p.returncode == 1 and b"GOOGLE029" in p.stderr and time.monotonic() - start < 30,
            "endless page chain: refused, bounded", p.stderr[-800:])

    test_repeated_page(g, tmp)
    test_page_bound(g, tmp)

    g.faults["malformed"] = 1
    p = run(["preview", path])
    g.faults["malformed"] = 0
    t.check(p.returncode == 1 and b"GOOGLE028" in p.stderr and b"not valid JSON" in p.stderr,
            "malformed JSON: refused with GOOGLE028", p.stderr[-800:])

    g.faults["forbidden"] = 1
    p, doc = check_json(profile(g, tmp, "forbidden.json"))
    g.faults["forbidden"] = 0
    hits = [f for f in doc["findings"] if f["code"] == "GOOGLE022"]
    t.check(p.returncode == 3 and hits and "admin role" in hits[0]["hint"],
            "403 forbidden: GOOGLE022 with the admin-role fix", p.stdout[-1500:])


def users_calls(g):
    return sum(1 for r in g.requests if r[1] == "/admin/directory/v1/users")


def test_repeated_page(g, tmp):
    """A chain that sends the last users page again and again under ever new
    tokens is refused as soon as the page comes back, not after thousands of
    pages of the same users."""
    path = profile(g, tmp, "repeat.json")
    g.faults["repeat_page"] = 1
    before, start = users_calls(g), time.monotonic()
    p = run(["preview", path], timeout=60)
    took = time.monotonic() - start
    g.faults["repeat_page"] = 0
    calls = users_calls(g) - before
    # 1234 users: pages of 500, 500 and 234, then the 234 again
    t.check(p.returncode == 1 and b"GOOGLE029" in p.stderr and
            b"repeats the page before it" in p.stderr and calls == 4 and took < 30,
            "repeated page under new tokens: GOOGLE029 at the first repeat (%d pages, %.1fs)"
            % (calls, took), p.stderr[-800:])
    t.check(b"4000 users.list pages of 500 (2 million users)" in p.stderr,
            "GOOGLE029 states the bound in its hint", p.stderr[-800:])
    # a snapshot reads each page whole, not as a stream: the same refusal
    out = os.path.join(tmp, "repeat.jsonl")
    g.faults["repeat_page"] = 1
    p = run(["snapshot", path, "--output", out], timeout=60)
    g.faults["repeat_page"] = 0
    t.check(p.returncode == 3 and b"GOOGLE029" in p.stderr and
            b"repeats the page before it" in p.stderr and not os.path.exists(out),
            "repeated page: snapshot refuses it too (exit 3, no file left)", p.stderr[-800:])


def test_page_bound(g, tmp):
    """A chain that keeps bringing users never seen before is cut at 4000
    pages of 500 (2 million users), as the Graph connector's 2000 of 999."""
    path = profile(g, tmp, "grow.json")
    g.faults["grow"] = 1
    before, start = users_calls(g), time.monotonic()
    p = run(["preview", path], timeout=120)
    took = time.monotonic() - start
    g.faults["grow"] = 0
    calls = users_calls(g) - before
    t.check(p.returncode == 1 and b"GOOGLE029" in p.stderr and
            b"stopped after 4000 pages: dirgate follows at most 4000 users.list pages of 500"
            in p.stderr and calls == 4000,
            "ever new users under ever new tokens: GOOGLE029 at 4000 pages (%d, %.1fs)"
            % (calls, took), p.stderr[-800:])


def test_tls(g, tmp):
    path = profile(g, tmp, "noca.json", tls={"caFile": None})
    p, doc = check_json(path)
    hits = [f for f in doc["findings"] if f["code"] == "GOOGLE023"]
    t.check(p.returncode == 3 and hits and "not trusted" in hits[0]["message"],
            "untrusted certificate: GOOGLE023 (verified by default)", p.stdout[-1500:])


def test_insecure(g, tmp):
    p, doc = preview(profile(g, tmp, "insecure.json",
                             tls={"caFile": None, "acceptAllCertificates": True}))
    t.check(p.returncode == 0 and doc and "TLS002" in codes(doc),
            "acceptAllCertificates: works, and the preview warns (TLS002)",
            p.stderr[-800:])


def test_foreign_endpoints(g, tmp):
    """A key file or apiUrl naming another host gets neither the signed
    assertion nor the token, even when preview is run without check."""
    with open(g.key_file) as f:
        key = json.load(f)
    key["token_uri"] = "https://oauth2.example.net/token"
    other = os.path.join(tmp, "foreign-key.json")
    with open(other, "w") as f:
        json.dump(key, f)
    before = g.token_requests
    p = run(["preview", profile(g, tmp, "foreign.json", serviceAccountKeyFile=other)])
    t.check(p.returncode == 1 and b"GOOGLE009" in p.stderr and g.token_requests == before,
            "token_uri elsewhere: refused before any request", p.stderr[-600:])
    p = run(["preview", profile(g, tmp, "foreign-api.json", apiUrl="https://api.example.net")])
    t.check(p.returncode == 1 and b"GOOGLE014" in p.stderr and g.token_requests == before,
            "apiUrl elsewhere: refused before any request", p.stderr[-600:])


def test_canaries(g):
    with open(g.key_file) as f:
        pem = json.load(f)["private_key"]
    body = "".join(l for l in pem.splitlines() if "-----" not in l)
    probes = [body[100:140], body[-120:-80], SECRET_CANARY] + list(g.issued)
    leaked = [c for c in probes for o in outputs if c.encode() in o]
    t.check(len(g.issued) > 10 and not leaked,
            "canaries: private key, %d access tokens and the client secret never shown"
            % len(g.issued), leaked[:3])


def main():
    tmp = tempfile.mkdtemp(prefix="dg-google-")
    try:
        users, groups = make_directory()
        with gd.GoogleEmulator(os.path.join(tmp, "emu"), users=users, groups=groups) as g:
            test_check(g, tmp)
            test_preview(g, tmp)
            test_domain(g, tmp)
            test_show_queries(g, tmp)
            test_snapshot(g, tmp)
            test_token_errors(g, tmp)
            test_faults(g, tmp)
            test_tls(g, tmp)
            test_insecure(g, tmp)
            test_foreign_endpoints(g, tmp)
            test_canaries(g)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    main()
