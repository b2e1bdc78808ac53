//! Reading containerd config text as containerd does: TOML (and the TOML inside k3s/RKE2/MicroK8s
//! Go templates), the runtimes each file declares with file:line, and how containerd merges a main
//! file with its imports (1.x replaces a plugin section, 2.x deep-merges).

use toml_edit::{Document, Item, TableLike};

use super::containerd::{
    PLUGIN_IMAGES_V3, PLUGIN_V1_SHORT, PLUGIN_V2, PLUGIN_V3, classify, schema_problem, unknown_to_1x,
};
use super::text::line_col;
use crate::facts::{ConfigFile, FileRole, FileState, RenderedVersion, Runtime, RuntimeStatus, Setting};

/// A successfully read document.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub version: Option<i64>,
    /// `use_local_image_pull` under `plugins."io.containerd.cri.v1.images"` (containerd ≥ 2.1).
    pub local_image_pull: Option<Setting>,
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
    let lines = LineIndex::new(doc.raw());
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
                    runtimes.push(read_runtime(&lines, path, plugin_id, name, item, rt, version));
                }
            }
        }
    }
    runtimes.sort_by_key(|r| r.line);
    let local_image_pull = root
        .get("plugins")
        .and_then(Item::as_table_like)
        .and_then(|p| p.get(PLUGIN_IMAGES_V3)?.as_table_like()?.get("use_local_image_pull"))
        .and_then(|v| Some(Setting { value: v.as_bool()?, line: v.span().map(|s| lines.line(s.start)).unwrap_or(0) }));
    Parsed { version, imports, runtimes, skipped_lines, local_image_pull }
}

/// The offsets where lines start, to turn a byte offset into a line number in O(log n) (a config
/// with thousands of runtimes would otherwise count newlines from the start for each of them).
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// 1-based line of a byte offset.
    fn line(&self, offset: usize) -> u32 {
        self.starts.partition_point(|&s| s <= offset) as u32
    }
}

