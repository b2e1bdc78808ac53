//! containerd's rules for runtimes: the CRI plugin ids each config `version` reads, how a runtime's
//! fields route it (runc shim with crun, a Wasm shim, anything else), and how a shim is named.

use super::wasm::WASM_SHIM_ENGINES;
use crate::facts::{Route, Runtime};

/// The CRI plugin ids whose `containerd.runtimes` tables declare runtime handlers.
pub const PLUGIN_V1_SHORT: &str = "cri";
pub const PLUGIN_V2: &str = "io.containerd.grpc.v1.cri";
pub const PLUGIN_V3: &str = "io.containerd.cri.v1.runtime";
/// containerd 2.x's CRI image service (its pull settings).
pub const PLUGIN_IMAGES_V3: &str = "io.containerd.cri.v1.images";

/// The PATH containerd gets from systemd when its own environment cannot be read.
pub const STANDARD_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The plugin id a file of this version reads runtimes from.
pub fn plugin_for(version: i64) -> &'static str {
    match version {
        v if v >= 3 => PLUGIN_V3,
        2 => PLUGIN_V2,
        _ => PLUGIN_V1_SHORT,
    }
}

/// Why containerd does not read runtimes under `plugin_id` in a file of this `version`, if it does not.
pub fn schema_problem(plugin_id: &str, version: Option<i64>) -> Option<String> {
    let v = version.unwrap_or(1);
    match (plugin_id, v) {
        (PLUGIN_V2, 3) => Some(format!(
            "a `version = 3` file is not migrated, so containerd 2.x never reads `{PLUGIN_V2}` runtime tables in it; use `{PLUGIN_V3}`"
        )),
        (PLUGIN_V1_SHORT, v) if v >= 2 => Some(format!(
            "the short plugin name `cri` is only migrated in version 1 files (no `version` line); in a `version = {v}` file use `{}`",
            if v >= 3 { PLUGIN_V3 } else { PLUGIN_V2 }
        )),
        _ => None,
    }
}

/// Why containerd 1.x never reads a table under `plugin_id`: it has no `io.containerd.cri.v1.runtime`
/// plugin (containerd 2.x migrates older files and is not known to drop them).
pub fn unknown_to_1x(plugin_id: &str) -> Option<String> {
    (plugin_id == PLUGIN_V3)
        .then(|| format!("containerd 1.x has no `{PLUGIN_V3}` plugin (it is containerd 2.x's); use `{PLUGIN_V2}`"))
}

/// Whether a process's `argv[0]` is a Wasm shim (`containerd-shim-wasmtime-v1`, `…-spin-v2`): a
/// known Wasm engine's shim, not runc's, gVisor's or Kata's.
pub fn is_wasm_shim_process(argv0: &str) -> bool {
    let Some(rest) = argv0.strip_prefix("containerd-shim-") else { return false };
    let versioned = rest.rsplit_once("-v").is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    versioned && WASM_SHIM_ENGINES.iter().any(|e| rest.starts_with(e))
}

/// Which way a runtime runs Wasm, from its fields alone.
pub fn classify(runtime_type: Option<&str>, runtime_path: Option<&str>, binary_name: Option<&str>) -> Route {
    let rt = runtime_type.unwrap_or("");
    let is_runc_shim =
        matches!(rt, "io.containerd.runc.v2" | "io.containerd.runc.v1" | "io.containerd.runtime.v1.linux");
    if is_runc_shim {
        let is_crun = binary_name.is_some_and(super::crun::is_crun);
        return if is_crun { Route::Crun } else { Route::Other };
    }
    let shim_name = match runtime_path.filter(|p| !p.is_empty()) {
        Some(p) => p.rsplit('/').next().unwrap_or(p).to_string(),
        None if rt.starts_with('/') => rt.rsplit('/').next().unwrap_or(rt).to_string(),
        None => {
            let parts: Vec<&str> = rt.split('.').collect();
            if parts.len() >= 2 { parts[parts.len() - 2].to_string() } else { String::new() }
        }
    };
    let name = shim_name.strip_prefix("containerd-shim-").unwrap_or(&shim_name);
    if WASM_SHIM_ENGINES.iter().any(|e| name.starts_with(e)) { Route::Shim } else { Route::Other }
}

/// The shim binary containerd looks for, for the shim route (`containerd-shim-wasmedge-v1`), or the
/// absolute path given.
pub fn shim_binary(r: &Runtime) -> Option<String> {
    if let Some(p) = r.runtime_path.as_deref().filter(|p| !p.is_empty()) {
        return Some(p.to_string());
    }
    let rt = r.runtime_type.as_deref()?;
    if rt.starts_with('/') {
        return Some(rt.to_string());
    }
    let parts: Vec<&str> = rt.split('.').collect();
    if parts.len() < 2 {
        return None;
    }
    Some(format!("containerd-shim-{}-{}", parts[parts.len() - 2], parts[parts.len() - 1]))
}

