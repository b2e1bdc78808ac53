#!/usr/bin/env bash
# The agent's own cost on a node: `wasmdoctor agent --interval 1s` with the daemons up (a private
# containerd and a private dockerd, bench/lib/daemons.sh) publishing WasmReady to the fake API server,
# for RUNS runs (default 30). Prints the node checks' duration per run (from its /metrics), the CPU
# time per run (utime + stime over the runs, startup included) and its peak RSS (VmHWM).
#   bench/agent.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
for tool in containerd dockerd ctr curl; do
  command -v "$tool" >/dev/null || { echo "bench/agent.sh needs $tool" >&2; exit 2; }
done
cargo build --release --locked -q
cargo build --release --locked -q --example fake_apiserver
bin=$PWD/target/release/wasmdoctor
srv=$PWD/target/release/examples/fake_apiserver
# shellcheck source=bench/lib/daemons.sh
. bench/lib/daemons.sh
start_daemons
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; stop_daemons' EXIT
"$srv" serve --nodes 20 --pods 0 --wasm 0 --namespaces 1 --events 0 --hpas 0 --kubeconfig "$R/kubeconfig" >"$R/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 600); do grep -q serving "$R/server.log" 2>/dev/null && break; sleep 0.1; done
port=$((20000 + RANDOM % 20000))
"$bin" agent --interval 1s --live --host-root "$R" --docker-host unix:///docker/docker.sock --node worker-0 \
  --kubeconfig "$R/kubeconfig" --listen "127.0.0.1:$port" >"$R/agent.log" 2>&1 &
agent=$!
pids+=("$agent")
durations=()
seen=0
while [ "$seen" -lt "$runs" ]; do
  lines=$(wc -l <"$R/agent.log")
  if [ "$lines" -gt "$seen" ]; then
    seen=$lines
    d=$(curl -s "http://127.0.0.1:$port/metrics" | awk '$1 == "wasmdoctor_run_duration_seconds" {print $2}')
    [ -n "$d" ] && durations+=("$d")
  fi
  kill -0 "$agent" || { echo "the agent ended: $(cat "$R/agent.log")" >&2; exit 1; }
  sleep 0.05
done
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$agent/status")
read -r utime stime < <(awk '{print $14, $15}' "/proc/$agent/stat")
tck=$(getconf CLK_TCK)
echo "runs: $seen ($(tail -1 "$R/agent.log" | cut -c1-120))"
printf '%s\n' "${durations[@]}" | sort -n | awk '{a[NR]=$1} END {printf "node checks per run: median %.1f ms, max %.1f ms\n", a[int((NR+1)/2)]*1000, a[NR]*1000}'
echo "CPU per run: $(echo "scale=1; ($utime + $stime) * 1000 / $tck / $seen" | bc) ms (utime+stime $(( utime + stime )) ticks over $seen runs)"
echo "peak RSS: $(echo "scale=1; $hwm / 1024" | bc) MB"