fn read_runtime(
    lines: &LineIndex,
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
    let line = span.map(|s| lines.line(s.start)).unwrap_or(0);
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

/// A file's facts from its text: the generated-file header, whether a template renders the
/// distribution's base (so runtimes it detects appear in the generated file), and what parses.
pub fn config_file(path: &str, role: FileRole, text: &str) -> ConfigFile {
    let template = matches!(role, FileRole::Template) || path.ends_with(".tmpl") || path.ends_with(".gtpl");
    let mut file = ConfigFile {
        path: path.to_string(),
        role,
        state: FileState::Parsed,
        version: None,
        imports: Vec::new(),
        generated_header: text
            .lines()
            .take(5)
            .find(|l| l.starts_with('#') && (l.contains("DO NOT EDIT") || l.contains("k0s_managed=true")))
            .map(|l| l.trim().to_string()),
        template_lines_skipped: Vec::new(),
        renders_detected_runtimes: template && (text.contains("template \"base\"") || text.contains(".ExtraRuntimes")),
        runtimes: Vec::new(),
        rendered_version: None,
        local_image_pull: None,
        frozen_copy: if template { super::k3s_template::frozen_copy(text) } else { None },
    };
    match parse(path, text, template) {
        Ok(p) => {
            file.version = p.version;
            file.local_image_pull = p.local_image_pull;
            file.imports = p.imports;
            file.runtimes = p.runtimes;
            file.template_lines_skipped = p.skipped_lines;
        }
        Err(m) => file.state = FileState::Malformed { line: m.line, column: m.column, message: m.message },
    }
    file
}

/// The version a template without a `version` line renders when it starts from the
/// distribution's base (`{{ template "base" . }}`), which writes the line: the generated file's
/// `version` (what it rendered last), else the template's name (k3s and RKE2 render
/// `config-v3.toml.tmpl` from the v3 base and `config.toml.tmpl` from the v2 one), else containerd's
/// major version (2.x's base is version 3). Its runtime tables are then judged by that version.
pub fn render_version(template: &mut ConfigFile, generated: Option<&ConfigFile>, containerd_major: Option<u64>) {
    if template.version.is_some() || !template.renders_detected_runtimes || template.state != FileState::Parsed {
        return;
    }
    let name = template.path.rsplit('/').next().unwrap_or("");
    let from_generated = generated.filter(|g| g.state == FileState::Parsed).and_then(|g| {
        let v = g.version?;
        Some(RenderedVersion { version: v, because: format!("the generated `{}` is version {v}", g.path) })
    });
    let from_name = || {
        match name {
            "config-v3.toml.tmpl" => Some(3),
            "config.toml.tmpl" => Some(2),
            _ => None,
        }
        .map(|v| RenderedVersion { version: v, because: format!("`{name}` is rendered from the version {v} base") })
    };
    let from_major = || {
        let v = if containerd_major? >= 2 { 3 } else { 2 };
        Some(RenderedVersion {
            version: v,
            because: format!("containerd {}.x's base is version {v}", containerd_major?),
        })
    };
    template.rendered_version = from_generated.or_else(from_name).or_else(from_major);
    if let Some(v) = template.rendered_version.as_ref().map(|r| r.version) {
        for r in template.runtimes.iter_mut() {
            r.status = match schema_problem(&r.plugin_id, Some(v)) {
                Some(reason) => RuntimeStatus::Ignored { reason },
                None => RuntimeStatus::Active,
            };
        }
    }
}

/// On containerd 1.x, mark the tables of a plugin it does not have as ignored.
pub fn mark_unknown_to_1x(file: &mut ConfigFile) {
    for r in file.runtimes.iter_mut() {
        if let Some(reason) = unknown_to_1x(&r.plugin_id) {
            r.status = RuntimeStatus::Ignored { reason };
        }
    }
}

/// The runtimes containerd ends up with. containerd 1.x replaces a whole plugin section with an
/// import's; 2.x deep-merges. Unknown version: a `version = 3` main file means 2.x, else 1.x.
pub fn merge_runtimes(files: &[ConfigFile], template: Option<&ConfigFile>, major: Option<u64>) -> Vec<Runtime> {
    let main_parsed = files.first().filter(|f| f.state == FileState::Parsed);
    let Some(main) = main_parsed else {
        // Nothing rendered yet (k3s never started, an offline image): the template is what will be.
        return template.filter(|t| t.state == FileState::Parsed).map(|t| t.runtimes.clone()).unwrap_or_default();
    };
    let replaces = major.map(|m| m < 2).unwrap_or(main.effective_version() < 3);
    let mut merged: Vec<Runtime> = Vec::new();
    // Where each active (plugin id, name) is in `merged`, for 2.x's field-wise merge.
    let mut active: std::collections::HashMap<(String, String), usize> = std::collections::HashMap::new();
    for file in files.iter().filter(|f| f.state == FileState::Parsed) {
        if replaces && !matches!(file.role, FileRole::Main) {
            let sections: std::collections::BTreeSet<&str> =
                file.runtimes.iter().map(|r| r.plugin_id.as_str()).collect();
            for r in merged.iter_mut() {
                if sections.contains(r.plugin_id.as_str()) && r.status == RuntimeStatus::Active {
                    r.status = RuntimeStatus::Dropped { by: file.path.clone() };
                }
            }
        }
        for r in &file.runtimes {
            let key = (r.plugin_id.clone(), r.name.clone());
            if !replaces
                && let Some(&i) = active.get(&key)
                && merged[i].status == RuntimeStatus::Active
            {
                merged[i] = overlay(&merged[i], r);
                continue;
            }
            if r.status == RuntimeStatus::Active {
                active.insert(key, merged.len());
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
    use crate::facts::Route;

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
    fn schema_mismatch_is_flagged() {
        let text = "version = 3\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.wasmedge]\n  runtime_type = \"io.containerd.wasmedge.v1\"\n";
        let p = parse("/c.toml", text, false).unwrap();
        assert!(matches!(p.runtimes[0].status, RuntimeStatus::Ignored { .. }));
    }

    /// k3s's docs example (`config-v3.toml.tmpl` on containerd 2.0): no `version` line of its own.
    const V3_BASE_TEMPLATE: &str = "{{ template \"base\" . }}\n\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.'spin']\n  runtime_type = \"io.containerd.spin.v2\"\n";
    const K3S_DIR: &str = "/var/lib/rancher/k3s/agent/etc/containerd";

    #[test]
    fn a_base_template_has_the_version_it_renders() {
        let template = |name: &str, text: &str| config_file(&format!("{K3S_DIR}/{name}"), FileRole::Template, text);
        // The generated file says what the base rendered.
        let generated = config_file(&format!("{K3S_DIR}/config.toml"), FileRole::Main, "version = 3\n");
        let mut t = template("config-v3.toml.tmpl", V3_BASE_TEMPLATE);
        assert_eq!(t.effective_version(), 1, "no version line of its own");
        render_version(&mut t, Some(&generated), Some(2));
        assert_eq!(t.effective_version(), 3);
        assert_eq!(
            t.rendered_version.as_ref().unwrap().because,
            format!("the generated `{K3S_DIR}/config.toml` is version 3")
        );
        assert_eq!(t.runtimes[0].status, RuntimeStatus::Active);
        // k3s never started: the name says which base renders it.
        let mut t = template("config-v3.toml.tmpl", V3_BASE_TEMPLATE);
        render_version(&mut t, None, None);
        assert_eq!(t.effective_version(), 3);
        // v2 tables in a template rendered as version 3 are ignored by containerd 2.x.
        let v2 = V3_BASE_TEMPLATE.replace("'io.containerd.cri.v1.runtime'", "\"io.containerd.grpc.v1.cri\"");
        let mut t = template("config-v3.toml.tmpl", &v2);
        render_version(&mut t, Some(&generated), Some(2));
        assert!(matches!(t.runtimes[0].status, RuntimeStatus::Ignored { .. }), "{:?}", t.runtimes[0].status);
        // `config.toml.tmpl` is rendered from the v2 base; a template without base renders no version.
        let mut t = template("config.toml.tmpl", &v2);
        render_version(&mut t, None, Some(2));
        assert_eq!(t.effective_version(), 2);
        let mut t = template(
            "config.toml.tmpl",
            "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.spin]\n  runtime_type = \"io.containerd.spin.v2\"\n",
        );
        render_version(&mut t, Some(&generated), Some(2));
        assert_eq!((t.effective_version(), t.rendered_version), (1, None));
    }
}
