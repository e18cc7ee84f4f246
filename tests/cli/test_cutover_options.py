#!/usr/bin/env python3
"""dirgate cutover --claim-rule, offline (a users export): without it, AD FS
users with sAMAccountName names lose their login (ADFS004) and the reason
names the option; with it they keep it.  The option's older spelling
--adfs-claim-rule, which existing scripts use, still works the same, but
neither the help nor the completions offer it.
usage: test_cutover_options.py DIRGATE"""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ROOT, Tap, run  # noqa: E402

binary = os.path.abspath(sys.argv[1])
t = Tap()
tmp = tempfile.mkdtemp(prefix="dg-cutover-options-")


def out(args):
    p = run(binary, args)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


# the demo profile (AD, AD FS login) with sAMAccountName user names, and the
# MailStore users its directory gives, as a users export
demo = os.path.join(ROOT, "examples", "demo")
with open(os.path.join(demo, "profile.json")) as f:
    prof = json.load(f)
prof.pop("$schema", None)
prof["directory"]["snapshot"] = os.path.join(demo, "directory.ldif")
prof["directory"]["userNameFormat"] = "sAMAccountName"
profile = os.path.join(tmp, "adfs-sam.json")
with open(profile, "w") as f:
    json.dump(prof, f)
rc, so, se = out(["preview", profile, "--format", "json"])
users = json.loads(so)["users"] if rc == 0 else []
t.check(users, "the demo directory previews with sAMAccountName names", se)
export = os.path.join(tmp, "users.json")
with open(export, "w") as f:
    json.dump({"dirgateUsers": 1, "fingerprint": "-", "users": [
        {"userName": u["userName"], "fullName": u["fullName"],
         "emailAddresses": u["emailAddresses"], "authentication": "directoryServices"}
        for u in users]}, f)


def cutover(*more):
    rc, so, se = out(["cutover", profile, "--users", export, "--format", "json"] + list(more))
    try:
        return rc, json.loads(so), se
    except ValueError:
        return rc, {}, so + se


rc, rep, err = cutover()
lost = [u for u in rep.get("users", []) if u.get("verdict") == "loses-login"]
t.check(rc == 3 and users and len(lost) == len(users),
        "no claim rule: every sAMAccountName user loses login (exit 3)", err or rep.get("summary"))
t.check(lost and all("ADFS004" in u["reason"] and "--claim-rule" in u["reason"] for u in lost),
        "the reason names ADFS004 and the option that says the rule is in place",
        lost[0]["reason"] if lost else err)
for spelling in ("--claim-rule", "--adfs-claim-rule"):
    rc, rep, err = cutover(spelling)
    t.check(rc == 0 and rep.get("summary", {}).get("keeps-login") == len(users) and users,
            "%s: every user keeps login (exit 0)" % spelling, err or rep.get("summary"))

rc, help_text, _ = out(["cutover", "--help"])
t.check(rc == 0 and "--claim-rule " in help_text and "--adfs-claim-rule" not in help_text,
        "the help describes --claim-rule, not the older spelling", help_text)
rc, helper, _ = out(["cutover", "--completion-helper"])
offered = [line.split("\t")[0] for line in helper.splitlines()]
t.check("--claim-rule" in offered and "--adfs-claim-rule" not in offered,
        "the completions offer --claim-rule, not the older spelling", offered)
rc, _, se = out(["cutover", "--claim-rlue", profile])
t.check(rc == 64 and "did you mean '--claim-rule'?" in se,
        "a misspelt --claim-rule is pointed at --claim-rule", se)
rc, _, se = out(["cutover", "--adfs-claim-rlue", profile])
t.check(rc == 64 and "did you mean" not in se,
        "nothing suggests the older spelling", se)

shutil.rmtree(tmp)
t.done()
