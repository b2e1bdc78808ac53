//! Small builders of facts for the checks' unit tests.

use std::collections::BTreeMap;

use crate::facts::*;
use crate::policy::Policy;
use crate::rules::{containerd_config, distribution, versions};

use super::{Ctx, Outcome};

/// A node check's signature.
pub type NodeCheck = fn(&Ctx, &NodeFacts) -> Outcome;

/// Run `check` on these facts with the default policy.
pub fn with_ctx<T>(facts: &Facts, check: impl FnOnce(&Ctx) -> T) -> T {
    check(&Ctx { facts, policy: &Policy::default() })
}

pub fn facts(node: NodeFacts) -> Facts {
    Facts {
        schema_version: FACTS_SCHEMA_VERSION,
        tool_version: "test".into(),
        collected_at: "2026-11-24T10:00:00Z".into(),
        collect_ms: 0,
        host_root: "/".into(),
        node_name: Some("worker-1".into()),
        node_name_unknown: None,
        live: false,
        live_because: "a test".into(),
        node: Fact::Collected(node),
        containerd: Fact::unavailable(MissingKind::NotRequested, "not in this test"),
        docker: Fact::unavailable(MissingKind::NotRequested, "not in this test"),
        cluster: Fact::unavailable(MissingKind::NotRequested, "not in this test"),
        node_smoke: crate::facts::smoke_not_requested(),
        cluster_smoke: crate::facts::cluster_smoke_not_requested(),
    }
}

pub fn run(check: NodeCheck, node: NodeFacts) -> Outcome {
    run_with(check, node, &Policy::default())
}

pub fn run_with(check: NodeCheck, node: NodeFacts, policy: &Policy) -> Outcome {
    let f = facts(node);
    let node = f.node.collected().expect("the node facts of a test");
    check(&Ctx { facts: &f, policy }, node)
}

/// A policy file's text, any suppression ID accepted.
pub fn policy(text: &str) -> Policy {
    Policy::parse("policy.toml", text, |_| true).expect("a test policy parses")
}

/// A plain containerd node whose `/etc/containerd/config.toml` holds `text`.
pub fn config(text: &str) -> ContainerdConfig {
    config_at(Distribution::Containerd, distribution::DEFAULT_CONFIG, text, None)
}

pub fn config_at(dist: Distribution, path: &str, text: &str, major: Option<u64>) -> ContainerdConfig {
    let mut file = ConfigFile {
        path: path.into(),
        role: FileRole::Main,
        state: FileState::Parsed,
        version: None,
        imports: vec![],
        generated_header: text.lines().next().filter(|l| l.contains("DO NOT EDIT")).map(String::from),
        template_lines_skipped: vec![],
        renders_detected_runtimes: false,
        rendered_version: None,
        local_image_pull: None,
        frozen_copy: None,
        runtimes: vec![],
    };
    match containerd_config::parse(path, text, false) {
        Ok(p) => {
            file.version = p.version;
            file.local_image_pull = p.local_image_pull;
            file.runtimes = p.runtimes;
        }
        Err(m) => file.state = FileState::Malformed { line: m.line, column: m.column, message: m.message },
    }
    ContainerdConfig {
        distribution: dist,
        main_path: path.into(),
        main_reason: "test".into(),
        runtimes: file.runtimes.clone(),
        files: vec![file],
        template: None,
        edit_path: path.into(),
        containerd_major: major,
        files_cut: None,
    }
}

