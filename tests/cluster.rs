//! Cluster checks WD301–WD308 against a local fake API server, reached over real HTTP by the real
//! kube client; node facts come from fixture host roots. Pagination, 403/500/malformed bodies, a
//! slow and an unreachable server, and the absence of credentials in the report are proven here.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::fake_api::*;
use common::*;

fn ago(minutes: u64) -> String {
    wasmdoctor::rules::time::rfc3339(SystemTime::now() - Duration::from_secs(minutes * 60))
}

fn report(api: &FakeApi, host: &str, node: &str, extra: &[&str]) -> (Run, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let kc = api.kubeconfig(dir.path());
    let root = fixture(host);
    let mut args = vec![
        "--json",
        "--no-docker",
        "--host-root",
        root.to_str().unwrap(),
        "--node",
        node,
        "--kubeconfig",
        kc.to_str().unwrap(),
    ];
    args.extend(extra);
    let r = run(&args);
    let j = r.json();
    assert_schema_valid(&j);
    assert!(!r.stdout.contains("fake-secret-token"), "kubeconfig credentials leaked into the report");
    assert!(!r.stdout.contains("pod-env-secret"), "a pod's env value leaked into the report");
    assert_report_unchanged(&j, &[(api.url.as_str(), "[api]"), (kc.to_str().unwrap(), "[kubeconfig]")]);
    (r, j)
}

fn status<'a>(j: &'a serde_json::Value, id: &str) -> &'a str {
    check(j, id)["status"].as_str().unwrap()
}

fn message<'a>(j: &'a serde_json::Value, id: &str) -> &'a str {
    check(j, id)["message"].as_str().unwrap()
}

/// A crun node (fixture `healthy-crun`) whose Wasm workload is set up right.
fn healthy_crun_cluster() -> State {
    let mut s = State::default();
    s.add(node("worker-crun", &[("kwasm.sh/kwasm-provisioned", "worker-crun")]));
    s.add_manifest("second-state-kwasm-deployment-crun-service.yaml");
    s.add(replicaset("default", "demo-deployment-5d9f7c6b8d", "demo-deployment", Some("crun")));
    let started = ago(120);
    s.add(crun_demo_pod("default", &started));
    s.log(
        "default",
        "demo-deployment-5d9f7c6b8d-x2x7q",
        "app",
        "new connection at 0.0.0.0:1234\nServer is listening on port 1234\n",
    );
    s.add(crun_demo_hpa("default"));
    // A plain pod with an unrelated warning.
    s.add(pod(PodSpec {
        name: "nginx-1",
        node: "worker-crun",
        image: "nginx:1.27",
        running_since: Some(&started),
        ..Default::default()
    }));
    s.add(event("default", "Pod", "nginx-1", "BackOff", "Back-off restarting failed container nginx in pod nginx-1"));
    s
}

#[test]
fn healthy_crun_cluster_passes_every_cluster_check() {
    let api = FakeApi::start(healthy_crun_cluster());
    let (r, j) = report(&api, "healthy-crun", "worker-crun", &["--context", "other"]);
    for id in ["WD301", "WD302", "WD303", "WD304", "WD305", "WD306", "WD307", "WD308", "WD309"] {
        assert_eq!(status(&j, id), "pass", "{id}: {}", check(&j, id));
    }
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(j["target"]["cluster"]["context"], "other");
    assert_eq!(j["target"]["cluster"]["server"], api.url);
    assert_eq!(
        message(&j, "WD301"),
        "RuntimeClasses for this node's Wasm runtimes: `crun` → handler `crun` (crun route)"
    );
    assert!(
        message(&j, "WD305").starts_with("1 Wasm container running for over 60 s has written log output"),
        "{}",
        message(&j, "WD305")
    );
    // Only the Wasm pod's log was fetched, bounded.
    let logs: Vec<String> = api.requests().into_iter().filter(|r| r.contains("/log")).collect();
    assert_eq!(
        logs,
        [
            "/api/v1/namespaces/default/pods/demo-deployment-5d9f7c6b8d-x2x7q/log?container=app&limitBytes=4096&tailLines=50"
        ]
    );
}

