//! WD104 (WasmEdge present, its version) and WD106 (the configured engines provide WasmEdge's
//! socket/DNS imports, which are built into WasmEdge: no plugin, no environment variable).

use super::{Ctx, Outcome, list, relevant_crun};
use crate::facts::{Fact, NodeFacts, Route};
use crate::policy::parse_version;

/// Whether crun's Wasm route on this node needs `libwasmedge.so.0`.
fn crun_needs_wasmedge(node: &NodeFacts) -> bool {
    let crun_route = node.containerd_config.active_runtimes().any(|r| r.route == Route::Crun);
    crun_route
        && relevant_crun(node)
            .iter()
            .any(|b| b.version.collected().is_some_and(|v| v.wasm_handlers.first().is_some_and(|h| h == "wasmedge")))
}

/// WD104 wasmedge-installed.
pub fn installed(ctx: &Ctx) -> Outcome {
    let node = or_return!(ctx.node());
    let w = &node.wasmedge;
    let needed = crun_needs_wasmedge(node);
    if w.cli.is_none() && w.library.is_none() {
        if needed {
            return Outcome::fail(
                "crun's `wasmedge` handler needs `libwasmedge.so.0`, and neither the WasmEdge library nor the `wasmedge` CLI is on the node",
            )
            .evidence("library search path", node.libraries.search_dirs.join(":"))
            .fix("install WasmEdge system-wide (e.g. `install_v2.sh -p /usr/local`, or the distribution's `wasmedge` package) and run `ldconfig`");
        }
        return Outcome::skip(
            "WasmEdge is not installed and nothing here needs it (runwasi's wasmedge shim links WasmEdge statically)",
        );
    }
    let cli_version = match &w.cli {
        Some(t) => match &t.version {
            Fact::Collected(v) => Some((t.path.clone(), v.clone())),
            Fact::Unavailable(m) => {
                return Outcome::error(format!("could not read the version of `{}`: {}", t.path, m.reason));
            }
        },
        None => None,
    };
    let lib = w.library.as_deref().map(|l| format!("library `{l}`")).unwrap_or_else(|| "no `libwasmedge.so.0`".into());
    let Some((path, v)) = cli_version else {
        return Outcome::pass(format!("WasmEdge {lib} (version unknown: no `wasmedge` CLI to ask)"));
    };
    let parsed = parse_version(&v);
    if let (Some(min), Some(have)) = (ctx.policy.wasmedge_minimum(), parsed.as_ref())
        && *have < min
    {
        return Outcome::fail(format!("WasmEdge `{v}` at `{path}` is older than the required `{min}`"))
            .evidence(format!("{path} --version"), format!("wasmedge version {v}"))
            .fix(format!("install WasmEdge ≥ {min} (policy `[minimum_versions] wasmedge`)"));
    }
    if needed && parsed.as_ref().is_some_and(|p| *p < semver::Version::new(0, 10, 0)) {
        return Outcome::fail(format!(
            "WasmEdge `{v}` is older than 0.10, whose C API crun ≥ 1.5 requires (`could not get wasmedge process module context`)"
        ))
        .fix("install WasmEdge ≥ 0.10 (the WasmEdge project's own examples use 0.13.5 or 0.14)");
    }
    if needed && w.library.is_none() {
        return Outcome::fail(format!(
            "the `wasmedge` CLI `{v}` is at `{path}`, but crun's `wasmedge` handler needs `libwasmedge.so.0` in the loader's paths and it is not there"
        ))
        .evidence("library search path", node.libraries.search_dirs.join(":"))
        .fix("install WasmEdge with `-p /usr/local` (a `~/.wasmedge` install is not on the loader's path) and run `ldconfig`");
    }
    Outcome::pass(format!("WasmEdge `{v}` at `{path}`, {lib}"))
}

/// WasmEdge added `sock_getaddrinfo` and friends in 0.9.1.
const SOCKETS_SINCE: semver::Version = semver::Version::new(0, 9, 1);

/// WD106 wasi-socket-support.
pub fn socket_support(ctx: &Ctx) -> Outcome {
    let node = or_return!(ctx.node());
    let mut with = Vec::new();
    let mut without = Vec::new();
    for r in node.containerd_config.active_runtimes() {
        match r.route {
            Route::Shim => match r.shim_engine() {
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
    use crate::facts::Tool;
    use crate::report::Status;

    fn cli(v: &str) -> Option<Tool> {
        Some(Tool { path: "/usr/local/bin/wasmedge".into(), version: Fact::Collected(v.into()), output: None })
    }

    #[test]
    fn wd104() {
        assert_eq!(run(installed, node(config(SHIM_RUNTIME_V2))).status, Status::Skip);
        let mut n = node(config(CRUN_RUNTIME_V2));
        n.crun = vec![crun("/usr/local/bin/crun", CRUN_1_27_1_WASMEDGE, Some("crun"))];
        assert_eq!(run(installed, n.clone()).status, Status::Fail);
        n.wasmedge.library = Some("/usr/local/lib/libwasmedge.so.0".into());
        n.wasmedge.cli = cli("0.14.1");
        let o = run(installed, n.clone());
        assert_eq!(
            (o.status, o.message.as_str()),
            (Status::Pass, "WasmEdge `0.14.1` at `/usr/local/bin/wasmedge`, library `/usr/local/lib/libwasmedge.so.0`")
        );
        let policy = crate::policy::Policy::parse("p", "[minimum_versions]\nwasmedge = \"0.15.0\"\n").unwrap();
        assert_eq!(run_with(installed, n.clone(), &policy).status, Status::Fail);
        n.wasmedge.cli = cli("0.9.1");
        assert_eq!(run(installed, n).status, Status::Fail);
    }

    #[test]
    fn wd106() {
        let o = run(socket_support, node(config(SHIM_RUNTIME_V2)));
        assert_eq!(o.status, Status::Pass, "{}", o.message);
        let wasmtime = SHIM_RUNTIME_V2.replace("wasmedge.v1", "wasmtime.v1");
        let o = run(socket_support, node(config(&wasmtime)));
        assert_eq!(o.status, Status::Warn);
        assert!(o.message.contains("`wasmedge` (wasmtime)"), "{}", o.message);
        assert_eq!(run(socket_support, node(config(""))).status, Status::Skip);
    }
}
