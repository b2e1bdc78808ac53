//! WD302 runtimeclass-handler-unknown: every Wasm RuntimeClass that can schedule to this node has its
//! handler in this node's containerd; other nodes' runtimes are shown as unknown from here.

use super::{Handler, handler_on, is_wasm_rc, node_all_handlers, node_handlers};
use crate::checks::{Ctx, Outcome, gate};
use crate::facts::{ClusterFacts, NodeInfo, RuntimeClassInfo};
use crate::rules::kube::{installer_label, selects};
use crate::rules::text::list;

pub fn check(ctx: &Ctx, c: &ClusterFacts) -> Outcome {
    let rcs = or_return!(gate::list(&c.runtime_classes));
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
                // The same per-node evidence as WD310: status.runtimeHandlers, the agent's WasmReady.
                let (mut has, mut lacks, mut unknown) = (0, 0, 0);
                for n in &matching {
                    match handler_on(ctx, n, &rc.handler) {
                        Handler::Has(_) => has += 1,
                        Handler::Lacks(_) => lacks += 1,
                        Handler::Unknown(_) => unknown += 1,
                    }
                }
                let labelled = matching.iter().filter(|n| installer_label(&n.labels, &rc.handler).is_some()).count();
                let mut said = Vec::new();
                if has > 0 {
                    said.push(format!("{has} {} it", if has == 1 { "has" } else { "have" }));
                }
                if lacks > 0 {
                    said.push(format!("{lacks} {} it (see WD310)", if lacks == 1 { "lacks" } else { "lack" }));
                }
                if unknown > 0 {
                    said.push(format!("{unknown} unknown from here ({labelled} carry an installer label)"));
                }
                others.push(format!(
                    "`{}`: {} other {} can run it: {}",
                    rc.name,
                    matching.len(),
                    if matching.len() == 1 { "node" } else { "nodes" },
                    said.join(", ")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::report::Status;

    #[test]
    fn a_handler_this_node_lacks_fails() {
        let with = |rcs| cluster_facts(vec![], vec![], vec![], rcs);
        let o = run_cluster(check, SHIM_RUNTIME_V2, with(vec![rc("wasmedge", "wasmedge")]));
        assert_eq!(o.status, Status::Pass, "{}", o.message);
        let o = run_cluster(check, SHIM_RUNTIME_V2, with(vec![rc("wasmedge", "wasmedge"), rc("spin", "spin")]));
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.starts_with("RuntimeClass `spin` (handler `spin`) can schedule pods to `worker-1`"),
            "{}",
            o.message
        );
        assert!(o.message.contains("`no runtime for \"spin\" is configured`"), "{}", o.message);
        let mut elsewhere = rc("spin", "spin");
        elsewhere.node_selector.insert("spin".into(), "provisioned".into());
        let mut c = with(vec![elsewhere]);
        c.nodes = crate::facts::Fact::Collected(vec![node_info("worker-1", &[], None)]);
        assert_eq!(run_cluster(check, SHIM_RUNTIME_V2, c).status, Status::Pass, "a selector that excludes this node");
        assert_eq!(run_cluster(check, SHIM_RUNTIME_V2, with(vec![rc("runc", "runc")])).status, Status::Skip);
    }

    #[test]
    fn other_nodes_are_judged_by_what_they_report() {
        let mut c = cluster_facts(vec![], vec![], vec![], vec![rc("wasmedge", "wasmedge")]);
        c.nodes = crate::facts::Fact::Collected(vec![
            node_info("worker-1", &[], None),
            node_info("worker-2", &[], Some(&["runc", "wasmedge"])),
            node_info("worker-3", &[], Some(&["runc"])),
            node_info("old-4", &[("kwasm.sh/kwasm-provisioned", "old-4")], None),
        ]);
        let o = run_cluster(check, SHIM_RUNTIME_V2, c);
        assert_eq!(o.status, Status::Pass, "{}", o.message);
        assert!(
            o.message.ends_with("`wasmedge`: 3 other nodes can run it: 1 has it, 1 lacks it (see WD310), 1 unknown from here (1 carry an installer label)"),
            "{}",
            o.message
        );
    }
}
