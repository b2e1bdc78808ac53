//! The cluster smoke (WD311) against the fake API server, whose Jobs play out by a script per
//! node (tests/common/fake_api/jobs.rs): success, a pull failure, a node without the handler, a
//! module the runtime cannot exec, a Job that never finishes (the time limit, Ctrl-C), a refused
//! dry run; every time, nothing of the run is left. The requests it made are held against
//! docs/rbac.yaml's `wasmdoctor-smoke` role.

mod common;

use std::time::{Duration, Instant};

use common::fake_api::{FakeApi, Fault, JobScript, State, node};
use common::rbac::{judged, role};
use common::*;
use serde_json::{Value, json};

/// RuntimeClasses `wasmtime` (every node), `spin` (nodes labelled `spin=yes`) and `runc` (not Wasm);
/// nodes worker-1 (spin=yes), worker-2, and worker-3, which is not Ready.
fn world(scripts: &[(&str, JobScript)]) -> FakeApi {
    let mut s = State::default();
    s.add(json!({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "wasmtime"}, "handler": "wasmtime"}));
    s.add(
        json!({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "spin"}, "handler": "spin",
                 "scheduling": {"nodeSelector": {"spin": "yes"}}}),
    );
    s.add(json!({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "runc"}, "handler": "runc"}));
    s.add(node("worker-1", &[("spin", "yes")]));
    s.add(node("worker-2", &[]));
    let mut down = node("worker-3", &[]);
    down["status"]["conditions"][0]["status"] = json!("Unknown");
    s.add(down);
    for (n, script) in scripts {
        s.job_scripts.insert(n.to_string(), script.clone());
    }
    FakeApi::start(s)
}

fn smoke(api: &FakeApi, extra: &[&str]) -> (Run, Value) {
    let dir = tempfile::tempdir().unwrap();
    let kc = api.kubeconfig(dir.path());
    let mut cmd = bin();
    cmd.args(["smoke", "--cluster", "--json", "--no-node", "--kubeconfig", kc.to_str().unwrap()]).args(extra);
    let r = within(cmd, Duration::from_secs(60));
    let j: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    assert_schema_valid(&j);
    (r, j)
}

/// What of wasmdoctor's smoke is still in the fake: Jobs and pods with its label.
fn left(api: &FakeApi) -> Vec<String> {
    let st = api.state.lock().unwrap();
    let mut out = Vec::new();
    for path in ["/apis/batch/v1/jobs", "/api/v1/pods"] {
        for o in st.lists.get(path).into_iter().flatten() {
            if o["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "wasmdoctor" {
                out.push(format!("{path} {}", o["metadata"]["name"]));
            }
        }
    }
    out
}

fn message(j: &Value) -> String {
    check(j, "WD311")["message"].as_str().unwrap_or_default().to_string()
}

