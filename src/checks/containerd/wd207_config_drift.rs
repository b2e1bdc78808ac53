//! WD207 config-drift: the runtimes containerd has loaded (CRI Status, verbose) are the config
//! file's; containerd reads its config only at start, so a difference is a pending restart.

use crate::checks::{Ctx, Outcome};
use crate::facts::{ContainerdLive, Fact, FileState, LoadedRuntime, NodeFacts, Runtime};
use crate::rules::text::count;

pub fn check(_: &Ctx, node: &NodeFacts, live: &ContainerdLive) -> Outcome {
    let loaded = match &live.cri {
        Fact::Collected(s) => s,
        Fact::Unavailable(m) if m.kind.is_error() => {
            return Outcome::error(format!("CRI Status unavailable: {}", m.reason));
        }
        Fact::Unavailable(m) => return Outcome::skip(format!("CRI Status unavailable: {}", m.reason)),
    };
    let config = &node.containerd_config;
    if !config.main_file().is_some_and(|f| f.state == FileState::Parsed) {
        return Outcome::skip(format!("`{}` could not be read (see WD201)", config.main_path));
    }
    let in_file: Vec<&Runtime> = config.active_runtimes().collect();
    let mut differences = Vec::new();
    for r in &in_file {
        match loaded.runtimes.iter().find(|l| l.name == r.name) {
            None => differences.push(format!("`{}` ({}) is in the file but not loaded", r.name, r.location())),
            Some(l) => differences.extend(compare(r, l)),
        }
    }
    for l in &loaded.runtimes {
        // `runc` is containerd's built-in default and is loaded without being in any file.
        if l.name != "runc" && !in_file.iter().any(|r| r.name == l.name) {
            differences.push(format!("`{}` is loaded but no longer in the file", l.name));
        }
    }
    if differences.is_empty() {
        return Outcome::pass(format!(
            "the {} containerd `{}` has loaded match `{}`",
            count(loaded.runtimes.len(), "runtime"),
            live.version,
            config.main_path
        ));
    }
    Outcome::fail(format!(
        "containerd runs a different config than `{}` ({}): {}; containerd reads its config only at start, so a restart is pending",
        config.main_path,
        count(differences.len(), "difference"),
        differences.join("; ")
    ))
    .evidence("CRI Status (verbose) on", live.address.clone())
    .fix(format!(
        "restart containerd to load `{}` (`systemctl restart containerd`; k3s: `systemctl restart k3s` or `k3s-agent`; RKE2: `rke2-server`/`rke2-agent`; MicroK8s: `snap.microk8s.daemon-containerd`)",
        config.main_path
    ))
}

/// Field differences between a runtime in the file and the one containerd loaded.
fn compare(file: &Runtime, loaded: &LoadedRuntime) -> Vec<String> {
    let mut out = Vec::new();
    let show = |v: Option<&str>| v.map(|s| format!("`{s}`")).unwrap_or_else(|| "none".into());
    let norm = |v: Option<&str>| v.filter(|s| !s.is_empty()).map(String::from);
    let fields = [
        ("runtime_type", norm(file.runtime_type.as_deref()), norm(loaded.runtime_type.as_deref())),
        ("runtime_path", norm(file.runtime_path.as_deref()), norm(loaded.runtime_path.as_deref())),
        ("BinaryName", norm(file.binary_name.as_deref()), norm(loaded.binary_name.as_deref())),
    ];
    for (key, want, have) in fields {
        if want != have {
            out.push(format!(
                "`{}` {key} is {} in the file, {} loaded",
                file.name,
                show(want.as_deref()),
                show(have.as_deref())
            ));
        }
    }
    let mut want: Vec<&str> = file.pod_annotations.iter().flatten().map(String::as_str).collect();
    let mut have: Vec<&str> = loaded.pod_annotations.iter().map(String::as_str).collect();
    want.sort_unstable();
    have.sort_unstable();
    if want != have {
        out.push(format!("`{}` pod_annotations are {want:?} in the file, {have:?} loaded", file.name));
    }
    if file.systemd_cgroup.unwrap_or(false) != loaded.systemd_cgroup.unwrap_or(false) {
        out.push(format!(
            "`{}` SystemdCgroup is {} in the file, {} loaded",
            file.name,
            file.systemd_cgroup.unwrap_or(false),
            loaded.systemd_cgroup.unwrap_or(false)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::facts::Facts;
    use crate::report::Status;

    fn loaded(name: &str, rt: &str, bin: Option<&str>, ann: &[&str]) -> LoadedRuntime {
        LoadedRuntime {
            name: name.into(),
            runtime_type: Some(rt.into()),
            runtime_path: None,
            binary_name: bin.map(String::from),
            systemd_cgroup: None,
            pod_annotations: ann.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn eval(f: &Facts) -> Outcome {
        let (Fact::Collected(node), Fact::Collected(live)) = (&f.node, &f.containerd) else {
            panic!("a test with node and containerd facts")
        };
        with_ctx(f, |ctx| check(ctx, node, live))
    }

    #[test]
    fn drift_names_each_difference() {
        let crun = loaded("crun", "io.containerd.runc.v2", Some("/usr/local/bin/crun"), &["module.wasm.image/variant"]);
        let f = with_live(CRUN_RUNTIME_V2, vec![crun.clone(), loaded("runc", "io.containerd.runc.v2", None, &[])]);
        assert_eq!(eval(&f).status, Status::Pass);
        let f =
            with_live(&format!("{CRUN_RUNTIME_V2}{}", SHIM_RUNTIME_V2.trim_start_matches("version = 2\n")), vec![crun]);
        let o = eval(&f);
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.contains("`wasmedge` (/etc/containerd/config.toml:7) is in the file but not loaded"),
            "{}",
            o.message
        );
        let old = loaded("crun", "io.containerd.runc.v2", Some("/usr/local/bin/crun"), &[]);
        let o = eval(&with_live(CRUN_RUNTIME_V2, vec![old, loaded("spin", "io.containerd.spin.v2", None, &[])]));
        assert!(
            o.message.contains("`crun` pod_annotations are [\"module.wasm.image/variant\"] in the file, [] loaded"),
            "{}",
            o.message
        );
        assert!(o.message.contains("`spin` is loaded but no longer in the file"), "{}", o.message);
    }
}
