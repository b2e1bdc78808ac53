//! The engine: run the selected checks over the facts, each only when the sources it needs were
//! collected (`checks::gate` says what a missing one means), apply suppressions, and build the
//! `Report`.

use crate::catalog;
use crate::checks::{Ctx, Outcome, Subject, gate};
use crate::facts::{Fact, Facts, MissingKind, SourceKind};
use crate::policy::Policy;
use crate::registry::{CHECKS, Check, Run};
use crate::report::{CheckResult, Report, Source, SourceState, Status, Summary, Target, Tool};

/// Which checks run (`--only`, `--skip`); IDs are validated against the catalog by the CLI.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub only: Vec<String>,
    pub skip: Vec<String>,
}

impl Selection {
    pub fn includes(&self, id: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|o| o == id)) && !self.skip.iter().any(|s| s == id)
    }
}

/// A check's result, and what its finding is about (for the fix that changes exactly that).
#[derive(Debug, Clone)]
pub struct Evaluated {
    pub result: CheckResult,
    pub subjects: Vec<Subject>,
}

pub fn evaluate(facts: &Facts, policy: &Policy, selection: &Selection, today: &str) -> Report {
    let checks: Vec<CheckResult> = CHECKS
        .iter()
        .filter(|c| selection.includes(c.id))
        .map(|c| evaluate_check(c, facts, policy, today).result)
        .collect();
    report(facts, checks)
}

/// One check's result, with its catalog metadata and any suppression applied.
pub fn evaluate_check(c: &Check, facts: &Facts, policy: &Policy, today: &str) -> Evaluated {
    let ctx = Ctx { facts, policy };
    let node = facts.node_name.as_deref();
    let entry = catalog::entry(c.id);
    let mut outcome = run(&c.run, &ctx).unwrap_or_else(|skipped| skipped);
    let objects: Vec<String> = outcome
        .affected
        .iter()
        .map(|a| match &a.namespace {
            Some(ns) => format!("{ns}/{}", a.name),
            None => a.name.clone(),
        })
        .collect();
    if let Some(s) = policy.suppression_for(c.id, node, &objects, today) {
        outcome.message = format!("suppressed: {} (was {}: {})", s.reason, outcome.status.as_str(), outcome.message);
        outcome.status = Status::Skip;
    }
    let mut fix = if matches!(outcome.status, Status::Pass | Status::Skip) { None } else { outcome.fix };
    // Checks wasmdoctor can plan a fix for name the command; its plan says when the facts leave
    // only manual steps (nothing installed to route to, a regenerated file, …).
    if let Some(f) = fix.as_mut().filter(|_| c.fix.is_some()) {
        f.automatic = true;
        f.command = Some(format!("wasmdoctor fix {}", c.id));
    }
    // The runtime tables a finding is about, where their files declare them (`file:line`: SARIF's
    // locations, and where the user looks).
    let mut evidence = outcome.evidence;
    if !matches!(outcome.status, Status::Pass | Status::Skip) {
        for s in &outcome.subjects {
            if let crate::checks::Subject::Runtime(r) = s
                && !evidence.iter().any(|e| e.source == r.location())
            {
                let value = format!("runtime `{}` (under `{}`)", r.name, r.plugin_id);
                evidence.push(crate::report::Evidence { source: r.location(), value });
            }
        }
    }
    let result = CheckResult {
        id: c.id.to_string(),
        slug: c.slug.to_string(),
        category: entry.map(|e| e.category).unwrap_or(crate::report::Category::Node),
        title: entry.map(|e| e.title.clone()).unwrap_or_else(|| c.slug.to_string()),
        status: outcome.status,
        message: outcome.message,
        evidence,
        affected: outcome.affected,
        fix,
        docs: entry.map(|e| e.docs()).unwrap_or_default(),
    };
    Evaluated { result, subjects: outcome.subjects }
}

