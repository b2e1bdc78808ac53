//! WD109 against the real thing: a private containerd (Debian's 1.6) with a real runwasi shim
//! (`tests/shim-wasmtime`, built by scripts/dev.sh into target/test-bin) runs the smoke module; the
//! nonce comes back; the shim removed, a misconfigured runtime and the crun route without a WASM
//! handler fail with the check that explains each; nothing is left in containerd afterwards.

mod common;

use std::path::PathBuf;

use common::daemons::*;
use common::*;

const WASMTIME: &str = r#"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmtime]
    runtime_type = "io.containerd.wasmtime.v1"
"#;

/// The shim scripts/dev.sh built.
fn shim() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-bin/containerd-shim-wasmtime-v1");
    assert!(p.exists(), "{} is missing: `scripts/dev.sh test` builds it (tests/shim-wasmtime)", p.display());
    p
}

fn install_shim(c: &Containerd) {
    std::fs::create_dir_all(c.path("bin")).unwrap();
    std::fs::copy(shim(), c.path("bin/containerd-shim-wasmtime-v1")).unwrap();
}

fn smoke(c: &Containerd, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["smoke", "--json", "--no-cluster", "--host-root", c.root.path().to_str().unwrap()];
    args.extend(extra);
    let r = run(&args);
    let j = r.json();
    assert_schema_valid(&j);
    (r.code, check(&j, "WD109").clone())
}

/// Nothing of the run is left: the namespace itself is gone.
fn nothing_left(c: &Containerd) {
    let ns = c.ctr(&["namespaces", "ls", "-q"]);
    let listed = String::from_utf8_lossy(&ns.stdout);
    assert!(!listed.lines().any(|l| l.trim() == "wasmdoctor"), "namespace wasmdoctor is still there: {listed}");
}

#[test]
fn the_real_shim_runs_the_module_and_prints_the_nonce() {
    let c = Containerd::start_seeing_root_run(WASMTIME);
    install_shim(&c);
    let (code, wd109) = smoke(&c, &[]);
    assert_eq!(wd109["status"], "pass", "{wd109}\n{}", c.log());
    assert!(
        wd109["message"]
            .as_str()
            .unwrap()
            .starts_with("the smoke module printed its nonce and exited 0 on `wasmtime` in "),
        "{wd109}"
    );
    assert_eq!(code, 0);
    nothing_left(&c);
}

/// The shim binary removed: containerd cannot start it, and WD109 says WD105 explains why.
#[test]
fn a_missing_shim_fails_pointing_at_wd105() {
    let c = Containerd::start_seeing_root_run(WASMTIME);
    let (code, wd109) = smoke(&c, &[]);
    assert_eq!(wd109["status"], "fail", "{wd109}");
    let message = wd109["message"].as_str().unwrap();
    assert!(message.contains("`wasmtime` (shim route, io.containerd.wasmtime.v1): task failed: "), "{message}");
    assert!(message.contains("binary not installed"), "{message}");
    assert!(message.ends_with("explained by WD105"), "{message}");
    assert_eq!(code, 1);
    nothing_left(&c);
}

/// A runtime whose type names a shim version that is not installed (`v2` where the shim is `v1`):
/// only this runtime is run (`--runtime`), and it fails the same way.
#[test]
fn a_misconfigured_runtime_fails_and_runtime_narrows_the_run() {
    let c = Containerd::start_seeing_root_run(&format!(
        "{WASMTIME}\n  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.wasmtime2]\n    runtime_type = \"io.containerd.wasmtime.v2\"\n"
    ));
    install_shim(&c);
    let (_, wd109) = smoke(&c, &["--runtime", "wasmtime2"]);
    assert_eq!(wd109["status"], "fail", "{wd109}");
    assert_eq!(wd109["evidence"].as_array().unwrap().len(), 1, "only wasmtime2 ran: {wd109}");
    assert!(
        wd109["message"]
            .as_str()
            .unwrap()
            .contains("`wasmtime2` (shim route, io.containerd.wasmtime.v2): task failed:"),
        "{wd109}"
    );
    let (_, all) = smoke(&c, &[]);
    let evidence: Vec<&str> =
        all["evidence"].as_array().unwrap().iter().map(|e| e["value"].as_str().unwrap()).collect();
    assert_eq!(evidence.len(), 2, "{all}");
    assert!(evidence.iter().any(|e| e.starts_with("exit 0, printed the nonce")), "{all}");
    nothing_left(&c);
}

