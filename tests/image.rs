//! The agent's container image (deploy/image/): built by its script with a private dockerd and no
//! network (FROM scratch: the binary and the libraries it links), then run: it starts, and it runs
//! the node checks against a host root mounted read-only at /host, as the DaemonSet mounts the node.

mod common;

use std::process::Command;

use common::daemons::*;
use common::*;

fn docker(d: &Dockerd, args: &[&str]) -> std::process::Output {
    Command::new("docker").arg("--host").arg(d.host()).args(args).output().expect("the docker CLI (docker.io)")
}

#[test]
fn the_image_builds_offline_and_runs_the_node_checks() {
    let c = Containerd::start("");
    let d = Dockerd::start(&c);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/image/build.sh");
    let built = Command::new(&script)
        .args(["--binary", env!("CARGO_BIN_EXE_wasmdoctor"), "--tag", "wasmdoctor:test", "--docker-host"])
        .arg(d.host())
        .output()
        .unwrap();
    assert!(built.status.success(), "{}\n{}", String::from_utf8_lossy(&built.stderr), d.log());
    assert_eq!(String::from_utf8_lossy(&built.stdout).trim(), "wasmdoctor:test");

    // Nothing but the binary and what it links.
    let inspect = docker(
        &d,
        &["image", "inspect", "wasmdoctor:test", "--format", "{{json .Config.Entrypoint}} {{json .Config.Cmd}}"],
    );
    assert_eq!(
        String::from_utf8_lossy(&inspect.stdout).trim(),
        r#"["/usr/bin/wasmdoctor"] ["agent","--host-root","/host"]"#
    );
    let version = docker(&d, &["run", "--rm", "--network=none", "wasmdoctor:test", "--version"]);
    assert!(version.status.success(), "{}", String::from_utf8_lossy(&version.stderr));
    assert_eq!(String::from_utf8_lossy(&version.stdout).trim(), format!("wasmdoctor {}", env!("CARGO_PKG_VERSION")));

    // The node checks against a node mounted read-only at /host with its procfs, as the DaemonSet
    // mounts it: the root is the running machine (its boot_id is this kernel's), so its crun (a
    // `#!/bin/sh` script here) runs inside it, with the node's shell, not in the scratch image.
    let root = common::roots::copy_fixture("crun-no-wasm");
    common::roots::add_shell(root.path());
    std::fs::create_dir_all(root.path().join("proc")).unwrap();
    let mount = format!("{}:/host:ro", root.path().display());
    let out = docker(
        &d,
        &[
            "run",
            "--rm",
            "--network=none",
            "-v",
            &mount,
            "-v",
            "/proc:/host/proc:ro",
            "wasmdoctor:test",
            "check",
            "--json",
            "--no-cluster",
            "--no-docker",
            "--host-root",
            "/host",
        ],
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    assert_schema_valid(&j);
    assert_eq!(
        (&j["target"]["host_root"], &j["target"]["live"]),
        (&serde_json::json!("/host"), &serde_json::json!(true))
    );
    let wd103 = check(&j, "WD103");
    assert_eq!(wd103["status"], "warn", "{wd103}");
    assert!(
        wd103["message"]
            .as_str()
            .unwrap()
            .starts_with("crun `1.23.1` at `/usr/bin/crun` was built without a WASM handler"),
        "{wd103}"
    );
    assert_eq!(out.status.code(), Some(1));
    let _ = docker(&d, &["image", "rm", "wasmdoctor:test"]);
}
