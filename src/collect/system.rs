//! The node's system facilities that runwasi shims' embedded libcontainer relies on: the cgroup
//! hierarchy (v2, or v1/hybrid, which a shim built without libcontainer's v1 feature refuses) and the
//! D-Bus system bus (its systemd cgroup manager's way to systemd).

use super::host::{FileKind, HostRoot};
use super::socket;
use crate::facts::{BusState, Cgroup, CgroupMode, Fact, MissingKind, SystemBus};

const CGROUP_ROOT: &str = "/sys/fs/cgroup";
pub const SYSTEM_BUS: &str = "/run/dbus/system_bus_socket";

/// `statfs` magic numbers (linux/magic.h).
const CGROUP2_SUPER_MAGIC: i64 = 0x6367_7270;
const TMPFS_MAGIC: i64 = 0x0102_1994;

/// The cgroup hierarchy: on the running machine from the filesystem mounted at `/sys/fs/cgroup`
/// (cgroup2, or the tmpfs holding v1 controllers), else from what the files show: a
/// `cgroup.controllers` at the top is v2, under `unified/` hybrid, controller directories v1.
pub fn cgroup(host: &HostRoot, live: bool) -> Fact<Cgroup> {
    let found = |mode, evidence: String| Fact::Collected(Cgroup { mode, evidence });
    let hybrid = host.is_file(&format!("{CGROUP_ROOT}/unified/cgroup.controllers"));
    if live && let Ok(magic) = host.fs_magic(CGROUP_ROOT) {
        match magic {
            CGROUP2_SUPER_MAGIC => return found(CgroupMode::Unified, format!("{CGROUP_ROOT} is a cgroup2 mount")),
            TMPFS_MAGIC if hybrid => {
                return found(
                    CgroupMode::Hybrid,
                    format!("{CGROUP_ROOT} is a tmpfs of v1 controllers with a cgroup2 `unified/`"),
                );
            }
            TMPFS_MAGIC => return found(CgroupMode::Legacy, format!("{CGROUP_ROOT} is a tmpfs of v1 controllers")),
            _ => {}
        }
    }
    if host.is_file(&format!("{CGROUP_ROOT}/cgroup.controllers")) {
        return found(CgroupMode::Unified, format!("{CGROUP_ROOT}/cgroup.controllers exists"));
    }
    let v1 = ["memory", "cpu,cpuacct", "cpu", "pids"].into_iter().find(|c| host.is_dir(&format!("{CGROUP_ROOT}/{c}")));
    match (v1, hybrid) {
        (Some(c), true) => found(
            CgroupMode::Hybrid,
            format!("v1 controller `{CGROUP_ROOT}/{c}` and `{CGROUP_ROOT}/unified/cgroup.controllers`"),
        ),
        (Some(c), false) => {
            found(CgroupMode::Legacy, format!("v1 controller `{CGROUP_ROOT}/{c}`, no `cgroup.controllers`"))
        }
        (None, _) => Fact::unavailable(
            MissingKind::NotFound,
            format!(
                "no cgroup hierarchy shows under `{CGROUP_ROOT}` in this host root (sysfs is not on disk in an offline copy)"
            ),
        ),
    }
}

/// The D-Bus system bus socket; on the running machine, whether it accepts a connection.
pub fn system_bus(host: &HostRoot, live: bool) -> Fact<SystemBus> {
    let state = match host.meta(SYSTEM_BUS) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BusState::Missing,
        Err(e) => return Fact::unavailable(MissingKind::Failed, format!("{SYSTEM_BUS}: {e}")),
        Ok(m) if m.kind != FileKind::Socket => BusState::NotASocket,
        Ok(_) if !live => BusState::Present,
        Ok(_) => match host
            .resolve(SYSTEM_BUS)
            .map_err(|e| e.to_string())
            .and_then(|p| socket::probe(&p, SYSTEM_BUS, "D-Bus").map_err(|m| m.reason))
        {
            Ok(()) => BusState::Answers,
            Err(reason) => BusState::Refuses { reason },
        },
    };
    Fact::Collected(SystemBus { path: SYSTEM_BUS.into(), state })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_with(files: &[&str]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for f in files {
            let p = d.path().join(f.trim_start_matches('/'));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "cpuset cpu io memory pids\n").unwrap();
        }
        d
    }

    #[test]
    fn the_hierarchy_from_files() {
        let mode = |files: &[&str]| cgroup(&HostRoot::new(root_with(files).path()), false).collected().map(|c| c.mode);
        assert_eq!(mode(&["/sys/fs/cgroup/cgroup.controllers"]), Some(CgroupMode::Unified));
        assert_eq!(
            mode(&["/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/unified/cgroup.controllers"]),
            Some(CgroupMode::Hybrid)
        );
        assert_eq!(mode(&["/sys/fs/cgroup/cpu,cpuacct/cpu.shares"]), Some(CgroupMode::Legacy));
        assert_eq!(mode(&[]), None, "an offline copy without sysfs says nothing");
    }

    #[test]
    fn this_machine_is_read_from_its_mount() {
        // The test machine's own hierarchy: statfs says which, and the files agree.
        let live = cgroup(&HostRoot::new("/"), true);
        let Fact::Collected(c) = live else { return };
        let files = cgroup(&HostRoot::new("/"), false);
        if let Fact::Collected(f) = files {
            assert_eq!(c.mode, f.mode, "{} vs {}", c.evidence, f.evidence);
        }
    }

    #[test]
    fn the_system_bus() {
        let d = tempfile::tempdir().unwrap();
        let host = HostRoot::new(d.path());
        let state = |live| system_bus(&host, live).collected().map(|b| b.state.clone());
        assert_eq!(state(true), Some(BusState::Missing));
        std::fs::create_dir_all(d.path().join("run/dbus")).unwrap();
        let path = d.path().join("run/dbus/system_bus_socket");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        assert_eq!(state(false), Some(BusState::Present), "offline: not connected to");
        assert_eq!(state(true), Some(BusState::Answers));
        drop(listener);
        assert!(matches!(state(true), Some(BusState::Refuses { .. })));
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, "").unwrap();
        assert_eq!(state(true), Some(BusState::NotASocket));
    }
}
