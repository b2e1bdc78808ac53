//! WD106 wasi-socket-support: the configured Wasm engines provide WasmEdge's socket/DNS imports,
//! which are built into WasmEdge (≥ 0.9.1): no plugin, no environment variable enables them
//! elsewhere.

use super::relevant_crun;
use crate::checks::{Ctx, Outcome};
use crate::facts::{NodeFacts, Route};
use crate::rules::containerd::shim_engine;
use crate::rules::text::list;
use crate::rules::versions::parse_version;

/// WasmEdge added `sock_getaddrinfo` and friends in 0.9.1.
const SOCKETS_SINCE: semver::Version = semver::Version::new(0, 9, 1);

pub fn check(_: &Ctx, node: &NodeFacts) -> Outcome {
    let mut with = Vec::new();
    let mut without = Vec::new();
    for r in node.containerd_config.active_runtimes() {
        match r.route {
            Route::Shim => match shim_engine(r) {
                Some("wasmedge") => with.push(format!("`{}` (runwasi wasmedge shim)", r.name)),
                Some(engine) => without.push(format!("`{}` ({engine})", r.name)),
                None => without.push(format!("`{}`", r.name)),
            },
            Route::Crun => {
                let handler = relevant_crun(node)
                    .iter()
                    .find_map(|b| b.version.collected().and_then(|v| v.wasm_handlers.first().cloned()));
                match handler.as_deref() {
                    Some("wasmedge") => {
                        let version = node.wasmedge.cli.as_ref().and_then(|t| t.version.collected()).cloned();
                        match version.as_deref().and_then(parse_version) {
                            Some(v) if v < SOCKETS_SINCE => without.push(format!(
                                "`{}` (crun + WasmEdge `{}`, before 0.9.1)",
                                r.name,
                                version.unwrap_or_default()
                            )),
                            _ => with.push(format!("`{}` (crun's wasmedge handler)", r.name)),
                        }
                    }
                    Some(h) => without.push(format!("`{}` (crun's {h} handler)", r.name)),
                    None => {}
                }
            }
            Route::Other => {}
        }
    }
    if with.is_empty() && without.is_empty() {
        return Outcome::skip("no Wasm runtime is configured (see WD202)");
    }
    if with.is_empty() {
        return Outcome::warn(format!(
            "the configured Wasm runtimes {} do not provide WasmEdge's socket imports (`sock_getaddrinfo`, `sock_open`, …); modules built with `wasmedge_wasi_socket` fail with `unknown import`",
            list(&without)
        ))
        .fix("run networking modules on the WasmEdge engine (runwasi's wasmedge shim, or crun's wasmedge handler); no plugin or environment variable enables sockets elsewhere");
    }
    let mut msg = format!("WasmEdge's built-in socket and DNS imports are available through {}", list(&with));
    if !without.is_empty() {
        msg += &format!("; not through {}", list(&without));
    }
    Outcome::pass(msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::report::Status;

    #[test]
    fn socket_imports_by_engine() {
        let o = run(check, node(config(SHIM_RUNTIME_V2)));
        assert_eq!(o.status, Status::Pass, "{}", o.message);
        let wasmtime = SHIM_RUNTIME_V2.replace("wasmedge.v1", "wasmtime.v1");
        let o = run(check, node(config(&wasmtime)));
        assert_eq!(o.status, Status::Warn);
        assert!(o.message.contains("`wasmedge` (wasmtime)"), "{}", o.message);
        assert_eq!(run(check, node(config(""))).status, Status::Skip);
    }
}
