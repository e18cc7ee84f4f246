#!/bin/sh
# Installs what dirgate needs on Debian 12: `--build` (default) for building
# and running it, `--test` adds what the test suite and fuzzers need.
# Packages already present are not fetched again, so re-running is cheap.
set -eu

build_pkgs="gcc pkg-config meson ninja-build libldap-dev libcurl4-openssl-dev libcjson-dev
 libyajl-dev libssl-dev libjwt-dev libpsl-dev libidn2-dev publicsuffix python3 ca-certificates"
test_pkgs="python3-jsonschema clang libclang-rt-14-dev slapd ldap-utils samba samba-ad-dc
 samba-ad-provision iproute2"
test_pkgs="$test_pkgs faketime" # issue 3: a Samba DC 60 days ahead (AD data code 532)
# The oidc-provider fixture (tests/integration/oidc) runs on Node.js 20; the
# NodeSource nodejs package on this machine ships npm with it.
test_pkgs="$test_pkgs nodejs"
# The Google emulator makes its CA, certificates and service-account key with
# the openssl command; tests/bench/google.sh compares against curl.
test_pkgs="$test_pkgs openssl curl"
# The cutover, onboard and report tests look at their HTML pages in headless
# Chromium (--dump-dom).
test_pkgs="$test_pkgs chromium"
# scripts/test-package.sh builds the .deb (debhelper with meson) and finds
# the installed manual pages with man.
test_pkgs="$test_pkgs debhelper dpkg-dev fakeroot man-db groff-base"
# The completion tests check the zsh and fish files with the shells themselves.
test_pkgs="$test_pkgs zsh fish"

want="$build_pkgs"
case "${1:---build}" in
--build) ;;
--test) want="$build_pkgs $test_pkgs" ;;
*) echo "usage: $0 [--build|--test]" >&2; exit 64 ;;
esac

# npm packages of the oidc-provider fixture and of the vendor clients that
# test_vendor_clients.py drives the emulators with (@azure/msal-node,
# @microsoft/microsoft-graph-client, googleapis, google-auth-library: the
# last releases that run on Node 20), pinned by its package-lock.json and
# installed into that directory only; skipped when already installed from
# the same lock file.
npm_fixture() {
	[ "${1:---build}" = --test ] || return 0
	d=tests/integration/oidc
	[ -d "$(dirname "$0")/../$d" ] || return 0
	cd "$(dirname "$0")/../$d"
	if ! cmp -s package-lock.json node_modules/.dirgate-lock 2>/dev/null; then
		npm ci --no-audit --no-fund --loglevel=error >/dev/null
		cp package-lock.json node_modules/.dirgate-lock
	fi
	cd - >/dev/null
}

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && { npm_fixture "${1:---build}"; exit 0; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing:$missing" >&2
# slapd: no system database and no service; the tests run private instances.
echo "slapd slapd/no_configuration boolean true" | $SUDO debconf-set-selections
# No package may start its system service (slapd, smbd, nmbd — nmbd would
# broadcast on the LAN): the tests run private instances on loopback only.
policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod 755 "$policy"
	made_policy=1
	trap '$SUDO rm -f "$policy"' EXIT
fi
$SUDO apt-get update -q >/dev/null
# shellcheck disable=SC2086 # word splitting of the package list is intended
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
npm_fixture "${1:---build}"
