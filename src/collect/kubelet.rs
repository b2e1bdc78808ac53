//! The kubelet as the node shows it: its cgroup driver and the CRI endpoint it talks to, from its
//! command line (procfs), its config file, or what k3s's embedded kubelet uses.

use super::host::HostRoot;
use super::procfs::Processes;
use crate::facts::{ContainerdConfig, Distribution, Fact, Kubelet, KubeletEndpoint, MissingKind};
use crate::rules::cmdline;
use crate::rules::kubelet::{self, KUBELET_CONFIG};

/// The kubelet's cgroup driver: its flag, its config file, or (k3s/RKE2) the generated runc runtime.
pub fn cgroup_driver(host: &HostRoot, processes: &Processes, config: &ContainerdConfig) -> Fact<Kubelet> {
    let process = processes.first("kubelet");
    if let Fact::Collected(p) = &process {
        if let Some(d) = cmdline::flag_value(&p.cmdline, "--cgroup-driver") {
            return Fact::Collected(Kubelet {
                cgroup_driver: d,
                source: format!("`--cgroup-driver` in /proc/{}/cmdline", p.pid),
            });
        }
        if let Some(path) = cmdline::flag_value(&p.cmdline, "--config") {
            return from_kubelet_config(host, &path);
        }
    }
    if host.exists(KUBELET_CONFIG) {
        return from_kubelet_config(host, KUBELET_CONFIG);
    }
    match kubelet::from_embedded_runc(config) {
        Some(k) => Fact::Collected(k),
        None => Fact::unavailable(MissingKind::NotFound, format!("no kubelet process and no {KUBELET_CONFIG}")),
    }
}

fn from_kubelet_config(host: &HostRoot, path: &str) -> Fact<Kubelet> {
    match host.read_to_string(path) {
        Ok(text) => Fact::Collected(kubelet::from_config_file(path, &text)),
        Err(e) => {
            let kind = if e.kind() == std::io::ErrorKind::PermissionDenied {
                MissingKind::PermissionDenied
            } else {
                MissingKind::Failed
            };
            Fact::unavailable(kind, format!("cannot read {path}: {e}"))
        }
    }
}

/// The CRI endpoint the kubelet talks to: `--container-runtime-endpoint`, else its config file's
/// `containerRuntimeEndpoint`; on k3s (whose kubelet runs inside the `k3s` process) the same flag on
/// k3s's command line, else k3s's own containerd.
pub fn endpoint(host: &HostRoot, processes: &Processes, config: &ContainerdConfig) -> Fact<KubeletEndpoint> {
    const FLAG: &str = "--container-runtime-endpoint";
    let from_file = |path: &str| -> Option<Fact<KubeletEndpoint>> {
        match host.read_to_string(path) {
            Ok(text) => kubelet::endpoint_from_config_file(path, &text).map(Fact::Collected),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => Some(Fact::unavailable(MissingKind::Failed, format!("cannot read {path}: {e}"))),
        }
    };
    if let Fact::Collected(p) = processes.first("kubelet") {
        if let Some(e) = cmdline::flag_value(&p.cmdline, FLAG) {
            return Fact::Collected(KubeletEndpoint {
                endpoint: e,
                source: format!("`{FLAG}` in /proc/{}/cmdline", p.pid),
            });
        }
        let path = cmdline::flag_value(&p.cmdline, "--config").unwrap_or_else(|| KUBELET_CONFIG.to_string());
        return from_file(&path).unwrap_or_else(|| {
            Fact::unavailable(
                MissingKind::NotFound,
                format!("the kubelet (pid {}) sets no `{FLAG}` and {path} no `containerRuntimeEndpoint`", p.pid),
            )
        });
    }
    if let Some(f) = from_file(KUBELET_CONFIG) {
        return f;
    }
    if config.distribution == Distribution::K3s
        && let Fact::Collected(p) = processes.first("k3s")
    {
        if let Some(e) = cmdline::flag_value(&p.cmdline, FLAG) {
            return Fact::Collected(KubeletEndpoint {
                endpoint: e,
                source: format!("`{FLAG}` on k3s's command line (/proc/{}/cmdline)", p.pid),
            });
        }
        return Fact::Collected(KubeletEndpoint {
            endpoint: "unix:///run/k3s/containerd/containerd.sock".into(),
            source: format!("k3s's embedded kubelet (pid {}) uses k3s's own containerd", p.pid),
        });
    }
    Fact::unavailable(
        MissingKind::NotFound,
        format!("no kubelet process and no `containerRuntimeEndpoint` in {KUBELET_CONFIG}"),
    )
}
