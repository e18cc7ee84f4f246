"""Starts the private slapd servers (slapd.py), runs the C test program
test_ldap_conn with their ports and paths in DG_IT_* variables, passes its
TAP output through and stops every server, whatever happens.

usage: test_ldap_live.py TEST_PROGRAM"""

import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slapd  # noqa: E402

PROGRAM_TIMEOUT = 240


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 64
    if not all(shutil_which(x) for x in ("slapd", "ldapadd", "openssl")):
        print("1..0 # SKIP slapd, ldap-utils or openssl not installed "
              "(scripts/install-deps.sh --test)")
        return 0
    child = []
    slapd.install_signal_handlers(lambda: [p.kill() for p in child if p.poll() is None])
    # A port that accepts TCP connections but never answers (timeout test):
    # listen() without accept() lets the kernel complete the handshake.
    blackhole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Protocol faults slapd will not produce (fake_ldap.py): it serves until
    # its standard input closes.
    fake = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "fake_ldap.py")], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE)
    child.append(fake)
    try:
        fake_port = fake.stdout.readline().decode().strip()
        blackhole.bind(("127.0.0.1", 0))
        blackhole.listen(8)
        with slapd.SlapdSet() as servers:
            env = {k: v for k, v in os.environ.items() if not k.startswith("LDAP")}
            env.update(servers.env())
            env["DG_IT_BLACKHOLE_PORT"] = str(blackhole.getsockname()[1])
            if fake_port.isdigit():
                env["DG_IT_FAKE_PORT"] = fake_port
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
            return p.returncode
    finally:
        blackhole.close()
        fake.stdin.close()
        try:
            fake.wait(timeout=10)
        except subprocess.TimeoutExpired:
            fake.kill()
            fake.wait(timeout=10)


def shutil_which(name):
    import shutil
    return shutil.which(name) or os.path.exists("/usr/sbin/" + name)


if __name__ == "__main__":
    sys.exit(main())
