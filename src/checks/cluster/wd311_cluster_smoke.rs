//! WD311 cluster-smoke: a Job per Wasm RuntimeClass × node it can schedule to (`--smoke`) runs the
//! smoke image pinned there and its log shows the nonce it was given. Proof, where WD301–WD310
//! infer; a failure is explained from what Kubernetes said (pull errors → WD309, `no runtime for` →
//! WD302/WD310, other sandbox errors → WD308, and WD308's signatures).

use crate::checks::{Ctx, Outcome};
use crate::facts::{ClusterSmokeOutcome, ClusterSmokeRun, Fact, MissingKind};
use crate::report::Affected;
use crate::rules::signatures::{Cause, signature};
use crate::rules::text::{count, list};

/// The kubelet's reasons for an image it could not get (pkg/kubelet/images/types.go).
const PULL_REASONS: &[&str] = &["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"];
const SHOWN: usize = 10;

pub fn check(ctx: &Ctx) -> Outcome {
    let smoke = match &ctx.facts.cluster_smoke {
        Fact::Collected(s) => s,
        Fact::Unavailable(m) if m.kind == MissingKind::NotRequested => return Outcome::skip(m.reason.clone()),
        Fact::Unavailable(m) if m.kind.is_error() => {
            return Outcome::error(format!("the cluster smoke could not run: {}", m.reason));
        }
        // No cluster to run it in (no kubeconfig, no such RuntimeClass or node).
        Fact::Unavailable(m) => return Outcome::skip(format!("the cluster smoke did not run: {}", m.reason)),
    };
    let mut evidence: Vec<(String, String)> =
        smoke.not_tried.iter().take(SHOWN).map(|n| ("not tried".to_string(), n.clone())).collect();
    if smoke.runs.is_empty() {
        let why = if smoke.not_tried.is_empty() {
            "no Wasm RuntimeClass can schedule to any node (WD301 and WD310 say why)".to_string()
        } else {
            format!("nothing to run: {}", smoke.not_tried.join("; "))
        };
        return with_evidence(Outcome::skip(why), evidence);
    }
    let (mut passed, mut failures, mut left) = (Vec::new(), Vec::new(), Vec::new());
    let mut affected = Vec::new();
    for r in &smoke.runs {
        let pair = format!("`{}` on `{}`", r.runtime_class, r.node);
        match verdict(r, smoke.events_unreadable.as_deref()) {
            Ok(()) => passed.push(format!("{pair} in {}", took(r.millis))),
            Err(why) => {
                failures.push(format!("{pair}: {why}"));
                affected.push(Affected {
                    kind: "RuntimeClass".into(),
                    namespace: None,
                    name: r.runtime_class.clone(),
                    node: Some(r.node.clone()),
                });
            }
        }
        left.extend(r.left_behind.iter().cloned());
        if evidence.len() < 2 * SHOWN {
            evidence.push((format!("Job {}/{}", r.namespace, r.job), summary(r)));
        }
    }
    let o = if !failures.is_empty() {
        let more = failures.len().saturating_sub(SHOWN);
        let mut tail = if more > 0 { format!("; and {more} more") } else { String::new() };
        if !left.is_empty() {
            tail += &format!(". Left behind: {}", left.iter().take(SHOWN).cloned().collect::<Vec<_>>().join("; "));
        }
        Outcome::fail(format!(
            "{} of {} failed: {}{tail}",
            failures.len(),
            count(smoke.runs.len(), "smoke Job"),
            failures.iter().take(SHOWN).cloned().collect::<Vec<_>>().join("; ")
        ))
        .fix("see the check each failure names (`wasmdoctor explain ID`); `wasmdoctor smoke --cluster --nodes NODE --runtimeclass NAME` runs one again")
        .affected(affected)
    } else if !left.is_empty() {
        Outcome::warn(format!(
            "the smoke Jobs passed, but what they created is still there: {}",
            left.iter().take(SHOWN).cloned().collect::<Vec<_>>().join("; ")
        ))
        .fix(format!(
            "delete it: `kubectl delete jobs -n {} -l app.kubernetes.io/managed-by=wasmdoctor,app.kubernetes.io/component=smoke`",
            smoke.runs[0].namespace
        ))
    } else {
        Outcome::pass(format!(
            "every smoke Job printed its nonce and completed: {}",
            list(&passed.iter().take(SHOWN).cloned().collect::<Vec<_>>())
        ))
    };
    with_evidence(o, evidence)
}

