#!/bin/sh
# Benchmark (not part of the tests): live preview of 100,000 users from a
# private slapd against ldapsearch -E pr=1000/noprompt (live_bench.py).
# Targets (issue 3): dirgate wall <= 1.3 x ldapsearch, peak RSS <= 120 MB.
# USERS=N overrides the size; RUNS=N the repetitions (best time is kept).
set -eu
cd "$(dirname "$0")/../.."
./scripts/install-deps.sh --test
command -v /usr/bin/time >/dev/null || { SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo;
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q time >/dev/null; }
[ -d build-bench ] || meson setup build-bench --buildtype=release >/dev/null
ninja -C build-bench src/dirgate >/dev/null
exec python3 tests/bench/live_bench.py build-bench/src/dirgate \
	--users "${USERS:-100000}" --runs "${RUNS:-3}"
