//! WD212 orphaned-shims: every running Wasm shim process (`containerd-shim-<engine>-v<N> -namespace
//! N -id X -address A`, from procfs) serves a task X that containerd still has. A shim whose task is
//! gone is a leftover: it holds the pod's resources and keeps pods in `Terminating`
//! (containerd/runwasi#418, #703). Only the running machine shows this.

use crate::checks::{Ctx, Outcome};
use crate::facts::{ContainerdLive, Fact, NodeFacts, Process};
use crate::rules::cmdline::flag_value;
use crate::rules::kubelet::endpoint_socket;

pub fn check(ctx: &Ctx, node: &NodeFacts, live: &ContainerdLive) -> Outcome {
    if !ctx.facts.live {
        return Outcome::skip(format!(
            "reads the running machine's processes, and the host root is not it: {}",
            ctx.facts.live_because
        ));
    }
    let tasks = match &live.tasks {
        Fact::Collected(t) => t,
        Fact::Unavailable(m) => return Outcome::error(m.reason.clone()),
    };
    // The long-running shims (not `… start`/`… delete` helpers) of this containerd.
    let ours = endpoint_socket(&live.address);
    let serving: Vec<(&Process, String, String)> = node
        .shim_processes
        .iter()
        .filter(|p| !p.cmdline.iter().skip(1).any(|a| a == "start" || a == "delete"))
        .filter(|p| flag_value(&p.cmdline, "-address").is_none_or(|a| endpoint_socket(&a) == ours))
        .filter_map(|p| Some((p, flag_value(&p.cmdline, "-namespace")?, flag_value(&p.cmdline, "-id")?)))
        .collect();
    if serving.is_empty() {
        return Outcome::pass(format!("no Wasm shim process of the containerd at `{}` runs", live.address));
    }
    let orphans: Vec<String> = serving
        .iter()
        .filter(|(_, ns, id)| !tasks.iter().any(|t| &t.namespace == ns && &t.id == id))
        .map(|(p, ns, id)| {
            let shim = p.cmdline.first().map(|a| a.rsplit('/').next().unwrap_or(a)).unwrap_or("?");
            format!("pid {} (`{shim}`, task `{ns}/{id}`)", p.pid)
        })
        .collect();
    if orphans.is_empty() {
        return Outcome::pass(format!(
            "each of {} Wasm shim process{} serves a task containerd has",
            serving.len(),
            if serving.len() == 1 { "" } else { "es" }
        ));
    }
    let shown: Vec<&str> = orphans.iter().take(10).map(String::as_str).collect();
    Outcome::warn(format!(
        "{} Wasm shim process{} {} without {} task in the containerd at `{}`: {}{}; leftovers like these keep pods in `Terminating` and hold their resources",
        orphans.len(),
        if orphans.len() == 1 { "" } else { "es" },
        if orphans.len() == 1 { "runs" } else { "run" },
        if orphans.len() == 1 { "its" } else { "their" },
        live.address,
        shown.join(", "),
        if orphans.len() > shown.len() { format!(" and {} more", orphans.len() - shown.len()) } else { String::new() }
    ))
    .fix("once no pod needs them, stop the leftover shims (`kill <pid>`); upgrade the shim if they keep appearing (runwasi fixed several shutdown leaks)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::facts::TaskRef;
    use crate::report::Status;

    fn shim(pid: u32, id: &str) -> Process {
        let cmdline = [
            "/usr/local/bin/containerd-shim-wasmtime-v1",
            "-namespace",
            "k8s.io",
            "-id",
            id,
            "-address",
            "/run/containerd/containerd.sock",
        ];
        Process { pid, exe: None, cwd: None, path_env: None, cmdline: cmdline.map(String::from).to_vec() }
    }

    #[test]
    fn a_shim_without_its_task_warns() {
        let mut f = with_live(SHIM_RUNTIME_V2, vec![]);
        f.live = true;
        let mut live = f.containerd.collected().unwrap().clone();
        live.tasks = Fact::Collected(vec![TaskRef { namespace: "k8s.io".into(), id: "3f2a".into(), pid: 4100 }]);
        let mut n = f.node.collected().unwrap().clone();
        n.shim_processes = vec![shim(4090, "3f2a"), shim(5120, "9c1d")];
        let o = with_ctx(&f, |ctx| check(ctx, &n, &live));
        assert_eq!(o.status, Status::Warn);
        assert!(o.message.starts_with("1 Wasm shim process runs without its task in the containerd at `/run/containerd/containerd.sock`: pid 5120 (`containerd-shim-wasmtime-v1`, task `k8s.io/9c1d`)"), "{}", o.message);
        n.shim_processes.pop();
        assert_eq!(with_ctx(&f, |ctx| check(ctx, &n, &live)).status, Status::Pass);
        f.live = false;
        assert_eq!(with_ctx(&f, |ctx| check(ctx, &n, &live)).status, Status::Skip);
    }
}
