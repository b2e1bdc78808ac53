//! Cluster fixes: RuntimeClasses for this node's Wasm handlers (WD301/WD303) and the crun
//! annotation on the pod templates of the owning workloads (WD304), written by server-side apply
//! with field manager `wasmdoctor`, after a server dry-run of every object.

use std::collections::BTreeSet;

use serde_json::json;

use super::{ApiObject, Plan, PlanInput};
use crate::checks::cluster::{installer_label, node_handlers};
use crate::collect::CollectOptions;
use crate::facts::{ClusterFacts, ObjectRef};

/// WD301/WD303: a RuntimeClass (name = handler) for each of this node's Wasm handlers that no
/// RuntimeClass names, and for each RuntimeClass that workloads ask for and this node's handlers
/// provide; `scheduling.nodeSelector` when an installer labelled this node for the handler.
pub fn runtime_classes(id: &str, input: &PlanInput) -> Option<Plan> {
    let c = input.facts.cluster.collected()?;
    let rcs = c.runtime_classes.collected()?;
    let handlers = node_handlers(input.facts)?;
    let existing: BTreeSet<&str> = rcs.iter().map(|r| r.name.as_str()).collect();
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    let mut unknown: BTreeSet<String> = BTreeSet::new();
    if id == "WD301" {
        wanted.extend(handlers.keys().filter(|h| !rcs.iter().any(|r| &r.handler == *h)).cloned());
    } else {
        let asked = c.pods.collected().into_iter().flatten().filter_map(|p| p.runtime_class.clone()).chain(
            c.workloads
                .collected()
                .into_iter()
                .flatten()
                .filter(|w| w.owner.is_none())
                .filter_map(|w| w.runtime_class.clone()),
        );
        for name in asked.filter(|n| !existing.contains(n.as_str())) {
            if handlers.contains_key(&name) {
                wanted.insert(name);
            } else {
                unknown.insert(name);
            }
        }
    }
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
        ..Plan::manual(id, format!("create the RuntimeClass {} for this node's Wasm handler", names.join(", ")), "")
    })
}

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

/// WD304: `module.wasm.image/variant: compat-smart` on the pod template of each owning workload.
pub fn annotate_owners(input: &PlanInput) -> Option<Plan> {
    let c = input.facts.cluster.collected()?;
    let check = crate::checks::CHECKS.iter().find(|c| c.id == "WD304")?;
    let result = crate::engine::evaluate_check(check, input.facts, input.policy, &crate::collect::today());
    let mut targets: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut manual: Vec<String> = Vec::new();
    for a in &result.affected {
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
                    "spec": {"template": {"metadata": {"annotations": {"module.wasm.image/variant": "compat-smart"}}}},
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
        ..Plan::manual("WD304", summary, "")
    })
}

