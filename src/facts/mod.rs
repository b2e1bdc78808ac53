//! Facts: plain data gathered by the collectors. Checks read only this; it serializes to JSON so
//! `wasmdoctor collect -o facts.json` and `check --facts facts.json` reproduce a report offline.

mod cluster;
mod live;
mod node;
mod smoke;

pub use cluster::*;
pub use live::*;
pub use node::*;
pub use smoke::*;

use serde::{Deserialize, Serialize};

/// Bumped when a field is renamed or removed (fields are only ever added otherwise).
pub const FACTS_SCHEMA_VERSION: u32 = 1;

/// A fact is either collected or unavailable with a reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact<T> {
    Collected(T),
    Unavailable(Missing),
}

impl<T> Fact<T> {
    pub fn as_ref(&self) -> Fact<&T> {
        match self {
            Fact::Collected(v) => Fact::Collected(v),
            Fact::Unavailable(m) => Fact::Unavailable(m.clone()),
        }
    }

    pub fn collected(&self) -> Option<&T> {
        match self {
            Fact::Collected(v) => Some(v),
            Fact::Unavailable(_) => None,
        }
    }

    pub fn missing(&self) -> Option<&Missing> {
        match self {
            Fact::Collected(_) => None,
            Fact::Unavailable(m) => Some(m),
        }
    }

    pub fn unavailable(kind: MissingKind, reason: impl Into<String>) -> Self {
        Fact::Unavailable(Missing { kind, reason: reason.into() })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Missing {
    pub kind: MissingKind,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingKind {
    /// The user left the source out (`--no-node`, …).
    NotRequested,
    NotFound,
    PermissionDenied,
    Timeout,
    /// The data was there but could not be understood.
    Malformed,
    /// A binary crashed, exited non-zero or could not start.
    Failed,
    /// What the user named (`--containerd-address`, `--docker-host`, `$DOCKER_HOST`) is not there or
    /// refuses connections: a claim about the node that does not hold, so it fails, live or not.
    NamedUnreachable,
}

impl MissingKind {
    /// Whether a check depending on this fact could not decide (`error`) rather than not apply (`skip`).
    pub fn is_error(self) -> bool {
        matches!(
            self,
            MissingKind::PermissionDenied
                | MissingKind::Timeout
                | MissingKind::Malformed
                | MissingKind::Failed
                | MissingKind::NamedUnreachable
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub schema_version: u32,
    pub tool_version: String,
    pub collected_at: String,
    pub collect_ms: u64,
    pub host_root: String,
    pub node_name: Option<String>,
    /// Why the node's name is not known (no `--node`, and `/etc/hostname` could not give it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name_unknown: Option<String>,
    /// Whether the host root is the running machine (its kernel's `boot_id` is ours, or `--live`):
    /// then a daemon that does not answer is a failure, not an offline filesystem.
    #[serde(default)]
    pub live: bool,
    /// How `live` was decided: `the host root is /`, `its boot_id is this kernel's`, `--offline`, …
    #[serde(default)]
    pub live_because: String,
    pub node: Fact<NodeFacts>,
    /// The running containerd, over its socket.
    #[serde(default = "not_collected")]
    pub containerd: Fact<ContainerdLive>,
    /// The running dockerd, over its socket.
    #[serde(default = "not_collected")]
    pub docker: Fact<DockerFacts>,
    /// The cluster, over the Kubernetes API.
    #[serde(default = "not_collected")]
    pub cluster: Fact<ClusterFacts>,
    /// The smoke module run through each Wasm runtime of this node's containerd (`--smoke`).
    #[serde(default = "smoke_not_requested")]
    pub node_smoke: Fact<Vec<SmokeRun>>,
    /// The smoke image run as a Job per Wasm RuntimeClass × node (`--smoke` with the cluster).
    #[serde(default = "cluster_smoke_not_requested")]
    pub cluster_smoke: Fact<ClusterSmoke>,
}

pub fn smoke_not_requested<T>() -> Fact<T> {
    Fact::unavailable(
        MissingKind::NotRequested,
        "not requested: `--smoke` (or `wasmdoctor smoke`) runs a module through each Wasm runtime, creating containers",
    )
}

pub fn cluster_smoke_not_requested<T>() -> Fact<T> {
    Fact::unavailable(
        MissingKind::NotRequested,
        "not requested: `--smoke` (or `wasmdoctor smoke --cluster`) runs a Job per Wasm RuntimeClass and node",
    )
}

pub(crate) fn not_collected<T>() -> Fact<T> {
    Fact::unavailable(MissingKind::NotRequested, "not collected (facts saved by an older wasmdoctor)")
}

/// The sources of facts; each is collected on its own thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourceKind {
    Node,
    Containerd,
    Docker,
    Cluster,
}

impl SourceKind {
    pub const ALL: [SourceKind; 4] =
        [SourceKind::Node, SourceKind::Containerd, SourceKind::Docker, SourceKind::Cluster];

    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Node => "node",
            SourceKind::Containerd => "containerd",
            SourceKind::Docker => "docker",
            SourceKind::Cluster => "cluster",
        }
    }
}

impl Facts {
    /// Why a source's facts are missing, if they are.
    pub fn missing(&self, source: SourceKind) -> Option<&Missing> {
        match source {
            SourceKind::Node => self.node.missing(),
            SourceKind::Containerd => self.containerd.missing(),
            SourceKind::Docker => self.docker.missing(),
            SourceKind::Cluster => self.cluster.missing(),
        }
    }

    /// This node's containerd version and where it was read: the running daemon's Version API,
    /// else its binary's `--version`.
    pub fn containerd_version(&self) -> Option<(&str, &'static str)> {
        if let Some(live) = self.containerd.collected() {
            return Some((live.version.as_str(), "the running containerd's Version API"));
        }
        let binary = self.node.collected()?.containerd.binary.as_ref()?;
        Some((binary.version.collected()?.as_str(), "`containerd --version`"))
    }
}
