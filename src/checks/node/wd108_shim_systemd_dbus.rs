//! WD108 shim-systemd-dbus: a shim runtime with `SystemdCgroup = true` has the D-Bus system bus its
//! systemd cgroup manager talks to systemd over (`/run/dbus/system_bus_socket`). runwasi's shims
//! read that option only since containerd/runwasi#864 (v0.6.0); older ones never use systemd.

use crate::checks::{Ctx, Outcome};
use crate::facts::{BusState, Fact, NodeFacts, Route, Runtime};
use crate::rules::containerd::shim_engine;
use crate::rules::text::list;
use crate::rules::versions::parse_version;
use crate::rules::wasm::RUNWASI_ENGINES;

pub fn check(ctx: &Ctx, node: &NodeFacts) -> Outcome {
    let systemd: Vec<&Runtime> = node
        .containerd_config
        .active_runtimes()
        .filter(|r| r.route == Route::Shim && r.systemd_cgroup == Some(true))
        .collect();
    if systemd.is_empty() {
        return Outcome::skip("no shim runtime sets `SystemdCgroup = true` (cgroupfs needs no D-Bus)");
    }
    // Shims that read the option, and those (runwasi's own, before the minimum) that ignore it.
    let min = ctx.policy.shim_minimum();
    let (mut uses, mut ignores): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    for r in &systemd {
        let version =
            node.shims.iter().find(|s| s.runtime == r.name).and_then(|s| s.version.as_ref()?.collected().cloned());
        let runwasi = shim_engine(r).is_some_and(|e| RUNWASI_ENGINES.contains(&e));
        match version.as_deref().and_then(parse_version) {
            Some(v) if runwasi && v < min => ignores.push(format!("`{}` (shim {v})", r.name)),
            Some(v) => uses.push(format!("`{}` (shim {v})", r.name)),
            None => uses.push(format!("`{}` (shim version unknown: taken to read it, as current shims do)", r.name)),
        }
    }
    if uses.is_empty() {
        return Outcome::pass(format!(
            "runtimes {} set `SystemdCgroup = true`, but their shims predate runwasi {min} and use cgroupfs whatever it says, so no D-Bus is needed",
            list(&ignores)
        ));
    }
    let bus = match &node.system_bus {
        Fact::Collected(b) => b,
        Fact::Unavailable(m) => return Outcome::error(m.reason.clone()),
    };
    let needs = format!(
        "runtime{} {} {} `SystemdCgroup = true`, so the shim's systemd cgroup manager talks to systemd over the D-Bus system bus",
        if uses.len() == 1 { "" } else { "s" },
        list(&uses),
        if uses.len() == 1 { "sets" } else { "set" }
    );
    let problem = match &bus.state {
        BusState::Answers => return Outcome::pass(format!("{needs}, and `{}` answers", bus.path)),
        BusState::Present => return Outcome::pass(format!("{needs}, and `{}` is there", bus.path)),
        BusState::Missing => format!("there is no `{}`", bus.path),
        BusState::NotASocket => format!("`{}` is not a socket", bus.path),
        BusState::Refuses { reason } => format!("nothing answers on `{}` ({reason})", bus.path),
    };
    Outcome::fail(format!(
        "{needs}, but {problem}: every Wasm container fails to start with `cgroup error: systemd error: dbus error`"
    ))
    .evidence(bus.path.clone(), problem)
    .fix("install and start D-Bus (`apt-get install dbus` / `dnf install dbus`; `systemctl start dbus`), as the Spin shim's node installer does; or, when the kubelet uses cgroupfs, set `SystemdCgroup = false`")
    .runtimes(systemd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::facts::{ShimResolution, SystemBus};
    use crate::report::Status;

    const SPIN_SYSTEMD: &str = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.spin]\n  runtime_type = \"io.containerd.spin.v2\"\n  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.spin.options]\n    SystemdCgroup = true\n";

    fn with_bus(text: &str, state: BusState) -> NodeFacts {
        let mut n = node(config(text));
        n.system_bus = Fact::Collected(SystemBus { path: "/run/dbus/system_bus_socket".into(), state });
        n
    }

    #[test]
    fn a_systemd_shim_without_the_system_bus_fails() {
        let o = run(check, with_bus(SPIN_SYSTEMD, BusState::Missing));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.ends_with("but there is no `/run/dbus/system_bus_socket`: every Wasm container fails to start with `cgroup error: systemd error: dbus error`"), "{}", o.message);
        let refused = BusState::Refuses { reason: "connection refused".into() };
        assert_eq!(run(check, with_bus(SPIN_SYSTEMD, refused)).status, Status::Fail);
        assert_eq!(run(check, with_bus(SPIN_SYSTEMD, BusState::Answers)).status, Status::Pass);
        assert_eq!(run(check, with_bus(SHIM_RUNTIME_V2, BusState::Missing)).status, Status::Skip, "cgroupfs");
    }

    #[test]
    fn a_runwasi_shim_before_the_option_existed_needs_no_bus() {
        let text = SPIN_SYSTEMD.replace("spin", "wasmtime");
        let mut n = with_bus(&text, BusState::Missing);
        n.shims =
            vec![ShimResolution { version: Some(Fact::Collected("0.5.0".into())), ..shim_resolution("wasmtime") }];
        let o = run(check, n);
        assert_eq!(o.status, Status::Pass, "{}", o.message);
        assert!(o.message.contains("predate runwasi 0.6.0"), "{}", o.message);
    }
}
