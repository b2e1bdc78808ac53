//! Format-preserving edits of containerd configs (toml_edit): comments, order and every byte
//! outside the edited value stay as they were.

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
                }
            }
        }
        None => {
            let mut options = InlineTable::new();
            options.set_dotted(true);
            options.insert("SystemdCgroup", Value::from(on));
            runtime.insert("options", Item::Value(Value::InlineTable(options)));
        }
    }
    Ok(doc.to_string())
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
        assert!(out.contains("pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]"), "{out}");
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
        assert_eq!(out, format!("{bare}options.SystemdCgroup = true\n"));
        let with = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.wasmedge.options]\n  SystemdCgroup = false # was\n";
        let out = set_systemd_cgroup(with, p, "wasmedge", true).unwrap();
        assert_eq!(out, with.replace("false", "true"));
        assert_eq!(set_systemd_cgroup(&out, p, "wasmedge", true).unwrap(), out);
    }
}
