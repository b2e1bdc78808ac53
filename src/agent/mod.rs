//! `wasmdoctor agent`: on each node (a DaemonSet pod), run the node checks and publish the result on
//! the node's own Node as the `WasmReady` condition, so that WD310 and a fleet view can tell, from
//! the API, which nodes can run Wasm pods. This module decides the condition; `publish` writes it.

pub mod publish;
pub mod run;
pub mod serve;

use crate::report::{Category, Report, Status};

/// The condition type wasmdoctor owns on Nodes.
pub const CONDITION: &str = "WasmReady";

/// A `WasmReady` condition to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasmReady {
    /// `True`, `False` or `Unknown`.
    pub status: &'static str,
    pub reason: String,
    pub message: String,
}

/// The condition a report of the node checks (node, containerd, docker) gives: `True` when none
/// fails or errs; `False` with the first failing check's ID and slug as the reason (`WD202` and
/// `wasm-runtime-configured` make `WD202WasmRuntimeConfigured`, in the CamelCase conditions use)
/// and the failing IDs in the message; `Unknown` when the node source itself could not be read.
pub fn condition(report: &Report) -> WasmReady {
    let node_checks: Vec<_> = report.checks.iter().filter(|c| c.category != Category::Cluster).collect();
    if let Some(node) = report.sources.iter().find(|s| s.name == "node")
        && node.status != crate::report::SourceState::Ok
    {
        return WasmReady {
            status: "Unknown",
            reason: "NodeFactsUnavailable".into(),
            message: format!("the node's facts could not be read: {}", node.reason.as_deref().unwrap_or("unknown")),
        };
    }
    let failing: Vec<_> = node_checks.iter().filter(|c| matches!(c.status, Status::Fail | Status::Error)).collect();
    let Some(first) = failing.first() else {
        let passed = node_checks.iter().filter(|c| c.status == Status::Pass).count();
        let warned = node_checks.iter().filter(|c| c.status == Status::Warn).count();
        return WasmReady {
            status: "True",
            reason: "NodeChecksPass".into(),
            message: format!("{passed} node checks pass, {warned} warn (wasmdoctor {})", report.tool.version),
        };
    };
    let ids: Vec<&str> = failing.iter().map(|c| c.id.as_str()).collect();
    let mut message =
        format!("{} {}: {}", ids.join(", "), if ids.len() == 1 { "fails" } else { "fail" }, first.message);
    if message.chars().count() > 300 {
        message = message.chars().take(299).collect::<String>() + "…";
    }
    WasmReady { status: "False", reason: format!("{}{}", first.id, camel(&first.slug)), message }
}

/// `wasm-runtime-configured` → `WasmRuntimeConfigured`.
fn camel(slug: &str) -> String {
    slug.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_node_facts_are_unknown_failing_checks_are_false() {
        use crate::checks::testutil::{SHIM_RUNTIME_V2, config, facts, node};
        use crate::facts::{Fact, MissingKind};
        let evaluate = |f: &crate::facts::Facts| {
            crate::engine::evaluate(f, &crate::policy::Policy::default(), &Default::default(), "2026-11-28")
        };
        let mut f = facts(node(config(SHIM_RUNTIME_V2)));
        assert_eq!(condition(&evaluate(&f)).status, "True");
        f.node = Fact::unavailable(MissingKind::Timeout, "the node source did not finish within 10s");
        let c = condition(&evaluate(&f));
        assert_eq!((c.status, c.reason.as_str()), ("Unknown", "NodeFactsUnavailable"));
        let f = facts(node(config("version = 2\n")));
        let c = condition(&evaluate(&f));
        assert_eq!((c.status, c.reason.as_str()), ("False", "WD202WasmRuntimeConfigured"), "{}", c.message);
    }

    #[test]
    fn slugs_become_reasons() {
        assert_eq!(camel("wasm-runtime-configured"), "WasmRuntimeConfigured");
        assert_eq!(camel("cgroup-v2"), "CgroupV2");
    }
}
