#!/usr/bin/env bash
# Run a command whose /run is ROOT/run, as a node's containerd sees its host root's /run (the smoke
# gives containerd node paths). Started by `unshare --mount --propagation private`, so the bind
# mount is the command's alone. Usage: with-root-run.sh ROOT COMMAND [ARGS…]
set -euo pipefail
root=$1
shift
mount --bind "$root/run" /run
exec "$@"
