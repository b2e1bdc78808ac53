//! The cluster smoke (WD311): for each Wasm RuntimeClass and each node it can schedule to, one Job
//! pinned there runs the smoke image with a nonce in its args; the Job passes when it completes and
//! its log shows the nonce. Server-side dry run first; then create, watch (Job, pod and Warning
//! events, once a second), read the log, and delete every Job with its pods, also after the time
//! limit or Ctrl-C. What was seen becomes `Facts::cluster_smoke`; WD311 judges it.

mod api;
mod job;
mod observe;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::collect::cluster::ClusterOptions;
use crate::facts::{ClusterSmoke, ClusterSmokeOutcome, ClusterSmokeRun, Fact, Facts, Missing, MissingKind};
use crate::rules::kube::schedulable;
use api::Api;
pub use job::RUN_LABEL;

/// More Jobs than this in one run need `--nodes` or `--runtimeclass`: a smoke run must not flood a
/// big cluster's scheduler and registry by surprise.
pub const MAX_JOBS: usize = 100;
const POLL: Duration = Duration::from_secs(1);
/// How long the deletion may take to show (the garbage collector removes the pods).
const CLEANUP: Duration = Duration::from_secs(15);

/// What `--smoke` with the cluster was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    pub cluster: ClusterOptions,
    /// Only these RuntimeClasses (`--runtimeclass`); every Wasm one when empty.
    pub runtime_classes: Vec<String>,
    /// Only these nodes (`--nodes`); every node each RuntimeClass can schedule to when empty.
    pub nodes: Vec<String>,
    /// How long the Jobs may take, from their creation (a first pull included).
    pub timeout: Duration,
    pub smoke: crate::policy::Smoke,
}

/// One RuntimeClass × node pair to run.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    runtime_class: String,
    handler: String,
    node: String,
}

/// The pairs to run, and those left out with why; `Err` when the request cannot be met.
fn targets(facts: &Facts, o: &Options) -> Result<(Vec<Target>, Vec<String>), Missing> {
    let cluster = match &facts.cluster {
        Fact::Collected(c) => c,
        Fact::Unavailable(m) => return Err(m.clone()),
    };
    let (rcs, nodes) = match (&cluster.runtime_classes, &cluster.nodes) {
        (Fact::Collected(r), Fact::Collected(n)) => (r, n),
        (Fact::Unavailable(m), _) | (_, Fact::Unavailable(m)) => return Err(m.clone()),
    };
    // What the user named is not there: the run they asked for cannot happen (an error, not a skip).
    let missing = |what: String| Err(Missing { kind: MissingKind::Failed, reason: what });
    let handlers = crate::checks::cluster::node_handlers(facts);
    let chosen: Vec<_> = if o.runtime_classes.is_empty() {
        rcs.iter().filter(|r| crate::checks::cluster::is_wasm_rc(r, handlers.as_ref())).collect()
    } else {
        let mut out = Vec::new();
        for name in &o.runtime_classes {
            match rcs.iter().find(|r| &r.name == name) {
                Some(r) => out.push(r),
                None => return missing(format!("the cluster has no RuntimeClass `{name}` (`--runtimeclass`)")),
            }
        }
        out
    };
    if let Some(n) = o.nodes.iter().find(|n| !nodes.iter().any(|x| &&x.name == n)) {
        return missing(format!("the cluster has no node `{n}` (`--nodes`)"));
    }
    let (mut run, mut not_tried) = (Vec::new(), Vec::new());
    for rc in chosen {
        for node in nodes.iter().filter(|n| o.nodes.is_empty() || o.nodes.contains(&n.name)) {
            let pair = format!("RuntimeClass `{}` on node `{}`", rc.name, node.name);
            if !schedulable(rc, node) {
                // Only worth saying when the user named the node.
                if !o.nodes.is_empty() {
                    not_tried.push(format!("{pair}: its nodeSelector or tolerations keep it off that node"));
                }
            } else if node.ready == Some(false) {
                not_tried.push(format!("{pair}: the node is not Ready"));
            } else {
                run.push(Target {
                    runtime_class: rc.name.clone(),
                    handler: rc.handler.clone(),
                    node: node.name.clone(),
                });
            }
        }
    }
    if run.len() > MAX_JOBS {
        return Err(Missing {
            kind: MissingKind::Failed,
            reason: format!(
                "that is {} Jobs (RuntimeClass × node), more than the {MAX_JOBS} one run creates: narrow it with `--nodes` or `--runtimeclass`",
                run.len()
            ),
        });
    }
    Ok((run, not_tried))
}

/// One Job of this run, as it goes.
struct Running {
    target: Target,
    name: String,
    nonce: String,
    created: Option<Instant>,
    seen: observe::Seen,
    outcome: Option<ClusterSmokeOutcome>,
    millis: u64,
    log: String,
    left_behind: Vec<String>,
}