pub fn node(config: ContainerdConfig) -> NodeFacts {
    NodeFacts {
        arch: "x86_64".into(),
        containerd_config: config,
        containerd: ContainerdHost { process: Fact::unavailable(MissingKind::NotFound, "no process"), binary: None },
        distribution_binary: None,
        crun: vec![],
        libraries: Libraries { search_dirs: vec!["/usr/lib".into()], found: Default::default() },
        wasmedge: WasmEdge { cli: None, library: None },
        shims: vec![],
        kubelet: Fact::unavailable(MissingKind::NotFound, "no kubelet"),
        installed_shims: vec![],
        service_units: vec![],
        cgroup: Fact::Collected(Cgroup { mode: CgroupMode::Unified, evidence: "a test".into() }),
        system_bus: Fact::Collected(SystemBus { path: "/run/dbus/system_bus_socket".into(), state: BusState::Answers }),
        kubelet_endpoint: Fact::unavailable(MissingKind::NotFound, "no kubelet"),
        containerd_processes: vec![],
        shim_processes: vec![],
    }
}

/// Shim `containerd-shim-<engine>-v1` of runtime `engine`, found in `/usr/local/bin`, version 0.6.0.
pub fn shim_resolution(engine: &str) -> ShimResolution {
    let binary = format!("containerd-shim-{engine}-v1");
    ShimResolution {
        runtime: engine.into(),
        runtime_location: "/etc/containerd/config.toml:2".into(),
        runtime_type: format!("io.containerd.{engine}.v1"),
        binary: binary.clone(),
        path_source: PathSource::Standard,
        searched: vec![format!("/usr/local/bin/{binary}"), format!("/usr/bin/{binary}")],
        resolved: Some(format!("/usr/local/bin/{binary}")),
        found_elsewhere: vec![],
        invalid: None,
        executable: true,
        binary_kind: BinaryKind::Elf { machine: "x86_64".into() },
        version: Some(Fact::Collected("0.6.0".into())),
    }
}

/// A node whose runtime `crun` (CRUN_RUNTIME_V2) runs `/usr/local/bin/crun`, which prints `output`.
pub fn crun_node(output: &str) -> NodeFacts {
    let mut n = node(config(CRUN_RUNTIME_V2));
    n.crun = vec![crun("/usr/local/bin/crun", output, Some("crun"))];
    n
}

/// A crun at `path` printing `output` for `--version`, named by runtime `runtime` (or found on PATH).
pub fn crun(path: &str, output: &str, runtime: Option<&str>) -> CrunBinary {
    let origin = match runtime {
        Some(r) => CrunOrigin::BinaryName { runtime: r.into(), location: "/etc/containerd/config.toml:3".into() },
        None => CrunOrigin::Path,
    };
    CrunBinary {
        path: path.into(),
        canonical: path.into(),
        origins: vec![origin],
        exists: true,
        executable: true,
        problem: None,
        version: versions::parse_crun(output)
            .map(Fact::Collected)
            .unwrap_or_else(|| Fact::unavailable(MissingKind::Malformed, "unparsable")),
    }
}

pub const CRUN_RUNTIME_V2: &str = r#"version = 2
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun]
  runtime_type = "io.containerd.runc.v2"
  pod_annotations = ["module.wasm.image/variant"]
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun.options]
    BinaryName = "/usr/local/bin/crun"
"#;

pub const SHIM_RUNTIME_V2: &str = r#"version = 2
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmedge]
  runtime_type = "io.containerd.wasmedge.v1"
"#;

/// Real `crun --version` outputs (shared/corpus/version-output).
pub const CRUN_1_7_2_WASMEDGE: &str = "crun version 1.7.2\ncommit: 0356bf4aff9a133d655dc13b1d9ac9424706cac4\nrundir: /run/user/501/crun\nspec: 1.0.0\n+SYSTEMD +SELINUX +APPARMOR +CAP +SECCOMP +EBPF +CRIU +LIBKRUN +WASM:wasmedge +YAJL\n";
pub const CRUN_1_23_1_NO_WASM: &str = "crun version 1.23.1 \ncommit: d20b23dba05e822b93b82f2f34fd5dada433e0c2 \nrundir: /run/user/1000/crun \nspec: 1.0.0 \n+SYSTEMD +SELINUX +APPARMOR +CAP +SECCOMP +EBPF +YAJL\n";
pub const CRUN_1_27_1_WASMEDGE: &str = "crun version 1.27.1\ncommit: 3ec076b3b6714ec2f1a10533cf18d5605a6de637\nrundir: /run/crun\nspec: 1.0.0\n+SYSTEMD +SELINUX +APPARMOR +CAP +SECCOMP +EBPF +CRIU +LIBKRUN +WASM:wasmedge +YAJL\n";

