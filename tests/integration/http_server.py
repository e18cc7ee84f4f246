"""A small HTTPS server for testing src/net/http.c: answers, faults and
counters on request, one listener per test certificate (slapd.Certs: good,
unknown CA, wrong host name, expired).

Paths (query parameters in brackets):
  /echo                 200, JSON of method, path, client port, headers and body
  /status[code,ctype]   that status with a text body
  /busy[key,n,after,code]  `code` (429) with Retry-After: `after` for the first
                        n requests of key, then 200; after=date sends an HTTP date
  /drop[key,n]          closes the connection without an answer n times, then 200
  /slow[ms,key]         waits, then 200; tracks concurrency per key
  /big[bytes]           a body of that size
  /cut[key,n,bytes]     200 with a body of that size (digits 0-9 over and over),
                        cut off after half of it n times, then whole
  /count[key]           how many requests key has seen
  /stats[key]           {"max_concurrent": N} of /slow with that key
  /token[key,n]         a token endpoint: 503 (Retry-After: 0) n times, then a
                        token, or invalid_grant when the body repeats an earlier
                        one (a replayed single-use assertion)
"""

import email.utils
import http.server
import json
import os
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.bodies = {}
        self.active = {}
        self.max_active = {}

    def hit(self, key):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, fmt, *args):
        pass

    def _send(self, code, body, ctype="text/plain", extra=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        n = self.headers.get("Content-Length")
        return self.rfile.read(int(n)) if n else b""

    def handle_any(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        body = self._body()
        st = self.state
        if u.path == "/echo":
            self._send(200, json.dumps({
                "method": self.command, "path": self.path,
                "peer_port": self.client_address[1],
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace")}), "application/json")
        elif u.path == "/status":
            self._send(int(q.get("code", "200")), "status %s\n" % q.get("code"),
                       q.get("ctype", "text/plain"))
        elif u.path == "/busy":
            n = st.hit(q["key"])
            if n <= int(q.get("n", "1")):
                after = q.get("after", "1")
                if after == "date":
                    after = email.utils.formatdate(time.time() + 1, usegmt=True)
                self._send(int(q.get("code", "429")), "busy\n", extra=[("Retry-After", after)])
            else:
                self._send(200, "done after %d\n" % n)
        elif u.path == "/drop":
            if st.hit(q["key"]) <= int(q.get("n", "1")):
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self._send(200, "not dropped\n")
        elif u.path == "/slow":
            key = q.get("key", "")
            with st.lock:
                st.active[key] = st.active.get(key, 0) + 1
                st.max_active[key] = max(st.max_active.get(key, 0), st.active[key])
            try:
                time.sleep(int(q.get("ms", "100")) / 1000.0)
            finally:
                with st.lock:
                    st.active[key] -= 1
            self._send(200, "slow\n")
        elif u.path == "/token":
            key = q["key"]
            with st.lock:
                seen = st.bodies.setdefault(key, [])
                replay = body in seen
                seen.append(body)
            if st.hit(key) <= int(q.get("n", "1")):
                self._send(503, "busy\n", extra=[("Retry-After", "0")])
            elif replay:
                self._send(400, json.dumps({"error": "invalid_grant",
                                            "error_description": "assertion replayed"}),
                           "application/json")
            else:
                self._send(200, json.dumps({"access_token": "tok-" + key,
                                            "token_type": "Bearer", "expires_in": 3600}),
                           "application/json")
        elif u.path == "/cut":
            size = int(q.get("bytes", "100000"))
            data = (b"0123456789" * (size // 10 + 1))[:size]
            if st.hit(q["key"]) <= int(q.get("n", "1")):
                self.send_response(200)
                self.send_header("Content-Length", str(size))
                self.end_headers()
                self.wfile.write(data[:size // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self._send(200, data)
        elif u.path == "/big":
            self._send(200, b"x" * int(q.get("bytes", "1000")))
        elif u.path == "/count":
            with st.lock:
                self._send(200, str(st.counts.get(q["key"], 0)))
        elif u.path == "/stats":
            with st.lock:
                m = st.max_active.get(q.get("key", ""), 0)
            self._send(200, json.dumps({"max_concurrent": m}), "application/json")
        else:
            self._send(404, "no such path\n")

    do_GET = do_POST = do_PUT = do_DELETE = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # Refused handshakes and dropped connections are what the tests
        # provoke; a traceback for each would only hide real failures.
        if not isinstance(sys.exc_info()[1], (OSError, ssl.SSLError)):
            super().handle_error(request, client_address)


class HttpsServers:
    """One HTTPS listener per certificate, all sharing one State."""

    def __init__(self, certs):
        self.state = State()
        handler = type("H", (Handler,), {"state": self.state})
        self.servers = {}
        for name, (crt, key) in (("good", certs.good), ("badca", certs.badca),
                                 ("wronghost", certs.wronghost), ("expired", certs.expired)):
            srv = Server(("127.0.0.1", 0), handler)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(crt, key)
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
            self.servers[name] = srv
        self.threads = []

    def __enter__(self):
        for srv in self.servers.values():
            t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1},
                                 daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def __exit__(self, *exc):
        for srv in self.servers.values():
            srv.shutdown()
            srv.server_close()

    def port(self, name):
        return self.servers[name].server_address[1]


if __name__ == "__main__":
    sys.exit("imported by test_http.py")
