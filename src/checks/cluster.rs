//! WD301–WD308: the cluster as it concerns this node's Wasm runtimes. A RuntimeClass's handler is
//! linked to the runtimes this node's containerd has (file and, when known, loaded); other nodes'
//! runtimes are not visible from here and are reported as unknown, never guessed.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{Ctx, Outcome, count, list};
use crate::facts::*;
use crate::report::Affected;

/// Handler or RuntimeClass names that say Wasm; used only where this node's runtimes are unknown
/// or for other nodes, and then said so.
const WASM_WORDS: &[&str] = &["wasm", "crun", "spin", "slight", "wws", "lunatic", "wamr"];

pub(crate) fn cluster<'a>(ctx: &Ctx<'a>) -> Result<&'a ClusterFacts, Outcome> {
    match &ctx.facts.cluster {
        Fact::Collected(c) => Ok(c),
        Fact::Unavailable(m) if m.kind == MissingKind::NotRequested => {
            Err(Outcome::skip(format!("cluster source not requested: {}", m.reason)))
        }
        Fact::Unavailable(m) => Err(Outcome::skip(format!("the cluster is not reachable: {}", m.reason))),
    }
}

/// A list the check needs: 403 → skip naming the permission; 500/malformed/timeout → error.
pub(crate) fn needed<T>(fact: &Fact<Vec<T>>) -> Result<&[T], Outcome> {
    match fact {
        Fact::Collected(v) => Ok(v),
        Fact::Unavailable(m)
            if matches!(m.kind, MissingKind::PermissionDenied | MissingKind::NotFound | MissingKind::NotRequested) =>
        {
            Err(Outcome::skip(m.reason.clone()))
        }
        Fact::Unavailable(m) => Err(Outcome::error(m.reason.clone())),
    }
}

