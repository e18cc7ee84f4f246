"""Starts and stops the MailStore API emulator for the tests.

    with Emulator(spe=False, users=[...], directory=[...]) as emu:
        emu.url, emu.ca_file, emu.password, emu.state(), emu.log(), emu.fault(...)

Everything lives in one temporary directory; the emulator is our child
process on 127.0.0.1, stopped by PID (stop_process) on exit.  The test CA
and server certificate are generated here with openssl; `pin_sha256` is the
SHA-256 of the server certificate (DER) for pinning tests.
"""

import hashlib
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATOR = os.path.join(HERE, "mailstore_api.py")
START_TIMEOUT = 15.0


def _run(args):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(args[:3]), r.stderr.decode()))


def make_certs(d):
    """A test CA and a server certificate for localhost / 127.0.0.1 signed
    by it; returns (ca_crt, server_crt, server_key)."""
    os.makedirs(d, exist_ok=True)
    p = lambda n: os.path.join(d, n)  # noqa: E731
    _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("ca.key"),
          "-out", p("ca.crt"), "-days", "30", "-subj", "/CN=dirgate MailStore test CA",
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    _run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", p("server.key"),
          "-out", p("server.csr"), "-subj", "/CN=localhost"])
    with open(p("server.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    _run(["openssl", "x509", "-req", "-in", p("server.csr"), "-CA", p("ca.crt"),
          "-CAkey", p("ca.key"), "-CAcreateserial", "-out", p("server.crt"), "-days", "30",
          "-extfile", p("server.ext")])
    return p("ca.crt"), p("server.crt"), p("server.key")


def stop_process(p, grace):
    """Terminates a process we started and waits; kills it after `grace` s."""
    if p is None or p.poll() is not None:
        return
    p.terminate()
    try:
        p.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=10)


class Emulator:
    def __init__(self, spe=False, users=None, directory=None, config=None, bulk=0,
                 password="Emu-Admin-Pass-4d2a", sync_steps=6, sync_step_ms=60,
                 stopped_instance=None, certs=None, tmp=None, metadata_form=None,
                 instances=None, latency_ms=0):
        self.spe = spe
        self.password = password
        self.users, self.directory, self.config = users, directory, config
        self.bulk = bulk
        self.sync_steps, self.sync_step_ms = sync_steps, sync_step_ms
        self.stopped_instance = stopped_instance
        self.instances = instances
        self.latency_ms = latency_ms
        self.certs = certs
        self.tmp = tmp
        self.own_tmp = tmp is None
        self.proc = None
        # get-metadata's answer: MailStore's bare array, or (DG_MS_METADATA_FORM=
        # envelope) the enveloped form a tolerant client must read as well.
        self.metadata_form = metadata_form or os.environ.get("DG_MS_METADATA_FORM", "array")

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def _write(self, name, obj):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(obj, f)
        return path

    def start(self):
        if self.tmp is None:
            self.tmp = tempfile.mkdtemp(prefix="dirgate-msapi-")
        if self.certs is None:
            self.certs = make_certs(os.path.join(self.tmp, "tls"))
        self.ca_file, crt, key = self.certs
        with open(crt) as f:
            der = ssl.PEM_cert_to_DER_cert(f.read())
        self.pin_sha256 = hashlib.sha256(der).hexdigest()
        portfile = os.path.join(self.tmp, "port")
        if os.path.exists(portfile):
            os.unlink(portfile)
        args = [sys.executable, EMULATOR, "--cert", crt, "--key", key,
                "--port-file", portfile, "--sync-steps", str(self.sync_steps),
                "--sync-step-ms", str(self.sync_step_ms), "--bulk", str(self.bulk),
                "--metadata-form", self.metadata_form]
        if self.spe:
            args.append("--spe")
            if self.stopped_instance:
                args += ["--stopped-instance", self.stopped_instance]
            if self.instances:
                args += ["--instances", ",".join(self.instances)]
        if self.latency_ms:
            args += ["--latency-ms", str(self.latency_ms)]
        for opt, val in (("--users", self.users), ("--directory", self.directory),
                         ("--config", self.config)):
            if val is not None:
                args += [opt, self._write(opt[2:] + ".json", val)]
        env = dict(os.environ, MAILSTORE_EMU_PASSWORD=self.password)
        self.log_file = open(os.path.join(self.tmp, "emulator.log"), "wb")
        self.proc = subprocess.Popen(args, env=env, stdout=self.log_file,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + START_TIMEOUT
        while not os.path.exists(portfile):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("emulator did not start: " + self.output())
            time.sleep(0.05)
        with open(portfile) as f:
            self.port = int(f.read())
        self.url = "https://127.0.0.1:%d" % self.port
        self._ctx = ssl.create_default_context(cafile=self.ca_file)

    def output(self):
        try:
            with open(os.path.join(self.tmp, "emulator.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")[-3000:]
        except OSError:
            return ""

    def stop(self):
        stop_process(self.proc, grace=10)
        self.proc = None
        if getattr(self, "log_file", None):
            self.log_file.close()
            self.log_file = None
        if self.own_tmp and self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    # -- control endpoint ---------------------------------------------------
    def control(self, what, data=None, instance=""):
        body = json.dumps(data).encode() if data is not None else b""
        req = urllib.request.Request(self.url + "/_control/" + what, data=body,
                                     method="POST" if data is not None else "GET",
                                     headers={"X-Instance": instance})
        with urllib.request.urlopen(req, context=self._ctx, timeout=30) as r:
            return json.loads(r.read() or b"null")

    def state(self, instance=""):
        return self.control("state", instance=instance)

    def log(self):
        return self.control("log")

    def reset_log(self):
        self.control("reset-log", {})

    def fault(self, function, kind, **kw):
        self.control("fault", dict(kw, function=function, kind=kind))

    def clear_faults(self):
        self.control("clear-faults", {})
