#!/usr/bin/env bash
# The cluster report against the fake API server (examples/fake_apiserver.rs, the test suite's
# server as a process) at 1k/10k/50k pods (a tenth of them Wasm) in 500 namespaces, with 2 Warning
# events per pod and 50 HPAs; compared with `kubectl get pods -A -o json` on the same server (at 10k)
# and with the floor: fetching just the bytes the checks need (every list page and the Wasm pods'
# logs, same HTTP stack and concurrency, no decoding but the paging).
#   bench/cluster.sh [SIZES…]     default: 1000 10000 50000
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in hyperfine kubectl; do
  command -v "$tool" >/dev/null || { echo "bench/cluster.sh needs $tool" >&2; exit 2; }
done
cargo build --release --locked -q
cargo build --release --locked -q --example fake_apiserver
bin=./target/release/wasmdoctor
srv=./target/release/examples/fake_apiserver
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 50000)
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

median_ms() { python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print('%.0f' % (r['median']*1000))" "$1"; }
peak_mb() {
  local rss=0 k
  for _ in 1 2 3; do
    /usr/bin/time -o "$work/time" -f '%M' "$@" >/dev/null 2>&1 || true
    k=$(tail -1 "$work/time")
    if [ "$k" -gt "$rss" ]; then rss=$k; fi
  done
  echo "scale=0; $rss/1024" | bc
}

printf '| pods (Wasm) | wasmdoctor median | peak RSS | floor median | wasmdoctor ÷ floor | kubectl get pods median | kubectl peak RSS | wasmdoctor ÷ kubectl |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for n in "${sizes[@]}"; do
  kc=$work/kubeconfig-$n
  "$srv" serve --pods "$n" --wasm $((n / 10)) --namespaces 500 --events $((n * 2)) --hpas 50 --kubeconfig "$kc" >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do grep -q serving "$work/server.log" 2>/dev/null && break; sleep 0.1; done
  grep -q serving "$work/server.log" || { echo "fake server did not start: $(cat "$work/server.log")" >&2; exit 1; }
  cmd="$bin check --json --no-node --no-docker --kubeconfig $kc"
  hyperfine -N -i --warmup 2 --runs 10 --export-json "$work/wd.json" "$cmd" >/dev/null 2>&1
  wd=$(median_ms "$work/wd.json")
  wd_rss=$(peak_mb $cmd)
  floors=()
  for _ in 1 2 3 4 5; do
    floors+=("$(FLOOR_WASM=$((n / 10)) "$srv" floor --kubeconfig "$kc" | sed -E 's/floor: ([0-9.]+) ms.*/\1/')")
  done
  floor=$(printf '%s\n' "${floors[@]}" | sort -n | sed -n 3p)
  ratio=$(python3 -c "print('%.1f×' % ($wd / $floor))")
  k="–"; k_rss="–"; kr="–"
  if [ "$n" -eq 10000 ]; then
    kcmd="kubectl --kubeconfig $kc get pods -A -o json"
    hyperfine -N --warmup 1 --runs 3 --export-json "$work/k.json" "$kcmd" >/dev/null 2>&1
    k=$(median_ms "$work/k.json")
    k_rss="$(peak_mb $kcmd) MB"
    kr=$(python3 -c "print('%.2f×' % ($wd / $k))")
    k="$k ms"
  fi
  printf '| %s (%s) | %s ms | %s MB | %s ms | %s | %s | %s | %s |\n' "$n" $((n / 10)) "$wd" "$wd_rss" "$floor" "$ratio" "$k" "$k_rss" "$kr"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
done
