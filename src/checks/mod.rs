//! Checks: pure functions over `Facts` (no I/O). Each lives in its own file with its tests and has
//! a catalog entry `checks/WDnnn-slug.toml`; `CHECKS` lists them in display order.

// Checks return their `Outcome` early through `Result<_, Outcome>`; it is not an error type.
#![allow(clippy::result_large_err)]

/// `let x = or_return!(result);`: the value, or return the `Outcome` carried by `Err` (a check's
/// early skip/error), as `?` would for errors.
macro_rules! or_return {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(outcome) => return outcome,
        }
    };
}

mod cgroup_driver;
pub(crate) mod cluster;
pub(crate) mod containerd_config;
mod containerd_live;
mod crun;
mod docker;
mod gomatch;
mod schema;
mod shims;
mod wasmedge;

use crate::collect::SourceKind;
use crate::facts::{ContainerdConfig, CrunBinary, Fact, Facts, NodeFacts, Route};
use crate::policy::Policy;
use crate::report::{Affected, Evidence, FixHint, Status};

/// What a check sees.
pub struct Ctx<'a> {
    pub facts: &'a Facts,
    pub policy: &'a Policy,
}

/// One check's verdict, before the engine adds catalog metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    pub message: String,
    pub evidence: Vec<Evidence>,
    pub affected: Vec<Affected>,
    pub fix: Option<FixHint>,
}

impl Outcome {
    fn new(status: Status, message: impl Into<String>) -> Self {
        Outcome { status, message: message.into(), evidence: Vec::new(), affected: Vec::new(), fix: None }
    }
    pub fn pass(m: impl Into<String>) -> Self {
        Self::new(Status::Pass, m)
    }
    pub fn warn(m: impl Into<String>) -> Self {
        Self::new(Status::Warn, m)
    }
    pub fn fail(m: impl Into<String>) -> Self {
        Self::new(Status::Fail, m)
    }
    pub fn skip(m: impl Into<String>) -> Self {
        Self::new(Status::Skip, m)
    }
    pub fn error(m: impl Into<String>) -> Self {
        Self::new(Status::Error, m)
    }
    pub fn evidence(mut self, source: impl Into<String>, value: impl Into<String>) -> Self {
        self.evidence.push(Evidence { source: source.into(), value: value.into() });
        self
    }
    pub fn fix(mut self, summary: impl Into<String>) -> Self {
        self.fix = Some(FixHint { automatic: false, summary: summary.into(), command: None });
        self
    }
}

pub struct Check {
    pub id: &'static str,
    pub slug: &'static str,
    /// The sources whose facts the check reads; it runs once all of them are in.
    pub needs: &'static [SourceKind],
    pub run: fn(&Ctx) -> Outcome,
}

const NODE: &[SourceKind] = &[SourceKind::Node];
const NODE_DAEMON: &[SourceKind] = &[SourceKind::Node, SourceKind::Containerd];
const CLUSTER: &[SourceKind] = &[SourceKind::Node, SourceKind::Containerd, SourceKind::Cluster];
const DOCKER: &[SourceKind] = &[SourceKind::Docker];

