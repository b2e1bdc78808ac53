//! The kubelet's cgroup driver, where it is written: the `--cgroup-driver` flag, its config file's
//! `cgroupDriver` (default `cgroupfs`), or, on k3s/RKE2, which run the kubelet in-process, runc's
//! `SystemdCgroup` in the generated containerd config.

use crate::facts::{ContainerdConfig, Distribution, Kubelet, KubeletEndpoint};

/// Where kubeadm and most distributions write the kubelet's config.
pub const KUBELET_CONFIG: &str = "/var/lib/kubelet/config.yaml";

/// The driver a kubelet config file at `path` sets (the kubelet's default when it sets none).
pub fn from_config_file(path: &str, text: &str) -> Kubelet {
    for (i, line) in text.lines().enumerate() {
        if let Some(v) = line.trim().strip_prefix("cgroupDriver:") {
            let v = v.trim().trim_matches(['"', '\'']).to_string();
            return Kubelet { cgroup_driver: v, source: format!("{path}:{}", i + 1) };
        }
    }
    Kubelet {
        cgroup_driver: "cgroupfs".into(),
        source: format!("{path} (no `cgroupDriver`; the kubelet's default is `cgroupfs`)"),
    }
}

/// The CRI endpoint a kubelet config file sets (`containerRuntimeEndpoint`), with its line.
pub fn endpoint_from_config_file(path: &str, text: &str) -> Option<KubeletEndpoint> {
    text.lines().enumerate().find_map(|(i, line)| {
        let v = line.trim().strip_prefix("containerRuntimeEndpoint:")?.trim().trim_matches(['"', '\'']);
        Some(KubeletEndpoint { endpoint: v.to_string(), source: format!("{path}:{}", i + 1) })
    })
}

/// The socket a CRI endpoint names (`unix:///var/run/x.sock` → `/run/x.sock`: `/var/run` is a link
/// to `/run` on every current distribution).
pub fn endpoint_socket(endpoint: &str) -> String {
    let path = endpoint.strip_prefix("unix://").unwrap_or(endpoint);
    match path.strip_prefix("/var/run/") {
        Some(rest) => format!("/run/{rest}"),
        None => path.to_string(),
    }
}

/// The CRI a socket belongs to when it is not containerd's, from its well-known name.
pub fn other_cri(socket: &str) -> Option<&'static str> {
    let name = socket.rsplit('/').next().unwrap_or(socket);
    match name {
        "cri-dockerd.sock" => Some("cri-dockerd (Docker)"),
        "dockershim.sock" => Some("dockershim (Docker)"),
        "crio.sock" => Some("CRI-O"),
        _ => None,
    }
}

/// k3s/RKE2 set the kubelet's driver and runc's `SystemdCgroup` together: the driver read from the
/// `runc` runtime of the file they generate.
pub fn from_embedded_runc(config: &ContainerdConfig) -> Option<Kubelet> {
    if !matches!(config.distribution, Distribution::K3s | Distribution::Rke2) {
        return None;
    }
    let r = config.runtimes.iter().find(|r| r.name == "runc" && r.file == config.main_path)?;
    let driver = if r.systemd_cgroup == Some(true) { "systemd" } else { "cgroupfs" };
    Some(Kubelet {
        cgroup_driver: driver.into(),
        source: format!(
            "{} sets the kubelet's driver with runc's `SystemdCgroup` ({})",
            config.distribution.name(),
            r.location()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_file_or_default() {
        let k = from_config_file("/k.yaml", "kind: KubeletConfiguration\ncgroupDriver: \"systemd\"\n");
        assert_eq!((k.cgroup_driver.as_str(), k.source.as_str()), ("systemd", "/k.yaml:2"));
        assert_eq!(from_config_file("/k.yaml", "kind: KubeletConfiguration\n").cgroup_driver, "cgroupfs");
    }

    #[test]
    fn endpoints() {
        let e = endpoint_from_config_file(
            "/k.yaml",
            "kind: KubeletConfiguration\ncontainerRuntimeEndpoint: unix:///var/run/cri-dockerd.sock\n",
        )
        .unwrap();
        assert_eq!((e.endpoint.as_str(), e.source.as_str()), ("unix:///var/run/cri-dockerd.sock", "/k.yaml:2"));
        assert_eq!(endpoint_socket(&e.endpoint), "/run/cri-dockerd.sock");
        assert_eq!(other_cri("/run/cri-dockerd.sock"), Some("cri-dockerd (Docker)"));
        assert_eq!(other_cri("/run/k3s/containerd/containerd.sock"), None);
    }
}
