//! Format-preserving edits of containerd configs (toml_edit): comments, order and every byte
//! outside the edited value stay as they were.

use toml_edit::{Array, DocumentMut, Item, Value};

/// Make runtime `name`'s `pod_annotations` under `plugin_id` contain every `wanted` entry.
pub fn add_pod_annotations(text: &str, plugin_id: &str, name: &str, wanted: &[&str]) -> Result<String, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| e.message().to_string())?;
    let runtime = doc
        .get_mut("plugins")
        .and_then(|p| p.as_table_like_mut())
        .and_then(|p| p.get_mut(plugin_id))
        .and_then(|p| p.as_table_like_mut())
        .and_then(|p| p.get_mut("containerd"))
        .and_then(|c| c.as_table_like_mut())
        .and_then(|c| c.get_mut("runtimes"))
        .and_then(|r| r.as_table_like_mut())
        .and_then(|r| r.get_mut(name))
        .and_then(|r| r.as_table_like_mut())
        .ok_or_else(|| format!("no runtime table `{name}` under `{plugin_id}`"))?;
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
}
