#!/usr/bin/env python3
"""Benchmark driver for tests/bench/m365.sh: dirgate preview of N users from
the Graph emulator (tests/emulators/graph.py, token from oidc-provider as
Entra ID) against plain curl fetching the same pages in sequence over one
connection, alternated, best of RUNS.  Prints the figures; exit 1 when
dirgate takes more than 120 MB peak RSS or, when JUDGED=1 (the default),
more than 1.2 times curl."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "oidc"))
sys.path.insert(0, os.path.join(ROOT, "tests", "emulators"))
import fixture  # noqa: E402
import graph  # noqa: E402

binary, users, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = sys.argv[4]
# LATENCY_MS: the emulator waits this long before each answer, as a remote
# Graph does (0: answers at once, which measures dirgate's own processing).
latency_ms = int(os.environ.get("LATENCY_MS", "0"))
CLIENT = "8255370c-5d0d-4f37-97e7-30f9bf8a6fbf"
TENANT = "015b1e55-614a-4fea-a7ff-59a9f85ebb1a"
tmp = tempfile.mkdtemp(prefix="dg-bench-m365-")
tls = fixture.make_tls(os.path.join(tmp, "tls"))
os.mkdir(os.path.join(tmp, "cert"))
subprocess.run([binary, "cert", "new", "--subject", "bench", "--days", "2", "--out",
                os.path.join(tmp, "cert")], check=True, capture_output=True)
cert, key = (os.path.join(tmp, "cert", n) for n in ("certificate.pem", "private-key.pem"))


def timed(cmd, env=None):
    """(seconds, peak RSS in MB) of one run, by GNU time."""
    tf = os.path.join(tmp, "time.txt")
    subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", tf] + cmd, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    secs, rss = open(tf).read().split()[-2:]
    return float(secs), int(rss) / 1024


with fixture.OidcProvider("entra", tmp, tenant=TENANT, client_id=CLIENT, client_cert=cert,
                          tls_dir=tls) as op:
    faults = graph.Faults()
    faults.slow_seconds = latency_ms / 1000.0
    emu = graph.GraphEmulator(tls, op.jwks_uri, op.ca_file, TENANT, op.issuer,
                              graph.Directory(graph.generate_users(users), []),
                              cache_pages=True, faults=faults).start()
    try:
        prof = os.path.join(tmp, "profile.json")
        json.dump({"name": "bench-m365", "directory": {
            "type": "microsoft-365", "tenantId": TENANT, "clientId": CLIENT,
            "certificate": {"certFile": cert, "keyFile": key},
            "filters": {"exchangeUsersOnly": True, "enabledUsersOnly": True},
            "tls": {"caFile": op.ca_file},
            "authorityUrl": op.authority, "apiUrl": emu.base}}, open(prof, "w"))
        env = dict(os.environ)
        dg_cmd = [binary, "preview", prof, "--format", "json", "--output", out]
        timed(dg_cmd, env)                       # warm-up: renders and caches the pages
        pages = [emu.base + p for p, st in emu.requests if p.startswith("/v1.0/users")]
        st, tok = fixture.token_request(op, CLIENT, fixture.sign_assertion(key, cert, CLIENT,
                                                                           op.token_endpoint))
        cfg = os.path.join(tmp, "curl.cfg")    # the token in a file, not in argv
        with open(cfg, "w") as f:
            for i, u in enumerate(pages):   # "next" resets options: repeat them
                if i:
                    f.write("next\n")
                f.write('cacert = "%s"\nsilent\nfail\nheader = "Authorization: Bearer %s"\n'
                        'url = "%s"\noutput = "/dev/null"\n' % (op.ca_file, tok["access_token"], u))
        os.chmod(cfg, 0o600)
        best_dg, best_curl, rss_dg = None, None, 0
        for i in range(runs):
            s, r = timed(dg_cmd, env)
            c, _ = timed(["curl", "-K", cfg])
            print("run %d: dirgate %.2fs (%.0f MB), curl %.2fs" % (i + 1, s, r, c), flush=True)
            if best_dg is None or s < best_dg:
                best_dg, rss_dg = s, r
            best_curl = c if best_curl is None or c < best_curl else best_curl
    finally:
        emu.stop()
shutil.rmtree(tmp, ignore_errors=True)   # the token-signing key and certificate too
summary = json.load(open(out))["summary"]
ratio = best_dg / best_curl if best_curl else float("inf")
judged = os.environ.get("JUDGED", "1") == "1"
print("m365 preview, latency %d ms: %d users in %d pages: dirgate %.2fs, curl %.2fs = %.2fx%s, "
      "peak RSS %.0f MB (target <= 120); users %d, skipped %d"
      % (latency_ms, users, len(pages), best_dg, best_curl, ratio,
         " (target <= 1.2)" if judged else "", rss_dg, summary["users"], summary["skipped"]))
sys.exit(0 if (ratio <= 1.2 or not judged) and rss_dg <= 120 else 1)
