//! Format-preserving edits of containerd configs (toml_edit; by lines for Go templates): comments,
//! order and every byte outside the edited value stay as they were.

use toml_edit::{Array, DocumentMut, InlineTable, Item, TableLike, Value};

fn runtime_mut<'a>(doc: &'a mut DocumentMut, plugin_id: &str, name: &str) -> Result<&'a mut dyn TableLike, String> {
    doc.get_mut("plugins")
        .and_then(|p| p.as_table_like_mut())
        .and_then(|p| p.get_mut(plugin_id))
        .and_then(|p| p.as_table_like_mut())
        .and_then(|p| p.get_mut("containerd"))
        .and_then(|c| c.as_table_like_mut())
        .and_then(|c| c.get_mut("runtimes"))
        .and_then(|r| r.as_table_like_mut())
        .and_then(|r| r.get_mut(name))
        .and_then(|r| r.as_table_like_mut())
        .ok_or_else(|| format!("no runtime table `{name}` under `{plugin_id}`"))
}

/// The indentation the table's keys are written with (spaces or tabs only).
fn sibling_indent(table: &dyn TableLike, except: &str) -> Option<String> {
    table
        .iter()
        .filter(|(k, _)| *k != except)
        .find_map(|(k, _)| table.key(k).and_then(|key| key.leaf_decor().prefix()).and_then(|p| p.as_str()))
        .filter(|p| p.chars().all(|c| c == ' ' || c == '\t'))
        .map(String::from)
}

/// Give a key just inserted the indentation its siblings are written with.
fn indent_like_siblings(table: &mut dyn TableLike, new_key: &str) {
    if let (Some(indent), Some(mut key)) = (sibling_indent(table, new_key), table.key_mut(new_key)) {
        key.leaf_decor_mut().set_prefix(indent);
    }
}

/// Make runtime `name`'s `pod_annotations` under `plugin_id` contain every `wanted` entry.
pub fn add_pod_annotations(text: &str, plugin_id: &str, name: &str, wanted: &[&str]) -> Result<String, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| e.message().to_string())?;
    let runtime = runtime_mut(&mut doc, plugin_id, name)?;
    match runtime.get_mut("pod_annotations") {
        Some(Item::Value(Value::Array(a))) => {
            for w in wanted {
                if !a.iter().any(|v| v.as_str() == Some(w)) {
                    a.push(*w);
                }
            }
        }
        Some(_) => return Err(format!("`pod_annotations` of runtime `{name}` is not an array")),
        None => {
            let a: Array = wanted.iter().copied().collect();
            runtime.insert("pod_annotations", Item::Value(Value::Array(a)));
            indent_like_siblings(runtime, "pod_annotations");
        }
    }
    Ok(doc.to_string())
}

/// Set runtime `name`'s `options.SystemdCgroup`; a missing `options` becomes a dotted key in place.
pub fn set_systemd_cgroup(text: &str, plugin_id: &str, name: &str, on: bool) -> Result<String, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| e.message().to_string())?;
    let runtime = runtime_mut(&mut doc, plugin_id, name)?;
    match runtime.get_mut("options") {
        Some(options) => {
            let options =
                options.as_table_like_mut().ok_or_else(|| format!("`options` of runtime `{name}` is not a table"))?;
            match options.get_mut("SystemdCgroup") {
                Some(Item::Value(v)) => {
                    let decor = v.decor().clone();
                    *v = Value::from(on);
                    *v.decor_mut() = decor;
                }
                _ => {
                    options.insert("SystemdCgroup", toml_edit::value(on));
                    indent_like_siblings(options, "SystemdCgroup");
                }
            }
        }
        None => {
            let indent = sibling_indent(runtime, "options");
            let mut options = InlineTable::new();
            options.set_dotted(true);
            options.insert("SystemdCgroup", Value::from(on));
            // toml_edit writes a dotted line with its leaf key's prefix in front of the whole path.
            if let (Some(indent), Some(mut key)) = (indent, options.key_mut("SystemdCgroup")) {
                key.leaf_decor_mut().set_prefix(indent);
            }
            runtime.insert("options", Item::Value(Value::InlineTable(options)));
        }
    }
    Ok(doc.to_string())
}

/// A runtime wasmdoctor declares (WD202).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRuntime {
    pub runtime_type: String,
    /// crun's path, for the crun route.
    pub binary_name: Option<String>,
    pub pod_annotations: Vec<String>,
    /// The kubelet's driver when known.
    pub systemd_cgroup: Option<bool>,
}

