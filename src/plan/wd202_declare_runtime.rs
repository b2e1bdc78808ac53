//! WD202's fix: declare a Wasm runtime: crun's route when a crun with a WASM handler is installed,
//! else a runwasi shim that containerd finds; named as the cluster's RuntimeClasses expect when
//! they do; in the file the distribution reads (its template, a drop-in of an imported directory on
//! containerd 2.x, else the main file).

use super::edit::{self, NewRuntime};
use super::runtime_edits::{read_file, with_restart};
use super::{FileEdit, Finding, Plan, PlanError, PlanInput};
use crate::facts::{
    ContainerdConfig, CrunBinary, Distribution, FileState, InstalledShim, NodeFacts, Route, RuntimeStatus,
};
use crate::rules::containerd::plugin_for;
use crate::rules::containerd_config::parse;
use crate::rules::distribution::is_known_shim;
use crate::rules::wasm::WASM_ANNOTATIONS;

/// The name of the drop-in wasmdoctor writes into an imported directory.
const DROP_IN: &str = "wasmdoctor-wasm.toml";

pub fn plan(input: &PlanInput, finding: &Finding) -> Result<Option<Plan>, PlanError> {
    let Some(node) = input.facts.node.collected() else { return Ok(None) };
    let c = &node.containerd_config;
    if finding.runtimes().next().is_some() {
        return Ok(Some(Plan::manual(
            "WD202",
            "containerd reads no Wasm runtime",
            "the Wasm runtimes are declared but containerd does not read them: `wasmdoctor fix WD203` moves them to the plugin path the file's version needs",
        )));
    }
    let Some((name, runtime)) = choose_runtime(input, node) else {
        return Ok(Some(Plan::manual(
            "WD202",
            "containerd has no Wasm runtime",
            "nothing on this node can run Wasm yet: install a crun built with `+WASM:wasmedge` or a runwasi shim (`containerd-shim-wasmedge-v1`, `containerd-shim-spin-v2`, …) where containerd looks (its `$PATH`), then run `wasmdoctor fix WD202` again",
        )));
    };
    let target = match target_file(input, c)? {
        Ok(t) => t,
        Err(manual) => return Ok(Some(Plan::manual("WD202", "containerd has no Wasm runtime", manual))),
    };
    let plugin = plugin_for(target.version);
    let mut table = String::new();
    // A file that declares runtimes replaces containerd's built-in map: without `runc` (the default
    // runtime), containerd 1.6 refuses to load its CRI plugin at all. Keep it declared.
    let has_runc = c.runtimes.iter().any(|r| r.name == "runc" && r.status == RuntimeStatus::Active);
    if !has_runc && !target.is_template {
        let runc = NewRuntime {
            runtime_type: "io.containerd.runc.v2".into(),
            binary_name: None,
            pod_annotations: Vec::new(),
            systemd_cgroup: runtime.systemd_cgroup,
        };
        table += &edit::runtime_table(plugin, "runc", &runc);
        table += "\n";
    }
    table += &edit::runtime_table(plugin, &name, &runtime);
    let after = match (target.exists, target.prefix) {
        (true, _) => edit::append(&target.before, &table),
        (false, prefix) => format!("{prefix}{table}"),
    };
    let parsed = parse(&target.path, &after, target.is_template)
        .map_err(|m| PlanError::Parse { path: target.path.clone(), message: m.message })?;
    if !parsed.runtimes.iter().any(|r| r.name == name && r.status == RuntimeStatus::Active && r.route != Route::Other) {
        return Err(PlanError::Parse {
            path: target.path.clone(),
            message: format!("the runtime `{name}` added at the end would not be read; add it by hand"),
        });
    }
    let route = match &runtime.binary_name {
        Some(b) => format!("crun `{b}` with the Wasm annotations"),
        None => format!("the shim `{}`", runtime.runtime_type),
    };
    let summary = format!(
        "declare the Wasm runtime `{name}` ({route}){}{}",
        target.why,
        if !has_runc && !target.is_template {
            ", with containerd's default runtime `runc` beside it (a file that declares runtimes replaces the built-in ones)"
        } else {
            ""
        }
    );
    let plan = Plan {
        edits: vec![FileEdit { path: target.path, exists: target.exists, before: target.before, after }],
        ..Plan::empty("WD202", summary)
    };
    Ok(Some(with_restart(plan, input, node)))
}

