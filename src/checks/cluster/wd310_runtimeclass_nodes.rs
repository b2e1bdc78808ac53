//! WD310 runtimeclass-nodes: every node a Wasm RuntimeClass can schedule to (its `nodeSelector`
//! against node labels, its tolerations against node taints) has the RuntimeClass's handler. Pods
//! sent to a node without it stay in `ContainerCreating` with `no runtime for "spin" is configured`
//! while their siblings run (spinframework/spin-operator#217, runtime-class-manager#113).

use super::{Handler, handler_on, is_wasm_rc, node_handlers, pod_ref, shown, some};
use crate::checks::{Ctx, Outcome, gate};
use crate::facts::{ClusterFacts, NodeInfo, RuntimeClassInfo};
use crate::report::Affected;
use crate::rules::kube::schedulable;
use crate::rules::text::{count, list};

pub fn check(ctx: &Ctx, c: &ClusterFacts) -> Outcome {
    let rcs = or_return!(gate::list(&c.runtime_classes));
    let nodes = or_return!(gate::list(&c.nodes));
    let handlers = node_handlers(ctx.facts);
    let wasm: Vec<&RuntimeClassInfo> = rcs.iter().filter(|r| is_wasm_rc(r, handlers.as_ref())).collect();
    if wasm.is_empty() {
        return Outcome::skip("no RuntimeClass runs Wasm");
    }
    let (mut lacking, mut unsure, mut ok) = (Vec::new(), Vec::new(), Vec::new());
    let mut evidence = Vec::new();
    let mut affected: Vec<Affected> = Vec::new();
    for rc in &wasm {
        let targets: Vec<&NodeInfo> = nodes.iter().filter(|n| schedulable(rc, n)).collect();
        let mut has_count = 0;
        let (mut has, mut lacks, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
        for n in &targets {
            match handler_on(ctx, n, &rc.handler) {
                Handler::Has(from) => {
                    if !has.contains(&from) {
                        has.push(from);
                    }
                    has_count += 1;
                }
                Handler::Lacks(why) => lacks.push((*n, why)),
                Handler::Unknown(why) => unknown.push((*n, why)),
            }
        }
        let name = format!("`{}` (handler `{}`)", rc.name, rc.handler);
        let shim = shim_status(c, rc);
        if let Some(s) = &shim {
            evidence.push((format!("RuntimeClass {}'s installer", rc.name), s.said.clone()));
        }
        let behind = shim.as_ref().filter(|s| s.behind).map(|s| format!(" ({})", s.said)).unwrap_or_default();
        if targets.is_empty() {
            // Its pods would stay Pending: say why no node qualifies.
            let why = if nodes.iter().any(|n| crate::rules::kube::selects(&rc.node_selector, &n.labels)) {
                "the nodes its nodeSelector selects have taints it does not tolerate"
            } else {
                "its nodeSelector selects no node"
            };
            unsure.push(format!(
                "{name} can schedule to none of the cluster's {}: {why}, so its pods stay `Pending`",
                count(nodes.len(), "node")
            ));
            continue;
        }
        for (n, why) in lacks.iter().chain(unknown.iter()).take(10) {
            evidence.push((format!("RuntimeClass {} on node `{}`", rc.name, n.name), why.clone()));
        }
        if !lacks.is_empty() {
            let names: Vec<String> = lacks.iter().map(|(n, _)| format!("`{}`", n.name)).collect();
            // Pods already sent there and not running.
            let stuck: Vec<Affected> = c
                .pods
                .collected()
                .into_iter()
                .flatten()
                .filter(|p| {
                    p.runtime_class.as_deref() == Some(rc.name.as_str()) && p.phase.as_deref() != Some("Running")
                })
                .filter(|p| lacks.iter().any(|(n, _)| p.node.as_deref() == Some(n.name.as_str())))
                .map(pod_ref)
                .collect();
            let pods = if stuck.is_empty() { String::new() } else { format!("; stuck there: {}", some(&stuck)) };
            lacking.push(format!(
                "{name} can schedule to {} without it: {}{pods}{behind}",
                count(lacks.len(), "node"),
                list(&names)
            ));
            affected.extend(lacks.iter().map(|(n, _)| Affected {
                kind: "Node".into(),
                namespace: None,
                name: n.name.clone(),
                node: Some(n.name.clone()),
            }));
            affected.extend(stuck);
        } else if !unknown.is_empty() && !behind.is_empty() {
            unsure.push(format!(
                "{name}: {} of the {} it can schedule to {} unknown from here{behind}",
                unknown.len(),
                count(targets.len(), "node"),
                if unknown.len() == 1 { "is" } else { "are" }
            ));
        } else if !unknown.is_empty() && rc.node_selector.is_empty() {
            unsure.push(format!(
                "{name} has no `nodeSelector`, and {} of the {} it can schedule to {} unknown from here",
                unknown.len(),
                count(targets.len(), "node"),
                if unknown.len() == 1 { "is" } else { "are" }
            ));
        } else if has_count > 0 {
            ok.push(format!("{name} → {} (from {})", count(has_count, "node"), has.join(", ")));
        }
    }
    let with_evidence = |mut o: Outcome| {
        for (source, why) in &evidence {
            o = o.evidence(source.clone(), why.clone());
        }
        o
    };
    if !lacking.is_empty() {
        let first = affected.iter().find(|a| a.kind == "Pod").map(shown);
        return with_evidence(Outcome::fail(format!(
            "pods of a Wasm RuntimeClass can land on nodes without its handler, and there stay in `ContainerCreating` with `no runtime for \"…\" is configured`: {}{}",
            lacking.join("; "),
            first.map(|p| format!(" (first stuck: {p})")).unwrap_or_default()
        )))
        .fix("give each RuntimeClass a `scheduling.nodeSelector` that matches only nodes with its handler (e.g. the installer's node label), or install the handler on those nodes")
        .affected(affected);
    }
    if !unsure.is_empty() {
        return with_evidence(Outcome::warn(unsure.join("; ")))
            .fix("give the RuntimeClass a `scheduling.nodeSelector` for the nodes that have its handler (the installer's node label); on containerd 2.x with Kubernetes ≥ 1.30 every Node reports its handlers itself");
    }
    if ok.is_empty() {
        return with_evidence(Outcome::skip(
            "no node the Wasm RuntimeClasses can schedule to says which handlers it has",
        ));
    }
    Outcome::pass(format!("every node the Wasm RuntimeClasses can schedule to has their handler: {}", list(&ok)))
}

/// What runtime-class-manager's `Shim` for this RuntimeClass says, and whether the shim is still
/// missing on some of its nodes (`status.nodesReady` < `status.nodes`).
struct ShimStatus {
    said: String,
    behind: bool,
}

fn shim_status(c: &ClusterFacts, rc: &RuntimeClassInfo) -> Option<ShimStatus> {
    let shim = c.shims.collected()?.iter().find(|s| match &s.runtime_class {
        Some(name) => name == &rc.name,
        None => s.handler.as_deref() == Some(rc.handler.as_str()),
    })?;
    Some(match (shim.nodes_ready, shim.nodes) {
        (Some(ready), Some(all)) => ShimStatus {
            said: format!(
                "runtime-class-manager's Shim `{}` has the shim ready on {ready} of its {}",
                shim.name,
                count(all as usize, "node")
            ),
            behind: ready < all,
        },
        _ => ShimStatus {
            said: format!("runtime-class-manager's Shim `{}` reports no node status yet", shim.name),
            behind: false,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::facts::Fact;
    use crate::report::Status;

    fn cluster(rcs: Vec<RuntimeClassInfo>, nodes: Vec<NodeInfo>, pods: Vec<crate::facts::PodInfo>) -> ClusterFacts {
        let mut c = cluster_facts(pods, vec![], vec![], rcs);
        c.nodes = Fact::Collected(nodes);
        c
    }

    #[test]
    fn a_node_without_the_handler_fails_with_its_stuck_pods() {
        let spin = || rc("wasmtime-spin-v2", "spin");
        let nodes =
            || vec![node_info("worker-2", &[], Some(&["runc", "spin"])), node_info("worker-3", &[], Some(&["runc"]))];
        let mut stuck = pod("spin-app-7f9c-kq2lz", "wasmtime-spin-v2", "x", None);
        stuck.node = Some("worker-3".into());
        stuck.phase = Some("Pending".into());
        let o = run_cluster(check, SHIM_RUNTIME_V2, cluster(vec![spin()], nodes(), vec![stuck]));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("`wasmtime-spin-v2` (handler `spin`) can schedule to 1 node without it: `worker-3`; stuck there: Pod `demo/spin-app-7f9c-kq2lz`"), "{}", o.message);
        assert_eq!(o.evidence[0].value, "its status.runtimeHandlers are `runc`");
        // A nodeSelector for the installer's label keeps pods off worker-3.
        let mut selected = spin();
        selected.node_selector.insert("spin".into(), "provisioned".into());
        let mut labelled = nodes();
        labelled[0].labels.insert("spin".into(), "provisioned".into());
        let o = run_cluster(check, SHIM_RUNTIME_V2, cluster(vec![selected], labelled, vec![]));
        assert_eq!(
            (o.status, o.message.as_str()),
            (
                Status::Pass,
                "every node the Wasm RuntimeClasses can schedule to has their handler: `wasmtime-spin-v2` (handler `spin`) → 1 node (from its status.runtimeHandlers)"
            )
        );
    }

    #[test]
    fn unknown_nodes_without_a_selector_warn() {
        let nodes = vec![
            node_info("worker-2", &[], Some(&["spin"])),
            node_info("old-1", &[("kwasm.sh/kwasm-provisioned", "old-1")], None),
        ];
        let o = run_cluster(check, SHIM_RUNTIME_V2, cluster(vec![rc("spin", "spin")], nodes, vec![]));
        assert_eq!(o.status, Status::Warn, "{}", o.message);
        assert!(o.message.starts_with("`spin` (handler `spin`) has no `nodeSelector`, and 1 of the 2 nodes it can schedule to is unknown from here"), "{}", o.message);
        assert!(
            o.evidence[0].value.ends_with("installer label `kwasm.sh/kwasm-provisioned=old-1`"),
            "{:?}",
            o.evidence
        );
    }

    #[test]
    fn a_runtimeclass_no_node_qualifies_for_is_said() {
        let mut spin = rc("wasmtime-spin-v2", "spin");
        spin.node_selector.insert("spin".into(), "provisioned".into());
        let o = run_cluster(
            check,
            SHIM_RUNTIME_V2,
            cluster(vec![spin], vec![node_info("worker-2", &[], Some(&["spin"]))], vec![]),
        );
        assert_eq!(o.status, Status::Warn);
        assert_eq!(
            o.message,
            "`wasmtime-spin-v2` (handler `spin`) can schedule to none of the cluster's 1 node: its nodeSelector selects no node, so its pods stay `Pending`"
        );
    }

    #[test]
    fn runtime_class_managers_shim_status_is_evidence() {
        let mut spin = rc("wasmtime-spin-v2", "spin");
        spin.node_selector.insert("spin".into(), "provisioned".into());
        let label = [("spin", "provisioned")];
        let nodes = vec![node_info("worker-2", &label, None), node_info("worker-3", &label, None)];
        let mut c = cluster(vec![spin], nodes, vec![]);
        c.shims = Fact::Collected(vec![crate::facts::ShimInfo {
            name: "spin-v2".into(),
            runtime_class: Some("wasmtime-spin-v2".into()),
            handler: Some("spin".into()),
            nodes: Some(2),
            nodes_ready: Some(1),
        }]);
        let o = run_cluster(check, SHIM_RUNTIME_V2, c.clone());
        assert_eq!(o.status, Status::Warn, "{}", o.message);
        assert_eq!(
            o.message,
            "`wasmtime-spin-v2` (handler `spin`): 2 of the 2 nodes it can schedule to are unknown from here (runtime-class-manager's Shim `spin-v2` has the shim ready on 1 of its 2 nodes)"
        );
        assert_eq!(o.evidence[0].source, "RuntimeClass wasmtime-spin-v2's installer");
        // Every node ready: the Shim's word alone is not a finding.
        if let Fact::Collected(s) = &mut c.shims {
            s[0].nodes_ready = Some(2);
        }
        let o = run_cluster(check, SHIM_RUNTIME_V2, c);
        assert_eq!(o.status, Status::Skip, "{}", o.message);
    }
}
