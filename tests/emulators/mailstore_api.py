#!/usr/bin/env python3
"""A strict emulator of the MailStore Server / SPE Administration API.

Written from /work/shared/reference/mailstore-admin-api.md (sections 1, 2,
3 and 6), stdlib only.  It refuses what the real server refuses and what
the reference says clients must not do:

  * POST only (GET allowed for get-metadata); no Content-Length -> 411
  * a non-empty body must be application/x-www-form-urlencoded -> else 415
  * HTTP Basic on every request (Server mode: not on get-metadata);
    wrong or missing credentials -> 401 with a Basic challenge
  * unknown function -> 200 + failed "Unknown API function"; unknown or
    duplicated argument, missing required argument, a bool that is not
    lower-case true/false, a number that is not decimal, JSON that does
    not parse -> 200 + failed with a message like MailStore's
  * SPE mode: instanceID required on instance functions, must name a
    running instance (GetInstances lists them) whose service-provider access
    is enabled (GetInstanceConfiguration excepted: it reads a stopped one
    too); CreateInstance(config) needs config.instanceID, refuses one that
    exists and creates it stopped; StartInstances(instanceFilter) moves
    stopped instances to "starting" and, --start-ms later, "running";
    StopInstances stops them
  * every JSON body starts with the UTF-8 BOM; get-metadata answers the bare
    JSON array of function descriptors MailStore's own clients depend on
    (reference 1.7), every other call the 8-field envelope.  --metadata-form
    envelope (or POST /_control/metadata-form) answers get-metadata inside an
    envelope instead, for the tolerant-reader test
  * SyncUsersWithDirectoryServices runs asynchronously: token, statusVersion
    rising, percentProgress; /api/get-status long-polls up to
    millisecondsTimeout; /api/cancel-async cancels; unknown token -> 404

State: a user store, an opaque directory-services configuration object,
jobs, and a fixture directory (a JSON list of users in the Application
Integration format) that SyncUsersWithDirectoryServices applies.

Faults and inspection through /_control/* (no auth; tests only):
  POST /_control/fault  {"function": "GetUsers" | "*", "kind":
        "500" | "429" | "503" | "401" | "drop" | "slow" | "fail-halfway" |
        "expire-token" | "forget-key" (Set drops /server) |
        "ignore" (cancel-async answers but the job runs on to its end) |
        "failed" (200 + a failed envelope with "message") |
        "delete-after" (the call answers, then user "userName" is deleted,
        as by an administrator or a running sync meanwhile),
        "applied-then-drop" / "applied-then-500" (the call takes effect,
        then its answer is lost: the connection drops / HTTP 500),
        "applied-then-outage" (as applied-then-drop, and the next 5 calls
        to GetDirectoryServicesConfiguration answer 500: nobody can tell),
        "no-result" (SyncUsersWithDirectoryServices: the job succeeds with
        its log but no structured result, since the real form is unknown),
        "count": N (default 1), "delayMs": ms, "retryAfter": s,
        "args": {name: value} (only calls with these arguments)}
  POST /_control/metadata-form {"form": "array" | "envelope"}
  POST /_control/hide       {"function": F, "arg": A?}  an older MailStore:
                            get-metadata omits it and calls to it are refused
  POST /_control/directory  [users...]      replace the fixture directory
  POST /_control/users      [users...]      replace the user store
  POST /_control/config     {...}           replace the DS config
  POST /_control/instance   {"id", "status"?, "serviceProviderAccess"?,
                            "remove"?: true}  SPE: change or remove an instance
  (the header X-Instance: ID picks the instance of directory/users/config/state)
  POST /_control/latency    {"ms": N}       answer every /api call N ms late
  (--latency-ms N at start); /_control/state's "maxInFlight" is the most
  /api calls answered at once since the last reset-log
  GET  /_control/log        request log (method, path, function, args, body,
                            content type, user, status)
  GET  /_control/state      users, config, jobs, tokens (with cancelled flag)
  POST /_control/reset-log

Start: mailstore_api.py --cert C --key K [--spe] [--port-file F] ...
The admin password comes from the environment variable named by
--password-env (default MAILSTORE_EMU_PASSWORD) so it is not in argv.
"""

import argparse
import base64
import json
import os
import secrets
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BOM = b"\xef\xbb\xbf"

