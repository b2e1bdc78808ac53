//! Fixes: planned purely from facts and the files as they are (what file changes, as a diff; what
//! API object is applied; which service restarts), shown, confirmed, then carried out by `execute`
//! (backup, atomic replace, journal, restart with verification and rollback; server-side apply).

pub mod apply;
pub mod cluster;
pub mod execute;
pub mod node;
pub mod restart;
pub mod toml_edit;

use crate::checks::CHECKS;
use crate::facts::Facts;
use crate::policy::Policy;
use restart::RestartStep;

/// Checks whose fix wasmdoctor plans and carries out (when the facts allow it).
pub const AUTOMATIC: &[&str] =
    &["WD202", "WD203", "WD204", "WD205", "WD207", "WD208", "WD301", "WD303", "WD304", "WD307"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applicability {
    /// File edits only: applied after the plan is shown and approved, undone by `wasmdoctor undo`.
    Automatic,
    /// Restarts a service or writes to the cluster: approved explicitly (typing the service's name
    /// in the TUI; `--yes` approves the whole plan).
    NeedsConfirmation,
    /// Printed, never executed.
    ManualOnly,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Automatic => "automatic",
            Applicability::NeedsConfirmation => "automatic, needs confirmation",
            Applicability::ManualOnly => "manual only",
        }
    }
}

/// One file's change: the exact bytes before (compared again at apply time) and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEdit {
    /// As the node sees it.
    pub path: String,
    /// False when the edit creates the file (a drop-in, a template); it must still be absent then.
    pub exists: bool,
    pub before: String,
    pub after: String,
}

impl FileEdit {
    pub fn changes(&self) -> bool {
        !self.exists || self.before != self.after
    }
}

/// An object written by server-side apply (field manager `wasmdoctor`), dry-run on the server first.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiObject {
    pub api_version: String,
    pub kind: String,
    /// The resource's URL name (`runtimeclasses`).
    pub plural: String,
    pub namespace: Option<String>,
    pub name: String,
    /// The apply configuration: only the fields wasmdoctor sets.
    pub body: serde_json::Value,
}

impl ApiObject {
    pub fn shown(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub id: String,
    pub summary: String,
    pub edits: Vec<FileEdit>,
    pub objects: Vec<ApiObject>,
    /// The server's answer to the dry-run of each object, filled in before the plan is shown.
    pub dry_run: Vec<Result<(), String>>,
    /// After the edits: the service that must restart for containerd to read them.
    pub restart: Option<RestartStep>,
    /// What to do by hand (manual plans), or what remains after the automatic part.
    pub instructions: Option<String>,
}

impl Plan {
    fn manual(id: &str, summary: impl Into<String>, instructions: impl Into<String>) -> Plan {
        Plan {
            id: id.into(),
            summary: summary.into(),
            edits: Vec::new(),
            objects: Vec::new(),
            dry_run: Vec::new(),
            restart: None,
            instructions: Some(instructions.into()),
        }
    }

    pub fn applicability(&self) -> Applicability {
        if self.edits.is_empty() && self.objects.is_empty() && self.restart.is_none() {
            Applicability::ManualOnly
        } else if self.restart.is_some() || !self.objects.is_empty() {
            Applicability::NeedsConfirmation
        } else {
            Applicability::Automatic
        }
    }

    /// Nothing to write and nothing to restart: the wanted state is already there.
    pub fn is_noop(&self) -> bool {
        self.applicability() != Applicability::ManualOnly
            && !self.edits.iter().any(FileEdit::changes)
            && self.objects.is_empty()
            && (self.restart.is_none() || !self.edits.is_empty())
    }

