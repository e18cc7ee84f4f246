"""Starts the HTTPS test listeners (http_server.py) with the slapd.py test
certificates, runs the C test program test_http with their ports in DG_IT_*
variables, passes its TAP output through and stops everything.

usage: test_http.py TEST_PROGRAM"""

import hashlib
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import http_server  # noqa: E402
import slapd  # noqa: E402

PROGRAM_TIMEOUT = 120


def sha256_of(crt):
    with open(crt) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return hashlib.sha256(der).hexdigest()


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 64
    if not shutil.which("openssl"):
        print("1..0 # SKIP openssl not installed (scripts/install-deps.sh --test)")
        return 0
    child = []
    slapd.install_signal_handlers(lambda: [p.kill() for p in child if p.poll() is None])
    blackhole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen(8)
    with tempfile.TemporaryDirectory(prefix="dg-http-") as d:
        certs = slapd.Certs(d)
        with http_server.HttpsServers(certs) as s:
            env = {k: v for k, v in os.environ.items()
                   if k.lower() not in ("https_proxy", "http_proxy", "all_proxy")}
            env.update({
                "DG_IT_CA": certs.ca_crt,
                "DG_IT_GOOD_SHA256": sha256_of(certs.good[0]),
                "DG_IT_BADCA_SHA256": sha256_of(certs.badca[0]),
                "DG_IT_DEAD_PORT": str(slapd.free_port()),
                "DG_IT_BLACKHOLE_PORT": str(blackhole.getsockname()[1]),
            })
            for name in ("good", "badca", "wronghost", "expired"):
                env["DG_IT_%s_PORT" % name.upper()] = str(s.port(name))
            p = subprocess.Popen([sys.argv[1]], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT)
            child.append(p)
            try:
                out, _ = p.communicate(timeout=PROGRAM_TIMEOUT)
            except subprocess.TimeoutExpired:
                p.kill()
                out, _ = p.communicate()
                print("# the test program did not finish within %d s" % PROGRAM_TIMEOUT)
            sys.stdout.write(out.decode("utf-8", "replace"))
            sys.stdout.flush()
            blackhole.close()
            return p.returncode


if __name__ == "__main__":
    sys.exit(main())
