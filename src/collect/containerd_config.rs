//! Finding and reading the containerd config the node really uses: plain containerd, k3s/RKE2
//! (generated `config.toml` vs templates), MicroK8s (`containerd-template.toml` → `containerd.toml`),
//! k0s (`containerd.toml` + `containerd.d/`), with `imports` followed as containerd follows them.
//! The text itself is read by `rules::containerd_config`.

use super::host::HostRoot;
use crate::facts::{ConfigFile, ContainerdConfig, FileRole, FileState, Process};
use crate::rules::containerd_config::{config_file, mark_unknown_to_1x, merge_runtimes};
use crate::rules::distribution::{Layout, layout};

/// Guards against import cycles and runaway globs.
const MAX_FILES: usize = 64;

// discovery

/// Where containerd's config is on this node (as the distribution's layout and containerd's own
/// `--config` decide), and where edits to it belong.
pub fn discover(host: &HostRoot, containerd: Option<&Process>) -> Layout {
    layout(&|p| host.exists(p), &|p| host.is_file(p), containerd)
}

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
