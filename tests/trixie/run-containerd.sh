#!/bin/bash
# Run the trixie chroot's containerd 1.7 (with crun 1.21 and libwasmedge0) as crun needs it, in the
# private mount namespace this script is started in (`unshare -m --propagation private`): the chroot's
# root a mount point, /proc and /sys mounted, /dev bound, and a cgroup layout crun accepts: the host's
# cgroup2 when it is pure v2; otherwise only the v1 controllers (crun refuses a hybrid layout whose
# cgroup2 has controllers). Everything is gone with the namespace when containerd and its shims exit.
# Usage: run-containerd.sh CHROOT (its /etc/containerd/config.toml is used)
set -euo pipefail
root=$1
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
    mount --rbind /sys/fs/cgroup "$root/sys/fs/cgroup"
else
    mount -t tmpfs -o mode=755 cgroup "$root/sys/fs/cgroup"
    for c in /sys/fs/cgroup/*; do
        name=${c##*/}
        [ "$name" = unified ] && continue
        [ "$(stat -f -c %T "$c")" = cgroupfs ] || continue
        mkdir -p "$root/sys/fs/cgroup/$name"
        mount --bind "$c" "$root/sys/fs/cgroup/$name"
    done
fi
exec chroot "$root" /usr/bin/containerd --config /etc/containerd/config.toml
