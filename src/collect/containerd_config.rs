//! Finding and reading the containerd config the node really uses: plain containerd, k3s/RKE2
//! (generated `config.toml` vs templates), MicroK8s (`containerd-template.toml` → `containerd.toml`),
//! k0s (`containerd.toml` + `containerd.d/`), with `imports` followed as containerd follows them.
//! The text itself is read by `rules::containerd_config`.

use super::host::HostRoot;
use crate::facts::{ConfigFile, ContainerdConfig, Distribution, FileRole, FileState, Process};
use crate::rules::containerd_config::{config_file, mark_unknown_to_1x, merge_runtimes};
use crate::rules::distribution::{
    DEFAULT_CONFIG, K0S_CONFIG, K0S_DROP_IN, K3S_DIR, MICROK8S_RENDERED, MICROK8S_TEMPLATE, RKE2_DIR,
};

/// Guards against import cycles and runaway globs.
const MAX_FILES: usize = 64;

// discovery

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

pub fn discover(host: &HostRoot, containerd: Option<&Process>) -> Layout {
    let from_cmdline = containerd.and_then(|p| config_flag(&p.cmdline)).map(|path| {
        (
            path,
            containerd.map(|p| format!("`--config` on containerd's command line (pid {})", p.pid)).unwrap_or_default(),
        )
    });
    let rancher = |dir: &str, dist: Distribution| -> Layout {
        let v3 = format!("{dir}/config-v3.toml.tmpl");
        let v2 = format!("{dir}/config.toml.tmpl");
        let template = [&v3, &v2].into_iter().find(|p| host.is_file(p)).cloned();
        Layout {
            distribution: dist,
            main_path: format!("{dir}/config.toml"),
            main_reason: format!("{} renders it at every start", dist.name()),
            edit_path: template.clone().unwrap_or(v2),
            template,
        }
    };
    let layout = if host.exists(MICROK8S_TEMPLATE) {
        Layout {
            distribution: Distribution::Microk8s,
            main_path: MICROK8S_RENDERED.into(),
            main_reason: "MicroK8s renders it from `containerd-template.toml` at every containerd start".into(),
            template: Some(MICROK8S_TEMPLATE.into()),
            edit_path: MICROK8S_TEMPLATE.into(),
        }
    } else if host.exists(RKE2_DIR) {
        rancher(RKE2_DIR, Distribution::Rke2)
    } else if host.exists(K3S_DIR) {
        rancher(K3S_DIR, Distribution::K3s)
    } else if host.exists(K0S_CONFIG) {
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

/// `-c FILE`, `--config FILE` or `--config=FILE` on containerd's command line.
fn config_flag(cmdline: &[String]) -> Option<String> {
    let mut it = cmdline.iter();
    while let Some(arg) = it.next() {
        if let Some(v) = arg.strip_prefix("--config=") {
            return Some(v.to_string());
        }
        if arg == "-c" || arg == "--config" {
            return it.next().cloned();
        }
    }
    None
}

/// Read the layout's files: the main file with its imports (in containerd's order) and the template.
/// Read the layout's files: the main file with its imports (in containerd's order) and the template.
pub fn collect(host: &HostRoot, layout: &Layout, containerd_major: Option<u64>) -> ContainerdConfig {
    let mut files = Vec::new();
    load_with_imports(host, &layout.main_path, FileRole::Main, &mut files);
    let template = layout.template.as_ref().map(|p| load_file(host, p, FileRole::Template));
    if containerd_major == Some(1) {
        for f in &mut files {
            mark_unknown_to_1x(f);
        }
    }
    let runtimes = merge_runtimes(&files, template.as_ref(), containerd_major);
    ContainerdConfig {
        distribution: layout.distribution,
        main_path: layout.main_path.clone(),
        main_reason: layout.main_reason.clone(),
        files,
        template,
        edit_path: layout.edit_path.clone(),
        runtimes,
        containerd_major,
    }
}

fn load_with_imports(host: &HostRoot, path: &str, role: FileRole, out: &mut Vec<ConfigFile>) {
    if out.len() >= MAX_FILES || out.iter().any(|f| f.path == path) {
        return;
    }
    let file = load_file(host, path, role);
    let imports = file.imports.clone();
    out.push(file);
    let dir = path.rsplit_once('/').map(|(d, _)| d).filter(|d| !d.is_empty()).unwrap_or("/");
    for pattern in imports {
        let full = if pattern.starts_with('/') { pattern.clone() } else { format!("{dir}/{pattern}") };
        let role = || FileRole::Import { from: path.to_string(), pattern: pattern.clone() };
        if full.contains(['*', '?', '[']) {
            for p in host.glob(&full) {
                load_with_imports(host, &p, role(), out);
            }
        } else {
            load_with_imports(host, &full, role(), out);
        }
    }
}

/// One file as containerd would see it: missing, unreadable (with the reason), or its text read.
pub fn load_file(host: &HostRoot, path: &str, role: FileRole) -> ConfigFile {
    let on_disk = host.resolve(path);
    let state = match std::fs::read(&on_disk) {
        Ok(bytes) => return config_file(path, role, &String::from_utf8_lossy(&bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileState::Missing,
        Err(e) => {
            let reason = if on_disk.is_dir() { "it is a directory, not a file".to_string() } else { e.to_string() };
            FileState::Unreadable { reason }
        }
    };
    ConfigFile {
        path: path.to_string(),
        role,
        state,
        version: None,
        imports: Vec::new(),
        generated_header: None,
        template_lines_skipped: Vec::new(),
        renders_detected_runtimes: false,
        runtimes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_flag_forms() {
        let v = |a: &[&str]| config_flag(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(v(&["containerd", "-c", "/x.toml"]).as_deref(), Some("/x.toml"));
        assert_eq!(v(&["containerd", "--config=/y.toml"]).as_deref(), Some("/y.toml"));
        assert_eq!(v(&["containerd"]), None);
    }
}