/// The check on the facts it needs, or (as `Err`) what their absence means for it.
// The `Err` is an outcome, not an error type.
#[allow(clippy::result_large_err)]
fn run(run: &Run, ctx: &Ctx) -> Result<Outcome, Outcome> {
    let f = ctx.facts;
    Ok(match run {
        Run::Node(check) => check(ctx, needed(&f.node, SourceKind::Node, f)?),
        Run::LiveNode(check) => {
            let node = needed(&f.node, SourceKind::Node, f)?;
            if !f.live {
                return Err(Outcome::skip(format!(
                    "reads the running machine (its /run and processes), and the host root is not it: {}",
                    f.live_because
                )));
            }
            check(ctx, node)
        }
        Run::NodeAndDaemon(check) => {
            let node = needed(&f.node, SourceKind::Node, f)?;
            check(ctx, node, needed(&f.containerd, SourceKind::Containerd, f)?)
        }
        Run::Cluster(check) => check(ctx, needed(&f.cluster, SourceKind::Cluster, f)?),
        Run::Docker(check) => check(ctx, needed(&f.docker, SourceKind::Docker, f)?),
        Run::Health(_, check) => check(ctx),
    })
}

#[allow(clippy::result_large_err)]
fn needed<'a, T>(fact: &'a Fact<T>, source: SourceKind, facts: &Facts) -> Result<&'a T, Outcome> {
    match fact {
        Fact::Collected(v) => Ok(v),
        Fact::Unavailable(m) => Err(gate::source_missing(source, m, facts.live)),
    }
}

/// The report of these results over these facts.
pub fn report(facts: &Facts, checks: Vec<CheckResult>) -> Report {
    let sources = vec![
        source("node", &facts.node),
        source("containerd", &facts.containerd),
        source("docker", &facts.docker),
        source("cluster", &facts.cluster),
    ];
    let cluster = facts.cluster.collected().map(|c| crate::report::ClusterTarget {
        context: c.context.clone(),
        server: c.server.clone(),
        insecure_skip_tls_verify: c.insecure_tls,
    });
    Report {
        schema_version: crate::report::REPORT_SCHEMA_VERSION,
        tool: Tool { name: "wasmdoctor".into(), version: env!("CARGO_PKG_VERSION").into() },
        started_at: facts.collected_at.clone(),
        duration_ms: facts.collect_ms,
        target: Target {
            host_root: facts.host_root.clone(),
            node: facts.node_name.clone(),
            node_unknown: facts.node_name_unknown.clone(),
            live: facts.live,
            live_because: facts.live_because.clone(),
            cluster,
        },
        sources,
        summary: Summary::of(&checks),
        checks,
    }
}

fn source<T>(name: &str, fact: &Fact<T>) -> Source {
    match fact {
        Fact::Collected(_) => Source { name: name.into(), status: SourceState::Ok, reason: None },
        Fact::Unavailable(m) if m.kind == MissingKind::NotRequested => {
            Source { name: name.into(), status: SourceState::Skipped, reason: Some(m.reason.clone()) }
        }
        Fact::Unavailable(m) => {
            Source { name: name.into(), status: SourceState::Unavailable, reason: Some(m.reason.clone()) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{CRUN_RUNTIME_V2, config, facts, node};

    #[test]
    fn a_check_runs_only_on_the_sources_it_needs() {
        let mut f = facts(node(config(CRUN_RUNTIME_V2)));
        f.containerd = Fact::unavailable(
            MissingKind::Timeout,
            "/run/containerd/containerd.sock accepted the connection but did not answer in time",
        );
        let wd207 = CHECKS.iter().find(|c| c.id == "WD207").expect("WD207 is registered");
        let r = evaluate_check(wd207, &f, &Policy::default(), "2026-11-24").result;
        assert_eq!(r.status, Status::Skip);
        assert!(r.message.starts_with("containerd does not answer (see WD206): "), "{}", r.message);
        f.node = Fact::unavailable(MissingKind::NotRequested, "`--no-node` was given");
        let r = evaluate_check(wd207, &f, &Policy::default(), "2026-11-24").result;
        assert_eq!(r.message, "node source not available: `--no-node` was given", "the node is gated first");
    }
}