// ---------------------------------------------------------------------------------------------
// the cluster

pub fn cluster_facts(
    pods: Vec<PodInfo>,
    workloads: Vec<WorkloadInfo>,
    hpas: Vec<HpaInfo>,
    rcs: Vec<RuntimeClassInfo>,
) -> ClusterFacts {
    ClusterFacts {
        keda: None,
        scaled_objects: Fact::unavailable(MissingKind::NotFound, "KEDA's ScaledObject API is not served"),
        shims: Fact::unavailable(MissingKind::NotFound, "runtime-class-manager's Shim API is not served"),
        context: Some("test".into()),
        server: Some("https://127.0.0.1:6443".into()),
        insecure_tls: false,
        runtime_classes: Fact::Collected(rcs),
        nodes: Fact::Collected(vec![]),
        pods: Fact::Collected(pods),
        workloads: Fact::Collected(workloads),
        events: Fact::Collected(vec![]),
        hpas: Fact::Collected(hpas),
        pod_metrics: Fact::Collected(vec![]),
        logs: vec![],
    }
}

pub fn rc(name: &str, handler: &str) -> RuntimeClassInfo {
    RuntimeClassInfo { name: name.into(), handler: handler.into(), node_selector: BTreeMap::new(), tolerations: vec![] }
}

/// Node `name` with these labels, as a kubelet of Kubernetes ≥ 1.30 on containerd 2.x reports it
/// (`handlers`: `status.runtimeHandlers`; `None`: the field is absent).
pub fn node_info(name: &str, labels: &[(&str, &str)], handlers: Option<&[&str]>) -> NodeInfo {
    NodeInfo {
        name: name.into(),
        labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        runtime_version: Some("containerd://2.1.4".into()),
        taints: vec![],
        runtime_handlers: handlers.map(|hs| hs.iter().map(|h| h.to_string()).collect()),
        wasm_ready: None,
        ready: Some(true),
    }
}

/// A running pod of namespace `demo` on `worker-1`, started at 09:00 (an hour before the facts).
pub fn pod(name: &str, rc: &str, image: &str, owner: Option<&str>) -> PodInfo {
    PodInfo {
        namespace: "demo".into(),
        name: name.into(),
        node: Some("worker-1".into()),
        runtime_class: Some(rc.into()),
        wasm_annotations: BTreeMap::new(),
        owner: owner.map(|o| ObjectRef { kind: "ReplicaSet".into(), namespace: Some("demo".into()), name: o.into() }),
        phase: Some("Running".into()),
        start_time: None,
        containers: vec![ContainerInfo {
            name: "app".into(),
            image: Some(image.into()),
            state: "running".into(),
            started_at: Some("2026-11-24T09:00:00Z".into()),
            reason: None,
            message: None,
            restart_count: 0,
            last_termination: None,
        }],
    }
}

/// `p` crash-looping: its container waits in `CrashLoopBackOff` after 5 runs that exited 1.
pub fn crash_looping(mut p: PodInfo) -> PodInfo {
    for c in &mut p.containers {
        c.state = "waiting".into();
        c.reason = Some("CrashLoopBackOff".into());
        c.message = Some(format!("back-off 2m40s restarting failed container={} pod={}_demo", c.name, p.name));
        c.started_at = None;
        c.restart_count = 5;
        c.last_termination = Some(Termination { exit_code: 1, reason: Some("Error".into()), message: None });
    }
    p
}

