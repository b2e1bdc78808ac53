//! Cluster fixes against the fake API server (real HTTP, the real kube client): server-side apply
//! with field manager `wasmdoctor`, dry-run first, nothing written on a refusal, `undo` removes
//! exactly wasmdoctor's objects or fields.

mod common;

use std::path::Path;

use common::roots::*;
use common::*;

use common::fake_api::{self, FakeApi, Fault, PodSpec, State};

fn wd_cluster(root: &Path, api: &FakeApi, node: &str, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let kc = api.kubeconfig(dir.path());
    let mut a = args.to_vec();
    a.extend([
        "--host-root",
        root.to_str().unwrap(),
        "--no-docker",
        "--node",
        node,
        "--kubeconfig",
        kc.to_str().unwrap(),
    ]);
    run(&a)
}

fn patches(api: &FakeApi) -> Vec<String> {
    api.requests().into_iter().filter(|r| r.starts_with("PATCH ")).collect()
}

/// The node's crun runtime has no RuntimeClass: WD301 creates one by server-side apply (dry-run
/// first, field manager `wasmdoctor`), with the KWasm label of this node as its node selector.
#[test]
fn wd301_creates_the_runtimeclass_by_server_side_apply() {
    let root = copy_fixture("healthy-crun");
    let mut s = State::default();
    s.add(fake_api::node("worker-crun", &[("kwasm.sh/kwasm-provisioned", "worker-crun")]));
    let api = FakeApi::start(s);
    let r = wd_cluster(root.path(), &api, "worker-crun", &["fix", "WD301", "--dry-run"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    insta::assert_snapshot!("wd301_runtimeclass_plan", plan_text(&r));
    assert_eq!(patches(&api), ["PATCH /apis/node.k8s.io/v1/runtimeclasses/crun?fieldManager=wasmdoctor&dryRun=All"]);
    assert!(api.state.lock().unwrap().lists.get("/apis/node.k8s.io/v1/runtimeclasses").is_none_or(Vec::is_empty));

    let r = wd_cluster(root.path(), &api, "worker-crun", &["fix", "WD301", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("applied RuntimeClass crun (field manager `wasmdoctor`)"), "{}", r.stdout);
    assert!(r.stdout.contains("WD301 now: pass"), "{}", r.stdout);
    let p = patches(&api);
    let real =
        p.iter().position(|x| x == "PATCH /apis/node.k8s.io/v1/runtimeclasses/crun?fieldManager=wasmdoctor").unwrap();
    assert!(
        p[..real].iter().filter(|x| x.ends_with("&dryRun=All")).count() >= 2,
        "no dry-run before the real request: {p:?}"
    );
    let body: serde_json::Value = serde_json::from_str(&api.state.lock().unwrap().patches.last().unwrap().1).unwrap();
    assert_eq!(body["handler"], "crun");
    assert_eq!(body["scheduling"]["nodeSelector"]["kwasm.sh/kwasm-provisioned"], "worker-crun");
    // Again: nothing to do, nothing sent.
    let before = patches(&api).len();
    let r = wd_cluster(root.path(), &api, "worker-crun", &["fix", "WD301", "--yes"]);
    assert!(r.stdout.contains("WD301: passes already"), "{}", r.stdout);
    assert_eq!(patches(&api).len(), before);
    // Undo deletes the RuntimeClass wasmdoctor created; WD301 fails again.
    let r = wd_cluster(root.path(), &api, "worker-crun", &["undo"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("deleted RuntimeClass crun (WD301 applied at"), "{}", r.stdout);
    assert!(
        api.requests().contains(&"DELETE /apis/node.k8s.io/v1/runtimeclasses/crun".to_string()),
        "{:?}",
        api.requests()
    );
    assert!(api.state.lock().unwrap().lists["/apis/node.k8s.io/v1/runtimeclasses"].is_empty());
    let j = wd_cluster(root.path(), &api, "worker-crun", &["--json", "--only", "WD301"]).json();
    assert_eq!(check(&j, "WD301")["status"], "fail");
}

/// Pods ask for RuntimeClass `crun`, which does not exist, and this node has a `crun` handler:
/// WD303 creates it.
#[test]
fn wd303_creates_the_runtimeclass_the_pods_ask_for() {
    let root = copy_fixture("healthy-crun");
    let mut s = State::default();
    s.add(fake_api::node("worker-crun", &[]));
    s.add(fake_api::pod(PodSpec {
        name: "hello",
        node: "",
        runtime_class: Some("crun"),
        running_since: None,
        ..Default::default()
    }));
    s.add(fake_api::pod(PodSpec {
        name: "other",
        node: "",
        runtime_class: Some("spin"),
        running_since: None,
        ..Default::default()
    }));
    let api = FakeApi::start(s);
    let r = wd_cluster(root.path(), &api, "worker-crun", &["fix", "WD303", "--yes"]);
    assert!(r.stdout.contains("create the RuntimeClass `crun`"), "{}", r.stdout);
    assert!(r.stdout.contains("by hand: `spin` matches no handler of this node's containerd"), "{}", r.stdout);
    assert!(r.stdout.contains("applied RuntimeClass crun"), "{}", r.stdout);
    // `spin` is still missing: the check is not clean, and the exit code says so.
    assert!(r.stdout.contains("WD303 now: fail"), "{}", r.stdout);
    assert_eq!(r.code, 1);
    assert!(patches(&api).iter().all(|p| p.contains("/runtimeclasses/crun?fieldManager=wasmdoctor")));
}

/// A crun-route Deployment without the annotation: WD304 adds it to the Deployment's pod template
/// (not to the pod, not to the ReplicaSet); a bare pod is left to the user.
#[test]
fn wd304_annotates_the_owning_deployment() {
    let root = copy_fixture("healthy-crun");
    let mut s = State::default();
    s.add(fake_api::node("worker-crun", &[]));
    s.add(serde_json::json!({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "crun"}, "handler": "crun"}));
    s.add(fake_api::deployment("shop", "hello", Some("crun"), &[], "ghcr.io/example/hello:v1"));
    s.add(fake_api::replicaset("shop", "hello-5d9f7c6b8d", "hello", Some("crun")));
    s.add(fake_api::pod(PodSpec {
        ns: "shop",
        name: "hello-5d9f7c6b8d-x2x7q",
        node: "worker-crun",
        runtime_class: Some("crun"),
        owner: Some(("ReplicaSet", "hello-5d9f7c6b8d")),
        ..Default::default()
    }));
    let api = FakeApi::start(s);
    let r = wd_cluster(root.path(), &api, "worker-crun", &["fix", "WD304", "--dry-run"]);
    insta::assert_snapshot!("wd304_deployment_plan", plan_text(&r));
    let r = wd_cluster(root.path(), &api, "worker-crun", &["fix", "WD304", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("applied Deployment shop/hello"), "{}", r.stdout);
    assert!(r.stdout.contains("WD304 now: pass"), "{}", r.stdout);
    let sent = patches(&api).len();
    let r = wd_cluster(root.path(), &api, "worker-crun", &["fix", "WD304", "--yes"]);
    assert!(r.stdout.contains("WD304: passes already"), "{}", r.stdout);
    assert_eq!(patches(&api).len(), sent, "a second run sent a request");
    let p = patches(&api);
    assert!(
        p.iter()
            .all(|x| x.starts_with("PATCH /apis/apps/v1/namespaces/shop/deployments/hello?fieldManager=wasmdoctor")),
        "{p:?}"
    );
    assert!(p.first().is_some_and(|x| x.ends_with("&dryRun=All")));
    {
        let st = api.state.lock().unwrap();
        let d = &st.lists["/apis/apps/v1/deployments"][0];
        assert_eq!(d["spec"]["template"]["metadata"]["annotations"]["module.wasm.image/variant"], "compat-smart");
        assert_eq!(
            d["spec"]["template"]["spec"]["runtimeClassName"], "crun",
            "the apply dropped a field it does not own"
        );
    }
    // Undo: an apply without the field removes exactly what wasmdoctor set; the rest stays.
    let r = wd_cluster(root.path(), &api, "worker-crun", &["undo"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("removed wasmdoctor's fields from Deployment shop/hello"), "{}", r.stdout);
    let st = api.state.lock().unwrap();
    let (target, body) = st.patches.last().unwrap();
    assert_eq!(target, "/apis/apps/v1/namespaces/shop/deployments/hello?fieldManager=wasmdoctor");
    assert_eq!(body, r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"hello","namespace":"shop"}}"#);
    let d = &st.lists["/apis/apps/v1/deployments"][0];
    assert!(d["spec"]["template"]["metadata"]["annotations"].get("module.wasm.image/variant").is_none(), "{d}");
    assert_eq!(d["spec"]["template"]["spec"]["runtimeClassName"], "crun");
    assert!(d["status"]["observedGeneration"].is_i64(), "the controller wrote the status after the apply: {d}");
    drop(st);

    // Someone changes the spec after the fix (a new generation): undo refuses.
    assert_eq!(wd_cluster(root.path(), &api, "worker-crun", &["fix", "WD304", "--yes"]).code, 0);
    api.state.lock().unwrap().edit("Deployment", "hello", |d| {
        d["spec"]["replicas"] = serde_json::json!(5);
        d["metadata"]["generation"] = serde_json::json!(d["metadata"]["generation"].as_i64().unwrap() + 1);
    });
    let r = wd_cluster(root.path(), &api, "worker-crun", &["undo"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr.contains("Deployment shop/hello was changed after wasmdoctor applied it (generation"),
        "{}",
        r.stderr
    );
}

/// A node with two Wasm handlers and no RuntimeClass; the server forbids (403) or conflicts (409)
/// on the second object: the dry-run says so, and neither object is written.
#[test]
fn cluster_refusals_write_nothing() {
    let root = copy_fixture("healthy-crun");
    let cfg = read(root.path(), "/etc/containerd/config.toml");
    write(
        root.path(),
        "/etc/containerd/config.toml",
        &(cfg
            + "  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.wasmedge]\n    runtime_type = \"io.containerd.wasmedge.v1\"\n"),
        0o644,
    );
    for (code, said) in [
        (403, "forbidden: wasmdoctor may not `patch` `runtimeclasses`"),
        (409, "conflict: another field manager owns these fields"),
    ] {
        let mut s = State::default();
        s.add(fake_api::node("worker-crun", &[]));
        let api = FakeApi::start(s);
        api.fault("/apis/node.k8s.io/v1/runtimeclasses/wasmedge", Fault::Status(code));
        let r = wd_cluster(root.path(), &api, "worker-crun", &["fix", "WD301", "--yes"]);
        assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
        assert!(r.stdout.contains(&format!("server dry-run: REFUSED: {said}")), "{}", r.stdout);
        assert!(r.stdout.contains("not applied: the server refused the dry-run"), "{}", r.stdout);
        let p = patches(&api);
        assert!(!p.is_empty() && p.iter().all(|x| x.ends_with("&dryRun=All")), "a real write was sent: {p:?}");
        assert!(api.state.lock().unwrap().lists.get("/apis/node.k8s.io/v1/runtimeclasses").is_none_or(Vec::is_empty));
    }
}

/// An HPA scales a crun-route Deployment on CPU and cannot get it. Without KEDA the ScaledObject
/// is printed, never sent; with KEDA served and the trigger named in the policy it is applied (KEDA
/// takes the HPA over), WD307 passes, and `undo` deletes it.
#[test]
fn wd307_keda_scaledobject_only_where_keda_is_served() {
    let root = copy_fixture("healthy-crun");
    let mut s = State::default();
    s.add(fake_api::node("worker-crun", &[]));
    s.add(serde_json::json!({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "crun"}, "handler": "crun"}));
    s.add(fake_api::deployment(
        "demo",
        "web",
        Some("crun"),
        &[("module.wasm.image/variant", "compat-smart")],
        "ghcr.io/example/web:v1",
    ));
    s.add(fake_api::hpa(
        "demo",
        "web",
        "web",
        serde_json::json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}]),
        serde_json::json!([{"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric", "message": "the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API"}]),
    ));
    let api = FakeApi::start(s);
    // KEDA not served: the object is printed, nothing is sent.
    let r = wd_cluster(root.path(), &api, "worker-crun", &["fix", "WD307", "--yes"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("WD307 (manual only): a KEDA ScaledObject takes over HPA `demo/web`"), "{}", r.stdout);
    assert!(
        r.stdout.contains("KEDA's ScaledObject API (keda.sh/v1alpha1) is not served on this cluster"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("\"scaledobject.keda.sh/transfer-hpa-ownership\": \"true\""), "{}", r.stdout);
    assert!(patches(&api).is_empty());
    // KEDA served, the trigger in the policy: applied.
    api.state.lock().unwrap().keda = true;
    let policy = root.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[keda]\nprometheus = \"http://prometheus.monitoring.svc:9090\"\nquery = 'sum(rate(http_requests_total{namespace=\"{namespace}\",pod=~\"{name}-.*\"}[2m]))'\nthreshold = \"50\"\n",
    )
    .unwrap();
    let r = wd_cluster(
        root.path(),
        &api,
        "worker-crun",
        &["--config", policy.to_str().unwrap(), "fix", "WD307", "--dry-run"],
    );
    insta::assert_snapshot!("wd307_scaledobject_plan", plan_text(&r));
    let r =
        wd_cluster(root.path(), &api, "worker-crun", &["--config", policy.to_str().unwrap(), "fix", "WD307", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("applied ScaledObject demo/web (field manager `wasmdoctor`)"), "{}", r.stdout);
    assert!(r.stdout.contains("WD307 now: pass"), "{}", r.stdout);
    let p = patches(&api);
    assert_eq!(
        p.first().map(String::as_str),
        Some("PATCH /apis/keda.sh/v1alpha1/namespaces/demo/scaledobjects/web?fieldManager=wasmdoctor&dryRun=All")
    );
    let body: serde_json::Value = serde_json::from_str(&api.state.lock().unwrap().patches.last().unwrap().1).unwrap();
    assert_eq!(
        body["spec"]["triggers"][0]["metadata"]["query"],
        "sum(rate(http_requests_total{namespace=\"demo\",pod=~\"web-.*\"}[2m]))"
    );
    assert_eq!(body["spec"]["maxReplicaCount"], 10);
    let r = wd_cluster(root.path(), &api, "worker-crun", &["undo"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("deleted ScaledObject demo/web"), "{}", r.stdout);
    assert!(api.state.lock().unwrap().lists["/apis/keda.sh/v1alpha1/scaledobjects"].is_empty());
}

/// Someone changes the RuntimeClass wasmdoctor created (a new `resourceVersion`): `undo` refuses to
/// delete it, naming the object, and deletes nothing; `undo --force` deletes it.
#[test]
fn cluster_undo_refuses_an_object_changed_since_the_fix() {
    let root = copy_fixture("healthy-crun");
    let mut s = State::default();
    s.add(fake_api::node("worker-crun", &[("kwasm.sh/kwasm-provisioned", "worker-crun")]));
    let api = FakeApi::start(s);
    let r = wd_cluster(root.path(), &api, "worker-crun", &["fix", "WD301", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let edited = api.state.lock().unwrap().edit("RuntimeClass", "crun", |rc| {
        rc["metadata"]["labels"] = serde_json::json!({"team": "platform"});
    });
    assert!(edited);

    let r = wd_cluster(root.path(), &api, "worker-crun", &["undo"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let said = format!("{}{}", r.stdout, r.stderr);
    assert!(said.contains("RuntimeClass crun was changed after wasmdoctor applied it"), "{said}");
    assert!(said.contains("--force"), "{said}");
    assert!(!api.requests().iter().any(|x| x.starts_with("DELETE ")), "{:?}", api.requests());
    assert_eq!(api.state.lock().unwrap().lists["/apis/node.k8s.io/v1/runtimeclasses"].len(), 1);

    let r = wd_cluster(root.path(), &api, "worker-crun", &["undo", "--force"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(api.state.lock().unwrap().lists["/apis/node.k8s.io/v1/runtimeclasses"].is_empty());
}
