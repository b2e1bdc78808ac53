//! Carrying out an approved plan: file edits (backup, atomic replace, journal), the restart with
//! its verification (containerd answers again and has loaded what the file says; otherwise the
//! backups go back and the service restarts again), server-side apply of API objects (dry-run
//! first, all of them before any real write), then the check re-runs on fresh facts.

use std::time::{Duration, Instant, SystemTime};

use super::apply::{self, AppliedObject, ChangeSet};
use super::{Plan, restart};
use crate::collect::{self, CollectOptions, host::HostRoot};
use crate::engine;
use crate::facts::{Fact, MissingKind};
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
pub struct Outcome {
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
        let answers = super::cluster::server_apply(self.opts, &plan.objects, true);
        plan.dry_run = answers;
    }

    /// Carry out `plan`; `say` receives each step as it happens (printed by the CLI, shown by the TUI).
    pub fn execute(&self, plan: &Plan, approval: Approval, say: &mut dyn FnMut(String)) -> Outcome {
        let failed = Outcome { ok: false, recheck: None };
        if let Some(Err(e)) = plan.dry_run.iter().find(|r| r.is_err()) {
            say(format!("not applied: the server refused the dry-run ({e}); nothing was changed"));
            return failed;
        }
        let set = match apply::apply(plan, &self.host, SystemTime::now()) {
            Ok(set) => set,
            Err(e) => {
                say(format!("not applied: {e}"));
                return failed;
            }
        };
        for f in &set.files {
            match &f.backup {
                Some(b) => say(format!("changed `{}` (backup `{b}`; `wasmdoctor undo` restores it)", f.path)),
                None => say(format!("created `{}` (`wasmdoctor undo` removes it)", f.path)),
            }
        }
        if !plan.objects.is_empty() && !self.apply_objects(plan, say) {
            return failed;
        }
        let mut ok = true;
        match (&plan.restart, approval.restart) {
            (Some(step), true) => ok = self.restart_verified(step, &set, say),
            (Some(step), false) => say(format!(
                "restart not approved: `{}` is left to you; until then containerd runs the old config (WD207 reports it)",
                step.shown()
            )),
            (None, _) => {}
        }
        if !ok {
            return failed;
        }
        let recheck = self.recheck(&plan.id);
        if let Some(c) = &recheck {
            say(format!("{} now: {}: {}", plan.id, c.status.as_str(), c.message));
        }
        Outcome { ok: recheck.as_ref().is_some_and(|c| c.status == Status::Pass), recheck }
    }

    /// Every object for real, after every dry-run succeeded and each object's existence is known
    /// (for `undo`); the first refusal stops the rest. What was applied is journaled.
    fn apply_objects(&self, plan: &Plan, say: &mut dyn FnMut(String)) -> bool {
        let objects = &plan.objects;
        let dry = super::cluster::server_apply(self.opts, objects, true);
        if let Some((o, Err(e))) = objects.iter().zip(&dry).find(|(_, r)| r.is_err()) {
            say(format!("not applied: the server refused the dry-run of {} ({e}); nothing was changed", o.shown()));
            return false;
        }
        let mut existed = Vec::new();
        for (o, r) in objects.iter().zip(super::cluster::exists(self.opts, objects)) {
            match r {
                Ok(e) => existed.push(e),
                Err(e) => {
                    say(format!(
                        "not applied: cannot read {} to record it for `undo` ({e}); nothing was changed",
                        o.shown()
                    ));
                    return false;
                }
            }
        }
        let mut set = ChangeSet {
            check: plan.id.clone(),
            at: crate::collect::rfc3339(SystemTime::now()),
            files: Vec::new(),
            objects: Vec::new(),
        };
        let mut ok = true;
        for ((o, r), existed) in
            objects.iter().zip(super::cluster::server_apply(self.opts, objects, false)).zip(existed)
        {
            match r {
                Ok(()) => {
                    say(format!("applied {} (field manager `wasmdoctor`)", o.shown()));
                    set.objects.push(AppliedObject {
                        api_version: o.api_version.clone(),
                        kind: o.kind.clone(),
                        plural: o.plural.clone(),
                        namespace: o.namespace.clone(),
                        name: o.name.clone(),
                        created: !existed,
                    });
                }
                Err(e) => {
                    say(format!("applying {} failed: {e}", o.shown()));
                    ok = false;
                    break;
                }
            }
        }
        if !set.objects.is_empty() {
            match apply::journal_objects(&self.host, set) {
                Ok(()) => say("`wasmdoctor undo` reverts it".into()),
                Err(e) => say(format!("could not journal the change ({e}); `wasmdoctor undo` will not know it")),
            }
        }
        ok
    }

    /// Restart, wait for containerd, compare what it loaded with the file (WD207). On any failure:
    /// restore this change set's backups, restart again, and say how that went.
    fn restart_verified(&self, step: &restart::RestartStep, set: &ChangeSet, say: &mut dyn FnMut(String)) -> bool {
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
        if set.files.is_empty() {
            return false;
        }
        match apply::restore(&self.host, set) {
            Ok(()) => say(format!(
                "rolled back: restored {} from the backup{}",
                set.files.iter().map(|f| format!("`{}`", f.path)).collect::<Vec<_>>().join(", "),
                if set.files.len() == 1 { "" } else { "s" }
            )),
            Err(e) => {
                say(format!("ROLLBACK FAILED: {e}; restore the backups by hand"));
                return false;
            }
        }
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
        engine::evaluate(facts, self.policy, &selection, &collect::today()).checks.into_iter().next()
    }

    /// The check again, on facts collected after the change.
    pub fn recheck(&self, id: &str) -> Option<CheckResult> {
        self.evaluate(id, &collect::collect(self.opts))
    }
}
