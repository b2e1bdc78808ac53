//! WD207's fix: containerd runs an older config than its file; the fix is the restart alone.

use super::runtime_edits::with_restart;
use super::{Finding, Plan, PlanError, PlanInput};

pub fn plan(input: &PlanInput, _: &Finding) -> Result<Option<Plan>, PlanError> {
    let Some(node) = input.facts.node.collected() else { return Ok(None) };
    let summary = format!("restart containerd so that it reads `{}`", node.containerd_config.main_path);
    Ok(Some(with_restart(Plan::empty("WD207", summary), input, node)))
}
