//! The fake's writes: server-side apply as a merge with field ownership per manager, DELETE, and
//! what controllers would do next (a rollout, KEDA taking an HPA over).

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::*;

/// A PATCH as server-side apply: recorded as `PATCH <target>` with its content type's body; a fault
/// on the object's path answers instead (403 forbidden, 409 conflict); `dryRun=All` changes nothing,
/// otherwise the body is merged into the stored object (created when absent).
pub(super) fn respond_patch(target: &str, body: &[u8], state: &Arc<Mutex<State>>) -> Response {
    let mut st = state.lock().unwrap();
    st.requests.push(format!("PATCH {target}"));
    st.patches.push((target.to_string(), String::from_utf8_lossy(body).into_owned()));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let dry_run = query.split('&').any(|p| p == "dryRun=All");
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let resource = segments.get(segments.len().wrapping_sub(2)).copied().unwrap_or("");
    if let Some(node) = path.strip_prefix("/api/v1/nodes/").and_then(|p| p.strip_suffix("/status")) {
        return patch_node_status(&mut st, path, node, body);
    }
    match st.faults.get(path).cloned() {
        Some(Fault::Status(403)) => {
            let msg = format!(
                "{resource} is forbidden: User \"system:serviceaccount:wasmdoctor:wasmdoctor\" cannot patch resource \"{resource}\""
            );
            return (403, "application/json", status(403, "Forbidden", &msg), None);
        }
        Some(Fault::Status(409)) => {
            let msg = "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using node.k8s.io/v1: .handler";
            return (409, "application/json", status(409, "Conflict", msg), None);
        }
        Some(Fault::Status(code)) => {
            return (code, "application/json", status(code, "InternalError", "etcdserver: request timed out"), None);
        }
        _ => {}
    }
    let Ok(applied) = serde_json::from_slice::<Value>(body) else {
        return (400, "application/json", status(400, "BadRequest", "body is not JSON/YAML"), None);
    };
    let kind = applied["kind"].as_str().unwrap_or("").to_string();
    let Some((collection_path, _)) = collection(&kind) else {
        return (404, "application/json", status(404, "NotFound", "unknown kind"), None);
    };
    let name = applied["metadata"]["name"].clone();
    let ns = applied["metadata"]["namespace"].clone();
    let mut now_owned = Vec::new();
    leaves(&applied, String::new(), &mut now_owned);
    let before_owned = st.owned.get(path).cloned().unwrap_or_default();
    let list = st.lists.entry(collection_path.to_string()).or_default();
    let existing =
        list.iter().position(|o| o["metadata"]["name"] == name && (ns.is_null() || o["metadata"]["namespace"] == ns));
    let mut result = existing.map(|i| list[i].clone()).unwrap_or_else(|| json!({}));
    if query.split('&').any(|p| p == "fieldManager=wasmdoctor") {
        for gone in before_owned.iter().filter(|p| !now_owned.contains(p)) {
            remove_pointer(&mut result, gone);
        }
    }
    let spec_before = result["spec"].clone();
    merge(&mut result, &applied);
    if !dry_run {
        result["metadata"]["resourceVersion"] = json!(st.next_revision());
        // Workloads have a generation, bumped by spec changes only (as the real server's strategy does).
        if matches!(kind.as_str(), "Deployment" | "StatefulSet" | "DaemonSet" | "Job")
            && (existing.is_none() || result["spec"] != spec_before)
        {
            result["metadata"]["generation"] = json!(result["metadata"]["generation"].as_i64().unwrap_or(0) + 1);
        }
        let list = st.lists.entry(collection_path.to_string()).or_default();
        match existing {
            Some(i) => list[i] = result.clone(),
            None => list.push(result.clone()),
        }
        st.owned.insert(path.to_string(), now_owned);
        if kind == "Deployment" {
            roll_out(&mut st, &result);
            // The controller then writes the Deployment's status: a new resourceVersion, the same
            // generation.
            let generation = result["metadata"]["generation"].clone();
            st.edit("Deployment", name.as_str().unwrap_or(""), |d| {
                d["status"]["observedGeneration"] = generation;
            });
        }
        if kind == "ScaledObject" {
            keda_takes_over(&mut st, &result);
        }
        st.cache.clear();
    }
    (200, "application/json", result.to_string().into_bytes(), None)
}

/// The agent's write: a strategic-merge patch of a Node's `status.conditions`, merged by `type`
/// (the list's patch merge key) as the real server does; a fault on the status path answers instead
/// (403 in the real server's wording, 5xx, a delay).
fn patch_node_status(st: &mut State, path: &str, node: &str, body: &[u8]) -> Response {
    let mut delay = None;
    match st.faults.get(path).cloned() {
        Some(Fault::Status(403)) => {
            let msg = format!(
                "nodes \"{node}\" is forbidden: User \"system:serviceaccount:wasmdoctor:wasmdoctor\" cannot patch resource \"nodes/status\" in API group \"\" at the cluster scope"
            );
            return (403, "application/json", status(403, "Forbidden", &msg), None);
        }
        Some(Fault::Status(code)) => {
            return (code, "application/json", status(code, "InternalError", "etcdserver: request timed out"), None);
        }
        Some(Fault::Delay(d)) => delay = Some(d),
        _ => {}
    }
    let Ok(patch) = serde_json::from_slice::<Value>(body) else {
        return (400, "application/json", status(400, "BadRequest", "body is not JSON"), None);
    };
    let rv = st.next_revision();
    st.cache.clear();
    let Some(i) = find_object(st, "/api/v1/nodes", &None, node) else {
        return (404, "application/json", status(404, "NotFound", &format!("nodes \"{node}\" not found")), None);
    };
    let Some(obj) = st.lists.get_mut("/api/v1/nodes").map(|l| &mut l[i]) else {
        return (500, "application/json", status(500, "InternalError", "lost the node"), None);
    };
    let conditions = obj["status"]["conditions"].as_array().cloned().unwrap_or_default();
    let mut merged = conditions;
    for c in patch["status"]["conditions"].as_array().into_iter().flatten() {
        match merged.iter_mut().find(|m| m["type"] == c["type"]) {
            Some(m) => merge(m, c),
            None => merged.push(c.clone()),
        }
    }
    obj["status"]["conditions"] = Value::Array(merged);
    obj["metadata"]["resourceVersion"] = json!(rv);
    (200, "application/json", obj.to_string().into_bytes(), delay)
}

