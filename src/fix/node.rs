//! Node fixes: edits of the containerd config the distribution really reads (the template for
//! k3s/RKE2/MicroK8s, a drop-in where imports make that right), then a restart of the service that
//! runs containerd.

use super::toml_edit::{self as edit, NewRuntime};
use super::{FileEdit, FixError, Plan, PlanInput, restart};
use crate::collect::containerd_config::{PLUGIN_V1_SHORT, PLUGIN_V2, PLUGIN_V3, parse};
use crate::facts::{ContainerdConfig, Distribution, FileState, NodeFacts, Route, Runtime, RuntimeStatus};

/// The name of the drop-in wasmdoctor writes into an imported directory.
const DROP_IN: &str = "wasmdoctor-wasm.toml";

/// Attach the restart that makes containerd read the edits, or say how to do it by hand.
fn with_restart(mut plan: Plan, input: &PlanInput, node: &NodeFacts) -> Plan {
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

fn read_file(input: &PlanInput, path: &str) -> Result<(bool, String), FixError> {
    match (input.read)(path) {
        Ok(text) => Ok((true, text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((false, String::new())),
        Err(source) => Err(FixError::Read { path: path.into(), source }),
    }
}

/// WD204: add `module.wasm.image/variant` and `run.oci.handler` to the `pod_annotations` of every
/// crun-route runtime that lacks them, in the file that declares it.
pub fn pod_annotations(input: &PlanInput) -> Result<Option<Plan>, FixError> {
    let Some(node) = input.facts.node.collected() else { return Ok(None) };
    let wanted = crate::checks::crun_wasm_annotations();
    let targets: Vec<&Runtime> = node
        .containerd_config
        .active_runtimes()
        .filter(|r| r.route == Route::Crun)
        .filter(|r| {
            let base = r.binary_name.as_deref().and_then(|b| b.rsplit('/').next()).unwrap_or("");
            !base.starts_with("crun-")
        })
        .filter(|r| !r.pod_annotations.as_ref().is_some_and(|p| wanted.iter().all(|w| p.iter().any(|x| x == w))))
        .collect();
    runtime_edits(
        input,
        node,
        "WD204",
        "add `module.wasm.image/variant` and `run.oci.handler` to the crun runtime's `pod_annotations`",
        "`pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]`",
        &targets,
        &|text, r| edit::add_pod_annotations(text, &r.plugin_id, &r.name, wanted),
        &|text, r| {
            let mut all: Vec<String> = r.pod_annotations.clone().unwrap_or_default();
            for w in wanted {
                if !all.iter().any(|a| a == w) {
                    all.push(w.to_string());
                }
            }
            let array: toml_edit::Array = all.iter().map(String::as_str).collect();
            edit::set_in_template(text, &r.plugin_id, &r.name, None, "pod_annotations", &array.to_string())
        },
    )
}

/// WD208: set `SystemdCgroup` of every Wasm runtime to the kubelet's cgroup driver.
pub fn systemd_cgroup(input: &PlanInput) -> Result<Option<Plan>, FixError> {
    let Some(node) = input.facts.node.collected() else { return Ok(None) };
    let Some(kubelet) = node.kubelet.collected() else { return Ok(None) };
    let systemd = kubelet.cgroup_driver == "systemd";
    let targets: Vec<&Runtime> = node
        .containerd_config
        .active_runtimes()
        .filter(|r| r.route != Route::Other && r.systemd_cgroup.unwrap_or(false) != systemd)
        .collect();
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

/// One edit per runtime, accumulated per file. A runtime in a file the distribution regenerates is
/// edited in its template when the template declares it (by lines: toml_edit cannot read Go
/// templates); otherwise the base template renders that table itself, so the plan says how to
/// declare it by hand.
#[allow(clippy::too_many_arguments)]
fn runtime_edits(
    input: &PlanInput,
    node: &NodeFacts,
    id: &str,
    summary: &str,
    wanted: &str,
    targets: &[&Runtime],
    edit: &dyn Fn(&str, &Runtime) -> Result<String, String>,
    template_edit: &dyn Fn(&str, &Runtime) -> Result<String, String>,
) -> Result<Option<Plan>, FixError> {
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
            .map_err(|message| FixError::Parse { path: path.clone(), message })?;
        if is_template {
            parse(&path, &after, true).map_err(|m| FixError::Parse { path: path.clone(), message: m.message })?;
        }
        match pos {
            Some(i) => edits[i].after = after,
            None => edits.push(FileEdit { path, exists: true, before: current, after }),
        }
    }
    let plan = Plan { edits, ..Plan::manual(id, summary, "") };
    Ok(Some(with_restart(Plan { instructions: None, ..plan }, input, node)))
}

/// The plugin id a file of this version reads runtimes from.
fn plugin_for(version: i64) -> &'static str {
    match version {
        v if v >= 3 => PLUGIN_V3,
        2 => PLUGIN_V2,
        _ => PLUGIN_V1_SHORT,
    }
}

/// WD202: declare a Wasm runtime: crun's route when a crun with a WASM handler is installed, else a
/// runwasi shim that containerd finds; named as the cluster's RuntimeClasses expect when they do.
pub fn add_runtime(input: &PlanInput) -> Result<Option<Plan>, FixError> {
    let Some(node) = input.facts.node.collected() else { return Ok(None) };
    let c = &node.containerd_config;
    if c.runtimes.iter().any(|r| r.route != Route::Other && r.status == RuntimeStatus::Active) {
        return Ok(None);
    }
    if c.runtimes.iter().any(|r| r.route != Route::Other) {
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
        .map_err(|m| FixError::Parse { path: target.path.clone(), message: m.message })?;
    if !parsed.runtimes.iter().any(|r| r.name == name && r.status == RuntimeStatus::Active && r.route != Route::Other) {
        return Err(FixError::Parse {
            path: target.path.clone(),
            message: format!("the runtime `{name}` added at the end would not be read; add it by hand"),
        });
    }
    let route = match &runtime.binary_name {
        Some(b) => format!("crun `{b}` with the Wasm annotations"),
        None => format!("the shim `{}`", runtime.runtime_type),
    };
    let plan = Plan {
        edits: vec![FileEdit { path: target.path, exists: target.exists, before: target.before, after }],
        ..Plan::manual(
            "WD202",
            format!(
                "declare the Wasm runtime `{name}` ({route}){}{}",
                target.why,
                if !has_runc && !target.is_template {
                    ", with containerd's default runtime `runc` beside it (a file that declares runtimes replaces the built-in ones)"
                } else {
                    ""
                }
            ),
            "",
        )
    };
    Ok(Some(with_restart(Plan { instructions: None, ..plan }, input, node)))
}

/// The handler name and runtime for a new Wasm runtime, from what is installed.
fn choose_runtime(input: &PlanInput, node: &NodeFacts) -> Option<(String, NewRuntime)> {
    let crun = node
        .crun
        .iter()
        .filter(|b| b.exists && b.executable)
        .find(|b| b.version.collected().is_some_and(|v| !v.wasm_handlers.is_empty()));
    let systemd_cgroup = node.kubelet.collected().map(|k| k.cgroup_driver == "systemd");
    let crun_runtime = |b: &crate::facts::CrunBinary| NewRuntime {
        runtime_type: "io.containerd.runc.v2".into(),
        binary_name: Some(b.path.clone()),
        pod_annotations: crate::checks::crun_wasm_annotations().iter().map(|s| s.to_string()).collect(),
        systemd_cgroup,
    };
    let shim_runtime = |s: &crate::facts::InstalledShim| NewRuntime {
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
    let is_shim_name = |h: &str| crate::collect::node::KNOWN_SHIMS.iter().any(|(n, _)| *n == h);
    for h in &expected {
        if let Some(s) = node.installed_shims.iter().find(|s| &s.name == h) {
            return Some((h.clone(), shim_runtime(s)));
        }
        if let Some(b) = crun.filter(|_| !is_shim_name(h)) {
            return Some((h.clone(), crun_runtime(b)));
        }
    }
    if let Some(b) = crun {
        return Some(("crun".into(), crun_runtime(b)));
    }
    node.installed_shims.first().map(|s| (s.name.clone(), shim_runtime(s)))
}

struct Target {
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
fn target_file(input: &PlanInput, c: &ContainerdConfig) -> Result<Result<Target, String>, FixError> {
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
            return Ok(Ok(Target {
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
            return Ok(Ok(Target {
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
        return Ok(Ok(Target {
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
    Ok(Ok(Target {
        path: main.path.clone(),
        exists,
        before,
        version: main.effective_version(),
        is_template: false,
        prefix: String::new(),
        why: format!(" in `{}`", main.path),
    }))
}

/// WD203: rename the plugin id of ignored runtime tables to the one the file's version reads.
pub fn move_ignored(input: &PlanInput) -> Result<Option<Plan>, FixError> {
    let Some(node) = input.facts.node.collected() else { return Ok(None) };
    let c = &node.containerd_config;
    let files: Vec<_> = c.files.iter().chain(c.template.iter()).filter(|f| f.state == FileState::Parsed).collect();
    if c.containerd_major == Some(1) && files.iter().any(|f| f.version == Some(3)) {
        return Ok(Some(Plan::manual(
            "WD203",
            "a `version = 3` file on containerd 1.x",
            format!(
                "containerd 1.x cannot load `version = 3`: rewrite the file as `version = 2` with `{PLUGIN_V2}` tables, or upgrade containerd to 2.x"
            ),
        )));
    }
    let mut edits = Vec::new();
    let mut moved = Vec::new();
    for f in files {
        let ignored: Vec<&Runtime> =
            f.runtimes.iter().filter(|r| matches!(r.status, RuntimeStatus::Ignored { .. })).collect();
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
                .map_err(|message| FixError::Parse { path: f.path.clone(), message })?;
            moved.push(format!("`{}` ({}) from `{}` to `{to}`", r.name, r.location(), r.plugin_id));
        }
        let is_template = c.template.as_ref().is_some_and(|t| t.path == f.path);
        let parsed = parse(&f.path, &after, is_template)
            .map_err(|m| FixError::Parse { path: f.path.clone(), message: m.message })?;
        if let Some(r) = parsed.runtimes.iter().find(|r| matches!(r.status, RuntimeStatus::Ignored { .. })) {
            return Err(FixError::Parse {
                path: f.path.clone(),
                message: format!("`{}` would still be ignored after the move; move it by hand", r.name),
            });
        }
        edits.push(FileEdit { path: f.path.clone(), exists: true, before, after });
    }
    if edits.is_empty() {
        return Ok(None);
    }
    let plan = Plan { edits, ..Plan::manual("WD203", format!("move {}", moved.join(", ")), "") };
    Ok(Some(with_restart(Plan { instructions: None, ..plan }, input, node)))
}

/// WD205: move Wasm runtimes written into a regenerated file into the distribution's template.
pub fn into_template(input: &PlanInput) -> Result<Option<Plan>, FixError> {
    let Some(node) = input.facts.node.collected() else { return Ok(None) };
    let c = &node.containerd_config;
    let Some(edited) = crate::checks::containerd_config::regenerated_edits(c).filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    let (_, rendered) = read_file(input, &c.main_path)?;
    let (exists, before) = read_file(input, &c.edit_path)?;
    let names: Vec<String> = edited.iter().map(|r| format!("`{}`", r.name)).collect();
    let k3s_like = matches!(c.distribution, Distribution::K3s | Distribution::Rke2);
    // The base template renders the runtimes k3s detects on its `$PATH` (crun, wasmedge, …) itself:
    // a second table of the same name would stop containerd, so such an edit needs a full copy of
    // the rendered file instead of a template extending base.
    let detected = |name: &str| {
        crate::checks::containerd_config::K3S_DETECTED.contains(&name)
            && if name == "crun" {
                node.crun.iter().any(|b| b.origins.contains(&crate::facts::CrunOrigin::Path))
            } else {
                node.installed_shims.iter().any(|s| s.name == name)
            }
    };
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
            let block = edit::runtime_block(&rendered, &r.plugin_id, &r.name).ok_or_else(|| FixError::Parse {
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
    parse(&c.edit_path, &after, true).map_err(|m| FixError::Parse { path: c.edit_path.clone(), message: m.message })?;
    let plan = Plan {
        edits: vec![FileEdit { path: c.edit_path.clone(), exists, before, after }],
        ..Plan::manual(
            "WD205",
            format!(
                "move {} from `{}` (regenerated at every start) into `{}`: {how}",
                names.join(", "),
                c.main_path,
                c.edit_path
            ),
            "",
        )
    };
    Ok(Some(with_restart(Plan { instructions: None, ..plan }, input, node)))
}

/// WD207: containerd runs an older config than its file; the fix is the restart alone.
pub fn restart_only(input: &PlanInput) -> Option<Plan> {
    let node = input.facts.node.collected()?;
    let plan = Plan::manual(
        "WD207",
        format!("restart containerd so that it reads `{}`", node.containerd_config.main_path),
        "",
    );
    Some(with_restart(Plan { instructions: None, ..plan }, input, node))
}
