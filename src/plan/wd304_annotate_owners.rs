//! WD304's fix: `module.wasm.image/variant: compat-smart` on the pod template of the workload that
//! owns each pod the check found without it (a Deployment, StatefulSet, DaemonSet or Job); bare
//! pods and other owners are steps by hand.

use std::collections::BTreeSet;

use serde_json::json;

use super::{ApiObject, Finding, Plan, PlanError, PlanInput};
use crate::facts::{ClusterFacts, ObjectRef};
use crate::rules::wasm::VARIANT_ANNOTATION;

/// The top-level workload that owns a pod or a ReplicaSet/Job: a Deployment, StatefulSet,
/// DaemonSet or Job; `None` for a bare pod.
fn owning_workload(c: &ClusterFacts, namespace: &str, owner: Option<&ObjectRef>) -> Option<ObjectRef> {
    let owner = owner?;
    let workloads = c.workloads.collected().map(Vec::as_slice).unwrap_or(&[]);
    let w = workloads.iter().find(|w| w.kind == owner.kind && w.name == owner.name && w.namespace == namespace);
    match w.and_then(|w| w.owner.clone()) {
        Some(parent) => Some(ObjectRef { namespace: Some(namespace.to_string()), ..parent }),
        None => Some(ObjectRef { namespace: Some(namespace.to_string()), ..owner.clone() }),
    }
}

pub fn plan(input: &PlanInput, finding: &Finding) -> Result<Option<Plan>, PlanError> {
    Ok(annotate_owners(input, finding))
}

fn annotate_owners(input: &PlanInput, finding: &Finding) -> Option<Plan> {
    let c = input.facts.cluster.collected()?;
    let mut targets: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut manual: Vec<String> = Vec::new();
    for a in &finding.result.affected {
        let ns = a.namespace.clone().unwrap_or_default();
        let owner = if a.kind == "Pod" {
            let pod = c.pods.collected().into_iter().flatten().find(|p| p.namespace == ns && p.name == a.name);
            match owning_workload(c, &ns, pod.and_then(|p| p.owner.as_ref())) {
                Some(o) => o,
                None => {
                    manual.push(format!("bare pod {ns}/{}: recreate it with the annotation", a.name));
                    continue;
                }
            }
        } else {
            ObjectRef { kind: a.kind.clone(), namespace: a.namespace.clone(), name: a.name.clone() }
        };
        match owner.kind.as_str() {
            "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => {
                targets.insert((owner.kind, ns, owner.name));
            }
            other => {
                manual.push(format!("{other} {ns}/{}: add the annotation to its pod template by hand", owner.name))
            }
        }
    }
    if targets.is_empty() && manual.is_empty() {
        return None;
    }
    let objects: Vec<ApiObject> = targets
        .iter()
        .map(|(kind, ns, name)| {
            let api_version = if kind == "Job" { "batch/v1" } else { "apps/v1" };
            ApiObject {
                api_version: api_version.into(),
                kind: kind.clone(),
                plural: format!("{}s", kind.to_ascii_lowercase()),
                namespace: Some(ns.clone()),
                name: name.clone(),
                body: json!({
                    "apiVersion": api_version,
                    "kind": kind,
                    "metadata": {"name": name, "namespace": ns},
                    "spec": {"template": {"metadata": {"annotations": {(VARIANT_ANNOTATION.0): VARIANT_ANNOTATION.1}}}},
                }),
            }
        })
        .collect();
    let mut notes = manual;
    if targets.iter().any(|(k, _, _)| k == "Job") {
        notes.push("a Job's pod template is immutable on most clusters: if the server refuses, recreate the Job with the annotation".into());
    }
    let shown: Vec<String> = targets.iter().map(|(k, ns, n)| format!("{k} {ns}/{n}")).collect();
    let summary = if shown.is_empty() {
        "add `module.wasm.image/variant: compat-smart` to the pods".to_string()
    } else {
        format!(
            "add `module.wasm.image/variant: compat-smart` to the pod template of {} (its pods are replaced by a rollout)",
            shown.join(", ")
        )
    };
    Some(Plan {
        objects,
        instructions: (!notes.is_empty()).then(|| format!("by hand: {}", notes.join("; "))),
        ..Plan::empty("WD304", summary)
    })
}
