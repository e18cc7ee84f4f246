#!/usr/bin/env python3
"""The MailStore API emulator is strict: it refuses what the reference says
MailStore refuses (or what clients must not rely on), so the end-to-end
tests prove something.  Raw HTTP against it, no dirgate involved."""

import base64
import http.client
import json
import os
import socket
import ssl
import sys
import time
import urllib.parse

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(here), "cli"))
sys.path.insert(0, os.path.join(os.path.dirname(here), "emulators"))
from tap import Tap  # noqa: E402
from mailstore_fixture import Emulator  # noqa: E402

t = Tap()
BOM = b"\xef\xbb\xbf"


class Client:
    def __init__(self, emu):
        self.emu = emu
        self.ctx = ssl.create_default_context(cafile=emu.ca_file)
        self.auth = "Basic " + base64.b64encode(("admin:" + emu.password).encode()).decode()

    def raw(self, method, path, body=b"", headers=None, auth=True, length=True):
        c = http.client.HTTPSConnection("127.0.0.1", self.emu.port, context=self.ctx,
                                        timeout=30)
        c.putrequest(method, path, skip_accept_encoding=True)
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        if auth:
            h["Authorization"] = self.auth
        h.update(headers or {})
        for k, v in h.items():
            if v is not None:
                c.putheader(k, v)
        if length:
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body if body else None)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, dict(r.getheaders()), data

    def call(self, fn, body=b"", **kw):
        status, headers, data = self.raw("POST", "/api/invoke/" + fn, body, **kw)
        env = json.loads(data[3:]) if status == 200 and data.startswith(BOM) else None
        return status, env, data


