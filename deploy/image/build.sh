#!/usr/bin/env bash
# Build the agent's image without network access: FROM scratch, with the wasmdoctor binary and the
# shared libraries `ldd` says it links, at the paths the loader expects.
#   deploy/image/build.sh [--binary PATH] [--tag TAG] [--docker-host URL]
# Defaults: a fresh `cargo build --release --locked`, ghcr.io/wasmdoctor/wasmdoctor:<version>, and
# docker's own default host. `podman` is used when `docker` is not installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
binary=""
tag=""
host_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --docker-host) host_args=(--host "$2"); shift 2 ;;
    *) echo "deploy/image/build.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$binary" ]; then
  (cd "$repo" && cargo build --release --locked -q)
  binary=$repo/target/release/wasmdoctor
fi
version=$(awk -F'"' '/^version *=/ {print $2; exit}' "$repo/Cargo.toml")
tag=${tag:-ghcr.io/wasmdoctor/wasmdoctor:$version}
engine=docker
command -v docker >/dev/null || engine=podman
command -v "$engine" >/dev/null || { echo "deploy/image/build.sh needs docker or podman" >&2; exit 2; }
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/rootfs/usr/bin"
cp "$binary" "$ctx/rootfs/usr/bin/wasmdoctor"
# Every library with a path (the vDSO has none), the loader included, copied at that path.
ldd "$binary" | grep -o '/[^ )]*' | sort -u | while read -r lib; do
  mkdir -p "$ctx/rootfs$(dirname "$lib")"
  cp -L "$lib" "$ctx/rootfs$lib"
done
cp "$here/Containerfile" "$ctx/Containerfile"
"$engine" "${host_args[@]}" build --network=none -t "$tag" -f "$ctx/Containerfile" "$ctx" >&2
echo "$tag"
