//! WD204's fix: add `module.wasm.image/variant` and `run.oci.handler` to the `pod_annotations` of
//! each crun runtime the check found dropping them, in the file that declares it.

use super::runtime_edits::runtime_edits;
use super::{Finding, Plan, PlanError, PlanInput, edit};
use crate::facts::Runtime;
use crate::rules::wasm::WASM_ANNOTATIONS;

pub fn plan(input: &PlanInput, finding: &Finding) -> Result<Option<Plan>, PlanError> {
    let Some(node) = input.facts.node.collected() else { return Ok(None) };
    let targets: Vec<&Runtime> = finding.runtimes().collect();
    runtime_edits(
        input,
        node,
        "WD204",
        "add `module.wasm.image/variant` and `run.oci.handler` to the crun runtime's `pod_annotations`",
        "`pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]`",
        &targets,
        &|text, r| edit::add_pod_annotations(text, &r.plugin_id, &r.name, WASM_ANNOTATIONS),
        &|text, r| {
            let mut all: Vec<String> = r.pod_annotations.clone().unwrap_or_default();
            for w in WASM_ANNOTATIONS {
                if !all.iter().any(|a| a == w) {
                    all.push(w.to_string());
                }
            }
            let array: toml_edit::Array = all.iter().map(String::as_str).collect();
            edit::set_in_template(text, &r.plugin_id, &r.name, None, "pod_annotations", &array.to_string())
        },
    )
}
