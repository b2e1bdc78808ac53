#!/usr/bin/env bash
# WD109's node smoke run with the real test shim (tests/shim-wasmtime, built by `scripts/dev.sh test`
# into target/test-bin): `wasmdoctor smoke --runtime wasmtime` against a private containerd
# (bench/lib/daemons.sh). The first run, then the median of 20 (hyperfine). Each run includes the
# node and containerd collection (a few ms) and the whole smoke lifecycle: content, image, snapshot,
# container, task, wait, and the deletion of everything.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in hyperfine containerd ctr; do
  command -v "$tool" >/dev/null || { echo "bench/smoke.sh needs $tool" >&2; exit 2; }
done
shim=$PWD/target/test-bin/containerd-shim-wasmtime-v1
[ -x "$shim" ] || { echo "bench/smoke.sh needs $shim: run scripts/dev.sh test first" >&2; exit 2; }
cargo build --release --locked -q
bin=$PWD/target/release/wasmdoctor
# shellcheck source=bench/lib/daemons.sh
. bench/lib/daemons.sh
start_daemons
cp "$shim" "$R/bin/"
cmd="$bin smoke --runtime wasmtime --no-docker --host-root $R --json"
first=$( { /usr/bin/time -f '%e' $cmd >"$R/first.json" || true; } 2>&1 | tail -1)
python3 -c "import json,sys; c=[c for c in json.load(open(sys.argv[1]))['checks'] if c['id']=='WD109'][0]; print('first run:', c['status'], '-', c['evidence'][0]['value'] if c['evidence'] else c['message'])" "$R/first.json"
echo "first run wall: ${first} s"
json=$(mktemp)
hyperfine -N -i --warmup 2 --runs 20 --export-json "$json" "$cmd" >/dev/null 2>&1
python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print('warm: median %.0f ms, min %.0f ms, max %.0f ms' % tuple(x*1000 for x in (r['median'], r['min'], r['max'])))" "$json"
rm -f "$json"
ns=$(ctr --address "$R/run/containerd/containerd.sock" namespaces ls -q)
echo "namespaces left: ${ns//$'\n'/ }"
