//! One fix session, for the CLI and the TUI alike: the facts collected once; for each chosen check
//! its plan (made on top of the plans approved before it, with the API server's dry-run answers);
//! the user's approval of each plan and of the restart; then one execution of all of them, with one
//! restart, a re-check and the journal for `undo`.

use std::time::Duration;

use super::execute::{Approval, Executed, Executor};
use super::journal::Lock;
use super::{FixError, plan_finding};
use crate::collect::{self, CollectOptions, host::HostRoot};
use crate::engine;
use crate::facts::Facts;
use crate::plan::restart::RestartStep;
use crate::plan::{Plan, PlanInput};
use crate::policy::Policy;
use crate::registry;
use crate::report::Status;
use crate::rules::time::today;

pub struct Session {
    opts: CollectOptions,
    policy: Policy,
    facts: Facts,
    host: HostRoot,
    /// Plans the user approved, in order: later plans read the files as these leave them.
    approved: Vec<Plan>,
    /// The host root's fix lock, held from planning (CLI) or from applying (TUI) until the end.
    lock: Option<Lock>,
}

/// How long a second fix waits for the first one's lock before it refuses (10 s, or
/// `WASMDOCTOR_LOCK_WAIT` seconds).
pub fn lock_wait() -> Duration {
    let secs = std::env::var("WASMDOCTOR_LOCK_WAIT").ok().and_then(|s| s.parse::<u64>().ok()).unwrap_or(10);
    Duration::from_secs(secs)
}

/// What a check needs, as the session sees it.
pub enum Proposal {
    /// It passes, or does not apply here: the line that says so.
    NothingToFix(String),
    Plan(Plan),
}

impl Session {
    /// Take the host root's fix lock (when the session is to change anything), then collect the
    /// facts: what is planned is what no other fix changes meanwhile.
    pub fn start(opts: &CollectOptions, policy: &Policy, lock: bool) -> Result<Session, FixError> {
        let host = HostRoot::new(&opts.host_root);
        let lock = if lock { Some(Lock::acquire(&host, lock_wait())?) } else { None };
        Ok(Session { lock, ..Session::with_facts(opts, policy, collect::collect(opts)) })
    }

    /// A session over facts already collected (the TUI's).
    pub fn with_facts(opts: &CollectOptions, policy: &Policy, facts: Facts) -> Session {
        Session {
            opts: opts.clone(),
            policy: policy.clone(),
            facts,
            host: HostRoot::new(&opts.host_root),
            approved: Vec::new(),
            lock: None,
        }
    }

    /// The checks that fail or warn (`fix --all`), in display order.
    pub fn findings(&self) -> Vec<String> {
        let report = engine::evaluate(&self.facts, &self.policy, &Default::default(), &today());
        report.checks.into_iter().filter(|c| matches!(c.status, Status::Fail | Status::Warn)).map(|c| c.id).collect()
    }

    /// What to do about one check: nothing when it passes or does not apply here, else its plan.
    pub fn propose(&self, id: &str) -> Result<Proposal, FixError> {
        let check = registry::find(id).ok_or_else(|| FixError::UnknownId(id.to_ascii_uppercase()))?;
        let evaluated = engine::evaluate_check(check, &self.facts, &self.policy, &today());
        match evaluated.result.status {
            Status::Pass => Ok(Proposal::NothingToFix(format!("{}: passes already, nothing to fix", check.id))),
            Status::Skip => Ok(Proposal::NothingToFix(format!(
                "{}: skipped here ({}), nothing to fix",
                check.id, evaluated.result.message
            ))),
            _ => self.plan(id).map(Proposal::Plan),
        }
    }

    /// The plan for one check whatever its status, with the server's dry-run of its objects.
    pub fn plan(&self, id: &str) -> Result<Plan, FixError> {
        let check = registry::find(id).ok_or_else(|| FixError::UnknownId(id.to_ascii_uppercase()))?;
        let evaluated = engine::evaluate_check(check, &self.facts, &self.policy, &today());
        let read = |path: &str| self.read(path);
        let input =
            PlanInput { facts: &self.facts, policy: &self.policy, host_is_root: self.host.is_live(), read: &read };
        let mut plan = plan_finding(check, &evaluated, &input)?;
        self.executor().dry_run(&mut plan);
        Ok(plan)
    }

    /// A node file as the plans approved so far leave it.
    fn read(&self, path: &str) -> std::io::Result<String> {
        match self.approved.iter().flat_map(|p| &p.edits).rev().find(|e| e.path == path) {
            Some(e) => Ok(e.after.clone()),
            None => self.host.read_to_string(path),
        }
    }

    /// The user approved this plan (as shown): it is carried out by `execute`.
    pub fn approve(&mut self, plan: Plan) {
        self.approved.push(plan);
    }

    /// The restart the approved plans need (one for all of them), to ask about.
    pub fn restart(&self) -> Option<&RestartStep> {
        self.approved.iter().find_map(|p| p.restart.as_ref())
    }

    pub fn has_approved(&self) -> bool {
        !self.approved.is_empty()
    }

    /// Carry out every approved plan, with one restart for all their edits (when approved), and
    /// re-check; `say` receives each step as it happens.
    pub fn execute(&mut self, approval: Approval, say: &mut dyn FnMut(String)) -> Vec<Executed> {
        if self.lock.is_none() {
            match Lock::acquire(&self.host, lock_wait()) {
                Ok(lock) => self.lock = Some(lock),
                Err(e) => {
                    say(format!("not applied: {e}"));
                    return self.approved.iter().map(|_| Executed { ok: false, recheck: None }).collect();
                }
            }
        }
        let plans: Vec<&Plan> = self.approved.iter().collect();
        self.executor().execute_all(&plans, approval, say)
    }

    fn executor(&self) -> Executor<'_> {
        Executor::new(&self.opts, &self.policy)
    }
}
