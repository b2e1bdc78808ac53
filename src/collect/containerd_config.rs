//! Finding and reading the containerd config the node really uses: plain containerd, k3s/RKE2
//! (generated `config.toml` vs templates), MicroK8s (`containerd-template.toml` → `containerd.toml`),
//! k0s (`containerd.toml` + `containerd.d/`), with `imports` followed as containerd follows them.

use toml_edit::{Document, Item, TableLike};

use super::host::HostRoot;
use crate::facts::{
    ConfigFile, ContainerdConfig, Distribution, FileRole, FileState, Process, Route, Runtime, RuntimeStatus,
};

/// The CRI plugin ids whose `containerd.runtimes` tables declare runtime handlers.
pub const PLUGIN_V1_SHORT: &str = "cri";
pub const PLUGIN_V2: &str = "io.containerd.grpc.v1.cri";
pub const PLUGIN_V3: &str = "io.containerd.cri.v1.runtime";

const K3S_DIR: &str = "/var/lib/rancher/k3s/agent/etc/containerd";
const RKE2_DIR: &str = "/var/lib/rancher/rke2/agent/etc/containerd";
const MICROK8S_TEMPLATE: &str = "/var/snap/microk8s/current/args/containerd-template.toml";
const MICROK8S_RENDERED: &str = "/var/snap/microk8s/current/args/containerd.toml";
const K0S_CONFIG: &str = "/etc/k0s/containerd.toml";
pub const DEFAULT_CONFIG: &str = "/etc/containerd/config.toml";

/// Guards against import cycles and runaway globs.
const MAX_FILES: usize = 64;

/// A successfully read document.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub version: Option<i64>,
    pub imports: Vec<String>,
    pub runtimes: Vec<Runtime>,
    pub skipped_lines: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// Parse a containerd config. A template (`{{ … }}`) keeps what reads as TOML and reports the
/// lines it had to leave out; a plain file is either valid TOML or `Malformed` with line:col.
pub fn parse(path: &str, text: &str, template: bool) -> Result<Parsed, Malformed> {
    if !template {
        let doc = Document::parse(text.to_string()).map_err(|e| malformed(text, &e))?;
        return Ok(read_document(path, &doc, Vec::new()));
    }
    let mut lines: Vec<String> = strip_template_actions(text);
    let mut skipped: Vec<u32> = Vec::new();
    for _ in 0..400 {
        let joined = lines.join("\n");
        match Document::parse(joined.clone()) {
            Ok(doc) => {
                skipped.sort_unstable();
                skipped.dedup();
                return Ok(read_document(path, &doc, skipped));
            }
            Err(e) => {
                let at = e.span().map(|s| s.start).unwrap_or(0);
                let line = line_of(&joined, at) as usize;
                let idx = line.saturating_sub(1).min(lines.len().saturating_sub(1));
                if lines.is_empty() {
                    break;
                }
                let header = lines[idx].trim_start().starts_with('[');
                let end = if header {
                    (idx + 1..lines.len()).find(|&j| lines[j].trim_start().starts_with('[')).unwrap_or(lines.len())
                } else {
                    idx + 1
                };
                for (j, l) in lines.iter_mut().enumerate().take(end).skip(idx) {
                    if !l.trim().is_empty() && !l.trim_start().starts_with('#') {
                        skipped.push(j as u32 + 1);
                    }
                    l.clear();
                }
            }
        }
    }
    Err(Malformed { line: 1, column: 1, message: "template could not be reduced to TOML".into() })
}

fn malformed(text: &str, e: &toml_edit::TomlError) -> Malformed {
    let at = e.span().map(|s| s.start).unwrap_or(0);
    let (line, column) = line_col(text, at);
    let message = e.message().trim().lines().next().unwrap_or("invalid TOML").to_string();
    Malformed { line, column, message }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() as u32 + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) as u32 + 1;
    (line, col)
}

