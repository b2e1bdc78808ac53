//! Writing `WasmReady` on the node's own Node: a strategic-merge patch of `status.conditions` through
//! the `nodes/status` subresource (conditions merge by `type`, so `Ready` and the kubelet's other
//! conditions stay as they are), with field manager `wasmdoctor`. `lastHeartbeatTime` moves on every
//! run; `lastTransitionTime` only when the status changes.

use std::time::SystemTime;

use serde_json::json;

use super::{CONDITION, WasmReady};
use crate::collect::cluster::{ClusterOptions, Connected, bounded, connect};
use crate::rules::time::rfc3339;

/// Answers the Node read and the patch return are a Node object: a few KiB, at most this.
const ANSWER_CAP: usize = 4 << 20;

/// Publish `cond` on Node `node`; what went wrong, as a user reads it.
pub fn publish(opts: &ClusterOptions, node: &str, cond: &WasmReady) -> Result<(), String> {
    let run = async {
        let Connected { client, server, .. } = connect(opts).await.map_err(|m| m.reason)?;
        let path = format!("/api/v1/nodes/{}", crate::collect::cluster::path_segment(node));
        let get = http::Request::get(&path).body(Vec::new()).map_err(|e| e.to_string())?;
        let current = tokio::time::timeout(opts.timeout, bounded::request(&client, get, ANSWER_CAP))
            .await
            .map_err(|_| format!("{server} did not answer within {}s", opts.timeout.as_secs()))?
            .map_err(|e| explain(&e, "get", "nodes", node))?;
        let node_obj: serde_json::Value =
            serde_json::from_str(&current.text).map_err(|e| format!("the Node is not JSON: {e}"))?;
        let now = rfc3339(SystemTime::now());
        let previous = node_obj["status"]["conditions"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["type"] == CONDITION))
            .cloned();
        let transition = match &previous {
            Some(p) if p["status"] == cond.status => p["lastTransitionTime"].as_str().unwrap_or(&now).to_string(),
            _ => now.clone(),
        };
        let patch = json!({"status": {"conditions": [{
            "type": CONDITION,
            "status": cond.status,
            "reason": cond.reason,
            "message": cond.message,
            "lastHeartbeatTime": now,
            "lastTransitionTime": transition,
        }]}});
        let req = http::Request::patch(format!("{path}/status?fieldManager=wasmdoctor"))
            .header(http::header::CONTENT_TYPE, "application/strategic-merge-patch+json")
            .body(serde_json::to_vec(&patch).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        tokio::time::timeout(opts.timeout, bounded::request(&client, req, ANSWER_CAP))
            .await
            .map_err(|_| format!("{server} did not answer within {}s", opts.timeout.as_secs()))?
            .map_err(|e| explain(&e, "patch", "nodes/status", node))?;
        Ok(())
    };
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt.block_on(run),
        Err(e) => Err(format!("could not start an async runtime: {e}")),
    }
}

fn explain(e: &kube::Error, verb: &str, resource: &str, node: &str) -> String {
    match e {
        kube::Error::Api(s) if s.code == 403 => {
            format!(
                "forbidden: wasmdoctor may not `{verb}` `{resource}` of Node `{node}` (grant it: deploy/ has the role): {}",
                s.message
            )
        }
        kube::Error::Api(s) if s.code == 404 => format!("there is no Node `{node}` (give `--node` or $NODE_NAME)"),
        kube::Error::Api(s) => format!("{verb} {resource}: HTTP {}: {}", s.code, s.message),
        other => format!("{verb} {resource}: {other}"),
    }
}
