#!/bin/sh
# The first thing a new user runs: install, build, then check and preview
# the embedded demo directory (examples/demo: an Active Directory export).
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --build
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
echo "== dirgate check --offline examples/demo/profile.json"
./build/src/dirgate check --offline examples/demo/profile.json || [ $? -eq 3 ]
echo
echo "== dirgate preview examples/demo/profile.json"
./build/src/dirgate preview examples/demo/profile.json
