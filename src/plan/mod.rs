//! Fix plans, made purely: from a check's finding (its result and what it is about), the facts,
//! and the node's files as they are (through `PlanInput::read`): what file changes, as a diff;
//! what API object is applied; which service restarts. `fix` shows, confirms and carries them out.
//! One planner per check with an automatic fix, named in its registry line.

pub mod edit;
pub mod restart;
mod runtime_edits;
pub mod wd202_declare_runtime;
pub mod wd203_move_ignored;
pub mod wd204_pod_annotations;
pub mod wd205_into_template;
pub mod wd207_restart;
pub mod wd208_systemd_cgroup;
pub mod wd213_extend_base;
pub mod wd301_runtime_classes;
pub mod wd304_annotate_owners;
pub mod wd307_scaled_object;

use crate::checks::Subject;
use crate::facts::{Facts, Runtime};
use crate::policy::Policy;
use crate::report::CheckResult;
use restart::RestartStep;

/// A check's planner: the plan for its finding, or `None` when no automatic change fits (the
/// caller then prints the catalog's manual fix).
pub type Planner = fn(&PlanInput, &Finding) -> Result<Option<Plan>, PlanError>;

/// What a planner may look at: the facts, the policy, and the node's files as they are now.
pub struct PlanInput<'a> {
    pub facts: &'a Facts,
    pub policy: &'a Policy,
    /// `--host-root /`: wasmdoctor runs on the node itself, so it may run `systemctl`.
    pub host_is_root: bool,
    /// Reads a node path (under the host root).
    pub read: &'a dyn Fn(&str) -> std::io::Result<String>,
}

/// The finding a plan fixes: the check's result and what it is about.
pub struct Finding<'a> {
    pub result: &'a CheckResult,
    pub subjects: &'a [Subject],
}

impl Finding<'_> {
    /// The runtimes the finding is about.
    pub fn runtimes(&self) -> impl Iterator<Item = &Runtime> {
        self.subjects.iter().filter_map(|s| match s {
            Subject::Runtime(r) => Some(r.as_ref()),
            Subject::RuntimeClass(_) => None,
        })
    }

    /// The RuntimeClasses the finding says should exist.
    pub fn runtime_classes(&self) -> impl Iterator<Item = &str> {
        self.subjects.iter().filter_map(|s| match s {
            Subject::RuntimeClass(name) => Some(name.as_str()),
            Subject::Runtime(_) => None,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("cannot read `{path}`: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("`{path}` is not TOML that can be edited: {message}")]
    Parse { path: String, message: String },
}

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

/// Where wasmdoctor keeps its journal, the originals of the files it changed and copies of what it
/// wrote: under the host root, where no containerd `imports` glob reads them.
pub const STATE_DIR: &str = "/var/lib/wasmdoctor";

/// A content-addressed place under `STATE_DIR` for these bytes of this node file
/// (`/var/lib/wasmdoctor/backups/3f2a…/etc/containerd/config.toml`): known when the plan is made,
/// never overwritten with other bytes.
pub fn stored_copy(kind: &str, bytes: &str, node_path: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes.as_bytes());
    let id: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!(
        "{STATE_DIR}/{kind}/{id}{}",
        if node_path.starts_with('/') { node_path.to_string() } else { format!("/{node_path}") }
    )
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

    /// Where the original is kept (`None` when the edit creates the file).
    pub fn backup(&self) -> Option<String> {
        self.exists.then(|| stored_copy("backups", &self.before, &self.path))
    }

    /// Where a copy of what the fix writes is kept (`undo` compares the file with it).
    pub fn written(&self) -> String {
        stored_copy("written", &self.after, &self.path)
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
    /// A plan of steps to take by hand.
    pub fn manual(id: &str, summary: impl Into<String>, instructions: impl Into<String>) -> Plan {
        Plan { instructions: Some(instructions.into()), ..Plan::empty(id, summary) }
    }

    /// A plan with nothing in it yet.
    fn empty(id: &str, summary: impl Into<String>) -> Plan {
        Plan {
            id: id.into(),
            summary: summary.into(),
            edits: Vec::new(),
            objects: Vec::new(),
            dry_run: Vec::new(),
            restart: None,
            instructions: None,
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
            if let Some(backup) = e.backup() {
                s += &format!("  the original is kept as `{backup}` (`wasmdoctor undo` restores it)\n");
            }
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
