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

/// The running machine seen through another root, as a DaemonSet pod sees the node at `/host`: a
/// node binary runs with that root as its `/` (its `#!/bin/sh`, its libraries and the files it
/// reads are the node's). The copy gets a real shell, the machine's procfs and `/dev/fd`; its
/// `crun` reads its version from the root's own `/etc`. Offline, the same file is run as it is
/// (the machine's `/etc` has no such file) and its version cannot be read.
#[test]
fn a_live_roots_binaries_run_inside_it() {
    use std::os::unix::fs::PermissionsExt;
    let root = live_copy("healthy-crun");
    let r = root.path();
    common::roots::add_shell(r);
    std::fs::write(r.join("etc/crun-release"), "1.19.1\n").unwrap();
    let crun = r.join("usr/local/bin/crun");
    std::fs::write(&crun, "#!/bin/sh\nread v < /etc/crun-release\necho \"crun version $v\"\necho 'spec: 1.0.0'\necho '+SYSTEMD +SELINUX +CAP +SECCOMP +WASM:wasmedge +YAJL'\n").unwrap();
    std::fs::set_permissions(&crun, std::fs::Permissions::from_mode(0o755)).unwrap();
    let proc = Mount::bind("/proc", &r.join("proc"));

    let version = |extra: &[&str]| {
        let mut args =
            vec!["--json", "--no-cluster", "--no-docker", "--only", "WD102", "--host-root", r.to_str().unwrap()];
        args.extend(extra);
        let j = run(&args).json();
        check(&j, "WD102").clone()
    };
    let live = version(&[]);
    assert_eq!(live["status"], "pass", "{live}");
    assert!(live["message"].as_str().unwrap().contains("crun `1.19.1`"), "{live}");
    let offline = version(&["--offline"]);
    assert_ne!(offline["status"], "pass", "{offline}");
    drop(proc);
}

/// A bind mount, undone when dropped (also when the test fails).
struct Mount(std::path::PathBuf);

impl Mount {
    fn bind(from: &str, to: &std::path::Path) -> Mount {
        std::fs::create_dir_all(to).unwrap();
        let ok = std::process::Command::new("mount").args(["--bind", from]).arg(to).status().unwrap();
        assert!(ok.success(), "mount --bind (this test runs as root, as CI does)");
        Mount(to.to_path_buf())
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}
