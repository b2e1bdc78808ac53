//! Carrying out an approved plan: file edits (backup, atomic replace, journal), the restart with
//! its verification (containerd answers again and has loaded what the file says; otherwise the
//! backups go back and the service restarts again), server-side apply of API objects (dry-run
//! first, all of them before any real write), then the check re-runs on fresh facts.

use std::time::{Duration, Instant, SystemTime};

use super::apply;
use super::journal::{AppliedObject, ChangeSet};
use super::{api, restart};
use crate::collect::{self, CollectOptions, host::HostRoot};
use crate::engine;
use crate::facts::{Fact, MissingKind};
use crate::plan::Plan;
use crate::plan::restart::RestartStep;
use crate::policy::Policy;
use crate::report::{CheckResult, Status};

/// How long containerd gets to answer again after a restart.
pub const SOCKET_WAIT: Duration = Duration::from_secs(60);

pub struct Executor<'a> {
    pub opts: &'a CollectOptions,
    pub policy: &'a Policy,
    pub host: HostRoot,
}

/// What approval the user gave for this plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Approval {
    /// Run the plan's restart; otherwise it is left pending and said so.
    pub restart: bool,
}

/// How a plan ended. `ok` is false when anything was refused, failed or rolled back.
#[derive(Debug, Clone)]
pub struct Executed {
    pub ok: bool,
    pub recheck: Option<CheckResult>,
}

