//! The cluster checks and fixes against the real kube-apiserver (with etcd), built from its Go module:
//! the worlds of tests/cluster.rs created through the real API (status through the status
//! subresource, as the kubelet writes it), RBAC with `docs/rbac.yaml`, and a fix end to end with
//! server-side apply. Where the real server and the fake differ is in docs/testing.md.

mod common;

use std::path::Path;
use std::time::{Duration, SystemTime};

use common::fake_api::{
    PodSpec, crash_looping, crun_demo_hpa, crun_demo_pod, deployment, event, hpa, node, node_with_handlers, pod,
    replicaset,
};
use common::real_api::*;
use common::roots::copy_fixture;
use common::*;
use serde_json::{Value, json};

fn ago(minutes: u64) -> String {
    wasmdoctor::rules::time::rfc3339(SystemTime::now() - Duration::from_secs(minutes * 60))
}

/// wasmdoctor against the real server as `token`, on fixture `host` as node `node`.
fn wd(api: &RealApi, root: &Path, node: &str, token: &str, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let kc = api.kubeconfig(dir.path(), token);
    let mut a = args.to_vec();
    a.extend([
        "--no-docker",
        "--host-root",
        root.to_str().unwrap(),
        "--node",
        node,
        "--kubeconfig",
        kc.to_str().unwrap(),
    ]);
    run(&a)
}

fn report(api: &RealApi, host: &str, node: &str, token: &str) -> Value {
    let r = wd(api, &fixture(host), node, token, &["--json"]);
    let j = r.json();
    assert_schema_valid(&j);
    assert!(!r.stdout.contains(token), "a token reached the report");
    j
}

fn status(j: &Value, id: &str) -> String {
    check(j, id)["status"].as_str().unwrap_or_default().to_string()
}

fn message(j: &Value, id: &str) -> String {
    check(j, id)["message"].as_str().unwrap_or_default().to_string()
}

