//! Fixes carried out. A `Session` plans the fix of each chosen check (its registered planner, from
//! the check's finding), asks the API server to dry-run the plan's objects, takes the user's
//! consent, and executes it (`execute`): file edits (backup, atomic replace, journal), the restart
//! with verification and rollback, server-side apply; then the check runs again on fresh facts. The
//! CLI's `wasmdoctor fix` and the TUI's `f` share it.

pub mod api;
pub mod apply;
pub mod execute;
pub mod journal;
pub mod restart;
pub mod session;

use crate::engine::{self, Evaluated};
use crate::facts::{Fact, SourceKind};
use crate::plan::{Finding, Plan, PlanError, PlanInput};
use crate::registry::{self, Check};
use crate::report::Status;

#[derive(Debug, thiserror::Error)]
pub enum FixError {
    #[error("`{0}` is not a wasmdoctor check ID")]
    UnknownId(String),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("cannot read `{path}`: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("`{path}` changed since the plan was made; nothing was written (run the fix again)")]
    ChangedSincePlan { path: String },
    #[error("cannot write in `{dir}` ({reason}); nothing was written")]
    NotWritable { dir: String, reason: String },
    #[error("writing `{path}` failed ({source}); the original is in place")]
    Write { path: String, source: std::io::Error },
    #[error(
        "writing `{path}` failed ({source}), and what this fix had already changed could not all be put back ({detail}); the journal keeps the change: `wasmdoctor undo` restores it"
    )]
    Incomplete { path: String, source: std::io::Error, detail: String },
    #[error(
        "`{path}` was changed after wasmdoctor wrote it; nothing was restored (`wasmdoctor undo --force` restores it anyway, losing that change):\n{diff}"
    )]
    ChangedSinceFix { path: String, diff: String },
    #[error("the API objects could not be reverted ({message}); the change stays in the journal")]
    Revert { message: String },
    #[error(
        "{changed}; nothing was reverted and the change stays in the journal (`wasmdoctor undo --force` reverts it anyway, losing that change)"
    )]
    ObjectsChangedSinceFix { changed: String },
    #[error("no change recorded in {0}: nothing to undo")]
    NothingToUndo(String),
    #[error("the journal {path} is unreadable ({message}); nothing was changed: repair it or move it aside")]
    Journal { path: String, message: String },
    #[error(
        "the journal cannot be written (`{path}`: {message}); nothing was changed, since `wasmdoctor undo` would not know of it"
    )]
    JournalWrite { path: String, message: String },
    #[error("another fix holds the lock of this host root ({holder}); waited {waited} s, nothing was changed")]
    Locked { holder: String, waited: u64 },
    #[error("cannot take the fix lock of this host root ({message}); nothing was changed")]
    LockUnavailable { message: String },
}

/// The plan for one check on these facts: its planner's, from the check's finding, or the
/// catalog's steps by hand with the reason no automatic change fits.
pub fn plan(id: &str, input: &PlanInput) -> Result<Plan, FixError> {
    let check = registry::find(id).ok_or_else(|| FixError::UnknownId(id.to_ascii_uppercase()))?;
    let evaluated = engine::evaluate_check(check, input.facts, input.policy, &crate::rules::time::today());
    plan_finding(check, &evaluated, input)
}

/// The plan for a check's evaluated finding. Planners see only findings (fail, warn, error); a
/// check that passed or was skipped gets the manual steps and why.
pub fn plan_finding(check: &Check, evaluated: &Evaluated, input: &PlanInput) -> Result<Plan, FixError> {
    let finding = Finding { result: &evaluated.result, subjects: &evaluated.subjects };
    let is_finding = matches!(evaluated.result.status, Status::Fail | Status::Warn | Status::Error);
    if let Some(planner) = check.fix.filter(|_| is_finding)
        && let Some(plan) = planner(input, &finding)?
    {
        return Ok(plan);
    }
    let entry = crate::catalog::entry(check.id);
    let how = entry.map(|e| crate::catalog::reflow(&e.fix).join("\n")).unwrap_or_default();
    let unavailable = |source: SourceKind| match input.facts.missing(source) {
        Some(m) => format!("no automatic fix from here: the {} facts are not available ({})", source.name(), m.reason),
        None => String::new(),
    };
    let why = if check.fix.is_none() {
        "no automatic fix exists for this check".to_string()
    } else if let Fact::Unavailable(_) = &input.facts.node {
        unavailable(SourceKind::Node)
    } else if check.run.needs().contains(&SourceKind::Cluster) && input.facts.cluster.collected().is_none() {
        unavailable(SourceKind::Cluster)
    } else {
        "no automatic change fits this finding (the plan needs something installed or a decision only you can make)"
            .to_string()
    };
    Ok(Plan::manual(check.id, entry.map(|e| e.title.clone()).unwrap_or_default(), format!("{why}; by hand:\n{how}")))
}
