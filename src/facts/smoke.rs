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