/// The handler name and runtime for a new Wasm runtime, from what is installed.
fn choose_runtime(input: &PlanInput, node: &NodeFacts) -> Option<(String, NewRuntime)> {
    let crun = node
        .crun
        .iter()
        .filter(|b| b.exists && b.executable)
        .find(|b| b.version.collected().is_some_and(|v| !v.wasm_handlers.is_empty()));
    let systemd_cgroup = node.kubelet.collected().map(|k| k.cgroup_driver == "systemd");
    let crun_runtime = |b: &CrunBinary| NewRuntime {
        runtime_type: "io.containerd.runc.v2".into(),
        binary_name: Some(b.path.clone()),
        pod_annotations: WASM_ANNOTATIONS.iter().map(|s| s.to_string()).collect(),
        systemd_cgroup,
    };
    let shim_runtime = |s: &InstalledShim| NewRuntime {
        runtime_type: s.runtime_type.clone(),
        binary_name: None,
        pod_annotations: Vec::new(),
        systemd_cgroup,
    };
    // Handlers that RuntimeClasses name and the node does not configure yet.
    let configured = &node.containerd_config.runtimes;
    let expected: Vec<String> = input
        .facts
        .cluster
        .collected()
        .and_then(|c| c.runtime_classes.collected())
        .map(|rcs| {
            rcs.iter().map(|rc| rc.handler.clone()).filter(|h| !configured.iter().any(|r| &r.name == h)).collect()
        })
        .unwrap_or_default();
    for h in &expected {
        if let Some(s) = node.installed_shims.iter().find(|s| &s.name == h) {
            return Some((h.clone(), shim_runtime(s)));
        }
        if let Some(b) = crun.filter(|_| !is_known_shim(h)) {
            return Some((h.clone(), crun_runtime(b)));
        }
    }
    if let Some(b) = crun {
        return Some(("crun".into(), crun_runtime(b)));
    }
    node.installed_shims.first().map(|s| (s.name.clone(), shim_runtime(s)))
}

struct TargetFile {
    path: String,
    exists: bool,
    before: String,
    version: i64,
    is_template: bool,
    /// What a created file starts with.
    prefix: String,
    /// Why this file, for the summary.
    why: String,
}

/// Where a new runtime belongs: the template of a distribution that regenerates its file, a drop-in
/// of an imported directory on containerd 2.x (which merges imports; 1.x would replace the whole
/// CRI section), else the main file (created when containerd runs on built-in defaults).
fn target_file(input: &PlanInput, c: &ContainerdConfig) -> Result<Result<TargetFile, String>, PlanError> {
    let main = c.main_file();
    let new_version = if c.containerd_major.is_some_and(|m| m >= 2) { 3 } else { 2 };
    match c.distribution {
        Distribution::K3s | Distribution::Rke2 | Distribution::Microk8s => {
            let (exists, before) = read_file(input, &c.edit_path)?;
            if !exists && c.distribution == Distribution::Microk8s {
                return Ok(Err(format!(
                    "MicroK8s' template `{}` is missing; reinstall or restore it first",
                    c.edit_path
                )));
            }
            let version = if exists {
                c.template.as_ref().map(|t| t.effective_version()).unwrap_or(2)
            } else if c.edit_path.contains("config-v3") {
                3
            } else {
                2
            };
            return Ok(Ok(TargetFile {
                path: c.edit_path.clone(),
                exists,
                before,
                version,
                is_template: true,
                prefix: "{{ template \"base\" . }}\n".into(),
                why: format!(" in `{}`, the template {} renders its config from", c.edit_path, c.distribution.name()),
            }));
        }
        Distribution::K0s | Distribution::Containerd => {}
    }
    let Some(main) = main else { return Ok(Err("no containerd config file was considered".into())) };
    match &main.state {
        FileState::Missing => {
            return Ok(Ok(TargetFile {
                path: main.path.clone(),
                exists: false,
                before: String::new(),
                version: new_version,
                is_template: false,
                prefix: format!("version = {new_version}\n\n"),
                why: format!(" in a new `{}` (containerd runs on built-in defaults without one)", main.path),
            }));
        }
        FileState::Parsed => {}
        _ => return Ok(Err(format!("`{}` cannot be read as TOML; see WD201 first", main.path))),
    }
    let merges = c.distribution == Distribution::K0s || c.containerd_major.is_some_and(|m| m >= 2);
    let glob_dir = main
        .imports
        .iter()
        .filter_map(|i| i.strip_suffix("/*.toml"))
        .find(|d| d.starts_with('/') && !d.contains(['*', '?', '[']));
    if let Some(dir) = glob_dir.filter(|_| merges) {
        let path = format!("{dir}/{DROP_IN}");
        let (exists, before) = read_file(input, &path)?;
        let version = if c.distribution == Distribution::K0s { main.effective_version().max(2) } else { 3 };
        return Ok(Ok(TargetFile {
            path: path.clone(),
            exists,
            before,
            version,
            is_template: false,
            prefix: format!("version = {version}\n\n"),
            why: format!(" in the drop-in `{path}`, which `{}` imports", main.path),
        }));
    }
    let (exists, before) = read_file(input, &main.path)?;
    Ok(Ok(TargetFile {
        path: main.path.clone(),
        exists,
        before,
        version: main.effective_version(),
        is_template: false,
        prefix: String::new(),
        why: format!(" in `{}`", main.path),
    }))
}
