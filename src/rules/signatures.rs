//! Failure texts that Wasm pods show (events, container messages, logs), each mapped to the check
//! that explains it; and the lines that say a module needs socket imports its engine lacks.

/// A needle, a text that must follow it (or empty), and the checks that explain the failure.
const SIGNATURES: &[(&str, &str, &str)] = &[
    ("no runtime for ", "is configured", "WD202/WD302"),
    ("binary not installed", "", "WD105"),
    ("Exec format error", "", "WD103/WD204/WD304"),
    ("exec format error", "", "WD103/WD204/WD304"),
    ("could not load `libwasmedge.so.0`", "", "WD103/WD104"),
    ("could not load `lib", "", "WD103"),
    ("RuntimeClass ", "not found", "WD303"),
    ("no match for platform in manifest", "", "WD304"),
    // CRI-O / cri-dockerd wording, never containerd's: the node's CRI is not containerd.
    ("RuntimeHandler \"", "not supported", "WD206"),
];

/// The checks that explain a failure text, and the line that shows it (at most 300 characters).
pub fn signature(text: &str) -> Option<(&'static str, String)> {
    for (needle, also, check) in SIGNATURES {
        if let Some(at) = text.find(needle)
            && (also.is_empty() || text[at..].contains(also))
        {
            let line = text.lines().find(|l| l.contains(needle)).unwrap_or(text).trim();
            let line: String = line.chars().take(300).collect();
            return Some((check, line));
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
            ("e01", Some("WD202/WD302")),
            ("e02", Some("WD202/WD302")),
            ("e03", Some("WD202/WD302")),
            ("e05", Some("WD202/WD302")),
            ("e04", Some("WD202/WD302")),
            ("e06", Some("WD202/WD302")),
            ("e07", Some("WD206")),
            ("e09", Some("WD303")),
            ("e11", Some("WD105")),
            ("e16", Some("WD103/WD204/WD304")),
            ("e17", Some("WD103/WD204/WD304")),
            ("e19", Some("WD103/WD204/WD304")),
            ("e21", Some("WD304")),
            ("e24", Some("WD103")),
            ("e08", Some("WD303")),
            ("e10", Some("WD105")),
            ("e12", Some("WD105")),
            ("e14", Some("WD103/WD204/WD304")),
            ("e15", Some("WD103/WD204/WD304")),
            ("e18", Some("WD103/WD204/WD304")),
            ("e20", Some("WD304")),
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
            assert_eq!(signature(&text).map(|(c, _)| c), *want, "{:?}", file.file_name());
        }
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