fn with_evidence(mut o: Outcome, evidence: Vec<(String, String)>) -> Outcome {
    for (source, value) in evidence {
        o = o.evidence(source, value);
    }
    o
}

/// Ok when the Job completed and its log shows the nonce; else what happened and what explains it.
/// `no_events`: why the Warning events could not be read (a timeout may then hide their cause).
fn verdict(r: &ClusterSmokeRun, no_events: Option<&str>) -> Result<(), String> {
    let printed = r.log.contains(&r.nonce);
    match &r.outcome {
        ClusterSmokeOutcome::Completed if printed => Ok(()),
        ClusterSmokeOutcome::Completed => Err(format!(
            "completed, but its log does not show the nonce `{}`: the image ran something else (its `args`, `[smoke] args`){}",
            r.nonce,
            shown_log(&r.log)
        )),
        ClusterSmokeOutcome::Failed { reason, message } if reason == "NotCreated" => {
            Err(format!("the Job could not be created: {message}"))
        }
        ClusterSmokeOutcome::Failed { reason, message } if PULL_REASONS.contains(&reason.as_str()) => {
            let image = if message.contains(&r.image) { String::new() } else { format!(" `{}`", r.image) };
            Err(format!(
                "the image{image} could not be pulled ({reason}: {message}): explained by WD309 (a cluster that cannot reach it needs a mirror in the policy's `[smoke] image`)"
            ))
        }
        ClusterSmokeOutcome::Failed { reason, message } => Err(explained(&format!("{reason}: {message}"), r)),
        ClusterSmokeOutcome::TimedOut { seconds, phase } => {
            let blind = no_events
                .map(|why| format!("; its Warning events could not be read ({why}), which would say why"))
                .unwrap_or_default();
            Err(explained(&format!("not finished after {seconds} s (it was `{phase}`){blind}"), r))
        }
        ClusterSmokeOutcome::Interrupted => Err("interrupted before it finished (it was deleted)".into()),
    }
}

/// What explains a failure, from its text, its events and its log.
fn explained(what: &str, r: &ClusterSmokeRun) -> String {
    let text = format!("{what}\n{}\n{}", r.events.join("\n"), r.log);
    match signature(&text) {
        // In the cluster, a handler containerd lacks is the RuntimeClass's (WD302) or that node's (WD310).
        Some((Cause::Checks("WD202/WD302"), _)) => format!("{what}: explained by WD302/WD310"),
        Some((Cause::Checks(ids), _)) => format!("{what}: explained by {ids}"),
        Some((Cause::Workload(why), _)) => format!("{what}: {why}"),
        None if text.contains("FailedCreatePodSandBox") || text.contains("Failed to create pod sandbox") => {
            format!("{what}: explained by WD308")
        }
        None if !r.events.is_empty() => format!("{what}; its events: {}", r.events.join("; ")),
        None => what.to_string(),
    }
}

fn summary(r: &ClusterSmokeRun) -> String {
    let ended = match &r.outcome {
        ClusterSmokeOutcome::Completed => "completed".to_string(),
        ClusterSmokeOutcome::Failed { reason, .. } => format!("failed ({reason})"),
        ClusterSmokeOutcome::TimedOut { seconds, .. } => format!("not finished after {seconds} s"),
        ClusterSmokeOutcome::Interrupted => "interrupted".into(),
    };
    let printed = if r.log.contains(&r.nonce) { ", printed" } else { ", did not print" };
    let pod = r.pod.as_deref().map(|p| format!(", pod {p}")).unwrap_or_default();
    format!(
        "RuntimeClass {} (handler {}) on node {}: {ended}{printed} nonce {}{pod}, last status `{}`, {} ms",
        r.runtime_class, r.handler, r.node, r.nonce, r.status, r.millis
    )
}

