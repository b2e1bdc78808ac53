//! Checks that read the running machine (WD108's D-Bus socket): a copied host root becomes "the
//! running machine" when its `proc/sys/kernel/random/boot_id` is this kernel's, as a DaemonSet pod's
//! `/host` is; without it the same root is an offline copy and these checks skip.

mod common;

use std::os::unix::net::UnixListener;

use common::roots::copy_fixture;
use common::*;

/// A copy of `host` whose kernel is ours.
fn live_copy(host: &str) -> tempfile::TempDir {
    let root = copy_fixture(host);
    let dir = root.path().join("proc/sys/kernel/random");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy("/proc/sys/kernel/random/boot_id", dir.join("boot_id")).unwrap();
    root
}

fn wd108(root: &std::path::Path) -> (String, String, serde_json::Value) {
    let r = run(&["--json", "--no-cluster", "--no-docker", "--only", "WD108", "--host-root", root.to_str().unwrap()]);
    let j = r.json();
    assert_schema_valid(&j);
    let c = check(&j, "WD108").clone();
    (c["status"].as_str().unwrap().to_string(), c["message"].as_str().unwrap().to_string(), j)
}

/// KWasm's k3s template sets `SystemdCgroup = true` on the spin shim (containerd-shim-spin#227).
#[test]
fn a_systemd_shim_needs_the_system_bus_on_the_running_machine() {
    let root = live_copy("k3s-kwasm-binaryname");
    let (status, message, j) = wd108(root.path());
    assert_eq!(j["target"]["live"], true, "{}", j["target"]);
    assert_eq!(status, "fail", "{message}");
    assert!(message.ends_with("but there is no `/run/dbus/system_bus_socket`: every Wasm container fails to start with `cgroup error: systemd error: dbus error`"), "{message}");

    // A bus that accepts connections.
    let bus = root.path().join("run/dbus/system_bus_socket");
    std::fs::create_dir_all(bus.parent().unwrap()).unwrap();
    let listener = UnixListener::bind(&bus).unwrap();
    let (status, message, _) = wd108(root.path());
    assert_eq!(status, "pass", "{message}");
    assert!(message.ends_with("and `/run/dbus/system_bus_socket` answers"), "{message}");

    // A socket file whose daemon is gone.
    drop(listener);
    let (status, message, _) = wd108(root.path());
    assert_eq!(status, "fail", "{message}");
    assert!(message.contains("nothing answers on `/run/dbus/system_bus_socket`"), "{message}");
}

#[test]
fn an_offline_copy_skips_what_only_the_running_machine_shows() {
    let (status, message, _) = wd108(&fixture("k3s-kwasm-binaryname"));
    assert_eq!(status, "skip");
    assert_eq!(
        message,
        "reads the running machine (its /run and processes), and the host root is not it: it has no proc/sys/kernel/random/boot_id: an offline copy"
    );
}
