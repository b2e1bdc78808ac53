//! Where each distribution keeps containerd's config and binary, which service runs containerd,
//! and what k3s/RKE2/k0s write into the files they regenerate (knowledge §2).

use super::containerd::config_flag;
use crate::facts::{ContainerdConfig, Distribution, FileState, Process, Route, Runtime};

pub const DEFAULT_CONFIG: &str = "/etc/containerd/config.toml";
pub const K3S_DIR: &str = "/var/lib/rancher/k3s/agent/etc/containerd";
pub const RKE2_DIR: &str = "/var/lib/rancher/rke2/agent/etc/containerd";
pub const MICROK8S_TEMPLATE: &str = "/var/snap/microk8s/current/args/containerd-template.toml";
pub const MICROK8S_RENDERED: &str = "/var/snap/microk8s/current/args/containerd.toml";
pub const K0S_CONFIG: &str = "/etc/k0s/containerd.toml";
/// k0s merges the CRI sections of `containerd.d/*.toml` into the file it writes.
pub const K0S_DROP_IN: &str = "/etc/k0s/containerd.d/wasm.toml";

/// The containerd sockets of the distributions, the stock one first.
pub const CONTAINERD_SOCKETS: &[&str] = &[
    "/run/containerd/containerd.sock",
    "/run/k3s/containerd/containerd.sock",
    "/var/snap/microk8s/common/run/containerd.sock",
];

/// The socket a distribution's containerd listens on by default.
pub fn containerd_socket(distribution: Distribution) -> &'static str {
    match distribution {
        Distribution::Containerd => "/run/containerd/containerd.sock",
        Distribution::K3s | Distribution::Rke2 => "/run/k3s/containerd/containerd.sock",
        Distribution::Microk8s => "/var/snap/microk8s/common/run/containerd.sock",
        Distribution::K0s => "/run/k0s/containerd.sock",
    }
}

/// Where systemd looks for unit files.
pub const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

/// Installer directories that containerd does not search unless they are on its PATH.
pub const INSTALLER_DIRS: &[&str] = &["/opt/kwasm/bin", "/opt/rcm/bin", "/var/snap/microk8s/common/kwasm/bin"];

/// The systemd units that run containerd for a distribution, the usual one first.
pub fn candidate_units(distribution: Distribution) -> &'static [&'static str] {
    match distribution {
        Distribution::Containerd => &["containerd"],
        Distribution::K3s => &["k3s", "k3s-agent"],
        Distribution::Rke2 => &["rke2-server", "rke2-agent"],
        Distribution::Microk8s => &["snap.microk8s.daemon-containerd"],
        Distribution::K0s => &["k0sworker", "k0scontroller"],
    }
}

/// Where the distribution keeps the containerd binary, when its process is not visible (before
/// the standard PATH).
pub fn containerd_bin_dirs(distribution: Distribution) -> &'static [&'static str] {
    match distribution {
        Distribution::K3s => &["/var/lib/rancher/k3s/data/current/bin"],
        Distribution::Rke2 => &["/var/lib/rancher/rke2/bin"],
        Distribution::Microk8s => &["/snap/microk8s/current/bin"],
        Distribution::K0s => &["/var/lib/k0s/bin"],
        Distribution::Containerd => &[],
    }
}

/// runwasi shims k3s detects (its `runtimes.go` table): handler name and runtime type.
pub const KNOWN_SHIMS: &[(&str, &str)] = &[
    ("wasmedge", "io.containerd.wasmedge.v1"),
    ("spin", "io.containerd.spin.v2"),
    ("wasmtime", "io.containerd.wasmtime.v1"),
    ("wasmer", "io.containerd.wasmer.v1"),
    ("wws", "io.containerd.wws.v1"),
    ("slight", "io.containerd.slight.v1"),
    ("lunatic", "io.containerd.lunatic.v1"),
];

/// Whether `handler` names one of the shims k3s detects.
pub fn is_known_shim(handler: &str) -> bool {
    KNOWN_SHIMS.iter().any(|(n, _)| *n == handler)
}

/// Handlers k3s/RKE2 detect and write into the generated file themselves (knowledge §2.6).
pub const K3S_DETECTED: &[&str] = &["crun", "lunatic", "slight", "spin", "wws", "wasmedge", "wasmer", "wasmtime"];

/// Whether k3s itself would have written this runtime (its ExtraRuntimes loop: a detected name,
/// `io.containerd.<name>.vN` or the runc shim for crun, and an absolute `BinaryName`).
fn k3s_generated(r: &Runtime) -> bool {
    let rt = r.runtime_type.as_deref().unwrap_or("");
    let type_matches = if r.name == "crun" {
        rt == "io.containerd.runc.v2"
    } else {
        rt.strip_prefix("io.containerd.").and_then(|s| s.split_once(".v")).is_some_and(|(n, _)| n == r.name)
    };
    K3S_DETECTED.contains(&r.name.as_str())
        && type_matches
        && r.binary_name.as_deref().is_some_and(|b| b.starts_with('/'))
        && r.pod_annotations.is_none()
}

