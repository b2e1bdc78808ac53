//! Versions: the outputs of node binaries' `--version`, and release numbers as the policy compares
//! them. Pure; property-tested against any input.

use crate::facts::CrunVersion;

/// Parse `crun --version` (or `-V`) output. Accepts what real builds print: distro packages,
/// git-describe builds (`1.8.5.0.0.0.23-3856`), `-dirty` dev builds, trailing spaces, a shell
/// prompt line before it, and the ≥ 1.28 `+JSON_C` form.
pub fn parse_crun(output: &str) -> Option<CrunVersion> {
    let lines: Vec<&str> = output.lines().map(str::trim).collect();
    let start = lines.iter().position(|l| l.starts_with("crun version "))?;
    let first_line = lines[start].to_string();
    let version = first_line.strip_prefix("crun version ")?.split_whitespace().next()?.to_string();
    let rest = &lines[start + 1..];
    let commit =
        rest.iter().take_while(|l| !l.is_empty()).find_map(|l| l.strip_prefix("commit:")).map(|c| c.trim().to_string());
    let features_line = rest
        .iter()
        .take_while(|l| !l.is_empty())
        .find(|l| l.starts_with('+'))
        .map(|l| l.to_string())
        .unwrap_or_default();
    let features: Vec<String> =
        features_line.split_whitespace().filter_map(|t| t.strip_prefix('+')).map(str::to_string).collect();
    let wasm_handlers =
        features.iter().filter_map(|f| f.strip_prefix("WASM:")).filter(|h| !h.is_empty()).map(str::to_string).collect();
    Some(CrunVersion {
        semver: release_semver(&version),
        version,
        commit,
        features,
        wasm_handlers,
        first_line,
        features_line,
    })
}

/// The release part of a version string as `major.minor.patch`: `1.8.5.0.0.0.23-3856` → `1.8.5`,
/// `1.3.12-e58e-dirty` → `1.3.12`, `0.17` → `0.17.0`, `v0.6.0` → `0.6.0`.
pub fn release_semver(version: &str) -> Option<String> {
    let v = version.trim().trim_start_matches('v');
    let head = v.split(['-', '+', '~', ' ']).next()?;
    let nums: Vec<u64> = head.split('.').map_while(|p| p.parse().ok()).take(3).collect();
    match nums.as_slice() {
        [a, b, c] => Some(format!("{a}.{b}.{c}")),
        [a, b] => Some(format!("{a}.{b}.0")),
        [a] if !head.contains('.') && !head.is_empty() => Some(format!("{a}.0.0")),
        _ => None,
    }
}

/// A version as the policy and binaries write it (`1.8.5`, `1.8`, `v0.6.0`, `1.8.5.0.0.0.23-3856`).
pub fn parse_version(v: &str) -> Option<semver::Version> {
    release_semver(v).and_then(|s| semver::Version::parse(&s).ok())
}

/// containerd's major version from what it printed (`1.6.20~ds1`, `v2.0.0`).
pub fn major(version: &str) -> Option<u64> {
    release_semver(version).and_then(|v| v.split('.').next().and_then(|m| m.parse().ok()))
}

/// Parse `wasmedge --version`: `wasmedge version 0.12.1` or `/usr/local/bin/wasmedge version 0.14.1`
/// (argv0 as invoked), followed by plugin lines since 0.14.
pub fn parse_wasmedge(output: &str) -> Option<String> {
    output.lines().find_map(|l| {
        let l = l.trim();
        let (argv0, version) = l.split_once(" version ")?;
        let base = argv0.rsplit('/').next()?;
        (base == "wasmedge" && !l.contains("(plugin")).then(|| version.split_whitespace().next().map(str::to_string))?
    })
}

/// Parse a runwasi shim's `-v`: `<argv0>:` / `  Runtime: …` / `  Version: 0.6.0` / `  Revision: …`,
/// or a bare `v0.3.3` line.
pub fn parse_shim(output: &str) -> Option<String> {
    for l in output.lines().map(str::trim) {
        if let Some(v) = l.strip_prefix("Version:") {
            return Some(v.trim().to_string());
        }
    }
    output
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with('v') && release_semver(l).is_some() && !l.contains(' '))
        .map(str::to_string)
}

