//! WD1xx: the node's binaries: crun and its WASM handler, WasmEdge, the runwasi shims as containerd
//! resolves them, and whether the configured engines give modules sockets.

pub mod wd101_crun_installed;
pub mod wd102_crun_version;
pub mod wd103_crun_wasm_handler;
pub mod wd104_wasmedge_installed;
pub mod wd105_shim_binaries;
pub mod wd106_wasi_socket_support;
pub mod wd107_cgroup_v2;
pub mod wd108_shim_systemd_dbus;
pub mod wd109_node_smoke;

use super::Outcome;
use crate::facts::{ContainerdConfig, CrunBinary, CrunOrigin, CrunVersion, Fact, NodeFacts, Route};
use crate::report::Status;

/// The crun binaries that matter: those a crun-route runtime names, or else the ones on PATH.
pub(crate) fn relevant_crun(node: &NodeFacts) -> Vec<&CrunBinary> {
    let by_runtime: Vec<&CrunBinary> =
        node.crun.iter().filter(|b| b.origins.iter().any(|o| matches!(o, CrunOrigin::BinaryName { .. }))).collect();
    if by_runtime.is_empty() { node.crun.iter().collect() } else { by_runtime }
}

pub(crate) fn has_route(config: &ContainerdConfig, route: Route) -> bool {
    config.active_runtimes().any(|r| r.route == route)
}

/// The version of a crun, or the outcome when it could not be read.
fn read_version(b: &CrunBinary) -> Result<&CrunVersion, Outcome> {
    match &b.version {
        Fact::Collected(v) => Ok(v),
        Fact::Unavailable(m) => {
            Err(Outcome::error(format!("could not read the version of `{}`: {}", b.path, m.reason)))
        }
    }
}

/// The crun binaries to judge. When no runtime routes to crun, a crun on PATH is still judged (the
/// user may be about to use it) but findings are only warnings; with shims doing the work, `skip`.
fn usable_crun(node: &NodeFacts) -> Result<(Vec<&CrunBinary>, bool), Outcome> {
    let in_use = has_route(&node.containerd_config, Route::Crun);
    if !in_use && has_route(&node.containerd_config, Route::Shim) {
        return Err(Outcome::skip("no containerd runtime uses crun (Wasm runs through shims here)"));
    }
    let bins: Vec<&CrunBinary> = relevant_crun(node).into_iter().filter(|b| b.exists && b.executable).collect();
    if bins.is_empty() {
        return Err(Outcome::skip("no usable crun binary on the node (see WD101)"));
    }
    Ok((bins, in_use))
}

/// A failure about a crun no runtime uses yet is a warning, and says so.
fn unless_unused(o: Outcome, in_use: bool) -> Outcome {
    if in_use || o.status != Status::Fail {
        return o;
    }
    Outcome { status: Status::Warn, message: format!("{} (no containerd runtime uses this crun yet)", o.message), ..o }
}
