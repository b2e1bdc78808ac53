//! The node collector over temporary host roots: which config file each distribution really
//! reads, `imports` (globs, relative paths, per-file versions, 1.x replace vs 2.x merge), and the
//! places containerd looks for shims.

use std::path::Path;

use wasmdoctor::collect::containerd_config::{collect, discover};
use wasmdoctor::collect::host::HostRoot;
use wasmdoctor::facts::{Distribution, FileRole, FileState, Route, RuntimeStatus};

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const SHIM_V2: &str = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.wasmedge]\n  runtime_type = \"io.containerd.wasmedge.v1\"\n";

#[test]
fn distribution_layouts() {
    let cases: &[(&str, Distribution, &str, &str)] = &[
        (
            "/etc/containerd/config.toml",
            Distribution::Containerd,
            "/etc/containerd/config.toml",
            "/etc/containerd/config.toml",
        ),
        (
            "/var/lib/rancher/k3s/agent/etc/containerd/config.toml",
            Distribution::K3s,
            "/var/lib/rancher/k3s/agent/etc/containerd/config.toml",
            "/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl",
        ),
        (
            "/var/lib/rancher/rke2/agent/etc/containerd/config.toml",
            Distribution::Rke2,
            "/var/lib/rancher/rke2/agent/etc/containerd/config.toml",
            "/var/lib/rancher/rke2/agent/etc/containerd/config.toml.tmpl",
        ),
        (
            "/var/snap/microk8s/current/args/containerd-template.toml",
            Distribution::Microk8s,
            "/var/snap/microk8s/current/args/containerd.toml",
            "/var/snap/microk8s/current/args/containerd-template.toml",
        ),
        ("/etc/k0s/containerd.toml", Distribution::K0s, "/etc/k0s/containerd.toml", "/etc/k0s/containerd.d/wasm.toml"),
    ];
    for (file, dist, main, edit) in cases {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), file, SHIM_V2);
        let layout = discover(&HostRoot::new(d.path()), None);
        assert_eq!(
            (layout.distribution, layout.main_path.as_str(), layout.edit_path.as_str()),
            (*dist, *main, *edit),
            "{file}"
        );
    }
}

#[test]
fn k3s_prefers_the_v3_template() {
    let d = tempfile::tempdir().unwrap();
    let dir = "/var/lib/rancher/k3s/agent/etc/containerd";
    write(d.path(), &format!("{dir}/config.toml"), "version = 3\n");
    write(d.path(), &format!("{dir}/config.toml.tmpl"), "{{ template \"base\" . }}\n");
    write(
        d.path(),
        &format!("{dir}/config-v3.toml.tmpl"),
        "{{ template \"base\" . }}\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.'wasmedge']\n  runtime_type = \"io.containerd.wasmedge.v1\"\n",
    );
    let host = HostRoot::new(d.path());
    let layout = discover(&host, None);
    assert_eq!(layout.template.as_deref(), Some("/var/lib/rancher/k3s/agent/etc/containerd/config-v3.toml.tmpl"));
    let c = collect(&host, &layout, Some(2));
    let t = c.template.unwrap();
    assert!(t.renders_detected_runtimes);
    assert_eq!(t.runtimes[0].name, "wasmedge");
    assert_eq!(t.runtimes[0].line, 2);
}

#[test]
fn unrendered_k3s_uses_the_template() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl",
        &format!("{{{{ template \"base\" . }}}}\n{SHIM_V2}"),
    );
    let host = HostRoot::new(d.path());
    let c = collect(&host, &discover(&host, None), None);
    assert_eq!(c.files[0].state, FileState::Missing);
    assert_eq!(c.runtimes.len(), 1);
    assert_eq!(c.runtimes[0].route, Route::Shim);
}

#[test]
fn containerd_command_line_config_wins() {
    use wasmdoctor::facts::Process;
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "/etc/containerd/config.toml", "version = 2\n");
    write(d.path(), "/opt/custom/containerd.toml", SHIM_V2);
    let p = Process {
        pid: 42,
        exe: Some("/usr/bin/containerd".into()),
        cwd: Some("/".into()),
        path_env: None,
        cmdline: vec!["/usr/bin/containerd".into(), "--config".into(), "/opt/custom/containerd.toml".into()],
    };
    let host = HostRoot::new(d.path());
    let layout = discover(&host, Some(&p));
    assert_eq!(layout.main_path, "/opt/custom/containerd.toml");
    assert!(layout.main_reason.contains("pid 42"));
    assert_eq!(collect(&host, &layout, None).runtimes.len(), 1);
}

