//! `wasmdoctor agent` and `wasmdoctor fleet` against the fake API server, for what a real one cannot
//! be made to do on demand: refuse only the status patch, fail and come back, hang. And the RBAC of
//! `deploy/` derived from the fake's request log: every request the agent and the fleet view make
//! is one its roles allow, and every rule of those roles is used.

mod common;

use std::io::BufRead;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::fake_api::{FakeApi, Fault, State, node, node_with_handlers};
use common::rbac::{judged, role};
use common::*;
use serde_json::{Value, json};

fn world() -> FakeApi {
    let mut s = State::default();
    s.add(node("edge-1", &[]));
    s.add(node_with_handlers("edge-2", &[("spin", "provisioned")], &["runc", "spin"]));
    s.add(json!({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "wasmtime-spin-v2"}, "handler": "spin"}));
    FakeApi::start(s)
}

fn wasm_ready(api: &FakeApi, node: &str) -> Value {
    let st = api.state.lock().unwrap();
    st.lists["/api/v1/nodes"]
        .iter()
        .find(|n| n["metadata"]["name"] == node)
        .and_then(|n| n["status"]["conditions"].as_array())
        .and_then(|cs| cs.iter().find(|c| c["type"] == "WasmReady"))
        .cloned()
        .unwrap_or(Value::Null)
}

fn agent_args<'a>(kc: &'a str, root: &'a str, node: &'a str) -> Vec<&'a str> {
    vec!["agent", "--no-docker", "--host-root", root, "--node", node, "--kubeconfig", kc]
}

/// The agent running on an interval; killed if the test fails before stopping it.
struct Agent(Option<Child>);

impl Drop for Agent {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The agent running on an interval, its stdout's lines arriving on a channel.
fn start_agent(args: &[&str]) -> (Agent, mpsc::Receiver<String>) {
    let mut child = bin().args(args).stdout(Stdio::piped()).spawn().expect("the agent");
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (Agent(Some(child)), rx)
}

/// SIGTERM: the agent ends cleanly.
fn stop(mut agent: Agent) {
    let Some(mut child) = agent.0.take() else { return };
    // SAFETY: kill(2) on the child this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_refused_status_patch_names_the_permission_and_writes_nothing() {
    let api = world();
    api.fault("/api/v1/nodes/edge-1/status", Fault::Status(403));
    let dir = tempfile::tempdir().unwrap();
    let kc = api.kubeconfig(dir.path());
    let root = fixture("healthy-shim");
    let mut args = agent_args(kc.to_str().unwrap(), root.to_str().unwrap(), "edge-1");
    args.push("--once");
    let r = run(&args);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("edge-1 could not publish WasmReady: forbidden: wasmdoctor may not `patch` `nodes/status` of Node `edge-1` (grant it: deploy/ has the role): nodes \"edge-1\" is forbidden"),
        "{}",
        r.stdout
    );
    assert!(wasm_ready(&api, "edge-1").is_null());
    assert!(!r.stdout.contains("fake-secret-token"), "{}", r.stdout);
}

/// 503 on the Node read, then the server recovers: the next try (5 s ±20 %, not the hour's
/// interval) publishes, and the kubelet's `Ready` is untouched.
#[test]
fn an_api_that_fails_and_comes_back_gets_the_condition_on_the_retry() {
    let api = world();
    api.fault("/api/v1/nodes/edge-1", Fault::Status(503));
    let dir = tempfile::tempdir().unwrap();
    let kc = api.kubeconfig(dir.path());
    let root = fixture("healthy-shim");
    let mut args = agent_args(kc.to_str().unwrap(), root.to_str().unwrap(), "edge-1");
    args.extend(["--interval", "1h"]);
    let (child, rx) = start_agent(&args);
    let first = rx.recv_timeout(Duration::from_secs(20)).expect("a first run");
    assert!(first.contains("edge-1 could not publish WasmReady: get nodes: HTTP 503"), "{first}");
    api.state.lock().unwrap().faults.clear();
    let started = Instant::now();
    let second = rx.recv_timeout(Duration::from_secs(15)).expect("a retry within the backoff");
    assert!(second.contains("edge-1 WasmReady=True (NodeChecksPass)"), "{second}");
    assert!(started.elapsed() < Duration::from_secs(8), "retried after {:?}", started.elapsed());
    let c = wasm_ready(&api, "edge-1");
    assert_eq!((c["status"].as_str(), c["reason"].as_str()), (Some("True"), Some("NodeChecksPass")), "{c}");
    let st = api.state.lock().unwrap();
    let n = st.lists["/api/v1/nodes"].iter().find(|n| n["metadata"]["name"] == "edge-1").unwrap().clone();
    drop(st);
    let ready: Vec<&Value> =
        n["status"]["conditions"].as_array().unwrap().iter().filter(|c| c["type"] == "Ready").collect();
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0]["lastHeartbeatTime"], "2026-11-24T09:59:00Z", "the kubelet's condition is as it was");
    stop(child);
}

