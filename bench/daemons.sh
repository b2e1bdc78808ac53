#!/usr/bin/env bash
# The full node report (`--no-cluster`) with a private containerd and a private dockerd up:
# median wall time (hyperfine) and peak RSS (/usr/bin/time). Needs root, containerd, docker.io.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in hyperfine containerd dockerd ctr; do
  command -v "$tool" >/dev/null || { echo "bench/daemons.sh needs $tool" >&2; exit 2; }
done
cargo build --release --locked -q
bin=$PWD/target/release/wasmdoctor
# shellcheck source=bench/lib/daemons.sh
. bench/lib/daemons.sh
start_daemons
cmd="$bin check --json --no-cluster --host-root $R --docker-host unix:///docker/docker.sock"
{ $cmd || true; } | python3 -c "import json,sys; r=json.load(sys.stdin); print('sources:', [(s['name'], s['status']) for s in r['sources']])"
json=$(mktemp)
hyperfine -N -i --warmup 5 --runs 50 --export-json "$json" "$cmd" >/dev/null 2>&1
python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print('median %.1f ms, min %.1f ms, max %.1f ms' % tuple(x*1000 for x in (r['median'], r['min'], r['max'])))" "$json"
rss=0
for _ in 1 2 3 4 5; do
  k=$( { /usr/bin/time -f '%M' $cmd >/dev/null || true; } 2>&1 | tail -1 )
  if [ "$k" -gt "$rss" ]; then rss=$k; fi
done
echo "peak RSS $(echo "scale=1; $rss/1024" | bc) MB"
rm -f "$json"
