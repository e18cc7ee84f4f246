#!/usr/bin/env python3
"""Setup for tests/bench/onboard.sh: the SPE emulator with TENANTS
instances whose directory fixture is the benchmark LDIF's preview, answering
every call LATENCY ms late (started in the background, pid in
OUT/emulator.pid), and a manifest of TENANTS tenants reading that LDIF.
    usage: onboard_setup.py BASE_PROFILE OUT DIRGATE TENANTS LATENCY_MS"""
import json
import os
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(here), "emulators"))
from mailstore_fixture import EMULATOR, make_certs  # noqa: E402

base, out, dirgate, tenants, latency = sys.argv[1:6]
ids = ["c%04d" % i for i in range(int(tenants))]
pv = json.loads(subprocess.run([dirgate, "preview", base, "--format", "json"],
                               check=True, capture_output=True).stdout)
directory = [{"userName": u["userName"], "fullName": u["fullName"],
              "emailAddresses": u["emailAddresses"],
              "distinguishedName": u["distinguishedName"]} for u in pv["users"]]
with open(os.path.join(out, "emu-directory.json"), "w") as f:
    json.dump(directory, f)
ca, crt, key = make_certs(os.path.join(out, "tls"))
portfile = os.path.join(out, "emulator.port")
if os.path.exists(portfile):
    os.unlink(portfile)
env = dict(os.environ, MAILSTORE_EMU_PASSWORD="bench-password")
log = open(os.path.join(out, "emulator.log"), "wb")
p = subprocess.Popen([sys.executable, EMULATOR, "--cert", crt, "--key", key, "--spe",
                      "--instances", ",".join(ids), "--port-file", portfile,
                      "--directory", os.path.join(out, "emu-directory.json"),
                      "--latency-ms", latency, "--sync-steps", "3", "--sync-step-ms", "20"],
                     env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
with open(os.path.join(out, "emulator.pid"), "w") as f:
    f.write("%d\n" % p.pid)
deadline = time.time() + 30
while not os.path.exists(portfile):
    if p.poll() is not None or time.time() > deadline:
        sys.exit("emulator did not start")
    time.sleep(0.05)
with open(portfile) as f:
    port = int(f.read())
with open(base) as f:
    prof = json.load(f)
prof.pop("name", None)
prof.pop("$schema", None)
prof["target"] = {"url": "https://127.0.0.1:%d" % port, "product": "spe",
                  "instanceId": "${tenant.id}", "user": "admin",
                  "password": {"env": "MAILSTORE_BENCH_PW"},
                  "tls": {"caFile": os.path.abspath(ca)}}
prof.setdefault("sync", {})["guards"] = {"minUsers": 1, "maxDeletes": 10,
                                         "maxDropPercent": 50}
manifest = {"version": 1, "defaults": prof, "onboard": {"schedule": "daily@02:00"},
            "tenants": [{"id": i} for i in ids]}
with open(os.path.join(out, "onboard-manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1)