/// tests/cluster.rs's broken world: k3s's RuntimeClasses, a Deployment naming a RuntimeClass that
/// does not exist, a pod on a runtime this node lacks, a socket-using module, a crash loop, and an
/// image whose index has no entry for the node.
#[test]
fn a_broken_world_fails_each_cluster_check_on_the_real_server() {
    let mut w = World::new();
    let ns = "wd-broken";
    w.namespace(ns);
    w.create(node("worker-shim", &[]));
    w.create(node("worker-2", &[("spin-v2", "provisioned")]));
    w.create_manifest("k3s-manifests-runtimes.yaml", ns);
    w.create_manifest("runtime-class-manager-spin-app.yaml", ns);
    w.create(replicaset(ns, "wasm-spin-6d5b9c8f7", "wasm-spin", Some("wasmtime-spin-v2")));
    w.create(event(
        ns,
        "ReplicaSet",
        "wasm-spin-6d5b9c8f7",
        "FailedCreate",
        "Error creating: pods \"wasm-spin-6d5b9c8f7-\" is forbidden: pod rejected: RuntimeClass \"wasmtime-spin-v2\" not found",
    ));
    // A spin pod on a node without the spin runtime (the k3s event of the corpus).
    let e02 = std::fs::read_to_string(corpus().join("errors/e02-no-runtime-spin-configured-k3s-event.txt")).unwrap();
    let e02: String = e02.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n");
    w.create(pod(PodSpec {
        ns,
        name: "spin-app-7f9c-kq2lz",
        node: "worker-shim",
        runtime_class: Some("spin"),
        running_since: None,
        ..Default::default()
    }));
    w.create(event(ns, "Pod", "spin-app-7f9c-kq2lz", "FailedCreatePodSandBox", e02.trim()));
    // A module that crash-loops on a socket import: its last termination message says so.
    let mut looping = crash_looping(pod(PodSpec {
        ns,
        name: "net-client",
        node: "worker-shim",
        runtime_class: Some("wasmtime"),
        ..Default::default()
    }));
    looping["status"]["containerStatuses"][0]["lastState"]["terminated"]["message"] = json!(
        "Error: failed to run main module `/http_client.wasm`\n    1: unknown import: `wasi_snapshot_preview1::sock_getaddrinfo` has not been defined"
    );
    w.create(looping);
    // A Wasm image whose index lists only wasi/wasm (corpus e20).
    w.create(pod(PodSpec {
 ns,
        name: "wasm-lunatic-764c4f46d4-5b4zt",
        node: "worker-shim",
        runtime_class: Some("wasmedge"),
        waiting: Some(("ErrImagePull", "rpc error: code = NotFound desc = failed to pull and unpack image \"ghcr.io/deislabs/containerd-wasm-shims/examples/lunatic-submillisecond:v0.11.0\": no match for platform in manifest: not found")),
        ..Default::default()
    }));

    // spin-operator's CPU HPA for a Wasm Deployment, whose status the HPA controller would write.
    w.create_manifest("spin-operator-spinapp-hpa.yaml", ns);
    w.create(deployment(
        ns,
        "hpa-spinapp",
        Some("wasmedge"),
        &[],
        "ghcr.io/spinkube/spin-operator/cpu-load-gen:20240311-163328-g1121986",
    ));

    let j = report(w.api, "healthy-shim", "worker-shim", ADMIN_TOKEN);
    assert_eq!(status(&j, "WD301"), "pass", "{}", check(&j, "WD301"));
    assert_eq!(status(&j, "WD302"), "fail", "{}", check(&j, "WD302"));
    assert!(message(&j, "WD302").contains("`spin` (handler `spin`)"), "{}", message(&j, "WD302"));
    assert_eq!(status(&j, "WD303"), "fail", "{}", check(&j, "WD303"));
    assert!(
        message(&j, "WD303")
            .starts_with("RuntimeClass `wasmtime-spin-v2` does not exist: Deployment `wd-broken/wasm-spin`"),
        "{}",
        message(&j, "WD303")
    );
    assert_eq!(status(&j, "WD306"), "fail", "{}", check(&j, "WD306"));
    assert_eq!(check(&j, "WD306")["evidence"][0]["source"], "Pod `wd-broken/net-client`, container `app`'s status");
    assert_eq!(status(&j, "WD308"), "fail", "{}", check(&j, "WD308"));
    assert!(message(&j, "WD308").contains("(explained by WD202/WD302)"), "{}", message(&j, "WD308"));
    assert_eq!(status(&j, "WD309"), "fail", "{}", check(&j, "WD309"));
    // No metrics-server and no HPA controller: WD307 cannot tell, and says why (it once said
    // "metrics flowing" here, which only the fake's pod metrics had made look true).
    assert_eq!(status(&j, "WD307"), "skip", "{}", check(&j, "WD307"));
    assert!(
        message(&j, "WD307").contains("the API server does not serve `pods` (API group `metrics.k8s.io`)"),
        "{}",
        message(&j, "WD307")
    );
    // No kubelet serves logs here: the log requests fail, and the checks that need logs say so
    // instead of passing (the fake serves logs; tests/cluster.rs covers WD305 from them).
    assert_ne!(status(&j, "WD305"), "pass", "{}", check(&j, "WD305"));
}

/// tests/cluster.rs's healthy crun world passes every check the real server can feed.
#[test]
fn a_healthy_crun_world_passes_on_the_real_server() {
    let mut w = World::new();
    let ns = "wd-healthy";
    w.namespace(ns);
    w.create(node("worker-crun", &[("kwasm.sh/kwasm-provisioned", "worker-crun")]));
    w.create_manifest("second-state-kwasm-deployment-crun-service.yaml", ns);
    w.create(replicaset(ns, "demo-deployment-5d9f7c6b8d", "demo-deployment", Some("crun")));
    let started = ago(120);
    w.create(crun_demo_pod(ns, &started));
    w.create(crun_demo_hpa(ns));
    let j = report(w.api, "healthy-crun", "worker-crun", ADMIN_TOKEN);
    for id in ["WD301", "WD302", "WD303", "WD304", "WD306", "WD307", "WD308", "WD309"] {
        assert!(matches!(status(&j, id).as_str(), "pass" | "skip"), "{id}: {}", check(&j, id));
    }
    for id in ["WD301", "WD302", "WD303", "WD304", "WD307", "WD308", "WD309"] {
        assert_eq!(status(&j, id), "pass", "{id}: {}", check(&j, id));
    }
    // No kubelet answers for the node: the real server's 500 is said, not taken for silence.
    assert_eq!(status(&j, "WD305"), "error", "{}", check(&j, "WD305"));
    assert!(message(&j, "WD305").starts_with("reading pods/log failed: HTTP 500: "), "{}", message(&j, "WD305"));
    // WD211 reads the Node's runtime through the real server.
    assert_ne!(status(&j, "WD211"), "fail", "{}", check(&j, "WD211"));
}

