#!/bin/sh
# Installs what the tests need, builds plain, ASan/UBSan and TSan, runs the
# tests in each, checks that a debug build links, fuzzes each parser briefly
# and merges what the fuzzers found into tests/fuzz/corpus/.  Prints one
# line per build and ends with "N passed, N failed, N skipped", each test
# point counted once (scripts/tap-summary.py; with CI set, a skip fails).
# FUZZ_BUDGET (default 360) is the fuzzing time in seconds, shared by the
# fuzzers (at least 10 s each); FUZZ_SECONDS sets the time per fuzzer instead.
set -u
cd "$(dirname "$0")/.." || exit 1
./scripts/install-deps.sh --test || exit 1

logs=""

# Adds to the seed corpus what a fuzzing run found that reaches new code
# (libFuzzer's -merge=1 keeps only such inputs), for a later commit to
# keep; not when that would grow the corpus past about 1 MB.
merge_corpus() { # fuzzer, corpus dir, run's dir
	staged=$(mktemp -d)
	cp "$2"/* "$staged"/ 2>/dev/null
	UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1 "$1" -merge=1 -timeout=10 \
		-rss_limit_mb=2048 "$staged" "$3" >>"build-fuzz/fuzz_${2##*/}.log" 2>&1 &&
		new=$(find "$staged" -type f | wc -l) old=$(find "$2" -type f | wc -l) &&
		if [ "$new" -gt "$old" ] && [ "$(du -sk "$staged" | cut -f1)" -le 1024 ]; then
			cp -n "$staged"/* "$2"/ && echo "  $((new - old)) new inputs in $2 (commit them to keep them)"
		fi
	rm -rf "$staged"
}

run_suite() { # label (no spaces), build-dir, meson setup options...
	label=$1 dir=$2; shift 2
	if [ ! -d "$dir" ]; then
		meson setup "$dir" "$@" >/dev/null || return 1
	fi
	ninja -C "$dir" >/dev/null || { ninja -C "$dir" | tail -30; return 1; }
	# every finding code a test produces lands here (src/core/findings.h)
	rm -f "$dir/findings-produced.txt"
	DG_FINDINGS_RECORD="$PWD/$dir/findings-produced.txt" \
	meson test -C "$dir" --print-errorlogs --num-processes 2 >"$dir/test-summary.txt" 2>&1
	tail -12 "$dir/test-summary.txt"
	logs="$logs $label=$dir/meson-logs/testlog.json"
}

# -Dwerror: the tree builds warning-free (-Wall -Wextra) with gcc and clang,
# and a new warning fails the run rather than scrolling past.
echo "== plain build"
run_suite plain build -Dwerror=true || exit 1
# Each finding code produced by some test, not merely named by one
# (tests/cli/test_codes.py checks the naming).
python3 scripts/codes-produced.py build/findings-produced.txt build/meson-logs/testlog.json \
	>build/codes-produced.txt
grep '^not ok' build/codes-produced.txt || true
logs="$logs codes=build/codes-produced.txt"
echo "== ASan/UBSan build"
run_suite asan-ubsan build-asan -Dwerror=true -Db_sanitize=address,undefined \
	-Db_lundef=false || exit 1

# The connectors that read pages on a second thread (net/bodypipe,
# connectors/page_stream), and the HTTP layer under them, once more under
# ThreadSanitizer: a data race there would corrupt a preview silently.
echo "== ThreadSanitizer build (the tests that run a second thread)"
if [ ! -d build-tsan ]; then
	meson setup build-tsan -Dwerror=true -Db_sanitize=thread -Db_lundef=false >/dev/null || exit 1
fi
ninja -C build-tsan >/dev/null || { ninja -C build-tsan | tail -30; exit 1; }
TSAN_OPTIONS="halt_on_error=1" meson test -C build-tsan --print-errorlogs --num-processes 2 \
	bodypipe page_stream m365 google http google_live onboard >build-tsan/test-summary.txt 2>&1
tail -12 build-tsan/test-summary.txt
logs="$logs tsan=build-tsan/meson-logs/testlog.json"

# -O0 calls what an optimised build inlines (floor() needs libm): the
# program must link in every build type a developer may choose.
echo "== debug build links"
checks=build-debug/link-result.txt
if [ -d build-debug ] || meson setup build-debug -Dbuildtype=debug >/dev/null; then
	if ninja -C build-debug src/dirgate >build-debug/link.log 2>&1; then
		echo "ok debug build (-O0) links" >"$checks"
	else
		echo "not ok debug build (-O0) links (see build-debug/link.log)" >"$checks"
		tail -20 build-debug/link.log
	fi
	cat "$checks"
	logs="$logs debug-link=$checks"
else
	exit 1
fi

echo "== fuzzing"
fuzzlog=build-fuzz/fuzz-results.txt
if [ ! -d build-fuzz ]; then
	# every UBSan report stops the fuzzer (a crash it saves), never scrolls past
	CC=clang meson setup build-fuzz -Dwerror=true -Dfuzzers=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fno-sanitize-recover=undefined >/dev/null || exit 1
fi
ninja -C build-fuzz >/dev/null || exit 1
: >"$fuzzlog"
set --
for exe in build-fuzz/tests/fuzz_*; do # not the fuzz_*.p object directories
	if [ -f "$exe" ] && [ -x "$exe" ]; then set -- "$@" "$exe"; fi
done
secs=${FUZZ_SECONDS:-$(( ${FUZZ_BUDGET:-360} / ($# > 0 ? $# : 1) ))}
[ "$secs" -ge 10 ] || secs=10
# Under CI the fuzzers start from a fixed seed, so a run that passed passes
# again on the same code and a red run can be repeated exactly; elsewhere
# every run explores new inputs (FUZZ_SEED sets one).
seed=${FUZZ_SEED:-}
[ -z "$seed" ] && [ -n "${CI:-}" ] && seed=20261206
echo "$# fuzzers, ${secs}s each${seed:+, seed $seed}"
for exe in "$@"; do
	t=${exe#build-fuzz/tests/fuzz_}
	corpus=tests/fuzz/corpus/$t
	work=$(mktemp -d)
	cp "$corpus"/* "$work"/ 2>/dev/null
	if UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
		"$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 ${seed:+-seed=$seed} \
		-artifact_prefix="build-fuzz/crash-$t-" "$work" >"build-fuzz/fuzz_$t.log" 2>&1; then
		echo "ok fuzz_$t" | tee -a "$fuzzlog"
		merge_corpus "$exe" "$corpus" "$work"
	else
		echo "not ok fuzz_$t (see build-fuzz/fuzz_$t.log)" | tee -a "$fuzzlog"
		tail -20 "build-fuzz/fuzz_$t.log"
	fi
	rm -rf "$work"
done
logs="$logs fuzzing=$fuzzlog"

# The Debian package: built, installed, run (scripts/test-package.sh).
./scripts/test-package.sh >build/package-results.txt
logs="$logs package=build/package-results.txt"
# shellcheck disable=SC2086 # the list of LABEL=LOG words is split on purpose
python3 scripts/tap-summary.py $logs