/// The crun route with Debian bookworm's crun (built without a WASM handler). On a cgroup v2 (or
/// v1) host the module is handed to execve, which refuses it: `exec format error`, explained by
/// WD103/WD204/WD304. On a hybrid host whose cgroup2 hierarchy has controllers (this CI machine's),
/// crun refuses before that: `cgroups in hybrid mode not supported`, explained by WD107.
#[test]
fn the_crun_route_without_a_wasm_handler_fails_with_the_explaining_check() {
    let crun = ["/usr/bin/crun", "/usr/local/bin/crun"].into_iter().find(|p| std::path::Path::new(p).exists());
    let crun = crun.expect("crun (Debian package `crun`, which scripts/dev.sh installs)");
    let c = Containerd::start_seeing_root_run(&format!(
        "  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.crun]\n    runtime_type = \"io.containerd.runc.v2\"\n    pod_annotations = [\"module.wasm.image/variant\"]\n    [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.crun.options]\n      BinaryName = \"{crun}\"\n"
    ));
    let (_, wd109) = smoke(&c, &[]);
    assert_eq!(wd109["status"], "fail", "{wd109}\n{}", c.log());
    let message = wd109["message"].as_str().unwrap();
    assert!(message.contains("`crun` (crun route, io.containerd.runc.v2): "), "{message}");
    let hybrid =
        std::fs::read_to_string("/sys/fs/cgroup/unified/cgroup.controllers").is_ok_and(|c| !c.trim().is_empty());
    if hybrid {
        assert!(message.contains("cgroups in hybrid mode not supported"), "{message}");
        assert!(message.ends_with("explained by WD107"), "{message}");
    } else {
        assert!(message.to_lowercase().contains("exec format error"), "{message}");
        assert!(message.ends_with("explained by WD103/WD204/WD304"), "{message}");
    }
    nothing_left(&c);
}

/// A containerd socket that accepts connections and never answers: the smoke run gives up within
/// its limits and says so; it does not hang.
#[test]
fn a_containerd_that_never_answers_does_not_hang_the_smoke_run() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc/containerd")).unwrap();
    std::fs::write(root.path().join("etc/containerd/config.toml"), format!("version = 2\n{WASMTIME}")).unwrap();
    std::fs::create_dir_all(root.path().join("run/containerd")).unwrap();
    let listener = std::os::unix::net::UnixListener::bind(root.path().join("run/containerd/containerd.sock")).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let started = std::time::Instant::now();
    let r = run(&[
        "smoke",
        "--json",
        "--timeout",
        "2",
        "--smoke-timeout",
        "3",
        "--host-root",
        root.path().to_str().unwrap(),
    ]);
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "took {:?}", started.elapsed());
    let j = r.json();
    let wd109 = check(&j, "WD109");
    assert_eq!(wd109["status"], "fail", "{wd109}");
    assert!(
        wd109["message"]
            .as_str()
            .unwrap()
            .ends_with("containerd did not finish the `lease` step within 3 s (the run was given up)"),
        "{wd109}"
    );
}

/// In the TUI, `m` runs the smoke: WD109 shows it running, then its verdict from the real shim.
#[test]
fn the_tui_runs_the_smoke_on_a_key() {
    use common::tmux::{Tmux, shell_quote};
    let c = Containerd::start_seeing_root_run(WASMTIME);
    install_shim(&c);
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_wasmdoctor"));
    let cmd = format!(
        "env LANG=C.UTF-8 NO_COLOR=1 {} --host-root {} --no-docker --no-cluster; sleep 60",
        shell_quote(&bin),
        shell_quote(c.root.path())
    );
    let t = Tmux::start(&cmd);
    t.wait_for("the results", |s| s.contains("– WD109 node-smoke"));
    t.keys(&["m"]);
    let s = t.wait_for("the smoke verdict", |s| s.contains("✓ WD109 node-smoke"));
    assert!(s.contains("the smoke module printed its nonce and exited 0 on `wasmtime`"), "{s}");
    t.keys(&["q"]);
    nothing_left(&c);
}

/// A crun-route runtime whose binary hangs in `start` (a wrapper around the machine's runc that
/// sleeps instead of starting): the run is given up at `--smoke-timeout`, and Ctrl-C in the middle
/// of it ends the run too; each time the task is killed and everything is still deleted.
#[test]
fn a_hung_start_and_ctrl_c_still_delete_everything() {
    use std::os::unix::fs::PermissionsExt;
    let runc = ["/usr/sbin/runc", "/usr/bin/runc"].into_iter().find(|p| std::path::Path::new(p).exists());
    let runc = runc.expect("runc (Debian package `runc`, which docker.io brings)");
    let c = Containerd::start_seeing_root_run("");
    let wrapper = c.path("bin/crun");
    std::fs::create_dir_all(wrapper.parent().unwrap()).unwrap();
    std::fs::write(
        &wrapper,
        format!("#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = start ] && exec sleep 8; done\nexec {runc} \"$@\"\n"),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    c.write_config(&format!(
        "  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.crun]\n    runtime_type = \"io.containerd.runc.v2\"\n    [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.crun.options]\n      BinaryName = \"{}\"\n",
        wrapper.display()
    ));
    let c = c.restart();

    let (_, wd109) = smoke(&c, &["--smoke-timeout", "3"]);
    assert_eq!(wd109["status"], "fail", "{wd109}\n{}", c.log());
    assert!(
        wd109["message"]
            .as_str()
            .unwrap()
            .ends_with("containerd did not finish the `start` step within 3 s (the run was given up)"),
        "{wd109}"
    );
    nothing_left(&c);

    // Ctrl-C while `start` hangs.
    let child = bin()
        .args([
            "smoke",
            "--json",
            "--no-cluster",
            "--smoke-timeout",
            "60",
            "--host-root",
            c.root.path().to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    // SAFETY: kill(2) on the child this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let wd109 = check(&j, "WD109");
    assert!(
        wd109["message"].as_str().unwrap().contains("interrupted before the module finished (everything was deleted)"),
        "{wd109}"
    );
    nothing_left(&c);
}
