#!/usr/bin/env python3
"""The embedded demo, end to end: check is clean, preview in every format
agrees with the JSON contract of DESIGN.md, and the demo shows the mess it
was made to show (every skip reason, every conflict kind)."""
import csv
import io
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ROOT, Tap, run  # noqa: E402

binary = os.path.abspath(sys.argv[1])
t = Tap()
profiles = [os.path.join("examples", "demo", "profile.json"),
            os.path.join("examples", "demo", "ldap-profile.json")]

for prof in profiles:
    name = os.path.basename(prof)
    p = run(binary, ["check", "--offline", "--format", "json", prof])
    t.check(p.returncode == 0, "%s: check --offline passes" % name, p.stdout.decode()[-3000:])

    p = run(binary, ["preview", "--format", "json", prof])
    t.check(p.returncode == 0, "%s: preview exits 0" % name, p.stderr.decode()[-2000:])
    try:
        doc = json.loads(p.stdout)
    except ValueError as e:
        t.check(False, "%s: preview JSON parses" % name, str(e))
        continue
    t.check(set(doc) >= {"profile", "source", "summary", "users", "skipped", "conflicts",
                         "findings"}, "%s: top-level keys" % name, sorted(doc))
    s = doc["summary"]
    t.check(s == {"users": len(doc["users"]), "skipped": len(doc["skipped"]),
                  "conflicts": len(doc["conflicts"])}, "%s: summary counts match" % name, s)
    keys_ok = all(set(u) == {"userName", "fullName", "emailAddresses", "distinguishedName",
                             "groups", "groupPaths"} for u in doc["users"])
    t.check(keys_ok, "%s: user objects have exactly the contract keys" % name)
    names = [u["userName"] for u in doc["users"]]
    t.check(names == sorted(names), "%s: users sorted by user name" % name)
    t.check(all(n == n.lower() for n in names), "%s: user names lower-cased" % name)
    t.check(len(set(n.lower() for n in names)) == len(names), "%s: user names unique" % name)
    dup_mail = all(len(set(a.lower() for a in u["emailAddresses"])) == len(u["emailAddresses"])
                   for u in doc["users"])
    t.check(dup_mail, "%s: no address twice on one user" % name)

    # CSV: RFC 4180, same users in the same order.
    p = run(binary, ["preview", "--format", "csv", prof])
    rows = list(csv.reader(io.StringIO(p.stdout.decode("utf-8"), newline="")))
    t.check(rows and rows[0] == ["userName", "fullName", "emailAddresses",
                                 "distinguishedName", "groups", "quality"], "%s: csv header" % name)
    t.check([r[0] for r in rows[1:]] == names, "%s: csv users equal json users" % name)
    t.check(all(r[2].split(";") == (u["emailAddresses"] or [""])
                for r, u in zip(rows[1:], doc["users"])), "%s: csv e-mail lists" % name)
    t.check(p.stdout.count(b"\r\n") == len(rows), "%s: csv uses CRLF" % name)

    # --output writes exactly what stdout would have shown.
    out = os.path.join(tempfile.mkdtemp(), "preview.json")
    p2 = run(binary, ["preview", "--format", "json", "--output", out, prof])
    t.check(p2.returncode == 0 and p2.stdout == b"" and
            open(out, "rb").read() == run(binary, ["preview", "--format", "json", prof]).stdout,
            "%s: --output equals stdout" % name)

    p = run(binary, ["preview", "--format", "html", prof])
    html = p.stdout.decode()
    t.check(html.startswith("<!DOCTYPE html>") and html.count("<tr") == len(names) +
            len(doc["skipped"]) + 2, "%s: html has a row per user and skipped entry" % name)

    p = run(binary, ["preview", prof])
    t.check(p.stdout.decode().rstrip().endswith("%d users, %d skipped, %d conflicts" % (
        s["users"], s["skipped"], s["conflicts"])), "%s: table ends with the summary" % name)

    if name == "profile.json":
        reasons = {x["reason"] for x in doc["skipped"]}
        t.check(doc["source"]["entriesRead"] >= 40, "demo has at least 40 entries",
                doc["source"])
        t.check(reasons >= {"disabled", "no-email", "hidden", "not-in-group"},
                "demo shows every AD skip reason", reasons)
        kinds = {c["reason"] for c in doc["conflicts"]}
        t.check("duplicate-email" in kinds and kinds & {"case-only", "same-user-name"},
                "demo shows name and e-mail conflicts", kinds)
        utf8 = [u for u in doc["users"] if any(ord(ch) > 127 for ch in u["fullName"])]
        t.check(len(utf8) >= 3, "demo keeps UTF-8 full names", [u["fullName"] for u in utf8])
        nested = [u for u in doc["users"] if u["groups"]]
        t.check(len(nested) == len(doc["users"]), "every demo user says through which group")
t.done()
