//! WD308 wasm-pod-failures: no Wasm pod is stuck with a known failure signature (from container
//! messages, events and logs, the previous run's included), each mapped to the check that
//! explains it.

use std::collections::BTreeMap;

use super::{pod_events, pod_logs, pod_ref, shown, wasm_pods, which_log};
use crate::checks::{Ctx, Outcome};
use crate::facts::{ClusterFacts, Fact};
use crate::report::{Affected, Evidence};
use crate::rules::signatures::{Cause, signature};
use crate::rules::text::count;

pub fn check(ctx: &Ctx, c: &ClusterFacts) -> Outcome {
    let wasm = or_return!(wasm_pods(ctx, c));
    let events = pod_events(c);
    // Without events only container states are read; say so rather than pass quietly.
    let partial = match &c.events {
        Fact::Unavailable(m) => format!(" (container states only; events not read: {})", m.reason),
        Fact::Collected(_) => String::new(),
    };
    let logs = pod_logs(c);
    // (pod, what explains it, the line, where it is)
    let mut found: Vec<(Affected, Cause, String, String)> = Vec::new();
    for p in &wasm {
        let key = (p.namespace.as_str(), p.name.as_str());
        let status = p.containers.iter().flat_map(|c| {
            let now = c.message.as_deref().filter(|_| c.state != "running");
            let last = c.last_termination.as_ref().and_then(|t| t.message.as_deref());
            [now, last].into_iter().flatten().map(|m| (format!("container `{}`'s status", c.name), m))
        });
        let from_events =
            events.get(&key).into_iter().flatten().map(|e| (format!("event {}", e.reason), e.message.as_str()));
        let from_logs = logs.get(&key).into_iter().flatten().map(|l| (which_log(l), l.tail.as_str()));
        let mut texts = status.chain(from_events).chain(from_logs);
        if let Some((place, (cause, line))) = texts.find_map(|(place, text)| Some((place, signature(text)?))) {
            found.push((pod_ref(p), cause, line, place));
        }
    }
    if found.is_empty() {
        return Outcome::pass(format!(
            "none of {} shows a known failure signature{partial}",
            count(wasm.len(), "Wasm pod")
        ));
    }
    let affected: Vec<Affected> = found.iter().map(|(a, ..)| a.clone()).collect();
    let mut by_cause: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, cause, ..) in &found {
        *by_cause.entry(label(cause)).or_default() += 1;
    }
    let summary: Vec<String> = by_cause.iter().map(|(c, n)| format!("{} → {c}", count(*n, "pod"))).collect();
    let (first, cause, line, _) = &found[0];
    let explained = match cause {
        Cause::Checks(ids) => format!("explained by {ids}"),
        Cause::Workload(why) => format!("not the node: {why}"),
    };
    let mut o = Outcome::fail(format!(
        "{} {} stuck with a known failure ({}): {} shows `{line}` ({explained})",
        count(found.len(), "Wasm pod"),
        if found.len() == 1 { "is" } else { "are" },
        summary.join(", "),
        shown(first),
    ));
    // The fix points at the first failure the node explains; workload errors are the app owner's.
    o = match found.iter().find_map(|(_, c, ..)| if let Cause::Checks(ids) = c { Some(*ids) } else { None }) {
        Some(ids) => o.fix(format!("see `wasmdoctor explain {}`", ids.split('/').next().unwrap_or(ids))),
        None => o.fix("fix the workload (image, arguments or application configuration) as the message says; no node change helps"),
    };
    o = o.affected(affected);
    for (a, cause, line, place) in found.iter().take(10) {
        o.evidence.push(Evidence { source: format!("{}, {place} ({})", shown(a), label(cause)), value: line.clone() });
    }
    o
}

/// How a cause is named in summaries and evidence: its checks, or `the workload`.
fn label(cause: &Cause) -> &'static str {
    match cause {
        Cause::Checks(ids) => ids,
        Cause::Workload(_) => "the workload",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::facts::MissingKind;
    use crate::report::Status;

    #[test]
    fn a_known_failure_fails_mapped_to_its_check() {
        let rcs = || vec![rc("spin", "spin")];
        let o = run_cluster(
            check,
            SHIM_RUNTIME_V2,
            cluster_facts(vec![pod("app", "spin", "x", None)], vec![], vec![], rcs()),
        );
        assert_eq!(
            (o.status, o.message.as_str()),
            (Status::Pass, "none of 1 Wasm pod shows a known failure signature")
        );
        let mut c = cluster_facts(vec![pod("app", "spin", "x", None)], vec![], vec![], rcs());
        c.events = Fact::Collected(vec![event(
            "app",
            "FailedCreatePodSandBox",
            "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox runtime: no runtime for \"spin\" is configured",
        )]);
        let o = run_cluster(check, SHIM_RUNTIME_V2, c.clone());
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.starts_with("1 Wasm pod is stuck with a known failure (1 pod → WD202/WD302)"),
            "{}",
            o.message
        );
        c.events = Fact::unavailable(MissingKind::PermissionDenied, "forbidden: events");
        let o = run_cluster(check, SHIM_RUNTIME_V2, c);
        assert_eq!(o.status, Status::Pass);
        assert!(o.message.ends_with("(container states only; events not read: forbidden: events)"), "{}", o.message);
    }

    #[test]
    fn a_crash_loop_is_read_from_the_previous_log() {
        let rcs = vec![rc("crun", "crun")];
        let mut c = cluster_facts(vec![crash_looping(pod("job", "crun", "x", None))], vec![], vec![], rcs);
        // crun's own log line as `kubectl logs` shows it (corpus e16, KWasm/kwasm-operator#27).
        let crun = r#"{"msg":"exec container process `/wasi_example_main.wasm`: Exec format error","level":"error","time":"2023-09-25T17:42:14.765200Z"}"#;
        c.logs = vec![previous_log("job", crun)];
        let o = run_cluster(check, CRUN_RUNTIME_V2, c.clone());
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert_eq!(o.evidence[0].source, "Pod `demo/job`, container `app`'s previous log (WD103/WD204/WD304)");
        c.logs = vec![previous_log("job", "Hello from Wasm\n")];
        assert_eq!(run_cluster(check, CRUN_RUNTIME_V2, c).status, Status::Pass);
    }

    #[test]
    fn an_application_error_is_said_to_be_the_workloads() {
        let rcs = vec![rc("wasmtime", "wasmtime")];
        let mut c = cluster_facts(vec![crash_looping(pod("app", "wasmtime", "x", None))], vec![], vec![], rcs);
        // runwasi's words when the entrypoint is no Wasm module (corpus e40, runwasi#637).
        c.events = Fact::Collected(vec![event(
            "app",
            "Failed",
            r#"Error: failed to create containerd task: failed to create shim task: Others("exec process failed with error error in executing process : wasmtime executor can't handle spec"): unknown"#,
        )]);
        let wasmtime = SHIM_RUNTIME_V2.replace("wasmedge", "wasmtime");
        let o = run_cluster(check, &wasmtime, c);
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("(1 pod → the workload)"), "{}", o.message);
        assert!(
            o.message.contains("(not the node: the shim found no Wasm module it accepts in the spec"),
            "{}",
            o.message
        );
        assert!(o.fix.as_ref().unwrap().summary.starts_with("fix the workload"), "{:?}", o.fix);
    }
}
