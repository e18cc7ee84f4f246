#!/usr/bin/env python3
"""A tiny LDAPv3 server for faults a real slapd will not produce.

Standard library only; listens on 127.0.0.1 only; prints its port on the
first line of standard output and serves until standard input closes (the
test that started it then needs no signal to stop it).  Filters are
ignored: a subtree search returns every entry of the scenario.  The
scenario is the search base's first RDN:

  ou=ok         60 users, paging honoured (cookie = offset)
  ou=nocontrol  first page with a cookie, then a final page whose answer
                carries no paged-results control at all
  ou=badcontrol the answer's paged-results control value is not BER
  ou=refuse     a search WITH the paged-results control is refused (result
                12, "control not allowed"); without it, all 60 users
  ou=refuse11   the same refusal as result 11 (adminLimitExceeded)
  ou=huge       one entry whose description is 3 MiB
  ou=slow       60 users, one every 0.1 s (6 s in all)
  ou=ranged     cn=big with member;range=0-2, the rest only when asked
                for member;range=3-* (3-5) and member;range=6-* (6-9)

Every bind succeeds, except one as "ad-data-XXX@...": it gets what AD
answers a bind it refuses, invalidCredentials (49) with data code XXX.

The RootDSE lists the paged-results control."""
import socket
import sys
import threading
import time

PAGED = b"1.2.840.113556.1.4.319"
SUFFIX = b"dc=fake"
N_USERS = 60


# ---- BER -----------------------------------------------------------------

def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        ln = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        ln = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + ln + body


def integer(tag, v):
    return tlv(tag, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True))


def octets(v):
    return tlv(0x04, v)


def seq(*parts, tag=0x30):
    return tlv(tag, b"".join(parts))


def parse(buf, pos=0):
    """(tag, body, next position) of the TLV at pos."""
    tag = buf[pos]
    n = buf[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[pos:pos + k], "big")
        pos += k
    return tag, buf[pos:pos + n], pos + n


def children(body):
    out, pos = [], 0
    while pos < len(body):
        tag, b, pos = parse(body, pos)
        out.append((tag, b))
    return out


def to_int(b):
    return int.from_bytes(b, "big", signed=True) if b else 0


# ---- LDAP messages ------------------------------------------------------

def message(msgid, op, controls=b""):
    return seq(integer(0x02, msgid), op, controls)


def result(tag, code, diag=b""):
    return seq(integer(0x0A, code), octets(b""), octets(diag), tag=tag)


def entry(dn, attrs):
    return seq(octets(dn), seq(*[seq(octets(a), seq(*[octets(v) for v in vals], tag=0x31))
                                  for a, vals in attrs]), tag=0x64)


def paged_control(cookie, raw=None):
    value = raw if raw is not None else seq(integer(0x02, 0), octets(cookie))
    return seq(seq(octets(PAGED), octets(value)), tag=0xA0)


def user(i, base):
    uid = b"u%03d" % i
    return entry(b"uid=" + uid + b"," + base,
                 [(b"objectClass", [b"inetOrgPerson"]), (b"uid", [uid]),
                  (b"cn", [b"User " + uid]), (b"mail", [uid + b"@fake.example"])])


def bind_result(name):
    if not name.startswith(b"ad-data-"):
        return result(0x61, 0)
    data = name[len(b"ad-data-"):].split(b"@")[0]
    return result(0x61, 49, b"80090308: LdapErr: DSID-0C09042A, comment: "
                  b"AcceptSecurityContext error, data " + data + b", v4563")


def member_dn(i):
    return b"uid=u%03d,ou=ranged,dc=fake" % i


# ---- one connection -------------------------------------------------------

