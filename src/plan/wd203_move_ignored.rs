//! WD203's fix: rename the plugin id of the runtime tables the check found ignored to the one their
//! file's version reads (only header lines change).

use super::runtime_edits::{read_file, with_restart};
use super::{FileEdit, Finding, Plan, PlanError, PlanInput, edit};
use crate::facts::{FileState, RuntimeStatus};
use crate::report::Status;
use crate::rules::containerd::{PLUGIN_V1_SHORT, PLUGIN_V2, plugin_for};
use crate::rules::containerd_config::parse;

pub fn plan(input: &PlanInput, finding: &Finding) -> Result<Option<Plan>, PlanError> {
    let Some(node) = input.facts.node.collected() else { return Ok(None) };
    if finding.runtimes().next().is_none() {
        // The check fails without ignored tables only for a `version = 3` file on containerd 1.x.
        return Ok((finding.result.status == Status::Fail).then(|| {
            Plan::manual(
                "WD203",
                "a `version = 3` file on containerd 1.x",
                format!(
                    "containerd 1.x cannot load `version = 3`: rewrite the file as `version = 2` with `{PLUGIN_V2}` tables, or upgrade containerd to 2.x"
                ),
            )
        }));
    }
    let c = &node.containerd_config;
    let files = c.files.iter().chain(c.template.iter()).filter(|f| f.state == FileState::Parsed);
    let mut edits = Vec::new();
    let mut moved = Vec::new();
    for f in files {
        let ignored: Vec<_> = finding.runtimes().filter(|r| r.file == f.path).collect();
        if ignored.is_empty() {
            continue;
        }
        let to = match plugin_for(f.effective_version()) {
            PLUGIN_V1_SHORT => PLUGIN_V2,
            p => p,
        };
        let (_, before) = read_file(input, &f.path)?;
        let mut after = before.clone();
        for r in &ignored {
            after = edit::rename_runtime_plugin(&after, &r.plugin_id, to, &r.name)
                .map_err(|message| PlanError::Parse { path: f.path.clone(), message })?;
            moved.push(format!("`{}` ({}) from `{}` to `{to}`", r.name, r.location(), r.plugin_id));
        }
        let is_template = c.template.as_ref().is_some_and(|t| t.path == f.path);
        let parsed = parse(&f.path, &after, is_template)
            .map_err(|m| PlanError::Parse { path: f.path.clone(), message: m.message })?;
        if let Some(r) = parsed.runtimes.iter().find(|r| matches!(r.status, RuntimeStatus::Ignored { .. })) {
            return Err(PlanError::Parse {
                path: f.path.clone(),
                message: format!("`{}` would still be ignored after the move; move it by hand", r.name),
            });
        }
        edits.push(FileEdit { path: f.path.clone(), exists: true, before, after });
    }
    if edits.is_empty() {
        return Ok(None);
    }
    let plan = Plan { edits, ..Plan::empty("WD203", format!("move {}", moved.join(", "))) };
    Ok(Some(with_restart(plan, input, node)))
}