/// Run the smoke Jobs. Unavailable when nothing could be created (no cluster facts, a refused dry
/// run); each Job's end otherwise. `progress` hears each step and each change of a Job's state.
pub fn run(o: &Options, facts: &Facts, stop: &Arc<AtomicBool>, progress: &dyn Fn(String)) -> Fact<ClusterSmoke> {
    let (targets, not_tried) = match targets(facts, o) {
        Ok(t) => t,
        Err(m) => return Fact::Unavailable(m),
    };
    if targets.is_empty() {
        return Fact::Collected(ClusterSmoke { runs: Vec::new(), not_tried, events_unreadable: None });
    }
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return Fact::unavailable(MissingKind::Failed, format!("could not start an async runtime: {e}")),
    };
    rt.block_on(async {
        let connected = match crate::collect::cluster::connect(&o.cluster).await {
            Ok(c) => c,
            Err(m) => return Fact::Unavailable(m),
        };
        let api = Api::new(connected.client, o.smoke.namespace(), o.cluster.timeout);
        // Eight hex digits: Job names stay within 63 characters.
        let id = super::unique_hex(8);
        let mut runs: Vec<Running> = targets
            .into_iter()
            .enumerate()
            .map(|(n, target)| Running {
                target,
                name: job::job_name(&id, n),
                nonce: format!("wd{id}n{n:03}"),
                created: None,
                seen: observe::Seen::default(),
                outcome: None,
                millis: 0,
                log: String::new(),
                left_behind: Vec::new(),
            })
            .collect();
        let manifests: Vec<Value> = runs.iter().map(|r| manifest(r, &id, o)).collect();
        progress(format!("dry run of {} Job(s) in namespace `{}`…", runs.len(), api.namespace()));
        if let Some((i, e)) = api.dry_run(&manifests).await {
            let r = &runs[i].target;
            return Fact::Unavailable(Missing {
                kind: e.kind,
                reason: format!(
                    "the API server refused the smoke Job for RuntimeClass `{}` on node `{}` in a dry run, so none was created: {}",
                    r.runtime_class, r.node, e.reason
                ),
            });
        }
        if stop.load(Ordering::Relaxed) {
            return Fact::unavailable(MissingKind::Failed, "interrupted before any Job was created");
        }
        progress(format!("creating {} Job(s) (image `{}`)…", runs.len(), o.smoke.image()));
        for (r, result) in runs.iter_mut().zip(api.create(&manifests).await) {
            match result {
                Ok(()) => r.created = Some(Instant::now()),
                Err(e) => r.outcome = Some(ClusterSmokeOutcome::Failed { reason: "NotCreated".into(), message: e.reason }),
            }
        }
        let events_unreadable = watch(&api, &id, &mut runs, o.timeout, stop, progress).await;
        read_logs(&api, &mut runs).await;
        progress("deleting the Jobs and their pods…".into());
        clean_up(&api, &id, &mut runs).await;
        let runs = runs.into_iter().map(|r| finished(r, api.namespace(), o)).collect();
        Fact::Collected(ClusterSmoke { runs, not_tried, events_unreadable })
    })
}

fn manifest(r: &Running, id: &str, o: &Options) -> Value {
    job::manifest(&job::JobSpec {
        name: &r.name,
        namespace: o.smoke.namespace(),
        run: id,
        runtime_class: &r.target.runtime_class,
        node: &r.target.node,
        image: o.smoke.image(),
        args: &o.smoke.args(&r.nonce),
        timeout_seconds: o.timeout.as_secs(),
    })
}