/// A TOML key, quoted when it is not a bare key.
fn key(k: &str) -> String {
    if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        k.to_string()
    } else {
        toml_edit::Value::from(k).to_string().trim().to_string()
    }
}

/// The runtime's tables as containerd's documentation writes them.
pub fn runtime_table(plugin_id: &str, name: &str, r: &NewRuntime) -> String {
    let header = format!("plugins.{}.containerd.runtimes.{}", key(plugin_id), key(name));
    let q = |s: &str| toml_edit::Value::from(s).to_string().trim().to_string();
    let mut t = format!("[{header}]\n  runtime_type = {}\n", q(&r.runtime_type));
    if !r.pod_annotations.is_empty() {
        let list: Vec<String> = r.pod_annotations.iter().map(|a| q(a)).collect();
        t += &format!("  pod_annotations = [{}]\n", list.join(", "));
    }
    if r.binary_name.is_some() || r.systemd_cgroup.is_some() {
        t += &format!("  [{header}.options]\n");
        if let Some(b) = &r.binary_name {
            t += &format!("    BinaryName = {}\n", q(b));
        }
        if let Some(on) = r.systemd_cgroup {
            t += &format!("    SystemdCgroup = {on}\n");
        }
    }
    t
}

/// `text` with `addition` at its end, separated by one blank line; every existing byte stays.
pub fn append(text: &str, addition: &str) -> String {
    let mut out = text.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
    out + addition
}

/// A table header line naming runtime `name` under `plugin_id` (or one of its sub-tables):
/// `[plugins."<id>".containerd.runtimes.<name>]`, `[… .<name>.options]`, any quoting and spacing.
fn is_runtime_header(line: &str, plugin_id: &str, name: &str) -> Option<(usize, usize)> {
    let t = line.trim_start();
    if !t.starts_with('[') || t.starts_with("[[") {
        return None;
    }
    let offset = line.len() - t.len();
    let inner_end = t.find(']')?;
    let inner = &t[1..inner_end];
    let parts = split_key(inner)?;
    let is_ours = parts.len() >= 5
        && parts[0].1 == "plugins"
        && parts[1].1 == plugin_id
        && parts[2].1 == "containerd"
        && parts[3].1 == "runtimes"
        && parts[4].1 == name;
    // The byte range of the plugin id segment, as written.
    is_ours.then(|| (offset + 1 + parts[1].0.start, offset + 1 + parts[1].0.end))
}

/// Split a dotted key into its segments: the byte range as written and the unquoted text.
fn split_key(s: &str) -> Option<Vec<(std::ops::Range<usize>, String)>> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    loop {
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        let start = i;
        let text = match b.get(i)? {
            q @ (b'"' | b'\'') => {
                let close = s[i + 1..].find(*q as char)? + i + 1;
                let raw = &s[i + 1..close];
                i = close + 1;
                if *q == b'"' && raw.contains('\\') {
                    return None;
                }
                raw.to_string()
            }
            _ => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-' || b[i] == b'_') {
                    i += 1;
                }
                if i == start {
                    return None;
                }
                s[start..i].to_string()
            }
        };
        out.push((start..i, text));
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        match b.get(i) {
            None => return Some(out),
            Some(b'.') => i += 1,
            Some(_) => return None,
        }
    }
}

/// Rename the plugin id in every table header of runtime `name` (WD203); the keys inside stay.
pub fn rename_runtime_plugin(text: &str, from: &str, to: &str, name: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len() + 16);
    let mut renamed = 0;
    for line in text.split_inclusive('\n') {
        match is_runtime_header(line, from, name) {
            Some((start, end)) => {
                out.push_str(&line[..start]);
                out.push_str(&key(to));
                out.push_str(&line[end..]);
                renamed += 1;
            }
            None => out.push_str(line),
        }
    }
    if renamed == 0 {
        return Err(format!("runtime `{name}` under `{from}` is not written as `[…runtimes.{name}]` table headers"));
    }
    Ok(out)
}

/// The text of runtime `name`'s tables (its header and sub-table headers with their keys), as
/// written in `text`, for copying into another file (WD205).
pub fn runtime_block(text: &str, plugin_id: &str, name: &str) -> Option<String> {
    let mut out = String::new();
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with('[') {
            inside = is_runtime_header(line, plugin_id, name).is_some();
        }
        if inside {
            out.push_str(line);
        }
    }
    if out.is_empty() {
        return None;
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Some(out)
}

