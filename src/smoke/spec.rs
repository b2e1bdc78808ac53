//! The OCI runtime spec of a smoke container, as `ctr run` would generate it for the smoke image
//! (its entrypoint, the nonce as argument), with the Wasm variant annotation for the crun route as
//! the kubelet passes it; and the runc shim's options (`BinaryName`) as the CRI plugin passes them.

use serde_json::{Value, json};

use super::image::ENTRYPOINT;

/// The type URL containerd stores a container's spec under.
pub const SPEC_TYPE: &str = "types.containerd.io/opencontainers/runtime-spec/1/Spec";

/// The annotation crun's Wasm handler looks for (knowledge §3).
pub const WASM_VARIANT: &str = "module.wasm.image/variant";

pub fn runtime_spec(id: &str, nonce: &str, crun: bool, systemd_cgroup: bool) -> Value {
    let caps = json!([
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_FSETID",
        "CAP_FOWNER",
        "CAP_MKNOD",
        "CAP_NET_RAW",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETFCAP",
        "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT",
        "CAP_KILL",
        "CAP_AUDIT_WRITE"
    ]);
    let cgroups_path =
        if systemd_cgroup { format!("system.slice:wasmdoctor:{id}") } else { format!("/wasmdoctor/{id}") };
    let mut spec = json!({
        "ociVersion": "1.1.0",
        "process": {
            "terminal": false,
            "user": {"uid": 0, "gid": 0},
            "args": [ENTRYPOINT, nonce],
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "cwd": "/",
            "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": true
        },
        "root": {"path": "rootfs"},
        "hostname": "wasmdoctor-smoke",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}
        ],
        "linux": {
            "resources": {"devices": [{"allow": false, "access": "rwm"}]},
            "cgroupsPath": cgroups_path,
            "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "network"}],
            "maskedPaths": ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                            "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
            "readonlyPaths": ["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
        }
    });
    if crun {
        spec["annotations"] = json!({WASM_VARIANT: "compat"});
    }
    spec
}

/// `containerd.runc.v1.Options` (api/types/runc/options/oci.proto): what the CRI plugin passes
/// the runc shim from a runtime's `options` table.
#[derive(Clone, PartialEq, prost::Message)]
struct RuncOptions {
    #[prost(string, tag = "6")]
    binary_name: String,
}

pub fn runc_options(binary_name: &str) -> prost_types::Any {
    let o = RuncOptions { binary_name: binary_name.to_string() };
    prost_types::Any { type_url: "containerd.runc.v1.Options".into(), value: prost::Message::encode_to_vec(&o) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crun_route_carries_the_annotation_and_the_binary() {
        let s = runtime_spec("wd-1", "n0nce", true, false);
        assert_eq!(s["process"]["args"], json!(["/smoke.wasm", "n0nce"]));
        assert_eq!(s["annotations"][WASM_VARIANT], "compat");
        assert_eq!(s["linux"]["cgroupsPath"], "/wasmdoctor/wd-1");
        assert!(runtime_spec("wd-1", "n", false, true)["annotations"].is_null());
        assert_eq!(runtime_spec("wd-1", "n", false, true)["linux"]["cgroupsPath"], "system.slice:wasmdoctor:wd-1");
        // Field 6, length-delimited: 0x32, the length, the bytes.
        let any = runc_options("/usr/bin/crun");
        assert_eq!(any.value[..2], [0x32, 13]);
        assert_eq!(&any.value[2..], b"/usr/bin/crun");
    }
}
