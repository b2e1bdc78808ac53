//! WD213's fix: replace a frozen copy of the generated config with a template that renders k3s's
//! base and then only what the copy adds to it (the Wasm runtimes appended after the copy, as
//! KWasm's installer appends them). Runtimes k3s's base renders itself (detected shims) are not
//! declared again. When the additions are not the copy's tail, which lines are the user's cannot
//! be told with certainty: the plan is manual.

use super::runtime_edits::{k3s_renders, read_file, with_restart};
use super::{FileEdit, Finding, Plan, PlanError, PlanInput, edit};
use crate::facts::Route;
use crate::rules::containerd_config::parse;

pub fn plan(input: &PlanInput, finding: &Finding) -> Result<Option<Plan>, PlanError> {
    let Some(node) = input.facts.node.collected() else { return Ok(None) };
    let c = &node.containerd_config;
    let Some(t) = &c.template else { return Ok(None) };
    let (exists, before) = read_file(input, &t.path)?;
    if !exists {
        return Ok(None);
    }
    let manual = |why: String| {
        Ok(Some(Plan::manual(
            "WD213",
            "make the template extend k3s's base",
            format!(
                "{why}; write `{}` as `{{{{ template \"base\" . }}}}` followed by only the tables you added (your Wasm runtimes), then restart {}",
                t.path,
                c.distribution.name()
            ),
        )))
    };
    // The copy's additions: its Wasm runtimes' tables, in file order.
    let mut blocks = Vec::new();
    for r in finding.runtimes().filter(|r| matches!(r.route, Route::Shim | Route::Crun)) {
        let Some(block) = edit::runtime_block(&before, &r.plugin_id, &r.name) else {
            return manual(format!("the tables of `{}` are not written as `[…runtimes.{}]` headers", r.name, r.name));
        };
        // Declared twice (k3s generated one table, the installer appended another): containerd
        // refuses such a file, and which one is the user's is not for wasmdoctor to guess.
        let headers = block.lines().filter(|l| l.trim_start().starts_with('[') && !l.contains(".options")).count();
        if headers > 1 {
            return manual(format!(
                "`{}` is declared {headers} times in `{}` (k3s generated one table, an installer appended another); containerd refuses a config that declares a table twice",
                r.name, t.path
            ));
        }
        let at = before.find(block.lines().next().unwrap_or_default()).unwrap_or(usize::MAX);
        blocks.push((at, r.name.clone(), block));
    }
    blocks.sort_by_key(|(at, _, _)| *at);
    let Some(first) = blocks.first().map(|(at, _, _)| *at).filter(|at| *at != usize::MAX) else {
        return manual("the copy declares no Wasm runtime of its own".into());
    };
    // Certain only when they are the copy's tail: nothing of the generated file after them.
    let mut tail = before[first..].to_string();
    for (_, _, block) in &blocks {
        tail = tail.replacen(block.as_str(), "", 1);
    }
    if tail.lines().any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')) {
        return manual(format!(
            "other settings sit between or after the Wasm runtimes in `{}`, so which lines you added cannot be told apart from what k3s generated",
            t.path
        ));
    }
    let (kept, rendered): (Vec<_>, Vec<_>) = blocks.iter().partition(|(_, name, _)| !k3s_renders(node, name));
    let mut after = String::from("{{ template \"base\" . }}\n");
    for (_, _, block) in &kept {
        after.push('\n');
        after.push_str(block);
    }
    parse(&t.path, &after, true).map_err(|m| PlanError::Parse { path: t.path.clone(), message: m.message })?;
    let names =
        |v: &[&(usize, String, String)]| v.iter().map(|(_, n, _)| format!("`{n}`")).collect::<Vec<_>>().join(", ");
    let mut summary = format!(
        "rewrite `{}` as `{{{{ template \"base\" . }}}}` and the runtimes it adds ({}): {} then renders its own settings for each release",
        t.path,
        if kept.is_empty() { "none".to_string() } else { names(&kept) },
        c.distribution.name()
    );
    if !rendered.is_empty() {
        summary += &format!(
            "; {} not declared again ({} renders them itself from the shims it finds)",
            names(&rendered),
            c.distribution.name()
        );
    }
    let plan =
        Plan { edits: vec![FileEdit { path: t.path.clone(), exists, before, after }], ..Plan::empty("WD213", summary) };
    Ok(Some(with_restart(plan, input, node)))
}
