//! WD203 config-schema-mismatch: runtime tables under a plugin id that containerd does not read
//! for the file's `version` are silently ignored (containerd only logs `Ignoring unknown key`).

use crate::checks::{Ctx, Outcome};
use crate::facts::{FileState, NodeFacts, RuntimeStatus};
use crate::rules::containerd::{PLUGIN_V2, PLUGIN_V3};
use crate::rules::text::list;

pub fn check(_: &Ctx, node: &NodeFacts) -> Outcome {
    let c = &node.containerd_config;
    let files: Vec<_> = c.files.iter().chain(c.template.iter()).filter(|f| f.state == FileState::Parsed).collect();
    if files.is_empty() {
        return Outcome::skip(format!("`{}` could not be read (see WD201)", c.main_path));
    }
    if c.containerd_major == Some(1)
        && let Some(f) = files.iter().find(|f| f.version == Some(3))
    {
        return Outcome::fail(format!(
            "`{}` is `version = 3`, which containerd 1.x does not load (it needs containerd 2.x)",
            f.path
        ))
        .fix(format!("write `{}` as `version = 2` with `{PLUGIN_V2}` runtime tables", f.path));
    }
    let mut ignored = Vec::new();
    let mut first_reason = None;
    for f in &files {
        for r in &f.runtimes {
            if let RuntimeStatus::Ignored { reason } = &r.status {
                ignored.push(r);
                first_reason.get_or_insert_with(|| reason.clone());
            }
        }
    }
    if let Some(reason) = first_reason {
        let shown: Vec<String> =
            ignored.iter().map(|r| format!("`{}` ({}, under `{}`)", r.name, r.location(), r.plugin_id)).collect();
        return Outcome::fail(format!("containerd never reads runtimes {}: {reason}", list(&shown)))
            .fix("rename the tables' plugin id as the message says (the keys inside stay the same) and restart containerd")
            .runtimes(ignored);
    }
    let unsure: Vec<String> = files
        .iter()
        .filter(|f| f.effective_version() < 3)
        .flat_map(|f| f.runtimes.iter().filter(|r| r.plugin_id == PLUGIN_V3))
        .map(|r| format!("`{}` ({})", r.name, r.location()))
        .collect();
    if !unsure.is_empty() {
        return Outcome::warn(format!(
            "runtimes {} use `{PLUGIN_V3}` in a file without `version = 3`: only containerd 2.x has that plugin (containerd's version is unknown here)",
            list(&unsure)
        ))
        .fix(format!("on containerd 1.x use `{PLUGIN_V2}`; on containerd 2.x add `version = 3` to the file"));
    }
    let versions: Vec<String> = files
        .iter()
        .map(|f| match (&f.version, &f.rendered_version) {
            (None, Some(r)) => format!("`{}` (version {}: {})", f.path, r.version, r.because),
            _ => format!("`{}` (version {})", f.path, f.effective_version()),
        })
        .collect();
    Outcome::pass(format!("every runtime table uses the plugin id its file's version needs: {}", list(&versions)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::facts::Distribution;
    use crate::report::Status;

    #[test]
    fn v2_tables_in_v3_file_fail() {
        let text = format!("version = 3\n{}", SHIM_RUNTIME_V2.trim_start_matches("version = 2\n"));
        let o = run(check, node(config(&text)));
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.contains("`wasmedge` (/etc/containerd/config.toml:2, under `io.containerd.grpc.v1.cri`)"),
            "{}",
            o.message
        );
        assert!(o.message.contains("use `io.containerd.cri.v1.runtime`"), "{}", o.message);
    }

    #[test]
    fn matching_schema_passes() {
        assert_eq!(run(check, node(config(SHIM_RUNTIME_V2))).status, Status::Pass);
        let v3 = "version = 3\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.wasm]\n  runtime_type = \"io.containerd.wasmtime.v1\"\n";
        assert_eq!(run(check, node(config(v3))).status, Status::Pass);
    }

    #[test]
    fn v3_id_without_version_warns_then_fails_on_1x() {
        let t = "[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.wasm]\n  runtime_type = \"io.containerd.wasmtime.v1\"\n";
        assert_eq!(run(check, node(config(t))).status, Status::Warn);
        let c = config_at(Distribution::Containerd, "/etc/containerd/config.toml", "version = 3\n", Some(1));
        assert_eq!(run(check, node(c)).status, Status::Fail);
    }
}
