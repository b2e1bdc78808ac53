//! `wasmdoctor fix` / `undo` on temporary host roots: the WD204 edit is planned as a diff, applied
//! only with consent, format-preserving, backed up, journaled, idempotent, and undone byte for byte.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::*;
use wasmdoctor::collect::containerd_config::parse;
use wasmdoctor::facts::Route;

const WANTED: &[&str] = &["module.wasm.image/variant", "run.oci.handler"];

/// A node whose containerd config is containerd's own documented crun example (no `pod_annotations`).
fn node_root() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let cfg = root.path().join("etc/containerd/config.toml");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::copy(corpus().join("containerd-config/containerd-1.x-docs-runtime-classes-v2.toml"), &cfg).unwrap();
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o640)).unwrap();
    let crun = root.path().join("usr/local/bin/crun");
    std::fs::create_dir_all(crun.parent().unwrap()).unwrap();
    std::fs::write(&crun, "#!/bin/sh\necho 'crun version 1.27.1'\necho '+SYSTEMD +WASM:wasmedge +YAJL'\n").unwrap();
    std::fs::set_permissions(&crun, std::fs::Permissions::from_mode(0o755)).unwrap();
    root
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
    assert!(r.stdout.contains("WD204 (automatic, needs confirmation)"), "{}", r.stdout);
    assert!(r.stdout.contains("+++ b/etc/containerd/config.toml"), "{}", r.stdout);
    assert!(
        r.stdout.contains("+pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]"),
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
    assert_eq!(added, ["pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]"]);
    let removed: Vec<&str> = original.lines().filter(|l| !changed.lines().any(|c| c == *l)).collect();
    assert!(removed.is_empty(), "{removed:?}");
    let mode = std::fs::metadata(root.path().join("etc/containerd/config.toml")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let backups: Vec<_> = std::fs::read_dir(root.path().join("etc/containerd"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".wasmdoctor-"))
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(std::fs::read_to_string(backups[0].path()).unwrap(), original);

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
}

#[test]
fn refusals() {
    use wasmdoctor::collect::host::HostRoot;
    use wasmdoctor::fix::{Applicability, FileEdit, FixError, Plan, apply::apply};
    let root = node_root();
    let host = HostRoot::new(root.path());
    let original = config(root.path());
    let plan = Plan {
        id: "WD204".into(),
        applicability: Applicability::NeedsConfirmation,
        summary: "test".into(),
        edits: vec![FileEdit {
            path: "/etc/containerd/config.toml".into(),
            before: original.clone(),
            after: original.clone() + "# edited\n",
        }],
        instructions: None,
    };
    // Changed since the plan: refused, nothing written.
    std::fs::write(root.path().join("etc/containerd/config.toml"), original.clone() + "# someone else\n").unwrap();
    assert!(matches!(apply(&plan, &host, std::time::SystemTime::now()), Err(FixError::ChangedSincePlan { .. })));
    assert!(config(root.path()).ends_with("# someone else\n"));
    // A symlink leading outside the host root: refused.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("config.toml"), &original).unwrap();
    std::fs::remove_file(root.path().join("etc/containerd/config.toml")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("config.toml"), root.path().join("etc/containerd/config.toml"))
        .unwrap();
    assert!(matches!(apply(&plan, &host, std::time::SystemTime::now()), Err(FixError::OutsideRoot { .. })));
    assert_eq!(std::fs::read_to_string(outside.path().join("config.toml")).unwrap(), original);
    // Unknown IDs are exit 2.
    assert_eq!(wd(root.path(), &["fix", "WD999"]).code, 2);
}

#[test]
fn manual_only_plans_are_printed_never_run() {
    let root = node_root();
    let r = wd(root.path(), &["fix", "WD103", "--yes"]);
    assert!(r.stdout.contains("WD103 (manual only)") || r.stdout.contains("WD103: passes already"), "{}", r.stdout);
}

/// WD204's edit on every corpus config (templates excepted) that has a crun-route runtime without
/// the annotations: the result parses, the runtime has them, and no other line changed.
#[test]
fn wd204_edit_on_every_corpus_config_with_the_problem() {
    let dir = corpus().join("containerd-config");
    let mut edited = 0;
    for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".toml") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let Ok(parsed) = parse(&name, &text, false) else { continue };
        for r in parsed.runtimes.iter().filter(|r| r.route == Route::Crun) {
            let has = r.pod_annotations.as_ref().is_some_and(|p| WANTED.iter().all(|w| p.iter().any(|x| x == w)));
            if has {
                continue;
            }
            let out = wasmdoctor::fix::toml_edit::add_pod_annotations(&text, &r.plugin_id, &r.name, WANTED).unwrap();
            let again = parse(&name, &out, false).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let fixed = again.runtimes.iter().find(|x| x.name == r.name && x.plugin_id == r.plugin_id).unwrap();
            let ann = fixed.pod_annotations.clone().unwrap();
            assert!(WANTED.iter().all(|w| ann.iter().any(|x| x == w)), "{name}: {ann:?}");
            let removed: Vec<&str> = text.lines().filter(|l| !out.lines().any(|o| o == *l)).collect();
            assert!(removed.iter().all(|l| l.contains("pod_annotations")), "{name}: lines changed: {removed:?}");
            edited += 1;
        }
    }
    assert!(edited >= 3, "only {edited} corpus configs had the problem");
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
    assert!(r.stdout.contains("+options.SystemdCgroup = true"), "{}", r.stdout);
    assert!(r.stdout.contains("WD208 now: pass"), "{}", r.stdout);
    let changed = std::fs::read_to_string(&cfg).unwrap();
    assert_eq!(changed, format!("{original}options.SystemdCgroup = true\n"));
    assert_eq!(wd(root.path(), &["undo"]).code, 0);
    assert_eq!(std::fs::read_to_string(&cfg).unwrap(), original);
}