with Emulator(users=[{"userName": "frank.clark", "fullName": "Frank Clark",
                      "emailAddresses": ["frank.clark@example.com"]}],
              config={"opaque": {"k": [1]}}, directory=[{"userName": "new.user"}]) as emu:
    c = Client(emu)
    st, env, data = c.call("GetServerInfo")
    t.check(st == 200 and data.startswith(BOM) and env["statusCode"] == "succeeded" and
            set(env) == {"error", "token", "statusVersion", "statusCode", "percentProgress",
                         "statusText", "result", "logOutput"},
            "BOM and the 8-field envelope", data[:200])
    st, hdr, data = c.raw("POST", "/api/invoke/GetServerInfo", auth=False)
    t.check(st == 401 and "Basic" in hdr.get("WWW-Authenticate", ""),
            "no credentials: 401 with a Basic challenge", st)
    c2 = Client(emu)
    c2.auth = "Basic " + base64.b64encode(b"admin:wrong").decode()
    t.check(c2.call("GetServerInfo")[0] == 401, "wrong password: 401")
    st, hdr, data = c.raw("POST", "/api/invoke/GetServerInfo", length=False)
    t.check(st == 411, "POST without Content-Length: 411", st)
    st, hdr, data = c.raw("POST", "/api/invoke/GetUserInfo", b'{"userName":"x"}',
                          headers={"Content-Type": "application/json"})
    t.check(st == 415, "a body that is not form-encoded: 415", st)
    st, hdr, data = c.raw("GET", "/api/invoke/GetServerInfo")
    t.check(st == 405, "GET on a function: 405", st)
    st, env, _ = c.call("NoSuchFunction")
    t.check(env and env["statusCode"] == "failed" and "Unknown API function" in
            env["error"]["message"], "unknown function: failed envelope")
    st, env, _ = c.call("GetUserInfo", b"userName=frank.clark&color=blue")
    t.check(env and "Unknown API argument color" in env["error"]["message"],
            "unknown argument refused")
    st, env, _ = c.call("GetUserInfo", b"username=frank.clark")
    t.check(env and env["statusCode"] == "failed", "argument names are case sensitive")
    st, env, _ = c.call("GetUserInfo")
    t.check(env and env["error"]["message"] == "Missing API argument userName.",
            "missing argument: MailStore's message")
    st, env, _ = c.call("SyncUsersWithDirectoryServices", b"dryRun=True")
    t.check(env and "true or false" in env["error"]["message"], "upper-case boolean refused")
    st, env, _ = c.call("SetDirectoryServicesConfiguration", b"config={not json")
    t.check(env and "Invalid JSON" in env["error"]["message"], "bad JSON argument refused")
    st, env, _ = c.call("GetUserInfo", b"userName=frank.clark")
    t.check(env and env["result"]["emailAddresses"] == ["frank.clark@example.com"] and
            env["result"]["authentication"] == "integrated", "GetUserInfo shape")
    st, env, _ = c.call("CreateUser", b"userName=x&privileges=admin,login")
    t.check(env and env["statusCode"] == "failed", "admin must stand alone")
    st, env, _ = c.call("GetDirectoryServicesConfiguration")
    t.check(env and env["result"] == {"opaque": {"k": [1]}}, "config store is opaque")
    # The shapes MailStore's own clients depend on (mailstore-admin-api.md):
    # §1.7 get-metadata answers a bare JSON array behind the BOM -- the 2024
    # Python wrapper extends a list with it, the PowerShell wrapper splices
    # its text after a '[' -- while every other call answers the envelope
    # (§1.4); booleans are lower-case JSON literals and a json argument is
    # one form field holding the JSON text (§1.3).
    st, hdr, data = c.raw("POST", "/api/get-metadata", auth=False)
    meta = json.loads(data[3:]) if data.startswith(BOM) else None
    t.check(st == 200 and data[3:4] == b"[" and isinstance(meta, list),
            "get-metadata: a bare JSON array behind the BOM, not an envelope (1.7)",
            data[:200])
    t.check(isinstance(meta, list) and
            any(f["name"] == "SyncUsersWithDirectoryServices" and
                f["args"] == [{"name": "dryRun", "type": "bool", "nullable": True}]
                for f in meta) and
            not any(f["name"] == "get-status" for f in meta),
            "get-metadata: descriptors, no base functions, no auth on Server", data[:200])
    st, env, data = c.call("GetUsers")
    t.check(st == 200 and data.startswith(BOM + b"{") and env["statusCode"] == "succeeded",
            "every function call answers the status envelope (1.4)", data[:120])
    st, env, _ = c.call("SyncUsersWithDirectoryServices", b"dryRun=False")
    t.check(env and env["statusCode"] == "failed", "dryRun=False refused: lower case only (1.3)")
    cfg = {"opaque": {"k": [1]}, "text": "a+b&c=d%20e"}
    st, env, _ = c.call("SetDirectoryServicesConfiguration",
                        ("config=" + urllib.parse.quote(json.dumps(cfg), safe="")).encode())
    st, got, _ = c.call("GetDirectoryServicesConfiguration")
    t.check(env and env["statusCode"] == "succeeded" and got["result"] == cfg,
            "config: one form field holding the JSON text, percent-encoded (1.3)", got)
    st, env, _ = c.call("SetDirectoryServicesConfiguration", b"config[opaque]=1")
    t.check(env and env["statusCode"] == "failed", "config split into fields is refused")
    c.call("SetDirectoryServicesConfiguration",
           ("config=" + urllib.parse.quote(json.dumps({"opaque": {"k": [1]}}))).encode())
    emu.control("metadata-form", {"form": "envelope"})
    st, hdr, data = c.raw("POST", "/api/get-metadata")
    env = json.loads(data[3:])
    t.check(env["statusCode"] == "succeeded" and isinstance(env["result"], list),
            "--metadata-form envelope: the tolerant-reader variant", data[:120])
    emu.control("metadata-form", {"form": "array"})
    # CreateJob as MailStore's Python wrapper documents it: dayOfMonth is a
    # string, 1 to 31 or "Last", and needs a time; intervals from a fixed set.
    job = b"name=j&action=x&owner=admin&timeZoneId=%24Local"
    st, env, _ = c.call("CreateJob", job + b"&time=02:00&dayOfMonth=Last")
    t.check(env and env["statusCode"] == "succeeded", "CreateJob: dayOfMonth=Last accepted", env)
    st, env, _ = c.call("CreateJob", job + b"&dayOfMonth=3")
    t.check(env and env["statusCode"] == "failed", "CreateJob: dayOfMonth without time refused")
    st, env, _ = c.call("CreateJob", job + b"&interval=7")
    t.check(env and env["statusCode"] == "failed", "CreateJob: interval outside the set refused")
    st, hdr, data = c.raw("POST", "/api//get-metadata")
    t.check(st == 200, "a double slash is tolerated")
    # async: running, token, rising statusVersion, long-poll
    st, env, _ = c.call("SyncUsersWithDirectoryServices", b"dryRun=false")
    t.check(env["statusCode"] == "running" and len(env["token"]) == 32, "sync runs async")
    tok, ver, versions, polls = env["token"], env["statusVersion"], [], 0
    while polls < 50:
        polls += 1
        t0 = time.time()
        st, hdr, data = c.raw("POST", "/api/get-status", (
            "token=%s&lastKnownStatusVersion=%d&millisecondsTimeout=5000" % (tok, ver)).encode())
        e = json.loads(data[3:])
        versions.append(e["statusVersion"])
        ver = e["statusVersion"]
        if e["statusCode"] != "running":
            break
    t.check(versions == sorted(set(versions)) and e["statusCode"] == "succeeded" and
            e["result"]["created"] == ["new.user"], "statusVersion rises until succeeded",
            versions)
    st, hdr, data = c.raw("POST", "/api/get-status", (
        "token=%s&lastKnownStatusVersion=%d&millisecondsTimeout=300" % (tok, ver)).encode())
    t.check(st == 200, "get-status on a finished job answers after the timeout")
    st, hdr, data = c.raw("POST", "/api/get-status",
                          b"token=ffff&lastKnownStatusVersion=1&millisecondsTimeout=10")
    t.check(st == 404, "unknown token: 404", st)
    st, hdr, data = c.raw("POST", "/api/get-status", b"token=ffff")
    t.check(st == 200 and b"Missing API argument" in data, "get-status arguments required")
    # faults
    emu.fault("GetServerInfo", "500")
    st, hdr, data = c.raw("POST", "/api/invoke/GetServerInfo")
    t.check(st == 500 and hdr.get("Content-Type", "").startswith("text/plain"),
            "fault: 500 text/plain")
    emu.fault("GetServerInfo", "drop")
    try:
        c.raw("POST", "/api/invoke/GetServerInfo")
        dropped = False
    except (http.client.HTTPException, ConnectionError, socket.error, ssl.SSLError):
        dropped = True
    t.check(dropped, "fault: dropped connection")
    log = emu.log()
    t.check(any(e.get("fault") == "drop" for e in log) and all("path" in e for e in log),
            "request log records every request")
    # an unknown user is an API-level error (reference 1.5): HTTP 200, failed
    st, env, data = c.call("GetUserInfo", b"userName=no.such.user")
    t.check(st == 200 and data.startswith(BOM) and env["statusCode"] == "failed" and
            env["result"] is None and isinstance(env["error"]["message"], str) and
            isinstance(env["error"]["details"], str) and len(env) == 8,
            "GetUserInfo of an unknown user: 200 + failed envelope with message and details",
            data[:300])
    # a fault for one user only: another user's call does not use it up
    emu.fault("GetUserInfo", "failed", message="Internal error.",
              args={"userName": "frank.clark"})
    st, env, _ = c.call("GetUserInfo", b"userName=no.such.user")
    t.check("does not exist" in env["error"]["message"], "a fault for one user skips others")
    st, env, _ = c.call("GetUserInfo", b"userName=frank.clark")
    t.check(st == 200 and env["statusCode"] == "failed" and
            env["error"]["message"] == "Internal error.",
            "fault 'failed': 200 + failed envelope with the given message", env)
    st, env, _ = c.call("GetUserInfo", b"userName=frank.clark")
    t.check(env["statusCode"] == "succeeded", "the fault was used up")
    # deleted after GetUsers answered, as by an administrator meanwhile
    emu.fault("GetUsers", "delete-after", userName="frank.clark")
    st, env, _ = c.call("GetUsers")
    listed = [u["userName"] for u in env["result"]]
    st, info, _ = c.call("GetUserInfo", b"userName=frank.clark")
    st, again, _ = c.call("GetUsers")
    t.check("frank.clark" in listed and info["statusCode"] == "failed" and
            "frank.clark" not in [u["userName"] for u in again["result"]],
            "fault 'delete-after': listed, then gone",
            [listed, info, again])
with Emulator(spe=True) as emu:
    c = Client(emu)
    st, env, _ = c.call("GetUsers")
    t.check(env and "Missing API argument instanceID" in env["error"]["message"],
            "SPE: instanceID required")
    st, env, _ = c.call("GetUsers", b"instanceID=tenant1")
    t.check(env and env["statusCode"] == "succeeded", "SPE: instance function works")
    st, env, _ = c.call("GetInstances", b"instanceFilter=*")
    t.check(env and env["result"][0]["instanceID"] == "tenant1" and
            env["result"][0]["status"] == "running", "SPE: GetInstances")
    st, hdr, data = c.raw("POST", "/api/get-metadata", auth=False)
    t.check(st == 401, "SPE: get-metadata needs credentials")
t.done()