fn line_of(text: &str, offset: usize) -> u32 {
    line_col(text, offset).0
}

/// Remove Go template actions so the rest can be read as TOML. Line numbers are kept: a line
/// that held only actions becomes empty; an action standing for a value becomes `""`.
fn strip_template_actions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_action = false;
    for line in text.lines() {
        let mut kept = String::new();
        let mut rest = line;
        let mut replaced = false;
        loop {
            if in_action {
                match rest.find("}}") {
                    Some(end) => {
                        rest = &rest[end + 2..];
                        in_action = false;
                    }
                    None => break,
                }
            }
            match find_action_outside_string(rest) {
                Some(start) => {
                    kept.push_str(&rest[..start]);
                    replaced = true;
                    rest = &rest[start + 2..];
                    in_action = true;
                }
                None => {
                    kept.push_str(rest);
                    break;
                }
            }
        }
        if replaced && kept.trim_end().ends_with('=') {
            kept.push_str(" \"\"");
        }
        out.push(kept);
    }
    out
}

/// Byte index of a `{{` that is not inside a basic or literal string on this line.
fn find_action_outside_string(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' && q == b'"' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => {
                if b == b'"' || b == b'\'' {
                    quote = Some(b);
                } else if b == b'#' {
                    return None;
                } else if b == b'{' && bytes.get(i + 1) == Some(&b'{') {
                    return Some(i);
                }
            }
        }
        i += 1;
    }
    None
}