#[test]
fn imports_relative_globs_and_per_file_versions() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "/etc/containerd/config.toml",
        "version = 3\nimports = [\"conf.d/*.toml\", \"/etc/containerd/extra.toml\"]\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]\n  runtime_type = \"io.containerd.runc.v2\"\n",
    );
    // A version 2 drop-in is migrated on its own: its v2 table is read.
    write(d.path(), "/etc/containerd/conf.d/10-wasm.toml", SHIM_V2);
    // A version 3 drop-in with a v2 table is not.
    write(
        d.path(),
        "/etc/containerd/conf.d/20-spin.toml",
        "version = 3\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.spin]\n  runtime_type = \"io.containerd.spin.v2\"\n",
    );
    let host = HostRoot::new(d.path());
    let c = collect(&host, &discover(&host, None), Some(2));
    let paths: Vec<&str> = c.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/etc/containerd/config.toml",
            "/etc/containerd/conf.d/10-wasm.toml",
            "/etc/containerd/conf.d/20-spin.toml",
            "/etc/containerd/extra.toml"
        ]
    );
    assert!(matches!(&c.files[1].role, FileRole::Import { pattern, .. } if pattern == "conf.d/*.toml"));
    assert_eq!(c.files[3].state, FileState::Missing);
    let status = |name: &str| c.runtimes.iter().find(|r| r.name == name).map(|r| r.status.clone()).unwrap();
    assert_eq!(status("runc"), RuntimeStatus::Active, "2.x merges: the main file's runtime stays");
    assert_eq!(status("wasmedge"), RuntimeStatus::Active);
    assert!(matches!(status("spin"), RuntimeStatus::Ignored { .. }));
}

#[test]
fn containerd_1x_import_replaces_the_cri_section() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "/etc/containerd/config.toml",
        "version = 2\nimports = [\"/etc/containerd/conf.d/*.toml\"]\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.crun]\n  runtime_type = \"io.containerd.runc.v2\"\n  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.crun.options]\n    BinaryName = \"/usr/bin/crun\"\n",
    );
    write(d.path(), "/etc/containerd/conf.d/wasm.toml", SHIM_V2);
    let host = HostRoot::new(d.path());
    let c = collect(&host, &discover(&host, None), Some(1));
    let crun = c.runtimes.iter().find(|r| r.name == "crun").unwrap();
    assert_eq!(crun.status, RuntimeStatus::Dropped { by: "/etc/containerd/conf.d/wasm.toml".into() });
    assert_eq!(c.active_runtimes().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["wasmedge"]);
    // WD201 names the import and the runtimes it drops.
    let facts = wasmdoctor::collect::collect(&wasmdoctor::collect::CollectOptions::node_only(d.path(), "n"));
    let report = wasmdoctor::engine::evaluate(&facts, &Default::default(), &Default::default(), "2026-11-24");
    let wd201 = report.checks.iter().find(|c| c.id == "WD201").unwrap();
    assert_eq!(wd201.status, wasmdoctor::report::Status::Warn, "{}", wd201.message);
    assert!(
        wd201.message.contains(
            "the import `/etc/containerd/conf.d/wasm.toml` replaces the whole `io.containerd.grpc.v1.cri` section"
        ),
        "{}",
        wd201.message
    );
    assert!(
        wd201.message.contains("runtime `crun` (/etc/containerd/config.toml:3) is not loaded"),
        "{}",
        wd201.message
    );
    // The same files under containerd 2.x keep both.
    let c = collect(&host, &discover(&host, None), Some(2));
    assert_eq!(c.active_runtimes().count(), 2);
}

#[test]
fn import_cycles_end() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "/etc/containerd/config.toml", "version = 2\nimports = [\"/etc/containerd/a.toml\"]\n");
    write(
        d.path(),
        "/etc/containerd/a.toml",
        "version = 2\nimports = [\"/etc/containerd/config.toml\", \"/etc/containerd/a.toml\"]\n",
    );
    let host = HostRoot::new(d.path());
    assert_eq!(collect(&host, &discover(&host, None), None).files.len(), 2);
}
