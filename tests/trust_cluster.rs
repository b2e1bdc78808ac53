//! The cluster side of issue 11, through the real binary against the fake API server (for faults a
//! real one cannot produce): answers are cut at their cap as they stream, a hung exec credential
//! plugin is bounded and killed, credentials in the server URL never reach output or files, text
//! from the cluster or the node is escaped on the terminal, an unverified server is said.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::fake_api::*;
use common::roots::*;
use common::*;
use serde_json::json;

/// A cluster with one running Wasm pod (`hello`, RuntimeClass `wasmedge`) on `worker-1`, which
/// logs `log`.
fn wasm_cluster(log: &str) -> State {
    let mut s = State::default();
    s.add(node("worker-1", &[]));
    s.add(json!({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "wasmedge"}, "handler": "wasmedge"}));
    s.add(pod(PodSpec {
        name: "hello",
        runtime_class: Some("wasmedge"),
        image: "ghcr.io/containerd/runwasi/wasi-demo-app:latest",
        running_since: Some("2026-11-28T07:00:00Z"),
        ..Default::default()
    }));
    s.log("default", "hello", "app", log);
    s
}

fn kubeconfig(dir: &Path, server: &str, user: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!("apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: {server}\ncontexts:\n- name: c\n  context:\n    cluster: k\n    user: u\nusers:\n- name: u\n  user:\n{user}"),
    )
    .unwrap();
    path
}

/// Peak memory (KiB) of the largest child this test process has waited for.
fn children_peak_kib() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole rusage into the pointer it is given.
    unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
        usage.assume_init().ru_maxrss
    }
}

/// A server that ignores `limitBytes` and sends 1 GiB for a pod's log, then 1 GiB for the pod list:
/// the log tail kept is the 4 KiB asked for, the list is refused at its 32 MiB cap and named, the
/// report completes, and wasmdoctor's memory stays far below the flood.
#[test]
fn floods_are_cut_as_they_stream() {
    let api = FakeApi::start(wasm_cluster(""));
    api.fault("/api/v1/namespaces/default/pods/hello/log", Fault::Flood(1 << 30));
    let dir = tempfile::tempdir().unwrap();
    let kc = api.kubeconfig(dir.path());
    let args =
        ["collect", "-o", "-", "--no-node", "--no-docker", "--node", "worker-1", "--kubeconfig", kc.to_str().unwrap()];
    let mut cmd = bin();
    cmd.args(args);
    let facts = within(cmd, Duration::from_secs(60)).json();
    let logs = facts["cluster"]["collected"]["logs"].as_array().unwrap().clone();
    let hello = logs.iter().find(|l| l["pod"] == "hello").unwrap();
    assert_eq!(hello["bytes"]["collected"], 4096, "{hello}");
    assert!(hello["tail"].as_str().unwrap().len() <= 4096);

    api.fault("/api/v1/pods", Fault::Flood(1 << 30));
    let mut cmd = bin();
    cmd.args(["--json", "--no-node", "--no-docker", "--node", "worker-1", "--kubeconfig", kc.to_str().unwrap()]);
    let j = within(cmd, Duration::from_secs(60)).json();
    let wd303 = check(&j, "WD303");
    assert_eq!(wd303["status"], "error", "{wd303}");
    assert!(wd303["message"].as_str().unwrap().contains("larger than 32 MiB"), "{wd303}");
    let peak = children_peak_kib();
    assert!(peak < 256 * 1024, "a wasmdoctor run peaked at {peak} KiB reading a flood");
}

/// The kubeconfig's exec credential plugin hangs (and records its pid): the cluster source gives up
/// at the timeout naming the plugin, the node checks still report, and the plugin is killed.
#[test]
fn a_hung_exec_credential_plugin_is_bounded_and_killed() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("plugin.pid");
    let user = format!(
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/sh\n      args: [\"-c\", \"echo $$ > {}; exec sleep 300\"]\n      interactiveMode: Never\n",
        pidfile.display()
    );
    let kc = kubeconfig(dir.path(), "https://127.0.0.1:1", &user);
    let root = node_root();
    let started = Instant::now();
    let mut cmd = bin();
    cmd.args(["--json", "--no-docker", "--timeout", "3", "--kubeconfig", kc.to_str().unwrap()])
        .args(["--host-root", root.path().to_str().unwrap()]);
    let j = within(cmd, Duration::from_secs(30)).json();
    assert!(started.elapsed() < Duration::from_secs(8), "took {:?}", started.elapsed());
    let cluster = j["sources"].as_array().unwrap().iter().find(|s| s["name"] == "cluster").unwrap().clone();
    assert_eq!(cluster["status"], "unavailable", "{cluster}");
    assert!(cluster["reason"].as_str().unwrap().contains("/bin/sh"), "the plugin is not named: {cluster}");
    assert_eq!(check(&j, "WD101")["status"], "pass");
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
    assert!(stat.is_empty() || stat.contains(") Z "), "the plugin {pid} still runs: {stat}");
}

