//! Finding and reading the containerd config the node really uses: plain containerd, k3s/RKE2
//! (generated `config.toml` vs templates), MicroK8s (`containerd-template.toml` → `containerd.toml`),
//! k0s (`containerd.toml` + `containerd.d/`), with `imports` followed as containerd follows them.
//! The text itself is read by `rules::containerd_config`.

use super::host::{HostRoot, READ_CAP};
use crate::facts::{ConfigFile, ContainerdConfig, FileRole, FileState, Process};
use crate::rules::containerd_config::{config_file, mark_unknown_to_1x, merge_runtimes, render_version};
use crate::rules::distribution::{Layout, layout};
use crate::rules::text::line_col;

/// containerd reads every import; wasmdoctor reads this many files at most, and says so.
pub const MAX_FILES: usize = 1024;

// discovery

/// Where containerd's config is on this node (as the distribution's layout and containerd's own
/// `--config` decide), and where edits to it belong.
pub fn discover(host: &HostRoot, containerd: Option<&Process>) -> Layout {
    layout(&|p| host.exists(p), &|p| host.is_file(p), containerd)
}

/// Read the layout's files: the main file with its imports (in containerd's order) and the template.
pub fn collect(host: &HostRoot, layout: &Layout, containerd_major: Option<u64>) -> ContainerdConfig {
    let mut files = Vec::new();
    let mut visited = Visited::default();
    load_with_imports(host, &layout.main_path, FileRole::Main, &mut files, &mut visited);
    let mut template = layout.template.as_ref().map(|p| load_file(host, p, FileRole::Template));
    if let Some(t) = &mut template {
        render_version(t, files.first(), containerd_major);
    }
    if containerd_major == Some(1) {
        for f in files.iter_mut().chain(template.iter_mut()) {
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
        files_cut: visited.cut.then_some(MAX_FILES),
    }
}

/// Imports already read (by the path they resolve to, so that `./config.toml` or a link to a file
/// already read is not read again), and whether the files to read were cut at `MAX_FILES`.
#[derive(Default)]
struct Visited {
    seen: std::collections::BTreeSet<String>,
    cut: bool,
}

fn load_with_imports(host: &HostRoot, path: &str, role: FileRole, out: &mut Vec<ConfigFile>, visited: &mut Visited) {
    if out.len() >= MAX_FILES {
        visited.cut = true;
        return;
    }
    if !visited.seen.insert(host.canonical(path).unwrap_or_else(|_| path.to_string())) {
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
            let (paths, cut) = host.glob(&full, MAX_FILES);
            visited.cut |= cut;
            for p in paths {
                load_with_imports(host, &p, role(), out, visited);
            }
        } else {
            load_with_imports(host, &full, role(), out, visited);
        }
    }
}

/// One file as containerd would see it: missing, unreadable (with the reason: a directory, a FIFO,
/// too large, a symlink loop), malformed (invalid UTF-8 or TOML, with line:col), or its text read.
pub fn load_file(host: &HostRoot, path: &str, role: FileRole) -> ConfigFile {
    let state = match host.read(path, READ_CAP) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => return config_file(path, role, &text),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let bytes = e.as_bytes();
                let (line, column) = line_col(std::str::from_utf8(&bytes[..valid]).unwrap_or(""), valid);
                let byte = bytes.get(valid).copied().unwrap_or(0);
                FileState::Malformed {
                    line,
                    column,
                    message: format!(
                        "invalid UTF-8: byte 0x{byte:02X} does not start a character (TOML is UTF-8 text)"
                    ),
                }
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileState::Missing,
        Err(e) => FileState::Unreadable { reason: e.to_string() },
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
        rendered_version: None,
        local_image_pull: None,
        frozen_copy: None,
        runtimes: Vec::new(),
    }
}
