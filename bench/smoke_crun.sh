#!/usr/bin/env bash
# WD109's node smoke on the crun route with crun's WASM handler: trixie's crun 1.21 (+WASM:wasmedge)
# under trixie's containerd 1.7 in the chroot `scripts/dev.sh test` builds (target/trixie), started as
# tests/crun_wasmedge.rs starts it. The first run, then the median of 20 (hyperfine).
set -euo pipefail
cd "$(dirname "$0")/.."
R=$PWD/target/trixie
[ -e "$R/.complete" ] || { echo "bench/smoke_crun.sh needs $R: run scripts/dev.sh test first" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "bench/smoke_crun.sh needs hyperfine" >&2; exit 2; }
cargo build --release --locked -q
bin=$PWD/target/release/wasmdoctor
mkdir -p "$R/etc/containerd"
cp tests/trixie/config.toml "$R/etc/containerd/config.toml"
rm -f "$R/run/containerd/containerd.sock"
unshare --mount --propagation private tests/trixie/run-containerd.sh "$R" >"$R/containerd-bench.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do chroot "$R" ctr version >/dev/null 2>&1 && break; sleep 0.1; done
cmd="$bin smoke --runtime crun --live --no-docker --no-cluster --host-root $R --json"
/usr/bin/time -f '%e' -o /tmp/wd-smoke-crun.time $cmd >/tmp/wd-smoke-crun.json 2>/dev/null || true
first=$(tail -1 /tmp/wd-smoke-crun.time)
python3 -c "import json,sys; c=[c for c in json.load(open(sys.argv[1]))['checks'] if c['id']=='WD109'][0]; print('first run:', c['status'], '-', c['evidence'][0]['value'] if c['evidence'] else c['message'])" /tmp/wd-smoke-crun.json
echo "first run wall: ${first} s"
json=$(mktemp)
hyperfine -N -i --warmup 2 --runs 20 --export-json "$json" "$cmd" >/dev/null 2>&1
python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print('warm: median %.0f ms, min %.0f ms, max %.0f ms' % tuple(x*1000 for x in (r['median'], r['min'], r['max'])))" "$json"
rm -f "$json"
echo "namespaces left: $(chroot "$R" ctr namespaces ls -q | tr '\n' ' ')"
