#!/bin/sh
# Installs what the tests need, builds twice (plain and ASan/UBSan), runs
# every test in both, fuzzes each parser briefly, and ends with the line
# "N passed, N failed".  FUZZ_SECONDS (default 20) sets the time per fuzzer.
set -u
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --test || exit 1

logs=""
run_suite() { # build-dir, meson setup options...
	dir=$1; shift
	if [ ! -d "$dir" ]; then
		meson setup "$dir" "$@" >/dev/null || return 1
	fi
	ninja -C "$dir" >/dev/null || { ninja -C "$dir" | tail -30; return 1; }
	meson test -C "$dir" --print-errorlogs --num-processes 2 >"$dir/test-summary.txt" 2>&1
	tail -12 "$dir/test-summary.txt"
	logs="$logs $dir/meson-logs/testlog.json"
}

# -Dwerror: the tree builds warning-free (-Wall -Wextra) with gcc and clang,
# and a new warning fails the run rather than scrolling past.
echo "== plain build"
run_suite build -Dwerror=true || exit 1
echo "== ASan/UBSan build"
run_suite build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false || exit 1

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
logs="$logs build-tsan/meson-logs/testlog.json"

echo "== fuzzing (${FUZZ_SECONDS:-20}s per parser)"
fuzzlog=build-fuzz/fuzz-results.txt
if [ ! -d build-fuzz ]; then
	CC=clang meson setup build-fuzz -Dwerror=true -Dfuzzers=true -Db_sanitize=address,undefined \
		-Db_lundef=false >/dev/null || exit 1
fi
ninja -C build-fuzz >/dev/null || exit 1
: >"$fuzzlog"
for exe in build-fuzz/tests/fuzz_*; do
	[ -f "$exe" ] && [ -x "$exe" ] || continue
	t=${exe#build-fuzz/tests/fuzz_}
	work=$(mktemp -d)
	cp tests/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null
	if "build-fuzz/tests/fuzz_$t" -max_total_time="${FUZZ_SECONDS:-20}" -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="build-fuzz/crash-$t-" "$work" \
		>"build-fuzz/fuzz_$t.log" 2>&1; then
		echo "ok fuzz_$t" | tee -a "$fuzzlog"
	else
		echo "not ok fuzz_$t (see build-fuzz/fuzz_$t.log)" | tee -a "$fuzzlog"
		tail -20 "build-fuzz/fuzz_$t.log"
	fi
	rm -rf "$work"
done

# shellcheck disable=SC2086
python3 scripts/tap-summary.py $logs "$fuzzlog"
