//! WD202 wasm-runtime-configured: containerd has at least one runtime that routes to Wasm (crun as
//! `BinaryName`, or a Wasm shim as `runtime_type`); otherwise pods of a Wasm RuntimeClass stay in
//! `ContainerCreating`.

use crate::checks::{Ctx, Outcome};
use crate::facts::{ContainerdConfig, FileState, NodeFacts, Route, Runtime, RuntimeStatus};
use crate::rules::text::{list, plural};

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

pub fn check(_: &Ctx, node: &NodeFacts) -> Outcome {
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
        .fix("move the runtime tables to the plugin path the file's `version` needs, then restart containerd")
        .runtimes(wasm_runtimes(c).filter(|r| r.status != RuntimeStatus::Active));
    }
    if let Some(cut) = c.files_cut {
        return Outcome::error(format!(
            "no Wasm runtime in the first {cut} files `{}` imports; the rest was not read (see WD201)",
            c.main_path
        ));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::report::Status;

    #[test]
    fn routes_and_ignored() {
        assert_eq!(run(check, node(config(SHIM_RUNTIME_V2))).status, Status::Pass);
        let o = run(check, node(config("version = 2\n")));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("no runtime for"), "{}", o.message);
        let v3 = SHIM_RUNTIME_V2.replace("version = 2", "version = 3");
        let o = run(check, node(config(&v3)));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("is not read"), "{}", o.message);
    }
}
