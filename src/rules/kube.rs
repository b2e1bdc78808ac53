//! Kubernetes' rules as the cluster checks apply them: node selection by labels, the labels Wasm
//! installers put on nodes, image references, and resource quantities.

use std::collections::BTreeMap;

/// Whether a `nodeSelector` selects a node with these labels.
pub fn selects(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// The node label an installer set when it put `handler` on the node (runtime-class-manager's
/// `<handler>=provisioned`, KWasm's `kwasm.sh/kwasm-provisioned`), as `key=value`.
pub fn installer_label(labels: &BTreeMap<String, String>, handler: &str) -> Option<String> {
    if labels.get(handler).is_some_and(|v| v == "provisioned") {
        return Some(format!("{handler}=provisioned"));
    }
    labels.get("kwasm.sh/kwasm-provisioned").map(|v| format!("kwasm.sh/kwasm-provisioned={v}"))
}

/// `ghcr.io/x/app:v1` and `docker.io/library/app:v1` style names compared loosely: the same
/// repository path and tag after normalising Docker Hub's defaults.
pub fn same_image(a: &str, b: &str) -> bool {
    fn norm(s: &str) -> String {
        let s = s.split('@').next().unwrap_or(s);
        let with_tag = if s.rsplit('/').next().is_some_and(|last| last.contains(':')) {
            s.to_string()
        } else {
            format!("{s}:latest")
        };
        let first = with_tag.split('/').next().unwrap_or("");
        let has_registry =
            with_tag.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
        match (has_registry, with_tag.contains('/')) {
            (true, _) => with_tag,
            (false, true) => format!("docker.io/{with_tag}"),
            (false, false) => format!("docker.io/library/{with_tag}"),
        }
    }
    norm(a) == norm(b)
}

/// `250m` → 250_000_000, `1` → 1e9, `12345n` → 12345, `3u` → 3000.
pub fn cpu_nanocores(q: &str) -> u64 {
    let (num, scale) = match q.char_indices().last() {
        Some((i, 'n')) => (&q[..i], 1.0),
        Some((i, 'u')) => (&q[..i], 1e3),
        Some((i, 'm')) => (&q[..i], 1e6),
        _ => (q, 1e9),
    };
    num.parse::<f64>().map(|n| (n * scale) as u64).unwrap_or(0)
}

/// `128Mi`, `1Gi`, `500k`, `1024` → bytes.
pub fn memory_bytes(q: &str) -> u64 {
    const UNITS: &[(&str, f64)] = &[
        ("Ki", 1024.0),
        ("Mi", 1048576.0),
        ("Gi", 1073741824.0),
        ("Ti", 1099511627776.0),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
    ];
    for (suffix, scale) in UNITS {
        if let Some(n) = q.strip_suffix(suffix) {
            return n.parse::<f64>().map(|n| (n * scale) as u64).unwrap_or(0);
        }
    }
    q.parse::<f64>().map(|n| n as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names() {
        assert!(same_image("hello:v1", "docker.io/library/hello:v1"));
        assert!(same_image("ghcr.io/x/hello", "ghcr.io/x/hello:latest"));
        assert!(!same_image("ghcr.io/x/hello:v2", "ghcr.io/x/hello:v1"));
    }

    #[test]
    fn quantities() {
        assert_eq!(cpu_nanocores("250m"), 250_000_000);
        assert_eq!(cpu_nanocores("12345n"), 12345);
        assert_eq!(cpu_nanocores("1"), 1_000_000_000);
        assert_eq!(cpu_nanocores("junk"), 0);
        assert_eq!(memory_bytes("128Mi"), 134_217_728);
        assert_eq!(memory_bytes("1k"), 1000);
    }
}
