//! WD104 wasmedge-installed: WasmEdge (CLI or library) is where the node's Wasm route needs it,
//! at a version crun's handler can use.

use super::relevant_crun;
use crate::checks::{Ctx, Outcome};
use crate::facts::{Fact, NodeFacts, Route};
use crate::rules::versions::parse_version;

/// Whether crun's Wasm route on this node needs `libwasmedge.so.0`.
fn crun_needs_wasmedge(node: &NodeFacts) -> bool {
    let crun_route = node.containerd_config.active_runtimes().any(|r| r.route == Route::Crun);
    crun_route
        && relevant_crun(node)
            .iter()
            .any(|b| b.version.collected().is_some_and(|v| v.wasm_handlers.first().is_some_and(|h| h == "wasmedge")))
}

pub fn check(ctx: &Ctx, node: &NodeFacts) -> Outcome {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::facts::VersionedBinary;
    use crate::report::Status;

    fn cli(v: &str) -> Option<VersionedBinary> {
        Some(VersionedBinary {
            path: "/usr/local/bin/wasmedge".into(),
            version: Fact::Collected(v.into()),
            output: None,
        })
    }

    #[test]
    fn installed_and_versions() {
        assert_eq!(run(check, node(config(SHIM_RUNTIME_V2))).status, Status::Skip);
        let mut n = node(config(CRUN_RUNTIME_V2));
        n.crun = vec![crun("/usr/local/bin/crun", CRUN_1_27_1_WASMEDGE, Some("crun"))];
        assert_eq!(run(check, n.clone()).status, Status::Fail);
        n.wasmedge.library = Some("/usr/local/lib/libwasmedge.so.0".into());
        n.wasmedge.cli = cli("0.14.1");
        let o = run(check, n.clone());
        assert_eq!(
            (o.status, o.message.as_str()),
            (Status::Pass, "WasmEdge `0.14.1` at `/usr/local/bin/wasmedge`, library `/usr/local/lib/libwasmedge.so.0`")
        );
        let policy = policy("[minimum_versions]\nwasmedge = \"0.15.0\"\n");
        assert_eq!(run_with(check, n.clone(), &policy).status, Status::Fail);
        n.wasmedge.cli = cli("0.9.1");
        assert_eq!(run(check, n).status, Status::Fail);
    }
}
