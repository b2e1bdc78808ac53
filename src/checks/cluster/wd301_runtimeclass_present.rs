//! WD301 runtimeclass-present: a RuntimeClass names one of this node's Wasm runtimes as its handler,
//! so that pods can select them.

use super::node_handlers;
use crate::checks::{Ctx, Outcome, gate};
use crate::facts::ClusterFacts;
use crate::rules::text::list;
use crate::rules::wasm::looks_wasm_name;

pub fn check(ctx: &Ctx, c: &ClusterFacts) -> Outcome {
    let rcs = or_return!(gate::list(&c.runtime_classes));
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
            .runtime_classes(h.keys().cloned())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Subject;
    use crate::checks::testutil::*;
    use crate::report::Status;

    #[test]
    fn linked_passes_unlinked_fails_naming_what_to_create() {
        let with = |rcs| cluster_facts(vec![], vec![], vec![], rcs);
        let o = run_cluster(check, SHIM_RUNTIME_V2, with(vec![rc("wasmedge", "wasmedge")]));
        assert_eq!(o.status, Status::Pass);
        assert_eq!(
            o.message,
            "RuntimeClasses for this node's Wasm runtimes: `wasmedge` → handler `wasmedge` (shim route)"
        );
        let o = run_cluster(check, SHIM_RUNTIME_V2, with(vec![rc("runc", "runc")]));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.starts_with("no RuntimeClass names this node's Wasm runtime `wasmedge`"), "{}", o.message);
        assert_eq!(o.subjects, [Subject::RuntimeClass("wasmedge".into())]);
        assert_eq!(run_cluster(check, "version = 2\n", with(vec![])).status, Status::Skip);
    }
}