/// The Wasm runtimes written into a file the distribution regenerates (what WD205 reports and its
/// fix moves): `None` when the distribution does not regenerate the file.
pub fn regenerated_edits(c: &ContainerdConfig) -> Option<Vec<&Runtime>> {
    let main = c.main_file().filter(|m| m.state == FileState::Parsed)?;
    let template = c.template.as_ref().filter(|t| t.state == FileState::Parsed);
    let in_template = |r: &Runtime| template.is_some_and(|t| t.runtimes.iter().any(|x| x.name == r.name));
    let edited = match c.distribution {
        Distribution::Containerd => return None,
        Distribution::K3s | Distribution::Rke2 => {
            let renders_detected = template.is_none_or(|t| t.renders_detected_runtimes);
            main.runtimes
                .iter()
                .filter(|r| r.route != Route::Other)
                .filter(|r| !(in_template(r) || renders_detected && k3s_generated(r)))
                .collect()
        }
        Distribution::Microk8s => main.runtimes.iter().filter(|r| r.route != Route::Other && !in_template(r)).collect(),
        Distribution::K0s => {
            main.generated_header.as_ref()?;
            // Also declared in a drop-in of `containerd.d/`: k0s writes it back at its next start.
            let in_drop_in = |r: &Runtime| c.files.iter().skip(1).any(|f| f.runtimes.iter().any(|x| x.name == r.name));
            main.runtimes.iter().filter(|r| r.route != Route::Other && !in_drop_in(r)).collect()
        }
    };
    Some(edited)
}

/// Where containerd's config is on this node, and where edits to it belong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub distribution: Distribution,
    pub main_path: String,
    pub main_reason: String,
    /// The template the distribution renders `main_path` from, if it exists.
    pub template: Option<String>,
    pub edit_path: String,
}

/// The layout of the node whose paths `exists` (file or directory) and `is_file` (a file), and whose
/// containerd process (if visible) may name its config with `--config`.
pub fn layout(exists: &dyn Fn(&str) -> bool, is_file: &dyn Fn(&str) -> bool, containerd: Option<&Process>) -> Layout {
    let from_cmdline = containerd.and_then(|p| config_flag(&p.cmdline)).map(|path| {
        (
            path,
            containerd.map(|p| format!("`--config` on containerd's command line (pid {})", p.pid)).unwrap_or_default(),
        )
    });
    let rancher = |dir: &str, dist: Distribution| -> Layout {
        let v3 = format!("{dir}/config-v3.toml.tmpl");
        let v2 = format!("{dir}/config.toml.tmpl");
        let template = [&v3, &v2].into_iter().find(|p| is_file(p)).cloned();
        Layout {
            distribution: dist,
            main_path: format!("{dir}/config.toml"),
            main_reason: format!("{} renders it at every start", dist.name()),
            edit_path: template.clone().unwrap_or(v2),
            template,
        }
    };
    let layout = if exists(MICROK8S_TEMPLATE) {
        Layout {
            distribution: Distribution::Microk8s,
            main_path: MICROK8S_RENDERED.into(),
            main_reason: "MicroK8s renders it from `containerd-template.toml` at every containerd start".into(),
            template: Some(MICROK8S_TEMPLATE.into()),
            edit_path: MICROK8S_TEMPLATE.into(),
        }
    } else if exists(RKE2_DIR) {
        rancher(RKE2_DIR, Distribution::Rke2)
    } else if exists(K3S_DIR) {
        rancher(K3S_DIR, Distribution::K3s)
    } else if exists(K0S_CONFIG) {
        Layout {
            distribution: Distribution::K0s,
            main_path: K0S_CONFIG.into(),
            main_reason: "k0s's containerd config".into(),
            template: None,
            edit_path: K0S_DROP_IN.into(),
        }
    } else {
        Layout {
            distribution: Distribution::Containerd,
            main_path: DEFAULT_CONFIG.into(),
            main_reason: "containerd's default path".into(),
            template: None,
            edit_path: DEFAULT_CONFIG.into(),
        }
    };
    match from_cmdline {
        Some((path, reason)) if path != layout.main_path => Layout {
            edit_path: if layout.template.is_some() { layout.edit_path } else { path.clone() },
            main_path: path,
            main_reason: reason,
            ..layout
        },
        _ => layout,
    }
}
