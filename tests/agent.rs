//! `wasmdoctor agent` against the real kube-apiserver: `WasmReady` is written through `nodes/status`
//! by a strategic-merge patch that leaves the kubelet's conditions exactly as they were; the
//! transition time moves only on a change; SIGTERM leaves `Unknown`; a 403 names the permission.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::fake_api::node;
use common::real_api::*;
use common::*;
use serde_json::Value;

fn agent(api: &RealApi, host: &str, node: &str, token: &str, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let kc = api.kubeconfig(dir.path(), token);
    let root = fixture(host);
    let mut args = vec![
        "agent",
        "--no-docker",
        "--host-root",
        root.to_str().unwrap(),
        "--node",
        node,
        "--kubeconfig",
        kc.to_str().unwrap(),
    ];
    args.extend(extra);
    run(&args)
}

fn condition(api: &RealApi, node: &str, kind: &str) -> Value {
    let (code, n) = api.get(&format!("/api/v1/nodes/{node}"));
    assert_eq!(code, 200, "{n}");
    n["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == kind))
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn the_agent_publishes_wasm_ready_and_touches_nothing_else() {
    let mut w = World::new();
    w.create(node("agent-1", &[]));
    let ready = condition(w.api, "agent-1", "Ready");
    assert_eq!(ready["status"], "True");

    // crun without a WASM handler: False, the first failing check as the reason.
    let r = agent(w.api, "crun-no-wasm", "agent-1", ADMIN_TOKEN, &["--once"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("agent-1 WasmReady=False (WD103CrunWasmHandler): WD103 fails: crun `1.23.1`"),
        "{}",
        r.stdout
    );
    let first = condition(w.api, "agent-1", "WasmReady");
    assert_eq!(
        (first["status"].as_str(), first["reason"].as_str()),
        (Some("False"), Some("WD103CrunWasmHandler")),
        "{first}"
    );
    assert_eq!(condition(w.api, "agent-1", "Ready"), ready, "the kubelet's Ready condition changed");
    let (_, n) = w.api.get("/api/v1/nodes/agent-1");
    let managers: Vec<(&str, &str)> = n["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["manager"].as_str().unwrap_or(""), m["subresource"].as_str().unwrap_or("")))
        .collect();
    assert!(managers.contains(&("wasmdoctor", "status")), "{managers:?}");

    // The same verdict again: a heartbeat, no transition.
    std::thread::sleep(Duration::from_millis(1100));
    agent(w.api, "crun-no-wasm", "agent-1", ADMIN_TOKEN, &["--once"]);
    let again = condition(w.api, "agent-1", "WasmReady");
    assert_eq!(again["lastTransitionTime"], first["lastTransitionTime"]);
    assert_ne!(again["lastHeartbeatTime"], first["lastHeartbeatTime"]);

    // A healthy node: True, and the transition moves.
    std::thread::sleep(Duration::from_millis(1100));
    let r = agent(w.api, "healthy-shim", "agent-1", ADMIN_TOKEN, &["--once"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let healthy = condition(w.api, "agent-1", "WasmReady");
    assert_eq!(
        (healthy["status"].as_str(), healthy["reason"].as_str()),
        (Some("True"), Some("NodeChecksPass")),
        "{healthy}"
    );
    assert_ne!(healthy["lastTransitionTime"], first["lastTransitionTime"]);
    assert_eq!(condition(w.api, "agent-1", "Ready"), ready);
}

#[test]
fn sigterm_leaves_the_condition_unknown() {
    let mut w = World::new();
    w.create(node("agent-2", &[]));
    let dir = tempfile::tempdir().unwrap();
    let kc = w.api.kubeconfig(dir.path(), ADMIN_TOKEN);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = bin()
        .args(["agent", "--interval", "1h", "--no-docker", "--node", "agent-2", "--listen", &listen, "--host-root"])
        .arg(fixture("healthy-shim"))
        .arg("--kubeconfig")
        .arg(&kc)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the agent");
    let deadline = Instant::now() + Duration::from_secs(30);
    while condition(w.api, "agent-2", "WasmReady")["status"] != "True" {
        assert!(Instant::now() < deadline, "the agent never published");
        std::thread::sleep(Duration::from_millis(200));
    }
    // Its endpoints: healthy after a run, and the run's checks as Prometheus text.
    let get = |path: &str| {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&listen).unwrap();
        write!(s, "GET {path} HTTP/1.0\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    let health = get("/healthz");
    assert!(health.starts_with("HTTP/1.0 200 OK") && health.ends_with("ok\n"), "{health}");
    let metrics = get("/metrics");
    assert!(
        metrics.contains(
            "wasmdoctor_check_status{id=\"WD105\",slug=\"shim-binaries\",category=\"node\",status=\"pass\"} 1\n"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("\nwasmdoctor_run_duration_seconds "), "{metrics}");
    assert!(metrics.contains("\nwasmdoctor_last_success_timestamp_seconds "), "{metrics}");
    assert!(!metrics.contains("WD301"), "cluster checks are not the agent's: {metrics}");
    assert!(get("/other").starts_with("HTTP/1.0 404"));
    // SAFETY: kill(2) on the child this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let c = condition(w.api, "agent-2", "WasmReady");
    assert_eq!((c["status"].as_str(), c["reason"].as_str()), (Some("Unknown"), Some("AgentStopped")), "{c}");
}

#[test]
fn a_forbidden_patch_names_the_permission() {
    let mut w = World::new();
    w.create(node("agent-3", &[]));
    let r = agent(w.api, "healthy-shim", "agent-3", NOBODY_TOKEN, &["--once"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("could not publish WasmReady: forbidden: wasmdoctor may not `get` `nodes` of Node `agent-3`"),
        "{}",
        r.stdout
    );
    assert!(condition(w.api, "agent-3", "WasmReady").is_null(), "nothing was written");
}

/// `deploy/` applied to the real server (strict field validation: every field is one Kubernetes
/// knows): with its ServiceAccount's identity the agent publishes, and can write nothing else.
#[test]
fn deploys_rbac_is_enough_for_the_agent_and_no_more() {
    let mut w = World::new();
    let deploy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy");
    // `kubectl apply -f deploy/`: its YAML files in name order.
    let mut files: Vec<_> = std::fs::read_dir(&deploy)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    for f in files {
        w.apply_yaml(&std::fs::read_to_string(f).unwrap());
    }
    w.create(node("agent-4", &[]));
    // The token user is the ServiceAccount `wasmdoctor/wasmdoctor` that deploy/ binds.
    let deadline = Instant::now() + Duration::from_secs(10);
    while w.api.raw("GET", "/api/v1/nodes/agent-4", None, READER_TOKEN).0 != 200 {
        assert!(Instant::now() < deadline, "the binding was never honoured");
        std::thread::sleep(Duration::from_millis(200));
    }
    let r = agent(w.api, "healthy-shim", "agent-4", READER_TOKEN, &["--once"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(condition(w.api, "agent-4", "WasmReady")["status"], "True");
    // Nothing else: not the Node's spec, not a RuntimeClass, not a pod.
    let patch = serde_json::json!({"metadata": {"labels": {"x": "y"}}});
    assert_eq!(w.api.raw("PATCH", "/api/v1/nodes/agent-4", Some(&patch), READER_TOKEN).0, 403);
    let rc = serde_json::json!({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "x"}, "handler": "x"});
    assert_eq!(w.api.raw("POST", "/apis/node.k8s.io/v1/runtimeclasses", Some(&rc), READER_TOKEN).0, 403);
    assert_eq!(w.api.raw("GET", "/api/v1/pods", None, READER_TOKEN).0, 403);
}

/// `wasmdoctor fleet` from a laptop: one node whose agent reports a failure, one whose kubelet reports
/// its handlers but runs no agent; failures first, and what the agent would add is said.
#[test]
fn the_fleet_view_reads_every_node_from_the_api() {
    let mut w = World::new();
    w.create(node("fleet-broken", &[]));
    w.create(common::fake_api::node_with_handlers("fleet-bare", &[("spin", "provisioned")], &["runc", "spin"]));
    w.create(serde_json::json!({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "wasmtime-spin-v2"}, "handler": "spin"}));
    assert_eq!(agent(w.api, "crun-no-wasm", "fleet-broken", ADMIN_TOKEN, &["--once"]).code, 0);
    let dir = tempfile::tempdir().unwrap();
    let kc = w.api.kubeconfig(dir.path(), ADMIN_TOKEN);
    let r = run(&["fleet", "--kubeconfig", kc.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[0].starts_with("✗ fleet-broken · WasmReady=False (WD103CrunWasmHandler), heartbeat "),
        "{}",
        r.stdout
    );
    assert!(lines[1].starts_with("    WD103 fails: crun `1.23.1`"), "{}", r.stdout);
    assert!(
        lines[2].starts_with("? fleet-bare · no WasmReady (no agent) · handlers: runc, spin · containerd://2.1.4 · labels: spin=provisioned · RuntimeClasses: wasmtime-spin-v2"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("2 nodes: 0 ready, 1 not ready, 0 stale, 1 unknown\n1 of 2 nodes have no WasmReady"),
        "{}",
        r.stdout
    );
    let j = run(&["fleet", "--json", "--kubeconfig", kc.to_str().unwrap()]).json();
    assert_eq!(j["nodes"][0]["failing"], serde_json::json!(["WD103"]));
    assert_eq!(j["with_agent"], 1);
}

/// An API server that is not there, and one that accepts connections and never answers: the agent
/// keeps running, says so on each try within its time limit, and tries again sooner than its
/// interval (5 s, doubling); SIGTERM still ends it cleanly.
#[test]
fn the_agent_keeps_running_while_the_api_is_down() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    agent_against_a_dead_server(port);
    // Hung: connections are accepted and held, never answered.
    let hung = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = hung.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in hung.incoming().flatten() {
            held.push(s);
        }
    });
    agent_against_a_dead_server(port);
}

fn agent_against_a_dead_server(port: u16) {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    std::fs::write(
        &kc,
        format!("apiVersion: v1\nkind: Config\nclusters:\n- name: down\n  cluster:\n    server: https://127.0.0.1:{port}\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: down\n  context:\n    cluster: down\n    user: u\ncurrent-context: down\n"),
    )
    .unwrap();
    let mut child = bin()
        .args(["agent", "--interval", "1h", "--timeout", "2", "--no-docker", "--node", "down-1", "--host-root"])
        .arg(fixture("healthy-shim"))
        .arg("--kubeconfig")
        .arg(&kc)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the agent");
    let (tx, rx) = std::sync::mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let started = Instant::now();
    let first = rx.recv_timeout(Duration::from_secs(20)).expect("a first run");
    assert!(first.contains("down-1 could not publish WasmReady: "), "{first}");
    let second = rx.recv_timeout(Duration::from_secs(20)).expect("a retry before the hour is up");
    assert!(second.contains("could not publish WasmReady"), "{second}");
    assert!(started.elapsed() < Duration::from_secs(30), "the retry waited {:?}", started.elapsed());
    // SAFETY: kill(2) on the child this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    assert!(child.wait().unwrap().success());
}
