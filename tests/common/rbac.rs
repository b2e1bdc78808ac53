//! Requests as RBAC judges them, and the roles wasmdoctor documents: a test derives what a run
//! needs from the fake's request log and holds it against the role that should grant it.

#![allow(dead_code)]

use serde_json::Value;

/// A request as RBAC sees it: (verb, API group, resource with its subresource).
pub fn rbac_request(line: &str) -> Option<(String, String, String)> {
    let (method, target) = line.split_once(' ').unwrap_or(("GET", line));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (group, rest) = match parts.as_slice() {
        ["api", "v1", rest @ ..] => ("", rest),
        ["apis", g, _v, rest @ ..] => (*g, rest),
        _ => return None,
    };
    let rest = match rest {
        ["namespaces", _ns, tail @ ..] if !tail.is_empty() => tail,
        r => r,
    };
    let (resource, named) = match rest {
        [] => return None,
        [plural] => (plural.to_string(), false),
        [plural, _name] => (plural.to_string(), true),
        [plural, _name, sub] => (format!("{plural}/{sub}"), true),
        _ => return None,
    };
    let verb = match method {
        "POST" => "create",
        "PATCH" => "patch",
        "DELETE" => "delete",
        _ if named => "get",
        _ if query.contains("watch=true") => "watch",
        _ => "list",
    };
    Some((verb.into(), group.into(), resource))
}

/// The rules of ClusterRole `name` in `file` (relative to the repository) as (verb, group,
/// resource) triples.
pub fn role(file: &str, name: &str) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let v: Value =
            serde_json::to_value(<serde_yaml::Value as serde::Deserialize>::deserialize(doc).unwrap()).unwrap();
        if v["kind"] != "ClusterRole" || v["metadata"]["name"] != name {
            continue;
        }
        for rule in v["rules"].as_array().unwrap() {
            for g in rule["apiGroups"].as_array().unwrap() {
                for r in rule["resources"].as_array().unwrap() {
                    for verb in rule["verbs"].as_array().unwrap() {
                        out.push((
                            verb.as_str().unwrap().into(),
                            g.as_str().unwrap().into(),
                            r.as_str().unwrap().into(),
                        ));
                    }
                }
            }
        }
    }
    assert!(!out.is_empty(), "{file} has no ClusterRole `{name}`");
    out
}

/// The requests a run made that RBAC judges; the rest must be discovery and `/version`, which
/// every authenticated user may read (the default `system:discovery` and
/// `system:public-info-viewer` roles).
pub fn judged(lines: &[String]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for l in lines {
        match rbac_request(l) {
            Some(r) => out.push(r),
            None => {
                let path = l.split('?').next().unwrap_or(l);
                assert!(path == "/version" || path == "/api" || path == "/apis" || path.starts_with("/apis/"), "{l}");
            }
        }
    }
    out.sort();
    out.dedup();
    out
}
