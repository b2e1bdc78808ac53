//! Kubernetes' rules as the cluster checks apply them: node selection by labels, the labels Wasm
//! installers put on nodes, image references, and resource quantities.

use std::collections::BTreeMap;

use crate::facts::{NodeInfo, RuntimeClassInfo, Taint, Toleration};

/// Whether a `nodeSelector` selects a node with these labels.
pub fn selects(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// Whether a toleration tolerates a taint (Kubernetes' `ToleratesTaint`): same effect (or none
/// given), and `Exists` on the key (an empty key with `Exists` tolerates everything) or `Equal` on key
/// and value.
pub fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    if t.effect.as_deref().is_some_and(|e| !e.is_empty() && e != taint.effect) {
        return false;
    }
    let key = t.key.as_deref().unwrap_or("");
    match t.operator.as_deref().unwrap_or("Equal") {
        "Exists" => key.is_empty() || key == taint.key,
        _ => key == taint.key && t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
    }
}

/// Whether the scheduler can place a pod of this RuntimeClass on this node: its `nodeSelector`
/// selects the node, and its tolerations tolerate every `NoSchedule`/`NoExecute` taint
/// (`PreferNoSchedule` only steers). The pod's own selector and tolerations add to these; they are
/// not known for pods that do not exist yet.
pub fn schedulable(rc: &RuntimeClassInfo, node: &NodeInfo) -> bool {
    selects(&rc.node_selector, &node.labels)
        && node
            .taints
            .iter()
            .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
            .all(|taint| rc.tolerations.iter().any(|t| tolerates(t, taint)))
}

/// A DNS-1123 label (a namespace's name): at most 63 of `a-z0-9-`, starting and ending alphanumeric.
pub fn is_dns_label(s: &str) -> bool {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    s.len() <= 63
        && s.chars().all(|c| ok(c) || c == '-')
        && s.chars().next().is_some_and(ok)
        && s.chars().last().is_some_and(ok)
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
    fn dns_labels() {
        assert!(is_dns_label("default") && is_dns_label("wasm-smoke-1"));
        for bad in ["", "-a", "a-", "A", "a_b", "a.b", &"a".repeat(64)] {
            assert!(!is_dns_label(bad), "{bad}");
        }
    }

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

    #[test]
    fn taints_and_tolerations() {
        let taint =
            |k: &str, v: Option<&str>, e: &str| Taint { key: k.into(), value: v.map(String::from), effect: e.into() };
        let tol = |k: Option<&str>, op: &str, v: Option<&str>, e: Option<&str>| Toleration {
            key: k.map(String::from),
            operator: Some(op.into()),
            value: v.map(String::from),
            effect: e.map(String::from),
        };
        let gpu = taint("nvidia.com/gpu", Some("true"), "NoSchedule");
        assert!(tolerates(&tol(Some("nvidia.com/gpu"), "Exists", None, None), &gpu));
        assert!(tolerates(&tol(Some("nvidia.com/gpu"), "Equal", Some("true"), Some("NoSchedule")), &gpu));
        assert!(!tolerates(&tol(Some("nvidia.com/gpu"), "Equal", Some("false"), None), &gpu));
        assert!(!tolerates(&tol(Some("nvidia.com/gpu"), "Exists", None, Some("NoExecute")), &gpu));
        assert!(tolerates(&tol(None, "Exists", None, None), &gpu), "an empty key with Exists tolerates all");
        let rc = RuntimeClassInfo {
            name: "spin".into(),
            handler: "spin".into(),
            node_selector: BTreeMap::new(),
            tolerations: vec![],
        };
        let mut node = NodeInfo {
            name: "n".into(),
            labels: BTreeMap::new(),
            runtime_version: None,
            taints: vec![gpu],
            runtime_handlers: None,
            wasm_ready: None,
            ready: None,
        };
        assert!(!schedulable(&rc, &node));
        node.taints[0].effect = "PreferNoSchedule".into();
        assert!(schedulable(&rc, &node), "PreferNoSchedule only steers");
    }
}
