#!/usr/bin/env python3
"""The test fixtures themselves: a server started on a port that another
process took in between (tests run in parallel) moves to new ports and is
checked to be ours, not whoever answers there; a "dead" port refuses
connections for as long as it is held.  Prints TAP."""
import os
import shutil
import socket
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(os.path.dirname(here), "cli"))
import slapd  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
if not shutil.which("slapd"):
    print("1..0 # SKIP slapd not installed (scripts/install-deps.sh --test)")
    sys.exit(0)
tmp = tempfile.mkdtemp(prefix="dg-fixtures-")
server = None
try:
    certs = slapd.Certs(os.path.join(tmp, "tls"))
    server = slapd.Slapd(tmp, "main", certs.good, certs.ca_crt)
    # another process listens on the LDAPS port between choice and start
    with socket.socket() as other:
        other.bind(("127.0.0.1", server.ldaps_port))
        other.listen(1)
        taken = server.ldaps_port
        try:
            server.start()
            started = None
        except RuntimeError as e:
            started = str(e)
        t.check(started is None and server.ldaps_port != taken,
                "slapd whose port was taken starts on new ports", (started, taken))
        t.check(started is None and server._ours() and not slapd.owns_port(server.proc.pid, taken),
                "the server answering on the ports is the one started", taken)
    dead = slapd.dead_port()
    port = dead.getsockname()[1]
    with socket.socket() as c:
        c.settimeout(5)
        refused = c.connect_ex(("127.0.0.1", port)) != 0
    t.check(refused and not slapd.owns_port(os.getpid(), port),
            "a held dead port refuses connections", port)
    dead.close()
finally:
    if server:
        server.stop()
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