impl<'a> Executor<'a> {
    pub fn new(opts: &'a CollectOptions, policy: &'a Policy) -> Executor<'a> {
        Executor { opts, policy, host: HostRoot::new(&opts.host_root) }
    }

    /// Ask the server to dry-run each object (before the plan is shown); answers go into the plan.
    pub fn dry_run(&self, plan: &mut Plan) {
        if plan.objects.is_empty() {
            return;
        }
        let answers = api::server_apply(self.opts, &plan.objects, true);
        plan.dry_run = answers.into_iter().map(|r| r.map(drop)).collect();
    }

    /// Carry out `plan`; `say` receives each step as it happens (printed by the CLI, shown by the TUI).
    pub fn execute(&self, plan: &Plan, approval: Approval, say: &mut dyn FnMut(String)) -> Executed {
        let failed = Executed { ok: false, recheck: None };
        self.execute_all(&[plan], approval, say).pop().unwrap_or(failed)
    }

    /// Carry out several approved plans, in order, with one restart at the end for all of their
    /// edits (containerd restarts once, and a rollback restores every file the plans changed).
    /// Each plan must have been made on top of the ones before it (see `PlanInput::read`).
    pub fn execute_all(&self, plans: &[&Plan], approval: Approval, say: &mut dyn FnMut(String)) -> Vec<Executed> {
        let mut applied: Vec<Option<ChangeSet>> = Vec::new();
        for plan in plans {
            applied.push(self.apply_one(plan, say));
        }
        let sets: Vec<&ChangeSet> = applied.iter().flatten().collect();
        let restart = plans.iter().zip(&applied).find_map(|(p, a)| a.as_ref().and(p.restart.as_ref()));
        let mut restarted_ok = true;
        match (restart, approval.restart) {
            (Some(step), true) => restarted_ok = self.restart_verified(step, &sets, say),
            (Some(step), false) => say(format!(
                "restart not approved: `{}` is left to you; until then containerd runs the old config (WD207 reports it)",
                step.shown()
            )),
            (None, _) => {}
        }
        let rechecks = self.recheck_all(plans, &applied);
        let mut outcomes = Vec::new();
        for ((plan, set), recheck) in plans.iter().zip(&applied).zip(rechecks) {
            let rolled_back = !restarted_ok && plan.restart.is_some();
            if let Some(c) = recheck.as_ref().filter(|_| set.is_some() && !rolled_back) {
                say(format!("{} now: {}: {}", plan.id, c.status.as_str(), c.message));
            }
            let ok = set.is_some() && !rolled_back && recheck.as_ref().is_some_and(|c| c.status == Status::Pass);
            outcomes.push(Executed { ok, recheck });
        }
        outcomes
    }

    /// The plan's file edits and API objects; `None` when it was refused or failed (said why).
    fn apply_one(&self, plan: &Plan, say: &mut dyn FnMut(String)) -> Option<ChangeSet> {
        if let Some(Err(e)) = plan.dry_run.iter().find(|r| r.is_err()) {
            say(format!("{}: not applied: the server refused the dry-run ({e}); nothing was changed", plan.id));
            return None;
        }
        let set = match apply::apply(plan, &self.host, SystemTime::now()) {
            Ok(set) => set,
            Err(e) => {
                say(format!("{}: not applied: {e}", plan.id));
                return None;
            }
        };
        for f in &set.files {
            match &f.backup {
                Some(b) => say(format!("changed `{}` (backup `{b}`; `wasmdoctor undo` restores it)", f.path)),
                None => say(format!("created `{}` (`wasmdoctor undo` removes it)", f.path)),
            }
        }
        if !plan.objects.is_empty() && !self.apply_objects(plan, say) {
            return None;
        }
        Some(set)
    }

    /// The checks of the applied plans again, on one fresh collection.
    fn recheck_all(&self, plans: &[&Plan], applied: &[Option<ChangeSet>]) -> Vec<Option<CheckResult>> {
        if applied.iter().all(Option::is_none) {
            return plans.iter().map(|_| None).collect();
        }
        let facts = collect::collect(self.opts);
        plans.iter().map(|p| self.evaluate(&p.id, &facts)).collect()
    }

    /// Every object for real, after every dry-run succeeded and each object's existence is known
    /// (for `undo`); the first refusal stops the rest. What was applied is journaled.
    fn apply_objects(&self, plan: &Plan, say: &mut dyn FnMut(String)) -> bool {
        let objects = &plan.objects;
        let dry = api::server_apply(self.opts, objects, true);
        if let Some((o, Err(e))) = objects.iter().zip(&dry).find(|(_, r)| r.is_err()) {
            say(format!("not applied: the server refused the dry-run of {} ({e}); nothing was changed", o.shown()));
            return false;
        }
        let mut existed = Vec::new();
        for (o, r) in objects.iter().zip(api::versions(self.opts, objects)) {
            match r {
                Ok(v) => existed.push(v.is_some()),
                Err(e) => {
                    say(format!(
                        "not applied: cannot read {} to record it for `undo` ({e}); nothing was changed",
                        o.shown()
                    ));
                    return false;
                }
            }
        }
        // Journaled before the first write, as a file change is.
        let mut set = ChangeSet {
            check: plan.id.clone(),
            at: crate::rules::time::rfc3339(SystemTime::now()),
            files: Vec::new(),
            objects: objects
                .iter()
                .zip(&existed)
                .map(|(o, existed)| AppliedObject {
                    api_version: o.api_version.clone(),
                    kind: o.kind.clone(),
                    plural: o.plural.clone(),
                    namespace: o.namespace.clone(),
                    name: o.name.clone(),
                    created: !existed,
                    resource_version: None,
                    generation: None,
                })
                .collect(),
        };
        if let Err(e) = apply::journal_objects(&self.host, set.clone()) {
            say(format!("not applied: {e}"));
            return false;
        }
        let intended = set.clone();
        let mut ok = true;
        let mut applied = 0;
        for (o, r) in objects.iter().zip(api::server_apply(self.opts, objects, false)) {
            match r {
                Ok(version) => {
                    say(format!("applied {} (field manager `wasmdoctor`)", o.shown()));
                    set.objects[applied].resource_version = version.resource_version;
                    set.objects[applied].generation = version.generation;
                    applied += 1;
                }
                Err(e) => {
                    say(format!("applying {} failed: {e}", o.shown()));
                    ok = false;
                    break;
                }
            }
        }
        set.objects.truncate(applied);
        // The journal now says what was applied, with the versions `undo` compares.
        let recorded = apply::forget(&self.host, &intended).and_then(|()| {
            if set.objects.is_empty() { Ok(()) } else { apply::journal_objects(&self.host, set.clone()) }
        });
        match recorded {
            Ok(()) if !set.objects.is_empty() => say("`wasmdoctor undo` reverts it".into()),
            Ok(()) => {}
            Err(e) => say(format!(
                "the journal could not be updated ({e}); its entry for {} stays as it was written before the change, and `wasmdoctor undo` reverts it without comparing versions",
                plan.id
            )),
        }
        ok
    }

    /// Restart, wait for containerd, compare what it loaded with the file (WD207). On any failure:
    /// restore this change set's backups, restart again, and say how that went.
    fn restart_verified(&self, step: &RestartStep, sets: &[&ChangeSet], say: &mut dyn FnMut(String)) -> bool {
        say(format!("restarting `{}`: `{}`", step.service, step.shown()));
        let problem = match restart::run(step) {
            Err(e) => Some(format!("the restart failed: {e}")),
            Ok(()) => match self.wait_for_containerd() {
                Err(e) => Some(e),
                Ok(drift) if drift.status == Status::Pass => {
                    say(format!("containerd is back and loaded the file: {}", drift.message));
                    None
                }
                Ok(drift) => Some(format!("containerd came back but does not run the file: {}", drift.message)),
            },
        };
        let Some(problem) = problem else { return true };
        say(problem);
        let files: Vec<String> = sets.iter().flat_map(|s| s.files.iter().map(|f| format!("`{}`", f.path))).collect();
        if files.is_empty() {
            return false;
        }
        // Newest first, so that a file two plans changed ends as it was before both.
        for set in sets.iter().rev() {
            if let Err(e) = apply::restore(&self.host, set, false).and_then(|()| apply::forget(&self.host, set)) {
                say(format!("NOT ROLLED BACK, the journal keeps the change: {e}"));
                return false;
            }
        }
        say(format!(
            "rolled back: restored {} from the backup{}",
            files.join(", "),
            if files.len() == 1 { "" } else { "s" }
        ));
        say(format!("restarting `{}` again with the restored config", step.service));
        match restart::run(step).and_then(|()| self.wait_for_containerd()) {
            Ok(d) => say(format!("containerd is back on the restored config ({}: {})", d.status.as_str(), d.message)),
            Err(e) => {
                say(format!("the second restart did not bring containerd back either: {e}; check `{}`", step.service))
            }
        }
        false
    }

    /// Poll until containerd answers CRI Status, then evaluate WD207 on fresh facts. A containerd
    /// that answers but has no CRI plugin (it refused the plugin's config) fails after a few polls.
    fn wait_for_containerd(&self) -> Result<CheckResult, String> {
        let opts = CollectOptions { docker: false, cluster: false, ..self.opts.clone() };
        let deadline = Instant::now() + SOCKET_WAIT;
        let mut without_cri = 0;
        loop {
            let facts = collect::collect(&opts);
            let why = match &facts.containerd {
                Fact::Unavailable(m) => m.reason.clone(),
                Fact::Collected(c) => match &c.cri {
                    Fact::Collected(_) => {
                        return self.evaluate("WD207", &facts).ok_or_else(|| "WD207 did not run".to_string());
                    }
                    Fact::Unavailable(m) if m.kind == MissingKind::NotFound => {
                        without_cri += 1;
                        if without_cri >= 5 {
                            return Err(format!("containerd is back without its CRI plugin: {}", m.reason));
                        }
                        m.reason.clone()
                    }
                    Fact::Unavailable(m) => m.reason.clone(),
                },
            };
            if Instant::now() >= deadline {
                return Err(format!("containerd did not answer within {}s: {why}", SOCKET_WAIT.as_secs()));
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    fn evaluate(&self, id: &str, facts: &crate::facts::Facts) -> Option<CheckResult> {
        let selection = engine::Selection { only: vec![id.to_string()], skip: vec![] };
        engine::evaluate(facts, self.policy, &selection, &crate::rules::time::today()).checks.into_iter().next()
    }
}