# Function descriptors: name -> (args [(name, type, nullable)], scope)
# scope "instance": SPE needs instanceID; "global": never.
S, N, B, J = "string", "number", "bool", "json"
FUNCS = {
    "GetServerInfo": ([], "server"),
    "GetUsers": ([], "instance"),
    "GetUserInfo": ([("userName", S, False)], "instance"),
    "CreateUser": ([("userName", S, False), ("privileges", S, False),
                    ("fullName", S, True), ("distinguishedName", S, True),
                    ("authentication", S, True), ("password", S, True),
                    ("loginPrivileges", S, True)], "instance"),
    "DeleteUser": ([("userName", S, False)], "instance"),
    "RenameUser": ([("oldUserName", S, False), ("newUserName", S, False)], "instance"),
    "SetUserFullName": ([("userName", S, False), ("fullName", S, True)], "instance"),
    "SetUserEmailAddresses": ([("userName", S, False), ("emailAddresses", S, True)], "instance"),
    "SetUserDistinguishedName": ([("userName", S, False), ("distinguishedName", S, True)], "instance"),
    "SetUserAuthentication": ([("userName", S, False), ("authentication", S, False)], "instance"),
    "SetUserPrivileges": ([("userName", S, False), ("privileges", S, False)], "instance"),
    "SetUserPrivilegesOnFolder": ([("userName", S, False), ("folder", S, False),
                                   ("privileges", S, False)], "instance"),
    "ClearUserPrivilegesOnFolders": ([("userName", S, False)], "instance"),
    "GetDirectoryServicesConfiguration": ([], "instance"),
    "SetDirectoryServicesConfiguration": ([("config", J, False)], "instance"),
    "SyncUsersWithDirectoryServices": ([("dryRun", B, True)], "instance"),
    "GetTimeZones": ([], "instance"),
    "CreateJob": ([("name", S, False), ("action", S, False), ("owner", S, False),
                   ("timeZoneId", S, False), ("date", S, True), ("interval", S, True),
                   ("time", S, True), ("dayOfWeek", S, True), ("dayOfMonth", S, True)],
                  "instance"),
    "GetJobs": ([], "instance"),
    "DeleteJob": ([("id", N, False)], "instance"),
    "GetInstances": ([("instanceFilter", S, False)], "spe"),
    "CreateInstance": ([("config", J, False)], "spe"),
    "StartInstances": ([("instanceFilter", S, False)], "spe"),
    "StopInstances": ([("instanceFilter", S, False)], "spe"),
    "GetInstanceConfiguration": ([], "instance"),
    "GetEnvironmentInfo": ([], "spe"),
}
BASE_FUNCS = {
    "get-status": [("token", S, False), ("lastKnownStatusVersion", N, False),
                   ("millisecondsTimeout", N, False)],
    "get-metadata": [],
    "cancel-async": [("token", S, False)],
}
PRIVILEGES = {"none", "admin", "login", "changePassword", "archive",
              "modifyArchiveProfiles", "export", "modifyExportProfiles", "delete"}
LOGIN_PRIVILEGES = {"none", "windows", "web", "outlook", "windowsCmd", "imap", "api"}
FOLDER_PRIVILEGES = {"none", "read", "write", "delete"}
# The emulator's guesses at the config keys that change what a sync does
# (the real layout is not public; schemas/mailstore/directory-services.json
# marks them "assumed").
CFG_DELETE_USERS = "automaticallyDeleteUsers"
CFG_DEFAULT_PRIVILEGES = "defaultPrivileges"


class ApiError(Exception):
    pass


def envelope(status="succeeded", result=None, error=None, token=None,
             version=2, percent=None, text=None, log=None):
    return {"error": error, "token": token, "statusVersion": version,
            "statusCode": status, "percentProgress": percent,
            "statusText": text, "result": result, "logOutput": log}


def failed(message):
    return envelope("failed", error={
        "message": message,
        "details": "System.Exception: %s\r\n   at MailStore.Emulator.Invoke()" % message})


def new_user(name, full_name=None, dn=None, auth="integrated", emails=None,
             privileges=None):
    return {"userName": name, "fullName": full_name, "distinguishedName": dn,
            "authentication": auth, "emailAddresses": list(emails or []),
            "pop3UserNames": [], "privileges": list(privileges or ["login"]),
            "loginPrivileges": sorted(LOGIN_PRIVILEGES - {"none", "api"}),
            "privilegesOnFolders": [{"folder": name, "privileges": ["read"]}]}


