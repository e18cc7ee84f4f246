#!/bin/sh
# Benchmarks (not part of the tests): snapshot preview of a generated
# 100,000-user Active Directory LDIF.  Targets (issue 2): at least 200,000
# entries per second on one core, peak RSS at most 120 MB.
# USERS=N overrides the size; RUNS=N the repetitions (best time is kept);
# MAIL_DOMAIN=bench.local gives every user an address the data-quality rules
# flag (MAP021), the worst case for the preview's findings.
set -eu
cd "$(dirname "$0")/../.."
./scripts/install-deps.sh --build
command -v /usr/bin/time >/dev/null || { SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo;
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q time >/dev/null; }
[ -d build-bench ] || meson setup build-bench --buildtype=release >/dev/null
ninja -C build-bench src/dirgate >/dev/null

users=${USERS:-100000}
runs=${RUNS:-3}
out=tests/bench/out
mkdir -p "$out"
domain=${MAIL_DOMAIN:-bench.example.com}
ldif="$out/ad-$users-$domain.ldif"
profile="$out/profile-$users-$domain.json"
[ -f "$ldif" ] && [ -f "$profile" ] ||
	python3 tests/bench/gen_ldif.py "$users" -o "$ldif" --profile "$profile" \
		--mail-domain "$domain"
entries=$(grep -c '^dn:' "$ldif")

best=""
for i in $(seq "$runs"); do
	# taskset pins to one core: the target is per core.
	taskset -c 0 /usr/bin/time -f "%e %M" -o "$out/time.txt" \
		./build-bench/src/dirgate preview --format json --output "$out/preview.json" \
		"$profile"
	# GNU time prepends a line when the command fails; the figures are last.
	read -r secs rss_kb <<EOF
$(tail -n 1 "$out/time.txt")
EOF
	echo "run $i: ${secs}s, peak RSS $((rss_kb / 1024)) MB"
	if [ -z "$best" ] || awk -v a="$secs" -v b="$best" 'BEGIN{exit !(a<b)}'; then
		best=$secs
		best_rss=$rss_kb
	fi
done
python3 - "$entries" "$best" "$best_rss" "$out/preview.json" <<'PY'
import json, sys
entries, secs, rss = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
summary = json.load(open(sys.argv[4]))["summary"]
rate = entries / secs if secs > 0 else float("inf")
print("snapshot preview: %d entries in %.2fs = %.0f entries/s (target >= 200000), "
      "peak RSS %.1f MB (target <= 120); users %d, skipped %d, conflicts %d"
      % (entries, secs, rate, rss / 1024, summary["users"], summary["skipped"],
         summary["conflicts"]))
sys.exit(0 if rate >= 200000 and rss / 1024 <= 120 else 1)
PY
