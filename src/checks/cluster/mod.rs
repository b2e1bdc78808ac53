//! WD3xx: the cluster as it concerns this node's Wasm runtimes. A RuntimeClass's handler is linked
//! to the runtimes this node's containerd has (file and, when known, loaded); other nodes' runtimes
//! are not visible from here and are reported as unknown, never guessed.

pub mod wd301_runtimeclass_present;
pub mod wd302_runtimeclass_handler_unknown;
pub mod wd303_workload_runtimeclass_missing;
pub mod wd304_wasm_annotation;
pub mod wd305_empty_logs;
pub mod wd306_wasm_socket_errors;
pub mod wd307_hpa_metric_source;
pub mod wd308_wasm_pod_failures;
pub mod wd309_wasm_image_pull;
pub mod wd310_runtimeclass_nodes;
pub mod wd311_cluster_smoke;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::checks::{Ctx, Outcome, gate};
use crate::facts::{
    ClusterFacts, ContainerLog, EventInfo, Facts, NodeInfo, PodInfo, Route, RuntimeClassInfo, WorkloadInfo,
};
use crate::report::Affected;
use crate::rules::containerd::classify;
use crate::rules::kube::installer_label;
use crate::rules::text::list;
use crate::rules::wasm::looks_wasm_name;

/// This node's Wasm runtimes by handler name: the config file's active ones and, when containerd
/// answered, the loaded ones. `None` when the node source is unavailable.
pub fn node_handlers(facts: &Facts) -> Option<BTreeMap<String, Route>> {
    let node = facts.node.collected()?;
    let mut out: BTreeMap<String, Route> = node
        .containerd_config
        .active_runtimes()
        .filter(|r| r.route != Route::Other)
        .map(|r| (r.name.clone(), r.route.clone()))
        .collect();
    if let Some(cri) = facts.containerd.collected().and_then(|c| c.cri.collected()) {
        for r in &cri.runtimes {
            let route = classify(r.runtime_type.as_deref(), r.runtime_path.as_deref(), r.binary_name.as_deref());
            if route != Route::Other {
                out.entry(r.name.clone()).or_insert(route);
            }
        }
    }
    Some(out)
}

/// All handler names this node's containerd knows (any route), for WD302.
fn node_all_handlers(facts: &Facts) -> Option<BTreeSet<String>> {
    let node = facts.node.collected()?;
    let mut out: BTreeSet<String> = node.containerd_config.active_runtimes().map(|r| r.name.clone()).collect();
    out.insert("runc".into());
    if let Some(cri) = facts.containerd.collected().and_then(|c| c.cri.collected()) {
        out.extend(cri.runtimes.iter().map(|r| r.name.clone()));
    }
    Some(out)
}

/// What is known of a node's runtime handler, and from where.
enum Handler {
    Has(String),
    Lacks(String),
    Unknown(String),
}

/// Whether `node` has runtime handler `handler`, from the best evidence there is: this node's own
/// containerd (when it is this node), the Node's `status.runtimeHandlers` (Kubernetes ≥ 1.30 with
/// containerd ≥ 2.0), a `WasmReady` condition on the Node; else unknown, and why.
fn handler_on(ctx: &Ctx, node: &NodeInfo, handler: &str) -> Handler {
    if ctx.facts.node_name.as_deref() == Some(node.name.as_str())
        && let Some(all) = node_all_handlers(ctx.facts)
    {
        return if all.contains(handler) {
            Handler::Has("this node's containerd".into())
        } else {
            Handler::Lacks(format!("this node's containerd has no runtime `{handler}`"))
        };
    }
    if let Some(hs) = &node.runtime_handlers {
        return if hs.iter().any(|h| h == handler) {
            Handler::Has("its status.runtimeHandlers".into())
        } else {
            Handler::Lacks(format!(
                "its status.runtimeHandlers are {}",
                list(&hs.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>())
            ))
        };
    }
    if let Some(w) = &node.wasm_ready {
        let why = w.reason.clone().or(w.message.clone()).unwrap_or_default();
        return match w.status.as_str() {
            "True" => Handler::Has("its `WasmReady` condition".into()),
            "False" => Handler::Lacks(format!("its `WasmReady` condition is `False` ({why})")),
            s => Handler::Unknown(format!("its `WasmReady` condition is `{s}` ({why})")),
        };
    }
    let label = installer_label(&node.labels, handler).map(|l| format!("; installer label `{l}`")).unwrap_or_default();
    Handler::Unknown(format!(
        "no status.runtimeHandlers (containerd before 2.0, or Kubernetes before 1.30) and no `WasmReady` condition{label}"
    ))
}