/// The Wasm engine a shim runtime runs modules with, when the name tells (`wasmedge`, `spin`, …).
pub fn shim_engine(r: &Runtime) -> Option<&'static str> {
    let name = shim_binary(r)?;
    let base = name.rsplit('/').next().unwrap_or(&name);
    let rest = base.strip_prefix("containerd-shim-").unwrap_or(base);
    WASM_SHIM_ENGINES.iter().copied().find(|e| rest.starts_with(e))
}

/// Where containerd looks for a shim binary, in its order: an absolute path as given; else its
/// working directory, each directory of its `PATH`, then its own directory. A relative path with a
/// `/` is refused (`invalid runtime name`), as containerd refuses it.
pub fn shim_search(
    binary: &str,
    runtime_type: Option<&str>,
    cwd: Option<&str>,
    path: &str,
    exe_dir: Option<&str>,
) -> Result<Vec<String>, String> {
    if binary.starts_with('/') {
        return Ok(vec![binary.to_string()]);
    }
    if let Some(t) = runtime_type.filter(|t| t.contains('/')) {
        return Err(format!("invalid runtime name `{t}`: a path must be absolute"));
    }
    let join = |dir: &str| format!("{}/{}", dir.trim_end_matches('/'), binary);
    let mut searched: Vec<String> = cwd.into_iter().map(join).collect();
    searched.extend(path.split(':').filter(|d| !d.is_empty()).map(join));
    if let Some(p) = exe_dir.map(join).filter(|p| !searched.contains(p)) {
        searched.push(p);
    }
    Ok(searched)
}

/// Whether a runtime is a crun-route one that needs the pod annotation (its binary is not a
/// `crun-<handler>` that picks the handler from its own name).
pub fn needs_annotation(r: &Runtime) -> bool {
    r.route == Route::Crun && r.binary_name.as_deref().and_then(super::crun::handler_from_name).is_none()
}

/// `-c FILE`, `--config FILE` or `--config=FILE` on containerd's command line.
pub fn config_flag(cmdline: &[String]) -> Option<String> {
    let mut it = cmdline.iter();
    while let Some(arg) = it.next() {
        if let Some(v) = arg.strip_prefix("--config=") {
            return Some(v.to_string());
        }
        if arg == "-c" || arg == "--config" {
            return it.next().cloned();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_routes() {
        assert_eq!(classify(Some("io.containerd.wasmedge.v1"), None, None), Route::Shim);
        assert_eq!(classify(Some("io.containerd.spin-v0-3-0.v1"), None, None), Route::Shim);
        assert_eq!(classify(Some("/opt/kwasm/bin/containerd-shim-spin-v1"), None, None), Route::Shim);
        assert_eq!(classify(Some("io.containerd.runc.v2"), None, Some("/usr/bin/crun-wasm")), Route::Crun);
        assert_eq!(classify(Some("io.containerd.runc.v2"), None, Some("/usr/bin/runc")), Route::Other);
        assert_eq!(classify(Some("io.containerd.kata.v2"), None, None), Route::Other);
        assert_eq!(classify(Some("io.containerd.runsc.v1"), None, None), Route::Other);
    }

    #[test]
    fn plugin_ids_by_version() {
        assert_eq!(plugin_for(3), PLUGIN_V3);
        assert_eq!(plugin_for(2), PLUGIN_V2);
        assert_eq!(plugin_for(1), PLUGIN_V1_SHORT);
        assert!(schema_problem(PLUGIN_V2, Some(3)).is_some());
        assert!(schema_problem(PLUGIN_V1_SHORT, None).is_none());
        assert!(unknown_to_1x(PLUGIN_V3).is_some());
    }

    #[test]
    fn config_flag_forms() {
        let v = |a: &[&str]| config_flag(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(v(&["containerd", "-c", "/x.toml"]).as_deref(), Some("/x.toml"));
        assert_eq!(v(&["containerd", "--config=/y.toml"]).as_deref(), Some("/y.toml"));
        assert_eq!(v(&["containerd"]), None);
    }

    #[test]
    fn shims_are_searched_as_containerd_searches() {
        let s = shim_search(
            "containerd-shim-wasmedge-v1",
            Some("io.containerd.wasmedge.v1"),
            Some("/"),
            "/usr/local/bin:/usr/bin",
            Some("/usr/bin"),
        );
        assert_eq!(
            s.unwrap(),
            [
                "/containerd-shim-wasmedge-v1",
                "/usr/local/bin/containerd-shim-wasmedge-v1",
                "/usr/bin/containerd-shim-wasmedge-v1"
            ]
        );
        assert_eq!(shim_search("/opt/x/shim", None, None, "/usr/bin", None).unwrap(), ["/opt/x/shim"]);
        assert!(
            shim_search("containerd-shim-spin-v2", Some("opt/spin/containerd-shim-spin-v2"), None, "", None).is_err()
        );
    }
}
