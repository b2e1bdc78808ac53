//! Failure texts that Wasm pods show (events, container messages, logs), each mapped to what
//! explains it (a check, or the workload itself); and the lines that say a module needs socket
//! imports its engine lacks.

/// What explains a failure text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The checks that explain it (`WD202/WD302`).
    Checks(&'static str),
    /// Not the node's doing: the image, its arguments or the application; what to look at.
    Workload(&'static str),
}

use Cause::{Checks, Workload};

/// A needle, a text that must follow it (or empty), and what explains the failure.
const SIGNATURES: &[(&str, &str, Cause)] = &[
    ("no runtime for ", "is configured", Checks("WD202/WD302")),
    ("binary not installed", "", Checks("WD105")),
    ("Exec format error", "", Checks("WD103/WD204/WD304")),
    ("exec format error", "", Checks("WD103/WD204/WD304")),
    ("could not load `libwasmedge.so.0`", "", Checks("WD103/WD104")),
    ("could not load `lib", "", Checks("WD103")),
    ("RuntimeClass ", "not found", Checks("WD303")),
    // CRI pulls match the node's platform only (containerd-wasm-shims#211); Wasm layers need
    // containerd ≥ 1.6.25/1.7.7 (containerd#9142).
    ("no match for platform in manifest", "", Checks("WD309")),
    ("mismatched image rootfs and manifest layers", "", Checks("WD309")),
    // CRI-O / cri-dockerd wording, never containerd's: the kubelet's runtime is not this containerd.
    ("RuntimeHandler \"", "not supported", Checks("WD211")),
    // containerd ≥ 2.1's transfer service does not unpack wasi/wasm layers (rancher-desktop#10524).
    ("parent snapshot ", "does not exist", Checks("WD210")),
    // A frozen copy of k3s's generated config still names an old release's CNI binaries
    // (k3s-io/k3s#7999): `failed to find plugin "flannel" in path [/var/lib/rancher/k3s/data/<hash>/bin]`.
    ("failed to find plugin", "/rancher/k3s/data/", Checks("WD213")),
    ("failed to find plugin", "/rancher/rke2/data/", Checks("WD213")),
    // runwasi's libcontainer built without cgroup v1 (runwasi#288).
    ("v1 cgroup feature is required", "", Checks("WD107")),
    // crun on a hybrid host whose cgroup2 hierarchy has controllers (libcrun/cgroup.c).
    ("cgroups in hybrid mode not supported", "", Checks("WD107")),
    // libcontainer's systemd cgroup manager cannot reach D-Bus (youki#3278).
    ("systemd error: dbus error", "", Checks("WD108")),
    // runwasi: no executor accepts the spec's entrypoint (runwasi#637) or its layers (runwasi#1101).
    (
        "can't handle spec",
        "",
        Workload(
            "the shim found no Wasm module it accepts in the spec: check the image (its entrypoint/`command`, `args`, layer media types), not the node",
        ),
    ),
    // Spin application errors (Spin's variables docs; `spin up --component`, spin#2826).
    (
        "no provider resolved required variable",
        "",
        Workload(
            "a Spin application error: a required variable has no value (set it through the SpinApp's `variables` or a provider); the node is fine",
        ),
    ),
    (
        "Specified component \"",
        "not found in application",
        Workload("a Spin application error: a component selected to run is not in the application; the node is fine"),
    ),
];

/// What explains a failure text, and the line that shows it (at most 300 characters).
pub fn signature(text: &str) -> Option<(Cause, String)> {
    for (needle, also, cause) in SIGNATURES {
        if let Some(at) = text.find(needle)
            && (also.is_empty() || text[at..].contains(also))
        {
            let line = text.lines().find(|l| l.contains(needle)).unwrap_or(text).trim();
            let line: String = line.chars().take(300).collect();
            return Some((*cause, line));
        }
    }
    None
}

/// Texts that say a module needs socket/DNS imports its engine lacks.
const SOCKET_SIGNATURES: &[&str] =
    &["unknown import", "sock_getaddrinfo", "When linking module: \"wasi_snapshot_preview1\""];

/// The line of a log or message that says a socket import is missing.
pub fn socket_line(text: &str) -> Option<&str> {
    text.lines().find(|l| {
        SOCKET_SIGNATURES.iter().any(|s| l.contains(s)) && (l.contains("sock_") || l.contains("wasi_snapshot_preview1"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_error_signatures() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/errors");
        let expect: &[(&str, Option<&str>)] = &[
            ("e22", Some("WD309")),
            ("e34", Some("WD210")),
            ("e38", Some("WD107")),
            ("e39", Some("WD108")),
            ("e40", Some("workload")),
            ("e01", Some("WD202/WD302")),
            ("e02", Some("WD202/WD302")),
            ("e03", Some("WD202/WD302")),
            ("e05", Some("WD202/WD302")),
            ("e04", Some("WD202/WD302")),
            ("e06", Some("WD202/WD302")),
            ("e07", Some("WD211")),
            ("e09", Some("WD303")),
            ("e11", Some("WD105")),
            ("e16", Some("WD103/WD204/WD304")),
            ("e17", Some("WD103/WD204/WD304")),
            ("e19", Some("WD103/WD204/WD304")),
            ("e21", Some("WD309")),
            ("e24", Some("WD103")),
            ("e08", Some("WD303")),
            ("e10", Some("WD105")),
            ("e12", Some("WD105")),
            ("e14", Some("WD103/WD204/WD304")),
            ("e15", Some("WD103/WD204/WD304")),
            ("e18", Some("WD103/WD204/WD304")),
            ("e20", Some("WD309")),
            ("e23", Some("WD103/WD104")),
        ];
        for (prefix, want) in expect {
            let file = std::fs::read_dir(&dir)
                .unwrap()
                .filter_map(Result::ok)
                .find(|e| e.file_name().to_string_lossy().starts_with(prefix))
                .unwrap_or_else(|| panic!("{prefix} not in corpus"));
            let text: String = std::fs::read_to_string(file.path())
                .unwrap()
                .lines()
                .filter(|l| !l.starts_with('#'))
                .collect::<Vec<_>>()
                .join("\n");
            let got = signature(&text).map(|(c, _)| match c {
                Checks(ids) => ids,
                Workload(_) => "workload",
            });
            assert_eq!(got, *want, "{:?}", file.file_name());
        }
    }

    #[test]
    fn a_cni_plugin_missing_under_an_old_k3s_release_is_wd213() {
        // The kubelet's event on a node whose frozen template names the previous release (k3s-io/k3s#7999).
        let event = r#"Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "6f2e": plugin type="flannel" failed (add): failed to find plugin "flannel" in path [/var/lib/rancher/k3s/data/0bc089d320542b56f300f222c70a28733d12f7d148623d2f8e4e2c915ca8cf29/bin]"#;
        assert_eq!(signature(event).map(|(c, _)| c), Some(Cause::Checks("WD213")));
        let elsewhere = r#"failed to find plugin "bridge" in path [/opt/cni/bin]"#;
        assert_eq!(signature(elsewhere), None, "a missing plugin elsewhere is not WD213's");
    }

    #[test]
    fn spin_application_errors_are_the_workloads() {
        // Spin's own words (its variables docs; `spin up --component`).
        let var = r#"Handler returned an error: Error::Provider("no provider resolved required variable \"api_key\"")"#;
        assert!(matches!(signature(var), Some((Workload(w), _)) if w.starts_with("a Spin application error")));
        let comp = r#"Error: Specified component "hello" not found in application"#;
        assert!(matches!(signature(comp), Some((Workload(_), _))));
        assert_eq!(signature("Specified component \"hello\" started"), None);
    }

    #[test]
    fn socket_imports_but_not_other_imports() {
        let wasmedge = "[error] instantiation failed: unknown import, Code: 0x62\n[error]     When linking module: \"wasi_snapshot_preview1\" , function name: \"sock_getpeeraddr\"";
        assert!(socket_line(wasmedge).is_some());
        assert!(
            socket_line("Error: unknown import: `wasi_snapshot_preview1::sock_setsockopt` has not been defined")
                .is_some()
        );
        let nn = "[error]     When linking module: \"wasi_ephemeral_nn\" , function name: \"load\"\n[error] instantiation failed: unknown import, Code: 0x62";
        assert!(socket_line(nn).is_none(), "a wasi-nn import is not a socket import");
    }
}
