use std::os::unix::fs::symlink;

use proptest::prelude::*;

use super::*;

fn tree() -> (tempfile::TempDir, HostRoot) {
    let dir = tempfile::tempdir().unwrap();
    let host = HostRoot::new(dir.path());
    (dir, host)
}

#[test]
fn absolute_links_stay_under_the_root() {
    let (dir, host) = tree();
    std::fs::create_dir_all(dir.path().join("usr/lib/crun")).unwrap();
    std::fs::create_dir_all(dir.path().join("usr/bin")).unwrap();
    std::fs::write(dir.path().join("usr/lib/crun/crun"), "x").unwrap();
    symlink("/usr/lib/crun/crun", dir.path().join("usr/bin/crun")).unwrap();
    symlink("crun", dir.path().join("usr/bin/crun-wasm")).unwrap();
    assert_eq!(host.canonical("/usr/bin/crun").unwrap(), "/usr/lib/crun/crun");
    assert_eq!(host.canonical("/usr/bin/crun-wasm").unwrap(), "/usr/lib/crun/crun");
    assert_eq!(host.read_to_string("/usr/bin/crun").unwrap(), "x");
    assert!(host.canonical("/../../etc/passwd").is_err(), "`..` stops at the root, where there is no etc/passwd");
    std::fs::create_dir_all(dir.path().join("etc")).unwrap();
    std::fs::write(dir.path().join("etc/passwd"), "node's").unwrap();
    assert_eq!(host.read_to_string("/../../etc/passwd").unwrap(), "node's");
}

/// A chain of 41 relative links inside the root that ends in an absolute path outside it: the
/// kernel's answer (ELOOP) is the answer, never the unresolved path.
#[test]
fn a_long_chain_is_a_loop_not_an_escape() {
    let (dir, host) = tree();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("config.toml"), "outside").unwrap();
    symlink(outside.path().join("config.toml"), dir.path().join("l41")).unwrap();
    for i in (0..41).rev() {
        symlink(format!("l{}", i + 1), dir.path().join(format!("l{i}"))).unwrap();
    }
    let e = host.read_to_string("/l0").unwrap_err();
    assert!(is_loop(&e), "{e}");
    assert!(e.to_string().contains("symlink loop"), "{e}");
    // Ten links from the end, the absolute target means the node's path: not there, not outside.
    let e = host.read_to_string("/l31").unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound, "{e}");
    symlink("/a", dir.path().join("b")).unwrap();
    symlink("/b", dir.path().join("a")).unwrap();
    assert!(is_loop(&host.meta("/a").unwrap_err()));
}

#[test]
fn only_regular_files_are_read_and_only_so_much() {
    let (dir, host) = tree();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        dir.path().join("fifo"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    let e = host.read_to_string("/fifo").unwrap_err();
    assert_eq!(e.to_string(), "it is a FIFO, not a regular file");
    std::fs::create_dir(dir.path().join("d")).unwrap();
    assert_eq!(host.read_to_string("/d").unwrap_err().to_string(), "it is a directory, not a file");
    std::fs::write(dir.path().join("big"), vec![b'x'; 2048]).unwrap();
    let e = host.read("/big", 1024).unwrap_err();
    assert_eq!(e.to_string(), "it is larger than the 1 KiB wasmdoctor reads of such a file");
    assert_eq!(host.read("/big", 2048).unwrap().len(), 2048);
    std::fs::write(dir.path().join("latin1"), b"caf\xe9\n").unwrap();
    let e = host.read_to_string("/latin1").unwrap_err();
    assert_eq!(e.to_string(), "it is not UTF-8 text (invalid byte at offset 3)");
    if rustix::process::geteuid().is_root() {
        rustix::fs::mknodat(
            rustix::fs::CWD,
            dir.path().join("zero"),
            rustix::fs::FileType::CharacterDevice,
            rustix::fs::Mode::from_raw_mode(0o666),
            rustix::fs::makedev(1, 5),
        )
        .unwrap();
        assert_eq!(
            host.read_to_string("/zero").unwrap_err().to_string(),
            "it is a character device, not a regular file"
        );
    }
}

#[test]
fn globs_stay_inside_and_say_when_cut() {
    let (dir, host) = tree();
    std::fs::create_dir_all(dir.path().join("etc/containerd/conf.d")).unwrap();
    for n in ["a.toml", "b.toml", ".hidden.toml", "c.txt"] {
        std::fs::write(dir.path().join("etc/containerd/conf.d").join(n), "").unwrap();
    }
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("x.toml"), "").unwrap();
    symlink(outside.path(), dir.path().join("etc/containerd/out")).unwrap();
    let (found, cut) = host.glob("/etc/containerd/conf.d/*.toml", 10);
    assert_eq!(found, ["/etc/containerd/conf.d/a.toml", "/etc/containerd/conf.d/b.toml"]);
    assert!(!cut);
    assert_eq!(host.glob("/etc/containerd/conf.d/*.toml", 1), (vec!["/etc/containerd/conf.d/a.toml".into()], true));
    assert!(
        host.glob("/etc/containerd/out/*.toml", 10).0.is_empty(),
        "an absolute link out of the root is the node's path"
    );
}

#[test]
fn writes_stay_inside() {
    let (dir, host) = tree();
    let outside = tempfile::tempdir().unwrap();
    symlink(outside.path(), dir.path().join("etc")).unwrap();
    // The link's absolute target means the node's path: that directory, inside the root.
    std::fs::create_dir_all(dir.path().join(outside.path().strip_prefix("/").unwrap())).unwrap();
    host.create_dir_all("/etc/containerd", 0o755).unwrap();
    let mut f = host.create_new("/etc/containerd/config.toml").unwrap();
    std::io::Write::write_all(&mut f, b"x").unwrap();
    assert!(dir.path().join(outside.path().strip_prefix("/").unwrap()).join("containerd/config.toml").exists());
    assert!(!outside.path().join("containerd").exists(), "nothing was written outside the root");
}

/// A tree of directories and links (relative, absolute, `..`, to the root's outside) and a path to
/// look up: whatever the kernel answers is inside the root.
fn arb_tree() -> impl Strategy<Value = (Vec<(String, String)>, String)> {
    let name = prop::sample::select(vec!["a", "b", "c", ".."]);
    let target = prop::collection::vec(name.clone(), 0..4).prop_flat_map(|parts| {
        prop::sample::select(vec!["", "/", "../../../"]).prop_map(move |prefix| format!("{prefix}{}", parts.join("/")))
    });
    let links = prop::collection::vec((prop::sample::select(vec!["a", "b", "c", "a/a", "b/c", "c/b"]), target), 0..8);
    let lookup = prop::collection::vec(name, 1..6).prop_map(|p| format!("/{}", p.join("/")));
    (links.prop_map(|l| l.into_iter().map(|(a, b)| (a.to_string(), b)).collect()), lookup)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn resolution_never_leaves_the_root((links, lookup) in arb_tree()) {
        let (dir, host) = tree();
        for d in ["a", "b", "c"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        for (at, target) in &links {
            let p = dir.path().join(at);
            if std::fs::symlink_metadata(&p).is_err() {
                let _ = symlink(target, &p);
            }
        }
        let root = std::fs::canonicalize(dir.path()).unwrap();
        if let Ok(real) = host.resolve(&lookup) {
            prop_assert!(real.starts_with(&root), "{lookup} → {} outside {}", real.display(), root.display());
            let canonical = host.canonical(&lookup).unwrap();
            prop_assert_eq!(root.join(canonical.trim_start_matches('/')), real);
        }
    }
}
