//! WD201 (the config containerd reads is found and parses), WD202 (a runtime routes to Wasm) and
//! WD205 (no Wasm edits in a file the distribution regenerates).

use super::{Ctx, Outcome, count, list, plural};
use crate::facts::{ConfigFile, ContainerdConfig, Distribution, FileRole, FileState, Route, Runtime, RuntimeStatus};

fn version_label(f: &ConfigFile) -> String {
    match f.version {
        Some(v) => format!("version {v}"),
        None => "version 1 (no `version` line)".into(),
    }
}

/// Why a file could not be used, as a check outcome.
fn file_problem(f: &ConfigFile, consequence: &str) -> Option<Outcome> {
    match &f.state {
        FileState::Parsed => None,
        FileState::Malformed { line, column, message } => Some(
            Outcome::fail(format!("`{}:{line}:{column}`: {message}; {consequence}", f.path))
                .evidence(format!("{}:{line}:{column}", f.path), message.clone())
                .fix(format!(
                    "correct the TOML at line {line} of `{}` (`containerd config dump` shows what containerd reads)",
                    f.path
                )),
        ),
        FileState::Unreadable { reason } => Some(Outcome::error(format!("cannot read `{}`: {reason}", f.path))),
        FileState::Missing => None,
    }
}

/// WD201 containerd-config.
pub fn config_found(ctx: &Ctx) -> Outcome {
    let node = or_return!(ctx.node());
    let c = &node.containerd_config;
    let Some(main) = c.main_file() else {
        return Outcome::error("no containerd config file was considered");
    };
    if let Some(o) = file_problem(main, "containerd refuses to start with this file") {
        return o.evidence("chosen because", c.main_reason.clone());
    }
    if let Some(t) = &c.template
        && let Some(o) =
            file_problem(t, &format!("{} cannot render containerd's config from it", c.distribution.name()))
    {
        return o;
    }
    if main.state == FileState::Missing {
        if let Some(t) = c.template.as_ref().filter(|t| t.state == FileState::Parsed) {
            return Outcome::warn(format!(
                "`{}` has not been rendered yet; its template `{}` ({}) parses and declares {}",
                c.main_path,
                t.path,
                version_label(t),
                count(t.runtimes.len(), "runtime")
            ))
            .fix(format!("start {} once so that it renders `{}`", c.distribution.name(), c.main_path));
        }
        let installed = node.containerd.binary.is_some() || node.containerd.process.collected().is_some();
        if !installed && c.distribution == Distribution::Containerd {
            return Outcome::skip(format!("containerd is not installed (no binary, no process, no `{}`)", c.main_path));
        }
        return Outcome::warn(format!(
            "`{}` does not exist, so containerd runs with its built-in defaults, which register no Wasm runtime",
            c.main_path
        ))
        .fix("write one with `containerd config default > /etc/containerd/config.toml` and add a Wasm runtime");
    }
    for f in c.files.iter().skip(1) {
        if let Some(o) = file_problem(f, "containerd refuses to start with this import") {
            return o;
        }
        if f.state == FileState::Missing
            && let FileRole::Import { from, pattern } = &f.role
        {
            return Outcome::fail(format!("`{from}` imports `{pattern}`, which does not exist"))
                .fix(format!("create `{}` or remove it from `imports` in `{from}`", f.path));
        }
    }
    let dropped: Vec<(&Runtime, &String)> = c
        .runtimes
        .iter()
        .filter_map(|r| match &r.status {
            RuntimeStatus::Dropped { by } => Some((r, by)),
            _ => None,
        })
        .collect();
    if let Some(&(first, by)) = dropped.first() {
        let names: Vec<String> = dropped.iter().map(|(r, _)| format!("`{}` ({})", r.name, r.location())).collect();
        return Outcome::warn(format!(
            "under containerd 1.x the import `{by}` replaces the whole `{}` section of the files before it, so {} {} {} not loaded",
            first.plugin_id,
            plural(names.len(), "runtime", "runtimes"),
            list(&names),
            plural(names.len(), "is", "are")
        ))
        .fix(format!("move those runtimes into `{by}`, or move the import's runtimes into `{}`", first.file));
    }
    let imports: Vec<String> = c.files.iter().skip(1).map(|f| format!("`{}`", f.path)).collect();
    let containerd = c.containerd_major.map(|m| format!(", for containerd {m}.x")).unwrap_or_default();
    let layout = match c.distribution {
        Distribution::Containerd => String::new(),
        d => format!(" ({} layout)", d.name()),
    };
    let mut msg = format!(
        "`{}`{layout} parses: config {}{containerd}, {}",
        c.main_path,
        version_label(main),
        count(c.runtimes.len(), "runtime")
    );
    if !imports.is_empty() {
        msg += &format!("; imports {}", list(&imports));
    }
    let mut o = Outcome::pass(msg);
    if let Some(t) = c.template.as_ref().filter(|t| !t.template_lines_skipped.is_empty()) {
        let lines: Vec<String> = t.template_lines_skipped.iter().map(u32::to_string).collect();
        o = o.evidence(t.path.clone(), format!("template lines not read as TOML: {}", lines.join(", ")));
    }
    o
}

