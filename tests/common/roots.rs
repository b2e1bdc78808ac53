//! Host roots for the fix tests: a node with containerd's documented crun config, copies of the
//! fixture hosts, and whole-tree comparisons.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::{Run, corpus, fixture};

pub const WANTED: &[&str] = &["module.wasm.image/variant", "run.oci.handler"];

/// A node whose containerd config is containerd's own documented crun example (no `pod_annotations`).
pub fn node_root() -> tempfile::TempDir {
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

/// A copy of a fixture host root (symlinks and modes kept), to edit.
pub fn copy_fixture(name: &str) -> tempfile::TempDir {
    let dst = tempfile::tempdir().unwrap();
    copy_tree(&fixture(name), dst.path());
    dst
}

pub fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap().filter_map(Result::ok) {
        let to = dst.join(e.file_name());
        let ty = e.file_type().unwrap();
        if ty.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(e.path()).unwrap(), &to).unwrap();
        } else if ty.is_dir() {
            copy_tree(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}

pub fn write(root: &Path, node_path: &str, text: &str, mode: u32) {
    let p = root.join(node_path.trim_start_matches('/'));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
}

pub fn read(root: &Path, node_path: &str) -> String {
    std::fs::read_to_string(root.join(node_path.trim_start_matches('/'))).unwrap()
}

pub const CRUN_WASM: &str = "#!/bin/sh\necho 'crun version 1.27.1'\necho '+SYSTEMD +WASM:wasmedge +YAJL'\n";

/// The plan as printed, for a snapshot: the temp root never appears in it, timestamps are masked.
pub fn plan_text(r: &Run) -> String {
    r.stdout.lines().filter(|l| !l.starts_with("--dry-run")).collect::<Vec<_>>().join("\n")
}

/// Every file under `root` with its bytes (for "undo restores everything" comparisons).
pub fn tree(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().filter_map(Result::ok) {
            let ty = e.file_type().unwrap();
            let rel = e.path().strip_prefix(root).unwrap().display().to_string();
            if rel.starts_with("var/lib/wasmdoctor") || rel.contains(".wasmdoctor-") {
                continue;
            }
            if ty.is_dir() {
                stack.push(e.path());
            } else if ty.is_file() {
                out.insert(rel, std::fs::read(e.path()).unwrap());
            }
        }
    }
    out
}

/// Make a copied root able to run its `#!/bin/sh` binaries inside it, as a real node can: the
/// machine's `/bin/sh` and `/bin/cat` (the fixtures' scripts use both) and the libraries they link
/// at the same paths, and `/dev/fd` (the kernel hands a script to its interpreter as `/dev/fd/N`).
pub fn add_shell(root: &Path) {
    let mut files = Vec::new();
    for tool in ["/bin/sh", "/bin/cat"] {
        files.push(tool.to_string());
        let ldd = std::process::Command::new("ldd").arg(tool).output().unwrap();
        for line in String::from_utf8_lossy(&ldd.stdout).lines() {
            if let Some(path) = line.split_whitespace().find(|w| w.starts_with('/')) {
                files.push(path.to_string());
            }
        }
    }
    for f in &files {
        let to = root.join(f.trim_start_matches('/'));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(std::fs::canonicalize(f).unwrap(), &to).unwrap();
    }
    std::fs::create_dir_all(root.join("dev")).unwrap();
    std::os::unix::fs::symlink("/proc/self/fd", root.join("dev/fd")).unwrap();
}
