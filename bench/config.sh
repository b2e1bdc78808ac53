#!/usr/bin/env bash
# A large containerd config: parse time by size (cargo bench), and the whole node report on a host
# root whose config is about 10 MB (36,000 Wasm runtimes), median of 5 (hyperfine).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --locked -q --bench config_parse 2>/dev/null
command -v hyperfine >/dev/null || { echo "bench/config.sh needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
cargo build --release --locked -q
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc/containerd"
python3 - "$root/etc/containerd/config.toml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("version = 2\n")
    for i in range(36000):
        f.write(f'[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasm{i}]\n  runtime_type = "io.containerd.wasmedge.v1"\n  pod_annotations = ["module.wasm.image/variant", "run.oci.handler"]\n  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasm{i}.options]\n    SystemdCgroup = true\n')
PY
size=$(stat -c %s "$root/etc/containerd/config.toml")
json=$(mktemp)
hyperfine -N -i --warmup 1 --runs 5 --export-json "$json" "./target/release/wasmdoctor --json --no-cluster --no-docker --host-root $root" >/dev/null 2>&1
median=$(python3 -c "import json,sys; print(f\"{json.load(open(sys.argv[1]))['results'][0]['median']*1000:.0f}\")" "$json")
rm -f "$json"
printf '\n| whole node report | config | runtimes | median of 5 |\n|---|---|---|---|\n| `check --json --no-cluster --no-docker` | %.1f MB | 36000 | %s ms |\n' "$(echo "$size/1000000" | bc -l)" "$median"