/// A runwasi node with only the `wasmedge` runtime (fixture `healthy-shim`) in a cluster with k3s's
/// RuntimeClasses and several broken Wasm workloads.
fn broken_shim_cluster() -> State {
    let mut s = State::default();
    s.add(node("worker-shim", &[]));
    s.add(node("worker-2", &[("spin-v2", "provisioned")]));
    s.add_manifest("k3s-manifests-runtimes.yaml");
    // runtime-class-manager's app names a RuntimeClass that was never created.
    s.add_manifest("runtime-class-manager-spin-app.yaml");
    s.add(replicaset("default", "wasm-spin-6d5b9c8f7", "wasm-spin", Some("wasmtime-spin-v2")));
    s.add(event(
        "default",
        "ReplicaSet",
        "wasm-spin-6d5b9c8f7",
        "FailedCreate",
        "Error creating: pods \"wasm-spin-6d5b9c8f7-\" is forbidden: pod rejected: RuntimeClass \"wasmtime-spin-v2\" not found",
    ));
    let started = ago(30);
    // A quiet wasmedge pod.
    s.add(pod(PodSpec {
        name: "hello-wasmedge",
        node: "worker-shim",
        runtime_class: Some("wasmedge"),
        image: "ghcr.io/containerd/runwasi/wasi-demo-app:latest",
        running_since: Some(&started),
        ..Default::default()
    }));
    s.log("default", "hello-wasmedge", "app", "");
    // A socket-using module on wasmtime.
    s.add(pod(PodSpec {
        name: "net-client",
        node: "worker-shim",
        runtime_class: Some("wasmtime"),
        image: "ghcr.io/example/http-client:v1",
        running_since: Some(&started),
        ..Default::default()
    }));
    s.log("default", "net-client", "app", "Error: failed to run main module `/http_client.wasm`\n\nCaused by:\n    0: failed to instantiate \"/http_client.wasm\"\n    1: unknown import: `wasi_snapshot_preview1::sock_setsockopt` has not been defined\n");
    // A spin pod on a node without the spin runtime (text from the corpus: k3s event).
    let e02 = std::fs::read_to_string(corpus().join("errors/e02-no-runtime-spin-configured-k3s-event.txt")).unwrap();
    let e02: String = e02.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n");
    s.add(pod(PodSpec {
        name: "spin-app-7f9c-kq2lz",
        node: "worker-shim",
        runtime_class: Some("spin"),
        running_since: None,
        ..Default::default()
    }));
    s.add(event("default", "Pod", "spin-app-7f9c-kq2lz", "FailedCreatePodSandBox", e02.trim()));
    // spin-operator's HPA on CPU for a Wasm Deployment whose pods report no CPU.
    s.add_manifest("spin-operator-spinapp-hpa.yaml");
    s.add(deployment(
        "default",
        "hpa-spinapp",
        Some("wasmedge"),
        &[],
        "ghcr.io/spinkube/spin-operator/cpu-load-gen:20240311-163328-g1121986",
    ));
    s.add(replicaset("default", "hpa-spinapp-5c8b9d", "hpa-spinapp", Some("wasmedge")));
    s.add(pod(PodSpec {
        name: "hpa-spinapp-5c8b9d-l9x2v",
        node: "worker-shim",
        runtime_class: Some("wasmedge"),
        owner: Some(("ReplicaSet", "hpa-spinapp-5c8b9d")),
        running_since: Some(&started),
        ..Default::default()
    }));
    s.log("default", "hpa-spinapp-5c8b9d-l9x2v", "app", "generating load\n");
    s.add(pod_metrics("default", "hpa-spinapp-5c8b9d-l9x2v", "0"));
    // A Wasm image whose index lists only wasi/wasm (the kubelet's events, corpus e20).
    s.add(pod(PodSpec {
        name: "wasm-lunatic-764c4f46d4-5b4zt",
        node: "worker-shim",
        runtime_class: Some("wasmedge"),
        image: "ghcr.io/deislabs/containerd-wasm-shims/examples/lunatic-submillisecond:v0.11.0",
        waiting: Some((
            "ImagePullBackOff",
            "Back-off pulling image \"ghcr.io/deislabs/containerd-wasm-shims/examples/lunatic-submillisecond:v0.11.0\"",
        )),
        ..Default::default()
    }));
    let e20 = std::fs::read_to_string(corpus().join("errors/e20-no-match-for-platform-errimagepull.txt")).unwrap();
    let pull = e20.lines().find(|l| l.contains("no match for platform")).unwrap();
    let pull = &pull[pull.find("Failed to pull").unwrap()..];
    s.add(event("default", "Pod", "wasm-lunatic-764c4f46d4-5b4zt", "Failed", pull));
    s
}

