//! The real binary in a real terminal: tmux (on a private socket) runs wasmdoctor against a fixture
//! host root; the test waits for results, selects a failing check, opens its fix preview, cancels,
//! filters, resizes below 80×24 and back, quits with `q`, and reads the screen with `capture-pane`.
//! The terminal must be restored afterwards: the main screen is back and the tty is in canonical mode.

mod common;

use std::path::PathBuf;

use common::tmux::{Tmux, shell_quote};

#[test]
fn interactive_session_in_tmux() {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_wasmdoctor"));
    let root = common::fixture("crun-no-wasm");
    let cmd = format!(
        "env LANG=C.UTF-8 NO_COLOR=1 KUBECONFIG=/nonexistent/kubeconfig {} --host-root {} --no-docker; echo EXITED-$?; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon; sleep 60",
        shell_quote(&bin),
        shell_quote(&root)
    );
    let t = Tmux::start(&cmd);

    // Results stream in; the worst finding is selected and detailed.
    let s = t.wait_for("results", |s| s.contains("✗ WD103 crun-wasm-handler") && s.contains("✓ 6 ! 0 ✗ 1"));
    assert!(s.contains("wasmdoctor 0.1.0 · node worker-nowasm"), "{s}");
    assert!(s.contains("▶ ✗ WD103"), "the failing check is selected:\n{s}");
    assert!(s.contains("was built without a WASM handler"), "{s}");

    // Move away and back, then open the fix preview and cancel it.
    t.keys(&["j", "k"]);
    t.keys(&["f"]);
    let s = t.wait_for("the fix plan", |s| s.contains("WD103 (manual only)"));
    assert!(s.contains("no automatic fix exists for this check"), "{s}");
    assert!(s.contains("Install a crun built `--with-wasmedge`"), "{s}");
    assert!(s.contains("manual only: wasmdoctor changes nothing"), "{s}");
    t.keys(&["a"]);
    t.keys(&["Escape"]);
    t.wait_for("the preview to close", |s| !s.contains("┌ fix ") && s.contains("┌ checks (37)"));

    // Filter by text.
    t.keys(&["/", "W", "D", "2", "0", "4", "Enter"]);
    let s = t.wait_for("the filter", |s| s.contains("┌ checks (1)"));
    assert!(s.contains("✓ WD204 crun-pod-annotations"), "{s}");
    assert!(s.contains("[filter: WD204]"), "{s}");

    // Below 80×24 a clear message; back to size, the list again.
    t.run(&["resize-window", "-t", "wd", "-x", "70", "-y", "20"]);
    t.wait_for("the too-small message", |s| s.contains("terminal too small"));
    t.run(&["resize-window", "-t", "wd", "-x", "120", "-y", "36"]);
    t.wait_for("the list after resizing", |s| s.contains("┌ checks (1)"));

    // Quit: the terminal is restored and the one-line summary printed.
    t.keys(&["q"]);
    let s = t.wait_for("the exit", |s| s.contains("EXITED-"));
    assert!(s.contains("wasmdoctor: 6 passed, 0 warnings, 1 failed, 30 skipped, 0 errors"), "{s}");
    assert!(s.contains("EXITED-1"), "exit code 1 for a failing check:\n{s}");
    assert!(!s.contains("┌ checks"), "the alternate screen was left:\n{s}");
    let s = t.wait_for("stty", |s| s.lines().any(|l| l.trim() == "icanon" || l.trim() == "-icanon"));
    assert!(s.lines().any(|l| l.trim() == "icanon"), "the tty is back in canonical mode:\n{s}");
}

