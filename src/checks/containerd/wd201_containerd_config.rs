//! WD201 containerd-config: the config containerd really reads is found (plain, k3s/RKE2 template
//! vs generated, MicroK8s template, k0s), parses, and its imports resolve; version 1/2/3 detected.
//! Malformed TOML is a `fail` with file:line:col; an unreadable file an `error`.

use crate::checks::{Ctx, Outcome};
use crate::facts::{ConfigFile, Distribution, FileRole, FileState, NodeFacts, Runtime, RuntimeStatus};
use crate::rules::text::{count, list, plural};

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

pub fn check(_: &Ctx, node: &NodeFacts) -> Outcome {
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
    if let Some(cut) = c.files_cut {
        return Outcome::error(format!(
            "`{}` and its imports name more than {cut} files; wasmdoctor read the first {cut}, so what the rest declares is unknown",
            c.main_path
        ))
        .fix("keep containerd's imports to the drop-ins it needs (each import is read at every start)");
    }
    const SHOWN: usize = 5;
    let mut imports: Vec<String> = c.files.iter().skip(1).take(SHOWN).map(|f| format!("`{}`", f.path)).collect();
    if c.files.len() > SHOWN + 1 {
        imports.push(format!("{} more", c.files.len() - 1 - SHOWN));
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::report::Status;

    #[test]
    fn states() {
        let o = run(check, node(config(CRUN_RUNTIME_V2)));
        assert_eq!(o.status, Status::Pass);
        assert_eq!(o.message, "`/etc/containerd/config.toml` parses: config version 2, 1 runtime");
        let o = run(check, node(config("version = 2\n[plugins\n")));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.starts_with("`/etc/containerd/config.toml:2:"), "{}", o.message);
        let mut c = config("");
        c.files[0].state = FileState::Unreadable { reason: "it is a directory, not a file".into() };
        assert_eq!(run(check, node(c)).status, Status::Error);
    }

    #[test]
    fn too_many_imports_is_said() {
        let mut c = config(CRUN_RUNTIME_V2);
        c.files_cut = Some(1024);
        let o = run(check, node(c));
        assert_eq!(o.status, Status::Error);
        assert!(o.message.contains("name more than 1024 files; wasmdoctor read the first 1024"), "{}", o.message);
    }
}
