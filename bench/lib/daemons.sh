# Shared by the benchmarks that need the daemons up: a private containerd (crun, wasmedge and
# wasmtime runtimes configured; shims installed in $R/bin are on its PATH) and a private dockerd on
# it, under a fresh host root $R. `start_daemons` sets R and installs `trap stop_daemons EXIT` (a
# script with more to stop calls stop_daemons from its own trap). Needs root, containerd, docker.io.
stop_daemons() {
  [ -f "$R/dockerd.pid" ] && kill "$(cat "$R/dockerd.pid")" 2>/dev/null || true
  [ -f "$R/containerd.pid" ] && kill "$(cat "$R/containerd.pid")" 2>/dev/null || true
  sleep 2; rm -rf "$R"
}

start_daemons() {
  R=$(mktemp -d /tmp/wd-bench.XXXXXX)
  trap stop_daemons EXIT
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
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmtime]
    runtime_type = "io.containerd.wasmtime.v1"
TOML
  # Shims a benchmark installs go to $R/bin, first on containerd's PATH. containerd's /run is $R/run,
  # as a node's containerd sees its host root's (the smoke's FIFOs are node paths).
  mkdir -p "$R/bin"
  PATH="$R/bin:$PATH" unshare --mount --propagation private bench/lib/with-root-run.sh "$R" \
    containerd --config "$R/etc/containerd/config.toml" >"$R/containerd.log" 2>&1 &
  echo $! > "$R/containerd.pid"
  for _ in $(seq 100); do ctr --address "$R/run/containerd/containerd.sock" version >/dev/null 2>&1 && break; sleep 0.1; done
  echo '{}' > "$R/docker/daemon.json"
  dockerd --data-root "$R/docker/data" --exec-root "$R/docker/exec" --pidfile "$R/dockerd.pid" \
    --host "unix://$R/docker/docker.sock" --config-file "$R/docker/daemon.json" \
    --containerd "$R/run/containerd/containerd.sock" --storage-driver=vfs --iptables=false --bridge=none \
    >"$R/dockerd.log" 2>&1 &
  for _ in $(seq 300); do grep -q "API listen on" "$R/dockerd.log" && break; sleep 0.2; done
}