/// This node's Wasm runtimes by handler name: the config file's active ones and, when containerd
/// answered, the loaded ones. `None` when the node source is unavailable.
pub(crate) fn node_handlers(facts: &Facts) -> Option<BTreeMap<String, Route>> {
    let node = facts.node.collected()?;
    let mut out: BTreeMap<String, Route> = node
        .containerd_config
        .active_runtimes()
        .filter(|r| r.route != Route::Other)
        .map(|r| (r.name.clone(), r.route.clone()))
        .collect();
    if let Some(cri) = facts.containerd.collected().and_then(|c| c.cri.collected()) {
        for r in &cri.runtimes {
            let route = crate::collect::containerd_config::classify(
                r.runtime_type.as_deref(),
                r.runtime_path.as_deref(),
                r.binary_name.as_deref(),
            );
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

fn looks_wasm_name(s: &str) -> bool {
    WASM_WORDS.iter().any(|w| s.contains(w))
}

/// Whether a RuntimeClass runs Wasm: its handler is one of this node's Wasm runtimes, or (where
/// that is unknown or it is not configured here) its handler or name says so.
pub(crate) fn is_wasm_rc(rc: &RuntimeClassInfo, handlers: Option<&BTreeMap<String, Route>>) -> bool {
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

/// A Wasm pod: its RuntimeClass runs Wasm, or it carries the crun annotations.
pub(crate) fn is_wasm_pod(p: &PodInfo, rcs: &[RuntimeClassInfo], handlers: Option<&BTreeMap<String, Route>>) -> bool {
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

fn with_affected(mut o: Outcome, affected: Vec<Affected>) -> Outcome {
    o.affected = affected;
    o
}

/// Top-level workloads only: a ReplicaSet made by a Deployment (or a Job by a CronJob) is reported
/// through its owner.
fn top_level(w: &WorkloadInfo) -> bool {
    w.owner.is_none()
}

// ---------------------------------------------------------------------------------------------

/// WD301 runtimeclass-present.
pub fn runtimeclass_present(ctx: &Ctx) -> Outcome {
    let c = or_return!(cluster(ctx));
    let rcs = or_return!(needed(&c.runtime_classes));
    let handlers = node_handlers(ctx.facts);
    let shown_rcs: Vec<String> = rcs.iter().map(|r| format!("`{}` → `{}`", r.name, r.handler)).collect();
    match &handlers {
        Some(h) if h.is_empty() => Outcome::skip("this node has no Wasm runtime to link a RuntimeClass to (see WD202)"),
        Some(h) => {
            let linked: Vec<String> = rcs
                .iter()
                .filter_map(|r| {
                    h.get(&r.handler).map(|route| format!("`{}` → handler `{}` ({route:?} route)", r.name, r.handler))
                })
                .map(|s| s.replace("(Crun route)", "(crun route)").replace("(Shim route)", "(shim route)"))
                .collect();
            if !linked.is_empty() {
                return Outcome::pass(format!("RuntimeClasses for this node's Wasm runtimes: {}", list(&linked)));
            }
            let names: Vec<String> = h.keys().map(|k| format!("`{k}`")).collect();
            let first = h.keys().next().cloned().unwrap_or_default();
            let existing = if shown_rcs.is_empty() {
                "there are none".to_string()
            } else {
                format!("there are {}", list(&shown_rcs))
            };
            Outcome::fail(format!(
                "no RuntimeClass names this node's Wasm {} {} as its handler ({existing}); pods cannot select them",
                if names.len() == 1 { "runtime" } else { "runtimes" },
                list(&names)
            ))
            .fix(format!(
                "kubectl apply -f - <<EOF\napiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata:\n  name: {first}\nhandler: {first}\nEOF"
            ))
        }
        None => {
            let wasm: Vec<String> = rcs
                .iter()
                .filter(|r| looks_wasm_name(&r.handler) || looks_wasm_name(&r.name))
                .map(|r| format!("`{}` → `{}`", r.name, r.handler))
                .collect();
            if wasm.is_empty() {
                Outcome::fail(format!(
                    "no RuntimeClass has a Wasm handler ({})",
                    if shown_rcs.is_empty() { "there are none".to_string() } else { list(&shown_rcs) }
                ))
                .fix("create a RuntimeClass whose `handler` is the containerd runtime name of your Wasm runtime")
            } else {
                Outcome::pass(format!(
                    "RuntimeClasses with Wasm handlers by name: {} (this node's runtimes are unknown: node source left out)",
                    list(&wasm)
                ))
            }
        }
    }
}

fn selects(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// Node labels that installers set when they have put a runtime on a node.
pub(crate) fn installer_label(labels: &BTreeMap<String, String>, handler: &str) -> Option<String> {
    if labels.get(handler).is_some_and(|v| v == "provisioned") {
        return Some(format!("{handler}=provisioned"));
    }
    labels.get("kwasm.sh/kwasm-provisioned").map(|v| format!("kwasm.sh/kwasm-provisioned={v}"))
}

/// WD302 runtimeclass-handler-unknown.
pub fn runtimeclass_handler_unknown(ctx: &Ctx) -> Outcome {
    let c = or_return!(cluster(ctx));
    let rcs = or_return!(needed(&c.runtime_classes));
    let handlers = node_handlers(ctx.facts);
    let wasm: Vec<&RuntimeClassInfo> = rcs.iter().filter(|r| is_wasm_rc(r, handlers.as_ref())).collect();
    if wasm.is_empty() {
        return Outcome::skip("no RuntimeClass runs Wasm");
    }
    let nodes = c.nodes.collected();
    let this = ctx.facts.node_name.as_deref();
    let this_labels = this.and_then(|n| nodes?.iter().find(|x| x.name == n)).map(|n| &n.labels);
    let all = node_all_handlers(ctx.facts);
    let mut missing = Vec::new();
    let mut ok = Vec::new();
    let mut others = Vec::new();
    for rc in &wasm {
        let here = match (rc.node_selector.is_empty(), this_labels) {
            (true, _) => Some(true),
            (false, Some(labels)) => Some(selects(&rc.node_selector, labels)),
            (false, None) => None,
        };
        if let Some(nodes) = nodes {
            let matching: Vec<&NodeInfo> = nodes
                .iter()
                .filter(|n| Some(n.name.as_str()) != this && selects(&rc.node_selector, &n.labels))
                .collect();
            if !matching.is_empty() {
                let labelled = matching.iter().filter(|n| installer_label(&n.labels, &rc.handler).is_some()).count();
                others.push(format!(
                    "`{}`: {} other {} can run it, whose runtimes are unknown from here ({labelled} carry an installer label)",
                    rc.name,
                    matching.len(),
                    if matching.len() == 1 { "node" } else { "nodes" }
                ));
            }
        }
        match (here, &all) {
            (Some(true), Some(all)) if !all.contains(&rc.handler) => missing.push(*rc),
            (Some(true), Some(_)) => ok.push(format!("`{}` → `{}`", rc.name, rc.handler)),
            _ => {}
        }
    }
    let node = this.unwrap_or("this node");
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|r| format!("`{}` (handler `{}`)", r.name, r.handler)).collect();
        let mut o = Outcome::fail(format!(
            "{} {} can schedule pods to `{node}`, whose containerd has no runtime of that name: such pods stay in `ContainerCreating` with `no runtime for \"{}\" is configured`",
            if missing.len() == 1 { "RuntimeClass" } else { "RuntimeClasses" },
            list(&names),
            missing[0].handler
        ))
        .fix(format!(
            "add runtime `{}` to this node's containerd config (WD202), or give the RuntimeClass a `scheduling.nodeSelector` that only matches nodes that have it",
            missing[0].handler
        ));
        for s in &others {
            o = o.evidence("other nodes", s.clone());
        }
        return o;
    }
    if all.is_none() {
        return Outcome::skip(format!(
            "this node's runtimes are unknown (node source left out); {}",
            if others.is_empty() { "no other node information".to_string() } else { others.join("; ") }
        ));
    }
    let mut msg = if ok.is_empty() {
        format!("no Wasm RuntimeClass schedules to `{node}`")
    } else {
        format!("the Wasm RuntimeClasses that schedule to `{node}` have their handlers here: {}", list(&ok))
    };
    if !others.is_empty() {
        msg += &format!("; {}", others.join("; "));
    }
    Outcome::pass(msg)
}

/// WD303 workload-runtimeclass-missing.
pub fn workload_runtimeclass_missing(ctx: &Ctx) -> Outcome {
    let c = or_return!(cluster(ctx));
    let rcs = or_return!(needed(&c.runtime_classes));
    let pods = or_return!(needed(&c.pods));
    let names: BTreeSet<&str> = rcs.iter().map(|r| r.name.as_str()).collect();
    let mut affected: Vec<Affected> = Vec::new();
    let mut missing: BTreeSet<String> = BTreeSet::new();
    for p in pods {
        if let Some(rc) = p.runtime_class.as_deref().filter(|rc| !names.contains(rc)) {
            missing.insert(rc.to_string());
            affected.push(pod_ref(p));
        }
    }
    let workloads = c.workloads.collected().map(Vec::as_slice).unwrap_or(&[]);
    for w in workloads.iter().filter(|w| top_level(w)) {
        if let Some(rc) = w.runtime_class.as_deref().filter(|rc| !names.contains(rc)) {
            missing.insert(rc.to_string());
            affected.push(workload_ref(w));
        }
    }
    // A Deployment's pods are rejected at admission: only the ReplicaSet's event tells.
    let re = "pod rejected: RuntimeClass \"";
    for e in c.events.collected().map(Vec::as_slice).unwrap_or(&[]) {
        if e.reason == "FailedCreate"
            && let Some(rest) = e.message.split(re).nth(1)
            && let Some(rc) = rest.split('"').next()
            && !names.contains(rc)
        {
            missing.insert(rc.to_string());
            let owner = workloads
                .iter()
                .find(|w| {
                    w.kind == e.object.kind
                        && w.name == e.object.name
                        && Some(&w.namespace) == e.object.namespace.as_ref()
                })
                .and_then(|w| w.owner.clone());
            let obj = owner.unwrap_or_else(|| e.object.clone());
            let a = Affected { kind: obj.kind, namespace: obj.namespace, name: obj.name, node: None };
            if !affected.contains(&a) {
                affected.push(a);
            }
        }
    }
    let mut partial = String::new();
    if let Fact::Unavailable(m) = &c.workloads {
        partial = format!(" (workload templates not checked: {})", m.reason);
    }
    if affected.is_empty() {
        return Outcome::pass(format!("every pod and workload template names an existing RuntimeClass{partial}"));
    }
    let missing: Vec<String> = missing.into_iter().map(|m| format!("`{m}`")).collect();
    with_affected(
        Outcome::fail(format!(
            "{} {} {} not exist: {} (pods are rejected with `pod rejected: RuntimeClass \"…\" not found`){partial}",
            if missing.len() == 1 { "RuntimeClass" } else { "RuntimeClasses" },
            list(&missing),
            if missing.len() == 1 { "does" } else { "do" },
            some(&affected)
        ))
        .fix("create the RuntimeClass (its `handler` the containerd runtime name), or fix `runtimeClassName` in the workload"),
        affected,
    )
}

/// WD304 wasm-annotation.
pub fn wasm_annotation(ctx: &Ctx) -> Outcome {
    let c = or_return!(cluster(ctx));
    let rcs = or_return!(needed(&c.runtime_classes));
    let pods = or_return!(needed(&c.pods));
    let handlers = node_handlers(ctx.facts);
    let node = ctx.facts.node.collected();
    // crun-route RuntimeClasses, and whether their binary is `crun-<handler>` (no annotation needed).
    let mut crun_rcs: BTreeMap<&str, bool> = BTreeMap::new();
    let mut assumed = false;
    for rc in rcs {
        match route_of(rc, handlers.as_ref()) {
            Some(Route::Crun) => {
                let argv0 = node
                    .and_then(|n| n.containerd_config.active_runtimes().find(|r| r.name == rc.handler))
                    .and_then(|r| r.binary_name.as_deref())
                    .is_some_and(|b| b.rsplit('/').next().is_some_and(|base| base.starts_with("crun-")));
                crun_rcs.insert(rc.name.as_str(), argv0);
            }
            None if handlers.is_none() && rc.handler.starts_with("crun") => {
                assumed = true;
                crun_rcs.insert(rc.name.as_str(), false);
            }
            _ => {}
        }
    }
    if crun_rcs.is_empty() {
        return Outcome::skip("no RuntimeClass uses the crun route on this node");
    }
    let needs = |rc: Option<&str>, ann: &BTreeMap<String, String>| {
        rc.and_then(|r| crun_rcs.get(r)).is_some_and(|argv0| !argv0) && ann.is_empty()
    };
    let mut affected: Vec<Affected> =
        pods.iter().filter(|p| needs(p.runtime_class.as_deref(), &p.wasm_annotations)).map(pod_ref).collect();
    let mut images: Vec<String> = pods
        .iter()
        .filter(|p| needs(p.runtime_class.as_deref(), &p.wasm_annotations))
        .flat_map(|p| p.containers.iter().filter_map(|c| c.image.clone()))
        .collect();
    if let Some(ws) = c.workloads.collected() {
        for w in ws.iter().filter(|w| top_level(w) && needs(w.runtime_class.as_deref(), &w.wasm_annotations)) {
            affected.push(workload_ref(w));
            images.extend(w.images.iter().cloned());
        }
    }
    if affected.is_empty() {
        let mut msg = format!(
            "every pod and template of the crun-route RuntimeClasses {} carries `module.wasm.image/variant` or `run.oci.handler` (or runs `crun-wasm`)",
            list(&crun_rcs.keys().map(|k| format!("`{k}`")).collect::<Vec<_>>())
        );
        if assumed {
            msg += " (crun route assumed from the handler's name: this node's runtimes are unknown)";
        }
        return Outcome::pass(msg);
    }
    let mut msg = format!(
        "{} without `module.wasm.image/variant` (or `run.oci.handler`) on the pod: crun runs the `.wasm` entrypoint natively and it fails with `Exec format error`",
        some(&affected)
    );
    // Image annotations never reach crun: say so when the image has them.
    let annotated: Vec<String> = ctx
        .facts
        .containerd
        .collected()
        .and_then(|l| l.images.collected())
        .map(|imgs| {
            imgs.iter()
                .filter(|i| {
                    images.iter().any(|want| same_image(want, &i.name))
                        && i.annotations.contains_key("module.wasm.image/variant")
                })
                .map(|i| format!("`{}`", i.name))
                .collect()
        })
        .unwrap_or_default();
    let mut o = Outcome::fail(String::new());
    if !annotated.is_empty() {
        msg += &format!(
            "; the image {} carries the annotation in its manifest, but containerd never passes image annotations to crun",
            list(&annotated)
        );
        o = o.evidence("containerd image store", format!("{} has module.wasm.image/variant", list(&annotated)));
    }
    if let Some(n) = node {
        let gaps: Vec<String> = n
            .containerd_config
            .active_runtimes()
            .filter(|r| {
                r.route == Route::Crun
                    && rcs.iter().any(|rc| rc.handler == r.name && crun_rcs.contains_key(rc.name.as_str()))
            })
            .filter(|r| {
                let pats = r.pod_annotations.clone().unwrap_or_default();
                !pats.iter().any(|p| super::gomatch::path_match(p, "module.wasm.image/variant"))
            })
            .map(|r| format!("`{}`", r.name))
            .collect();
        if !gaps.is_empty() {
            msg += &format!("; and runtime {} would drop the annotation anyway (WD204)", list(&gaps));
        }
    }
    if assumed {
        msg += " (crun route assumed from the handler's name)";
    }
    o.message = msg;
    with_affected(
        o.fix("add `module.wasm.image/variant: compat-smart` to the pod template's `metadata.annotations` (not to the image)"),
        affected,
    )
}

/// `ghcr.io/x/app:v1` and `docker.io/library/app:v1` style names compared loosely: the same
/// repository path and tag after normalising Docker Hub's defaults.
fn same_image(a: &str, b: &str) -> bool {
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

/// Seconds since the epoch of `2026-11-24T10:00:00Z` (fractions and offsets other than Z ignored).
pub(crate) fn epoch(ts: &str) -> Option<i64> {
    let b = ts.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| ts.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, s) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + s)
}

/// WD305 empty-logs.
pub fn empty_logs(ctx: &Ctx) -> Outcome {
    let c = or_return!(cluster(ctx));
    let rcs = or_return!(needed(&c.runtime_classes));
    let pods = or_return!(needed(&c.pods));
    let handlers = node_handlers(ctx.facts);
    let grace = ctx.policy.logs.grace_seconds.unwrap_or(crate::policy::DEFAULT_LOG_GRACE_SECONDS) as i64;
    let now = epoch(&ctx.facts.collected_at).unwrap_or(i64::MAX);
    let logs = pod_logs(c);
    let mut silent: Vec<(Affected, String)> = Vec::new();
    let mut checked = 0;
    let mut errors = Vec::new();
    for p in pods.iter().filter(|p| p.phase.as_deref() == Some("Running") && is_wasm_pod(p, rcs, handlers.as_ref())) {
        for ct in p.containers.iter().filter(|ct| ct.state == "running") {
            let old_enough = ct.started_at.as_deref().and_then(epoch).is_some_and(|t| now - t >= grace);
            if !old_enough {
                continue;
            }
            let key = (p.namespace.as_str(), p.name.as_str());
            let Some(log) = logs.get(&key).and_then(|ls| ls.iter().find(|l| l.container == ct.name)) else {
                continue;
            };
            match &log.bytes {
                Fact::Collected(0) => {
                    checked += 1;
                    silent.push((pod_ref(p), ct.name.clone()));
                }
                Fact::Collected(_) => checked += 1,
                Fact::Unavailable(m) => errors.push(m.clone()),
            }
        }
    }
    if checked == 0 && !errors.is_empty() {
        let m = &errors[0];
        return if m.kind == MissingKind::PermissionDenied {
            Outcome::skip(m.reason.clone())
        } else {
            Outcome::error(m.reason.clone())
        };
    }
    if silent.is_empty() {
        if checked == 0 {
            return Outcome::skip(format!("no Wasm container has been running for the {grace} s grace period"));
        }
        return Outcome::pass(format!(
            "{} running for over {grace} s {} written log output",
            count(checked, "Wasm container"),
            if checked == 1 { "has" } else { "have" }
        ));
    }
    let affected: Vec<Affected> = silent.iter().map(|(a, _)| a.clone()).collect();
    let first = &silent[0];
    let pod =
        pods.iter().find(|p| Some(&p.name) == Some(&first.0.name) && Some(&p.namespace) == first.0.namespace.as_ref());
    let rc = pod.and_then(|p| rc_of(p.runtime_class.as_deref(), rcs));
    let route = rc.and_then(|rc| route_of(rc, handlers.as_ref()));
    let versions = runtime_versions(ctx.facts, route, rc.map(|r| r.handler.as_str()));
    let node = first.0.node.clone().unwrap_or_else(|| "an unknown node".into());
    with_affected(
        Outcome::warn(format!(
            "{} has written no log output after more than {grace} s running (first: container `{}` of {} on `{node}`, route {}{versions}): the module may write nothing to stdout/stderr, or the runtime's stdio does not reach the container log",
            count(silent.len(), "Wasm container"),
            first.1,
            shown(&first.0),
            match route {
                Some(Route::Crun) => "crun",
                Some(Route::Shim) => "runwasi-style shim",
                _ => "unknown",
            }
        ))
        .fix("run the module once with `ctr run` on the node to see whether it prints; runwasi shims before the Aug 2023 stdio rework (v0.2.0) lost output under Kubernetes (containerd/runwasi#50). crun 1.8.5 is not a known fix for this"),
        affected,
    )
}

fn runtime_versions(facts: &Facts, route: Option<&Route>, handler: Option<&str>) -> String {
    let Some(node) = facts.node.collected() else { return String::new() };
    match route {
        Some(Route::Crun) => node
            .crun
            .iter()
            .find_map(|b| b.version.collected().map(|v| format!(", crun `{}`", v.version)))
            .unwrap_or_default(),
        Some(Route::Shim) => node
            .shims
            .iter()
            .find(|s| Some(s.runtime.as_str()) == handler)
            .and_then(|s| s.version.as_ref()?.collected().map(|v| format!(", `{}` {v}", s.binary)))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// Texts that say a module needs socket/DNS imports its engine lacks.
const SOCKET_SIGNATURES: &[&str] =
    &["unknown import", "sock_getaddrinfo", "When linking module: \"wasi_snapshot_preview1\""];

fn socket_line(text: &str) -> Option<&str> {
    text.lines().find(|l| {
        SOCKET_SIGNATURES.iter().any(|s| l.contains(s)) && (l.contains("sock_") || l.contains("wasi_snapshot_preview1"))
    })
}

/// WD306 wasm-socket-errors.
pub fn wasm_socket_errors(ctx: &Ctx) -> Outcome {
    let c = or_return!(cluster(ctx));
    let rcs = or_return!(needed(&c.runtime_classes));
    let pods = or_return!(needed(&c.pods));
    let handlers = node_handlers(ctx.facts);
    let wasm: Vec<&PodInfo> = pods.iter().filter(|p| is_wasm_pod(p, rcs, handlers.as_ref())).collect();
    if wasm.is_empty() {
        return Outcome::skip("no Wasm pods");
    }
    let (logs, events) = (pod_logs(c), pod_events(c));
    let mut hits: Vec<(Affected, String)> = Vec::new();
    for p in &wasm {
        let key = (p.namespace.as_str(), p.name.as_str());
        let from_logs = logs.get(&key).into_iter().flatten().find_map(|l| socket_line(&l.tail));
        let from_status = p.containers.iter().filter_map(|c| c.message.as_deref()).find_map(socket_line);
        let from_events = events.get(&key).into_iter().flatten().find_map(|e| socket_line(&e.message));
        if let Some(line) = from_logs.or(from_status).or(from_events) {
            hits.push((pod_ref(p), line.trim().to_string()));
        }
    }
    if hits.is_empty() {
        return Outcome::pass(format!(
            "no socket or DNS import errors in the logs and events of {}",
            count(wasm.len(), "Wasm pod")
        ));
    }
    let affected: Vec<Affected> = hits.iter().map(|(a, _)| a.clone()).collect();
    let mut o = with_affected(
        Outcome::fail(format!(
            "{} failed on missing WasmEdge socket imports: {} says `{}` (see WD106: only the WasmEdge engine provides them)",
            some(&affected),
            shown(&hits[0].0),
            hits[0].1
        ))
        .fix("run these modules on a WasmEdge runtime (runwasi's wasmedge shim or crun's wasmedge handler, WasmEdge ≥ 0.9.1); no plugin or environment variable adds sockets to other engines"),
        affected,
    );
    o.evidence.push(crate::report::Evidence { source: format!("{} log", shown(&hits[0].0)), value: hits[0].1.clone() });
    o
}

/// The Wasm workloads an HPA may target, and their pods.
fn hpa_target_pods<'a>(h: &HpaInfo, c: &'a ClusterFacts) -> Vec<&'a PodInfo> {
    let Some(pods) = c.pods.collected() else { return Vec::new() };
    let workloads = c.workloads.collected().map(Vec::as_slice).unwrap_or(&[]);
    pods.iter()
        .filter(|p| p.namespace == h.namespace)
        .filter(|p| {
            let Some(owner) = &p.owner else { return false };
            if owner.kind == h.target.kind && owner.name == h.target.name {
                return true;
            }
            // Pod → ReplicaSet → Deployment (or SpinApp, whose Deployment has its name).
            workloads.iter().any(|w| {
                w.kind == owner.kind
                    && w.name == owner.name
                    && w.namespace == p.namespace
                    && w.owner.as_ref().is_some_and(|o| o.name == h.target.name)
            })
        })
        .collect()
}

fn is_wasm_target(
    h: &HpaInfo,
    c: &ClusterFacts,
    rcs: &[RuntimeClassInfo],
    handlers: Option<&BTreeMap<String, Route>>,
) -> bool {
    if h.target.kind == "SpinApp" {
        return true;
    }
    let workload = c
        .workloads
        .collected()
        .into_iter()
        .flatten()
        .find(|w| w.kind == h.target.kind && w.name == h.target.name && w.namespace == h.namespace);
    if let Some(w) = workload {
        return !w.wasm_annotations.is_empty()
            || rc_of(w.runtime_class.as_deref(), rcs).is_some_and(|rc| is_wasm_rc(rc, handlers));
    }
    hpa_target_pods(h, c).iter().any(|p| is_wasm_pod(p, rcs, handlers))
}

/// WD307 hpa-metric-source.
pub fn hpa_metric_source(ctx: &Ctx) -> Outcome {
    let c = or_return!(cluster(ctx));
    let hpas = or_return!(needed(&c.hpas));
    let rcs = or_return!(needed(&c.runtime_classes));
    let handlers = node_handlers(ctx.facts);
    let wasm: Vec<&HpaInfo> = hpas.iter().filter(|h| is_wasm_target(h, c, rcs, handlers.as_ref())).collect();
    if wasm.is_empty() {
        return Outcome::skip("no HorizontalPodAutoscaler scales a Wasm workload");
    }
    let resource_based = |h: &HpaInfo| {
        h.metrics.iter().any(|m| {
            matches!(m.kind.as_str(), "Resource" | "ContainerResource")
                && matches!(m.name.as_deref(), Some("cpu") | Some("memory"))
        })
    };
    let fix = "scale on a metric the Wasm workload reports itself: a KEDA `ScaledObject` (keda.sh/v1alpha1, e.g. an HTTP or Prometheus trigger) or a `Pods`/`External` metric; for CPU, runwasi shims ≥ 0.6.0 with `SystemdCgroup` matching the kubelet (WD208)";
    let mut warned: Option<Outcome> = None;
    let mut ok = Vec::new();
    for h in wasm {
        let a = Affected {
            kind: "HorizontalPodAutoscaler".into(),
            namespace: Some(h.namespace.clone()),
            name: h.name.clone(),
            node: None,
        };
        if !resource_based(h) {
            ok.push(format!(
                "`{}/{}` scales on {}",
                h.namespace,
                h.name,
                h.metrics.iter().map(|m| m.kind.clone()).collect::<Vec<_>>().join(", ")
            ));
            continue;
        }
        let failing = h.conditions.iter().find(|cond| {
            (cond.kind == "ScalingActive" && cond.status == "False")
                || cond.reason.as_deref().is_some_and(|r| r.starts_with("FailedGet"))
                || cond
                    .message
                    .as_deref()
                    .is_some_and(|m| m.contains("failed to get cpu") || m.contains("unable to get metrics"))
        });
        let pods = hpa_target_pods(h, c);
        let metrics = c.pod_metrics.collected();
        let zero_or_missing = metrics.is_some_and(|ms| {
            !pods.is_empty()
                && pods.iter().all(|p| {
                    ms.iter()
                        .find(|m| m.namespace == p.namespace && m.name == p.name)
                        .is_none_or(|m| m.cpu_nanocores == 0)
                })
        });
        if let Some(cond) = failing {
            return with_affected(
                Outcome::fail(format!(
                    "HPA `{}/{}` scales Wasm workload {} `{}` on CPU/memory, and its condition `{}` is `{}`: {}",
                    h.namespace,
                    h.name,
                    h.target.kind,
                    h.target.name,
                    cond.kind,
                    cond.status,
                    cond.message.clone().or(cond.reason.clone()).unwrap_or_default()
                ))
                .fix(fix),
                vec![a],
            );
        }
        if zero_or_missing {
            return with_affected(
                Outcome::fail(format!(
                    "HPA `{}/{}` scales Wasm workload {} `{}` on CPU/memory, but its {} no CPU usage in metrics.k8s.io, so it cannot scale",
                    h.namespace,
                    h.name,
                    h.target.kind,
                    h.target.name,
                    if pods.len() == 1 { "pod reports".to_string() } else { format!("{} pods report", pods.len()) }
                ))
                .fix(fix),
                vec![a],
            );
        }
        if warned.is_none()
            && let Some(reason) = cgroup_risk(ctx, &pods, rcs, handlers.as_ref())
        {
            warned = Some(with_affected(
                Outcome::warn(format!(
                    "HPA `{}/{}` scales Wasm workload `{}` on CPU/memory: {reason}",
                    h.namespace, h.name, h.target.name
                ))
                .fix(fix),
                vec![a],
            ));
            continue;
        }
        ok.push(format!("`{}/{}` (CPU/memory, metrics flowing)", h.namespace, h.name));
    }
    if let Some(w) = warned {
        return w;
    }
    Outcome::pass(format!("HPAs of Wasm workloads: {}", list(&ok)))
}

/// Why CPU metrics of these pods may be flat on this node: an old shim or a cgroup-driver mismatch.
fn cgroup_risk(
    ctx: &Ctx,
    pods: &[&PodInfo],
    rcs: &[RuntimeClassInfo],
    handlers: Option<&BTreeMap<String, Route>>,
) -> Option<String> {
    let node = ctx.facts.node.collected()?;
    let rc = pods.iter().find_map(|p| rc_of(p.runtime_class.as_deref(), rcs))?;
    if route_of(rc, handlers) != Some(&Route::Shim) {
        return None;
    }
    let runtime = node.containerd_config.active_runtimes().find(|r| r.name == rc.handler)?;
    if let Some(k) = node.kubelet.collected() {
        let systemd = k.cgroup_driver == "systemd";
        if runtime.systemd_cgroup.unwrap_or(false) != systemd {
            return Some(format!(
                "runtime `{}` does not use the kubelet's `{}` cgroup driver (WD208), so its pods' CPU metrics stay flat",
                runtime.name, k.cgroup_driver
            ));
        }
    }
    let shim = node.shims.iter().find(|s| s.runtime == runtime.name)?;
    let v = shim.version.as_ref()?.collected()?;
    let min = ctx.policy.shim_minimum();
    crate::policy::parse_version(v).filter(|p| *p < min).map(|_| {
        format!("shim `{}` {v} is older than runwasi v{min}, before which shims ignored `SystemdCgroup` and pod CPU metrics could stay flat", shim.binary)
    })
}

/// Known failure texts and the check that explains each.
const SIGNATURES: &[(&str, &str, &str)] = &[
    ("no runtime for ", "is configured", "WD202/WD302"),
    ("binary not installed", "", "WD105"),
    ("Exec format error", "", "WD103/WD204/WD304"),
    ("exec format error", "", "WD103/WD204/WD304"),
    ("could not load `libwasmedge.so.0`", "", "WD103/WD104"),
    ("could not load `lib", "", "WD103"),
    ("RuntimeClass ", "not found", "WD303"),
    ("no match for platform in manifest", "", "WD304"),
    // CRI-O / cri-dockerd wording, never containerd's: the node's CRI is not containerd.
    ("RuntimeHandler \"", "not supported", "WD206"),
];

pub(crate) fn signature(text: &str) -> Option<(&'static str, String)> {
    for (needle, also, check) in SIGNATURES {
        if let Some(at) = text.find(needle)
            && (also.is_empty() || text[at..].contains(also))
        {
            let line = text.lines().find(|l| l.contains(needle)).unwrap_or(text).trim();
            let line: String = line.chars().take(300).collect();
            return Some((check, line));
        }
    }
    None
}

/// WD308 wasm-pod-failures.
pub fn wasm_pod_failures(ctx: &Ctx) -> Outcome {
    let c = or_return!(cluster(ctx));
    let rcs = or_return!(needed(&c.runtime_classes));
    let pods = or_return!(needed(&c.pods));
    let handlers = node_handlers(ctx.facts);
    let events = pod_events(c);
    // Without events only container states are read; say so rather than pass quietly.
    let partial = match &c.events {
        Fact::Unavailable(m) => format!(" (container states only; events not read: {})", m.reason),
        Fact::Collected(_) => String::new(),
    };
    let wasm: Vec<&PodInfo> = pods.iter().filter(|p| is_wasm_pod(p, rcs, handlers.as_ref())).collect();
    if wasm.is_empty() {
        return Outcome::skip("no Wasm pods");
    }
    let mut found: Vec<(Affected, &'static str, String)> = Vec::new();
    for p in &wasm {
        let texts = p.containers.iter().filter(|c| c.state != "running").filter_map(|c| c.message.as_deref()).chain(
            events.get(&(p.namespace.as_str(), p.name.as_str())).into_iter().flatten().map(|e| e.message.as_str()),
        );
        if let Some((check, line)) = texts.filter_map(signature).next() {
            found.push((pod_ref(p), check, line));
        }
    }
    if found.is_empty() {
        return Outcome::pass(format!(
            "none of {} shows a known failure signature{partial}",
            count(wasm.len(), "Wasm pod")
        ));
    }
    let affected: Vec<Affected> = found.iter().map(|(a, _, _)| a.clone()).collect();
    let mut by_check: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, check, _) in &found {
        *by_check.entry(check).or_default() += 1;
    }
    let summary: Vec<String> = by_check.iter().map(|(c, n)| format!("{} → {c}", count(*n, "pod"))).collect();
    let mut o = with_affected(
        Outcome::fail(format!(
            "{} {} stuck with a known failure ({}): {} shows `{}` (explained by {})",
            count(found.len(), "Wasm pod"),
            if found.len() == 1 { "is" } else { "are" },
            summary.join(", "),
            shown(&found[0].0),
            found[0].2,
            found[0].1
        ))
        .fix(format!("see `wasmdoctor explain {}` for the first one", found[0].1.split('/').next().unwrap_or("WD202"))),
        affected,
    );
    for (a, check, line) in found.iter().take(10) {
        o.evidence.push(crate::report::Evidence { source: format!("{} ({check})", shown(a)), value: line.clone() });
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs() {
        assert_eq!(epoch("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(epoch("2026-11-24T10:00:00Z"), Some(1_795_514_400));
        assert_eq!(epoch("2026-11-24T10:00:00.123456Z"), Some(1_795_514_400));
        assert_eq!(epoch("nonsense"), None);
    }

    #[test]
    fn image_names() {
        assert!(same_image("hello:v1", "docker.io/library/hello:v1"));
        assert!(same_image("ghcr.io/x/hello", "ghcr.io/x/hello:latest"));
        assert!(!same_image("ghcr.io/x/hello:v2", "ghcr.io/x/hello:v1"));
    }

    #[test]
    fn corpus_error_signatures() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/errors");
        let expect: &[(&str, Option<&str>)] = &[
            ("e01", Some("WD202/WD302")),
            ("e02", Some("WD202/WD302")),
            ("e03", Some("WD202/WD302")),
            ("e05", Some("WD202/WD302")),
            ("e04", Some("WD202/WD302")),
            ("e06", Some("WD202/WD302")),
            ("e07", Some("WD206")),
            ("e09", Some("WD303")),
            ("e11", Some("WD105")),
            ("e16", Some("WD103/WD204/WD304")),
            ("e17", Some("WD103/WD204/WD304")),
            ("e19", Some("WD103/WD204/WD304")),
            ("e21", Some("WD304")),
            ("e24", Some("WD103")),
            ("e08", Some("WD303")),
            ("e10", Some("WD105")),
            ("e12", Some("WD105")),
            ("e14", Some("WD103/WD204/WD304")),
            ("e15", Some("WD103/WD204/WD304")),
            ("e18", Some("WD103/WD204/WD304")),
            ("e20", Some("WD304")),
            ("e23", Some("WD103/WD104")),
        ];
        for (prefix, want) in expect {
            let file = std::fs::read_dir(&dir)
                .unwrap()
                .filter_map(Result::ok)
                .find(|e| e.file_name().to_string_lossy().starts_with(prefix))
                .unwrap_or_else(|| panic!("{prefix} not in corpus"));
            let text: String = std::fs::read_to_string(file.path())
                .unwrap()
                .lines()
                .filter(|l| !l.starts_with('#'))
                .collect::<Vec<_>>()
                .join("\n");
            assert_eq!(signature(&text).map(|(c, _)| c), *want, "{:?}", file.file_name());
        }
    }
}

#[cfg(test)]
mod socket_tests {
    use super::socket_line;

    #[test]
    fn socket_imports_but_not_other_imports() {
        let wasmedge = "[error] instantiation failed: unknown import, Code: 0x62\n[error]     When linking module: \"wasi_snapshot_preview1\" , function name: \"sock_getpeeraddr\"";
        assert!(socket_line(wasmedge).is_some());
        assert!(
            socket_line("Error: unknown import: `wasi_snapshot_preview1::sock_setsockopt` has not been defined")
                .is_some()
        );
        let nn = "[error]     When linking module: \"wasi_ephemeral_nn\" , function name: \"load\"\n[error] instantiation failed: unknown import, Code: 0x62";
        assert!(socket_line(nn).is_none(), "a wasi-nn import is not a socket import");
    }
}

#[cfg(test)]
mod check_tests {
    use super::*;
    use crate::checks::testutil::{config, facts, node};
    use crate::policy::Policy;
    use crate::report::Status;

    const CRUN_NO_ANNOTATIONS: &str = r#"version = 2
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun]
  runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun.options]
    BinaryName = "/usr/bin/crun"
"#;

    const SHIM_CGROUPFS: &str = r#"version = 2
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmedge]
  runtime_type = "io.containerd.wasmedge.v1"
"#;

    fn cluster_facts(
        pods: Vec<PodInfo>,
        workloads: Vec<WorkloadInfo>,
        hpas: Vec<HpaInfo>,
        rcs: Vec<RuntimeClassInfo>,
    ) -> ClusterFacts {
        ClusterFacts {
            keda: None,
            context: Some("test".into()),
            server: Some("https://127.0.0.1:6443".into()),
            runtime_classes: Fact::Collected(rcs),
            nodes: Fact::Collected(vec![]),
            pods: Fact::Collected(pods),
            workloads: Fact::Collected(workloads),
            events: Fact::Collected(vec![]),
            hpas: Fact::Collected(hpas),
            pod_metrics: Fact::Collected(vec![]),
            logs: vec![],
        }
    }

    fn rc(name: &str, handler: &str) -> RuntimeClassInfo {
        RuntimeClassInfo { name: name.into(), handler: handler.into(), node_selector: BTreeMap::new() }
    }

    fn pod(name: &str, rc: &str, image: &str, owner: Option<&str>) -> PodInfo {
        PodInfo {
            namespace: "demo".into(),
            name: name.into(),
            node: Some("worker-1".into()),
            runtime_class: Some(rc.into()),
            wasm_annotations: BTreeMap::new(),
            owner: owner.map(|o| ObjectRef {
                kind: "ReplicaSet".into(),
                namespace: Some("demo".into()),
                name: o.into(),
            }),
            phase: Some("Running".into()),
            start_time: None,
            containers: vec![ContainerInfo {
                name: "app".into(),
                image: Some(image.into()),
                state: "running".into(),
                started_at: Some("2026-11-24T09:00:00Z".into()),
                reason: None,
                message: None,
                restart_count: 0,
            }],
        }
    }

    #[test]
    fn image_annotations_are_named_as_not_reaching_crun() {
        let mut f = facts(node(config(CRUN_NO_ANNOTATIONS)));
        f.cluster = Fact::Collected(cluster_facts(
            vec![pod("hello", "crun", "wasmedge/example-wasi:latest", None)],
            vec![],
            vec![],
            vec![rc("crun", "crun")],
        ));
        f.containerd = Fact::Collected(ContainerdLive {
            address: "/run/containerd/containerd.sock".into(),
            version: "1.7.24".into(),
            revision: "x".into(),
            namespaces: vec!["k8s.io".into()],
            images: Fact::Collected(vec![ImageInfo {
                namespace: "k8s.io".into(),
                name: "docker.io/wasmedge/example-wasi:latest".into(),
                media_type: "application/vnd.oci.image.manifest.v1+json".into(),
                platforms: vec!["wasi/wasm".into()],
                annotations: [("module.wasm.image/variant".to_string(), "compat-smart".to_string())].into(),
                content_error: None,
            }]),
            cri: Fact::unavailable(MissingKind::NotFound, "not in this test"),
        });
        let o = wasm_annotation(&Ctx { facts: &f, policy: &Policy::default() });
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("the image `docker.io/wasmedge/example-wasi:latest` carries the annotation in its manifest, but containerd never passes image annotations to crun"), "{}", o.message);
        assert!(o.message.contains("and runtime `crun` would drop the annotation anyway (WD204)"), "{}", o.message);
        assert_eq!(o.affected[0].name, "hello");
    }

    #[test]
    fn cpu_hpa_on_a_shim_with_the_wrong_cgroup_driver_warns() {
        let mut n = node(config(SHIM_CGROUPFS));
        n.kubelet = Fact::Collected(Kubelet {
            cgroup_driver: "systemd".into(),
            source: "/var/lib/kubelet/config.yaml:7".into(),
        });
        let mut f = facts(n);
        let workload = WorkloadInfo {
            kind: "Deployment".into(),
            namespace: "demo".into(),
            name: "web".into(),
            runtime_class: Some("wasmedge".into()),
            wasm_annotations: BTreeMap::new(),
            images: vec![],
            owner: None,
        };
        let rs = WorkloadInfo {
            kind: "ReplicaSet".into(),
            name: "web-5d9".into(),
            owner: Some(ObjectRef { kind: "Deployment".into(), namespace: Some("demo".into()), name: "web".into() }),
            ..workload.clone()
        };
        let hpa = HpaInfo {
            namespace: "demo".into(),
            name: "web".into(),
            target: ObjectRef { kind: "Deployment".into(), namespace: Some("demo".into()), name: "web".into() },
            min_replicas: Some(1),
            max_replicas: Some(5),
            metrics: vec![HpaMetric { kind: "Resource".into(), name: Some("cpu".into()) }],
            conditions: vec![Condition {
                kind: "ScalingActive".into(),
                status: "True".into(),
                reason: Some("ValidMetricFound".into()),
                message: None,
            }],
            current: vec![],
        };
        let mut c = cluster_facts(
            vec![pod("web-5d9-abc", "wasmedge", "x", Some("web-5d9"))],
            vec![workload, rs],
            vec![hpa],
            vec![rc("wasmedge", "wasmedge")],
        );
        c.pod_metrics = Fact::Collected(vec![PodMetricsInfo {
            namespace: "demo".into(),
            name: "web-5d9-abc".into(),
            cpu_nanocores: 1_500_000,
            memory_bytes: 1,
        }]);
        f.cluster = Fact::Collected(c);
        let o = hpa_metric_source(&Ctx { facts: &f, policy: &Policy::default() });
        assert_eq!(o.status, Status::Warn, "{}", o.message);
        assert!(
            o.message.contains("runtime `wasmedge` does not use the kubelet's `systemd` cgroup driver (WD208)"),
            "{}",
            o.message
        );
    }
}
