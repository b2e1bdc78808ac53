//! WD205's fix: move the Wasm runtimes the check found in a file the distribution regenerates into
//! the file it renders from (the k3s/RKE2/MicroK8s template, a k0s drop-in).

use super::runtime_edits::{k3s_renders, read_file, with_restart};
use super::{FileEdit, Finding, Plan, PlanError, PlanInput, edit};
use crate::facts::{Distribution, Runtime};
use crate::rules::containerd_config::parse;

pub fn plan(input: &PlanInput, finding: &Finding) -> Result<Option<Plan>, PlanError> {
    let Some(node) = input.facts.node.collected() else { return Ok(None) };
    let c = &node.containerd_config;
    let edited: Vec<&Runtime> = finding.runtimes().collect();
    if edited.is_empty() {
        return Ok(None);
    }
    let (_, rendered) = read_file(input, &c.main_path)?;
    let (exists, before) = read_file(input, &c.edit_path)?;
    let names: Vec<String> = edited.iter().map(|r| format!("`{}`", r.name)).collect();
    let k3s_like = matches!(c.distribution, Distribution::K3s | Distribution::Rke2);
    // The base template renders the runtimes k3s detects on its `$PATH` (crun, wasmedge, …) itself:
    // a second table of the same name would stop containerd, so such an edit needs a full copy of
    // the rendered file instead of a template extending base.
    let detected = |name: &str| k3s_renders(node, name);
    let base_renders_it = edited.iter().any(|r| detected(&r.name));
    let (after, how) = if !exists && k3s_like && base_renders_it {
        let body: String = rendered.lines().filter(|l| !l.contains("DO NOT EDIT")).map(|l| format!("{l}\n")).collect();
        (
            format!("# Copied from {} by wasmdoctor (fix WD205).\n{body}", c.main_path),
            format!(
                "a copy of the rendered file: {} renders {} itself from `{{{{ template \"base\" . }}}}`, so extending base would declare it twice; from now on {} no longer updates the rest of this file itself",
                c.distribution.name(),
                names.join(", "),
                c.distribution.name()
            ),
        )
    } else {
        let mut blocks = String::new();
        for r in &edited {
            let block = edit::runtime_block(&rendered, &r.plugin_id, &r.name).ok_or_else(|| PlanError::Parse {
                path: c.main_path.clone(),
                message: format!("the tables of `{}` are not written as `[…runtimes.{}]` headers", r.name, r.name),
            })?;
            blocks += &block;
        }
        match (exists, k3s_like) {
            (true, _) => (edit::append(&before, &blocks), format!("appended to `{}`", c.edit_path)),
            (false, true) => (
                format!("{{{{ template \"base\" . }}}}\n\n{blocks}"),
                "a template extending the distribution's base template".to_string(),
            ),
            (false, false) if c.distribution == Distribution::K0s => {
                // k0s merges the CRI sections of its `containerd.d/*.toml` drop-ins into the file it writes.
                let version = c.main_file().map(|m| m.effective_version()).unwrap_or(2);
                (format!("version = {version}\n\n{blocks}"), format!("a drop-in k0s merges into `{}`", c.main_path))
            }
            (false, false) => {
                return Ok(Some(Plan::manual(
                    "WD205",
                    "move the Wasm edits into the template",
                    format!("`{}` is missing: restore it, then add {} to it", c.edit_path, names.join(", ")),
                )));
            }
        }
    };
    parse(&c.edit_path, &after, true)
        .map_err(|m| PlanError::Parse { path: c.edit_path.clone(), message: m.message })?;
    let summary = format!(
        "move {} from `{}` (regenerated at every start) into `{}`: {how}",
        names.join(", "),
        c.main_path,
        c.edit_path
    );
    let plan = Plan {
        edits: vec![FileEdit { path: c.edit_path.clone(), exists, before, after }],
        ..Plan::empty("WD205", summary)
    };
    Ok(Some(with_restart(plan, input, node)))
}
