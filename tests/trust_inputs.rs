//! The host root is a jail, every input is bounded, and what is true at the edges is said (issue
//! 11, classes 2, 3 and 5), through the real binary. Each run is given a deadline by the test:
//! a hang is a failure here, never a stuck CI job.

mod common;

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::{Duration, Instant};

use common::roots::*;
use common::*;

const CONFIG: &str = "etc/containerd/config.toml";

/// Run wasmdoctor on `root` (no cluster, no docker) and fail the test if it takes longer than `limit`.
fn bounded(root: &Path, args: &[&str], limit: Duration) -> Run {
    let mut cmd = bin();
    cmd.args(args).args(["--host-root", root.to_str().unwrap(), "--no-cluster", "--no-docker"]);
    within(cmd, limit)
}

/// `/<name>/l0 → l1 → … → l{n-1} → end` in the root: a chain of `n` relative links; its node path.
fn chain(root: &Path, name: &str, n: usize, end: &Path) -> String {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..n {
        let to = if i + 1 == n { end.to_path_buf() } else { format!("l{}", i + 1).into() };
        symlink(to, dir.join(format!("l{i}"))).unwrap();
    }
    format!("/{name}/l0")
}

/// Links out of the root — 41 relative links ending in an absolute path outside, a short chain to
/// an absolute path, `../` past the top — are resolved inside the root: the binary outside is never
/// run (its marker is never written), the config outside never read, and a chain past 40 links is
/// named as such, not as "does not exist".
#[test]
fn links_never_lead_out_of_the_host_root() {
    let outside = tempfile::tempdir().unwrap();
    let marker = outside.path().join("executed");
    let evil = outside.path().join("crun");
    std::fs::write(
        &evil,
        format!(
            "#!/bin/sh\ntouch {}\necho 'crun version 1.27.1'\necho '+SYSTEMD +WASM:wasmedge +YAJL'\n",
            marker.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&evil, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(outside.path().join("config.toml"), "version = 2\n# OUTSIDE-THE-ROOT\n").unwrap();
    let depth = "../".repeat(outside.path().components().count() + 8);
    let escapes: [(&str, usize, std::path::PathBuf); 3] = [
        ("a 41-link chain", 41, evil.clone()),
        ("a 3-link chain to an absolute path", 3, evil.clone()),
        ("dot-dot past the top", 1, format!("{depth}{}", evil.display()).into()),
    ];
    for (what, n, end) in escapes {
        let root = node_root();
        let crun = root.path().join("usr/local/bin/crun");
        std::fs::remove_file(&crun).unwrap();
        symlink(chain(root.path(), "chain", n, &end), &crun).unwrap();
        let r = bounded(root.path(), &["--json"], Duration::from_secs(60));
        let j = r.json();
        assert!(!marker.exists(), "{what}: the binary outside the root was executed");
        let wd101 = check(&j, "WD101");
        assert_eq!(wd101["status"], "fail", "{what}: {wd101}");
        if n == 41 {
            assert!(r.stdout.contains("too many levels of symbolic links"), "{what}: {wd101}");
        }
    }
    // The config as a 41-link chain out: an error naming the loop; nothing from outside is read.
    let root = node_root();
    let cfg = root.path().join("etc/containerd/config.toml");
    std::fs::remove_file(&cfg).unwrap();
    symlink(chain(root.path(), "cfgchain", 41, &outside.path().join("config.toml")), &cfg).unwrap();
    let r = bounded(root.path(), &["--json", "--only", "WD201"], Duration::from_secs(60));
    let wd201 = check(&r.json(), "WD201").clone();
    assert_eq!(wd201["status"], "error", "{wd201}");
    assert!(wd201["message"].as_str().unwrap().contains("too many levels of symbolic links"), "{wd201}");
    assert!(!r.stdout.contains("OUTSIDE-THE-ROOT"));
}

fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(path);
    rustix::fs::mknodat(rustix::fs::CWD, path, rustix::fs::FileType::Fifo, rustix::fs::Mode::from_raw_mode(0o644), 0)
        .unwrap();
}

/// Where a file is expected: a FIFO (`/etc/hostname`, the config), a socket, a character device
/// (`/dev/zero`'s numbers, as root), a file past the read cap. The report completes at once, and each
/// is named with its type or the cap; none is read (a FIFO would block, `/dev/zero` never ends).
#[test]
fn fifos_sockets_devices_and_huge_files_where_files_are_expected() {
    let root = node_root();
    let cfg = root.path().join(CONFIG);
    mkfifo(&root.path().join("etc/hostname"));
    mkfifo(&cfg);
    let r = bounded(root.path(), &[], Duration::from_secs(30));
    assert!(
        r.stdout.contains("node unknown (cannot read `/etc/hostname`: it is a FIFO, not a regular file"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("cannot read `/etc/containerd/config.toml`: it is a FIFO, not a regular file"),
        "{}",
        r.stdout
    );

    std::fs::remove_file(&cfg).unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(&cfg).unwrap();
    let wd201 = check(&bounded(root.path(), &["--json"], Duration::from_secs(30)).json(), "WD201").clone();
    assert_eq!(wd201["status"], "error");
    assert!(wd201["message"].as_str().unwrap().contains("it is a socket, not a regular file"), "{wd201}");

    std::fs::remove_file(&cfg).unwrap();
    std::fs::File::create(&cfg).unwrap().set_len(17 << 20).unwrap();
    let wd201 = check(&bounded(root.path(), &["--json"], Duration::from_secs(30)).json(), "WD201").clone();
    assert_eq!(wd201["status"], "error");
    assert!(wd201["message"].as_str().unwrap().contains("larger than the 16 MiB wasmdoctor reads"), "{wd201}");

    std::fs::remove_file(&cfg).unwrap();
    let zero = rustix::fs::mknodat(
        rustix::fs::CWD,
        &cfg,
        rustix::fs::FileType::CharacterDevice,
        rustix::fs::Mode::from_raw_mode(0o644),
        rustix::fs::makedev(1, 5),
    );
    if zero.is_err() {
        eprintln!("SKIPPED the character device: mknod needs root");
        return;
    }
    let wd201 = check(&bounded(root.path(), &["--json"], Duration::from_secs(30)).json(), "WD201").clone();
    assert_eq!(wd201["status"], "error");
    assert!(wd201["message"].as_str().unwrap().contains("it is a character device, not a regular file"), "{wd201}");
}

/// Imports: a config that imports itself (relative name) is read once; 1,100 drop-ins are more than
/// the 1,024 files wasmdoctor reads, and WD201 says the cut, never a silent partial merge.
#[test]
fn imports_are_deduplicated_and_their_cap_is_said() {
    let root = node_root();
    let mut cfg = read(root.path(), CONFIG);
    cfg = cfg.replacen(
        "version = 2\n",
        "version = 2\nimports = [\"config.toml\", \"./config.toml\", \"/etc/containerd/../containerd/config.toml\"]\n",
        1,
    );
    std::fs::write(root.path().join(CONFIG), &cfg).unwrap();
    let facts = bounded(root.path(), &["collect", "-o", "-"], Duration::from_secs(30)).json();
    let files = facts["node"]["collected"]["containerd_config"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "the config was read more than once: {files:#?}");

    let root = node_root();
    write(root.path(), CONFIG, "version = 2\nimports = [\"/etc/containerd/conf.d/*.toml\"]\n", 0o644);
    for i in 0..1100 {
        write(root.path(), &format!("/etc/containerd/conf.d/{i:04}.toml"), "# a drop-in\n", 0o644);
    }
    let j = bounded(root.path(), &["--json"], Duration::from_secs(60)).json();
    let wd201 = check(&j, "WD201");
    assert_eq!(wd201["status"], "error", "{wd201}");
    assert!(wd201["message"].as_str().unwrap().contains("1024"), "the cap is not said: {wd201}");
}

/// A `--version` that starts a daemon holding our pipe open: the report still completes in about
/// the source timeout (the read is bounded, not the wait on the pipe), and the daemon is killed.
#[test]
fn a_daemonizing_version_is_bounded_and_its_daemon_killed() {
    let root = node_root();
    let outside = tempfile::tempdir().unwrap();
    let pidfile = outside.path().join("daemon.pid");
    write(
        root.path(),
        "/usr/local/bin/crun",
        &format!(
            "#!/bin/sh\nsetsid sleep 300 &\necho $! > {}\necho 'crun version 1.27.1'\necho '+SYSTEMD +WASM:wasmedge +YAJL'\n",
            pidfile.display()
        ),
        0o755,
    );
    let started = Instant::now();
    let r = bounded(root.path(), &["--json", "--timeout", "4"], Duration::from_secs(20));
    let took = started.elapsed();
    let j = r.json();
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_eq!(check(&j, "WD101")["status"], "pass", "{}", check(&j, "WD101"));
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
    assert!(stat.is_empty() || stat.contains(") Z "), "the daemon {pid} still runs: {stat}");
}

/// Truth at the edges: a truncated ELF shim fails WD105 (it cannot run), invalid UTF-8 in the
/// config is malformed at its line:col (never decoded lossily into "parses").
#[test]
fn truncated_binaries_and_invalid_utf8_are_said() {
    let root = tempfile::tempdir().unwrap();
    write(
        root.path(),
        CONFIG,
        "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.wasmtime]\n  runtime_type = \"io.containerd.wasmtime.v1\"\n",
        0o644,
    );
    // 64 bytes: an x86-64 ELF header and nothing else.
    let mut elf = vec![0u8; 64];
    elf[..4].copy_from_slice(b"\x7fELF");
    elf[4] = 2;
    elf[5] = 1;
    elf[6] = 1;
    elf[16] = 2;
    elf[18] = 62;
    elf[20] = 1;
    elf[32] = 64; // e_phoff: right after the header, where the file ends
    elf[54] = 56; // e_phentsize
    elf[56] = 9; // e_phnum
    let shim = root.path().join("usr/local/bin/containerd-shim-wasmtime-v1");
    std::fs::create_dir_all(shim.parent().unwrap()).unwrap();
    std::fs::write(&shim, &elf).unwrap();
    std::fs::set_permissions(&shim, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let wd105 = check(&bounded(root.path(), &["--json"], Duration::from_secs(30)).json(), "WD105").clone();
    assert_eq!(wd105["status"], "fail", "{wd105}");
    assert!(wd105["message"].as_str().unwrap().contains("truncated"), "{wd105}");

    let mut bytes =
        b"version = 2\n# fine\n[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n  default_runtime_name = \"ru"
            .to_vec();
    bytes.extend_from_slice(b"\xff\xfe\"\n");
    std::fs::write(root.path().join(CONFIG), bytes).unwrap();
    let wd201 = check(&bounded(root.path(), &["--json"], Duration::from_secs(30)).json(), "WD201").clone();
    assert_eq!(wd201["status"], "fail", "{wd201}");
    let m = wd201["message"].as_str().unwrap();
    assert!(m.contains("/etc/containerd/config.toml:4:") && m.contains("UTF-8"), "{wd201}");
}

/// Inputs the user gives are checked, not trusted: an impossible `until` date is exit 2 at its
/// file:line (a real calendar, not a pattern); a facts file from a newer wasmdoctor is refused, not
/// misread; a suppression reason's escape sequences reach the terminal escaped.
#[test]
fn impossible_dates_newer_facts_and_escaped_reasons() {
    let root = node_root();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    for date in ["2027-13-45", "2026-02-29", "2027-1-5", "tomorrow"] {
        std::fs::write(&policy, format!("[[suppress]]\nid = \"WD103\"\nreason = \"r\"\nuntil = \"{date}\"\n")).unwrap();
        let r = bounded(root.path(), &["--config", policy.to_str().unwrap()], Duration::from_secs(30));
        assert_eq!(r.code, 2, "{date}: {}\n{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(&format!("{}:4:", policy.display())), "{date}: {}", r.stderr);
    }
    std::fs::write(&policy, "[[suppress]]\nid = \"WD204\"\nreason = \"ok \\u001b[2J\"\nuntil = \"2028-02-29\"\n")
        .unwrap();
    let r = bounded(root.path(), &["--config", policy.to_str().unwrap()], Duration::from_secs(30));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("suppressed: ok \\x1b[2J"), "{}", r.stdout);
    assert!(!r.stdout.contains('\u{1b}'));

    let facts = dir.path().join("facts.json");
    let r = bounded(root.path(), &["collect", "-o", facts.to_str().unwrap()], Duration::from_secs(30));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&facts).unwrap()).unwrap();
    saved["schema_version"] = serde_json::json!(99);
    std::fs::write(&facts, saved.to_string()).unwrap();
    let r = run(&["check", "--facts", facts.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("schema_version 99") || r.stderr.contains("schema version 99"), "{}", r.stderr);
}

/// Files the user names (policy, facts, kubeconfig — by flag or `$KUBECONFIG`) and the kubelet's
/// config on the node: a FIFO or `/dev/zero` is refused at once, naming what it is, never waited on
/// or read without end.
#[test]
fn files_the_user_names_are_bounded_too() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let fifo = fifo.to_str().unwrap();
    let limit = Duration::from_secs(20);

    let mut cmd = bin();
    cmd.args(["--config", fifo, "--no-node", "--no-cluster", "--no-docker"]);
    let r = within(cmd, limit);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(&format!("{fifo}: cannot read the policy file: it is a FIFO, not a regular file")),
        "{}",
        r.stderr
    );

    let mut cmd = bin();
    cmd.args(["check", "--facts", "/dev/zero"]);
    let r = within(cmd, limit);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("it is a character device, not a regular file"), "{}", r.stderr);

    for by_env in [false, true] {
        let mut cmd = bin();
        cmd.args(["--json", "--no-node", "--no-docker"]);
        if by_env {
            cmd.env("KUBECONFIG", fifo);
        } else {
            cmd.args(["--kubeconfig", fifo]);
        }
        let j = within(cmd, limit).json();
        let cluster = j["sources"].as_array().unwrap().iter().find(|s| s["name"] == "cluster").unwrap().clone();
        assert_eq!(cluster["reason"], format!("cannot read kubeconfig {fifo}: it is a FIFO, not a regular file"));
    }

    let root = node_root();
    mkfifo(&root.path().join("var/lib/kubelet/config.yaml"));
    let j = bounded(root.path(), &["--json", "--only", "WD208"], limit).json();
    let m = check(&j, "WD208")["message"].as_str().unwrap().to_string();
    assert!(m.contains("cannot read /var/lib/kubelet/config.yaml: it is a FIFO, not a regular file"), "{m}");
}