/// `user:password@` and `?token=` in the kubeconfig's server URL: in no report (JSON, text) and in
/// no collect file; `insecure-skip-tls-verify` is said in both reports.
#[test]
fn credentials_in_the_server_url_never_reach_output() {
    let api = FakeApi::start(wasm_cluster("fine\n"));
    let dir = tempfile::tempdir().unwrap();
    let authority = api.url.trim_start_matches("http://");
    let server = format!("http://admin:pw-s3cr3t@{authority}/?token=tok-s3cr3t\n    insecure-skip-tls-verify: true");
    let kc = kubeconfig(dir.path(), &server, "    token: bearer-s3cr3t\n");
    let common_args = ["--no-node", "--no-docker", "--node", "worker-1", "--kubeconfig", kc.to_str().unwrap()];
    let json = run(&[&["--json"], &common_args[..]].concat());
    let text = run(&common_args);
    let out = dir.path().join("facts.json");
    let collect = run(&[&["collect", "-o", out.to_str().unwrap()], &common_args[..]].concat());
    assert_eq!(collect.code, 0, "{}", collect.stderr);
    let saved = std::fs::read_to_string(&out).unwrap();
    for (what, said) in [("json", &json.stdout), ("text", &text.stdout), ("stderr", &text.stderr), ("collect", &saved)]
    {
        for secret in ["pw-s3cr3t", "tok-s3cr3t", "bearer-s3cr3t"] {
            assert!(!said.contains(secret), "{secret} in the {what} output:\n{said}");
        }
    }
    let target = &json.json()["target"]["cluster"];
    assert_eq!(target["insecure_skip_tls_verify"], true, "{target}");
    assert!(!target["server"].as_str().unwrap().contains("admin"), "{target}");
    assert!(text.stdout.contains("`insecure-skip-tls-verify` is set in the kubeconfig"), "{}", text.stdout);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600, "collect -o is private");
}

/// Escape sequences and bidi controls from the node (its hostname) and the cluster (a log line, an
/// event message) reach the text report escaped, never raw; JSON keeps them as data.
#[test]
fn text_from_the_node_and_cluster_is_escaped_on_the_terminal() {
    let mut s = wasm_cluster(
        "Error: failed to run main module\n    1: unknown import: `wasi_snapshot_preview1::sock_setsockopt` has not been defined\u{1b}]52;c;cm0gLXJmIH4=\u{7}\n",
    );
    s.add(pod(PodSpec {
        name: "stuck",
        runtime_class: Some("wasmedge"),
        waiting: Some(("ContainerCreating", "")),
        ..Default::default()
    }));
    s.add(event(
        "default",
        "Pod",
        "stuck",
        "FailedCreatePodSandBox",
        "failed to get sandbox runtime: no runtime for \"wasmedge\" is configured\u{1b}]0;owned\u{7}\u{1b}[2J",
    ));
    let api = FakeApi::start(s);
    let root = node_root();
    write(root.path(), "/etc/hostname", "worker-1\u{1b}[31m\u{202e}\n", 0o644);
    let dir = tempfile::tempdir().unwrap();
    let kc = api.kubeconfig(dir.path());
    let args = ["--no-docker", "--host-root", root.path().to_str().unwrap(), "--kubeconfig", kc.to_str().unwrap()];
    let text = run(&args);
    assert!(!text.stdout.contains('\u{1b}') && !text.stdout.contains('\u{7}'), "raw escapes:\n{:?}", text.stdout);
    assert!(!text.stdout.contains('\u{202e}'), "a raw bidi override:\n{}", text.stdout);
    assert!(text.stdout.contains("node worker-1\\x1b[31m\\u{202e}"), "{}", text.stdout);
    assert!(text.stdout.contains("\\x1b]0;owned\\x07\\x1b[2J"), "the event is not shown escaped:\n{}", text.stdout);
    assert!(
        text.stdout.contains("\\x1b]52;c;cm0gLXJmIH4=\\x07"),
        "the log line is not shown escaped:\n{}",
        text.stdout
    );
    let j = run(&[&["--json"], &args[..]].concat()).json();
    assert_eq!(j["target"]["node"], "worker-1\u{1b}[31m\u{202e}");
}