/// `docs/rbac.yaml` applied to the real server: its read role lets every list through; an identity
/// without it gets the real server's 403, which the checks name (verb, resource, group).
#[test]
fn the_documented_rbac_on_the_real_server() {
    let mut w = World::new();
    w.namespace("wasmdoctor");
    w.create(node("worker-crun", &[]));
    w.apply_yaml(&std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rbac.yaml")).unwrap());
    w.create(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "wasmdoctor-read-test"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "wasmdoctor-read"},
        "subjects": [{"kind": "ServiceAccount", "name": "wasmdoctor", "namespace": "wasmdoctor"}]}));
    // RBAC caches settle within a moment; wait for the binding to be honoured.
    let allowed = |token: &str| w.api.raw("GET", "/apis/node.k8s.io/v1/runtimeclasses", None, token).0;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while allowed(READER_TOKEN) != 200 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    let j = report(w.api, "healthy-crun", "worker-crun", READER_TOKEN);
    for id in ["WD301", "WD302", "WD303", "WD304", "WD307", "WD308", "WD309"] {
        assert!(!message(&j, id).contains("forbidden"), "{id} with the documented role: {}", check(&j, id));
    }
    assert_eq!(status(&j, "WD301"), "fail", "no RuntimeClass for the node's crun: {}", check(&j, "WD301"));

    let j = report(w.api, "healthy-crun", "worker-crun", NOBODY_TOKEN);
    assert_eq!(status(&j, "WD301"), "skip", "{}", check(&j, "WD301"));
    let m = message(&j, "WD301");
    assert!(m.contains("list") && m.contains("runtimeclasses") && m.contains("node.k8s.io"), "{m}");
}

