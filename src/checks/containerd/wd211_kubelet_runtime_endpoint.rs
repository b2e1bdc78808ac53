//! WD211 kubelet-runtime-endpoint: the kubelet talks to the containerd whose config wasmdoctor
//! checked. Its CRI endpoint (flag, config file, k3s's embedded default) is that containerd's
//! socket; one containerd runs, not two; and the Node reports a `containerd://` runtime. Otherwise a
//! runtime configured here is not the one pods get (`RuntimeHandler "spin" not supported` from
//! cri-dockerd, `no runtime for "spin"` from another containerd) while `ctr run` works.

use crate::checks::{Ctx, Outcome};
use crate::facts::{Fact, NodeFacts};
use crate::rules::cmdline::flag_value;
use crate::rules::distribution::containerd_socket;
use crate::rules::kubelet::{endpoint_socket, other_cri};

pub fn check(ctx: &Ctx, node: &NodeFacts) -> Outcome {
    let c = &node.containerd_config;
    // The socket of the containerd whose config was checked: the one that answered, else the one
    // its process names, else the distribution's.
    let process_address = match node.containerd_processes.as_slice() {
        [one] => flag_value(&one.cmdline, "--address"),
        _ => None,
    };
    let (socket, socket_from) = match (ctx.facts.containerd.collected(), process_address) {
        (Some(live), _) => (live.address.clone(), "the containerd that answered"),
        (None, Some(a)) => (a, "`--address` on containerd's command line"),
        (None, None) => (containerd_socket(c.distribution).to_string(), "the distribution's default"),
    };
    let socket = endpoint_socket(&socket);
    // The Node object, when the cluster was read: what the kubelet itself reports.
    let reported = ctx.facts.cluster.collected().and_then(|cl| {
        let name = ctx.facts.node_name.as_deref()?;
        cl.nodes.collected()?.iter().find(|n| n.name == name)?.runtime_version.clone()
    });
    if let Some(v) = reported.as_deref().filter(|v| !v.starts_with("containerd://")) {
        let name = ctx.facts.node_name.as_deref().unwrap_or("?");
        return Outcome::fail(format!(
            "Node `{name}` reports container runtime `{v}`: its kubelet does not use containerd, so the Wasm runtimes in `{}` are never asked for (pods fail with `RuntimeHandler \"…\" not supported` or `no runtime for \"…\"`)",
            c.main_path
        ))
        .evidence(format!("Node {name} status.nodeInfo.containerRuntimeVersion"), v.to_string())
        .fix("point the kubelet at containerd (`containerRuntimeEndpoint: unix:///run/containerd/containerd.sock`; minikube: `minikube start --container-runtime=containerd`), or configure the Wasm runtime in the runtime the kubelet uses");
    }
    let endpoint = match &node.kubelet_endpoint {
        Fact::Collected(e) => Some(e),
        Fact::Unavailable(_) => None,
    };
    if let Some(e) = endpoint {
        let theirs = endpoint_socket(&e.endpoint);
        if let Some(cri) = other_cri(&theirs) {
            return Outcome::fail(format!(
                "the kubelet talks to {cri} at `{}` ({}), not to containerd: the Wasm runtimes in `{}` are never asked for, and pods fail with `RuntimeHandler \"…\" not supported`",
                e.endpoint, e.source, c.main_path
            ))
            .evidence(e.source.clone(), e.endpoint.clone())
            .fix("point the kubelet at containerd (`containerRuntimeEndpoint: unix:///run/containerd/containerd.sock`; minikube: `minikube start --container-runtime=containerd`), or configure the Wasm runtime in the runtime the kubelet uses");
        }
        if theirs != socket {
            return Outcome::fail(format!(
                "the kubelet talks to `{}` ({}), but the containerd whose config `{}` was checked listens on `{socket}` ({socket_from}): the Wasm runtimes configured there are not the ones pods get",
                e.endpoint, e.source, c.main_path
            ))
            .evidence(e.source.clone(), e.endpoint.clone())
            .fix("configure the Wasm runtime in the config of the containerd the kubelet uses (give `--containerd-address` to check that one), or point the kubelet at this containerd");
        }
    }
    if node.containerd_processes.len() > 1 {
        let each: Vec<String> = node
            .containerd_processes
            .iter()
            .map(|p| {
                let config = flag_value(&p.cmdline, "--config").unwrap_or_else(|| "the default config".into());
                format!("pid {} ({config})", p.pid)
            })
            .collect();
        return Outcome::warn(format!(
            "{} containerd processes run: {}; only the one the kubelet talks to ({}) runs pods, and a runtime added to another's config is never used",
            each.len(),
            each.join(", "),
            endpoint.map(|e| e.endpoint.as_str()).unwrap_or("its endpoint is unknown here")
        ))
        .fix("configure Wasm runtimes in the config of the containerd the kubelet uses, and stop the other one if nothing needs it (a system containerd beside k3s's own is the usual case)");
    }
    match (endpoint, reported) {
        (Some(e), _) => Outcome::pass(format!(
            "the kubelet talks to `{}` ({}), the socket of the containerd whose config was checked",
            e.endpoint, e.source
        )),
        (None, Some(v)) => {
            let why = node.kubelet_endpoint.missing().map(|m| m.reason.clone()).unwrap_or_default();
            Outcome::pass(format!("the Node reports `{v}`; the kubelet's own endpoint is unknown here ({why})"))
        }
        (None, None) => match &node.kubelet_endpoint {
            Fact::Unavailable(m) => Outcome::skip(format!("the kubelet's CRI endpoint is unknown: {}", m.reason)),
            Fact::Collected(_) => Outcome::skip("the kubelet's CRI endpoint is unknown"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::facts::{Distribution, KubeletEndpoint, NodeInfo, Process};
    use crate::report::Status;

    fn kubelet_at(endpoint: &str, dist: Distribution, path: &str) -> NodeFacts {
        let mut n = node(config_at(dist, path, SHIM_RUNTIME_V2, None));
        n.kubelet_endpoint = Fact::Collected(KubeletEndpoint {
            endpoint: endpoint.into(),
            source: "/var/lib/kubelet/config.yaml:9".into(),
        });
        n
    }

    fn containerd(pid: u32, args: &[&str]) -> Process {
        let mut cmdline = vec!["/usr/bin/containerd".to_string()];
        cmdline.extend(args.iter().map(|a| a.to_string()));
        Process { pid, exe: Some("/usr/bin/containerd".into()), cwd: None, path_env: None, cmdline }
    }

    #[test]
    fn the_kubelet_on_cri_dockerd_fails() {
        // minikube started with the docker runtime (deislabs/containerd-wasm-shims#190).
        let o = run(
            check,
            kubelet_at("unix:///var/run/cri-dockerd.sock", Distribution::Containerd, "/etc/containerd/config.toml"),
        );
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.starts_with("the kubelet talks to cri-dockerd (Docker) at `unix:///var/run/cri-dockerd.sock`"),
            "{}",
            o.message
        );
    }

    #[test]
    fn another_containerd_fails_the_same_one_passes() {
        // A system containerd's config edited on a k3s node, whose kubelet uses k3s's containerd.
        let k3s = "unix:///run/k3s/containerd/containerd.sock";
        let o = run(check, kubelet_at(k3s, Distribution::Containerd, "/etc/containerd/config.toml"));
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.contains("listens on `/run/containerd/containerd.sock` (the distribution's default)"),
            "{}",
            o.message
        );
        let o = run(check, kubelet_at(k3s, Distribution::K3s, "/var/lib/rancher/k3s/agent/etc/containerd/config.toml"));
        assert_eq!(o.status, Status::Pass, "{}", o.message);
        let o = run(
            check,
            kubelet_at(
                "unix:///var/run/containerd/containerd.sock",
                Distribution::Containerd,
                "/etc/containerd/config.toml",
            ),
        );
        assert_eq!(o.status, Status::Pass, "/var/run is /run: {}", o.message);
    }

    #[test]
    fn two_containerds_warn() {
        let mut n = kubelet_at(
            "unix:///run/containerd/containerd.sock",
            Distribution::Containerd,
            "/etc/containerd/config.toml",
        );
        n.containerd_processes = vec![
            containerd(812, &[]),
            containerd(
                1907,
                &[
                    "-c",
                    "/var/lib/rancher/k3s/agent/etc/containerd/config.toml",
                    "--address",
                    "/run/k3s/containerd/containerd.sock",
                ],
            ),
        ];
        let o = run(check, n);
        assert_eq!(o.status, Status::Warn);
        assert!(
            o.message.starts_with("2 containerd processes run: pid 812 (the default config), pid 1907"),
            "{}",
            o.message
        );
    }

    #[test]
    fn the_node_reporting_docker_fails() {
        let mut f = facts(node(config(SHIM_RUNTIME_V2)));
        let mut c = cluster_facts(vec![], vec![], vec![], vec![]);
        c.nodes = Fact::Collected(vec![NodeInfo {
            runtime_version: Some("docker://24.0.7".into()),
            ..node_info("worker-1", &[], None)
        }]);
        f.cluster = Fact::Collected(c);
        let node = f.node.collected().unwrap().clone();
        let o = with_ctx(&f, |ctx| check(ctx, &node));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.starts_with("Node `worker-1` reports container runtime `docker://24.0.7`"), "{}", o.message);
        assert_eq!(run(check, node).status, Status::Skip, "nothing known");
    }
}
