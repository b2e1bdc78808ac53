//! What a smoke run saw: a tiny WASI module run through each Wasm runtime of this node's
//! containerd (`--smoke`, `wasmdoctor smoke`). Plain data; the run itself is `crate::smoke`.

use serde::{Deserialize, Serialize};

/// One runtime's run of the smoke module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmokeRun {
    /// The containerd runtime (CRI handler) name, e.g. `wasmtime` or `crun`.
    pub runtime: String,
    /// The shim containerd started (`io.containerd.wasmtime.v1`, `io.containerd.runc.v2`).
    pub runtime_type: String,
    /// `shim` or `crun`.
    pub route: String,
    /// The nonce given to the module as its argument.
    pub nonce: String,
    /// How the run ended.
    pub outcome: SmokeOutcome,
    /// What the module wrote (capped).
    pub stdout: String,
    pub stderr: String,
    /// From creating the container to deleting it.
    pub millis: u64,
    /// What could not be deleted afterwards (`container x`, `snapshot y`), with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_behind: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SmokeOutcome {
    /// The task exited; `code` is its exit status.
    Exited { code: u32 },
    /// A step failed before the module ran: which step, and containerd's or the shim's words.
    Failed { step: String, error: String },
    /// The time limit passed during `step` (`wait`: the module did not exit; the task was killed).
    TimedOut { seconds: u64, step: String },
    /// Ctrl-C or SIGTERM during the run (everything was still deleted).
    Interrupted,
}

/// One Job of the cluster smoke (`--smoke` with the cluster, `wasmdoctor smoke --cluster`): the
/// smoke image run with a RuntimeClass on one node it can schedule to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterSmokeRun {
    pub runtime_class: String,
    pub handler: String,
    pub node: String,
    pub namespace: String,
    pub job: String,
    /// Its pod, once the Job controller made one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    pub image: String,
    pub nonce: String,
    pub outcome: ClusterSmokeOutcome,
    /// The container's log (capped).
    #[serde(default)]
    pub log: String,
    /// What the pod's status said last: a waiting or terminated container's reason and message,
    /// else its phase.
    #[serde(default)]
    pub status: String,
    /// The pod's Warning events, `Reason: message` (at most a few).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    /// From the Job's creation to its end.
    pub millis: u64,
    /// What could not be deleted afterwards (`Job x`, `Pod y`), with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_behind: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ClusterSmokeOutcome {
    /// The Job completed (its container exited 0).
    Completed,
    /// The Job or its pod failed: `reason` is Kubernetes' (`BackoffLimitExceeded`, `ErrImagePull`,
    /// `FailedCreatePodSandBox`, `Error`), `message` its words.
    Failed { reason: String, message: String },
    /// Still not finished after the time limit; `phase` is where it was (`Pending`, `Running`).
    TimedOut { seconds: u64, phase: String },
    /// Ctrl-C or SIGTERM while it ran (it was still deleted).
    Interrupted,
}

/// The cluster smoke as a whole: its runs, or why none could start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterSmoke {
    pub runs: Vec<ClusterSmokeRun>,
    /// Wasm RuntimeClass × node pairs not tried, and why (`node b is NotReady`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_tried: Vec<String>,
    /// Why the Warning events could not be read, when they could not (a run then ends only by its
    /// Job and pod, or the time limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_unreadable: Option<String>,
}
