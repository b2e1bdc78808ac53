//! Against real daemons: a private containerd (Debian's `containerd`, with its CRI plugin) and a
//! private dockerd (Debian's `docker.io`), each with its own config, root, state and socket under a
//! temporary host root, always stopped at the end. A daemon that cannot start fails the test with
//! its log: these tests never pass silently.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::daemons::*;
use common::*;
use sha2::{Digest, Sha256};

const WASM_RUNTIMES: &str = r#"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun]
    runtime_type = "io.containerd.runc.v2"
    pod_annotations = ["module.wasm.image/variant", "run.oci.handler"]
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun.options]
      BinaryName = "/usr/bin/crun"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmedge]
    runtime_type = "io.containerd.wasmedge.v1"
"#;

fn report(c: &Containerd) -> serde_json::Value {
    let r = c.wasmdoctor(&["--json"]);
    let j = r.json();
    assert_schema_valid(&j);
    j
}

#[test]
fn version_namespaces_and_the_loaded_runtimes() {
    let c = Containerd::start(WASM_RUNTIMES);
    assert!(c.ctr(&["namespaces", "create", "wasmdoctor-test"]).status.success());
    let facts = c.facts();
    let live = &facts["containerd"]["collected"];
    let want = String::from_utf8(Command::new("containerd").arg("--version").output().unwrap().stdout).unwrap();
    let version = live["version"].as_str().unwrap();
    assert!(!version.is_empty() && want.contains(version), "{version} vs {want}");
    assert!(live["namespaces"].as_array().unwrap().iter().any(|n| n == "wasmdoctor-test"), "{live}");
    let runtimes = live["cri"]["collected"]["runtimes"].as_array().unwrap_or_else(|| panic!("{live}\n{}", c.log()));
    let by_name =
        |n: &str| runtimes.iter().find(|r| r["name"] == n).unwrap_or_else(|| panic!("{n} not loaded: {runtimes:?}"));
    assert_eq!(by_name("crun")["binary_name"], "/usr/bin/crun");
    assert_eq!(by_name("crun")["pod_annotations"], serde_json::json!(["module.wasm.image/variant", "run.oci.handler"]));
    assert_eq!(by_name("wasmedge")["runtime_type"], "io.containerd.wasmedge.v1");

    let j = report(&c);
    assert_eq!(check(&j, "WD206")["status"], "pass", "{}", check(&j, "WD206"));
    assert!(check(&j, "WD206")["message"].as_str().unwrap().contains(version));
    assert_eq!(check(&j, "WD207")["status"], "pass", "{}", check(&j, "WD207"));
    // WD210 reads the version from the daemon: Debian's containerd (< 2.1) pulls locally.
    let wd210 = check(&j, "WD210");
    assert_eq!(wd210["status"], "pass", "{wd210}");
    assert!(
        wd210["message"].as_str().unwrap().starts_with(&format!(
            "containerd {} (the running containerd's Version API)",
            version.trim_start_matches('v')
        )),
        "{wd210}"
    );
}