/// Whether a RuntimeClass runs Wasm: its handler is one of this node's Wasm runtimes, or (where
/// that is unknown or it is not configured here) its handler or name says so.
pub fn is_wasm_rc(rc: &RuntimeClassInfo, handlers: Option<&BTreeMap<String, Route>>) -> bool {
    handlers.is_some_and(|h| h.contains_key(&rc.handler)) || looks_wasm_name(&rc.handler) || looks_wasm_name(&rc.name)
}

/// The route of a RuntimeClass's handler on this node, if configured here.
fn route_of<'a>(rc: &RuntimeClassInfo, handlers: Option<&'a BTreeMap<String, Route>>) -> Option<&'a Route> {
    handlers?.get(&rc.handler)
}

fn rc_of<'a>(name: Option<&str>, rcs: &'a [RuntimeClassInfo]) -> Option<&'a RuntimeClassInfo> {
    let name = name?;
    rcs.iter().find(|r| r.name == name)
}

/// The cluster's Wasm pods, or the outcome when there are none to judge (a list not read, or no
/// Wasm pod at all).
#[allow(clippy::result_large_err)]
fn wasm_pods<'a>(ctx: &Ctx, c: &'a ClusterFacts) -> Result<Vec<&'a PodInfo>, Outcome> {
    let rcs = gate::list(&c.runtime_classes)?;
    let pods = gate::list(&c.pods)?;
    let handlers = node_handlers(ctx.facts);
    let wasm: Vec<&PodInfo> = pods.iter().filter(|p| is_wasm_pod(p, rcs, handlers.as_ref())).collect();
    if wasm.is_empty() {
        return Err(Outcome::skip("no Wasm pods"));
    }
    Ok(wasm)
}

/// A Wasm pod: its RuntimeClass runs Wasm, or it carries the crun annotations.
fn is_wasm_pod(p: &PodInfo, rcs: &[RuntimeClassInfo], handlers: Option<&BTreeMap<String, Route>>) -> bool {
    !p.wasm_annotations.is_empty() || rc_of(p.runtime_class.as_deref(), rcs).is_some_and(|rc| is_wasm_rc(rc, handlers))
}

fn pod_ref(p: &PodInfo) -> Affected {
    Affected { kind: "Pod".into(), namespace: Some(p.namespace.clone()), name: p.name.clone(), node: p.node.clone() }
}

fn workload_ref(w: &WorkloadInfo) -> Affected {
    Affected { kind: w.kind.clone(), namespace: Some(w.namespace.clone()), name: w.name.clone(), node: None }
}

fn shown(a: &Affected) -> String {
    match &a.namespace {
        Some(ns) => format!("{} `{ns}/{}`", a.kind, a.name),
        None => format!("{} `{}`", a.kind, a.name),
    }
}

/// Show at most a few objects by name, then a count.
fn some(objects: &[Affected]) -> String {
    const SHOWN: usize = 5;
    let names: Vec<String> = objects.iter().take(SHOWN).map(shown).collect();
    if objects.len() > SHOWN {
        format!("{} and {} more", names.join(", "), objects.len() - SHOWN)
    } else {
        list(&names)
    }
}

/// Warning events about pods, by (namespace, pod): looked up once per pod, not scanned per pod.
fn pod_events(c: &ClusterFacts) -> HashMap<(&str, &str), Vec<&EventInfo>> {
    let mut by_pod: HashMap<(&str, &str), Vec<&EventInfo>> = HashMap::new();
    for e in c.events.collected().into_iter().flatten().filter(|e| e.object.kind == "Pod") {
        by_pod.entry((e.namespace.as_str(), e.object.name.as_str())).or_default().push(e);
    }
    by_pod
}

/// Container logs by (namespace, pod).
fn pod_logs(c: &ClusterFacts) -> HashMap<(&str, &str), Vec<&ContainerLog>> {
    let mut by_pod: HashMap<(&str, &str), Vec<&ContainerLog>> = HashMap::new();
    for l in &c.logs {
        by_pod.entry((l.namespace.as_str(), l.pod.as_str())).or_default().push(l);
    }
    by_pod
}

/// Which log a line came from: `container `app`'s previous log` (the run before a restart, where
/// a crash-looping module's error is) or its current one.
fn which_log(l: &ContainerLog) -> String {
    format!("container `{}`'s {} log", l.container, if l.previous { "previous" } else { "current" })
}

/// Top-level workloads only: a ReplicaSet made by a Deployment (or a Job by a CronJob) is reported
/// through its owner.
fn top_level(w: &WorkloadInfo) -> bool {
    w.owner.is_none()
}