    /// The plan as a user reads it: summary, a unified diff per file, each object with the server's
    /// dry-run answer, the restart command.
    pub fn render(&self) -> String {
        let mut s = format!("{} ({}): {}\n", self.id, self.applicability().as_str(), self.summary);
        for e in &self.edits {
            if !e.changes() {
                s += &format!("  {}: already as wanted, nothing to change\n", e.path);
                continue;
            }
            let from = if e.exists { format!("a{}", e.path) } else { "/dev/null".into() };
            if !e.exists {
                s += &format!("  creates `{}`\n", e.path);
            }
            s += &similar::udiff::unified_diff(
                similar::Algorithm::Myers,
                &e.before,
                &e.after,
                3,
                Some((&from, &format!("b{}", e.path))),
            );
        }
        for (i, o) in self.objects.iter().enumerate() {
            let answer = match self.dry_run.get(i) {
                Some(Ok(())) => "server dry-run: accepted".to_string(),
                Some(Err(e)) => format!("server dry-run: REFUSED: {e}"),
                None => "server dry-run: not run".to_string(),
            };
            let body = serde_json::to_string_pretty(&o.body).unwrap_or_default();
            s += &format!(
                "  server-side apply (field manager `wasmdoctor`) of {} — {answer}\n{}\n",
                o.shown(),
                indent(&body, "    ")
            );
        }
        if let Some(r) = &self.restart {
            s += &format!(
                "  then restart `{}`: `{}` ({}), wait for containerd's socket and check that the runtimes it loaded equal the file; if not, restore the backup and restart again\n",
                r.service,
                r.shown(),
                r.source
            );
        }
        if let Some(i) = &self.instructions {
            s += &format!("{i}\n");
        }
        s
    }
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}")).collect::<Vec<_>>().join("\n")
}

#[derive(Debug, thiserror::Error)]
pub enum FixError {
    #[error("`{0}` is not a wasmdoctor check ID")]
    UnknownId(String),
    #[error("cannot read `{path}`: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("`{path}` is not TOML that can be edited: {message}")]
    Parse { path: String, message: String },
    #[error("`{path}` changed since the plan was made; nothing was written (run the fix again)")]
    ChangedSincePlan { path: String },
    #[error("`{path}` leads outside the host root (to `{target}`); refusing to write there")]
    OutsideRoot { path: String, target: String },
    #[error("cannot write in `{dir}` ({reason}); nothing was written")]
    NotWritable { dir: String, reason: String },
    #[error("writing `{path}` failed ({source}); the original is in place")]
    Write { path: String, source: std::io::Error },
    #[error("the API objects could not be reverted ({message}); the change stays in the journal")]
    Revert { message: String },
    #[error("no change recorded in {0}: nothing to undo")]
    NothingToUndo(String),
    #[error("the journal {path} is unreadable: {message}")]
    Journal { path: String, message: String },
}

/// What a planner may look at: the facts, the policy, and the node's files as they are now.
pub struct PlanInput<'a> {
    pub facts: &'a Facts,
    pub policy: &'a Policy,
    /// `--host-root /`: wasmdoctor runs on the node itself, so it may run `systemctl`.
    pub host_is_root: bool,
    /// Reads a node path (under the host root).
    pub read: &'a dyn Fn(&str) -> std::io::Result<String>,
}

/// The plan for one check.
pub fn plan(id: &str, input: &PlanInput) -> Result<Plan, FixError> {
    let id = id.to_ascii_uppercase();
    let Some(check) = CHECKS.iter().find(|c| c.id == id) else {
        return Err(FixError::UnknownId(id));
    };
    let planned = match check.id {
        "WD202" => node::add_runtime(input)?,
        "WD203" => node::move_ignored(input)?,
        "WD204" => node::pod_annotations(input)?,
        "WD205" => node::into_template(input)?,
        "WD207" => node::restart_only(input),
        "WD208" => node::systemd_cgroup(input)?,
        "WD301" | "WD303" => cluster::runtime_classes(check.id, input),
        "WD304" => cluster::annotate_owners(input),
        "WD307" => cluster::scaled_objects(input),
        _ => None,
    };
    if let Some(p) = planned {
        return Ok(p);
    }
    let entry = crate::catalog::entry(check.id);
    let how = entry.map(|e| crate::catalog::reflow(&e.fix).join("\n")).unwrap_or_default();
    let unavailable =
        |name: &str, m: &crate::facts::Missing| format!("the {name} facts are not available ({})", m.reason);
    let why = if !AUTOMATIC.contains(&check.id) {
        "no automatic fix exists for this check".to_string()
    } else if let crate::facts::Fact::Unavailable(m) = &input.facts.node {
        format!("no automatic fix from here: {}", unavailable("node", m))
    } else if let (true, crate::facts::Fact::Unavailable(m)) =
        (check.needs.contains(&crate::collect::SourceKind::Cluster), &input.facts.cluster)
    {
        format!("no automatic fix from here: {}", unavailable("cluster", m))
    } else {
        "no automatic change fits this finding (the plan needs something installed or a decision only you can make)"
            .to_string()
    };
    Ok(Plan::manual(check.id, entry.map(|e| e.title.clone()).unwrap_or_default(), format!("{why}; by hand:\n{how}")))
}