/// Poll until every Job ended, the time limit passed, or `stop`; why the events could not be read,
/// if they could not.
async fn watch(
    api: &Api,
    id: &str,
    runs: &mut [Running],
    timeout: Duration,
    stop: &AtomicBool,
    progress: &dyn Fn(String),
) -> Option<String> {
    let started = Instant::now();
    let mut last_error = None;
    let mut events_unreadable: Option<String> = None;
    loop {
        if runs.iter().all(|r| r.outcome.is_some()) {
            return events_unreadable;
        }
        match api.snapshot(id).await {
            Ok(now) => {
                last_error = None;
                let events = match now.events {
                    Ok(events) => events,
                    Err(e) => {
                        if events_unreadable.is_none() {
                            progress(format!(
                                "the Warning events cannot be read ({}): watching without them",
                                e.reason
                            ));
                        }
                        events_unreadable = Some(e.reason);
                        Vec::new()
                    }
                };
                for r in runs.iter_mut().filter(|r| r.outcome.is_none()) {
                    let Some(job) = now.jobs.iter().find(|j| j["metadata"]["name"] == r.name.as_str()) else {
                        continue;
                    };
                    let pod =
                        now.pods.iter().filter(|p| p["metadata"]["labels"]["job-name"] == r.name.as_str()).max_by_key(
                            |p| p["metadata"]["creationTimestamp"].as_str().unwrap_or_default().to_string(),
                        );
                    let seen = observe::observe(job, pod, &events);
                    if seen.status != r.seen.status || seen.ended.is_some() {
                        let status = match &seen.ended {
                            Some(ClusterSmokeOutcome::Completed) => "completed".to_string(),
                            Some(ClusterSmokeOutcome::Failed { reason, .. }) => format!("failed ({reason})"),
                            _ => seen.status.clone(),
                        };
                        progress(format!("`{}` on `{}`: {status}", r.target.runtime_class, r.target.node));
                    }
                    if let Some(end) = seen.ended.clone() {
                        r.outcome = Some(end);
                        r.millis = r.created.map_or(0, |c| c.elapsed().as_millis() as u64);
                    }
                    r.seen = seen;
                }
            }
            Err(e) => {
                if last_error.as_ref() != Some(&e.reason) {
                    progress(format!("reading the Jobs failed: {} (retrying)", e.reason));
                }
                last_error = Some(e.reason);
            }
        }
        let all_done = runs.iter().all(|r| r.outcome.is_some());
        let end = if all_done {
            None
        } else if stop.load(Ordering::Relaxed) {
            Some(ClusterSmokeOutcome::Interrupted)
        } else if started.elapsed() >= timeout {
            Some(ClusterSmokeOutcome::TimedOut { seconds: timeout.as_secs(), phase: String::new() })
        } else {
            None
        };
        if let Some(end) = end {
            for r in runs.iter_mut().filter(|r| r.outcome.is_none()) {
                r.millis = r.created.map_or(0, |c| c.elapsed().as_millis() as u64);
                r.outcome = Some(match &end {
                    ClusterSmokeOutcome::TimedOut { seconds, .. } => ClusterSmokeOutcome::TimedOut {
                        seconds: *seconds,
                        phase: match (&last_error, r.seen.status.as_str()) {
                            (Some(e), _) => format!("unknown: the API server: {e}"),
                            (None, "") => "not seen".into(),
                            (None, s) => s.into(),
                        },
                    },
                    other => other.clone(),
                });
            }
            return events_unreadable;
        }
        if all_done {
            return events_unreadable;
        }
        // A second between polls, cut short by Ctrl-C.
        let until = Instant::now() + POLL;
        while Instant::now() < until && !stop.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The log of each Job whose container started.
async fn read_logs(api: &Api, runs: &mut [Running]) {
    for r in runs.iter_mut().filter(|r| r.seen.started) {
        if let Some(pod) = &r.seen.pod {
            r.log = match api.log(pod, job::CONTAINER).await {
                Ok(text) => text,
                Err(e) => format!("(the log could not be read: {})", e.reason),
            };
        }
    }
}

/// Delete every Job (with its pods), then list what is still there: what stays is left behind.
async fn clean_up(api: &Api, id: &str, runs: &mut [Running]) {
    let created: Vec<String> = runs.iter().filter(|r| r.created.is_some()).map(|r| r.name.clone()).collect();
    let names: Vec<&str> = created.iter().map(String::as_str).collect();
    let deleted = api.delete_jobs(&names).await;
    for (name, result) in created.iter().zip(deleted) {
        if let Err(e) = result
            && let Some(r) = runs.iter_mut().find(|r| &r.name == name)
        {
            r.left_behind.push(format!("Job {name}: {}", e.reason));
        }
    }
    let until = Instant::now() + CLEANUP;
    loop {
        let remaining = api.remaining(id).await;
        let done = matches!(&remaining, Ok(left) if left.is_empty());
        if done || Instant::now() >= until {
            match remaining {
                Ok(left) => {
                    for (kind, name, job) in left {
                        if let Some(r) = runs.iter_mut().find(|r| r.name == job) {
                            r.left_behind
                                .push(format!("{kind} {name}: still there {} s after its deletion", CLEANUP.as_secs()));
                        }
                    }
                }
                Err(e) => {
                    for r in runs.iter_mut().filter(|r| r.created.is_some()) {
                        r.left_behind
                            .push(format!("Job {}: its deletion could not be confirmed: {}", r.name, e.reason));
                    }
                }
            }
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn finished(r: Running, namespace: &str, o: &Options) -> ClusterSmokeRun {
    ClusterSmokeRun {
        runtime_class: r.target.runtime_class,
        handler: r.target.handler,
        node: r.target.node,
        namespace: namespace.to_string(),
        job: r.name,
        pod: r.seen.pod,
        image: o.smoke.image().to_string(),
        nonce: r.nonce,
        outcome: r.outcome.unwrap_or(ClusterSmokeOutcome::Interrupted),
        log: r.log,
        status: r.seen.status,
        events: r.seen.events,
        millis: r.millis,
        left_behind: r.left_behind,
    }
}
