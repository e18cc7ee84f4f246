#!/bin/sh
# Benchmark (not part of the tests): one mailbox with 40,000 distinct
# proxyAddresses (and 10,000 repeats in another letter case) among 1,000
# users.  De-duplicating its addresses must stay linear: target at most 1 s
# for the whole preview.  ALIASES=N changes the count.
set -eu
cd "$(dirname "$0")/../.."
./scripts/install-deps.sh --build
[ -d build-bench ] || meson setup build-bench --buildtype=release >/dev/null
ninja -C build-bench src/dirgate >/dev/null

aliases=${ALIASES:-40000}
out=tests/bench/out
mkdir -p "$out"
ldif="$out/proxy-$aliases.ldif"
profile="$out/proxy-$aliases.json"
[ -f "$ldif" ] && [ -f "$profile" ] ||
	python3 tests/bench/gen_ldif.py 1000 -o "$ldif" --profile "$profile" --proxy-addresses "$aliases"
start=$(date +%s.%N)
./build-bench/src/dirgate preview --format json --output "$out/proxy-preview.json" "$profile"
end=$(date +%s.%N)
python3 - "$start" "$end" "$aliases" "$out/proxy-preview.json" <<'PY'
import json, sys
secs = float(sys.argv[2]) - float(sys.argv[1])
users = json.load(open(sys.argv[4]))["users"]
most = max(len(u.get("emailAddresses", [])) for u in users)
print("%s proxyAddresses on one user: preview in %.2fs (target <= 1), %d addresses kept"
      % (sys.argv[3], secs, most))
sys.exit(0 if secs <= 1.0 and most >= int(sys.argv[3]) else 1)
PY
