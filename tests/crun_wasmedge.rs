//! The smoke's crun route end to end with the real thing: Debian trixie's crun 1.21 with its WASM
//! handler (`+WASM:wasmedge`, libwasmedge0) under trixie's containerd 1.7, in the chroot scripts/dev.sh
//! builds (target/trixie), started by tests/trixie/run-containerd.sh in a mount namespace of its own.
//! The module runs and prints the nonce; Debian bookworm's crun 1.8.1 (no WASM handler) beside it
//! fails with `Exec format error`, explained by WD103/WD204/WD304; nothing is left afterwards.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn chroot() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/trixie");
    assert!(
        p.join(".complete").exists(),
        "{} is missing: `scripts/dev.sh test` builds it (debootstrap trixie with crun and libwasmedge0)",
        p.display()
    );
    p
}

/// The chroot's containerd, stopped (with its namespace's mounts) on drop.
struct Trixie {
    root: PathBuf,
    child: Child,
}

impl Trixie {
    fn start() -> Trixie {
        let root = chroot();
        std::fs::create_dir_all(root.join("etc/containerd")).unwrap();
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/trixie/config.toml");
        std::fs::copy(config, root.join("etc/containerd/config.toml")).unwrap();
        // Bookworm's crun (no WASM handler) beside trixie's, as a second runtime.
        std::fs::copy("/usr/bin/crun", root.join("usr/local/bin/crun-nowasm")).expect("Debian's crun (scripts/dev.sh)");
        let _ = std::fs::remove_file(root.join("run/containerd/containerd.sock"));
        let log = std::fs::File::create(root.join("containerd-wd.log")).unwrap();
        let child = Command::new("unshare")
            .args(["--mount", "--propagation", "private"])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/trixie/run-containerd.sh"))
            .arg(&root)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("unshare (util-linux)");
        let mut t = Trixie { root, child };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !t.ctr(&["version"]).status.success() {
            if let Ok(Some(status)) = t.child.try_wait() {
                panic!("the chroot's containerd exited with {status}:\n{}", t.log());
            }
            assert!(Instant::now() < deadline, "the chroot's containerd did not answer in 30 s:\n{}", t.log());
            std::thread::sleep(Duration::from_millis(100));
        }
        t
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.root.join("containerd-wd.log")).unwrap_or_default()
    }

    /// The chroot's ctr, on its containerd's socket.
    fn ctr(&self, args: &[&str]) -> std::process::Output {
        Command::new("chroot").arg(&self.root).arg("ctr").args(args).output().expect("chroot ctr")
    }
}

impl Drop for Trixie {
    fn drop(&mut self) {
        // SAFETY: signalling the containerd this test started (unshare and the script exec'd into it).
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn smoke(t: &Trixie, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let mut args =
        vec!["smoke", "--json", "--live", "--no-cluster", "--no-docker", "--host-root", t.root.to_str().unwrap()];
    args.extend(extra);
    let r = run(&args);
    let j = r.json();
    assert_schema_valid(&j);
    (r.code, check(&j, "WD109").clone(), r.stderr)
}

#[test]
fn crun_with_wasmedge_runs_the_module_and_crun_without_a_handler_cannot_exec_it() {
    let t = Trixie::start();
    let (code, wd109, progress) = smoke(&t, &[]);
    assert_eq!(code, 1, "{wd109}\n{}", t.log());
    let m = wd109["message"].as_str().unwrap();
    assert!(
        m.starts_with("the smoke module did not run as it should: `crun-nowasm` (crun route, io.containerd.runc.v2): the task exited 1"),
        "{m}"
    );
    assert!(m.contains("Exec format error") && m.contains("explained by WD103/WD204/WD304"), "{m}");
    assert!(!m.contains("`crun` ("), "trixie's crun passed: {m}");
    let evidence = wd109["evidence"].to_string();
    assert!(evidence.contains("smoke run on `crun`") && evidence.contains("exit 0, printed the nonce"), "{evidence}");
    assert!(progress.contains("`crun`: exited 0 in "), "{progress}");

    let (code, wd109, _) = smoke(&t, &["--runtime", "crun"]);
    assert_eq!((code, wd109["status"].as_str()), (0, Some("pass")), "{wd109}");
    assert!(
        wd109["message"].as_str().unwrap().starts_with("the smoke module printed its nonce and exited 0 on `crun` in ")
    );

    let ns = t.ctr(&["namespaces", "ls", "-q"]);
    let listed = String::from_utf8_lossy(&ns.stdout);
    assert!(ns.status.success() && !listed.lines().any(|l| l.trim() == "wasmdoctor"), "left: {listed}");
    let fifos: Vec<_> = std::fs::read_dir(t.root.join("run"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("wasmdoctor-smoke-"))
        .collect();
    assert!(fifos.is_empty(), "the FIFOs' directories are removed: {fifos:?}");
}