fn read_document(path: &str, doc: &Document<String>, skipped_lines: Vec<u32>) -> Parsed {
    let root = doc.as_table();
    let version = root.get("version").and_then(Item::as_integer);
    let imports = root
        .get("imports")
        .and_then(Item::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let mut runtimes = Vec::new();
    if let Some(plugins) = root.get("plugins").and_then(Item::as_table_like) {
        for plugin_id in [PLUGIN_V2, PLUGIN_V3, PLUGIN_V1_SHORT] {
            let Some(table) = plugins
                .get(plugin_id)
                .and_then(|p| p.as_table_like())
                .and_then(|p| p.get("containerd"))
                .and_then(|c| c.as_table_like())
                .and_then(|c| c.get("runtimes"))
                .and_then(|r| r.as_table_like())
            else {
                continue;
            };
            for (name, item) in table.iter() {
                // `runtimes."{{$k}}"` in a template is k3s's loop over detected runtimes, not a runtime.
                if name.contains("{{") {
                    continue;
                }
                if let Some(rt) = item.as_table_like() {
                    runtimes.push(read_runtime(doc.raw(), path, plugin_id, name, item, rt, version));
                }
            }
        }
    }
    runtimes.sort_by_key(|r| r.line);
    Parsed { version, imports, runtimes, skipped_lines }
}

fn read_runtime(
    raw: &str,
    path: &str,
    plugin_id: &str,
    name: &str,
    item: &Item,
    rt: &dyn TableLike,
    version: Option<i64>,
) -> Runtime {
    let string = |key: &str| rt.get(key).and_then(Item::as_str).map(str::to_string);
    let options = rt.get("options").and_then(Item::as_table_like);
    let binary_name = options.and_then(|o| o.get("BinaryName")).and_then(Item::as_str).map(str::to_string);
    let systemd_cgroup = options.and_then(|o| o.get("SystemdCgroup")).and_then(Item::as_bool);
    let pod_annotations = rt
        .get("pod_annotations")
        .and_then(Item::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect::<Vec<_>>());
    let span = item
        .span()
        .or_else(|| rt.iter().find_map(|(_, v)| v.span()))
        .or_else(|| rt.get("options").and_then(|o| o.span()));
    let line = span.map(|s| line_of(raw, s.start)).unwrap_or(0);
    let runtime_type = string("runtime_type");
    let runtime_path = string("runtime_path");
    let route = classify(runtime_type.as_deref(), runtime_path.as_deref(), binary_name.as_deref());
    let status = match schema_problem(plugin_id, version) {
        Some(reason) => RuntimeStatus::Ignored { reason },
        None => RuntimeStatus::Active,
    };
    Runtime {
        name: name.to_string(),
        file: path.to_string(),
        line,
        plugin_id: plugin_id.to_string(),
        runtime_type,
        runtime_path,
        binary_name,
        pod_annotations,
        systemd_cgroup,
        route,
        status,
    }
}

/// Why containerd does not read runtimes under `plugin_id` in a file of this `version`, if it does not.
pub fn schema_problem(plugin_id: &str, version: Option<i64>) -> Option<String> {
    let v = version.unwrap_or(1);
    match (plugin_id, v) {
        (PLUGIN_V2, 3) => Some(format!(
            "a `version = 3` file is not migrated, so containerd 2.x never reads `{PLUGIN_V2}` runtime tables in it; use `{PLUGIN_V3}`"
        )),
        (PLUGIN_V1_SHORT, v) if v >= 2 => Some(format!(
            "the short plugin name `cri` is only migrated in version 1 files (no `version` line); in a `version = {v}` file use `{}`",
            if v >= 3 { PLUGIN_V3 } else { PLUGIN_V2 }
        )),
        _ => None,
    }
}

/// Which way a runtime runs Wasm, from its fields alone.
pub fn classify(runtime_type: Option<&str>, runtime_path: Option<&str>, binary_name: Option<&str>) -> Route {
    let rt = runtime_type.unwrap_or("");
    let is_runc_shim =
        matches!(rt, "io.containerd.runc.v2" | "io.containerd.runc.v1" | "io.containerd.runtime.v1.linux");
    if is_runc_shim {
        let base = binary_name.and_then(|b| b.rsplit('/').next()).unwrap_or("");
        return if base == "crun" || base.starts_with("crun-") { Route::Crun } else { Route::Other };
    }
    let shim_name = match runtime_path.filter(|p| !p.is_empty()) {
        Some(p) => p.rsplit('/').next().unwrap_or(p).to_string(),
        None if rt.starts_with('/') => rt.rsplit('/').next().unwrap_or(rt).to_string(),
        None => {
            let parts: Vec<&str> = rt.split('.').collect();
            if parts.len() >= 2 { parts[parts.len() - 2].to_string() } else { String::new() }
        }
    };
    let name = shim_name.strip_prefix("containerd-shim-").unwrap_or(&shim_name);
    if crate::facts::WASM_SHIM_ENGINES.iter().any(|e| name.starts_with(e)) { Route::Shim } else { Route::Other }
}

// ---------------------------------------------------------------------------------------------
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
            edit_path: "/etc/k0s/containerd.d/wasm.toml".into(),
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
pub fn collect(host: &HostRoot, layout: &Layout, containerd_major: Option<u64>) -> ContainerdConfig {
    let mut files = Vec::new();
    load_with_imports(host, &layout.main_path, FileRole::Main, &mut files);
    let template = layout.template.as_ref().map(|p| load_file(host, p, FileRole::Template));
    if containerd_major == Some(1) {
        for f in &mut files {
            mark_v3_ids_unknown_to_1x(f);
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

/// containerd 1.x has no `io.containerd.cri.v1.runtime` plugin: such tables are never read there.
/// (containerd 2.x migrates older files and is not known to drop them, so it is not flagged.)
fn mark_v3_ids_unknown_to_1x(file: &mut ConfigFile) {
    for r in file.runtimes.iter_mut().filter(|r| r.plugin_id == PLUGIN_V3) {
        r.status = RuntimeStatus::Ignored {
            reason: format!("containerd 1.x has no `{PLUGIN_V3}` plugin (it is containerd 2.x's); use `{PLUGIN_V2}`"),
        };
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

pub fn load_file(host: &HostRoot, path: &str, role: FileRole) -> ConfigFile {
    let template = matches!(role, FileRole::Template) || path.ends_with(".tmpl") || path.ends_with(".gtpl");
    let mut file = ConfigFile {
        path: path.to_string(),
        role,
        state: FileState::Parsed,
        version: None,
        imports: Vec::new(),
        generated_header: None,
        template_lines_skipped: Vec::new(),
        renders_detected_runtimes: false,
        runtimes: Vec::new(),
    };
    let on_disk = host.resolve(path);
    let text = match std::fs::read(&on_disk) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            file.state = FileState::Missing;
            return file;
        }
        Err(e) => {
            let reason = if on_disk.is_dir() { "it is a directory, not a file".to_string() } else { e.to_string() };
            file.state = FileState::Unreadable { reason };
            return file;
        }
    };
    file.generated_header = text
        .lines()
        .take(5)
        .find(|l| l.starts_with('#') && (l.contains("DO NOT EDIT") || l.contains("k0s_managed=true")))
        .map(|l| l.trim().to_string());
    file.renders_detected_runtimes =
        template && (text.contains("template \"base\"") || text.contains(".ExtraRuntimes"));
    match parse(path, &text, template) {
        Ok(p) => {
            file.version = p.version;
            file.imports = p.imports;
            file.runtimes = p.runtimes;
            file.template_lines_skipped = p.skipped_lines;
        }
        Err(m) => file.state = FileState::Malformed { line: m.line, column: m.column, message: m.message },
    }
    file
}

/// The runtimes containerd ends up with. containerd 1.x replaces a whole plugin section with an
/// import's; 2.x deep-merges. Unknown version: a `version = 3` main file means 2.x, else 1.x.
fn merge_runtimes(files: &[ConfigFile], template: Option<&ConfigFile>, major: Option<u64>) -> Vec<Runtime> {
    let main_parsed = files.first().filter(|f| f.state == FileState::Parsed);
    let Some(main) = main_parsed else {
        // Nothing rendered yet (k3s never started, an offline image): the template is what will be.
        return template.filter(|t| t.state == FileState::Parsed).map(|t| t.runtimes.clone()).unwrap_or_default();
    };
    let replaces = major.map(|m| m < 2).unwrap_or(main.effective_version() < 3);
    let mut merged: Vec<Runtime> = Vec::new();
    for file in files.iter().filter(|f| f.state == FileState::Parsed) {
        if replaces && !matches!(file.role, FileRole::Main) {
            let sections: Vec<&str> = file.runtimes.iter().map(|r| r.plugin_id.as_str()).collect();
            for r in merged.iter_mut() {
                if sections.contains(&r.plugin_id.as_str()) && r.status == RuntimeStatus::Active {
                    r.status = RuntimeStatus::Dropped { by: file.path.clone() };
                }
            }
        }
        for r in &file.runtimes {
            if !replaces
                && let Some(existing) = merged
                    .iter_mut()
                    .find(|m| m.name == r.name && m.plugin_id == r.plugin_id && m.status == RuntimeStatus::Active)
            {
                *existing = overlay(existing, r);
                continue;
            }
            merged.push(r.clone());
        }
    }
    merged
}

/// Field-wise override, as containerd 2.x's deep merge does.
fn overlay(base: &Runtime, top: &Runtime) -> Runtime {
    let runtime_type = top.runtime_type.clone().or_else(|| base.runtime_type.clone());
    let runtime_path = top.runtime_path.clone().or_else(|| base.runtime_path.clone());
    let binary_name = top.binary_name.clone().or_else(|| base.binary_name.clone());
    Runtime {
        route: classify(runtime_type.as_deref(), runtime_path.as_deref(), binary_name.as_deref()),
        runtime_type,
        runtime_path,
        binary_name,
        pod_annotations: top.pod_annotations.clone().or_else(|| base.pod_annotations.clone()),
        systemd_cgroup: top.systemd_cgroup.or(base.systemd_cgroup),
        ..top.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_crun_runtime_with_annotations() {
        let text = r#"version = 2
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun]
  runtime_type = "io.containerd.runc.v2"
  pod_annotations = ["module.wasm.image/variant"]
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun.options]
    BinaryName = "/usr/local/bin/crun"
    SystemdCgroup = true
"#;
        let p = parse("/etc/containerd/config.toml", text, false).unwrap();
        assert_eq!(p.version, Some(2));
        let r = &p.runtimes[0];
        assert_eq!((r.name.as_str(), r.line, &r.route), ("crun", 2, &Route::Crun));
        assert_eq!(r.binary_name.as_deref(), Some("/usr/local/bin/crun"));
        assert_eq!(r.systemd_cgroup, Some(true));
        assert_eq!(r.status, RuntimeStatus::Active);
    }

    #[test]
    fn malformed_reports_line_and_column() {
        let text = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd\n  x = 1\n";
        let m = parse("/c.toml", text, false).unwrap_err();
        assert_eq!(m.line, 2);
        assert!(m.column > 1, "{m:?}");
    }

    #[test]
    fn template_values_and_control_lines() {
        let text = "{{ template \"base\" . }}\nversion = 2\nenable_selinux = {{ .SELinux }}\n{{- if .X }}\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.\"{{$k}}\"]\n  runtime_type = \"{{$v.RuntimeType}}\"\n{{end}}\n";
        let p = parse("/t.tmpl", text, true).unwrap();
        assert_eq!(p.version, Some(2));
        assert!(p.runtimes.is_empty(), "the ExtraRuntimes loop is not a runtime: {:?}", p.runtimes);
        assert!(p.skipped_lines.is_empty(), "{:?}", p.skipped_lines);
    }

    #[test]
    fn template_duplicate_branches_are_skipped_not_fatal() {
        let text =
            "{{ if .A }}\n[plugins.a]\n  x = 1\n{{ else }}\n[plugins.a]\n  x = 2\n{{ end }}\noom = -999{{if .B}}\n";
        let p = parse("/t.tmpl", text, true).unwrap();
        assert!(p.skipped_lines.contains(&5), "{:?}", p.skipped_lines);
        assert!(p.skipped_lines.contains(&8), "{:?}", p.skipped_lines);
    }

    #[test]
    fn classify_routes() {
        assert_eq!(classify(Some("io.containerd.wasmedge.v1"), None, None), Route::Shim);
        assert_eq!(classify(Some("io.containerd.spin-v0-3-0.v1"), None, None), Route::Shim);
        assert_eq!(classify(Some("/opt/kwasm/bin/containerd-shim-spin-v1"), None, None), Route::Shim);
        assert_eq!(classify(Some("io.containerd.runc.v2"), None, Some("/usr/bin/crun-wasm")), Route::Crun);
        assert_eq!(classify(Some("io.containerd.runc.v2"), None, Some("/usr/bin/runc")), Route::Other);
        assert_eq!(classify(Some("io.containerd.kata.v2"), None, None), Route::Other);
        assert_eq!(classify(Some("io.containerd.runsc.v1"), None, None), Route::Other);
    }

    #[test]
    fn schema_mismatch_is_flagged() {
        let text = "version = 3\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.wasmedge]\n  runtime_type = \"io.containerd.wasmedge.v1\"\n";
        let p = parse("/c.toml", text, false).unwrap();
        assert!(matches!(p.runtimes[0].status, RuntimeStatus::Ignored { .. }));
    }

    #[test]
    fn config_flag_forms() {
        let v = |a: &[&str]| config_flag(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(v(&["containerd", "-c", "/x.toml"]).as_deref(), Some("/x.toml"));
        assert_eq!(v(&["containerd", "--config=/y.toml"]).as_deref(), Some("/y.toml"));
        assert_eq!(v(&["containerd"]), None);
    }
}