class Job:
    """One asynchronous call: a background thread moving through steps."""

    def __init__(self, state, fn, work, steps, step_ms, fail_at=None):
        self.token = secrets.token_hex(16)
        self.fn = fn
        self.version = 2
        self.percent = 0
        self.status = "running"
        self.result = None
        self.error = None
        self.log = []
        self.cancelled = False
        self.cancel_requested = False
        self.cond = threading.Condition(state.lock)
        self.state = state
        self.work = work
        self.steps = steps
        self.step_ms = step_ms
        self.fail_at = fail_at
        self.thread = threading.Thread(target=self._run, daemon=True)

    def snapshot(self):
        return envelope(self.status, result=self.result, error=self.error,
                        token=self.token, version=self.version,
                        percent=self.percent if self.status == "running" else 100
                        if self.status == "succeeded" else self.percent,
                        log="\n".join(self.log) + ("\n" if self.log else "") or None)

    def _bump(self):
        self.version += 1
        self.cond.notify_all()

    def _run(self):
        for step in range(1, self.steps + 1):
            time.sleep(self.step_ms / 1000.0)
            with self.state.lock:
                if self.cancel_requested:
                    self.status = "failed"
                    self.cancelled = True
                    self.error = {"message": "The operation has been cancelled.",
                                  "details": "System.OperationCanceledException"}
                    self.log.append("Synchronization cancelled.")
                    self._bump()
                    return
                if self.fail_at is not None and step >= self.fail_at:
                    self.status = "failed"
                    self.error = {"message": "The directory service could not be reached.",
                                  "details": "System.Net.Sockets.SocketException: "
                                             "connection timed out (injected fault)"}
                    self.log.append("Error: directory service connection lost.")
                    self._bump()
                    return
                self.percent = int(step * 100 / (self.steps + 1))
                self.log.append("Reading directory: step %d of %d" % (step, self.steps))
                self._bump()
        with self.state.lock:
            try:
                self.result, lines = self.work()
                self.log.extend(lines)
                self.status = "succeeded"
                self.percent = 100
            except ApiError as e:
                self.status = "failed"
                self.error = {"message": str(e), "details": str(e)}
            self._bump()


