//! Processes on the node, read from `<host-root>/proc`: containerd (its PATH, executable, working
//! directory, command line), the kubelet and k3s (their flags), Wasm shims (their task ids), and
//! dockerd (its PATH). The node source reads them all from one scan (`Processes`).

use super::host::HostRoot;

/// A command line or environment is at most the kernel's ARG_MAX (2 MiB by default) and its
/// strings; more is not a real process's.
const ARGS_CAP: u64 = 4 << 20;
use crate::facts::{Fact, Missing, MissingKind, Process};
use crate::rules::containerd::is_wasm_shim_process;

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

/// The processes the node source reads, from one scan of `/proc` (each scan reads every process's
/// command line): containerd, the kubelet, k3s (whose kubelet runs inside it) and Wasm shims.
pub struct Processes {
    scanned: Result<Vec<Process>, Missing>,
}

impl Processes {
    pub fn scan(host: &HostRoot) -> Processes {
        let wanted = |a: &str| matches!(a, "containerd" | "kubelet" | "k3s") || is_wasm_shim_process(a);
        Processes { scanned: find_all(host, wanted) }
    }

    /// The first process named `name` (as `find` says it).
    pub fn first(&self, name: &str) -> Fact<Process> {
        match &self.scanned {
            Ok(all) => match all.iter().find(|p| argv0(p) == name) {
                Some(p) => Fact::Collected(p.clone()),
                None => Fact::unavailable(MissingKind::NotFound, format!("no `{name}` process in /proc")),
            },
            Err(m) => Fact::Unavailable(m.clone()),
        }
    }

    /// Every scanned process whose `argv[0]` file name satisfies `wanted`.
    pub fn all(&self, wanted: impl Fn(&str) -> bool) -> Vec<Process> {
        self.scanned.iter().flatten().filter(|p| wanted(argv0(p))).cloned().collect()
    }
}

fn argv0(p: &Process) -> &str {
    p.cmdline.first().map(|a| a.rsplit('/').next().unwrap_or(a)).unwrap_or("")
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

    #[test]
    fn one_scan_serves_every_process_the_node_source_reads() {
        let d = tempfile::tempdir().unwrap();
        for (pid, argv) in [
            ("10", &b"/usr/bin/containerd\0"[..]),
            ("11", b"/usr/bin/kubelet\0--container-runtime-endpoint=unix:///run/containerd/containerd.sock\0"),
            ("12", b"/usr/local/bin/containerd-shim-wasmtime-v1\0-namespace\0k8s.io\0-id\0abc\0"),
            ("13", b"/usr/bin/containerd-shim-runc-v2\0-id\0x\0"),
            ("14", b"/usr/bin/sshd\0"),
        ] {
            std::fs::create_dir_all(d.path().join("proc").join(pid)).unwrap();
            std::fs::write(d.path().join("proc").join(pid).join("cmdline"), argv).unwrap();
        }
        let p = Processes::scan(&HostRoot::new(d.path()));
        assert!(matches!(p.first("kubelet"), Fact::Collected(k) if k.pid == 11));
        assert!(matches!(p.first("dockerd"), Fact::Unavailable(m) if m.kind == MissingKind::NotFound));
        let shims: Vec<u32> = p.all(is_wasm_shim_process).iter().map(|s| s.pid).collect();
        assert_eq!(shims, [12], "runc's shim is not a Wasm shim");
    }
}