#[test]
fn drift_until_restart() {
    let c = Containerd::start(WASM_RUNTIMES);
    assert_eq!(check(&report(&c), "WD207")["status"], "pass");
    let edited = WASM_RUNTIMES
        .replace(r#"["module.wasm.image/variant", "run.oci.handler"]"#, r#"["module.wasm.image/*"]"#)
        + "  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.spin]\n    runtime_type = \"io.containerd.spin.v2\"\n";
    c.write_config(&edited);
    let j = report(&c);
    let wd207 = check(&j, "WD207");
    assert_eq!(wd207["status"], "fail", "{wd207}");
    let m = wd207["message"].as_str().unwrap();
    assert!(m.contains("`spin` (/etc/containerd/config.toml:"), "{m}");
    assert!(m.contains("is in the file but not loaded"), "{m}");
    assert!(
        m.contains(r#"`crun` pod_annotations are ["module.wasm.image/*"] in the file, ["module.wasm.image/variant", "run.oci.handler"] loaded"#),
        "{m}"
    );
    assert!(m.ends_with("a restart is pending"), "{m}");
    let c = c.restart();
    let j = report(&c);
    assert_eq!(check(&j, "WD207")["status"], "pass", "{}", check(&j, "WD207"));
}

/// WD202 through the policy's restart command, on a config that declares no runtime (so the fix
/// must keep `runc` declared, or containerd 1.6 would not load its CRI plugin): afterwards
/// containerd has loaded the crun runtime the file now declares (CRI Status), and WD202/WD207 pass.
#[test]
fn fix_wd202_restarts_containerd_through_the_policy_command() {
    let c = Containerd::start("");
    let without_runc = std::fs::read_to_string(c.config())
        .unwrap()
        .replace("  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n    runtime_type = \"io.containerd.runc.v2\"\n", "");
    std::fs::write(c.config(), &without_runc).unwrap();
    std::fs::create_dir_all(c.path("usr/local/bin")).unwrap();
    std::fs::write(
        c.path("usr/local/bin/crun"),
        "#!/bin/sh\necho 'crun version 1.27.1'\necho '+SYSTEMD +WASM:wasmedge +YAJL'\n",
    )
    .unwrap();
    std::fs::set_permissions(c.path("usr/local/bin/crun"), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(check(&report(&c), "WD202")["status"], "fail");
    let script = c.restart_script();
    let policy = c.policy(&[script.to_str().unwrap()]);
    let r = c.wasmdoctor(&["--no-cluster", "--config", policy.to_str().unwrap(), "fix", "WD202", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}\n{}", r.stdout, r.stderr, c.log());
    assert!(r.stdout.contains("with containerd's default runtime `runc` beside it"), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("restarting `containerd`: `{}`", script.display())), "{}", r.stdout);
    assert!(r.stdout.contains("containerd is back and loaded the file"), "{}", r.stdout);
    assert!(r.stdout.contains("WD202 now: pass"), "{}", r.stdout);
    let facts = c.facts();
    let runtimes = facts["containerd"]["collected"]["cri"]["collected"]["runtimes"].as_array().unwrap().clone();
    let crun = runtimes.iter().find(|r| r["name"] == "crun").unwrap_or_else(|| panic!("crun not loaded: {runtimes:?}"));
    assert_eq!(crun["binary_name"], "/usr/local/bin/crun");
    assert_eq!(crun["pod_annotations"], serde_json::json!(["module.wasm.image/variant", "run.oci.handler"]));
    assert_eq!(check(&report(&c), "WD207")["status"], "pass");
}

/// WD204 with a restart command that fails: the file goes back to its backup byte for byte, the
/// command is tried again, the output says so, and the exit code is 1.
#[test]
fn a_failing_restart_rolls_back_the_edit() {
    let runtimes =
        WASM_RUNTIMES.replace("    pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]\n", "");
    let c = Containerd::start(&runtimes);
    let original = std::fs::read_to_string(c.config()).unwrap();
    let policy = c.policy(&["/nonexistent/restart-containerd"]);
    let r = c.wasmdoctor(&["--no-cluster", "--config", policy.to_str().unwrap(), "fix", "WD204", "--yes"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("the restart failed: `/nonexistent/restart-containerd` could not be started"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("rolled back: restored `/etc/containerd/config.toml` from the backup"), "{}", r.stdout);
    assert!(r.stdout.contains("the second restart did not bring containerd back either"), "{}", r.stdout);
    assert_eq!(std::fs::read_to_string(c.config()).unwrap(), original);
    // containerd never stopped: it still runs the original config, and nothing is pending.
    let j = report(&c);
    assert_eq!(check(&j, "WD207")["status"], "pass", "{}", check(&j, "WD207"));
    assert_eq!(check(&j, "WD204")["status"], "fail");
}

/// A restart that brings containerd back on another file than the one edited (the init system's
/// unit passes its own `--config`): what it loaded differs from the file, so the backup goes back,
/// containerd restarts again, and the output says so.
#[test]
fn a_restart_that_does_not_load_the_edit_rolls_back() {
    let runtimes =
        WASM_RUNTIMES.replace("    pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]\n", "");
    let c = Containerd::start(&runtimes);
    let original = std::fs::read_to_string(c.config()).unwrap();
    let unit_config = c.path("etc/containerd/unit-config.toml");
    std::fs::copy(c.config(), &unit_config).unwrap();
    let script = c.restart_script_with(&unit_config);
    let policy = c.policy(&[script.to_str().unwrap()]);
    let r = c.wasmdoctor(&["--no-cluster", "--config", policy.to_str().unwrap(), "fix", "WD204", "--yes"]);
    assert_eq!(r.code, 1, "{}\n{}\n{}", r.stdout, r.stderr, c.log());
    assert!(r.stdout.contains("containerd came back but does not run the file"), "{}", r.stdout);
    assert!(r.stdout.contains("`crun` pod_annotations are"), "{}", r.stdout);
    assert!(r.stdout.contains("rolled back: restored `/etc/containerd/config.toml` from the backup"), "{}", r.stdout);
    assert!(r.stdout.contains("containerd is back on the restored config (pass:"), "{}", r.stdout);
    assert_eq!(std::fs::read_to_string(c.config()).unwrap(), original);
    assert_eq!(check(&report(&c), "WD207")["status"], "pass");
    let r = c.wasmdoctor(&["undo"]);
    assert_eq!(r.code, 2, "a rolled-back change is not in the journal: {}", r.stdout);
    assert!(r.stderr.contains("nothing to undo"), "{}", r.stderr);
}

/// Two fixes of the same file in one run: planned one on top of the other, applied in order, one
/// restart for both, CRI Status shows both; `undo` twice restores the original.
#[test]
fn two_fixes_one_restart() {
    let runtimes =
        WASM_RUNTIMES.replace("    pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]\n", "");
    let c = Containerd::start(&runtimes);
    std::fs::create_dir_all(c.path("var/lib/kubelet")).unwrap();
    std::fs::write(
        c.path("var/lib/kubelet/config.yaml"),
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\n",
    )
    .unwrap();
    let original = std::fs::read_to_string(c.config()).unwrap();
    let script = c.restart_script();
    let policy = c.policy(&[script.to_str().unwrap()]);
    let r = c.wasmdoctor(&["--no-cluster", "--config", policy.to_str().unwrap(), "fix", "WD204", "WD208", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}\n{}", r.stdout, r.stderr, c.log());
    assert_eq!(r.stdout.matches("restarting `containerd`").count(), 1, "{}", r.stdout);
    assert!(r.stdout.contains("WD204 now: pass") && r.stdout.contains("WD208 now: pass"), "{}", r.stdout);
    let facts = c.facts();
    let runtimes = facts["containerd"]["collected"]["cri"]["collected"]["runtimes"].as_array().unwrap().clone();
    let by_name =
        |n: &str| runtimes.iter().find(|r| r["name"] == n).unwrap_or_else(|| panic!("{n}: {runtimes:?}")).clone();
    assert_eq!(by_name("crun")["pod_annotations"], serde_json::json!(["module.wasm.image/variant", "run.oci.handler"]));
    assert_eq!(by_name("wasmedge")["systemd_cgroup"], true, "{}", by_name("wasmedge"));
    assert_eq!(c.wasmdoctor(&["undo"]).code, 0);
    assert_eq!(c.wasmdoctor(&["undo"]).code, 0);
    assert_eq!(std::fs::read_to_string(c.config()).unwrap(), original);
}

/// WD207's fix is the restart alone: containerd runs an older config until then.
#[test]
fn fix_wd207_restarts_and_verifies() {
    let c = Containerd::start(WASM_RUNTIMES);
    let script = c.restart_script();
    let policy = c.policy(&[script.to_str().unwrap()]);
    c.write_config(&(WASM_RUNTIMES.to_string() + "  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.spin]\n    runtime_type = \"io.containerd.spin.v2\"\n"));
    assert_eq!(check(&report(&c), "WD207")["status"], "fail");
    let r = c.wasmdoctor(&["--no-cluster", "--config", policy.to_str().unwrap(), "fix", "WD207", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}\n{}", r.stdout, r.stderr, c.log());
    assert!(r.stdout.contains("WD207 (automatic, needs confirmation): restart containerd"), "{}", r.stdout);
    assert!(r.stdout.contains("WD207 now: pass"), "{}", r.stdout);
    // --no-restart leaves it pending and says so.
    c.write_config(WASM_RUNTIMES);
    let r =
        c.wasmdoctor(&["--no-cluster", "--config", policy.to_str().unwrap(), "fix", "WD207", "--yes", "--no-restart"]);
    assert!(r.stdout.contains("restart not approved"), "{}", r.stdout);
    assert_eq!(r.code, 1, "{}", r.stdout);
}

/// An OCI image layout with one `.wasm` layer, platform `wasi/wasm` and the manifest annotation
/// `module.wasm.image/variant: compat-smart`, packed as a tarball for `ctr images import`.
fn wasm_image_tarball(dir: &Path) -> PathBuf {
    let layout = dir.join("layout");
    let blobs = layout.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| -> (String, usize) {
        let hex: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
        std::fs::write(blobs.join(&hex), bytes).unwrap();
        (format!("sha256:{hex}"), bytes.len())
    };
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("hello.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let layer_tar = dir.join("layer.tar");
    let ok = Command::new("tar").arg("-C").arg(&src).arg("-cf").arg(&layer_tar).arg("hello.wasm").status().unwrap();
    assert!(ok.success());
    let (layer, layer_size) = put(&std::fs::read(&layer_tar).unwrap());
    let config = serde_json::json!({
        "architecture": "wasm", "os": "wasi",
        "config": {"Entrypoint": ["/hello.wasm"]},
        "rootfs": {"type": "layers", "diff_ids": [layer]}
    });
    let (config_digest, config_size) = put(config.to_string().as_bytes());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": layer_size}],
        "annotations": {"module.wasm.image/variant": "compat-smart"}
    });
    let (manifest_digest, manifest_size) = put(manifest.to_string().as_bytes());
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest, "size": manifest_size,
            "platform": {"architecture": "wasm", "os": "wasi"},
            "annotations": {"io.containerd.image.name": "docker.io/library/wasm-hello:v1", "org.opencontainers.image.ref.name": "v1"}
        }]
    });
    std::fs::write(layout.join("index.json"), index.to_string()).unwrap();
    std::fs::write(layout.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let tarball = dir.join("wasm-hello.tar");
    let ok = Command::new("tar").arg("-C").arg(&layout).arg("-cf").arg(&tarball).arg(".").status().unwrap();
    assert!(ok.success());
    tarball
}

#[test]
fn image_platform_and_annotation_from_the_content_store() {
    let c = Containerd::start(WASM_RUNTIMES);
    let work = tempfile::tempdir().unwrap();
    let tarball = wasm_image_tarball(work.path());
    let out = c.ctr(&["-n", "k8s.io", "images", "import", "--all-platforms", tarball.to_str().unwrap()]);
    assert!(out.status.success(), "ctr import: {}", String::from_utf8_lossy(&out.stderr));
    let facts = c.facts();
    let images = facts["containerd"]["collected"]["images"]["collected"].as_array().unwrap();
    let img = images
        .iter()
        .find(|i| i["name"] == "docker.io/library/wasm-hello:v1")
        .unwrap_or_else(|| panic!("imported image not listed: {images:?}"));
    assert_eq!(img["namespace"], "k8s.io");
    assert_eq!(img["platforms"], serde_json::json!(["wasi/wasm"]));
    assert_eq!(img["annotations"]["module.wasm.image/variant"], "compat-smart");
    assert_eq!(img["content_error"], serde_json::Value::Null);
}

#[test]
fn a_wasmedge_shim_task_fails_with_binary_not_installed() {
    let c = Containerd::start(WASM_RUNTIMES);
    let rootfs = c.path("rootfs");
    std::fs::create_dir_all(&rootfs).unwrap();
    std::fs::write(rootfs.join("hello.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let out = c.ctr(&[
        "run",
        "--rm",
        "--runtime",
        "io.containerd.wasmedge.v1",
        "--rootfs",
        rootfs.to_str().unwrap(),
        "wasm-test",
        "/hello.wasm",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    // The exact text is kept as a fixture for the failure-signature check (WD308).
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/errors/containerd-1.6-ctr-run-wasmedge-binary-not-installed.txt");
    let kept = std::fs::read_to_string(&fixture).unwrap();
    let kept = kept.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n");
    assert_eq!(stderr, kept.trim(), "containerd's error text changed");
    assert!(stderr.contains(r#"binary not installed "containerd-shim-wasmedge-v1""#), "{stderr}");
}

/// A unix socket that accepts connections and never answers.
fn silent_socket(path: &Path) -> std::thread::JoinHandle<()> {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let listener = std::os::unix::net::UnixListener::bind(path).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().take(8).flatten() {
            held.push(s);
        }
        std::thread::sleep(Duration::from_secs(30));
    })
}

#[test]
fn sockets_that_never_answer_time_out_and_the_report_completes() {
    let root = tempfile::tempdir().unwrap();
    let _ctd = silent_socket(&root.path().join("run/containerd/containerd.sock"));
    let _dkr = silent_socket(&root.path().join("run/docker.sock"));
    let start = Instant::now();
    let r = run(&[
        "--json",
        "--timeout",
        "1",
        "--host-root",
        root.path().to_str().unwrap(),
        "--docker-host",
        "unix:///run/docker.sock",
    ]);
    let elapsed = start.elapsed();
    let j = r.json();
    assert_schema_valid(&j);
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert_eq!(j["checks"].as_array().unwrap().len(), wasmdoctor::registry::CHECKS.len());
    let wd206 = check(&j, "WD206");
    assert_eq!(wd206["status"], "error", "{wd206}");
    assert_eq!(wd206["message"], "/run/containerd/containerd.sock accepted the connection but did not answer in time");
    let wd401 = check(&j, "WD401");
    assert_eq!(wd401["status"], "error", "{wd401}");
    assert!(
        wd401["message"]
            .as_str()
            .unwrap()
            .contains("unix:///run/docker.sock accepted the connection but did not answer in time"),
        "{wd401}"
    );
    // Node checks still ran.
    assert!(check(&j, "WD201")["message"].as_str().unwrap().contains("/etc/containerd/config.toml"));
}

#[test]
fn missing_and_stale_sockets() {
    let root = tempfile::tempdir().unwrap();
    // Nothing under an offline host root: skip, with the reason.
    let j = run(&["--json", "--host-root", root.path().to_str().unwrap()]).json();
    assert_eq!(check(&j, "WD206")["status"], "skip");
    assert!(
        check(&j, "WD206")["message"]
            .as_str()
            .unwrap()
            .contains("no containerd socket at /run/containerd/containerd.sock")
    );
    // A given address is a live claim: a stale socket (nothing listening) is a failure.
    let stale = root.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    std::fs::create_dir_all(root.path().join("usr/bin")).unwrap();
    let j =
        run(&["--json", "--host-root", root.path().to_str().unwrap(), "--containerd-address", "/stale.sock"]).json();
    let wd206 = check(&j, "WD206");
    assert_eq!(wd206["status"], "fail", "{wd206}");
    assert!(wd206["message"].as_str().unwrap().contains("connection refused"), "{wd206}");
}

#[test]
fn permission_denied_names_the_socket() {
    let root = tempfile::Builder::new().prefix("wd-perm").tempdir_in("/tmp").unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let sock = root.path().join("run/containerd/containerd.sock");
    let _listener = {
        std::fs::create_dir_all(sock.parent().unwrap()).unwrap();
        for d in ["run", "run/containerd"] {
            std::fs::set_permissions(root.path().join(d), std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::os::unix::net::UnixListener::bind(&sock).unwrap()
    };
    std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o600)).unwrap();
    // Run as `nobody`, as an operator without root would.
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_wasmdoctor"))
        .args(["--json", "--no-docker", "--only", "WD206", "--host-root", root.path().to_str().unwrap()])
        .env("NO_COLOR", "1")
        .output()
        .expect("setpriv (util-linux)");
    let j: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let wd206 = check(&j, "WD206");
    assert_eq!(wd206["status"], "error", "{wd206}");
    assert_eq!(
        wd206["message"],
        "connect /run/containerd/containerd.sock: permission denied (run wasmdoctor as root, or as a member of the group that owns the socket)"
    );
}

#[test]
fn private_dockerd_version_store_and_shim() {
    let c = Containerd::start(WASM_RUNTIMES);
    let d = Dockerd::start(&c);
    // Host root `/`: dockerd's PATH is read from this machine's procfs.
    let r = run(&["--json", "--no-node", "--docker-host", &d.host()]);
    let j = r.json();
    assert_schema_valid(&j);
    let want = String::from_utf8(Command::new("dockerd").arg("--version").output().unwrap().stdout).unwrap();
    let wd401 = check(&j, "WD401");
    let m = wd401["message"].as_str().unwrap();
    let version = m.split('`').nth(1).unwrap();
    assert!(want.contains(version), "{m} vs {want}");
    if version.starts_with("20.") {
        assert_eq!(wd401["status"], "fail", "{wd401}");
        assert!(m.contains("(API 1.41) is older than 24.0"), "{m}");
    }
    let wd402 = check(&j, "WD402");
    assert_eq!(wd402["status"], "fail", "{wd402}");
    assert!(
        wd402["message"].as_str().unwrap().starts_with("dockerd stores images with the `vfs` graph driver"),
        "{wd402}"
    );
    let wd403 = check(&j, "WD403");
    assert_eq!(wd403["status"], "pass", "{wd403}\n{}", d.log());
    let shim = d.dir.path().join("bin/containerd-shim-wasmedge-v1");
    assert_eq!(wd403["message"], format!("Wasm shims on dockerd's PATH (from procfs): `{}`", shim.display()));
    // Only a wasmedge shim on this dockerd's PATH: the Spin shim's Docker 28 hang does not apply.
    let wd404 = check(&j, "WD404");
    assert_eq!(wd404["status"], "pass", "{wd404}");
    assert_eq!(wd404["message"], format!("no Spin shim on dockerd's PATH (Docker Engine `{version}`)"));
}

/// A shim process whose task containerd does not have: the private containerd has no tasks, and a
/// process that looks like runwasi's wasmtime shim of that containerd runs (bash renamed through
/// argv[0], with the shim's flags). Host root `/`: the running machine's procfs.
#[test]
fn a_shim_without_its_task_is_an_orphan() {
    use std::os::unix::process::CommandExt;
    let c = Containerd::start(WASM_RUNTIMES);
    let sock = c.socket();
    let wd212 = || {
        let r = run(&[
            "--json",
            "--no-docker",
            "--no-cluster",
            "--only",
            "WD212",
            "--containerd-address",
            sock.to_str().unwrap(),
        ]);
        check(&r.json(), "WD212").clone()
    };
    let before = wd212();
    assert_eq!(before["status"], "pass", "{before}");
    let mut shim = Command::new("bash")
        .arg0("containerd-shim-wasmtime-v1")
        .args(["-c", "while :; do sleep 1; done", "-namespace", "k8s.io", "-id", "wd212-orphan", "-address"])
        .arg(&sock)
        .spawn()
        .expect("bash");
    let after = wd212();
    let _ = shim.kill();
    let _ = shim.wait();
    assert_eq!(after["status"], "warn", "{after}");
    let m = after["message"].as_str().unwrap();
    assert!(
        m.contains(&format!("pid {} (`containerd-shim-wasmtime-v1`, task `k8s.io/wd212-orphan`)", shim.id())),
        "{m}"
    );
}