/// `/apis/g/v/namespaces/ns/plural/name` → (`/apis/g/v/plural`, Some(ns), name); also the core
/// `/api/v1/…` and cluster-scoped forms.
pub(super) fn object_location(path: &str) -> Option<(String, Option<String>, String)> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["apis", g, v, "namespaces", ns, plural, name] => {
            Some((format!("/apis/{g}/{v}/{plural}"), Some(ns.to_string()), name.to_string()))
        }
        ["api", "v1", "namespaces", ns, plural, name] if *plural != "pods" || !name.is_empty() => {
            Some((format!("/api/v1/{plural}"), Some(ns.to_string()), name.to_string()))
        }
        ["apis", g, v, plural, name] if *plural != "namespaces" => {
            Some((format!("/apis/{g}/{v}/{plural}"), None, name.to_string()))
        }
        ["api", "v1", plural, name] if *plural != "namespaces" => {
            Some((format!("/api/v1/{plural}"), None, name.to_string()))
        }
        _ => None,
    }
}

pub(super) fn find_object(st: &State, collection: &str, ns: &Option<String>, name: &str) -> Option<usize> {
    st.lists.get(collection)?.iter().position(|o| {
        o["metadata"]["name"] == name && ns.as_ref().is_none_or(|n| o["metadata"]["namespace"] == n.as_str())
    })
}

pub(super) fn respond_delete(target: &str, state: &Arc<Mutex<State>>) -> Response {
    let mut st = state.lock().unwrap();
    st.requests.push(format!("DELETE {target}"));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let Some((collection, ns, name)) = object_location(path) else {
        return (404, "application/json", status(404, "NotFound", "not an object path"), None);
    };
    let Some(i) = find_object(&st, &collection, &ns, &name) else {
        return (404, "application/json", status(404, "NotFound", &format!("\"{name}\" not found")), None);
    };
    if !query.split('&').any(|p| p == "dryRun=All") {
        st.lists.get_mut(&collection).map(|l| l.remove(i));
        super::jobs::delete_dependents(&mut st, &collection, &ns, &name, query);
        st.owned.remove(path);
        st.cache.clear();
    }
    (200, "application/json", status(200, "Success", "deleted"), None)
}

/// Leaf paths of an apply body, as JSON pointers (identity fields left out).
fn leaves(v: &Value, prefix: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                let p = format!("{prefix}/{}", k.replace('~', "~0").replace('/', "~1"));
                if !matches!(p.as_str(), "/apiVersion" | "/kind" | "/metadata/name" | "/metadata/namespace") {
                    leaves(x, p, out);
                }
            }
        }
        _ => out.push(prefix),
    }
}

fn remove_pointer(v: &mut Value, pointer: &str) {
    if let Some((parent, key)) = pointer.rsplit_once('/')
        && let Some(Value::Object(m)) = v.pointer_mut(parent)
    {
        m.remove(&key.replace("~1", "/").replace("~0", "~"));
    }
}

/// What the Deployment controller would do, at once: the pods of its ReplicaSets get the pod
/// template's annotations.
fn roll_out(st: &mut State, deployment: &Value) {
    let ns = deployment["metadata"]["namespace"].clone();
    let name = deployment["metadata"]["name"].as_str().unwrap_or("");
    let owned_by = |o: &Value, kind: &str, owner: &str| {
        o["metadata"]["ownerReferences"]
            .as_array()
            .is_some_and(|refs| refs.iter().any(|r| r["kind"] == kind && r["name"] == owner))
            && o["metadata"]["namespace"] == ns
    };
    let sets: Vec<String> = st
        .lists
        .get("/apis/apps/v1/replicasets")
        .into_iter()
        .flatten()
        .filter(|rs| owned_by(rs, "Deployment", name))
        .filter_map(|rs| rs["metadata"]["name"].as_str().map(String::from))
        .collect();
    let annotations = deployment["spec"]["template"]["metadata"]["annotations"].clone();
    for p in st.lists.entry("/api/v1/pods".into()).or_default() {
        if sets.iter().any(|rs| owned_by(p, "ReplicaSet", rs)) {
            merge(&mut p["metadata"]["annotations"], &annotations);
        }
    }
}

/// What KEDA's operator would do with a ScaledObject that transfers an HPA's ownership: the HPA
/// now scales on the trigger's External metric, and is active.
fn keda_takes_over(st: &mut State, so: &Value) {
    if so["metadata"]["annotations"]["scaledobject.keda.sh/transfer-hpa-ownership"] != "true" {
        return;
    }
    let ns = so["metadata"]["namespace"].clone();
    let name = so["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["name"].clone();
    for h in st.lists.entry("/apis/autoscaling/v2/horizontalpodautoscalers".into()).or_default() {
        if h["metadata"]["namespace"] == ns && h["metadata"]["name"] == name {
            h["spec"]["metrics"] = json!([{"type": "External", "external": {"metric": {"name": "s0-prometheus"}, "target": {"type": "AverageValue", "averageValue": "50"}}}]);
            h["status"]["conditions"] =
                json!([{"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound"}]);
        }
    }
}
