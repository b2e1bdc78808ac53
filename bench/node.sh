#!/usr/bin/env bash
# Node-only report on fixture hosts: median wall time (hyperfine) and peak RSS (/usr/bin/time).
#   bench/node.sh [HOST…]   default: healthy-crun healthy-shim k3s-generated-edited
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "bench/node.sh needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench/node.sh needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
cargo build --release --locked -q
bin=./target/release/wasmdoctor
hosts=("$@")
[ ${#hosts[@]} -gt 0 ] || hosts=(healthy-crun healthy-shim k3s-generated-edited)
printf '| host | median | min | max | peak RSS |\n|---|---|---|---|---|\n'
for h in "${hosts[@]}"; do
  root=tests/fixtures/hosts/$h
  cmd="$bin check --json --no-cluster --no-docker --host-root $root"
  json=$(mktemp)
  # exit 1 (findings) is a normal result here
  hyperfine -N -i --warmup 5 --runs 50 --export-json "$json" "$cmd" >/dev/null 2>&1
  read -r median min max < <(python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print(*(f'{x*1000:.1f}' for x in (r['median'], r['min'], r['max'])))" "$json")
  rss=0
  for _ in 1 2 3 4 5; do
    k=$( { /usr/bin/time -f '%M' $cmd >/dev/null || true; } 2>&1 | tail -1 )
    if [ "$k" -gt "$rss" ]; then rss=$k; fi
  done
  printf '| %s | %s ms | %s ms | %s ms | %.1f MB |\n' "$h" "$median" "$min" "$max" "$(echo "$rss/1024" | bc -l)"
  rm -f "$json"
done