/// WD301's fix on the real server: dry-run, server-side apply with field manager `wasmdoctor`, a
/// second run changes nothing, `undo` deletes what wasmdoctor created.
#[test]
fn wd301_fix_and_undo_on_the_real_server() {
    let mut w = World::new();
    w.create(node("worker-crun", &[("kwasm.sh/kwasm-provisioned", "worker-crun")]));
    let root = copy_fixture("healthy-crun");
    let fix = |args: &[&str]| wd(w.api, root.path(), "worker-crun", ADMIN_TOKEN, args);
    let r = fix(&["fix", "WD301", "--dry-run"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(w.api.get("/apis/node.k8s.io/v1/runtimeclasses/crun").0, 404, "a dry-run creates nothing");
    let r = fix(&["fix", "WD301", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("WD301 now: pass"), "{}", r.stdout);
    let (code, rc) = w.api.get("/apis/node.k8s.io/v1/runtimeclasses/crun");
    assert_eq!(code, 200, "{rc}");
    assert_eq!(rc["handler"], "crun");
    assert_eq!(rc["scheduling"]["nodeSelector"]["kwasm.sh/kwasm-provisioned"], "worker-crun");
    let managers: Vec<&str> =
        rc["metadata"]["managedFields"].as_array().unwrap().iter().filter_map(|m| m["manager"].as_str()).collect();
    assert_eq!(managers, ["wasmdoctor"], "{rc}");
    assert_eq!(rc["metadata"]["managedFields"][0]["operation"], "Apply");
    let rv = rc["metadata"]["resourceVersion"].clone();
    let r = fix(&["fix", "WD301", "--yes"]);
    assert!(r.stdout.contains("WD301: passes already"), "{}", r.stdout);
    assert_eq!(w.api.get("/apis/node.k8s.io/v1/runtimeclasses/crun").1["metadata"]["resourceVersion"], rv);
    let r = fix(&["undo"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(w.api.get("/apis/node.k8s.io/v1/runtimeclasses/crun").0, 404, "undo deleted it");
}

/// What docs/testing.md says the real server does differently from the fake, held here.
#[test]
fn where_the_real_server_differs_from_the_fake() {
    let mut w = World::new();
    w.namespace("wd-differ");
    // A ReplicaSet without a selector (the fake's old builder) is refused.
    let mut rs = replicaset("wd-differ", "no-selector", "web", None);
    rs["spec"].as_object_mut().unwrap().remove("selector");
    let (code, body) = w.api.raw("POST", "/apis/apps/v1/namespaces/wd-differ/replicasets", Some(&rs), ADMIN_TOKEN);
    assert_eq!(code, 422, "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("spec.selector: Required value"), "{body}");
    // A 403 is the real Status.
    let (code, body) = w.api.raw("GET", "/apis/node.k8s.io/v1/runtimeclasses", None, NOBODY_TOKEN);
    assert_eq!(code, 403, "{body}");
    assert_eq!(
        body["message"],
        "runtimeclasses.node.k8s.io is forbidden: User \"nobody\" cannot list resource \"runtimeclasses\" in API group \"node.k8s.io\" at the cluster scope"
    );
    // metrics.k8s.io is not served without metrics-server.
    assert_eq!(w.api.get("/apis/metrics.k8s.io/v1beta1/pods").0, 404);
    // A pod's status in a create is not kept: the kubelet writes it through pods/status.
    let p = w.create(pod(PodSpec { ns: "wd-differ", name: "status-on-create", ..Default::default() }));
    assert_eq!(p["status"]["phase"], "Running", "written through the subresource");
    let mut again = pod(PodSpec { ns: "wd-differ", name: "status-ignored", ..Default::default() });
    again["metadata"].as_object_mut().unwrap().retain(|k, _| k == "name" || k == "namespace");
    let (code, made) = w.api.raw("POST", "/api/v1/namespaces/wd-differ/pods", Some(&again), ADMIN_TOKEN);
    assert_eq!(code, 201, "{made}");
    assert_eq!(made["status"]["phase"], "Pending", "a create's status is the server's own");
    w.api.raw(
        "DELETE",
        "/api/v1/namespaces/wd-differ/pods/status-ignored",
        Some(&json!({"gracePeriodSeconds": 0})),
        ADMIN_TOKEN,
    );
}

/// WD304's fix on the real server: a server-side apply of the owning Deployment's template, which
/// keeps the fields it does not own (`runtimeClassName`); `undo` removes exactly wasmdoctor's field.
#[test]
fn wd304_fix_and_undo_on_the_real_server() {
    let mut w = World::new();
    let ns = "wd-shop";
    w.namespace(ns);
    w.create(node("worker-crun", &[]));
    w.create(json!({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "crun"}, "handler": "crun"}));
    w.create(deployment(ns, "hello", Some("crun"), &[], "ghcr.io/example/hello:v1"));
    w.create(replicaset(ns, "hello-5d9f7c6b8d", "hello", Some("crun")));
    w.create(pod(PodSpec {
        ns,
        name: "hello-5d9f7c6b8d-x2x7q",
        node: "worker-crun",
        runtime_class: Some("crun"),
        owner: Some(("ReplicaSet", "hello-5d9f7c6b8d")),
        ..Default::default()
    }));
    let root = copy_fixture("healthy-crun");
    let fix = |args: &[&str]| wd(w.api, root.path(), "worker-crun", ADMIN_TOKEN, args);
    let path = format!("/apis/apps/v1/namespaces/{ns}/deployments/hello");
    let r = fix(&["fix", "WD304", "--yes"]);
    assert!(r.stdout.contains("applied Deployment wd-shop/hello"), "{}", r.stdout);
    // No Deployment controller replaces the old pod here (nor at once on a real cluster): the
    // re-check says the rollout is pending instead of failing the fix it just applied.
    assert!(
        r.stdout.contains("WD304 now: warn: the pod templates of Deployment `wd-shop/hello` carry"),
        "{}",
        r.stdout
    );
    let d = w.api.get(&path).1;
    assert_eq!(d["spec"]["template"]["metadata"]["annotations"]["module.wasm.image/variant"], "compat-smart", "{d}");
    assert_eq!(d["spec"]["template"]["spec"]["runtimeClassName"], "crun", "the apply kept a field it does not own");
    let r = fix(&["undo"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let d = w.api.get(&path).1;
    assert!(d["spec"]["template"]["metadata"]["annotations"].get("module.wasm.image/variant").is_none(), "{d}");
    assert_eq!(d["spec"]["template"]["spec"]["runtimeClassName"], "crun");
}

/// WD307's fix on the real server once KEDA's ScaledObject API is served (its CRD, as KEDA's chart
/// installs it): a ScaledObject applied with field manager `wasmdoctor`, and deleted by `undo`.
#[test]
fn wd307_scaledobject_on_the_real_server() {
    let mut w = World::new();
    let ns = "wd-keda";
    w.namespace(ns);
    w.create(node("worker-crun", &[]));
    w.create(json!({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "crun"}, "handler": "crun"}));
    w.create(json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "scaledobjects.keda.sh"},
        "spec": {"group": "keda.sh", "scope": "Namespaced",
                 "names": {"kind": "ScaledObject", "listKind": "ScaledObjectList", "plural": "scaledobjects", "singular": "scaledobject", "shortNames": ["so"]},
                 "versions": [{"name": "v1alpha1", "served": true, "storage": true,
                               "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}}));
    let served = |w: &World| w.api.get(&format!("/apis/keda.sh/v1alpha1/namespaces/{ns}/scaledobjects")).0 == 200;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !served(&w) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    w.create(deployment(
        ns,
        "web",
        Some("crun"),
        &[("module.wasm.image/variant", "compat-smart")],
        "ghcr.io/example/web:v1",
    ));
    w.create(hpa(
        ns,
        "web",
        "web",
        json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}]),
        json!([{"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric", "lastTransitionTime": "2026-11-24T09:00:00Z",
                "message": "the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API"}]),
    ));
    let root = copy_fixture("healthy-crun");
    let policy = root.path().join("policy.toml");
    std::fs::write(&policy, "[keda]\nprometheus = \"http://prometheus.monitoring.svc:9090\"\nquery = 'sum(rate(http_requests_total{namespace=\"{namespace}\",pod=~\"{name}-.*\"}[2m]))'\nthreshold = \"50\"\n").unwrap();
    let fix = |args: &[&str]| {
        let mut a = vec!["--config", policy.to_str().unwrap()];
        a.extend(args);
        wd(w.api, root.path(), "worker-crun", ADMIN_TOKEN, &a)
    };
    let r = fix(&["fix", "WD307", "--yes"]);
    assert!(r.stdout.contains("applied ScaledObject wd-keda/web (field manager `wasmdoctor`)"), "{}", r.stdout);
    // No KEDA operator runs here to take the HPA over: the re-check says so, not that the fix failed.
    assert!(r.stdout.contains("WD307 now: warn: HPA `wd-keda/web` cannot scale Deployment `web` on CPU/memory yet, and ScaledObject `wd-keda/web` targets it"), "{}", r.stdout);
    let (code, so) = w.api.get(&format!("/apis/keda.sh/v1alpha1/namespaces/{ns}/scaledobjects/web"));
    assert_eq!(code, 200, "{so}");
    assert_eq!(
        so["spec"]["triggers"][0]["metadata"]["query"],
        "sum(rate(http_requests_total{namespace=\"wd-keda\",pod=~\"web-.*\"}[2m]))"
    );
    assert_eq!(so["metadata"]["managedFields"][0]["manager"], "wasmdoctor");
    let r = fix(&["undo"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        w.api.get(&format!("/apis/keda.sh/v1alpha1/namespaces/{ns}/scaledobjects/web")).0,
        404,
        "undo deleted it"
    );
}

/// WD310 on Nodes whose kubelets report their runtime handlers (`status.runtimeHandlers`, written
/// through `nodes/status` as the kubelet writes it): a RuntimeClass without a nodeSelector sends
/// pods to a node without its handler, where one is already stuck.
#[test]
fn wd310_names_the_nodes_a_runtimeclass_sends_pods_to_in_vain() {
    let mut w = World::new();
    let ns = "wd-fleet";
    w.namespace(ns);
    w.create(node_with_handlers("spin-a", &[("spin", "provisioned")], &["runc", "spin"]));
    w.create(node_with_handlers("plain-b", &[], &["runc"]));
    w.create(json!({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "wasmtime-spin-v2"}, "handler": "spin"}));
    w.create(pod(PodSpec {
        ns,
        name: "spin-app-1",
        node: "plain-b",
        runtime_class: Some("wasmtime-spin-v2"),
        running_since: None,
        ..Default::default()
    }));
    let (code, n) = w.api.get("/api/v1/nodes/plain-b");
    assert_eq!(
        (code, &n["status"]["runtimeHandlers"][0]["name"]),
        (200, &json!("runc")),
        "the real server keeps runtimeHandlers: {n}"
    );
    let j = report(w.api, "healthy-crun", "worker-crun", ADMIN_TOKEN);
    assert_eq!(status(&j, "WD310"), "fail", "{}", check(&j, "WD310"));
    let m = message(&j, "WD310");
    assert!(m.contains("`wasmtime-spin-v2` (handler `spin`) can schedule to 1 node without it: `plain-b`; stuck there: Pod `wd-fleet/spin-app-1`"), "{m}");
    // With the installer's label as its nodeSelector, it passes.
    let (code, _) = w.api.raw(
        "PATCH",
        "/apis/node.k8s.io/v1/runtimeclasses/wasmtime-spin-v2",
        Some(&json!({"scheduling": {"nodeSelector": {"spin": "provisioned"}}})),
        ADMIN_TOKEN,
    );
    assert_eq!(code, 200);
    let j = report(w.api, "healthy-crun", "worker-crun", ADMIN_TOKEN);
    assert_eq!(status(&j, "WD310"), "pass", "{}", check(&j, "WD310"));
}

/// The cluster smoke on the real server as an identity that has only docs/rbac.yaml's roles
/// (`wasmdoctor-read`, and `wasmdoctor-smoke` bound in the smoke's namespace): the Job passes strict
/// field validation and admission in the dry run, is created, and, as no controller makes its pod
/// here, is given up at the limit and deleted; nothing of it is left.
#[test]
fn the_cluster_smoke_on_the_real_server_with_the_documented_roles() {
    let mut w = World::new();
    let ns = "wd-smoke";
    w.namespace(ns);
    w.create(node("smoke-1", &[]));
    w.create(json!({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "wasmtime"}, "handler": "wasmtime"}));
    w.apply_yaml(&std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rbac.yaml")).unwrap());
    let subject = json!([{"kind": "ServiceAccount", "name": "wasmdoctor", "namespace": "wasmdoctor"}]);
    w.create(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "wasmdoctor-read-smoke"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "wasmdoctor-read"}, "subjects": subject}));
    w.create(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "wasmdoctor-smoke", "namespace": ns},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "wasmdoctor-smoke"}, "subjects": subject}));
    let jobs = format!("/apis/batch/v1/namespaces/{ns}/jobs");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while w.api.raw("GET", &jobs, None, READER_TOKEN).0 != 200 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, format!("[smoke]\nnamespace = \"{ns}\"\n")).unwrap();
    let kc = w.api.kubeconfig(dir.path(), READER_TOKEN);
    let r = run(&[
        "smoke",
        "--cluster",
        "--json",
        "--no-node",
        "--smoke-timeout",
        "3",
        "--config",
        policy.to_str().unwrap(),
        "--kubeconfig",
        kc.to_str().unwrap(),
    ]);
    let j = r.json();
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let m = message(&j, "WD311");
    assert_eq!(status(&j, "WD311"), "fail", "{m}");
    assert!(m.contains("`wasmtime` on `smoke-1`: not finished after 3 s (it was `no pod yet`)"), "{m}");
    assert!(r.stderr.contains("creating 1 Job(s)"), "the dry run passed: {}", r.stderr);
    let (code, left) = w.api.get(&jobs);
    assert_eq!(code, 200);
    assert_eq!(left["items"], json!([]), "the Job was deleted: {left}");
}