fn took(millis: u64) -> String {
    if millis < 1000 { format!("{millis} ms") } else { format!("{:.1} s", millis as f64 / 1000.0) }
}

fn shown_log(log: &str) -> String {
    match crate::rules::text::clip(log, 200) {
        empty if empty.is_empty() => "; its log is empty".into(),
        one => format!("; its log: `{one}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::facts::ClusterSmoke;
    use crate::report::Status;

    fn run(outcome: ClusterSmokeOutcome, log: &str, events: &[&str]) -> ClusterSmokeRun {
        ClusterSmokeRun {
            runtime_class: "wasmtime".into(),
            handler: "wasmtime".into(),
            node: "worker-1".into(),
            namespace: "default".into(),
            job: "wd-smoke-0a1b2c3d-0".into(),
            pod: Some("wd-smoke-0a1b2c3d-0-x7k2p".into()),
            image: "ghcr.io/containerd/runwasi/wasi-demo-app:latest".into(),
            nonce: "wd0a1b2c3dn000".into(),
            outcome,
            log: log.into(),
            status: "exit 0 (Completed)".into(),
            events: events.iter().map(|e| e.to_string()).collect(),
            millis: 2100,
            left_behind: Vec::new(),
        }
    }

    fn judge(runs: Vec<ClusterSmokeRun>) -> Outcome {
        let mut f = facts(node(config("version = 2\n")));
        f.cluster_smoke = Fact::Collected(ClusterSmoke { runs, not_tried: Vec::new(), events_unreadable: None });
        with_ctx(&f, check)
    }

    #[test]
    fn a_job_that_printed_its_nonce_passes() {
        let o = judge(vec![run(ClusterSmokeOutcome::Completed, "wd0a1b2c3dn000\n", &[])]);
        assert_eq!(o.status, Status::Pass, "{}", o.message);
        assert!(o.message.contains("`wasmtime` on `worker-1` in 2.1 s"), "{}", o.message);
    }

    #[test]
    fn a_completed_job_without_the_nonce_fails() {
        let o = judge(vec![run(ClusterSmokeOutcome::Completed, "This is a song that never ends.\n", &[])]);
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("does not show the nonce") && o.message.contains("song"), "{}", o.message);
    }

    #[test]
    fn failures_point_at_the_check_that_explains_them() {
        let pull =
            run(ClusterSmokeOutcome::Failed { reason: "ErrImagePull".into(), message: "not found".into() }, "", &[]);
        let no_runtime_msg = "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox runtime: no runtime for \"wasmtime\" is configured";
        let no_runtime = run(
            ClusterSmokeOutcome::Failed { reason: "FailedCreatePodSandBox".into(), message: no_runtime_msg.into() },
            "",
            &[],
        );
        let sandbox = run(
            ClusterSmokeOutcome::Failed {
                reason: "FailedCreatePodSandBox".into(),
                message: "Failed to create pod sandbox: rpc error: code = DeadlineExceeded".into(),
            },
            "",
            &[],
        );
        let exec = run(
            ClusterSmokeOutcome::Failed {
                reason: "StartError".into(),
                message: "exit 128 (StartError): exec /wasi-demo-app.wasm: exec format error".into(),
            },
            "",
            &[],
        );
        for (r, want) in [(pull, "WD309"), (no_runtime, "WD302/WD310"), (sandbox, "WD308"), (exec, "WD103/WD204/WD304")]
        {
            let o = judge(vec![r]);
            assert_eq!(o.status, Status::Fail);
            assert!(o.message.contains(&format!("explained by {want}")), "{want}: {}", o.message);
            assert_eq!(o.affected[0].node.as_deref(), Some("worker-1"));
        }
    }

    #[test]
    fn a_timeout_says_where_it_was_and_what_its_events_said() {
        let o = judge(vec![run(
            ClusterSmokeOutcome::TimedOut { seconds: 300, phase: "Pending (ContainerCreating)".into() },
            "",
            &["FailedMount: MountVolume.SetUp failed"],
        )]);
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("not finished after 300 s (it was `Pending (ContainerCreating)`)"), "{}", o.message);
        assert!(o.message.contains("FailedMount"), "{}", o.message);
    }

    #[test]
    fn what_stayed_behind_warns_and_says_how_to_delete_it() {
        let mut r = run(ClusterSmokeOutcome::Completed, "wd0a1b2c3dn000", &[]);
        r.left_behind = vec!["Pod wd-smoke-0a1b2c3d-0-x7k2p: still there 20 s after its deletion".into()];
        let o = judge(vec![r]);
        assert_eq!(o.status, Status::Warn);
        assert!(o.fix.as_ref().is_some_and(|f| f.summary.contains("kubectl delete jobs -n default -l")), "{:?}", o.fix);
    }

    #[test]
    fn not_requested_skips_and_a_refused_dry_run_is_an_error() {
        let f = facts(node(config("version = 2\n")));
        assert_eq!(with_ctx(&f, check).status, Status::Skip);
        let mut f = facts(node(config("version = 2\n")));
        f.cluster_smoke = Fact::unavailable(MissingKind::PermissionDenied, "forbidden: may not `create jobs`");
        let o = with_ctx(&f, check);
        assert_eq!(o.status, Status::Error);
        assert!(o.message.contains("create jobs"), "{}", o.message);
    }

    /// The last line of a corpus file that has `needle`, with what precedes the kubelet's message cut.
    fn corpus_line(prefix: &str, needle: &str) -> String {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/errors");
        let file = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .find(|e| e.file_name().to_string_lossy().starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix} is not in the corpus"));
        let text = std::fs::read_to_string(file.path()).unwrap();
        let line = text.lines().filter(|l| !l.starts_with('#')).rfind(|l| l.contains(needle)).unwrap();
        line.find(needle).map(|at| line[at..].to_string()).unwrap()
    }

    #[test]
    fn real_kubelet_and_runtime_texts_are_explained() {
        let sandbox =
            |message: String| ClusterSmokeOutcome::Failed { reason: "FailedCreatePodSandBox".into(), message };
        let cases = [
            // k3s and containerd 1.x, then containerd 2.x's wording.
            (sandbox(corpus_line("e02", "Failed to create pod sandbox")), "WD302/WD310"),
            (sandbox(corpus_line("e06", "Failed to create pod sandbox")), "WD302/WD310"),
            (
                ClusterSmokeOutcome::Failed {
                    reason: "ErrImagePull".into(),
                    message: corpus_line("e20", "rpc error: code = NotFound"),
                },
                "WD309",
            ),
            (
                ClusterSmokeOutcome::Failed {
                    reason: "StartError".into(),
                    message: corpus_line("e15", "{\"msg\":\"exec container process"),
                },
                "WD103/WD204/WD304",
            ),
        ];
        for (outcome, want) in cases {
            let o = judge(vec![run(outcome.clone(), "", &[])]);
            assert_eq!(o.status, Status::Fail);
            assert!(o.message.contains(&format!("explained by {want}")), "{outcome:?} → {}", o.message);
        }
        // The same sandbox text seen only in the events of a run that timed out.
        let events = [format!("FailedCreatePodSandBox: {}", corpus_line("e02", "Failed to create pod sandbox"))];
        let r = run(
            ClusterSmokeOutcome::TimedOut { seconds: 300, phase: "Pending (ContainerCreating)".into() },
            "",
            &events.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        assert!(judge(vec![r]).message.contains("explained by WD302/WD310"));
    }
}
