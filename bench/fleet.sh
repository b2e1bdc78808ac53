#!/usr/bin/env bash
# `wasmdoctor fleet --json` against the fake API server (examples/fake_apiserver.rs) with a mixed fleet
# of N nodes (a quarter with the spin handler, a quarter without, a quarter with a stale agent, a
# quarter bare) and k3s's RuntimeClasses; 1,000 pods in 100 namespaces beside them. Median wall time
# (hyperfine) and peak RSS.
#   bench/fleet.sh [SIZES…]     default: 1000 5000
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "bench/fleet.sh needs hyperfine" >&2; exit 2; }
cargo build --release --locked -q
cargo build --release --locked -q --example fake_apiserver
bin=./target/release/wasmdoctor
srv=./target/release/examples/fake_apiserver
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 5000)
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
printf '| nodes | fleet median | peak RSS |\n|---|---|---|\n'
for n in "${sizes[@]}"; do
  kc=$work/kubeconfig-$n
  "$srv" serve --nodes "$n" --pods 1000 --wasm 100 --namespaces 100 --events 0 --hpas 0 --kubeconfig "$kc" >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do grep -q serving "$work/server.log" 2>/dev/null && break; sleep 0.1; done
  grep -q serving "$work/server.log" || { echo "fake server did not start: $(cat "$work/server.log")" >&2; exit 1; }
  cmd="$bin fleet --json --kubeconfig $kc"
  hyperfine -N -i --warmup 2 --runs 10 --export-json "$work/f.json" "$cmd" >/dev/null 2>&1
  ms=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print('%.0f' % (r['median']*1000))" "$work/f.json")
  /usr/bin/time -o "$work/time" -f '%M' $cmd >/dev/null 2>&1 || true
  rss=$(( $(tail -1 "$work/time") / 1024 ))
  printf '| %s | %s ms | %s MB |\n' "$n" "$ms" "$rss"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
done