class Instance:
    """One MailStore Server, or one SPE instance: users, config, jobs."""

    def __init__(self, iid):
        self.id = iid
        self.status = "running"
        self.users = {}
        self.config = {}
        self.directory = []
        self.jobs = []
        self.next_job = 1
        self.service_provider_access = True
        self.instance_config = {"instanceID": iid, "alias": iid}


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.args = args
        self.spe = args.spe
        self.user = args.user
        self.password = os.environ.get(args.password_env, "")
        self.instances = {}
        ids = args.instances.split(",") if self.spe else [""]
        for iid in ids:
            self.instances[iid] = Instance(iid)
        if self.spe and args.stopped_instance:
            inst = Instance(args.stopped_instance)
            inst.status = "stopped"
            self.instances[inst.id] = inst
        self.jobs = {}
        self.hidden = set()   # "Function" or "Function.arg": an older version
        self.metadata_form = args.metadata_form
        self.faults = []
        self.log = []
        self.inflight = 0        # /api calls being answered now
        self.max_inflight = 0    # most at once since the last reset-log
        for inst in self.instances.values():
            self._load_fixtures(inst)

    def _load_fixtures(self, inst):
        a = self.args
        if a.users:
            with open(a.users, encoding="utf-8") as f:
                self.set_users(inst, json.load(f))
        if a.config:
            with open(a.config, encoding="utf-8") as f:
                inst.config = json.load(f)
        if a.directory:
            with open(a.directory, encoding="utf-8") as f:
                inst.directory = json.load(f)
        for i in range(a.bulk):
            name = "user%06d" % i
            inst.users[name] = new_user(
                name, "User %06d" % i, "CN=User %06d,OU=Bulk,DC=example,DC=com" % i,
                "directoryServices", ["%s@example.com" % name])

    def set_users(self, inst, users):
        inst.users = {}
        for u in users:
            nu = new_user(u["userName"], u.get("fullName"), u.get("distinguishedName"),
                          u.get("authentication", "integrated"),
                          u.get("emailAddresses"), u.get("privileges"))
            if "loginPrivileges" in u:
                nu["loginPrivileges"] = list(u["loginPrivileges"])
            inst.users[u["userName"].lower()] = nu

    def take_fault(self, fn, args):
        """The first armed fault for fn (or '*') whose "args" the call has,
        used up by one call."""
        for f in self.faults:
            want = f.get("args") or {}
            if f["function"] in (fn, "*") and f["count"] > 0 and all(
                    args.get(k) == v for k, v in want.items()):
                f["count"] -= 1
                return f
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""
    # One buffered write per answer and no Nagle: headers and body in
    # separate segments would meet the client's delayed ACK (40 ms each).
    wbufsize = 1 << 16

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *a):
        if self.server.state.args.verbose:
            sys.stderr.write("emu: " + fmt % a + "\n")

    # -- plumbing ---------------------------------------------------------
    def _send(self, code, body, ctype="application/json; charset=utf-8", extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache,private,no-store,must-revalidate")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.entry["status"] = code

    def _json(self, obj, code=200):
        self._send(code, BOM + json.dumps(obj, indent=2).encode("utf-8"))

    def _text(self, code, text, extra=None):
        self._send(code, text.encode("utf-8"), "text/plain; charset=utf-8", extra)

    def _drop(self):
        self.entry["status"] = "dropped"
        self.close_connection = True
        self.wfile = open(os.devnull, "wb")   # nothing buffered may go out
        try:
            self.connection.shutdown(2)
        except OSError:
            pass

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def _handle(self, method):
        st = self.server.state
        path = "/" + "/".join(p for p in self.path.split("?")[0].split("/") if p)
        self.entry = {"method": method, "path": path, "status": None,
                      "contentType": self.headers.get("Content-Type"),
                      "contentLength": self.headers.get("Content-Length"),
                      "time": time.time(), "peerPort": self.client_address[1]}
        if path.startswith("/_control/"):
            return self._control(method, path[len("/_control/"):])
        with st.lock:
            st.log.append(self.entry)
        if method != "POST" and not (method == "GET" and path == "/api/get-metadata"):
            return self._text(405, "Method not allowed", {"Allow": "POST"})
        if self.headers.get("Content-Length") is None:
            # http.sys answers 411 before the application sees the request.
            self.close_connection = True
            return self._text(411, "Length Required")
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.entry["body"] = body.decode("utf-8", "replace")
        if body:
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype != "application/x-www-form-urlencoded":
                return self._text(415, "Unsupported Media Type: send "
                                  "application/x-www-form-urlencoded")
        user = self._auth()
        self.entry["user"] = user
        if path == "/api/get-metadata" and not st.spe:
            pass  # MailStore Server answers get-metadata without credentials
        elif user is None:
            return self._text(401, "Unauthorized",
                              {"WWW-Authenticate": 'Basic realm="MailStore"'})
        try:
            args = self._parse_form(body)
        except ApiError as e:
            return self._json(failed(str(e)))
        self.entry["args"] = {k: v for k, v in args.items()}
        with st.lock:
            st.inflight += 1
            st.max_inflight = max(st.max_inflight, st.inflight)
        try:
            return self._dispatch(path, args)
        finally:
            with st.lock:
                st.inflight -= 1

    def _dispatch(self, path, args):
        """An authenticated /api call, answered st.args.latency_ms late."""
        st = self.server.state
        if st.args.latency_ms:
            time.sleep(st.args.latency_ms / 1000.0)
        if path.startswith("/api/invoke/"):
            fn = path[len("/api/invoke/"):]
            self.entry["function"] = fn
            return self._invoke(fn, args)
        fn = path[len("/api/"):] if path.startswith("/api/") else None
        self.entry["function"] = fn
        if fn not in BASE_FUNCS:
            return self._text(404, "Not Found")
        fault = self._fault(fn, args)
        if fault == "done":
            return None
        self.fault_kind = fault
        try:
            self._check_args(BASE_FUNCS[fn], args, fn)
        except ApiError as e:
            return self._json(failed(str(e)))
        return getattr(self, "_base_" + fn.replace("-", "_"))(args)

    def _auth(self):
        st = self.server.state
        h = self.headers.get("Authorization") or ""
        if not h.startswith("Basic "):
            return None
        try:
            raw = base64.b64decode(h[6:], validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        user, _, pw = raw.partition(":")
        if user.lower() != st.user.lower() or pw != st.password:
            return None
        return user

    @staticmethod
    def _parse_form(body):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError("The request body is not valid UTF-8.")
        args = {}
        for name, value in urllib.parse.parse_qsl(text, keep_blank_values=True,
                                                  strict_parsing=bool(text)):
            if name in args:
                raise ApiError("Duplicate API argument %s." % name)
            args[name] = value
        return args

    def _fault(self, fn, args):
        """Applies an injected fault; 'done' when it answered already."""
        st = self.server.state
        with st.lock:
            f = st.take_fault(fn, args)
        if not f:
            return None
        kind = f["kind"]
        self.entry["fault"] = kind
        self.fault_spec = f
        if kind == "500":
            self._text(500, "Internal Server Error: injected fault")
            return "done"
        if kind == "429":
            self._text(429, "Too Many Requests",
                       {"Retry-After": str(f.get("retryAfter", 1))})
            return "done"
        if kind == "503":
            self._text(503, "Service Unavailable",
                       {"Retry-After": str(f.get("retryAfter", 1))})
            return "done"
        if kind == "drop":
            self._drop()
            return "done"
        if kind == "slow":
            time.sleep(f.get("delayMs", 2000) / 1000.0)
            return None
        if kind == "401":
            self._text(401, "Unauthorized", {"WWW-Authenticate": 'Basic realm="MailStore"'})
            return "done"
        if kind == "failed":
            # an API-level error (reference 1.5): HTTP 200, statusCode failed
            self._json(failed(f.get("message", "An internal error occurred "
                                    "(injected fault).")))
            return "done"
        return kind  # fail-halfway, expire-token, delete-after: handled by the function

    def _check_args(self, spec, args, fn):
        known = {a[0]: a for a in spec}
        for name in args:
            if name not in known:
                raise ApiError("Unknown API argument %s for function %s." % (name, fn))
        for name, typ, nullable in spec:
            if name not in args:
                if not nullable:
                    raise ApiError("Missing API argument %s." % name)
                continue
            v = args[name]
            if typ == B and v not in ("true", "false"):
                raise ApiError("Invalid value '%s' for API argument %s: expected "
                               "true or false." % (v, name))
            if typ == N:
                try:
                    int(v)
                except ValueError:
                    raise ApiError("Invalid value '%s' for API argument %s: expected "
                                   "a number." % (v, name))
            if typ == J:
                try:
                    args[name] = json.loads(v)
                except ValueError as e:
                    raise ApiError("Invalid JSON in API argument %s: %s" % (name, e))

    # -- base functions -----------------------------------------------------
    def _base_get_metadata(self, args):
        st = self.server.state
        out = []
        for name, (spec, scope) in sorted(FUNCS.items()):
            if scope == "spe" and not st.spe or scope == "server" and st.spe:
                continue
            if name in st.hidden:
                continue
            a = [{"name": n, "type": t, "nullable": nl} for n, t, nl in spec
                 if "%s.%s" % (name, n) not in st.hidden]
            if st.spe and scope == "instance":
                a.insert(0, {"name": "instanceID", "type": S, "nullable": False})
            out.append({"name": name, "args": a})
        if st.metadata_form == "envelope":
            return self._json(envelope(result=out))
        return self._json(out)

    def _job(self, token):
        st = self.server.state
        with st.lock:
            job = st.jobs.get(token)
            if job is None or getattr(job, "expired", False):
                return None
            return job

    def _base_get_status(self, args):
        st = self.server.state
        job = self._job(args["token"])
        if job is None:
            return self._text(404, "Not Found")
        last = int(args["lastKnownStatusVersion"])
        deadline = time.time() + max(0, int(args["millisecondsTimeout"])) / 1000.0
        with st.lock:
            while job.version <= last and job.status == "running":
                left = deadline - time.time()
                if left <= 0:
                    break
                job.cond.wait(left)
            snap = job.snapshot()
        return self._json(snap)

    def _base_cancel_async(self, args):
        st = self.server.state
        job = self._job(args["token"])
        if job is None:
            return self._text(404, "Not Found")
        with st.lock:
            # "ignore": the server decides if and when to cancel (reference
            # 1.6) and may let the job run to its end.
            if job.status == "running" and self.fault_kind != "ignore":
                job.cancel_requested = True
            snap = job.snapshot()
        return self._json(snap)

    # -- functions ------------------------------------------------------------
    def _invoke(self, fn, args):
        st = self.server.state
        if fn not in FUNCS or fn in st.hidden or (FUNCS[fn][1] == "spe" and not st.spe) or (
                FUNCS[fn][1] == "server" and st.spe):
            return self._json(failed("Unknown API function %s." % fn))
        spec, scope = FUNCS[fn]
        spec = [a for a in spec if "%s.%s" % (fn, a[0]) not in st.hidden]
        if st.spe and scope == "instance":
            spec = [("instanceID", S, False)] + spec
        fault = self._fault(fn, args)
        if fault == "done":
            return None
        try:
            self._check_args(spec, args, fn)
            inst = self._instance(args, scope, fn)
            method = getattr(self, "_fn_" + fn)
            with st.lock:
                res = method(inst, args, fault)
                if fault == "delete-after":
                    inst.users.pop(self.fault_spec["userName"].lower(), None)
        except ApiError as e:
            return self._json(failed(str(e)))
        if fault == "applied-then-outage":
            with st.lock:
                st.faults.insert(0, {"function": "GetDirectoryServicesConfiguration",
                                     "kind": "500", "count": 5})
        if fault in ("applied-then-drop", "applied-then-outage"):
            return self._drop()
        if fault == "applied-then-500":
            return self._text(500, "Internal Server Error: injected fault after the "
                              "change was applied")
        if isinstance(res, Job):
            res.thread.start()
            with st.lock:
                snap = res.snapshot()
            return self._json(snap)
        return self._json(envelope(result=res))

    def _instance(self, args, scope, fn=None):
        st = self.server.state
        if not st.spe:
            return st.instances[""]
        if scope != "instance":
            return None
        inst = st.instances.get(args["instanceID"])
        if inst is None:
            raise ApiError("Instance '%s' does not exist." % args["instanceID"])
        if fn == "GetInstanceConfiguration":
            return inst
        if inst.status != "running":
            raise ApiError("Instance '%s' is not running." % inst.id)
        if not inst.service_provider_access:
            raise ApiError("Service provider access is not enabled for instance '%s'."
                           % inst.id)
        return inst

    @staticmethod
    def _user(inst, name):
        u = inst.users.get(name.lower())
        if u is None:
            raise ApiError("User '%s' does not exist." % name)
        return u

    @staticmethod
    def _list(value, allowed, what):
        items = [x for x in value.split(",") if x] if value else []
        for x in items:
            if x not in allowed:
                raise ApiError("Invalid %s '%s'." % (what, x))
        if len(items) > 1 and ("none" in items or "admin" in items):
            raise ApiError("The %s 'none' and 'admin' must stand alone." % what)
        return items

    def _fn_GetServerInfo(self, inst, args, fault):
        return {"version": "24.4.0.23000", "machineName": "EMULATOR"}

    def _fn_GetEnvironmentInfo(self, inst, args, fault):
        return {"version": "24.4.0.23000", "serverName": "emulator"}

    def _fn_GetInstances(self, inst, args, fault):
        flt = args["instanceFilter"]
        st = self.server.state
        return [{"instanceID": i.id, "alias": i.id, "status": i.status}
                for i in st.instances.values() if flt == "*" or flt.lower() == i.id.lower()]

    def _matching(self, flt):
        st = self.server.state
        found = [i for i in st.instances.values()
                 if flt == "*" or flt.lower() == i.id.lower()]
        if not found:
            raise ApiError("No instance matches '%s'." % flt)
        return found

    def _fn_CreateInstance(self, inst, args, fault):
        st = self.server.state
        cfg = args["config"]
        iid = cfg.get("instanceID") if isinstance(cfg, dict) else None
        if not isinstance(iid, str) or not iid or not all(
                c.isalnum() or c in "-_" for c in iid):
            raise ApiError("Invalid API argument config: instanceID is required "
                           "(letters, digits, '-', '_').")
        if iid.lower() in (i.lower() for i in st.instances):
            raise ApiError("Instance '%s' already exists." % iid)
        new = Instance(iid)
        new.status = "stopped"
        new.instance_config = cfg
        st._load_fixtures(new)   # --directory etc.: what a new tenant's directory holds
        st.instances[iid] = new
        return None

    def _start_later(self, inst):
        def run():
            with self.server.state.lock:
                if inst.status == "starting":
                    inst.status = "running"
        threading.Timer(self.server.state.args.start_ms / 1000.0, run).start()

    def _fn_StartInstances(self, inst, args, fault):
        for i in self._matching(args["instanceFilter"]):
            if i.status == "stopped":
                i.status = "starting"
                self._start_later(i)
        return None

    def _fn_StopInstances(self, inst, args, fault):
        for i in self._matching(args["instanceFilter"]):
            i.status = "stopped"
        return None

    def _fn_GetInstanceConfiguration(self, inst, args, fault):
        return json.loads(json.dumps(inst.instance_config))

    def _fn_GetTimeZones(self, inst, args, fault):
        return [{"id": "UTC", "displayName": "(UTC) Coordinated Universal Time"},
                {"id": "W. Europe Standard Time", "displayName": "(UTC+01:00) Amsterdam"}]

    def _fn_GetUsers(self, inst, args, fault):
        return [{"userName": u["userName"], "fullName": u["fullName"],
                 "distinguishedName": u["distinguishedName"]}
                for u in sorted(inst.users.values(), key=lambda u: u["userName"].lower())]

    def _fn_GetUserInfo(self, inst, args, fault):
        return json.loads(json.dumps(self._user(inst, args["userName"])))

    def _fn_CreateUser(self, inst, args, fault):
        name = args["userName"]
        if not name.strip():
            raise ApiError("User name must not be empty.")
        if name.lower() in inst.users:
            raise ApiError("User '%s' already exists." % name)
        privs = self._list(args["privileges"], PRIVILEGES, "privilege")
        auth = args.get("authentication", "integrated")
        if auth not in ("integrated", "directoryServices"):
            raise ApiError("Invalid authentication '%s'." % auth)
        u = new_user(name, args.get("fullName"), args.get("distinguishedName"), auth, [], privs)
        if "loginPrivileges" in args:
            u["loginPrivileges"] = self._list(args["loginPrivileges"], LOGIN_PRIVILEGES,
                                              "login privilege")
        u["privilegesOnFolders"] = []
        inst.users[name.lower()] = u
        return None

    def _fn_DeleteUser(self, inst, args, fault):
        self._user(inst, args["userName"])
        del inst.users[args["userName"].lower()]
        return None

    def _fn_RenameUser(self, inst, args, fault):
        u = self._user(inst, args["oldUserName"])
        new = args["newUserName"]
        if not new.strip():
            raise ApiError("User name must not be empty.")
        if new.lower() in inst.users and new.lower() != args["oldUserName"].lower():
            raise ApiError("User '%s' already exists." % new)
        del inst.users[args["oldUserName"].lower()]
        u["userName"] = new
        inst.users[new.lower()] = u
        return None

    def _fn_SetUserFullName(self, inst, args, fault):
        self._user(inst, args["userName"])["fullName"] = args.get("fullName")

    def _fn_SetUserEmailAddresses(self, inst, args, fault):
        self._user(inst, args["userName"])["emailAddresses"] = [
            x for x in (args.get("emailAddresses") or "").split(",") if x]

    def _fn_SetUserDistinguishedName(self, inst, args, fault):
        self._user(inst, args["userName"])["distinguishedName"] = args.get("distinguishedName")

    def _fn_SetUserAuthentication(self, inst, args, fault):
        if args["authentication"] not in ("integrated", "directoryServices"):
            raise ApiError("Invalid authentication '%s'." % args["authentication"])
        self._user(inst, args["userName"])["authentication"] = args["authentication"]

    def _fn_SetUserPrivileges(self, inst, args, fault):
        u = self._user(inst, args["userName"])
        u["privileges"] = self._list(args["privileges"], PRIVILEGES, "privilege")

    def _fn_SetUserPrivilegesOnFolder(self, inst, args, fault):
        u = self._user(inst, args["userName"])
        privs = self._list(args["privileges"], FOLDER_PRIVILEGES, "folder privilege")
        folder = args["folder"]
        if not folder or "/" in folder:
            raise ApiError("Folder '%s' is not a top-level archive folder." % folder)
        rest = [p for p in u["privilegesOnFolders"] if p["folder"].lower() != folder.lower()]
        if privs and privs != ["none"]:
            rest.append({"folder": folder, "privileges": privs})
        u["privilegesOnFolders"] = rest

    def _fn_ClearUserPrivilegesOnFolders(self, inst, args, fault):
        self._user(inst, args["userName"])["privilegesOnFolders"] = []

    def _fn_GetDirectoryServicesConfiguration(self, inst, args, fault):
        return json.loads(json.dumps(inst.config))

    def _fn_SetDirectoryServicesConfiguration(self, inst, args, fault):
        cfg = args["config"]
        if not isinstance(cfg, dict):
            raise ApiError("Invalid API argument config: a JSON object is required.")
        if fault == "forget-key":
            # a server that silently drops a key it does not know
            cfg = {k: v for k, v in cfg.items() if k != "server"}
        inst.config = cfg
        return None

    def _fn_GetJobs(self, inst, args, fault):
        return json.loads(json.dumps(inst.jobs))

    def _fn_CreateJob(self, inst, args, fault):
        if not (args.get("interval") or args.get("time") or args.get("date")):
            raise ApiError("A job needs a date, a time or an interval.")
        if args.get("interval") and args["interval"] not in (
                "5", "10", "15", "20", "30", "60", "120", "180", "240", "360", "720"):
            raise ApiError("Invalid interval '%s'." % args["interval"])
        # MailStore's wrapper documents dayOfMonth as a string: 1 to 31 or "Last"
        dom = args.get("dayOfMonth")
        if dom is not None and not (dom.lower() == "last" or
                                    dom.isdigit() and 1 <= int(dom) <= 31):
            raise ApiError("Invalid dayOfMonth '%s'." % dom)
        if (dom or args.get("dayOfWeek")) and not args.get("time"):
            raise ApiError("dayOfWeek and dayOfMonth need a time.")
        if args.get("dayOfWeek") and args["dayOfWeek"] not in (
                "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"):
            raise ApiError("Invalid dayOfWeek '%s'." % args["dayOfWeek"])
        job = {"id": inst.next_job, "name": args["name"], "action": args["action"],
               "owner": args["owner"], "timeZoneId": args["timeZoneId"], "enabled": True}
        for k in ("date", "interval", "time", "dayOfWeek", "dayOfMonth"):
            if k in args:
                job[k] = args[k]
        inst.next_job += 1
        inst.jobs.append(job)
        return job["id"]

    def _fn_DeleteJob(self, inst, args, fault):
        before = len(inst.jobs)
        inst.jobs = [j for j in inst.jobs if j["id"] != int(args["id"])]
        if len(inst.jobs) == before:
            raise ApiError("Job %s does not exist." % args["id"])

    def _fn_SyncUsersWithDirectoryServices(self, inst, args, fault):
        st = self.server.state
        dry = args.get("dryRun") == "true"
        if not inst.config:
            raise ApiError("No directory service is configured.")
        steps = st.args.sync_steps
        def work():
            res, lines = self._sync(inst, dry)
            return (None if fault == "no-result" else res), lines
        job = Job(st, "SyncUsersWithDirectoryServices", work, steps, st.args.sync_step_ms,
                  fail_at=steps // 2 if fault == "fail-halfway" else None)
        if fault == "expire-token":
            job.expired_after_start = True
        st.jobs[job.token] = job
        if fault == "expire-token":
            # the token is forgotten right away: get-status must answer 404
            threading.Timer(0.01, lambda: setattr(job, "expired", True)).start()
        return job

    @staticmethod
    def _sync(inst, dry):
        """Applies the fixture directory; returns (result, log lines)."""
        cfg = inst.config
        privs = cfg.get(CFG_DEFAULT_PRIVILEGES) or ["login"]
        if isinstance(privs, str):
            privs = [p for p in privs.split(",") if p]
        want = {u["userName"].lower(): u for u in inst.directory}
        res = {"created": [], "modified": [], "deleted": [], "unchanged": []}
        for key, d in sorted(want.items()):
            u = inst.users.get(key)
            emails = d.get("emailAddresses") or []
            if u is None:
                res["created"].append(d["userName"])
                if not dry:
                    inst.users[key] = new_user(d["userName"], d.get("fullName"),
                                               d.get("distinguishedName"),
                                               "directoryServices", emails, privs)
                continue
            new = {"fullName": d.get("fullName"),
                   "distinguishedName": d.get("distinguishedName"),
                   "emailAddresses": emails}
            if all(u.get(k) == v for k, v in new.items()):
                res["unchanged"].append(u["userName"])
                continue
            res["modified"].append(u["userName"])
            if not dry:
                u.update(new)
                u["authentication"] = "directoryServices"
        if cfg.get(CFG_DELETE_USERS) is True:
            for key, u in sorted(inst.users.items()):
                if key not in want and u["authentication"] == "directoryServices":
                    res["deleted"].append(u["userName"])
                    if not dry:
                        del inst.users[key]
        lines = ["%s%s: %s" % ("(dry run) " if dry else "", k, ", ".join(v))
                 for k, v in res.items() if v and k != "unchanged"]
        lines.append("%d created, %d modified, %d deleted, %d unchanged%s" % (
            len(res["created"]), len(res["modified"]), len(res["deleted"]),
            len(res["unchanged"]), " (dry run: nothing stored)" if dry else ""))
        return res, lines

    # -- control ---------------------------------------------------------------
    def _control(self, method, what):
        st = self.server.state
        n = int(self.headers.get("Content-Length") or 0)
        data = json.loads(self.rfile.read(n) or b"null") if n else None
        inst = st.instances.get(self.headers.get("X-Instance", ""),
                                next(iter(st.instances.values())))
        with st.lock:
            if what == "log":
                return self._send(200, json.dumps(st.log).encode())
            if what == "reset-log":
                st.log = []
                st.max_inflight = 0
            elif what == "latency":
                st.args.latency_ms = int(data["ms"])
            elif what == "fault":
                data.setdefault("count", 1)
                st.faults.append(data)
            elif what == "clear-faults":
                st.faults = []
            elif what == "metadata-form":
                st.metadata_form = data["form"]
            elif what == "hide":
                st.hidden.add(data["function"] + ("." + data["arg"] if data.get("arg") else ""))
            elif what == "directory":
                inst.directory = data
            elif what == "users":
                st.set_users(inst, data)
            elif what == "config":
                inst.config = data
            elif what == "instance":
                i = st.instances.get(data["id"])
                if i is not None and data.get("remove"):
                    del st.instances[data["id"]]
                elif i is not None:
                    i.status = data.get("status", i.status)
                    i.service_provider_access = data.get("serviceProviderAccess",
                                                         i.service_provider_access)
            elif what == "state":
                out = {"users": sorted(inst.users.values(), key=lambda u: u["userName"].lower()),
                       "config": inst.config, "jobs": inst.jobs,
                       "instances": {i.id: i.status for i in st.instances.values()},
                       "maxInFlight": st.max_inflight,
                       "tokens": [{"token": j.token, "function": j.fn, "status": j.status,
                                   "cancelled": j.cancelled,
                                   "cancelRequested": j.cancel_requested}
                                  for j in st.jobs.values()]}
                return self._send(200, json.dumps(out).encode())
            else:
                return self._send(404, b"unknown control")
        return self._send(200, b"{}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write the bound port here once listening")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--plain", action="store_true", help="HTTP instead of HTTPS")
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password-env", default="MAILSTORE_EMU_PASSWORD")
    ap.add_argument("--spe", action="store_true", help="MailStore SPE mode")
    ap.add_argument("--instances", default="tenant1",
                    help="SPE: comma-separated running instance IDs")
    ap.add_argument("--stopped-instance", help="SPE: one more instance, not running")
    ap.add_argument("--users", help="JSON list of initial users")
    ap.add_argument("--config", help="JSON object: initial directory-services config")
    ap.add_argument("--directory", help="JSON list: what the directory holds for sync")
    ap.add_argument("--bulk", type=int, default=0, help="add N generated users")
    ap.add_argument("--sync-steps", type=int, default=6)
    ap.add_argument("--sync-step-ms", type=int, default=60)
    ap.add_argument("--metadata-form", choices=("array", "envelope"), default="array",
                    help="get-metadata's answer: the bare array MailStore sends, or "
                         "the same array in a status envelope")
    ap.add_argument("--start-ms", type=int, default=300,
                    help="SPE: how long StartInstances takes")
    ap.add_argument("--latency-ms", type=int, default=0,
                    help="answer every /api call this late")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        ap.error("the emulator listens on loopback only")
    state = State(args)
    srv = ThreadingHTTPServer((args.host, args.port), Handler)
    srv.daemon_threads = True
    srv.state = state
    if not args.plain:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(args.cert, args.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
