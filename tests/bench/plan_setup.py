#!/usr/bin/env python3
"""Setup for tests/bench/plan.sh: from the benchmark's AD profile, the
emulator's user store (the directory's preview, 1% full names changed, 1%
users under an old name with the same e-mail address), the emulator
started in the background (pid in OUT/emulator.pid), and a profile whose
target is it.   usage: plan_setup.py BASE_PROFILE OUT DIRGATE"""
import json
import os
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(here), "emulators"))
from mailstore_fixture import EMULATOR, make_certs  # noqa: E402

base, out, dirgate = sys.argv[1:4]
pv = json.loads(subprocess.run([dirgate, "preview", base, "--format", "json"],
                               check=True, capture_output=True).stdout)
users = []
for i, u in enumerate(pv["users"]):
    name, full = u["userName"], u["fullName"]
    if i % 100 == 1:
        full = "Old " + full
    if i % 100 == 2:
        name = "old%06d" % i
    users.append({"userName": name, "fullName": full, "emailAddresses": u["emailAddresses"],
                  "distinguishedName": u["distinguishedName"],
                  "authentication": "directoryServices"})
with open(os.path.join(out, "emu-users.json"), "w") as f:
    json.dump(users, f)
ca, crt, key = make_certs(os.path.join(out, "tls"))
portfile = os.path.join(out, "emulator.port")
if os.path.exists(portfile):
    os.unlink(portfile)
env = dict(os.environ, MAILSTORE_EMU_PASSWORD="bench-password")
log = open(os.path.join(out, "emulator.log"), "wb")
p = subprocess.Popen([sys.executable, EMULATOR, "--cert", crt, "--key", key,
                      "--port-file", portfile, "--users", os.path.join(out, "emu-users.json")],
                     env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
deadline = time.time() + 120
while not os.path.exists(portfile):
    if p.poll() is not None or time.time() > deadline:
        sys.exit("emulator did not start; see %s/emulator.log" % out)
    time.sleep(0.1)
with open(os.path.join(out, "emulator.pid"), "w") as f:
    f.write("%d\n" % p.pid)
with open(base) as f:
    prof = json.load(f)
prof["target"] = {"url": "https://127.0.0.1:%s" % open(portfile).read().strip(),
                  "user": "admin", "password": {"env": "MAILSTORE_BENCH_PW"},
                  "tls": {"caFile": os.path.abspath(ca)}}
prof.setdefault("sync", {})["guards"] = {"minUsers": 1}
with open(os.path.join(out, "plan-profile.json"), "w") as f:
    json.dump(prof, f, indent=2)
print("emulator on port %s with %d users" % (open(portfile).read().strip(), len(users)))
