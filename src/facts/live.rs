//! The running daemons, over their sockets: containerd (its Version, images and CRI Status) and
//! dockerd.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Fact;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerdLive {
    /// The socket as a node path (`/run/containerd/containerd.sock`).
    pub address: String,
    pub version: String,
    pub revision: String,
    pub namespaces: Vec<String>,
    /// Images in `k8s.io` and `default`, with platform and manifest annotations from the content store.
    pub images: Fact<Vec<ImageInfo>>,
    /// CRI `RuntimeService/Status` (verbose): what containerd has loaded.
    pub cri: Fact<CriStatus>,
    /// Tasks in every namespace: what a shim process should be serving.
    #[serde(default = "super::not_collected")]
    pub tasks: Fact<Vec<TaskRef>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRef {
    pub namespace: String,
    /// The container id the task runs (a shim's `-id`).
    pub id: String,
    pub pid: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriStatus {
    pub default_runtime: Option<String>,
    pub runtimes: Vec<LoadedRuntime>,
    /// containerd 2.x lists its runtime handlers; 1.x does not (`None`).
    pub runtime_handlers: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadedRuntime {
    pub name: String,
    pub runtime_type: Option<String>,
    pub runtime_path: Option<String>,
    pub binary_name: Option<String>,
    pub systemd_cgroup: Option<bool>,
    pub pod_annotations: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    pub namespace: String,
    pub name: String,
    pub media_type: String,
    /// `os/architecture` of each manifest (`wasi/wasm`, `linux/amd64`).
    pub platforms: Vec<String>,
    /// Annotations of the index and its manifests (`module.wasm.image/variant`, …).
    pub annotations: BTreeMap<String, String>,
    /// Why the content could not be read, when it could not (the image is still listed).
    pub content_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DockerFacts {
    /// `unix:///var/run/docker.sock` or whatever was given.
    pub host: String,
    pub server_version: String,
    pub api_version: String,
    /// `DriverStatus` pairs of `docker info` (`driver-type` = `io.containerd.snapshotter.v1`).
    pub driver: String,
    pub driver_status: Vec<(String, String)>,
    /// `docker info` runtimes (the stock ones plus daemon.json's; shims used by name are not listed).
    pub runtimes: Vec<String>,
    /// dockerd's PATH from procfs, when its process is visible.
    pub dockerd_path: Fact<String>,
    /// Wasm shims found on dockerd's PATH.
    pub shims_on_path: Vec<String>,
    /// The PATH directories searched (dockerd's own, else the standard one).
    pub searched: Vec<String>,
}
