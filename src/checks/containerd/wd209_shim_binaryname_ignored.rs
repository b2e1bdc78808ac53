//! WD209 shim-binaryname-ignored: a shim runtime (`runtime_type = "io.containerd.spin.v2"`) has no
//! `options.BinaryName`. That option belongs to runc's shim (which runs the OCI runtime it names);
//! containerd finds any shim from `runtime_type` (or `runtime_path`) and never reads it, so a
//! `BinaryName` pointing at an installer's directory does not make containerd run that file.

use crate::checks::{Ctx, Outcome};
use crate::facts::{NodeFacts, Route, Runtime};
use crate::rules::text::list;

pub fn check(_: &Ctx, node: &NodeFacts) -> Outcome {
    let c = &node.containerd_config;
    let shims: Vec<&Runtime> = c.runtimes.iter().filter(|r| r.route == Route::Shim).collect();
    if shims.is_empty() {
        return Outcome::skip("no shim runtime is configured");
    }
    // (runtime, its BinaryName, what containerd runs instead)
    let mut ignored: Vec<(&Runtime, &str, String)> = Vec::new();
    let mut harmless: Vec<String> = Vec::new();
    for r in &shims {
        let Some(binary_name) = r.binary_name.as_deref() else { continue };
        let shim = node.shims.iter().find(|s| s.runtime == r.name);
        let resolved = shim.and_then(|s| s.resolved.as_deref());
        if resolved == Some(binary_name) {
            harmless.push(format!("`{}`", r.name));
            continue;
        }
        let runs = match (shim, resolved) {
            (_, Some(path)) => format!("`{path}`"),
            (Some(s), None) => format!("`{}`, which it does not find (see WD105)", s.binary),
            (None, None) => format!("the shim `{}` names", r.runtime_type.as_deref().unwrap_or("runtime_type")),
        };
        ignored.push((r, binary_name, runs));
    }
    if ignored.is_empty() {
        if harmless.is_empty() {
            return Outcome::pass(format!("no shim runtime sets `options.BinaryName` ({} checked)", shims.len()));
        }
        let one = harmless.len() == 1;
        return Outcome::pass(format!(
            "shim runtime{} {} {} `options.BinaryName`, which containerd ignores, but it names the binary containerd runs anyway",
            if one { "" } else { "s" },
            list(&harmless),
            if one { "sets" } else { "set" }
        ));
    }
    let shown: Vec<String> = ignored
        .iter()
        .map(|(r, name, runs)| format!("`{}` ({}) names `{name}`, but containerd runs {runs}", r.name, r.location()))
        .collect();
    let (first, name, _) = &ignored[0];
    Outcome::warn(format!(
        "`options.BinaryName` is runc's shim's option and containerd ignores it for a shim runtime: {}",
        list(&shown)
    ))
    .evidence(first.location(), format!("runtime_type = {:?}, BinaryName = {name:?}", first.runtime_type.as_deref().unwrap_or("")))
    .fix(format!(
        "remove `BinaryName` from the shim's options; to run that file, set `runtime_path = {name:?}` on the runtime (containerd ≥ 1.6) or put the shim on containerd's PATH, then restart containerd"
    ))
    .runtimes(ignored.iter().map(|(r, ..)| *r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::report::Status;

    /// The template KWasm's installer wrote on k3s (spinframework/containerd-shim-spin#227).
    const ISSUE_227: &str = "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.\"spin\"]\n  runtime_type = \"io.containerd.spin.v2\"\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.\"spin\".options]\n  BinaryName = \"/opt/kwasm/bin/containerd-shim-spin-v2\"\n  SystemdCgroup = true\n";

    #[test]
    fn a_shim_binaryname_warns_naming_what_containerd_runs() {
        let o = run(check, node(config(ISSUE_227)));
        assert_eq!(o.status, Status::Warn);
        assert!(
            o.message.contains("`spin` (/etc/containerd/config.toml:1) names `/opt/kwasm/bin/containerd-shim-spin-v2`, but containerd runs the shim `io.containerd.spin.v2` names"),
            "{}",
            o.message
        );
        assert!(o.fix.as_ref().unwrap().summary.contains("runtime_path = \"/opt/kwasm/bin/containerd-shim-spin-v2\""));
        assert_eq!(run(check, node(config(SHIM_RUNTIME_V2))).status, Status::Pass);
        assert_eq!(
            run(check, node(config(CRUN_RUNTIME_V2))).status,
            Status::Skip,
            "crun's BinaryName is runc's shim's"
        );
    }
}
