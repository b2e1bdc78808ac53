//! Processes on the node, read from `<host-root>/proc`: containerd (its PATH, executable, working
//! directory, command line) and the kubelet (its cgroup driver flag or config file).

use super::host::HostRoot;

/// A command line or environment is at most the kernel's ARG_MAX (2 MiB by default) and its
/// strings; more is not a real process's.
const ARGS_CAP: u64 = 4 << 20;
use crate::facts::{Fact, Missing, MissingKind, Process};

/// The first process whose argv0 base name is `name` (k3s and RKE2 start containerd as a child
/// process with argv0 `containerd`, so the embedded case is found the same way).
pub fn find(host: &HostRoot, name: &str) -> Fact<Process> {
    match find_all(host, |argv0| argv0 == name) {
        Ok(found) => match found.into_iter().next() {
            Some(p) => Fact::Collected(p),
            None => Fact::unavailable(MissingKind::NotFound, format!("no `{name}` process in /proc")),
        },
        Err(m) => Fact::Unavailable(m),
    }
}

/// Every process whose `argv[0]` file name satisfies `wanted`, by pid.
pub fn find_all(host: &HostRoot, wanted: impl Fn(&str) -> bool) -> Result<Vec<Process>, Missing> {
    let entries = host
        .read_dir("/proc")
        .map_err(|e| Missing { kind: MissingKind::NotFound, reason: format!("cannot list /proc: {e}") })?;
    let mut pids: Vec<u32> = entries.iter().filter_map(|n| n.parse().ok()).collect();
    pids.sort_unstable();
    let mut found = Vec::new();
    for pid in pids {
        let base = format!("/proc/{pid}");
        let Ok(raw) = host.read(&format!("{base}/cmdline"), ARGS_CAP) else {
            continue;
        };
        let cmdline: Vec<String> =
            raw.split(|&b| b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        let argv0 = cmdline.first().map(|a| a.rsplit('/').next().unwrap_or(a)).unwrap_or("");
        if !wanted(argv0) {
            continue;
        }
        let link = |what: &str| {
            host.read_link(&format!("{base}/{what}"))
                .ok()
                .map(|p| p.to_string_lossy().trim_end_matches(" (deleted)").to_string())
        };
        let path_env = host.read(&format!("{base}/environ"), ARGS_CAP).ok().and_then(|env| {
            env.split(|&b| b == 0)
                .find_map(|kv| kv.strip_prefix(b"PATH="))
                .map(|v| String::from_utf8_lossy(v).into_owned())
        });
        found.push(Process { pid, exe: link("exe"), cwd: link("cwd"), path_env, cmdline });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_containerd_with_path() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("proc/812");
        std::fs::create_dir_all(&p).unwrap();
        std::fs::create_dir_all(d.path().join("proc/7")).unwrap();
        std::fs::write(d.path().join("proc/7/cmdline"), b"/usr/bin/containerd-shim-runc-v2\0-id\0x\0").unwrap();
        std::fs::write(p.join("cmdline"), b"/usr/bin/containerd\0--config\0/etc/containerd/config.toml\0").unwrap();
        std::fs::write(p.join("environ"), b"LANG=C\0PATH=/usr/local/bin:/usr/bin\0SECRET=x\0").unwrap();
        std::os::unix::fs::symlink("/usr/bin/containerd", p.join("exe")).unwrap();
        let Fact::Collected(proc) = find(&HostRoot::new(d.path()), "containerd") else { panic!() };
        assert_eq!(proc.pid, 812);
        assert_eq!(proc.exe.as_deref(), Some("/usr/bin/containerd"));
        assert_eq!(proc.path_env.as_deref(), Some("/usr/local/bin:/usr/bin"));
        assert_eq!(
            crate::rules::cmdline::flag_value(&proc.cmdline, "--config").as_deref(),
            Some("/etc/containerd/config.toml")
        );
    }

    #[test]
    fn no_proc_is_not_found() {
        let d = tempfile::tempdir().unwrap();
        let f = find(&HostRoot::new(d.path()), "containerd");
        assert!(matches!(f, Fact::Unavailable(m) if m.kind == MissingKind::NotFound));
    }
}
