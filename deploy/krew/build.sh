#!/usr/bin/env bash
# Package wasmdoctor as the kubectl plugin `kubectl wasmdoctor` and write its krew manifest:
# an archive holding the binary as `kubectl-wasmdoctor` (the name kubectl looks up in PATH), and
# wasmdoctor.yaml naming the archive's URL and sha256, for `kubectl krew install --manifest=wasmdoctor.yaml
# --archive=kubectl-wasmdoctor_linux_amd64.tar.gz` or a krew index once the archive is published.
#   deploy/krew/build.sh --url URL [--binary PATH] [--out DIR]
# URL is where the archive will be downloaded from. Defaults: a fresh `cargo build --release
# --locked`, and target/krew.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
binary=""
url=""
out=$repo/target/krew
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --url) url=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "deploy/krew/build.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$url" ] || { echo "deploy/krew/build.sh: --url (where the archive is published) is required" >&2; exit 2; }
if [ -z "$binary" ]; then
  (cd "$repo" && cargo build --release --locked -q)
  binary=$repo/target/release/wasmdoctor
fi
version=$(awk -F'"' '/^version *=/ {print $2; exit}' "$repo/Cargo.toml")
arch=$(uname -m)
case "$arch" in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
esac
mkdir -p "$out"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
install -m 0755 "$binary" "$stage/kubectl-wasmdoctor"
cp "$repo/README.md" "$stage/README.md"
archive=kubectl-wasmdoctor_linux_${arch}.tar.gz
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$out/$archive" kubectl-wasmdoctor README.md
sha=$(sha256sum "$out/$archive" | cut -d' ' -f1)
sed -e "s|@VERSION@|v$version|" -e "s|@URL@|$url|" -e "s|@SHA256@|$sha|" -e "s|@ARCH@|$arch|" \
  "$here/wasmdoctor.yaml.in" > "$out/wasmdoctor.yaml"
echo "$out/$archive"
echo "$out/wasmdoctor.yaml"