/// Parse `containerd --version`: `containerd github.com/containerd/containerd 1.6.20~ds1 …` or
/// `containerd containerd.io v2.0.0 …`; returns the version token.
pub fn parse_containerd(output: &str) -> Option<String> {
    let line = output.lines().find(|l| l.starts_with("containerd "))?;
    line.split_whitespace()
        .skip(1)
        .find(|t| release_semver(t).is_some() && t.chars().next().is_some_and(|c| c == 'v' || c.is_ascii_digit()))
        .map(str::to_string)
}

/// `k3s version v1.28.5+k3s1 (5b2d1271)` or `rke2 version v1.28.5+rke2r1 (…)`: the version.
pub fn parse_k3s(output: &str) -> Option<String> {
    let line = output.lines().find(|l| l.starts_with("k3s version ") || l.starts_with("rke2 version "))?;
    let v = line.split_whitespace().nth(2)?;
    release_semver(v.trim_start_matches('v')).map(|_| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn git_describe_and_dirty() {
        assert_eq!(release_semver("1.8.5.0.0.0.23-3856").as_deref(), Some("1.8.5"));
        assert_eq!(release_semver("1.3.12-e58e-dirty").as_deref(), Some("1.3.12"));
        assert_eq!(release_semver("0.17").as_deref(), Some("0.17.0"));
        assert_eq!(release_semver("1.6.20~ds1").as_deref(), Some("1.6.20"));
        assert_eq!(release_semver("v0.6.0").as_deref(), Some("0.6.0"));
        assert_eq!(release_semver("0.12.0-alpha.1-13-g610cc21f").as_deref(), Some("0.12.0"));
        assert_eq!(release_semver("garbage"), None);
    }

    #[test]
    fn json_c_form() {
        let out = "crun version 1.29.1\ncommit: abc\nrundir: /run/crun\nspec: 1.0.0\n+SYSTEMD +SELINUX +APPARMOR +CAP +SECCOMP +EBPF +CRIU +WASM:wasmedge +WASM:wasmtime +JSON_C\n";
        let v = parse_crun(out).unwrap();
        assert_eq!(v.semver.as_deref(), Some("1.29.1"));
        assert_eq!(v.wasm_handlers, ["wasmedge", "wasmtime"]);
        assert!(v.features.contains(&"JSON_C".to_string()));
    }

    #[test]
    fn wasmedge_forms() {
        assert_eq!(parse_wasmedge("wasmedge version 0.12.1\n").as_deref(), Some("0.12.1"));
        assert_eq!(
            parse_wasmedge("/usr/local/bin/wasmedge version 0.14.1\n/usr/local/lib/wasmedge/libwasmedgePluginWasiNN.so (plugin \"wasi_nn\") version 0.10.1.0\n").as_deref(),
            Some("0.14.1")
        );
        assert_eq!(parse_wasmedge("wasmedge: command not found"), None);
    }

    #[test]
    fn shim_and_containerd_forms() {
        assert_eq!(
            parse_shim("containerd-shim-wasmedge-v1:\n  Runtime: wasmedge\n  Version: 0.6.0\n  Revision: abc\n")
                .as_deref(),
            Some("0.6.0")
        );
        assert_eq!(parse_shim("v0.3.3\n").as_deref(), Some("v0.3.3"));
        assert_eq!(
            parse_containerd("containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3\n")
                .as_deref(),
            Some("1.6.20~ds1")
        );
        assert_eq!(parse_containerd("containerd containerd.io v2.0.0 207ad711\n").as_deref(), Some("v2.0.0"));
    }

    proptest! {
        #[test]
        fn crun_parser_never_panics(s in ".*") {
            let _ = parse_crun(&s);
            let _ = parse_crun(&format!("crun version {s}\n+{s}"));
        }

        #[test]
        fn other_parsers_never_panic(s in "\\PC*") {
            let _ = release_semver(&s);
            let _ = parse_wasmedge(&s);
            let _ = parse_shim(&s);
            let _ = parse_containerd(&s);
        }
    }
}
