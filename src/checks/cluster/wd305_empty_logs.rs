//! WD305 empty-logs: running Wasm containers past a grace period have written log output; silence
//! may be a module that prints nothing, or a runtime whose stdio does not reach the container log.

use super::{is_wasm_pod, node_handlers, pod_logs, pod_ref, rc_of, route_of, shown};
use crate::checks::{Ctx, Outcome, gate};
use crate::facts::{ClusterFacts, Fact, Facts, MissingKind, Route};
use crate::report::Affected;
use crate::rules::text::count;
use crate::rules::time::epoch;

pub fn check(ctx: &Ctx, c: &ClusterFacts) -> Outcome {
    let rcs = or_return!(gate::list(&c.runtime_classes));
    let pods = or_return!(gate::list(&c.pods));
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
            let Some(log) = logs.get(&key).and_then(|ls| ls.iter().find(|l| l.container == ct.name && !l.previous))
            else {
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
        .fix("run the module once with `ctr run` on the node to see whether it prints; runwasi shims before the Aug 2023 stdio rework (v0.2.0) lost output under Kubernetes (containerd/runwasi#50). crun 1.8.5 is not a known fix for this")
.affected(affected)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::report::Status;

    #[test]
    fn silent_containers_past_the_grace_period_warn() {
        let with_log = |tail: &str| one_pod_logging("hello", "wasmedge", tail);
        let o = run_cluster(check, SHIM_RUNTIME_V2, with_log("listening on :8080\n"));
        assert_eq!(o.status, Status::Pass);
        assert_eq!(o.message, "1 Wasm container running for over 60 s has written log output");
        let o = run_cluster(check, SHIM_RUNTIME_V2, with_log(""));
        assert_eq!(o.status, Status::Warn);
        assert!(o.message.starts_with("1 Wasm container has written no log output after more than 60 s running (first: container `app` of Pod `demo/hello` on `worker-1`, route runwasi-style shim)"), "{}", o.message);
        assert_eq!(o.affected[0].name, "hello");
        let young = cluster_facts(vec![], vec![], vec![], vec![rc("wasmedge", "wasmedge")]);
        assert_eq!(run_cluster(check, SHIM_RUNTIME_V2, young).status, Status::Skip);
    }
}
