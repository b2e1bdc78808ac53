//! What several node planners share: reading a file to edit, attaching the restart that makes
//! containerd read the edits, and editing runtimes where they are declared (in the template of a
//! distribution that regenerates the file, by lines: toml_edit cannot read Go templates).

use super::{FileEdit, Plan, PlanError, PlanInput, restart};
use crate::facts::{Distribution, FileState, NodeFacts, Runtime};
use crate::rules::containerd_config::parse;

/// Attach the restart that makes containerd read the edits, or say how to do it by hand.
pub(super) fn with_restart(mut plan: Plan, input: &PlanInput, node: &NodeFacts) -> Plan {
    match restart::plan(node, input.policy.restart.as_ref(), input.host_is_root) {
        Ok(step) => plan.restart = Some(step),
        Err(manual) => {
            let note = format!("then {manual} (until then WD207 reports the change as pending)");
            plan.instructions = Some(match plan.instructions.take() {
                Some(i) => format!("{i}\n{note}"),
                None => note,
            });
        }
    }
    plan
}

/// Whether k3s's base template renders this runtime itself: a name k3s detects, whose binary it
/// finds (crun on `$PATH`, a shim where k3s looks). A template that extends the base must not
/// declare it again: a second table of the same name stops containerd.
pub(super) fn k3s_renders(node: &NodeFacts, name: &str) -> bool {
    crate::rules::distribution::K3S_DETECTED.contains(&name)
        && if name == "crun" {
            node.crun.iter().any(|b| b.origins.contains(&crate::facts::CrunOrigin::Path))
        } else {
            node.installed_shims.iter().any(|s| s.name == name)
        }
}

pub(super) fn read_file(input: &PlanInput, path: &str) -> Result<(bool, String), PlanError> {
    match (input.read)(path) {
        Ok(text) => Ok((true, text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((false, String::new())),
        Err(source) => Err(PlanError::Read { path: path.into(), source }),
    }
}

/// One edit per runtime, accumulated per file. A runtime in a file the distribution regenerates is
/// edited in its template when the template declares it (by lines: toml_edit cannot read Go
/// templates); otherwise the base template renders that table itself, so the plan says how to
/// declare it by hand.
#[allow(clippy::too_many_arguments)]
pub(super) fn runtime_edits(
    input: &PlanInput,
    node: &NodeFacts,
    id: &str,
    summary: &str,
    wanted: &str,
    targets: &[&Runtime],
    edit: &dyn Fn(&str, &Runtime) -> Result<String, String>,
    template_edit: &dyn Fn(&str, &Runtime) -> Result<String, String>,
) -> Result<Option<Plan>, PlanError> {
    let config = &node.containerd_config;
    if targets.is_empty() {
        return Ok(None);
    }
    let regenerated = config.distribution != Distribution::Containerd;
    let template = config.template.as_ref().filter(|t| t.state == FileState::Parsed);
    let in_template = |r: &Runtime| template.filter(|t| t.runtimes.iter().any(|x| x.name == r.name));
    if regenerated && targets.iter().any(|r| r.file == config.main_path && in_template(r).is_none()) {
        return Ok(Some(Plan::manual(
            id,
            summary,
            format!(
                "{} regenerates `{}`: declare the runtime with {wanted} in `{}` (after `{{{{ template \"base\" . }}}}`, or in a full copy of the rendered file when the base template renders that runtime itself), then restart {}",
                config.distribution.name(),
                config.main_path,
                config.edit_path,
                config.distribution.name()
            ),
        )));
    }
    let mut edits: Vec<FileEdit> = Vec::new();
    for r in targets {
        let (path, is_template) = match in_template(r).filter(|_| regenerated && r.file == config.main_path) {
            Some(t) => (t.path.clone(), true),
            None => (r.file.clone(), false),
        };
        let pos = edits.iter().position(|e| e.path == path);
        let current = match pos {
            Some(i) => edits[i].after.clone(),
            None => read_file(input, &path)?.1,
        };
        let after = if is_template { template_edit(&current, r) } else { edit(&current, r) }
            .map_err(|message| PlanError::Parse { path: path.clone(), message })?;
        if is_template {
            parse(&path, &after, true).map_err(|m| PlanError::Parse { path: path.clone(), message: m.message })?;
        }
        match pos {
            Some(i) => edits[i].after = after,
            None => edits.push(FileEdit { path, exists: true, before: current, after }),
        }
    }
    Ok(Some(with_restart(Plan { edits, ..Plan::empty(id, summary) }, input, node)))
}