/// `f` plans WD204 (a diff), `a` applies it (no restart: another host root without a policy
/// restart command), the steps and the re-check show, Esc re-runs every check and WD204 passes;
/// the file has the annotations and a backup.
#[test]
fn fix_applied_from_the_tui() {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_wasmdoctor"));
    let root = tempfile::tempdir().unwrap();
    let cfg = root.path().join("etc/containerd/config.toml");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::copy(common::corpus().join("containerd-config/containerd-1.x-docs-runtime-classes-v2.toml"), &cfg)
        .unwrap();
    let original = std::fs::read_to_string(&cfg).unwrap();
    let cmd = format!(
        "env LANG=C.UTF-8 NO_COLOR=1 KUBECONFIG=/nonexistent/kubeconfig {} --host-root {} --no-docker --no-cluster; echo EXITED-$?; sleep 60",
        shell_quote(&bin),
        shell_quote(root.path())
    );
    let t = Tmux::start(&cmd);
    t.wait_for("results", |s| s.contains("✗ WD204 crun-pod-annotations"));
    t.keys(&["/", "W", "D", "2", "0", "4", "Enter"]);
    t.wait_for("the filter", |s| s.contains("┌ checks (1)"));
    t.keys(&["f"]);
    let s = t.wait_for("the plan", |s| s.contains("a: apply this plan"));
    assert!(s.contains("+++ b/etc/containerd/config.toml"), "{s}");
    assert!(s.contains("+      pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]"), "{s}");
    assert_eq!(std::fs::read_to_string(&cfg).unwrap(), original, "planning changed the file");
    t.keys(&["a"]);
    let s = t.wait_for("the fix to finish", |s| s.contains("Esc closes and runs every check again"));
    assert!(s.contains("changed `/etc/containerd/config.toml` (backup"), "{s}");
    assert!(s.contains("WD204 now: pass"), "{s}");
    assert!(s.contains("done: applied and re-checked clean"), "{s}");
    t.keys(&["Escape"]);
    t.wait_for("the re-run", |s| s.contains("✓ WD204 crun-pod-annotations") && !s.contains("┌ fix "));
    assert!(
        std::fs::read_to_string(&cfg)
            .unwrap()
            .contains("pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]")
    );
    t.keys(&["q"]);
    t.wait_for("the exit", |s| s.contains("EXITED-"));
    let r = common::run(&["undo", "--host-root", root.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&cfg).unwrap(), original);
}

#[test]
fn a_pipe_never_starts_the_tui() {
    // Not a terminal: the text report, as before.
    let r =
        common::run(&["--host-root", common::fixture("healthy-crun").to_str().unwrap(), "--no-cluster", "--no-docker"]);
    assert!(r.stdout.starts_with("wasmdoctor 0.1.0 · node worker-crun"), "{}", r.stdout);
    assert!(!r.stdout.contains('\x1b'));
}

/// SIGTERM or SIGHUP to the TUI (a `kill`, a closed ssh session): it leaves as `q` does, and the
/// terminal is restored: the main screen back, canonical mode on.
#[test]
fn a_signal_restores_the_terminal() {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_wasmdoctor"));
    let root = common::fixture("crun-no-wasm");
    for signal in [libc::SIGTERM, libc::SIGHUP] {
        let cmd = format!(
            "env LANG=C.UTF-8 NO_COLOR=1 KUBECONFIG=/nonexistent/kubeconfig {} --host-root {} --no-docker; echo EXITED-$?; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon; sleep 60",
            shell_quote(&bin),
            shell_quote(&root)
        );
        let t = Tmux::start(&cmd);
        t.wait_for("results", |s| s.contains("✗ WD103 crun-wasm-handler"));
        let shell =
            String::from_utf8_lossy(&t.run(&["display", "-p", "-t", "wd", "#{pane_pid}"]).stdout).trim().to_string();
        let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).unwrap();
        let pid: i32 =
            children.split_whitespace().next().expect("wasmdoctor runs under the pane's shell").parse().unwrap();
        assert!(std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap().contains("wasmdoctor"));
        // SAFETY: kill(2) with a pid this test just read and a plain signal number.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        let s = t.wait_for("the exit", |s| s.contains("EXITED-"));
        assert!(!s.contains("┌ checks"), "signal {signal}: the alternate screen was left:\n{s}");
        assert!(s.contains("wasmdoctor: 6 passed"), "signal {signal}: {s}");
        let s = t.wait_for("stty", |s| s.lines().any(|l| l.trim() == "icanon" || l.trim() == "-icanon"));
        assert!(s.lines().any(|l| l.trim() == "icanon"), "signal {signal}: the tty is not in canonical mode:\n{s}");
    }
}

