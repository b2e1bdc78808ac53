//! Fixes: planned from facts (what file changes, shown as a diff) before anything changes, then
//! applied by `apply` (backup, atomic replace, journal) and undone by `undo`.
//!
//! This version plans WD204 automatically (add the Wasm annotations to a crun runtime's
//! `pod_annotations`); every other check's plan is its manual instructions.

pub mod apply;
pub mod toml_edit;

use crate::checks::CHECKS;
use crate::facts::{ContainerdConfig, Distribution, Facts, Route, Runtime};

/// Checks whose fix this version plans and applies (`wasmdoctor fix ID`).
pub const AUTOMATIC: &[&str] = &["WD204", "WD208"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applicability {
    /// The edit is mechanical; applied after the plan is shown and confirmed (or `--yes`).
    NeedsConfirmation,
    /// Printed, never executed.
    ManualOnly,
}

/// One file's change: the exact bytes before (compared again at apply time) and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEdit {
    /// As the node sees it.
    pub path: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub id: String,
    pub applicability: Applicability,
    pub summary: String,
    pub edits: Vec<FileEdit>,
    /// What to do by hand (manual plans), or what remains after the edit (a restart).
    pub instructions: Option<String>,
}

impl Plan {
    pub fn is_noop(&self) -> bool {
        self.applicability == Applicability::NeedsConfirmation && self.edits.iter().all(|e| e.before == e.after)
    }

    /// The plan as a user reads it: summary, then a unified diff per file.
    pub fn render(&self) -> String {
        let kind = match self.applicability {
            Applicability::NeedsConfirmation => "automatic, needs confirmation",
            Applicability::ManualOnly => "manual only",
        };
        let mut s = format!("{} ({kind}): {}\n", self.id, self.summary);
        for e in &self.edits {
            if e.before == e.after {
                s += &format!("  {}: already as wanted, nothing to change\n", e.path);
                continue;
            }
            s += &similar::udiff::unified_diff(
                similar::Algorithm::Myers,
                &e.before,
                &e.after,
                3,
                Some((&format!("a{}", e.path), &format!("b{}", e.path))),
            );
        }
        if let Some(i) = &self.instructions {
            s += &format!("{i}\n");
        }
        s
    }
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
    #[error("writing `{path}` failed ({source}); the original is in place")]
    Write { path: String, source: std::io::Error },
    #[error("no change recorded in {0}: nothing to undo")]
    NothingToUndo(String),
    #[error("the journal {path} is unreadable: {message}")]
    Journal { path: String, message: String },
}

/// The plan for one check, from the facts and the files as they are now (`read` reads a node path).
pub fn plan(id: &str, facts: &Facts, read: &dyn Fn(&str) -> std::io::Result<String>) -> Result<Plan, FixError> {
    let id = id.to_ascii_uppercase();
    let Some(check) = CHECKS.iter().find(|c| c.id == id) else {
        return Err(FixError::UnknownId(id));
    };
    let automatic = match check.id {
        "WD204" => plan_pod_annotations(facts, read)?,
        "WD208" => plan_systemd_cgroup(facts, read)?,
        _ => None,
    };
    if let Some(p) = automatic {
        return Ok(p);
    }
    let entry = crate::catalog::entry(check.id);
    Ok(Plan {
        id: check.id.to_string(),
        applicability: Applicability::ManualOnly,
        summary: entry.map(|e| e.title.clone()).unwrap_or_default(),
        edits: Vec::new(),
        instructions: Some(format!(
            "no automatic fix for {} in this version; by hand:\n{}",
            check.id,
            entry.map(|e| e.fix.trim().to_string()).unwrap_or_default()
        )),
    })
}

