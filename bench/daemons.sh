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
R=$(mktemp -d /tmp/wd-bench.XXXXXX)
cleanup() {
  [ -f "$R/dockerd.pid" ] && kill "$(cat "$R/dockerd.pid")" 2>/dev/null || true
  [ -f "$R/containerd.pid" ] && kill "$(cat "$R/containerd.pid")" 2>/dev/null || true
  sleep 2; rm -rf "$R"
}
trap cleanup EXIT
mkdir -p "$R/etc/containerd" "$R/run/containerd" "$R/docker"
cat > "$R/etc/containerd/config.toml" <<TOML
version = 2
root = "$R/var/lib/containerd"
state = "$R/run/containerd/state"
[grpc]
  address = "$R/run/containerd/containerd.sock"
[ttrpc]
  address = "$R/run/containerd/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$R/opt/containerd"
[plugins."io.containerd.grpc.v1.cri"]
  disable_tcp_service = true
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun]
    runtime_type = "io.containerd.runc.v2"
    pod_annotations = ["module.wasm.image/variant"]
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun.options]
      BinaryName = "/usr/bin/crun"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmedge]
    runtime_type = "io.containerd.wasmedge.v1"
TOML
containerd --config "$R/etc/containerd/config.toml" >"$R/containerd.log" 2>&1 &
echo $! > "$R/containerd.pid"
for _ in $(seq 100); do ctr --address "$R/run/containerd/containerd.sock" version >/dev/null 2>&1 && break; sleep 0.1; done
echo '{}' > "$R/docker/daemon.json"
dockerd --data-root "$R/docker/data" --exec-root "$R/docker/exec" --pidfile "$R/dockerd.pid" \
  --host "unix://$R/docker/docker.sock" --config-file "$R/docker/daemon.json" \
  --containerd "$R/run/containerd/containerd.sock" --storage-driver=vfs --iptables=false --bridge=none \
  >"$R/dockerd.log" 2>&1 &
for _ in $(seq 300); do grep -q "API listen on" "$R/dockerd.log" && break; sleep 0.2; done
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