/// `n` switches to every node of the cluster (the fake API's: one whose agent reports a failure,
/// one without an agent): failures first, the selected node's published report, `j` moves, `n`
/// comes back to this node's checks.
#[test]
fn the_nodes_view_shows_the_fleet() {
    use common::fake_api::{FakeApi, State, node, node_with_handlers};
    let mut st = State::default();
    let mut broken = node("fleet-broken", &[]);
    broken["status"]["conditions"].as_array_mut().unwrap().push(serde_json::json!({
        "type": "WasmReady", "status": "False", "reason": "WD103CrunWasmHandler",
        "message": "WD103 fails: crun `1.23.1` at `/usr/bin/crun` was built without a WASM handler",
        "lastHeartbeatTime": wasmdoctor::rules::time::rfc3339(std::time::SystemTime::now()),
        "lastTransitionTime": "2026-11-24T07:00:00Z"}));
    st.add(broken);
    st.add(node_with_handlers("fleet-bare", &[("spin", "provisioned")], &["runc", "spin"]));
    st.add(serde_json::json!({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "wasmtime-spin-v2"}, "handler": "spin"}));
    let api = FakeApi::start(st);
    let dir = tempfile::tempdir().unwrap();
    let kc = api.kubeconfig(dir.path());
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_wasmdoctor"));
    let cmd = format!(
        "env LANG=C.UTF-8 NO_COLOR=1 {} --host-root {} --no-docker --kubeconfig {}; sleep 60",
        shell_quote(&bin),
        shell_quote(&common::fixture("crun-no-wasm")),
        shell_quote(&kc)
    );
    let t = Tmux::start(&cmd);
    t.wait_for("results", |s| s.contains("✗ WD103 crun-wasm-handler"));
    t.keys(&["n"]);
    // A capture can catch a frame half drawn: each wait is for everything then asserted.
    let s = t.wait_for("the nodes", |s| {
        s.contains("┌ nodes (2)")
            && s.contains("▶✗ fleet-broken")
            && s.contains("WasmReady=False")
            && s.contains("✗ WD103 crun has a WASM handler")
    });
    assert!(s.contains("▶✗ fleet-broken not-ready WD103"), "the failing node first, selected:\n{s}");
    assert!(s.contains("WasmReady=False (WD103CrunWasmHandler)"), "{s}");
    assert!(s.contains("✗ WD103 crun has a WASM handler"), "{s}");
    t.keys(&["j"]);
    let s = t.wait_for("the second node", |s| {
        s.contains("▶– fleet-bare unknown") && s.contains("Wasm RuntimeClasses that can schedule here:")
    });
    assert!(s.contains("runtime handlers: runc, spin"), "{s}");
    assert!(s.contains("installer labels: spin=provisioned"), "{s}");
    assert!(s.contains("Wasm RuntimeClasses that can schedule here:"), "{s}");
    t.keys(&["n"]);
    t.wait_for("the checks again", |s| s.contains("┌ checks ("));
    // `m` on a node of the Nodes screen: the cluster's smoke there, shown in WD311's detail.
    t.keys(&["n"]);
    t.wait_for("the nodes", |s| s.contains("┌ nodes (2)"));
    t.keys(&["j", "m"]);
    let s = t.wait_for("the cluster smoke on fleet-bare", |s| {
        s.contains("status: ✓ pass") && s.contains("WD311") && s.contains("on `fleet-bare` in ")
    });
    assert!(s.contains("`wasmtime-spin-v2`") && s.contains("on `fleet-bare` in "), "{s}");
    let st = api.state.lock().unwrap();
    let created: Vec<&String> = st.posts.iter().map(|(t, _)| t).filter(|t| !t.contains("dryRun")).collect();
    assert_eq!(created.len(), 1, "one Job, on the selected node only: {created:?}");
    assert!(st.lists.get("/apis/batch/v1/jobs").is_none_or(|l| l.is_empty()), "and it was deleted");
}