/// Runtimes that route to Wasm in a config, loaded or not.
fn wasm_runtimes(c: &ContainerdConfig) -> impl Iterator<Item = &Runtime> {
    c.runtimes.iter().filter(|r| r.route != Route::Other)
}

fn describe(r: &Runtime) -> String {
    match r.route {
        Route::Crun => format!("`{}` (crun `{}`)", r.name, r.binary_name.as_deref().unwrap_or("?")),
        Route::Shim => {
            format!("`{}` (shim `{}`)", r.name, r.runtime_path.as_deref().or(r.runtime_type.as_deref()).unwrap_or("?"))
        }
        Route::Other => format!("`{}`", r.name),
    }
}

/// WD202 wasm-runtime-configured.
pub fn wasm_runtime_configured(ctx: &Ctx) -> Outcome {
    let node = or_return!(ctx.node());
    let c = &node.containerd_config;
    let main = c.main_file();
    let rendered = main.is_some_and(|m| m.state == FileState::Parsed);
    let from_template = !rendered && c.template.as_ref().is_some_and(|t| t.state == FileState::Parsed);
    if main.is_some_and(|m| !matches!(m.state, FileState::Parsed | FileState::Missing)) {
        return Outcome::skip(format!("`{}` could not be read (see WD201)", c.main_path));
    }
    let active: Vec<String> = wasm_runtimes(c).filter(|r| r.status == RuntimeStatus::Active).map(describe).collect();
    if !active.is_empty() {
        let whence = if from_template {
            format!(" (from the template; `{}` is not rendered yet)", c.main_path)
        } else {
            String::new()
        };
        return Outcome::pass(format!("Wasm runtimes: {}{whence}", list(&active)));
    }
    let lost: Vec<String> = wasm_runtimes(c)
        .filter(|r| r.status != RuntimeStatus::Active)
        .map(|r| format!("{} at {}", describe(r), r.location()))
        .collect();
    let symptom =
        "pods with a Wasm RuntimeClass stay in `ContainerCreating` with `no runtime for \"<handler>\" is configured`";
    if !lost.is_empty() {
        return Outcome::fail(format!(
            "containerd loads no Wasm runtime: {} {} not read (see WD201/WD203); {symptom}",
            list(&lost),
            plural(lost.len(), "is", "are")
        ))
        .fix("move the runtime tables to the plugin path the file's `version` needs, then restart containerd");
    }
    let path = if main.is_some_and(|m| m.state == FileState::Missing) {
        format!("`{}` does not exist (built-in defaults)", c.main_path)
    } else {
        format!("no runtime in `{}` routes to Wasm", c.main_path)
    };
    Outcome::fail(format!("{path}; {symptom}")).fix(format!(
        "add a runtime to `{}`: a runwasi shim (`runtime_type = \"io.containerd.wasmedge.v1\"`) or crun (`runtime_type = \"io.containerd.runc.v2\"` with `options.BinaryName` = crun and `pod_annotations`)",
        c.edit_path
    ))
}

/// Handlers k3s/RKE2 detect and write into the generated file themselves (knowledge §2.6).
pub const K3S_DETECTED: &[&str] = &["crun", "lunatic", "slight", "spin", "wws", "wasmedge", "wasmer", "wasmtime"];

/// Whether k3s itself would have written this runtime (its ExtraRuntimes loop: a detected name,
/// `io.containerd.<name>.vN` or the runc shim for crun, and an absolute `BinaryName`).
fn k3s_generated(r: &Runtime) -> bool {
    let rt = r.runtime_type.as_deref().unwrap_or("");
    let type_matches = if r.name == "crun" {
        rt == "io.containerd.runc.v2"
    } else {
        rt.strip_prefix("io.containerd.").and_then(|s| s.split_once(".v")).is_some_and(|(n, _)| n == r.name)
    };
    K3S_DETECTED.contains(&r.name.as_str())
        && type_matches
        && r.binary_name.as_deref().is_some_and(|b| b.starts_with('/'))
        && r.pod_annotations.is_none()
}

