#!/bin/sh
# Builds the Debian package (debian/, dpkg-buildpackage -us -uc -b) from a
# copy of the tree, so the tree gets no build artefacts; the test suite is
# skipped there (DEB_BUILD_OPTIONS=nocheck: it runs on its own).  Then
# installs the package (dpkg -i as root, and removes it again afterwards if
# it was not installed before; otherwise unpacks it with dpkg -x) and checks
# that the installed dirgate runs and man finds its pages.  Prints TAP
# lines ("ok N - ..." / "not ok N - ...") for scripts/tap-summary.py.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/dirgate-package.XXXXXX")
installed=""
cleanup() {
	[ -n "$installed" ] && dpkg -r dirgate >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

n=0
result() { # ok|not ok, description, [log file]
	n=$((n + 1))
	echo "$1 $n - $2"
	if [ "$1" != ok ] && [ -n "${3:-}" ] && [ -s "$3" ]; then
		tail -n 25 "$3" | sed 's/^/#   /'
	fi
}
# check DESCRIPTION COMMAND...: the command's success is the test point
check() {
	desc=$1
	shift
	if "$@" >"$work/log" 2>&1; then result ok "$desc"; else result "not ok" "$desc" "$work/log"; fi
}
finish() { echo "1..$n"; exit 0; }

version=$(sed -n '1s/^dirgate (\([^)]*\)).*/\1/p' "$here/debian/changelog")
meson_version=$(sed -n "s/^ *version: '\([^']*\)'.*/\1/p" "$here/meson.build" | head -n 1)
if [ -n "$version" ] && [ "$version" = "$meson_version" ]; then
	result ok "debian/changelog's version $version is meson.build's"
else
	echo "changelog '$version', meson.build '$meson_version'" >"$work/log"
	result "not ok" "debian/changelog's version is meson.build's" "$work/log"
fi

# DG_PACKAGE_DEB=FILE checks a .deb built elsewhere instead of building one.
tools="dpkg-buildpackage dh dpkg-deb"
[ -n "${DG_PACKAGE_DEB:-}" ] && tools=dpkg-deb
for tool in $tools; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$tool is not installed (scripts/install-deps.sh --test installs it)" >"$work/log"
		result "not ok" "$tool is there to build the package" "$work/log"
		finish
	fi
done

build_package() {
	# the tree without build directories, VCS data and installed npm modules
	mkdir "$work/src"
	tar -C "$here" --exclude='./build*' --exclude=./.git --exclude='*/node_modules' -cf - . |
		tar -C "$work/src" -xf -
	check "dpkg-buildpackage -us -uc -b builds the package" \
		sh -c 'cd "$1" && DEB_BUILD_OPTIONS="nocheck${DEB_BUILD_OPTIONS:+ $DEB_BUILD_OPTIONS}" \
			dpkg-buildpackage -us -uc -b -Jauto' sh "$work/src"
}
if [ -n "${DG_PACKAGE_DEB:-}" ]; then
	deb=$DG_PACKAGE_DEB
else
	build_package
	deb=$(ls "$work"/dirgate_"$version"_*.deb 2>/dev/null | head -n 1)
fi
if [ -z "$deb" ]; then
	echo "no dirgate_${version}_*.deb in $work" >"$work/log"
	result "not ok" "the .deb is there" "$work/log"
	finish
fi
result ok "the package is there: $(basename "$deb")"

dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' >"$work/contents"
for f in /usr/bin/dirgate /usr/share/man/man1/dirgate.1.gz /usr/share/man/man1/dirgate-plan.1.gz \
	/usr/share/dirgate/profile.schema.json /usr/share/dirgate/mailstore/directory-services.json \
	/usr/share/doc/dirgate/findings.md /usr/share/bash-completion/completions/dirgate \
	/usr/share/zsh/vendor-completions/_dirgate /usr/share/fish/vendor_completions.d/dirgate.fish; do
	check "the package has $f" grep -qx -- "$f" "$work/contents"
done
pages=$(grep -c '^/usr/share/man/man1/dirgate.*\.1\.gz$' "$work/contents")
want=$(ls "$here"/docs/man/*.1 | wc -l)
check "the package has all $want manual pages" test "$pages" -eq "$want"

# install: for real as root (CI runs on a throwaway machine), else unpacked;
# also unpacked where dpkg is told not to install manual pages (slim images)
if [ "$(id -u)" = 0 ] && [ "${DG_PACKAGE_UNPACK_ONLY:-0}" != 1 ] &&
	! grep -qs '^path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d/* &&
	! dpkg-query -W -f='${Status}' dirgate 2>/dev/null | grep -q "ok installed"; then
	check "dpkg -i installs the package" dpkg -i "$deb"
	installed=1
	bin=/usr/bin/dirgate
	manpath=""
else
	check "dpkg -x unpacks the package" dpkg -x "$deb" "$work/root"
	bin=$work/root/usr/bin/dirgate
	manpath=$work/root/usr/share/man
fi
check "the installed dirgate --version says $version" \
	sh -c '[ "$("$1" --version)" = "dirgate $2" ]' sh "$bin" "$version"
for page in dirgate dirgate-check; do
	if [ -n "$manpath" ]; then
		check "man -w $page finds the installed page" sh -c 'man -M "$1" -w "$2" | grep -q "/man1/$2\.1\.gz$"' \
			sh "$manpath" "$page"
	else
		check "man -w $page finds the installed page" sh -c 'man -w "$1" | grep -q "^/usr/share/man/man1/$1\.1\.gz$"' \
			sh "$page"
	fi
done
check "the installed dirgate init points \$schema at the installed schema" \
	sh -c '"$1" init --type ldap | grep -q "\"\\\$schema\": \"/usr/share/dirgate/profile.schema.json\""' sh "$bin"
finish
