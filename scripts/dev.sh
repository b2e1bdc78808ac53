#!/usr/bin/env bash
# Set up a fresh Debian machine and build/run or test wasmdoctor.
#   scripts/dev.sh run [ARGS…]   build (release) and run wasmdoctor with ARGS
#   scripts/dev.sh test          fmt, clippy and the whole test suite
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the build and the tests need: gcc, protoc (containerd-client and k8s-cri compile
# protos at build time), the real daemons tests/daemons.rs starts (containerd, dockerd), and tmux for
# the terminal test (tests/tui.rs).
APT_PACKAGES=(build-essential ca-certificates curl protobuf-compiler containerd docker.io util-linux tar tmux)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}"
  fi
}

install_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    [ -x "$HOME/.cargo/bin/cargo" ] || curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
}

install_packages
install_rust

case "${1:-}" in
  run)
    shift
    cargo build --release --locked
    exec ./target/release/wasmdoctor "$@"
    ;;
  test)
    cargo fmt --all -- --check
    cargo clippy --locked --all-targets -- -D warnings
    cargo test --locked --all-targets
    ;;
  *)
    echo "usage: scripts/dev.sh run [ARGS…] | test" >&2
    exit 2
    ;;
esac