class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def read_message(self):
        while True:
            if len(self.buf) >= 2:
                try:
                    tag, body, end = parse(self.buf)
                    if end <= len(self.buf):
                        self.buf = self.buf[end:]
                        return body
                except IndexError:
                    pass
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk

    def send(self, data):
        self.sock.sendall(data)

    def serve(self):
        while True:
            body = self.read_message()
            if body is None:
                return
            parts = children(body)
            msgid = to_int(parts[0][1])
            op_tag, op = parts[1]
            controls = parts[2][1] if len(parts) > 2 and parts[2][0] == 0xA0 else b""
            if op_tag == 0x60:      # bind: anyone may, but see bind_result
                self.send(message(msgid, bind_result(children(op)[1][1])))
            elif op_tag == 0x42:    # unbind
                return
            elif op_tag == 0x63:
                self.search(msgid, children(op), controls)
            # abandon (0x50) and anything else: no answer

    def search(self, msgid, req, controls):
        base, scope = req[0][1], to_int(req[1][1])
        attrs = [v for _, v in children(req[7][1])] if len(req) > 7 else []
        paged = None
        for _, ctl in children(controls):
            c = children(ctl)
            if c[0][1] == PAGED:
                v = children(children(c[-1][1])[0][1]) if len(c) > 1 and c[-1][0] == 0x04 else []
                paged = (to_int(v[0][1]), v[1][1]) if v else (0, b"")
        done = lambda code=0, diag=b"", ctl=b"": self.send(
            message(msgid, result(0x65, code, diag), ctl))
        if base == b"" and scope == 0:
            self.send(message(msgid, entry(b"", [(b"supportedControl", [PAGED]),
                                                 (b"supportedLDAPVersion", [b"3"]),
                                                 (b"namingContexts", [SUFFIX])])))
            return done()
        scenario = base.split(b",")[0].split(b"=")[-1]
        if b"ou=ranged," in base and scope == 0:
            return self.ranged_read(msgid, base, attrs, done)
        getattr(self, "s_" + scenario.decode(), self.s_ok)(msgid, base, paged, done)

    def page(self, msgid, base, paged, done, raw=None, last_control=True):
        size, cookie = paged if paged else (N_USERS, b"")
        start = int(cookie or b"0")
        end = min(N_USERS, start + (size or N_USERS))
        for i in range(start, end):
            self.send(message(msgid, user(i, base)))
        if not paged:
            return done()
        if end >= N_USERS and not last_control:
            return done()
        return done(ctl=paged_control(b"%d" % end if end < N_USERS else b"", raw))

    def s_ok(self, msgid, base, paged, done):
        self.page(msgid, base, paged, done)

    def s_nocontrol(self, msgid, base, paged, done):
        # the second page is the last one: its answer forgets the control
        if paged and paged[1]:
            paged = (N_USERS, paged[1])
            start = int(paged[1])
            for i in range(start, start + 5):
                self.send(message(msgid, user(i, base)))
            return done()
        self.page(msgid, base, paged, done)

    def s_badcontrol(self, msgid, base, paged, done):
        self.page(msgid, base, paged, done, raw=b"\xff\x00garbage")

    def s_refuse(self, msgid, base, paged, done, code=12):
        if paged:
            return done(code, b"control not allowed")
        self.page(msgid, base, None, done)

    def s_refuse11(self, msgid, base, paged, done):
        self.s_refuse(msgid, base, paged, done, code=11)

    def s_huge(self, msgid, base, paged, done):
        self.send(message(msgid, entry(b"uid=big," + base,
                                       [(b"uid", [b"big"]),
                                        (b"description", [b"x" * (3 << 20)])])))
        done(ctl=paged_control(b"") if paged else b"")

    def s_slow(self, msgid, base, paged, done):
        for i in range(N_USERS):
            self.send(message(msgid, user(i, base)))
            time.sleep(0.1)
        done(ctl=paged_control(b"") if paged else b"")

    def s_ranged(self, msgid, base, paged, done):
        self.send(message(msgid, entry(b"cn=big," + base,
                                       [(b"cn", [b"big"]),
                                        (b"member;range=0-2", [member_dn(i) for i in range(3)])])))
        done(ctl=paged_control(b"") if paged else b"")

    def ranged_read(self, msgid, base, attrs, done):
        want = attrs[0] if attrs else b""
        if want.lower() == b"member;range=3-*":
            a = (b"member;range=3-5", [member_dn(i) for i in range(3, 6)])
        elif want.lower() == b"member;range=6-*":
            a = (b"member;range=6-*", [member_dn(i) for i in range(6, 10)])
        else:
            return done(32)
        self.send(message(msgid, entry(base, [a])))
        done()


def main():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(0.2)
    print(srv.getsockname()[1], flush=True)
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    deadline = time.monotonic() + 600  # bounded even if the test forgets us
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            s, _ = srv.accept()
        except socket.timeout:
            continue
        s.settimeout(30)
        threading.Thread(target=lambda s=s: serve_one(s), daemon=True).start()
    srv.close()


def serve_one(s):
    try:
        Conn(s).serve()
    except (OSError, IndexError):
        pass
    finally:
        s.close()


if __name__ == "__main__":
    main()
