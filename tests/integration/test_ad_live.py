"""Provisions and starts a private Samba AD DC (samba.py) inside a network
namespace of its own, runs the C test program test_ad_live there with the
DC's facts in DG_AD_* variables, passes its TAP output through and stops
the DC, whatever happens.  Skips (TAP "1..0 # SKIP reason") only when Samba
or a network namespace cannot be had here.

usage: test_ad_live.py TEST_PROGRAM"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import samba  # noqa: E402
import slapd  # noqa: E402

PROGRAM_TIMEOUT = 180


def count_dns(ldif):
    return sum(1 for line in ldif.splitlines() if line.startswith(("dn: ", "dn:: ")))


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 64
    program = os.path.abspath(sys.argv[1])
    why = samba.enter_netns()   # re-executes this script inside unshare --net
    if why:
        print("1..0 # SKIP no Samba AD DC: %s" % why)
        return 0
    child = []
    slapd.install_signal_handlers(lambda: [p.kill() for p in child if p.poll() is None])
    with samba.SambaDC() as dc:
        print("# Samba AD DC provisioned in %.1f s, serving with test data after %.1f s"
              % (dc.provision_s, dc.start_s))
        env = samba._clean_env()
        env.update(dc.env())
        env["DG_AD_ADMIN_PWFILE"] = dc.pwfile()
        # What ldapsearch itself finds, for the C program to compare with.
        env["DG_AD_PERSONS"] = str(count_dns(dc.ldapsearch(
            samba.BASE, "(&(objectCategory=person)(objectClass=user))")))
        env["DG_AD_ALL"] = str(count_dns(dc.ldapsearch(samba.BASE, "(objectClass=*)")))
        p = subprocess.Popen([program], env=env, stdout=subprocess.PIPE,
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


if __name__ == "__main__":
    sys.exit(main())