/// Set `key = value` in runtime `name`'s table (`sub` = `Some("options")`: its options sub-table)
/// of a Go template that toml_edit cannot read, by lines: an existing `key = …` line in that table
/// gets the new value, else the line is added after the table's last key, indented as its keys. A
/// missing options sub-table is written as a dotted key (`options.key = value`) in the runtime's
/// table. Every other line stays.
pub fn set_in_template(
    text: &str,
    plugin_id: &str,
    name: &str,
    sub: Option<&str>,
    key: &str,
    value: &str,
) -> Result<String, String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let header_of = |l: &str| -> Option<Vec<String>> {
        is_runtime_header(l, plugin_id, name)?;
        let t = l.trim_start();
        let inner = &t[1..t.find(']')?];
        Some(split_key(inner)?.into_iter().skip(5).map(|(_, k)| k).collect())
    };
    let table_at = |want: &[&str]| {
        lines
            .iter()
            .position(|l| header_of(l).is_some_and(|rest| rest.iter().map(String::as_str).eq(want.iter().copied())))
    };
    let (start, key_text) = match (sub, table_at(&sub.into_iter().collect::<Vec<_>>())) {
        (_, Some(i)) => (i, key.to_string()),
        (Some(sub), None) => match table_at(&[]) {
            Some(i) => (i, format!("{sub}.{key}")),
            None => return Err(format!("the template declares no `[…runtimes.{name}]` table")),
        },
        (None, None) => return Err(format!("the template declares no `[…runtimes.{name}]` table")),
    };
    // The table's lines: up to the next header (or template action line), trailing blanks left out.
    let mut end = start + 1;
    while end < lines.len() && !lines[end].trim_start().starts_with('[') && !lines[end].trim_start().starts_with("{{") {
        end += 1;
    }
    while end > start + 1 && lines[end - 1].trim().is_empty() {
        end -= 1;
    }
    let assigns =
        |l: &str| l.trim_start().strip_prefix(&key_text).is_some_and(|rest| rest.trim_start().starts_with('='));
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    if let Some(i) = (start + 1..end).find(|&i| assigns(lines[i])) {
        let l = lines[i];
        let indent = &l[..l.len() - l.trim_start().len()];
        let comment = l.find(" #").map(|c| &l[c..]).unwrap_or("").trim_end();
        out[i] = format!("{indent}{key_text} = {value}{}\n", if comment.is_empty() { "" } else { comment });
    } else {
        let indent = (start + 1..end)
            .map(|i| lines[i])
            .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(|l| l[..l.len() - l.trim_start().len()].to_string())
            .unwrap_or_default();
        if !out[end - 1].ends_with('\n') {
            out[end - 1].push('\n');
        }
        out.insert(end, format!("{indent}{key_text} = {value}\n"));
    }
    Ok(out.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    const WANTED: &[&str] = &["module.wasm.image/variant", "run.oci.handler"];

    #[test]
    fn adds_only_what_is_missing_and_keeps_the_rest() {
        let text = "# my config\nversion = 2\n\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.crun]\n  runtime_type = \"io.containerd.runc.v2\" # the runc shim\n  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.crun.options]\n    BinaryName = \"/usr/bin/crun\"\n";
        let out = add_pod_annotations(text, "io.containerd.grpc.v1.cri", "crun", WANTED).unwrap();
        assert!(out.starts_with("# my config\nversion = 2\n"), "{out}");
        assert!(out.contains("runtime_type = \"io.containerd.runc.v2\" # the runc shim\n"), "{out}");
        assert!(out.contains("\n  pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]\n"), "{out}");
        assert_eq!(add_pod_annotations(&out, "io.containerd.grpc.v1.cri", "crun", WANTED).unwrap(), out, "idempotent");
        let partial = text.replace("  runtime_type", "  pod_annotations = [\"run.oci.handler\"]\n  runtime_type");
        let out = add_pod_annotations(&partial, "io.containerd.grpc.v1.cri", "crun", WANTED).unwrap();
        assert!(out.contains("pod_annotations = [\"run.oci.handler\", \"module.wasm.image/variant\"]"), "{out}");
        assert!(add_pod_annotations(text, "io.containerd.grpc.v1.cri", "nope", WANTED).is_err());
    }

    #[test]
    fn systemd_cgroup_in_place() {
        let p = "io.containerd.grpc.v1.cri";
        let bare = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.wasmedge]\n  runtime_type = \"io.containerd.wasmedge.v1\"\n";
        let out = set_systemd_cgroup(bare, p, "wasmedge", true).unwrap();
        assert_eq!(out, format!("{bare}  options.SystemdCgroup = true\n"));
        let with = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.wasmedge.options]\n  SystemdCgroup = false # was\n";
        let out = set_systemd_cgroup(with, p, "wasmedge", true).unwrap();
        assert_eq!(out, with.replace("false", "true"));
        assert_eq!(set_systemd_cgroup(&out, p, "wasmedge", true).unwrap(), out);
    }

    #[test]
    fn new_runtime_tables_in_containerds_shape() {
        let r = NewRuntime {
            runtime_type: "io.containerd.runc.v2".into(),
            binary_name: Some("/usr/local/bin/crun".into()),
            pod_annotations: WANTED.iter().map(|s| s.to_string()).collect(),
            systemd_cgroup: Some(true),
        };
        assert_eq!(
            runtime_table("io.containerd.cri.v1.runtime", "crun", &r),
            "[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.crun]\n  runtime_type = \"io.containerd.runc.v2\"\n  pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]\n  [plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.crun.options]\n    BinaryName = \"/usr/local/bin/crun\"\n    SystemdCgroup = true\n"
        );
        let shim = NewRuntime {
            runtime_type: "io.containerd.spin.v2".into(),
            binary_name: None,
            pod_annotations: vec![],
            systemd_cgroup: None,
        };
        assert_eq!(
            runtime_table("cri", "spin", &shim),
            "[plugins.cri.containerd.runtimes.spin]\n  runtime_type = \"io.containerd.spin.v2\"\n"
        );
        assert_eq!(append("a = 1", "b"), "a = 1\n\nb");
        assert_eq!(append("a = 1\n\n", "b"), "a = 1\n\nb");
        assert_eq!(append("", "b"), "b");
    }

    #[test]
    fn template_lines_edited_in_place() {
        let p = "io.containerd.grpc.v1.cri";
        let t = "{{ template \"base\" . }}\n\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.spin]\n  runtime_type = \"io.containerd.spin.v2\"\n\n{{ if .NodeConfig }}\n";
        let out = set_in_template(t, p, "spin", Some("options"), "SystemdCgroup", "true").unwrap();
        assert_eq!(out, t.replace("spin.v2\"\n", "spin.v2\"\n  options.SystemdCgroup = true\n"));
        let with = "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.spin]\nruntime_type = \"x\"\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.spin.options]\n    SystemdCgroup = false # k3s default\n[other]\n";
        let out = set_in_template(with, p, "spin", Some("options"), "SystemdCgroup", "true").unwrap();
        assert_eq!(out, with.replace("SystemdCgroup = false # k3s default", "SystemdCgroup = true # k3s default"));
        let out = set_in_template(t, p, "spin", None, "pod_annotations", "[\"run.oci.handler\"]").unwrap();
        assert!(
            out.contains(
                "  runtime_type = \"io.containerd.spin.v2\"\n  pod_annotations = [\"run.oci.handler\"]\n\n{{ if"
            ),
            "{out}"
        );
        assert!(set_in_template(t, p, "crun", None, "pod_annotations", "[]").is_err());
    }

    #[test]
    fn plugin_rename_touches_only_the_runtimes_headers() {
        let text = "version = 3\n# keep\n[plugins.'io.containerd.grpc.v1.cri'.containerd.runtimes.wasmedge]  # shim\n  runtime_type = \"io.containerd.wasmedge.v1\"\n[ plugins . \"io.containerd.grpc.v1.cri\" . containerd.runtimes.wasmedge.options ]\n  SystemdCgroup = true\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.other]\n";
        let out = rename_runtime_plugin(text, "io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "wasmedge")
            .unwrap();
        assert_eq!(
            out,
            text.replacen("'io.containerd.grpc.v1.cri'", "\"io.containerd.cri.v1.runtime\"", 1).replacen(
                "\"io.containerd.grpc.v1.cri\" .",
                "\"io.containerd.cri.v1.runtime\" .",
                1
            )
        );
        assert!(out.contains("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.other]"));
        assert!(rename_runtime_plugin(text, "io.containerd.grpc.v1.cri", "x", "nope").is_err());
        let block = runtime_block(text, "io.containerd.grpc.v1.cri", "wasmedge").unwrap();
        assert_eq!(block.lines().count(), 4, "{block}");
        assert!(block.starts_with("[plugins.'io.containerd.grpc.v1.cri'") && block.ends_with("SystemdCgroup = true\n"));
    }
}