/// WD204: add `module.wasm.image/variant` and `run.oci.handler` to the `pod_annotations` of every
/// crun-route runtime that lacks them, in the file that declares it.
fn plan_pod_annotations(
    facts: &Facts,
    read: &dyn Fn(&str) -> std::io::Result<String>,
) -> Result<Option<Plan>, FixError> {
    let Some(node) = facts.node.collected() else { return Ok(None) };
    let wanted = crate::checks::crun_wasm_annotations();
    let targets: Vec<&Runtime> = node
        .containerd_config
        .active_runtimes()
        .filter(|r| r.route == Route::Crun)
        .filter(|r| {
            let base = r.binary_name.as_deref().and_then(|b| b.rsplit('/').next()).unwrap_or("");
            !base.starts_with("crun-")
        })
        .collect();
    plan_runtime_edits(
        "WD204",
        "add `module.wasm.image/variant` and `run.oci.handler` to the crun runtime's `pod_annotations`",
        "`pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]`",
        &node.containerd_config,
        &targets,
        read,
        &|text, r| toml_edit::add_pod_annotations(text, &r.plugin_id, &r.name, wanted),
    )
}

/// WD208: set `SystemdCgroup` of every Wasm runtime to the kubelet's cgroup driver.
fn plan_systemd_cgroup(
    facts: &Facts,
    read: &dyn Fn(&str) -> std::io::Result<String>,
) -> Result<Option<Plan>, FixError> {
    let Some(node) = facts.node.collected() else { return Ok(None) };
    let Some(kubelet) = node.kubelet.collected() else { return Ok(None) };
    let systemd = kubelet.cgroup_driver == "systemd";
    let targets: Vec<&Runtime> = node
        .containerd_config
        .active_runtimes()
        .filter(|r| r.route != Route::Other && r.systemd_cgroup.unwrap_or(false) != systemd)
        .collect();
    plan_runtime_edits(
        "WD208",
        &format!(
            "set `SystemdCgroup = {systemd}` on the Wasm runtimes, as the kubelet's `{}` driver ({})",
            kubelet.cgroup_driver, kubelet.source
        ),
        &format!("`SystemdCgroup = {systemd}` under its `options`"),
        &node.containerd_config,
        &targets,
        read,
        &|text, r| toml_edit::set_systemd_cgroup(text, &r.plugin_id, &r.name, systemd),
    )
}

/// One edit per runtime, accumulated per file; a runtime in a file the distribution regenerates
/// gets manual instructions for its template instead.
fn plan_runtime_edits(
    id: &str,
    summary: &str,
    wanted: &str,
    config: &ContainerdConfig,
    targets: &[&Runtime],
    read: &dyn Fn(&str) -> std::io::Result<String>,
    edit: &dyn Fn(&str, &Runtime) -> Result<String, String>,
) -> Result<Option<Plan>, FixError> {
    if targets.is_empty() {
        return Ok(None);
    }
    let regenerated = config.distribution != Distribution::Containerd;
    if regenerated && targets.iter().any(|r| r.file == config.main_path) {
        return Ok(Some(Plan {
            id: id.into(),
            applicability: Applicability::ManualOnly,
            summary: summary.into(),
            edits: Vec::new(),
            instructions: Some(format!(
                "{} regenerates `{}`: declare the runtime with {wanted} in `{}` (after `{{{{ template \"base\" . }}}}`), then restart {}",
                config.distribution.name(),
                config.main_path,
                config.edit_path,
                config.distribution.name()
            )),
        }));
    }
    let mut edits: Vec<FileEdit> = Vec::new();
    for r in targets {
        let pos = edits.iter().position(|e| e.path == r.file);
        let current = match pos {
            Some(i) => edits[i].after.clone(),
            None => read(&r.file).map_err(|source| FixError::Read { path: r.file.clone(), source })?,
        };
        let after = edit(&current, r).map_err(|message| FixError::Parse { path: r.file.clone(), message })?;
        match pos {
            Some(i) => edits[i].after = after,
            None => edits.push(FileEdit { path: r.file.clone(), before: current, after }),
        }
    }
    Ok(Some(Plan {
        id: id.into(),
        applicability: Applicability::NeedsConfirmation,
        summary: summary.into(),
        edits,
        instructions: Some(
            "then restart containerd to load it (until then WD207 reports the change as pending)".into(),
        ),
    }))
}
