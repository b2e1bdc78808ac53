//! `wasmdoctor fix` / `undo` on temporary host roots (node fixes) and against the fake API server
//! (cluster fixes): every fix is planned (snapshot), applied only with consent, format-preserving,
//! backed up, journaled, re-checked, idempotent, and undone byte for byte; refusals change nothing.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::roots::*;
use common::*;

/// The common life of a node fix on a host root: plan (snapshot) changes nothing, `--yes` applies
/// and the check re-runs clean, a second run has nothing to do, `undo` restores every byte.
fn plan_apply_recheck_undo(root: &Path, id: &str, snapshot: &str) -> String {
    let original = tree(root);
    let before = wd(root, &["--json", "--only", id]).json();
    assert_eq!(check(&before, id)["status"], "fail", "{id} should fail before the fix: {}", check(&before, id));
    let r = wd(root, &["fix", id, "--dry-run"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    insta::assert_snapshot!(snapshot, plan_text(&r));
    assert_eq!(tree(root), original, "--dry-run changed a file");
    let r = wd(root, &["fix", id, "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains(&format!("{id} now: pass")), "{}", r.stdout);
    let applied = tree(root);
    let r = wd(root, &["fix", id, "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains(&format!("{id}: passes already, nothing to fix")), "{}", r.stdout);
    assert_eq!(tree(root), applied, "the second run changed something");
    let r = wd(root, &["undo"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(tree(root), original, "undo did not restore every byte");
    r.stdout
}

fn wd(root: &Path, args: &[&str]) -> Run {
    let mut a = args.to_vec();
    a.extend(["--host-root", root.to_str().unwrap(), "--no-cluster", "--no-docker"]);
    run(&a)
}

fn config(root: &Path) -> String {
    std::fs::read_to_string(root.join("etc/containerd/config.toml")).unwrap()
}

#[test]
fn plan_apply_recheck_idempotent_undo() {
    let root = node_root();
    let original = config(root.path());
    let before = wd(root.path(), &["--json", "--only", "WD204"]).json();
    assert_eq!(check(&before, "WD204")["status"], "fail");

    // --dry-run shows the diff and changes nothing.
    let r = wd(root.path(), &["fix", "WD204", "--dry-run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("WD204 (automatic)"), "{}", r.stdout);
    assert!(r.stdout.contains("then restart containerd on the node (`systemctl restart containerd`)"), "{}", r.stdout);
    assert!(r.stdout.contains("+++ b/etc/containerd/config.toml"), "{}", r.stdout);
    // The new key is indented as its siblings are.
    let sibling = original.lines().find(|l| l.trim_start().starts_with("runtime_type")).unwrap();
    let indent = &sibling[..sibling.len() - sibling.trim_start().len()];
    assert!(
        r.stdout
            .contains(&format!("\n+{indent}pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]\n")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("--dry-run: nothing was changed"));
    assert_eq!(config(root.path()), original);

    // No terminal and no --yes: the plan is printed, nothing changes.
    let r = wd(root.path(), &["fix", "WD204"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("not applied: no terminal to confirm on"), "{}", r.stdout);
    assert_eq!(config(root.path()), original);

    // --yes applies, keeps every other byte, the mode, a backup, and the check re-runs clean.
    let r = wd(root.path(), &["fix", "WD204", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("WD204 now: pass"), "{}", r.stdout);
    let changed = config(root.path());
    let added: Vec<&str> = changed.lines().filter(|l| !original.lines().any(|o| o == *l)).collect();
    assert_eq!(added, [format!("{indent}pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]")]);
    let removed: Vec<&str> = original.lines().filter(|l| !changed.lines().any(|c| c == *l)).collect();
    assert!(removed.is_empty(), "{removed:?}");
    let mode = std::fs::metadata(root.path().join("etc/containerd/config.toml")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    // The original is kept under the journal directory (never beside the file, where an imports
    // glob would read it), with the original's mode, as the plan named it.
    assert!(
        !std::fs::read_dir(root.path().join("etc/containerd")).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("wasmdoctor")),
        "nothing of wasmdoctor's beside the config"
    );
    let named = r.stdout.lines().find_map(|l| l.strip_prefix("changed `/etc/containerd/config.toml` (backup `"));
    let backup = named.and_then(|l| l.split('`').next()).unwrap_or_else(|| panic!("no backup named: {}", r.stdout));
    assert!(backup.starts_with("/var/lib/wasmdoctor/backups/"), "{backup}");
    let backup = root.path().join(backup.trim_start_matches('/'));
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), original);
    assert_eq!(std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777, 0o640, "the backup keeps the mode");
    // Again: nothing to do.
    let r = wd(root.path(), &["fix", "WD204", "--yes"]);
    assert!(r.stdout.contains("WD204: passes already, nothing to fix"), "{}", r.stdout);
    assert_eq!(config(root.path()), changed);

    // Undo restores the original byte for byte; a second undo has nothing left.
    let r = wd(root.path(), &["undo"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("restored `/etc/containerd/config.toml`"), "{}", r.stdout);
    assert_eq!(config(root.path()), original);
    let r = wd(root.path(), &["undo"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nothing to undo"), "{}", r.stderr);
    plan_apply_recheck_undo(root.path(), "WD204", "wd204_docs_config");
}

fn test_plan(original: &str) -> wasmdoctor::plan::Plan {
    wasmdoctor::plan::Plan {
        id: "WD204".into(),
        summary: "test".into(),
        edits: vec![wasmdoctor::plan::FileEdit {
            path: "/etc/containerd/config.toml".into(),
            exists: true,
            before: original.to_string(),
            after: original.to_string() + "# edited\n",
        }],
        objects: vec![],
        dry_run: vec![],
        restart: None,
        instructions: None,
    }
}

#[test]
fn refusals() {
    use wasmdoctor::collect::host::HostRoot;
    use wasmdoctor::fix::{FixError, apply::apply};
    use wasmdoctor::plan::FileEdit;
    let root = node_root();
    let host = HostRoot::new(root.path());
    let original = config(root.path());
    let plan = test_plan(&original);
    // Changed since the plan: refused, nothing written.
    std::fs::write(root.path().join("etc/containerd/config.toml"), original.clone() + "# someone else\n").unwrap();
    assert!(matches!(apply(&plan, &host, std::time::SystemTime::now()), Err(FixError::ChangedSincePlan { .. })));
    assert!(config(root.path()).ends_with("# someone else\n"));
    // A file to create that appeared meanwhile: refused.
    let mut create = test_plan("");
    create.edits[0] = FileEdit {
        path: "/etc/containerd/new.toml".into(),
        exists: false,
        before: String::new(),
        after: "x = 1\n".into(),
    };
    std::fs::write(root.path().join("etc/containerd/new.toml"), "mine\n").unwrap();
    assert!(matches!(apply(&create, &host, std::time::SystemTime::now()), Err(FixError::ChangedSincePlan { .. })));
    assert_eq!(std::fs::read_to_string(root.path().join("etc/containerd/new.toml")).unwrap(), "mine\n");
    // A symlink whose absolute target is this machine's path, not the node's: inside the host root it
    // means the node's path (not there), so nothing is written, and nothing outside changes.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("config.toml"), &original).unwrap();
    std::fs::remove_file(root.path().join("etc/containerd/config.toml")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("config.toml"), root.path().join("etc/containerd/config.toml"))
        .unwrap();
    assert!(apply(&plan, &host, std::time::SystemTime::now()).is_err());
    assert_eq!(std::fs::read_to_string(outside.path().join("config.toml")).unwrap(), original);
    std::os::unix::fs::symlink(outside.path(), root.path().join("etc/conf.d")).unwrap();
    create.edits[0].path = "/etc/conf.d/wasm.toml".into();
    assert!(apply(&create, &host, std::time::SystemTime::now()).is_err());
    assert!(!outside.path().join("wasm.toml").exists());
    // An absolute link inside the root is followed inside it, when planning and when applying.
    std::fs::remove_file(root.path().join("etc/containerd/config.toml")).unwrap();
    std::fs::write(root.path().join("etc/containerd/real.toml"), &original).unwrap();
    std::os::unix::fs::symlink("/etc/containerd/real.toml", root.path().join("etc/containerd/config.toml")).unwrap();
    apply(&plan, &host, std::time::SystemTime::now()).unwrap();
    assert_eq!(
        std::fs::read_to_string(root.path().join("etc/containerd/real.toml")).unwrap(),
        original.clone() + "# edited\n"
    );
    // Unknown IDs are exit 2.
    assert_eq!(wd(root.path(), &["fix", "WD999"]).code, 2);
}

/// A read-only file system (a read-only bind mount in a private mount namespace, as root): the fix
/// is refused before anything is written, and says why.
#[test]
fn read_only_file_system_is_refused() {
    if !nix_is_root() {
        eprintln!("read_only_file_system_is_refused needs root (mount namespaces); CI runs as root");
        return;
    }
    let root = node_root();
    let original = config(root.path());
    let dir = root.path().join("etc/containerd");
    // mount --bind -o ro inside the namespace, then run the fix there (argv, no shell string).
    let script = root.path().join("ro.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nset -e\nmount --bind \"$1\" \"$1\"\nmount -o remount,bind,ro \"$1\"\nshift\nexec \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = std::process::Command::new("unshare")
        .args(["--mount", "--propagation", "private", "--"])
        .arg(&script)
        .arg(&dir)
        .arg(env!("CARGO_BIN_EXE_wasmdoctor"))
        .args(["fix", "WD204", "--yes", "--no-cluster", "--no-docker", "--host-root"])
        .arg(root.path())
        .env("KUBECONFIG", "/nonexistent")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("not applied: cannot write in `/etc/containerd` (Read-only file system"),
        "{stdout}\n{stderr}"
    );
    assert_eq!(config(root.path()), original);
    assert!(!root.path().join("var/lib/wasmdoctor/journal.json").exists());
}

fn nix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

#[test]
fn manual_only_plans_are_printed_never_run() {
    let root = node_root();
    let r = wd(root.path(), &["fix", "WD103", "--yes"]);
    assert!(r.stdout.contains("WD103 (manual only)") || r.stdout.contains("WD103: passes already"), "{}", r.stdout);
    // A check that does not apply here (no cluster) has nothing to fix, and says why.
    let r = wd(root.path(), &["fix", "WD301", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.starts_with("WD301: skipped here (cluster source not requested"), "{}", r.stdout);
}

#[test]
fn wd208_sets_systemd_cgroup_to_the_kubelets_driver() {
    let root = tempfile::tempdir().unwrap();
    let cfg = root.path().join("etc/containerd/config.toml");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    // runwasi's troubleshooting config, as many nodes have it: no SystemdCgroup.
    std::fs::copy(corpus().join("containerd-config/runwasi-troubleshooting-expected-wasmtime.toml"), &cfg).unwrap();
    let original = std::fs::read_to_string(&cfg).unwrap();
    let kubelet = root.path().join("var/lib/kubelet/config.yaml");
    std::fs::create_dir_all(kubelet.parent().unwrap()).unwrap();
    std::fs::write(
        &kubelet,
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\n",
    )
    .unwrap();
    let before = wd(root.path(), &["--json", "--only", "WD208"]).json();
    assert_eq!(check(&before, "WD208")["status"], "fail");
    let r = wd(root.path(), &["fix", "WD208", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("+   options.SystemdCgroup = true"), "{}", r.stdout);
    assert!(r.stdout.contains("WD208 now: pass"), "{}", r.stdout);
    let changed = std::fs::read_to_string(&cfg).unwrap();
    assert_eq!(changed, format!("{original}   options.SystemdCgroup = true\n"), "indented as `runtime_type`");
    assert_eq!(wd(root.path(), &["undo"]).code, 0);
    assert_eq!(std::fs::read_to_string(&cfg).unwrap(), original);
    plan_apply_recheck_undo(root.path(), "WD208", "wd208_runwasi_config");
}

// ---------------------------------------------------------------------------------------------
// WD202, WD203, WD205 on fixture host roots

/// containerd 1.7's own default config (only runc) and a crun with a WASM handler on the PATH:
/// WD202 declares the crun route in the file's v2 schema, at its end.
#[test]
fn wd202_adds_the_crun_route_to_the_main_file() {
    let root = tempfile::tempdir().unwrap();
    let default =
        std::fs::read_to_string(corpus().join("containerd-config/containerd-1.7-config-default.toml")).unwrap();
    write(root.path(), "/etc/containerd/config.toml", &default, 0o644);
    write(root.path(), "/usr/local/bin/crun", CRUN_WASM, 0o755);
    let r = wd(root.path(), &["fix", "WD202", "--dry-run"]);
    assert!(r.stdout.contains("then restart containerd on the node"), "{}", r.stdout);
    plan_apply_recheck_undo(root.path(), "WD202", "wd202_crun_main_file");
}

/// containerd 2.2 whose config imports `conf.d/*.toml` (2.x merges imports): WD202 writes a
/// version 3 drop-in with the shim route, and `undo` removes it.
#[test]
fn wd202_writes_a_drop_in_where_containerd_2_imports_one() {
    let root = tempfile::tempdir().unwrap();
    write(
        root.path(),
        "/etc/containerd/config.toml",
        "version = 3\nimports = [\"/etc/containerd/conf.d/*.toml\"]\n\n[plugins.'io.containerd.cri.v1.runtime'.containerd]\n  default_runtime_name = 'runc'\n",
        0o644,
    );
    write(
        root.path(),
        "/usr/local/bin/containerd",
        "#!/bin/sh\necho 'containerd github.com/containerd/containerd/v2 v2.2.0 1c4457e00facac03ce1d75f7b6777a7a851e5c41'\n",
        0o755,
    );
    write(
        root.path(),
        "/usr/local/bin/containerd-shim-spin-v2",
        "#!/bin/sh\necho 'containerd-shim-spin-v2 v0.22.0'\n",
        0o755,
    );
    plan_apply_recheck_undo(root.path(), "WD202", "wd202_drop_in_v3_shim");
    assert!(!root.path().join("etc/containerd/conf.d/wasmdoctor-wasm.toml").exists());
}

/// Nothing installed that runs Wasm: the plan says what to install and changes nothing (exit 1).
#[test]
fn wd202_without_crun_or_shim_is_manual() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "/etc/containerd/config.toml", "version = 2\n", 0o644);
    let r = wd(root.path(), &["fix", "WD202", "--yes"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("WD202 (manual only)") && r.stdout.contains("install a crun built with `+WASM:wasmedge`"),
        "{}",
        r.stdout
    );
    assert_eq!(read(root.path(), "/etc/containerd/config.toml"), "version = 2\n");
}

/// A `version = 3` file with KWasm's v2 table appended (fixture): WD203 renames the table's plugin
/// id; only that header line changes.
#[test]
fn wd203_moves_the_ignored_table_to_the_v3_plugin() {
    let root = copy_fixture("containerd2-v3-with-v2-tables");
    let original = read(root.path(), "/etc/containerd/config.toml");
    let r = wd(root.path(), &["fix", "WD203", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let changed = read(root.path(), "/etc/containerd/config.toml");
    let diff: Vec<(&str, &str)> = original.lines().zip(changed.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(
        diff,
        [(
            "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.wasmedge]",
            "[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.wasmedge]"
        )]
    );
    assert_eq!(wd(root.path(), &["undo"]).code, 0);
    plan_apply_recheck_undo(root.path(), "WD203", "wd203_v3_with_v2_table");
}

/// k3s's generated config with KWasm's `spin` table appended (fixture): WD205 creates
/// `config.toml.tmpl` extending k3s's base template with that table, and leaves the generated file.
#[test]
fn wd205_moves_the_edit_into_a_new_template() {
    let root = copy_fixture("k3s-generated-edited");
    let generated = "/var/lib/rancher/k3s/agent/etc/containerd/config.toml";
    let original = read(root.path(), generated);
    let stdout = plan_apply_recheck_undo(root.path(), "WD205", "wd205_k3s_template");
    assert!(stdout.contains("removed `/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl`"), "{stdout}");
    wd(root.path(), &["fix", "WD205", "--yes"]);
    let template = read(root.path(), "/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl");
    assert!(
        template.starts_with(
            "{{ template \"base\" . }}\n\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.spin]\n"
        ),
        "{template}"
    );
    assert_eq!(read(root.path(), generated), original);
}

/// k3s with a template that declares the shim runtime: WD208 edits the template by lines (toml_edit
/// cannot read `{{ }}`), not the generated file. Until k3s renders it again the generated file is
/// unchanged, so WD208 still fails and the exit code says so; once rendered, it passes.
#[test]
fn wd208_edits_the_k3s_template_that_declares_the_runtime() {
    let root = copy_fixture("k3s-template");
    let tmpl = "/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl";
    let generated = "/var/lib/rancher/k3s/agent/etc/containerd/config.toml";
    let original = read(root.path(), tmpl);
    let r = wd(root.path(), &["fix", "WD208", "--dry-run"]);
    insta::assert_snapshot!("wd208_k3s_template", plan_text(&r));
    let r = wd(root.path(), &["fix", "WD208", "--yes"]);
    assert_eq!(r.code, 1, "not clean until k3s renders the template: {}", r.stdout);
    assert!(r.stdout.contains("changed `/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl`"), "{}", r.stdout);
    assert!(r.stdout.contains("then restart k3s on the node (`systemctl restart k3s`)"), "{}", r.stdout);
    assert_eq!(read(root.path(), tmpl), original.clone() + "options.SystemdCgroup = true\n");
    // What k3s does at its next start: base, then the template's tables.
    let rendered = read(root.path(), generated).replace(
        "runtime_type = \"io.containerd.spin.v2\"\n",
        "runtime_type = \"io.containerd.spin.v2\"\noptions.SystemdCgroup = true\n",
    );
    write(root.path(), generated, &rendered, 0o644);
    let j = wd(root.path(), &["--json", "--only", "WD208"]).json();
    assert_eq!(check(&j, "WD208")["status"], "pass", "{}", check(&j, "WD208"));
    assert_eq!(wd(root.path(), &["undo"]).code, 0);
    assert_eq!(read(root.path(), tmpl), original);
}

/// k0s writes `/etc/k0s/containerd.toml` itself: WD205 moves the Wasm runtime into a drop-in of
/// `containerd.d/`, which k0s merges.
#[test]
fn wd205_k0s_drop_in() {
    let root = tempfile::tempdir().unwrap();
    write(
        root.path(),
        "/etc/k0s/containerd.toml",
        "# k0s_managed=true\n# This is a placeholder configuration for k0s managed containerD.\nversion = 2\nimports = [\"/etc/k0s/containerd.d/*.toml\"]\n\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.wasmedge]\n  runtime_type = \"io.containerd.wasmedge.v1\"\n",
        0o644,
    );
    std::fs::create_dir_all(root.path().join("etc/k0s/containerd.d")).unwrap();
    plan_apply_recheck_undo(root.path(), "WD205", "wd205_k0s_drop_in");
}

/// A planner changes exactly what its check found: of two crun runtimes, the one whose
/// `pod_annotations` already let the annotation through by a `path.Match` pattern is left alone.
#[test]
fn wd204_edits_only_the_runtimes_the_check_found() {
    let root = node_root();
    let two = r#"version = 2
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun]
  runtime_type = "io.containerd.runc.v2"
  pod_annotations = ["module.wasm.image/*"]
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun.options]
    BinaryName = "/usr/local/bin/crun"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasm]
  runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasm.options]
    BinaryName = "/usr/local/bin/crun"
"#;
    write(root.path(), "/etc/containerd/config.toml", two, 0o644);
    let r = wd(root.path(), &["fix", "WD204", "--dry-run"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let added: Vec<&str> = r.stdout.lines().filter(|l| l.starts_with('+') && !l.starts_with("+++")).collect();
    assert_eq!(added, ["+  pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]"], "{}", r.stdout);
    let hunk = r.stdout.lines().find(|l| l.starts_with("@@")).unwrap_or_default();
    assert!(hunk.starts_with("@@ -6,"), "the edit is in runtime `wasm` (line 6 on), not `crun`: {}", r.stdout);
}