/// A server that takes a minute to answer the Node read: the try is given up at `--timeout` and
/// said, and the agent goes on.
#[test]
fn a_hung_api_is_given_up_on_at_the_timeout() {
    let api = world();
    api.fault("/api/v1/nodes/edge-1", Fault::Delay(Duration::from_secs(60)));
    let dir = tempfile::tempdir().unwrap();
    let kc = api.kubeconfig(dir.path());
    let root = fixture("healthy-shim");
    let mut args = agent_args(kc.to_str().unwrap(), root.to_str().unwrap(), "edge-1");
    args.extend(["--interval", "1h", "--timeout", "2"]);
    let started = Instant::now();
    let (child, rx) = start_agent(&args);
    let first = rx.recv_timeout(Duration::from_secs(20)).expect("a first run");
    assert!(first.contains("could not publish WasmReady: ") && first.contains("did not answer within 2s"), "{first}");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    api.state.lock().unwrap().faults.clear();
    let second = rx.recv_timeout(Duration::from_secs(15)).expect("a retry");
    assert!(second.contains("WasmReady=True"), "{second}");
    stop(child);
}

#[test]
fn deploys_roles_allow_every_request_the_agent_and_the_fleet_view_make_and_no_more() {
    let api = world();
    let dir = tempfile::tempdir().unwrap();
    let kc = api.kubeconfig(dir.path());
    let root = fixture("crun-no-wasm");
    let mut args = agent_args(kc.to_str().unwrap(), root.to_str().unwrap(), "edge-1");
    args.push("--once");
    assert_eq!(run(&args).code, 0);
    let agent_requests = judged(&api.requests());
    api.state.lock().unwrap().requests.clear();
    let r = run(&["fleet", "--kubeconfig", kc.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("✗ edge-1 · WasmReady=False (WD103CrunWasmHandler)"), "{}", r.stdout);
    let fleet_requests = judged(&api.requests());

    for (who, requests) in [("wasmdoctor-agent", &agent_requests), ("wasmdoctor-fleet", &fleet_requests)] {
        let rules = role("deploy/00-rbac.yaml", who);
        for r in requests.iter() {
            assert!(rules.contains(r), "{who} does not allow {r:?}: {rules:?}");
        }
        for rule in &rules {
            assert!(requests.contains(rule), "{who} grants {rule:?}, which no request used: {requests:?}");
        }
    }
    assert_eq!(
        agent_requests,
        [("get".into(), "".into(), "nodes".into()), ("patch".into(), "".into(), "nodes/status".into())]
    );
}

/// A fleet of 1,000 nodes, mixed (handler present / absent / agent stale / no agent), a Wasm
/// RuntimeClass without a nodeSelector and a pod stuck where the handler is missing: WD310 names
/// the 250 nodes without the handler and the stuck pod; the fleet view lists every node, the stale
/// agents marked.
#[test]
fn a_thousand_node_fleet_for_wd310_and_the_fleet_view() {
    use common::fake_api::{PodSpec, mixed_fleet, pod};
    let mut s = State::default();
    mixed_fleet(&mut s, 1000);
    s.add(json!({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "wasmtime-spin-v2"}, "handler": "spin"}));
    // runtime-class-manager installed the shim on the 250 labelled nodes of the 500 it targets.
    s.add(json!({"apiVersion": "runtime.spinkube.dev/v1alpha1", "kind": "Shim", "metadata": {"name": "spin-v2"},
                 "spec": {"runtimeClass": {"name": "wasmtime-spin-v2", "handler": "spin"}},
                 "status": {"nodes": 500, "nodesReady": 250}}));
    s.add(pod(PodSpec {
        name: "spin-app-1",
        node: "worker-1",
        runtime_class: Some("wasmtime-spin-v2"),
        running_since: None,
        waiting: Some(("ContainerCreating", "")),
        ..Default::default()
    }));
    let api = FakeApi::start(s);
    let dir = tempfile::tempdir().unwrap();
    let kc = api.kubeconfig(dir.path());
    let kc = kc.to_str().unwrap();

    let report = run(&["check", "--json", "--no-node", "--no-docker", "--only", "WD310", "--kubeconfig", kc]).json();
    let wd310 = &report["checks"][0];
    assert_eq!(wd310["status"], "fail", "{wd310}");
    let affected = wd310["affected"].as_array().unwrap();
    let nodes: Vec<&str> =
        affected.iter().filter(|a| a["kind"] == "Node").map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(nodes.len(), 250, "{}", wd310["message"]);
    assert!(nodes.iter().all(|n| n.trim_start_matches("worker-").parse::<usize>().unwrap() % 4 == 1), "{nodes:?}");
    assert!(
        affected.iter().any(|a| a["kind"] == "Pod" && a["name"] == "spin-app-1"),
        "the stuck pod is named: {wd310}"
    );
    assert!(
        wd310["message"]
            .as_str()
            .unwrap()
            .contains("(runtime-class-manager's Shim `spin-v2` has the shim ready on 250 of its 500 nodes)"),
        "{}",
        wd310["message"]
    );

    let r = run(&["fleet", "--json", "--kubeconfig", kc]);
    assert_eq!(r.code, 1, "stale agents: {}", r.stderr);
    let fleet = r.json();
    let rows = fleet["nodes"].as_array().unwrap();
    assert_eq!(rows.len(), 1000);
    let count = |v: &str| rows.iter().filter(|r| r["verdict"] == v).count();
    assert_eq!((count("stale"), count("unknown"), count("ready")), (250, 750, 0));
    assert_eq!(rows[0]["verdict"], "stale", "the worst first");
    assert_eq!(fleet["with_agent"], 250);
}
