//! WD301's and WD303's fix: a RuntimeClass (name = handler) for each RuntimeClass the check says
//! should exist and this node has the handler of; `scheduling.nodeSelector` when an installer
//! labelled this node for the handler. The others are named as steps by hand.

use std::collections::BTreeSet;

use serde_json::json;

use super::{ApiObject, Finding, Plan, PlanError, PlanInput};
use crate::checks::cluster::node_handlers;
use crate::rules::kube::installer_label;

pub fn plan(input: &PlanInput, finding: &Finding) -> Result<Option<Plan>, PlanError> {
    Ok(runtime_classes(input, finding))
}

fn runtime_classes(input: &PlanInput, finding: &Finding) -> Option<Plan> {
    let id = finding.result.id.as_str();
    let c = input.facts.cluster.collected()?;
    let handlers = node_handlers(input.facts)?;
    let (wanted, unknown): (BTreeSet<String>, BTreeSet<String>) =
        finding.runtime_classes().map(String::from).partition(|name| handlers.contains_key(name));
    let this_node = input.facts.node_name.as_deref().and_then(|n| c.nodes.collected()?.iter().find(|x| x.name == n));
    let objects: Vec<ApiObject> = wanted
        .iter()
        .map(|h| {
            let mut body = json!({
                "apiVersion": "node.k8s.io/v1",
                "kind": "RuntimeClass",
                "metadata": {"name": h},
                "handler": h,
            });
            if let Some((k, v)) = this_node
                .and_then(|n| installer_label(&n.labels, h))
                .and_then(|l| l.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
            {
                body["scheduling"] = json!({"nodeSelector": {k: v}});
            }
            ApiObject {
                api_version: "node.k8s.io/v1".into(),
                kind: "RuntimeClass".into(),
                plural: "runtimeclasses".into(),
                namespace: None,
                name: h.clone(),
                body,
            }
        })
        .collect();
    let unknown_note = (!unknown.is_empty()).then(|| {
        format!(
            "by hand: {} {} no handler of this node's containerd: create {} with the `handler` of the node that runs it, or correct `runtimeClassName`",
            unknown.iter().map(|u| format!("`{u}`")).collect::<Vec<_>>().join(", "),
            if unknown.len() == 1 { "matches" } else { "match" },
            if unknown.len() == 1 { "it" } else { "them" }
        )
    });
    if objects.is_empty() {
        return unknown_note.map(|n| Plan::manual(id, "RuntimeClasses the workloads name", n));
    }
    let names: Vec<String> = wanted.iter().map(|w| format!("`{w}`")).collect();
    Some(Plan {
        objects,
        instructions: unknown_note,
        ..Plan::empty(id, format!("create the RuntimeClass {} for this node's Wasm handler", names.join(", ")))
    })
}