#[test]
fn every_wasm_runtime_class_on_every_node_it_can_use_prints_its_nonce() {
    let api = world(&[]);
    let (r, j) = smoke(&api, &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(check(&j, "WD311")["status"], "pass", "{}", message(&j));
    let m = message(&j);
    for pair in ["`wasmtime` on `worker-1`", "`wasmtime` on `worker-2`", "`spin` on `worker-1`"] {
        assert!(m.contains(pair), "{pair}: {m}");
    }
    assert!(!m.contains("`spin` on `worker-2`") && !m.contains("runc"), "only where they can run: {m}");
    let evidence = check(&j, "WD311")["evidence"].to_string();
    assert!(
        evidence.contains(
            r#""source":"not tried","value":"RuntimeClass `wasmtime` on node `worker-3`: the node is not Ready""#
        ),
        "{evidence}"
    );
    assert_eq!(statuses(&j).len(), 1, "`smoke --cluster` reports WD311 only");
    assert!(left(&api).is_empty(), "{:?}", left(&api));

    let requests = api.requests();
    let first_create = requests.iter().position(|r| r.starts_with("POST ") && !r.contains("dryRun=All"));
    let last_dry_run = requests.iter().rposition(|r| r.starts_with("POST ") && r.contains("dryRun=All"));
    assert!(last_dry_run < first_create, "every Job is dry-run before any is created: {requests:?}");
    assert_eq!(requests.iter().filter(|r| r.starts_with("POST ") && !r.contains("dryRun")).count(), 3);
    let deletes: Vec<&String> = requests.iter().filter(|r| r.starts_with("DELETE ")).collect();
    assert_eq!(deletes.len(), 3, "{requests:?}");
    assert!(deletes.iter().all(|d| d.contains("propagationPolicy=Background")), "batch/v1 orphans pods otherwise");
    // The progress, on stderr.
    assert!(r.stderr.contains("wasmdoctor: smoke: dry run of 3 Job(s) in namespace `default`"), "{}", r.stderr);
    assert!(r.stderr.contains("`spin` on `worker-1`: completed"), "{}", r.stderr);

    // The Jobs as created: pinned, bounded, marked, each with its own nonce.
    let created: Vec<Value> = api
        .state
        .lock()
        .unwrap()
        .posts
        .iter()
        .filter(|(target, _)| !target.contains("dryRun"))
        .map(|(_, body)| serde_json::from_str(body).unwrap())
        .collect();
    let mut nonces = Vec::new();
    for job in &created {
        let pod = &job["spec"]["template"]["spec"];
        assert!(["worker-1", "worker-2"].contains(&pod["nodeName"].as_str().unwrap()), "{job}");
        assert!(["wasmtime", "spin"].contains(&pod["runtimeClassName"].as_str().unwrap()), "{job}");
        assert_eq!(pod["restartPolicy"], "Never");
        assert_eq!(job["spec"]["backoffLimit"], 0);
        assert_eq!(job["spec"]["activeDeadlineSeconds"], 360, "the default limit of 300 s plus a minute");
        assert!(job["spec"]["ttlSecondsAfterFinished"].as_u64().is_some());
        assert_eq!(job["metadata"]["labels"]["app.kubernetes.io/managed-by"], "wasmdoctor");
        let args = &pod["containers"][0]["args"];
        assert_eq!(args[0], "echo");
        nonces.push(args[1].as_str().unwrap().to_string());
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 3, "{nonces:?}");
    let evidence = check(&j, "WD311")["evidence"].to_string();
    for n in &nonces {
        assert!(evidence.contains(&format!("completed, printed nonce {n}")), "{n}: {evidence}");
    }
}

#[test]
fn each_failure_points_at_the_check_that_explains_it_and_nothing_is_left() {
    let api = world(&[("worker-1", JobScript::PullFails), ("worker-2", JobScript::NoRuntime)]);
    let (r, j) = smoke(&api, &["--runtimeclass", "wasmtime"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let m = message(&j);
    assert_eq!(check(&j, "WD311")["status"], "fail", "{m}");
    assert!(m.starts_with("2 of 2 smoke Jobs failed: "), "{m}");
    assert!(m.contains("`wasmtime` on `worker-1`: the image could not be pulled (ErrImagePull: failed to pull and unpack image \"ghcr.io/containerd/runwasi/wasi-demo-app:latest\""), "{m}");
    assert!(m.contains("explained by WD309"), "{m}");
    assert!(
        m.contains("`wasmtime` on `worker-2`: FailedCreatePodSandBox: Failed to create pod sandbox")
            && m.contains("no runtime for \"wasmtime\" is configured: explained by WD302/WD310"),
        "{m}"
    );
    let affected = check(&j, "WD311")["affected"].to_string();
    assert!(affected.contains("worker-1") && affected.contains("worker-2"), "{affected}");
    assert!(left(&api).is_empty(), "{:?}", left(&api));

    let api = world(&[("worker-1", JobScript::ExecFormatError), ("worker-2", JobScript::Prints("hello\n".into()))]);
    let (r, j) = smoke(&api, &["--runtimeclass", "wasmtime"]);
    assert_eq!(r.code, 1);
    let m = message(&j);
    assert!(
        m.contains("`wasmtime` on `worker-1`: StartError: exit 128 (StartError)")
            && m.contains("explained by WD103/WD204/WD304"),
        "{m}"
    );
    assert!(
        m.contains("`wasmtime` on `worker-2`: completed, but its log does not show the nonce")
            && m.contains("its log: `hello`"),
        "{m}"
    );
    assert!(left(&api).is_empty(), "{:?}", left(&api));
}

#[test]
fn a_job_that_never_finishes_is_given_up_at_the_limit_and_deleted() {
    let api = world(&[("worker-2", JobScript::Hangs)]);
    let started = Instant::now();
    let (r, j) = smoke(&api, &["--runtimeclass", "wasmtime", "--nodes", "worker-2", "--smoke-timeout", "2"]);
    assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
    assert_eq!(r.code, 1);
    let m = message(&j);
    assert!(
        m.contains("`wasmtime` on `worker-2`: not finished after 2 s (it was `Pending (ContainerCreating)`)"),
        "{m}"
    );
    assert!(left(&api).is_empty(), "{:?}", left(&api));
}

#[test]
fn ctrl_c_ends_the_run_and_still_deletes_the_jobs() {
    let api = world(&[("worker-1", JobScript::Hangs), ("worker-2", JobScript::Hangs)]);
    let dir = tempfile::tempdir().unwrap();
    let kc = api.kubeconfig(dir.path());
    let mut child = bin()
        .args(["smoke", "--cluster", "--json", "--no-node", "--runtimeclass", "wasmtime", "--kubeconfig"])
        .arg(&kc)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !api.requests().iter().any(|r| r.starts_with("POST ") && !r.contains("dryRun")) {
        assert!(Instant::now() < deadline, "no Job was created: {:?}", api.requests());
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(left(&api).len(), 4, "two Jobs and their pods exist mid-run: {:?}", left(&api));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = {
        use std::io::Read;
        let mut s = String::new();
        child.stdout.take().unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{out}");
    let j: Value = serde_json::from_str(&out).unwrap();
    assert!(message(&j).contains("interrupted before it finished (it was deleted)"), "{}", message(&j));
    assert!(left(&api).is_empty(), "{:?}", left(&api));
}

#[test]
fn a_refused_dry_run_creates_nothing_and_names_the_permission() {
    let api = world(&[]);
    api.fault("/apis/batch/v1/namespaces/default/jobs", Fault::Status(403));
    let (r, j) = smoke(&api, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(check(&j, "WD311")["status"], "error");
    let m = message(&j);
    assert!(
        m.contains("in a dry run, so none was created") && m.contains("may not `create jobs` in namespace `default`"),
        "{m}"
    );
    assert!(m.contains("docs/rbac.yaml's `wasmdoctor-smoke` Role"), "{m}");
    assert!(!api.requests().iter().any(|r| r.starts_with("POST ") && !r.contains("dryRun")), "nothing created");
}

#[test]
fn what_was_named_must_exist_and_a_big_cluster_needs_narrowing() {
    let api = world(&[]);
    let (r, j) = smoke(&api, &["--nodes", "worker-9"]);
    assert_eq!((r.code, check(&j, "WD311")["status"].as_str()), (1, Some("error")));
    assert!(message(&j).contains("the cluster has no node `worker-9` (`--nodes`)"), "{}", message(&j));
    let (_, j) = smoke(&api, &["--runtimeclass", "wasmer"]);
    assert!(message(&j).contains("no RuntimeClass `wasmer`"), "{}", message(&j));
    // Named, a RuntimeClass that does not look like Wasm runs too; a node it cannot use is said.
    let (r, j) = smoke(&api, &["--runtimeclass", "runc,spin", "--nodes", "worker-2"]);
    assert_eq!(r.code, 0, "{}", message(&j));
    assert!(message(&j).contains("`runc` on `worker-2`"), "{}", message(&j));
    assert!(
        check(&j, "WD311")["evidence"]
            .to_string()
            .contains("RuntimeClass `spin` on node `worker-2`: its nodeSelector or tolerations keep it off that node")
    );

    let mut s = State::default();
    common::fake_api::mixed_fleet(&mut s, 120);
    s.add(json!({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "wasmtime"}, "handler": "wasmtime"}));
    let api = FakeApi::start(s);
    let (r, j) = smoke(&api, &[]);
    assert_eq!(r.code, 1);
    assert!(message(&j).contains("that is 120 Jobs (RuntimeClass × node), more than the 100 one run creates: narrow it with `--nodes` or `--runtimeclass`"), "{}", message(&j));
    assert!(!api.requests().iter().any(|r| r.starts_with("POST ")), "nothing created");
}

/// Every request the smoke makes is allowed by docs/rbac.yaml's `wasmdoctor-smoke` (in its
/// namespace) and `wasmdoctor-read` (Nodes, RuntimeClasses), and the smoke role grants nothing
/// the run does not use.
#[test]
fn the_smoke_role_allows_every_request_the_run_makes_and_no_more() {
    let api = world(&[]);
    let (r, _) = smoke(&api, &[]);
    assert_eq!(r.code, 0);
    let requests = judged(&api.requests());
    let smoke_role = role("docs/rbac.yaml", "wasmdoctor-smoke");
    let read = role("docs/rbac.yaml", "wasmdoctor-read");
    for r in &requests {
        assert!(smoke_role.contains(r) || read.contains(r), "nothing allows {r:?}");
    }
    for rule in &smoke_role {
        assert!(requests.contains(rule), "wasmdoctor-smoke grants {rule:?}, which the run never used: {requests:?}");
    }
}

/// `check --smoke` runs the smoke of each source that is in: here the cluster's (the node is left
/// out, and WD109 says so).
#[test]
fn check_smoke_runs_the_cluster_smoke_beside_the_other_checks() {
    let api = world(&[]);
    let dir = tempfile::tempdir().unwrap();
    let kc = api.kubeconfig(dir.path());
    let r = run(&[
        "check",
        "--smoke",
        "--format",
        "json",
        "--no-node",
        "--no-docker",
        "--kubeconfig",
        kc.to_str().unwrap(),
    ]);
    let j = r.json();
    assert_eq!(check(&j, "WD311")["status"], "pass", "{}", message(&j));
    assert_eq!(check(&j, "WD109")["message"], "not run: `--no-node` was given");
    assert_eq!(check(&j, "WD301")["status"], "pass", "the cluster checks ran too: {}", check(&j, "WD301"));
    assert!(left(&api).is_empty());
}

/// The API failing under the watch: unreadable events only blind the run to their words (a run still
/// ends by its Job and pod); unreadable pods end it at the limit, saying what the server answered, and
/// that the deletion could not be confirmed. No hang, no panic.
#[test]
fn an_api_that_fails_mid_run_is_named_and_the_run_still_ends() {
    let api = world(&[("worker-2", JobScript::NoRuntime)]);
    api.fault("/api/v1/namespaces/default/events", Fault::Status(403));
    let (r, j) = smoke(&api, &["--runtimeclass", "wasmtime", "--smoke-timeout", "2"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("the Warning events cannot be read (forbidden: wasmdoctor may not `list events`"),
        "{}",
        r.stderr
    );
    let m = message(&j);
    assert!(!m.contains("`wasmtime` on `worker-1`"), "worker-1's Job completed without its events: {m}");
    assert!(m.contains("`wasmtime` on `worker-2`: not finished after 2 s (it was `Pending (ContainerCreating)`); its Warning events could not be read (forbidden"), "{m}");
    assert!(left(&api).is_empty(), "{:?}", left(&api));

    let api = world(&[]);
    api.fault("/api/v1/namespaces/default/pods", Fault::Status(500));
    let started = Instant::now();
    let (r, j) = smoke(&api, &["--runtimeclass", "wasmtime", "--nodes", "worker-2", "--smoke-timeout", "1"]);
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
    assert_eq!(r.code, 1);
    let m = message(&j);
    assert!(m.contains("(it was `unknown: the API server: list pods: HTTP 500"), "{m}");
    assert!(
        m.contains(". Left behind: Job wd-smoke-")
            && m.contains("its deletion could not be confirmed: list pods: HTTP 500"),
        "{m}"
    );
    let evidence = check(&j, "WD311")["evidence"].to_string();
    assert!(!r.stdout.is_empty() && evidence.contains("wd-smoke-"), "{evidence}");
    assert!(
        api.requests().iter().any(|q| q.starts_with("DELETE /apis/batch/v1/namespaces/default/jobs/")),
        "still deleted"
    );
}

/// A server that stops answering the Job list mid-run: each read is given up at `--timeout`, the run
/// ends at its limit saying what the server did, the Jobs are still deleted, and nothing hangs.
#[test]
fn a_hung_api_is_given_up_on_and_the_jobs_are_still_deleted() {
    let api = world(&[]);
    api.fault("/apis/batch/v1/namespaces/default/jobs", Fault::Delay(Duration::from_secs(60)));
    let started = Instant::now();
    let (r, j) =
        smoke(&api, &["--runtimeclass", "wasmtime", "--nodes", "worker-2", "--smoke-timeout", "2", "--timeout", "1"]);
    assert!(started.elapsed() < Duration::from_secs(40), "{:?}", started.elapsed());
    assert_eq!(r.code, 1);
    let m = message(&j);
    assert!(
        m.contains("(it was `unknown: the API server: list jobs: the API server did not answer within 1 s`)"),
        "{m}"
    );
    assert!(
        m.contains("its deletion could not be confirmed: list jobs: the API server did not answer within 1 s"),
        "{m}"
    );
    assert!(
        api.requests().iter().any(|q| q.starts_with("DELETE /apis/batch/v1/namespaces/default/jobs/")),
        "still deleted"
    );
    assert!(left(&api).is_empty(), "{:?}", left(&api));
}
