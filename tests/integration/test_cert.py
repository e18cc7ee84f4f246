#!/usr/bin/env python3
"""dirgate cert new: key file mode, thumbprints as openssl computes them,
no overwriting, usage errors, the private key never printed, and a
microsoft-365 profile using the new pair passes the offline key checks."""
import json
import os
import re
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from tap import Tap, run  # noqa: E402

binary = os.path.abspath(sys.argv[1])
t = Tap()
tmpdir = tempfile.TemporaryDirectory(prefix="dg-cert-")  # removed at exit: private keys
tmp = tmpdir.name


def openssl(*args):
    return subprocess.run(["openssl"] + list(args), capture_output=True, text=True,
                          timeout=60, check=True).stdout


def fingerprint(cert, md):
    out = openssl("x509", "-in", cert, "-noout", "-fingerprint", "-" + md)
    return out.strip().split("=", 1)[1].replace(":", "").upper()


out = os.path.join(tmp, "a")
os.mkdir(out)
p = run(binary, ["cert", "new", "--subject", "MailStore Entra ID", "--days", "730",
                 "--out", out, "--format", "json"])
t.check(p.returncode == 0, "cert new succeeds", p.stderr.decode())
info = json.loads(p.stdout) if p.returncode == 0 else {}
crt, key = os.path.join(out, "certificate.pem"), os.path.join(out, "private-key.pem")
t.check(info.get("certFile") == crt and info.get("keyFile") == key, "reports both files", info)
t.check(stat.S_IMODE(os.stat(key).st_mode) == 0o600, "private key has mode 0600",
        oct(os.stat(key).st_mode))
text = openssl("x509", "-in", crt, "-noout", "-text")
t.check("Public-Key: (2048 bit)" in text and "sha256WithRSAEncryption" in text,
        "RSA 2048 key, SHA-256 signature", text[:600])
t.check("Issuer: CN = MailStore Entra ID" in text and "Subject: CN = MailStore Entra ID" in text,
        "self-signed with the given common name", text[:600])
t.check("TLS Web Client Authentication" in text and "CA:FALSE" in text,
        "client-authentication end-entity certificate", text)
t.check(info.get("sha1Thumbprint") == fingerprint(crt, "sha1"), "SHA-1 thumbprint matches openssl",
        info)
t.check(info.get("sha256Thumbprint") == fingerprint(crt, "sha256"),
        "SHA-256 thumbprint matches openssl", info)
end = openssl("x509", "-in", crt, "-noout", "-enddate").strip().split("=", 1)[1]
days = int(subprocess.run(["date", "-u", "-d", end, "+%s"], capture_output=True,
                          text=True).stdout) // 86400
import time  # noqa: E402
t.check(abs(days - (int(time.time()) // 86400 + 730)) <= 1, "expires after 730 days", end)
mod_key = openssl("rsa", "-in", key, "-noout", "-modulus")
mod_crt = openssl("x509", "-in", crt, "-noout", "-modulus")
t.check(mod_key == mod_crt, "private key belongs to the certificate")

# The key's base64 body must not show up anywhere in the output.
key_body = "".join(line for line in open(key) if not line.startswith("-----"))
t.check(key_body[:40] not in (p.stdout + p.stderr).decode(), "private key never printed")

# Text output names the portal's thumbprint and the expiry.
out_text = os.path.join(tmp, "text")
os.mkdir(out_text)
p = run(binary, ["cert", "new", "--subject", "CN=contoso", "--days", "1", "--out", out_text])
so = p.stdout.decode()
t.check(p.returncode == 0 and "SHA-1 thumbprint:" in so and "expires:" in so
        and fingerprint(os.path.join(out_text, "certificate.pem"), "sha1") in so,
        "text output shows thumbprints and expiry", so + p.stderr.decode())
# What to do with the files comes from the providers whose app registration
# signs in with a certificate (microsoft-365): each named by its type.
t.check(re.search(r'^SHA-1 thumbprint: +[0-9A-F]{40} \(for microsoft-365 profiles, the Entra '
                  r'portal\'s "Thumbprint"\)$', so, re.M) and
        re.search(r"^next: for microsoft-365 profiles, upload the certificate to the app "
                  r"registration \(Certificates & secrets > Certificates > Upload certificate\), "
                  r"then set certFile and keyFile in the profile\.$", so, re.M),
        "text output: the portal's name for the thumbprint and the next step, per provider", so)
t.check("Subject: CN = contoso" in openssl("x509", "-in", os.path.join(out_text, "certificate.pem"),
                                             "-noout", "-text"), "a leading CN= is accepted")

# Never overwrite: the old files stay byte for byte.
before = open(key, "rb").read(), open(crt, "rb").read()
p = run(binary, ["cert", "new", "--subject", "x", "--days", "10", "--out", out])
t.check(p.returncode == 1 and b"already exists" in p.stderr, "refuses to overwrite", p.stderr)
t.check((open(key, "rb").read(), open(crt, "rb").read()) == before, "existing files untouched")
# Only the certificate exists: still refused, and no key written beside it.
half = os.path.join(tmp, "half")
os.mkdir(half)
open(os.path.join(half, "certificate.pem"), "w").write("x")
p = run(binary, ["cert", "new", "--subject", "x", "--days", "10", "--out", half])
t.check(p.returncode == 1 and not os.path.exists(os.path.join(half, "private-key.pem")),
        "refusal leaves no key behind", p.stderr)

for args, why in [
        (["--subject", "x", "--days", "0", "--out", tmp], "0 days"),
        (["--subject", "x", "--days", "3651", "--out", tmp], "3651 days"),
        (["--subject", "x", "--days", "ten", "--out", tmp], "non-numeric days"),
        (["--subject", "", "--days", "10", "--out", tmp], "empty subject"),
        (["--subject", "a" * 65, "--days", "10", "--out", tmp], "65-character subject"),
        (["--subject", "x", "--days", "10", "--out", os.path.join(tmp, "nope")], "missing dir"),
        (["--subject", "x", "--days", "10"], "no --out"),
        (["--days", "10", "--out", tmp], "no --subject")]:
    p = run(binary, ["cert", "new"] + args)
    t.check(p.returncode == 64 and b"see 'dirgate cert --help'" in p.stderr,
            "usage error: " + why, p.stderr)
p = run(binary, ["cert", "old"])
t.check(p.returncode == 64, "unknown cert subcommand is a usage error", p.stderr)

# The new pair passes the profile's offline certificate checks.
prof = os.path.join(tmp, "m365.json")
json.dump({"name": "cert-test", "directory": {
    "type": "microsoft-365", "tenantId": "015b1e55-614a-4fea-a7ff-59a9f85ebb1a",
    "clientId": "8255370c-5d0d-4f37-97e7-30f9bf8a6fbf",
    "certificate": {"certFile": crt, "keyFile": key}}}, open(prof, "w"))
p = run(binary, ["check", prof, "--offline", "--format", "json"])
res = json.loads(p.stdout or b"{}")
codes = [f["code"] for f in res.get("findings", [])]
t.check("CERT011" in codes and not any(c.startswith("CERT0") and c != "CERT011" for c in codes),
        "check accepts the new certificate and key", codes)
t.check(any(info.get("sha1Thumbprint", "?") in f["message"] for f in res.get("findings", [])),
        "check shows the same SHA-1 thumbprint", res)
t.done()