/// The previous run's log of `pod`'s container `app`.
pub fn previous_log(pod: &str, tail: &str) -> ContainerLog {
    ContainerLog { previous: true, ..log(pod, tail) }
}

pub fn event(pod: &str, reason: &str, message: &str) -> EventInfo {
    EventInfo {
        namespace: "demo".into(),
        object: ObjectRef { kind: "Pod".into(), namespace: Some("demo".into()), name: pod.into() },
        reason: reason.into(),
        message: message.into(),
        count: 1,
        last_seen: None,
    }
}

pub fn log(pod: &str, tail: &str) -> ContainerLog {
    ContainerLog {
        namespace: "demo".into(),
        pod: pod.into(),
        container: "app".into(),
        previous: false,
        bytes: Fact::Collected(tail.len() as u64),
        tail: tail.into(),
    }
}

/// A cluster with one running pod of RuntimeClass `rc` (handler `rc`) whose container logged `tail`.
pub fn one_pod_logging(name: &str, rc_name: &str, tail: &str) -> ClusterFacts {
    let mut c = cluster_facts(vec![pod(name, rc_name, "x", None)], vec![], vec![], vec![rc(rc_name, rc_name)]);
    c.logs = vec![log(name, tail)];
    c
}

/// Run a cluster check on a node whose containerd config is `node_config`, in this cluster.
pub fn run_cluster(check: fn(&Ctx, &ClusterFacts) -> Outcome, node_config: &str, cluster: ClusterFacts) -> Outcome {
    let mut f = facts(node(config(node_config)));
    f.cluster = Fact::Collected(cluster.clone());
    check(&Ctx { facts: &f, policy: &Policy::default() }, &cluster)
}

// ---------------------------------------------------------------------------------------------
// docker

/// Facts of a node whose dockerd is `version`, with this store and these shims on its PATH.
pub fn with_docker(version: &str, driver_type: Option<&str>, shims: &[&str]) -> Facts {
    let mut f = facts(node(config("")));
    let mut status = vec![("Root Dir".to_string(), "/var/lib/docker/vfs".to_string())];
    if let Some(t) = driver_type {
        status = vec![("driver-type".to_string(), t.to_string())];
    }
    f.docker = Fact::Collected(DockerFacts {
        host: "unix:///var/run/docker.sock".into(),
        server_version: version.into(),
        api_version: "1.41".into(),
        driver: if driver_type.is_some() { "overlayfs".into() } else { "vfs".into() },
        driver_status: status,
        runtimes: vec!["io.containerd.runc.v2".into(), "runc".into()],
        dockerd_path: Fact::Collected("/usr/local/bin:/usr/bin".into()),
        shims_on_path: shims.iter().map(|s| s.to_string()).collect(),
        searched: vec!["/usr/local/bin".into(), "/usr/bin".into()],
    });
    f
}

/// Run a docker check on these facts (which have docker facts).
pub fn run_docker(check: fn(&Ctx, &DockerFacts) -> Outcome, f: &Facts) -> Outcome {
    let Fact::Collected(d) = &f.docker else { panic!("a test with docker facts") };
    check(&Ctx { facts: f, policy: &Policy::default() }, d)
}

// ---------------------------------------------------------------------------------------------
// the running containerd

/// A node whose config is `text`, and whose containerd answers with these loaded runtimes.
pub fn with_live(text: &str, runtimes: Vec<LoadedRuntime>) -> Facts {
    let mut f = facts(node(config(text)));
    f.containerd = Fact::Collected(ContainerdLive {
        address: "/run/containerd/containerd.sock".into(),
        version: "1.6.20~ds1".into(),
        revision: "x".into(),
        namespaces: vec![],
        images: Fact::Collected(vec![]),
        cri: Fact::Collected(CriStatus { default_runtime: Some("runc".into()), runtimes, runtime_handlers: None }),
        tasks: Fact::Collected(vec![]),
    });
    f
}
