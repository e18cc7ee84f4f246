#!/bin/sh
# Benchmark (not part of the tests): dirgate onboard --yes of TENANTS tenants
# (default 200) of USERS users each (default 1,000; the generated AD snapshot
# of run.sh) against the SPE emulator answering every call LATENCY ms late
# (default 50), --jobs JOBS (default 8, and as many per endpoint: all
# tenants share one emulator).  Targets: wall time <= 1.3 x (sum of the
# tenants' own times / JOBS), i.e. the threads are kept busy; peak RSS <=
# 200 MB (previews are not all held at once).
set -eu
cd "$(dirname "$0")/../.."
./scripts/install-deps.sh --build
command -v /usr/bin/time >/dev/null || { SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo;
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q time >/dev/null; }
[ -d build-bench ] || meson setup build-bench --buildtype=release >/dev/null
ninja -C build-bench src/dirgate >/dev/null

users=${USERS:-1000}
tenants=${TENANTS:-200}
latency=${LATENCY:-50}
jobs=${JOBS:-8}
out=tests/bench/out/onboard
rm -rf "$out"
mkdir -p "$out"
ldif="$out/ad-$users.ldif"
base_profile="$out/profile-$users.json"
python3 tests/bench/gen_ldif.py "$users" -o "$ldif" --profile "$base_profile"
python3 tests/bench/onboard_setup.py "$base_profile" "$out" ./build-bench/src/dirgate \
	"$tenants" "$latency"
emu_pid=$(cat "$out/emulator.pid")
trap 'kill "$emu_pid" 2>/dev/null || true' EXIT INT TERM

rc=0
MAILSTORE_BENCH_PW=bench-password /usr/bin/time -f "%e %U %S %M" -o "$out/time.txt" \
	./build-bench/src/dirgate onboard "$out/onboard-manifest.json" --yes \
	--jobs "$jobs" --per-endpoint "$jobs" --artifacts "$out/artifacts" \
	>"$out/onboard.out" 2>&1 || rc=$?
read -r secs usr sys rss_kb <<EOT
$(tail -n 1 "$out/time.txt")
EOT
python3 - "$secs" "$usr" "$sys" "$rss_kb" "$jobs" "$rc" "$out/artifacts/report.json" <<'PY'
import json, sys
secs, usr, sysc, rss = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
jobs, rc = int(sys.argv[5]), int(sys.argv[6])
rep = json.load(open(sys.argv[7]))
own = sum(t["seconds"] for t in rep["tenants"])
ideal = own / jobs
s = rep["summary"]
print("onboard of %d tenants (%d directory users): exit %d, wall %.1fs, dirgate CPU %.1fs; "
      "sum of tenants' own times %.1fs, / %d = %.1fs; wall / that = %.2f (target <= 1.3); "
      "peak RSS %.1f MB (target <= 200)"
      % (s["tenants"], s["directoryUsers"], rc, secs, usr + sysc, own, jobs, ideal,
         secs / ideal if ideal else 0, rss / 1024))
print("summary: %s" % json.dumps(s))
ok = rc == 0 and s["done"] == s["tenants"] and secs <= 1.3 * ideal and rss / 1024 <= 200
sys.exit(0 if ok else 1)
PY