/// The Wasm runtimes written into a file the distribution regenerates (what WD205 reports and its
/// fix moves): `None` when the distribution does not regenerate the file.
pub fn regenerated_edits(c: &ContainerdConfig) -> Option<Vec<&Runtime>> {
    let main = c.main_file().filter(|m| m.state == FileState::Parsed)?;
    let template = c.template.as_ref().filter(|t| t.state == FileState::Parsed);
    let in_template = |r: &Runtime| template.is_some_and(|t| t.runtimes.iter().any(|x| x.name == r.name));
    let edited = match c.distribution {
        Distribution::Containerd => return None,
        Distribution::K3s | Distribution::Rke2 => {
            let renders_detected = template.is_none_or(|t| t.renders_detected_runtimes);
            main.runtimes
                .iter()
                .filter(|r| r.route != Route::Other)
                .filter(|r| !(in_template(r) || renders_detected && k3s_generated(r)))
                .collect()
        }
        Distribution::Microk8s => main.runtimes.iter().filter(|r| r.route != Route::Other && !in_template(r)).collect(),
        Distribution::K0s => {
            main.generated_header.as_ref()?;
            // Also declared in a drop-in of `containerd.d/`: k0s writes it back at its next start.
            let in_drop_in = |r: &Runtime| c.files.iter().skip(1).any(|f| f.runtimes.iter().any(|x| x.name == r.name));
            main.runtimes.iter().filter(|r| r.route != Route::Other && !in_drop_in(r)).collect()
        }
    };
    Some(edited)
}

/// WD205 generated-config-edited.
pub fn generated_config_edited(ctx: &Ctx) -> Outcome {
    let node = or_return!(ctx.node());
    let c = &node.containerd_config;
    let Some(main) = c.main_file().filter(|m| m.state == FileState::Parsed) else {
        return Outcome::skip(format!("`{}` is not there to compare (see WD201)", c.main_path));
    };
    let Some(edited) = regenerated_edits(c) else {
        return match c.distribution {
            Distribution::Containerd => {
                Outcome::skip(format!("plain containerd: `{}` is not regenerated", c.main_path))
            }
            _ => Outcome::pass(format!("`{}` is not managed by k0s (no `k0s_managed=true` header)", c.main_path)),
        };
    };
    if edited.is_empty() {
        return Outcome::pass(format!(
            "no Wasm edits in `{}`, which {} regenerates; edits belong in `{}`",
            c.main_path,
            c.distribution.name(),
            c.edit_path
        ));
    }
    let names: Vec<String> = edited.iter().map(|r| format!("`{}` ({})", r.name, r.location())).collect();
    let header = main.generated_header.clone().unwrap_or_else(|| c.main_reason.clone());
    Outcome::fail(format!(
        "{} {} {} added to `{}`, which {} regenerates (`{header}`): the edit is lost at the next restart",
        plural(names.len(), "runtime", "runtimes"),
        list(&names),
        plural(names.len(), "was", "were"),
        c.main_path,
        c.distribution.name()
    ))
    .evidence(c.main_path.clone(), header)
    .fix(match c.distribution {
        Distribution::K3s | Distribution::Rke2 => format!(
            "move the tables into `{}`, starting it with `{{{{ template \"base\" . }}}}` so k3s's own settings stay",
            c.edit_path
        ),
        _ => format!("move the tables into `{}`", c.edit_path),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::facts::Distribution;
    use crate::report::Status;

    #[test]
    fn wd201_states() {
        let o = run(config_found, node(config(CRUN_RUNTIME_V2)));
        assert_eq!(o.status, Status::Pass);
        assert_eq!(o.message, "`/etc/containerd/config.toml` parses: config version 2, 1 runtime");
        let o = run(config_found, node(config("version = 2\n[plugins\n")));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.starts_with("`/etc/containerd/config.toml:2:"), "{}", o.message);
        let mut c = config("");
        c.files[0].state = FileState::Unreadable { reason: "it is a directory, not a file".into() };
        assert_eq!(run(config_found, node(c)).status, Status::Error);
    }

    #[test]
    fn wd202_routes_and_ignored() {
        assert_eq!(run(wasm_runtime_configured, node(config(SHIM_RUNTIME_V2))).status, Status::Pass);
        let o = run(wasm_runtime_configured, node(config("version = 2\n")));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("no runtime for"), "{}", o.message);
        let v3 = SHIM_RUNTIME_V2.replace("version = 2", "version = 3");
        let o = run(wasm_runtime_configured, node(config(&v3)));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("is not read"), "{}", o.message);
    }

    const K3S_GENERATED: &str = r#"# File generated by k3s. DO NOT EDIT. Use config.toml.tmpl instead.
version = 2
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes."wasmedge"]
  runtime_type = "io.containerd.wasmedge.v1"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes."wasmedge".options]
  BinaryName = "/usr/local/bin/containerd-shim-wasmedge-v1"
  SystemdCgroup = true
"#;

    #[test]
    fn wd205_k3s() {
        let path = "/var/lib/rancher/k3s/agent/etc/containerd/config.toml";
        let c = config_at(Distribution::K3s, path, K3S_GENERATED, None);
        assert_eq!(run(generated_config_edited, node(c)).status, Status::Pass);
        let edited = format!(
            "{K3S_GENERATED}\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.spin]\n  runtime_type = \"/opt/kwasm/bin/containerd-shim-spin-v2\"\n"
        );
        let o = run(generated_config_edited, node(config_at(Distribution::K3s, path, &edited, None)));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.starts_with(&format!("runtime `spin` ({path}:9) was added")), "{}", o.message);
        assert_eq!(run(generated_config_edited, node(config(K3S_GENERATED))).status, Status::Skip);
    }
}
