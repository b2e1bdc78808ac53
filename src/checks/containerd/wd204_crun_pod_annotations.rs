//! WD204 crun-pod-annotations: every crun-route runtime lets `module.wasm.image/variant` or
//! `run.oci.handler` through its `pod_annotations` (Go `path.Match` patterns, as containerd matches
//! them); otherwise containerd drops the annotation and crun runs the `.wasm` with execve.

use crate::checks::{Ctx, Outcome};
use crate::facts::{NodeFacts, Route, Runtime};
use crate::rules::containerd::needs_annotation;
use crate::rules::crun::base_name;
use crate::rules::gomatch::path_match;
use crate::rules::text::list;
use crate::rules::wasm::WASM_ANNOTATIONS;

/// The Wasm annotations a runtime's `pod_annotations` let through.
fn passed(r: &Runtime) -> Vec<&'static str> {
    let patterns = r.pod_annotations.as_deref().unwrap_or_default();
    WASM_ANNOTATIONS.iter().copied().filter(|a| patterns.iter().any(|p| path_match(p, a))).collect()
}

pub fn check(_: &Ctx, node: &NodeFacts) -> Outcome {
    let config = &node.containerd_config;
    let runtimes: Vec<&Runtime> = config.active_runtimes().filter(|r| r.route == Route::Crun).collect();
    if runtimes.is_empty() {
        return Outcome::skip("no containerd runtime uses crun as its `BinaryName`");
    }
    let dropping: Vec<&Runtime> =
        runtimes.iter().copied().filter(|r| needs_annotation(r) && passed(r).is_empty()).collect();
    if let Some(r) = dropping.first() {
        let binary = r.binary_name.as_deref().unwrap_or("");
        let found = match &r.pod_annotations {
            None => "has no `pod_annotations`".to_string(),
            Some(p) if p.is_empty() => "has `pod_annotations = []`".to_string(),
            Some(p) => format!("has `pod_annotations = {p:?}`, which matches neither"),
        };
        return Outcome::fail(format!(
            "runtime `{}` ({}) {found}: containerd drops the pod's `module.wasm.image/variant` and `run.oci.handler` annotations, so crun runs the `.wasm` entrypoint with execve (`Exec format error`)",
            r.name,
            r.location()
        ))
        .evidence(r.location(), format!("runtime `{}` → BinaryName `{binary}`", r.name))
        .fix(format!(
            "add `pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]` to runtime `{}` in `{}` and restart containerd",
            r.name, config.edit_path
        ))
        .runtimes(dropping.iter().copied());
    }
    let ok: Vec<String> = runtimes
        .iter()
        .map(|r| match r.binary_name.as_deref().filter(|_| !needs_annotation(r)) {
            Some(binary) => format!(
                "`{}` runs `{}`, which picks the handler from its name (no annotation needed; sidecars in such pods run through Wasm too)",
                r.name,
                base_name(binary)
            ),
            None => format!("`{}` lets `{}` through", r.name, passed(r).join("`, `")),
        })
        .collect();
    Outcome::pass(list(&ok))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::report::Status;

    #[test]
    fn annotations() {
        assert_eq!(run(check, node(config(CRUN_RUNTIME_V2))).status, Status::Pass);
        let k3s_style = r#"version = 2
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes."crun"]
  runtime_type = "io.containerd.runc.v2"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes."crun".options]
  BinaryName = "/usr/bin/crun"
  SystemdCgroup = true
"#;
        let o = run(check, node(config(k3s_style)));
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.starts_with("runtime `crun` (/etc/containerd/config.toml:2) has no `pod_annotations`"),
            "{}",
            o.message
        );
        let docs_set = CRUN_RUNTIME_V2.replace(
            r#"["module.wasm.image/variant"]"#,
            r#"["*.wasm.*", "wasm.*", "module.wasm.image/*", "*.module.wasm.image", "module.wasm.image/variant.*"]"#,
        );
        assert_eq!(run(check, node(config(&docs_set))).status, Status::Pass);
        let wrong = CRUN_RUNTIME_V2.replace(r#"["module.wasm.image/variant"]"#, r#"["*.wasm.*"]"#);
        assert_eq!(run(check, node(config(&wrong))).status, Status::Fail);
        let crun_wasm = k3s_style.replace("/usr/bin/crun\"", "/usr/bin/crun-wasm\"");
        assert_eq!(run(check, node(config(&crun_wasm))).status, Status::Pass);
        assert_eq!(run(check, node(config(SHIM_RUNTIME_V2))).status, Status::Skip);
    }
}
