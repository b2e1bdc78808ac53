//! The report: one model that the text, JSON and (later) TUI renderers all read. Its serde shape
//! is the JSON contract of DESIGN §2, so it is kept flat and only ever gains fields.

pub mod escape;
pub mod json;
pub mod junit;
pub mod prometheus;
pub mod sarif;
pub mod text;

use serde::{Deserialize, Serialize};

pub const REPORT_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Skip,
    Warn,
    Error,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
            Status::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Node,
    Containerd,
    Cluster,
    Docker,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Node => "node",
            Category::Containerd => "containerd",
            Category::Cluster => "cluster",
            Category::Docker => "docker",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub source: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixHint {
    pub automatic: bool,
    pub summary: String,
    pub command: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub id: String,
    pub slug: String,
    pub category: Category,
    pub title: String,
    pub status: Status,
    pub message: String,
    pub evidence: Vec<Evidence>,
    pub affected: Vec<Affected>,
    pub fix: Option<FixHint>,
    pub docs: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub host_root: String,
    pub node: Option<String>,
    /// Why the node's name is not known, when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_unknown: Option<String>,
    /// Whether the host root was judged the running machine (a daemon that does not answer then
    /// fails), and why.
    #[serde(default)]
    pub live: bool,
    #[serde(default)]
    pub live_because: String,
    pub cluster: Option<ClusterTarget>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterTarget {
    pub context: Option<String>,
    pub server: Option<String>,
    /// The kubeconfig has `insecure-skip-tls-verify`: the server's identity was not verified.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure_skip_tls_verify: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceState {
    Ok,
    Unavailable,
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub name: String,
    pub status: SourceState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub skip: usize,
    pub error: usize,
}

impl Summary {
    pub fn of(checks: &[CheckResult]) -> Self {
        let mut s = Summary::default();
        for c in checks {
            match c.status {
                Status::Pass => s.pass += 1,
                Status::Warn => s.warn += 1,
                Status::Fail => s.fail += 1,
                Status::Skip => s.skip += 1,
                Status::Error => s.error += 1,
            }
        }
        s
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub started_at: String,
    pub duration_ms: u64,
    pub target: Target,
    pub sources: Vec<Source>,
    pub summary: Summary,
    pub checks: Vec<CheckResult>,
}

impl Report {
    /// The worst status present, for the exit code.
    pub fn worst(&self) -> Option<Status> {
        self.checks.iter().map(|c| c.status).max()
    }
}
