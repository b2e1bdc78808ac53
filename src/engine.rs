//! The engine: run the selected checks over the facts, apply suppressions, and build the `Report`.

use crate::catalog;
use crate::checks::{CHECKS, Check, Ctx};
use crate::facts::{Fact, Facts, MissingKind};
use crate::policy::Policy;
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

pub fn evaluate(facts: &Facts, policy: &Policy, selection: &Selection, today: &str) -> Report {
    let checks: Vec<CheckResult> =
        CHECKS.iter().filter(|c| selection.includes(c.id)).map(|c| evaluate_check(c, facts, policy, today)).collect();
    report(facts, checks)
}

/// One check's result, with its catalog metadata and any suppression applied.
pub fn evaluate_check(c: &Check, facts: &Facts, policy: &Policy, today: &str) -> CheckResult {
    let ctx = Ctx { facts, policy };
    let node = facts.node_name.as_deref();
    let entry = catalog::entry(c.id);
    let mut outcome = (c.run)(&ctx);
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
    if let Some(f) = fix.as_mut().filter(|_| crate::fix::AUTOMATIC.contains(&c.id)) {
        f.automatic = true;
        f.command = Some(format!("wasmdoctor fix {}", c.id));
    }
    CheckResult {
        id: c.id.to_string(),
        slug: c.slug.to_string(),
        category: entry.map(|e| e.category).unwrap_or(crate::report::Category::Node),
        title: entry.map(|e| e.title.clone()).unwrap_or_else(|| c.slug.to_string()),
        status: outcome.status,
        message: outcome.message,
        evidence: outcome.evidence,
        affected: outcome.affected,
        fix,
        docs: entry.map(|e| e.docs()).unwrap_or_default(),
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
    let cluster = facts
        .cluster
        .collected()
        .map(|c| crate::report::ClusterTarget { context: c.context.clone(), server: c.server.clone() });
    Report {
        schema_version: crate::report::REPORT_SCHEMA_VERSION,
        tool: Tool { name: "wasmdoctor".into(), version: env!("CARGO_PKG_VERSION").into() },
        started_at: facts.collected_at.clone(),
        duration_ms: facts.collect_ms,
        target: Target { host_root: facts.host_root.clone(), node: facts.node_name.clone(), cluster },
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