#[test]
fn broken_shim_cluster_fails_each_cluster_check() {
    let api = FakeApi::start(broken_shim_cluster());
    let (r, j) = report(&api, "healthy-shim", "worker-shim", &[]);
    assert_eq!(r.code, 1);
    assert_eq!(status(&j, "WD301"), "pass", "wasmedge → wasmedge links: {}", check(&j, "WD301"));

    assert_eq!(status(&j, "WD302"), "fail");
    let m = message(&j, "WD302");
    assert!(m.contains("`crun` (handler `crun`)") && m.contains("`spin` (handler `spin`)"), "{m}");
    assert!(m.contains("can schedule pods to `worker-shim`, whose containerd has no runtime of that name"), "{m}");
    assert!(!m.contains("`wasmedge` (handler"), "{m}");
    let other = check(&j, "WD302")["evidence"].to_string();
    assert!(other.contains("1 other node can run it"), "{other}");

    assert_eq!(status(&j, "WD303"), "fail");
    let m = message(&j, "WD303");
    assert!(m.starts_with("RuntimeClass `wasmtime-spin-v2` does not exist: Deployment `default/wasm-spin`"), "{m}");
    let affected = &check(&j, "WD303")["affected"];
    assert_eq!(
        affected.as_array().unwrap().len(),
        1,
        "the Deployment once, not again for its ReplicaSet's event: {affected}"
    );

    assert_eq!(status(&j, "WD305"), "warn");
    let m = message(&j, "WD305");
    assert!(m.starts_with("1 Wasm container has written no log output after more than 60 s running (first: container `app` of Pod `default/hello-wasmedge` on `worker-shim`, route runwasi-style shim"), "{m}");

    assert_eq!(status(&j, "WD306"), "fail");
    let m = message(&j, "WD306");
    assert!(m.contains("Pod `default/net-client`") && m.contains("sock_setsockopt"), "{m}");

    assert_eq!(status(&j, "WD307"), "fail");
    let m = message(&j, "WD307");
    assert!(m.starts_with("HPA `default/spinapp-autoscaler` scales Wasm workload Deployment `hpa-spinapp` on CPU/memory, but its pod reports no CPU usage"), "{m}");
    assert!(check(&j, "WD307")["fix"]["summary"].as_str().unwrap().contains("KEDA `ScaledObject`"));

    assert_eq!(status(&j, "WD308"), "fail");
    let m = message(&j, "WD308");
    assert!(
        m.contains("Pod `default/spin-app-7f9c-kq2lz` shows `") && m.contains("no runtime for \"spin\" is configured"),
        "{m}"
    );
    assert!(m.contains("(explained by WD202/WD302)"), "{m}");

    // This node lacks most of k3s's handlers, and no RuntimeClass has a nodeSelector.
    assert_eq!(status(&j, "WD310"), "fail");
    assert!(
        message(&j, "WD310").contains("`spin` (handler `spin`) can schedule to 1 node without it: `worker-shim`"),
        "{}",
        message(&j, "WD310")
    );

    assert_eq!(status(&j, "WD309"), "fail");
    let m = message(&j, "WD309");
    assert!(m.starts_with("Pod `default/wasm-lunatic-764c4f46d4-5b4zt` cannot pull its image: its index has no entry for the node's platform"), "{m}");
}