/// Every implemented check, in display order.
pub static CHECKS: &[Check] = &[
    Check { id: "WD101", slug: "crun-installed", needs: NODE, run: crun::installed },
    Check { id: "WD102", slug: "crun-version", needs: NODE, run: crun::version },
    Check { id: "WD103", slug: "crun-wasm-handler", needs: NODE, run: crun::wasm_handler },
    Check { id: "WD104", slug: "wasmedge-installed", needs: NODE, run: wasmedge::installed },
    Check { id: "WD105", slug: "shim-binaries", needs: NODE, run: shims::binaries },
    Check { id: "WD106", slug: "wasi-socket-support", needs: NODE, run: wasmedge::socket_support },
    Check { id: "WD201", slug: "containerd-config", needs: NODE, run: containerd_config::config_found },
    Check {
        id: "WD202",
        slug: "wasm-runtime-configured",
        needs: NODE,
        run: containerd_config::wasm_runtime_configured,
    },
    Check { id: "WD203", slug: "config-schema-mismatch", needs: NODE, run: schema::mismatch },
    Check { id: "WD204", slug: "crun-pod-annotations", needs: NODE, run: crun::pod_annotations },
    Check {
        id: "WD205",
        slug: "generated-config-edited",
        needs: NODE,
        run: containerd_config::generated_config_edited,
    },
    Check { id: "WD206", slug: "containerd-running", needs: NODE_DAEMON, run: containerd_live::running },
    Check { id: "WD207", slug: "config-drift", needs: NODE_DAEMON, run: containerd_live::drift },
    Check { id: "WD208", slug: "shim-cgroup-driver", needs: NODE, run: cgroup_driver::shim_cgroup_driver },
    Check { id: "WD301", slug: "runtimeclass-present", needs: CLUSTER, run: cluster::runtimeclass_present },
    Check {
        id: "WD302",
        slug: "runtimeclass-handler-unknown",
        needs: CLUSTER,
        run: cluster::runtimeclass_handler_unknown,
    },
    Check {
        id: "WD303",
        slug: "workload-runtimeclass-missing",
        needs: CLUSTER,
        run: cluster::workload_runtimeclass_missing,
    },
    Check { id: "WD304", slug: "wasm-annotation", needs: CLUSTER, run: cluster::wasm_annotation },
    Check { id: "WD305", slug: "empty-logs", needs: CLUSTER, run: cluster::empty_logs },
    Check { id: "WD306", slug: "wasm-socket-errors", needs: CLUSTER, run: cluster::wasm_socket_errors },
    Check { id: "WD307", slug: "hpa-metric-source", needs: CLUSTER, run: cluster::hpa_metric_source },
    Check { id: "WD308", slug: "wasm-pod-failures", needs: CLUSTER, run: cluster::wasm_pod_failures },
    Check { id: "WD401", slug: "docker-engine", needs: DOCKER, run: docker::engine },
    Check { id: "WD402", slug: "docker-containerd-store", needs: DOCKER, run: docker::containerd_store },
    Check { id: "WD403", slug: "docker-wasm-shim", needs: DOCKER, run: docker::wasm_shim },
];

impl Ctx<'_> {
    /// The node facts, or the outcome every node check gives without them.
    pub fn node(&self) -> Result<&NodeFacts, Outcome> {
        match &self.facts.node {
            Fact::Collected(n) => Ok(n),
            Fact::Unavailable(m) if m.kind.is_error() => {
                Err(Outcome::error(format!("node facts unavailable: {}", m.reason)))
            }
            Fact::Unavailable(m) => Err(Outcome::skip(format!("node source not available: {}", m.reason))),
        }
    }
}

/// The crun binaries that matter: those a crun-route runtime names, or else the ones on PATH.
pub(crate) fn relevant_crun(node: &NodeFacts) -> Vec<&CrunBinary> {
    let by_runtime: Vec<&CrunBinary> = node
        .crun
        .iter()
        .filter(|b| b.origins.iter().any(|o| matches!(o, crate::facts::CrunOrigin::BinaryName { .. })))
        .collect();
    if by_runtime.is_empty() { node.crun.iter().collect() } else { by_runtime }
}

pub(crate) fn has_route(config: &ContainerdConfig, route: Route) -> bool {
    config.active_runtimes().any(|r| r.route == route)
}

/// The annotations crun reads to pick its Wasm handler.
pub fn crun_wasm_annotations() -> &'static [&'static str] {
    crun::WASM_ANNOTATIONS
}

/// `one` or `many` by count, for messages that name a list.
pub(crate) fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// `1 runtime`, `3 runtimes`.
pub(crate) fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
pub(crate) mod testutil;
