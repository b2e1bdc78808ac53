//! WD208's fix: set `SystemdCgroup` of each Wasm runtime the check found on the other driver to the
//! kubelet's cgroup driver.

use super::runtime_edits::runtime_edits;
use super::{Finding, Plan, PlanError, PlanInput, edit};
use crate::facts::Runtime;

pub fn plan(input: &PlanInput, finding: &Finding) -> Result<Option<Plan>, PlanError> {
    let Some(node) = input.facts.node.collected() else { return Ok(None) };
    let Some(kubelet) = node.kubelet.collected() else { return Ok(None) };
    let systemd = kubelet.cgroup_driver == "systemd";
    let targets: Vec<&Runtime> = finding.runtimes().collect();
    runtime_edits(
        input,
        node,
        "WD208",
        &format!(
            "set `SystemdCgroup = {systemd}` on the Wasm runtimes, as the kubelet's `{}` driver ({})",
            kubelet.cgroup_driver, kubelet.source
        ),
        &format!("`SystemdCgroup = {systemd}` under its `options`"),
        &targets,
        &|text, r| edit::set_systemd_cgroup(text, &r.plugin_id, &r.name, systemd),
        &|text, r| {
            edit::set_in_template(text, &r.plugin_id, &r.name, Some("options"), "SystemdCgroup", &systemd.to_string())
        },
    )
}