/// A module that fails to instantiate crash-loops: its error is only in the previous run's log.
#[test]
fn a_crash_looping_wasm_pod_is_diagnosed_from_its_previous_log() {
    let mut s = State::default();
    s.add(node("worker-shim", &[]));
    s.add_manifest("k3s-manifests-runtimes.yaml");
    s.add(crash_looping(pod(PodSpec {
        name: "net-client",
        node: "worker-shim",
        runtime_class: Some("wasmtime"),
        image: "ghcr.io/example/http-client:v1",
        ..Default::default()
    })));
    s.log("default", "net-client", "app", "");
    let socket = "    1: unknown import: `wasi_snapshot_preview1::sock_getaddrinfo` has not been defined";
    s.previous_log("default", "net-client", "app", &format!("Error: failed to run main module `/http_client.wasm`\n\nCaused by:\n    0: failed to instantiate \"/http_client.wasm\"\n{socket}\n"));
    let api = FakeApi::start(s);
    let (r, j) = report(&api, "healthy-shim", "worker-shim", &[]);
    assert_eq!(r.code, 1);
    assert_eq!(status(&j, "WD306"), "fail", "{}", check(&j, "WD306"));
    let evidence = &check(&j, "WD306")["evidence"][0];
    assert_eq!(evidence["source"], "Pod `default/net-client`, container `app`'s previous log");
    assert_eq!(evidence["value"], socket.trim());
    // A waiting container is not judged silent: its current log is not WD305's.
    assert_eq!(status(&j, "WD305"), "skip", "{}", check(&j, "WD305"));
    let logs: Vec<String> = api.requests().into_iter().filter(|r| r.contains("/log")).collect();
    assert_eq!(
        logs,
        ["/api/v1/namespaces/default/pods/net-client/log?container=app&limitBytes=4096&tailLines=50&previous=true"],
        "only the previous run's log, bounded like the others"
    );
}

#[test]
fn crun_route_pod_without_the_annotation() {
    let mut s = healthy_crun_cluster();
    let started = ago(10);
    s.add(pod(PodSpec {
        name: "wasi-demo",
        node: "worker-crun",
        runtime_class: Some("crun"),
        image: "docker.io/wasmedge/example-wasi:latest",
        running_since: None,
        waiting: Some(("CrashLoopBackOff", "back-off 5m0s restarting failed container")),
        ..Default::default()
    }));
    let e15 = std::fs::read_to_string(corpus().join("errors/e15-exec-format-error-crun-json-log.txt")).unwrap();
    let e15: String = e15.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n");
    s.add(event("default", "Pod", "wasi-demo", "Failed", e15.trim()));
    s.add(deployment("default", "annotated-image", Some("crun"), &[], "docker.io/wasmedge/example-wasi:latest"));
    let _ = started;
    let api = FakeApi::start(s);
    let (_, j) = report(&api, "healthy-crun", "worker-crun", &[]);
    assert_eq!(status(&j, "WD304"), "fail");
    let m = message(&j, "WD304");
    assert!(
        m.starts_with(
            "Pod `default/wasi-demo` and Deployment `default/annotated-image` without `module.wasm.image/variant`"
        ),
        "{m}"
    );
    assert!(m.contains("`Exec format error`"), "{m}");
    assert_eq!(status(&j, "WD308"), "fail");
    assert!(message(&j, "WD308").contains("(explained by WD103/WD204/WD304)"), "{}", message(&j, "WD308"));
}

