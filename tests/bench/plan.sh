#!/bin/sh
# Benchmark (not part of the tests): dirgate plan against the MailStore API
# emulator holding 100,000 users (issue 4).  The directory side is the
# generated 100,000-user AD snapshot of run.sh; the emulator's user store is
# that directory's preview with 1% of full names changed and 1% of users
# renamed (so the plan has updates and renames to find).  Targets: wall time
# dominated by the emulator (its CPU time > dirgate's), peak RSS <= 150 MB.
# USERS=N overrides the size; PARALLEL=N the GetUserInfo requests in flight.
set -eu
cd "$(dirname "$0")/../.."
./scripts/install-deps.sh --build
command -v /usr/bin/time >/dev/null || { SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo;
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q time >/dev/null; }
[ -d build-bench ] || meson setup build-bench --buildtype=release >/dev/null
ninja -C build-bench src/dirgate >/dev/null

users=${USERS:-100000}
parallel=${PARALLEL:-8}
out=tests/bench/out
mkdir -p "$out"
ldif="$out/ad-$users.ldif"
base_profile="$out/profile-$users.json"
[ -f "$ldif" ] && [ -f "$base_profile" ] ||
	python3 tests/bench/gen_ldif.py "$users" -o "$ldif" --profile "$base_profile"
python3 tests/bench/plan_setup.py "$base_profile" "$out" ./build-bench/src/dirgate
profile="$out/plan-profile.json"
emu_pid=$(cat "$out/emulator.pid")
trap 'kill "$emu_pid" 2>/dev/null || true' EXIT INT TERM

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime+stime, clock ticks
tck=$(getconf CLK_TCK)
before=$(cpu "$emu_pid")
MAILSTORE_BENCH_PW=bench-password /usr/bin/time -f "%e %U %S %M" -o "$out/time.txt" \
	./build-bench/src/dirgate plan "$profile" --format json --parallel "$parallel" \
	>"$out/plan.json"
after=$(cpu "$emu_pid")
read -r secs usr sys rss_kb <<EOT
$(tail -n 1 "$out/time.txt")
EOT
python3 - "$secs" "$usr" "$sys" "$rss_kb" "$(( after - before ))" "$tck" "$out/plan.json" <<'PY'
import json, sys
secs, usr, sysc, rss = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
emu = int(sys.argv[5]) / int(sys.argv[6])
s = json.load(open(sys.argv[7]))["summary"]
mine = usr + sysc
print("plan against %d MailStore users: wall %.1fs; dirgate CPU %.1fs, emulator CPU %.1fs; "
      "dirgate peak RSS %.1f MB (target <= 150)" % (s["serverUsers"], secs, mine, emu, rss / 1024))
print("plan summary: %s" % json.dumps(s))
sys.exit(0 if rss / 1024 <= 150 and emu > mine else 1)
PY
