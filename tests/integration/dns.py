"""A tiny DNS server for the tests (stdlib only): UDP on 127.0.0.1:53
inside the test's own network namespace, answering from a fixed table.

    with DnsServer({("_ldap._tcp.dc._msdcs.example.test", "SRV"):
                        [(0, 5, 389, "localhost")],
                    ("example.test", "A"): ["127.0.0.1"]}) as dns: ...

Names not in the table get NXDOMAIN; a known name asked for another type
gets an empty NOERROR answer, as real servers do.  Strict about what it
accepts: one question, class IN, no compression in the query."""

import socket
import struct
import threading

TYPES = {"A": 1, "AAAA": 28, "SRV": 33}


def _name(n):
    out = b""
    for part in n.strip(".").split("."):
        if part:
            out += bytes([len(part)]) + part.encode("ascii")
    return out + b"\0"


def _parse_question(q):
    """(name, qtype, end offset) of the first question, or None."""
    if len(q) < 12 or struct.unpack(">H", q[4:6])[0] != 1:
        return None
    i, labels = 12, []
    while True:
        if i >= len(q):
            return None
        n = q[i]
        if n == 0:
            i += 1
            break
        if n & 0xC0 or i + 1 + n > len(q):
            return None
        labels.append(q[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    if i + 4 > len(q):
        return None
    qtype, qclass = struct.unpack(">HH", q[i:i + 4])
    if qclass != 1:
        return None
    return ".".join(labels).lower(), qtype, i + 4


class DnsServer:
    def __init__(self, table, port=53):
        self.table = {(k[0].lower().strip("."), TYPES[k[1]]): v for k, v in table.items()}
        self.names = {k[0] for k in self.table}
        self.port = port
        self.sock = None
        self.thread = None
        self.queries = []

    def __enter__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping = True
        self.thread.join(timeout=5)
        self.sock.close()
        return False

    def _serve(self):
        while not self.stopping:
            try:
                q, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            ans = self._answer(q)
            if ans:
                self.sock.sendto(ans, peer)

    def _answer(self, q):
        parsed = _parse_question(q)
        if not parsed:
            return None   # not a query we accept: silence, like a firewall
        name, qtype, end = parsed
        self.queries.append((name, qtype))
        records = self.table.get((name, qtype), [])
        rcode = 0 if name in self.names else 3
        head = q[:2] + struct.pack(">HHHHH", 0x8180 | rcode, 1, len(records), 0, 0)
        out = head + q[12:end]
        for r in records:
            if qtype == TYPES["SRV"]:
                prio, weight, port, target = r
                rdata = struct.pack(">HHH", prio, weight, port) + _name(target)
            elif qtype == TYPES["A"]:
                rdata = socket.inet_aton(r)
            else:
                continue
            out += b"\xc0\x0c" + struct.pack(">HHIH", qtype, 1, 60, len(rdata)) + rdata
        return out