#[test]
fn pagination_fetches_every_page() {
    let mut s = State::default();
    s.add(node("worker-crun", &[]));
    s.add_manifest("kwasm-node-installer-runtimeclass-crun.yaml");
    for i in 0..1203 {
        let name = format!("web-{i:04}");
        s.add(pod(PodSpec { ns: "shop", name: &name, node: "worker-2", image: "nginx:1.27", ..Default::default() }));
    }
    let api = FakeApi::start(s);
    let dir = tempfile::tempdir().unwrap();
    let kc = api.kubeconfig(dir.path());
    let r = run(&["collect", "-o", "-", "--no-node", "--no-docker", "--kubeconfig", kc.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let facts = r.json();
    let pods = facts["cluster"]["collected"]["pods"]["collected"].as_array().unwrap();
    assert_eq!(pods.len(), 1203);
    let names: std::collections::BTreeSet<&str> = pods.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 1203, "no page repeated");
    let pod_requests: Vec<String> = api.requests().into_iter().filter(|r| r.starts_with("/api/v1/pods")).collect();
    assert_eq!(
        pod_requests,
        [
            "/api/v1/pods?limit=500",
            "/api/v1/pods?limit=500&continue=cursor%2F500%2B%3D%3D",
            "/api/v1/pods?limit=500&continue=cursor%2F1000%2B%3D%3D"
        ]
    );
    assert!(api.requests().contains(&"/api/v1/events?limit=500&fieldSelector=type%3DWarning".to_string()));
}

#[test]
fn forbidden_lists_skip_naming_the_permission_and_others_continue() {
    let api = FakeApi::start(healthy_crun_cluster());
    api.fault("/api/v1/pods", Fault::Status(403));
    let (_, j) = report(&api, "healthy-crun", "worker-crun", &[]);
    assert_eq!(status(&j, "WD301"), "pass");
    assert_eq!(status(&j, "WD302"), "pass");
    for id in ["WD303", "WD304", "WD305", "WD306", "WD308"] {
        assert_eq!(status(&j, id), "skip", "{id}");
        assert_eq!(
            message(&j, id),
            "forbidden: wasmdoctor may not `list` `pods` (API group core) at the cluster scope; grant it (see docs/rbac.yaml)"
        );
    }
    assert_eq!(status(&j, "WD101"), "pass", "node checks unaffected");
}

#[test]
fn server_errors_and_malformed_bodies_are_errors() {
    let api = FakeApi::start(healthy_crun_cluster());
    api.fault("/apis/node.k8s.io/v1/runtimeclasses", Fault::Status(500));
    api.fault("/apis/autoscaling/v2/horizontalpodautoscalers", Fault::Malformed);
    let (_, j) = report(&api, "healthy-crun", "worker-crun", &[]);
    assert_eq!(status(&j, "WD301"), "error");
    assert!(message(&j, "WD301").starts_with("listing runtimeclasses failed: HTTP 500"), "{}", message(&j, "WD301"));
    assert_eq!(status(&j, "WD307"), "error");
    assert!(
        message(&j, "WD307").starts_with("the horizontalpodautoscalers list is not valid JSON"),
        "{}",
        message(&j, "WD307")
    );
}

#[test]
fn a_slow_server_does_not_stall_the_report() {
    let api = FakeApi::start(healthy_crun_cluster());
    api.fault("/api/v1/pods", Fault::Delay(Duration::from_secs(20)));
    let start = Instant::now();
    let (_, j) = report(&api, "healthy-crun", "worker-crun", &["--timeout", "2"]);
    assert!(start.elapsed() < Duration::from_secs(6), "took {:?}", start.elapsed());
    assert_eq!(status(&j, "WD101"), "pass");
    assert_eq!(status(&j, "WD303"), "error");
    assert_eq!(message(&j, "WD303"), "listing pods did not finish in time");
}

#[test]
fn an_unreachable_api_server_skips_the_cluster_checks() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    std::fs::write(
        &kc,
        format!("apiVersion: v1\nkind: Config\ncurrent-context: gone\nclusters:\n- name: gone\n  cluster:\n    server: http://127.0.0.1:{port}\ncontexts:\n- name: gone\n  context:\n    cluster: gone\n    user: u\nusers:\n- name: u\n  user:\n    token: t\n"),
    )
    .unwrap();
    let start = Instant::now();
    let r = run(&["--json", "--no-node", "--no-docker", "--kubeconfig", kc.to_str().unwrap(), "--timeout", "3"]);
    assert!(start.elapsed() < Duration::from_secs(6));
    let j = r.json();
    for id in ["WD301", "WD302", "WD303", "WD304", "WD305", "WD306", "WD307", "WD308", "WD309"] {
        assert_eq!(status(&j, id), "skip", "{id}");
        assert!(
            message(&j, id).starts_with(&format!(
                "the cluster is not reachable: cannot reach the API server http://127.0.0.1:{port}"
            )),
            "{}",
            message(&j, id)
        );
    }
    let src = j["sources"].as_array().unwrap().iter().find(|s| s["name"] == "cluster").unwrap().clone();
    assert_eq!(src["status"], "unavailable");
}

#[test]
fn unreadable_events_are_named_not_silently_ignored() {
    let api = FakeApi::start(healthy_crun_cluster());
    api.fault("/api/v1/events", Fault::Malformed);
    let (_, j) = report(&api, "healthy-crun", "worker-crun", &[]);
    assert_eq!(status(&j, "WD308"), "pass");
    assert!(
        message(&j, "WD308").contains("(container states only; events not read: the events list is not valid JSON"),
        "{}",
        message(&j, "WD308")
    );
}