/// WD307: a KEDA `ScaledObject` that takes the failing HPA over (KEDA's
/// `scaledobject.keda.sh/transfer-hpa-ownership`) and scales its target on a Prometheus query of
/// the workload's own metrics. Applied only when KEDA's API is served and the policy names the
/// trigger (`[keda]`); otherwise the object is printed.
pub fn scaled_objects(input: &PlanInput) -> Option<Plan> {
    let c = input.facts.cluster.collected()?;
    let check = crate::checks::CHECKS.iter().find(|c| c.id == "WD307")?;
    let result = crate::engine::evaluate_check(check, input.facts, input.policy, &crate::collect::today());
    if result.status == crate::report::Status::Warn {
        return Some(Plan::manual(
            "WD307",
            "CPU metrics of the Wasm pods are at risk from this node's runtimes",
            "the HPA is fine; the runtime is not: set `SystemdCgroup` as the kubelet's driver (`wasmdoctor fix WD208`) and use runwasi shims ≥ 0.6.0, so that CPU usage reaches metrics.k8s.io",
        ));
    }
    if result.status != crate::report::Status::Fail {
        return None;
    }
    let a = result.affected.iter().find(|a| a.kind == "HorizontalPodAutoscaler")?;
    let hpa = c.hpas.collected()?.iter().find(|h| Some(&h.namespace) == a.namespace.as_ref() && h.name == a.name)?;
    let keda = input.policy.keda.as_ref();
    let fill = |q: &str| q.replace("{namespace}", &hpa.namespace).replace("{name}", &hpa.target.name);
    let trigger = match keda {
        Some(k) => json!({"serverAddress": k.prometheus, "query": fill(&k.query), "threshold": k.threshold}),
        None => {
            json!({"serverAddress": "<prometheus URL>", "query": "<a query of the workload's own metric>", "threshold": "<target value per replica>"})
        }
    };
    let mut spec = json!({
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": hpa.target.kind, "name": hpa.target.name},
        "advanced": {"horizontalPodAutoscalerConfig": {"name": hpa.name}},
        "triggers": [{"type": "prometheus", "metadata": trigger}],
    });
    if let Some(min) = hpa.min_replicas {
        spec["minReplicaCount"] = json!(min);
    }
    if let Some(max) = hpa.max_replicas {
        spec["maxReplicaCount"] = json!(max);
    }
    let object = ApiObject {
        api_version: "keda.sh/v1alpha1".into(),
        kind: "ScaledObject".into(),
        plural: "scaledobjects".into(),
        namespace: Some(hpa.namespace.clone()),
        name: hpa.name.clone(),
        body: json!({
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "ScaledObject",
            "metadata": {
                "name": hpa.name,
                "namespace": hpa.namespace,
                "annotations": {"scaledobject.keda.sh/transfer-hpa-ownership": "true"},
            },
            "spec": spec,
        }),
    };
    let summary = format!(
        "a KEDA ScaledObject takes over HPA `{}/{}` and scales {} `{}` on a Prometheus query instead of CPU",
        hpa.namespace, hpa.name, hpa.target.kind, hpa.target.name
    );
    let shown = serde_json::to_string_pretty(&object.body).unwrap_or_default();
    let missing = match (c.keda, keda) {
        (Some(true), Some(_)) => None,
        (Some(true), None) => Some(
            "name the trigger in the policy file (`[keda] prometheus`, `query`, `threshold`: a metric the Wasm workload exports) and run the fix again, or apply this with the placeholders filled in:".to_string(),
        ),
        (served, _) => Some(format!(
            "KEDA's ScaledObject API (keda.sh/v1alpha1) is {} on this cluster: install KEDA (https://keda.sh/docs/deploy/), then apply this{}:",
            if served == Some(false) { "not served" } else { "not known to be served" },
            if keda.is_none() { " with the placeholders filled in" } else { "" }
        )),
    };
    Some(match missing {
        Some(why) => Plan::manual("WD307", summary, format!("{why}\n{shown}")),
        None => Plan {
            objects: vec![object],
            instructions: Some(
                "KEDA takes the HPA over and rewrites its metrics to the trigger (an External metric). `wasmdoctor undo` deletes the ScaledObject, and Kubernetes then deletes the HPA KEDA owned with it: keep the HPA's manifest to apply it again".into(),
            ),
            ..Plan::manual("WD307", summary, "")
        },
    })
}

/// Whether each object exists now (`GET`): `Ok(false)` on 404, the error otherwise.
pub fn exists(opts: &CollectOptions, objects: &[ApiObject]) -> Vec<Result<bool, String>> {
    requests(opts, objects, |o| {
        http::Request::builder()
            .method(http::Method::GET)
            .uri(object_path(o))
            .body(Vec::new())
            .map_err(|e| e.to_string())
    })
    .into_iter()
    .map(|r| match r {
        Ok(()) => Ok(true),
        Err(e) if e.starts_with("HTTP 404") => Ok(false),
        Err(e) => Err(e),
    })
    .collect()
}

