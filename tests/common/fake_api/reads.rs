//! The fake's reads: discovery, lists with `limit`/`continue` and field selectors, single objects,
//! pod logs, and the faults injected on them (a status, a malformed body, a delay, a flood).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::*;

/// The size of the flood a `Fault::Flood` on this target's path asks for (recorded as a request).
pub(super) fn flood(target: &str, state: &Arc<Mutex<State>>) -> Option<u64> {
    let mut st = state.lock().unwrap();
    let path = target.split_once('?').map_or(target, |(p, _)| p);
    let total = st.faults.iter().find_map(|(k, f)| match f {
        Fault::Flood(n) if path == k.as_str() || (k.ends_with('/') && path.starts_with(k.as_str())) => Some(*n),
        _ => None,
    })?;
    st.requests.push(target.to_string());
    Some(total)
}

pub(super) fn respond(target: &str, state: &Arc<Mutex<State>>) -> Response {
    let mut st = state.lock().unwrap();
    st.requests.push(target.to_string());
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let params: HashMap<String, String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    let fault = st
        .faults
        .iter()
        .find(|(k, _)| path == k.as_str() || (k.ends_with('/') && path.starts_with(k.as_str())))
        .map(|(_, f)| f.clone());
    let mut delay = None;
    match fault {
        Some(Fault::Status(403)) => {
            let resource = path.rsplit('/').next().unwrap_or("");
            let msg = format!(
                "{resource} is forbidden: User \"system:serviceaccount:wasmdoctor:wasmdoctor\" cannot list resource \"{resource}\" at the cluster scope"
            );
            return (403, "application/json", status(403, "Forbidden", &msg), None);
        }
        Some(Fault::Status(code)) => {
            return (code, "application/json", status(code, "InternalError", "etcdserver: request timed out"), None);
        }
        Some(Fault::Malformed) => {
            return (200, "application/json", b"{\"kind\":\"PodList\",\"items\":[{\"metadata\":".to_vec(), None);
        }
        Some(Fault::Delay(d)) => delay = Some(d),
        Some(Fault::Flood(_)) | None => {}
    }
    let json = |v: Value| (200, "application/json", v.to_string().into_bytes(), delay);
    match path {
        "/version" => {
            return json(json!({"major": "1", "minor": "33", "gitVersion": "v1.33.0-fake", "platform": "linux/amd64"}));
        }
        "/api" => {
            return json(
                json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}),
            );
        }
        "/apis" => {
            let groups: Vec<Value> = [("apps", "v1"), ("batch", "v1"), ("autoscaling", "v2"), ("node.k8s.io", "v1"), ("metrics.k8s.io", "v1beta1")]
                .iter()
                .map(|(g, v)| json!({"name": g, "versions": [{"groupVersion": format!("{g}/{v}"), "version": v}], "preferredVersion": {"groupVersion": format!("{g}/{v}"), "version": v}}))
                .collect();
            return json(json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}));
        }
        "/api/v1" => {
            let r = |name: &str, kind: &str, namespaced: bool| json!({"name": name, "singularName": "", "namespaced": namespaced, "kind": kind, "verbs": ["get", "list"]});
            return json(
                json!({"kind": "APIResourceList", "groupVersion": "v1", "resources": [r("pods", "Pod", true), r("pods/log", "Pod", true), r("nodes", "Node", false), r("events", "Event", true)]}),
            );
        }
        _ => {}
    }
    if let ["apis", group, version] = path.trim_start_matches('/').split('/').collect::<Vec<_>>().as_slice() {
        if *group == "keda.sh" {
            if !st.keda {
                return not_served(delay);
            }
            return json(
                json!({"kind": "APIResourceList", "groupVersion": "keda.sh/v1alpha1", "resources": [{"name": "scaledobjects", "singularName": "scaledobject", "namespaced": true, "kind": "ScaledObject", "verbs": ["get", "list", "patch", "delete"]}]}),
            );
        }
        // runtime-class-manager's CRD is served when the world has Shims.
        if *group == "runtime.spinkube.dev" {
            if st.lists.get("/apis/runtime.spinkube.dev/v1alpha1/shims").is_none_or(Vec::is_empty) {
                return not_served(delay);
            }
            return json(
                json!({"kind": "APIResourceList", "groupVersion": "runtime.spinkube.dev/v1alpha1", "resources": [{"name": "shims", "singularName": "shim", "namespaced": false, "kind": "Shim", "verbs": ["get", "list", "watch", "update"]}]}),
            );
        }
        return json(json!({"kind": "APIResourceList", "groupVersion": format!("{group}/{version}"), "resources": []}));
    }
    if let Some((collection, ns, name)) = object_location(path)
        && !path.ends_with("/log")
        && st.lists.contains_key(&collection)
    {
        return match find_object(&st, &collection, &ns, &name) {
            Some(i) => json(st.lists[&collection][i].clone()),
            None => (404, "application/json", status(404, "NotFound", &format!("\"{name}\" not found")), delay),
        };
    }
    // Pod logs: /api/v1/namespaces/{ns}/pods/{name}/log
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if let ["api", "v1", "namespaces", ns, "pods", pod, "log"] = parts.as_slice() {
        let container = params.get("container").cloned().unwrap_or_default();
        let previous = params.get("previous").is_some_and(|v| v == "true");
        let key = format!("{ns}/{pod}/{container}{}", if previous { "/previous" } else { "" });
        let Some(text) = st.logs.get(&key).cloned() else {
            // The real server's words when a container never restarted.
            let (code, reason, msg) = if previous {
                (400, "BadRequest", format!("previous terminated container \"{container}\" in pod \"{pod}\" not found"))
            } else {
                (404, "NotFound", format!("pods \"{pod}\" not found"))
            };
            return (code, "application/json", status(code, reason, &msg), delay);
        };
        let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
        if let Some(n) = params.get("tailLines").and_then(|n| n.parse::<usize>().ok()) {
            let skip = lines.len().saturating_sub(n);
            lines.drain(..skip);
        }
        let mut out: Vec<u8> = lines.concat().into_bytes();
        if let Some(n) = params.get("limitBytes").and_then(|n| n.parse::<usize>().ok()) {
            out.truncate(n);
        }
        return (200, "text/plain", out, delay);
    }
    let selector = params.get("fieldSelector").cloned().unwrap_or_default();
    let labels = params.get("labelSelector").cloned().unwrap_or_default();
    // A namespaced list (`/api/v1/namespaces/ns/pods`) is the collection's, narrowed.
    let (collection, namespace) = namespaced(path);
    let key = (path.to_string(), format!("{selector}|{labels}"));
    let items = match st.cache.get(&key) {
        Some(items) => items.clone(),
        None => {
            let Some(items) = st.lists.get(&collection) else {
                if collection_kind(&collection).is_some() {
                    // A served resource with nothing in it.
                    return json(
                        json!({"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": []}),
                    );
                }
                return not_served(delay);
            };
            let mut selected: Vec<&Value> = items.iter().collect();
            if let Some(ns) = &namespace {
                selected.retain(|o| o["metadata"]["namespace"] == ns.as_str());
            }
            for clause in labels.split(',').filter(|c| !c.is_empty()) {
                if let Some((key, want)) = clause.split_once('=') {
                    selected.retain(|o| o["metadata"]["labels"][key].as_str() == Some(want));
                }
            }
            for clause in selector.split(',').filter(|c| !c.is_empty()) {
                if let Some((field, want)) = clause.split_once('=') {
                    let pointer = format!("/{}", field.replace('.', "/"));
                    selected.retain(|o| o.pointer(&pointer).and_then(Value::as_str) == Some(want));
                }
            }
            let serialized: Arc<Vec<Vec<u8>>> =
                Arc::new(selected.iter().map(|v| serde_json::to_vec(v).unwrap()).collect());
            st.cache.insert(key, serialized.clone());
            serialized
        }
    };
    drop(st);
    let offset = params
        .get("continue")
        .and_then(|c| c.strip_prefix("cursor/"))
        .and_then(|c| c.trim_end_matches("+==").parse::<usize>().ok())
        .unwrap_or(0);
    let limit = params.get("limit").and_then(|l| l.parse::<usize>().ok()).filter(|l| *l > 0).unwrap_or(usize::MAX);
    let end = offset.saturating_add(limit).min(items.len());
    let page = items.get(offset.min(items.len())..end).unwrap_or(&[]);
    let mut metadata = json!({"resourceVersion": "12345"});
    if end < items.len() {
        metadata["continue"] = json!(format!("cursor/{end}+=="));
        metadata["remainingItemCount"] = json!(items.len() - end);
    }
    let kind = collection_kind(&collection).unwrap_or("List");
    let mut body = Vec::with_capacity(page.iter().map(Vec::len).sum::<usize>() + 256);
    body.extend_from_slice(
        format!("{{\"kind\":\"{kind}\",\"apiVersion\":\"v1\",\"metadata\":{metadata},\"items\":[").as_bytes(),
    );
    for (i, item) in page.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(item);
    }
    body.extend_from_slice(b"]}");
    (200, "application/json", body, delay)
}

/// `/api/v1/namespaces/ns/pods` → (`/api/v1/pods`, Some(ns)); any other path is itself.
fn namespaced(path: &str) -> (String, Option<String>) {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["api", "v1", "namespaces", ns, plural] => (format!("/api/v1/{plural}"), Some(ns.to_string())),
        ["apis", g, v, "namespaces", ns, plural] => (format!("/apis/{g}/{v}/{plural}"), Some(ns.to_string())),
        _ => (path.to_string(), None),
    }
}

/// The real server's answer for an API it does not serve.
fn not_served(delay: Option<std::time::Duration>) -> Response {
    (404, "application/json", status(404, "NotFound", "the server could not find the requested resource"), delay)
}

fn collection_kind(path: &str) -> Option<&'static str> {
    [
        "RuntimeClass",
        "Node",
        "Pod",
        "Event",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "Job",
        "HorizontalPodAutoscaler",
        "PodMetrics",
    ]
    .into_iter()
    .find_map(|k| collection(k).filter(|(p, _)| *p == path).map(|(_, list)| list))
}
