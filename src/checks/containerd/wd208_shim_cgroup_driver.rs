//! WD208 shim-cgroup-driver: Wasm runtimes put pods in the cgroups the kubelet reads. runwasi
//! shims before v0.6.0 always used cgroupfs paths; later ones honour `SystemdCgroup`.

use crate::checks::{Ctx, Outcome};
use crate::facts::{Fact, NodeFacts, Route, Runtime};
use crate::rules::containerd::shim_engine;
use crate::rules::text::list;
use crate::rules::versions::parse_version;
use crate::rules::wasm::RUNWASI_ENGINES;

pub fn check(ctx: &Ctx, node: &NodeFacts) -> Outcome {
    let wasm: Vec<&Runtime> = node.containerd_config.active_runtimes().filter(|r| r.route != Route::Other).collect();
    if wasm.is_empty() {
        return Outcome::skip("no Wasm runtime is configured (see WD202)");
    }
    let kubelet = match &node.kubelet {
        Fact::Collected(k) => k,
        Fact::Unavailable(m) => {
            return Outcome::skip(format!("the kubelet's cgroup driver is unknown: {}", m.reason));
        }
    };
    let systemd = kubelet.cgroup_driver == "systemd";
    // Every runtime on the other driver, which the fix changes, whichever problem is named first.
    let mismatched: Vec<&Runtime> =
        wasm.iter().copied().filter(|r| r.systemd_cgroup.unwrap_or(false) != systemd).collect();
    let mut ok = Vec::new();
    for r in wasm {
        let have = r.systemd_cgroup.unwrap_or(false);
        if have != systemd {
            let setting = if r.systemd_cgroup.is_some() {
                format!("`SystemdCgroup = {have}`")
            } else {
                "no `SystemdCgroup` (false)".into()
            };
            return Outcome::fail(format!(
                "runtime `{}` ({}) has {setting}, but the kubelet's cgroup driver is `{}`: the pods' cgroups are not where the kubelet reads them, so their CPU and memory metrics stay flat and CPU-based HPAs cannot scale",
                r.name,
                r.location(),
                kubelet.cgroup_driver
            ))
            .evidence(kubelet.source.clone(), format!("cgroupDriver: {}", kubelet.cgroup_driver))
            .fix(format!("set `SystemdCgroup = {systemd}` under runtime `{}`'s `options` and restart containerd", r.name))
            .runtimes(mismatched);
        }
        if systemd && r.route == Route::Shim && shim_engine(r).is_some_and(|e| RUNWASI_ENGINES.contains(&e)) {
            let shim = node.shims.iter().find(|s| s.runtime == r.name);
            let version = shim.and_then(|s| s.version.as_ref()).and_then(|v| v.collected()).cloned();
            let min = ctx.policy.shim_minimum();
            if let Some(v) = version.as_deref().and_then(parse_version).filter(|v| *v < min) {
                return Outcome::fail(format!(
                    "runtime `{}` uses shim `{}` {v}, which ignores `SystemdCgroup` (runwasi shims honour it from v0.6.0), so with the kubelet on `systemd` pod metrics stay flat",
                    r.name,
                    shim.map(|s| s.binary.as_str()).unwrap_or("?")
                ))
                .fix(format!("upgrade the shim to ≥ {min} (policy `[minimum_versions] runwasi_shim`)"))
                .runtimes(mismatched);
            }
        }
        ok.push(format!("`{}`", r.name));
    }
    Outcome::pass(format!(
        "{} match the kubelet's `{}` cgroup driver ({})",
        list(&ok),
        kubelet.cgroup_driver,
        kubelet.source
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::facts::Kubelet;
    use crate::report::Status;

    fn with_kubelet(text: &str, driver: &str) -> crate::facts::NodeFacts {
        let mut n = node(config(text));
        n.kubelet =
            Fact::Collected(Kubelet { cgroup_driver: driver.into(), source: "/var/lib/kubelet/config.yaml:7".into() });
        n
    }

    #[test]
    fn mismatch_fails_and_match_passes() {
        let o = run(check, with_kubelet(SHIM_RUNTIME_V2, "systemd"));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("no `SystemdCgroup` (false)"), "{}", o.message);
        assert_eq!(run(check, with_kubelet(SHIM_RUNTIME_V2, "cgroupfs")).status, Status::Pass);
        let systemd = format!(
            "{SHIM_RUNTIME_V2}  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.wasmedge.options]\n    SystemdCgroup = true\n"
        );
        assert_eq!(run(check, with_kubelet(&systemd, "systemd")).status, Status::Pass);
    }

    #[test]
    fn unknown_kubelet_skips() {
        assert_eq!(run(check, node(config(SHIM_RUNTIME_V2))).status, Status::Skip);
    }
}