/// Undo of applied objects: one wasmdoctor created is deleted; on one it patched, an apply with
/// no fields by field manager `wasmdoctor` removes exactly the fields it set.
pub fn revert(opts: &CollectOptions, applied: &[crate::fix::apply::AppliedObject]) -> Result<(), String> {
    let objects: Vec<ApiObject> = applied
        .iter()
        .map(|a| {
            let mut metadata = json!({"name": a.name});
            if let Some(ns) = &a.namespace {
                metadata["namespace"] = json!(ns);
            }
            ApiObject {
                api_version: a.api_version.clone(),
                kind: a.kind.clone(),
                plural: a.plural.clone(),
                namespace: a.namespace.clone(),
                name: a.name.clone(),
                body: json!({"apiVersion": a.api_version, "kind": a.kind, "metadata": metadata}),
            }
        })
        .collect();
    let answers = requests(opts, &objects, |o| {
        let created =
            applied.iter().any(|a| a.created && a.name == o.name && a.plural == o.plural && a.namespace == o.namespace);
        if created {
            http::Request::builder()
                .method(http::Method::DELETE)
                .uri(object_path(o))
                .body(Vec::new())
                .map_err(|e| e.to_string())
        } else {
            patch_request(o, false)
        }
    });
    let failed: Vec<String> =
        objects.iter().zip(answers).filter_map(|(o, r)| r.err().map(|e| format!("{}: {e}", o.shown()))).collect();
    if failed.is_empty() { Ok(()) } else { Err(failed.join("; ")) }
}

/// Server-side apply of each object (`dry_run`: `dryRun=All`), in order, with field manager
/// `wasmdoctor` and without `force`: a field another manager owns is a conflict, reported.
pub fn server_apply(opts: &CollectOptions, objects: &[ApiObject], dry_run: bool) -> Vec<Result<(), String>> {
    requests(opts, objects, |o| patch_request(o, dry_run))
}

/// One request per object, in order, each bounded by the source timeout; errors as users read them.
fn requests(
    opts: &CollectOptions,
    objects: &[ApiObject],
    build: impl Fn(&ApiObject) -> Result<http::Request<Vec<u8>>, String>,
) -> Vec<Result<(), String>> {
    let copts = crate::collect::cluster::ClusterOptions {
        kubeconfig: opts.kubeconfig.clone(),
        context: opts.context.clone(),
        timeout: opts.source_timeout,
    };
    let run = async {
        let (client, _, server) = match crate::collect::cluster::connect(&copts).await {
            Ok(c) => c,
            Err(m) => return objects.iter().map(|_| Err(m.reason.clone())).collect(),
        };
        let mut out = Vec::new();
        for o in objects {
            let req = match build(o) {
                Ok(r) => r,
                Err(e) => {
                    out.push(Err(e));
                    continue;
                }
            };
            let verb = req.method().as_str().to_ascii_lowercase();
            let answer = tokio::time::timeout(copts.timeout, client.request_text(req)).await;
            out.push(match answer {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(kube::Error::Api(s))) if s.code == 403 => Err(format!(
                    "forbidden: wasmdoctor may not `{verb}` `{}` ({}): {}",
                    o.plural, o.api_version, s.message
                )),
                Ok(Err(kube::Error::Api(s))) if s.code == 409 => {
                    Err(format!("conflict: another field manager owns these fields: {}", s.message))
                }
                Ok(Err(kube::Error::Api(s))) => Err(format!("HTTP {} {}: {}", s.code, s.reason, s.message)),
                Ok(Err(e)) => Err(format!("{server}: {e}")),
                Err(_) => Err(format!("{server} did not answer within {}s", copts.timeout.as_secs())),
            });
        }
        out
    };
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt.block_on(run),
        Err(e) => objects.iter().map(|_| Err(format!("could not start an async runtime: {e}"))).collect(),
    }
}

fn object_path(o: &ApiObject) -> String {
    let base = if o.api_version.contains('/') {
        format!("/apis/{}", o.api_version)
    } else {
        format!("/api/{}", o.api_version)
    };
    let scope = o.namespace.as_ref().map(|ns| format!("/namespaces/{ns}")).unwrap_or_default();
    format!("{base}{scope}/{}/{}", o.plural, o.name)
}

fn patch_request(o: &ApiObject, dry_run: bool) -> Result<http::Request<Vec<u8>>, String> {
    let dry = if dry_run { "&dryRun=All" } else { "" };
    let uri = format!("{}?fieldManager=wasmdoctor{dry}", object_path(o));
    let body = serde_json::to_vec(&o.body).map_err(|e| e.to_string())?;
    http::Request::builder()
        .method(http::Method::PATCH)
        .uri(uri)
        .header(http::header::CONTENT_TYPE, "application/apply-patch+yaml")
        .body(body)
        .map_err(|e| e.to_string())
}
