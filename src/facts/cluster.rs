//! What the cluster checks read from the API: the few fields of each object they use.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Fact;

/// What the cluster checks read from the API. Each list is collected or unavailable on its own
/// (a 403 on one resource leaves the others).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterFacts {
    pub context: Option<String>,
    pub server: Option<String>,
    /// The kubeconfig turns the server's certificate verification off.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure_tls: bool,
    pub runtime_classes: Fact<Vec<RuntimeClassInfo>>,
    pub nodes: Fact<Vec<NodeInfo>>,
    pub pods: Fact<Vec<PodInfo>>,
    pub workloads: Fact<Vec<WorkloadInfo>>,
    pub events: Fact<Vec<EventInfo>>,
    pub hpas: Fact<Vec<HpaInfo>>,
    /// metrics.k8s.io; `NotFound` when the API is not served.
    pub pod_metrics: Fact<Vec<PodMetricsInfo>>,
    /// Logs of Wasm pods' containers: the current run's of running and terminated containers, the
    /// previous run's of those that restarted (bounded by `limitBytes`/`tailLines`).
    pub logs: Vec<ContainerLog>,
    /// Whether KEDA's `keda.sh/v1alpha1` ScaledObject API is served; `None` when unknown.
    #[serde(default)]
    pub keda: Option<bool>,
    /// KEDA ScaledObjects, when that API is served.
    #[serde(default = "super::not_collected")]
    pub scaled_objects: Fact<Vec<ScaledObjectInfo>>,
    /// runtime-class-manager's `Shim` objects (`runtime.spinkube.dev/v1alpha1`), when served.
    #[serde(default = "super::not_collected")]
    pub shims: Fact<Vec<ShimInfo>>,
}

/// A runtime-class-manager `Shim`: the RuntimeClass it creates and on how many of the nodes it
/// targets the shim is installed (`status.nodes` vs `status.nodesReady`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShimInfo {
    pub name: String,
    pub runtime_class: Option<String>,
    pub handler: Option<String>,
    pub nodes: Option<u64>,
    pub nodes_ready: Option<u64>,
}

/// A KEDA ScaledObject: what it scales.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaledObjectInfo {
    pub namespace: String,
    pub name: String,
    pub target: ObjectRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeClassInfo {
    pub name: String,
    pub handler: String,
    pub node_selector: BTreeMap<String, String>,
    /// `scheduling.tolerations`: the taints its pods tolerate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Toleration {
    pub key: Option<String>,
    /// `Exists` or `Equal` (the default).
    pub operator: Option<String>,
    pub value: Option<String>,
    /// Empty: every effect.
    pub effect: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taint {
    pub key: String,
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub effect: String,
}

/// The `WasmReady` condition wasmdoctor's agent publishes on a Node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WasmReady {
    /// `True`, `False` or `Unknown`.
    pub status: String,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub heartbeat: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// `status.nodeInfo.containerRuntimeVersion`: `containerd://1.7.24`, `docker://…`, `cri-o://…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<Taint>,
    /// `status.runtimeHandlers[].name` (the kubelet copies them from the CRI status since Kubernetes
    /// 1.30; containerd reports them from 2.0); `None` when the Node has no such field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_handlers: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasm_ready: Option<WasmReady>,
    /// Its `Ready` condition is `True` (`None`: the Node has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<bool>,
}

/// An owner or target reference: `Deployment demo/hello`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRef {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodInfo {
    pub namespace: String,
    pub name: String,
    pub node: Option<String>,
    pub runtime_class: Option<String>,
    /// Only the annotations crun reads (`module.wasm.image/variant`, `run.oci.handler`).
    pub wasm_annotations: BTreeMap<String, String>,
    pub owner: Option<ObjectRef>,
    pub phase: Option<String>,
    pub start_time: Option<String>,
    pub containers: Vec<ContainerInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerInfo {
    pub name: String,
    pub image: Option<String>,
    /// `running`, `waiting`, `terminated`, or `unknown`.
    pub state: String,
    pub started_at: Option<String>,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub restart_count: i64,
    /// How its previous run ended (`lastState.terminated`), when it has restarted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_termination: Option<Termination>,
}

/// A container run's end: `lastState.terminated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Termination {
    pub exit_code: i64,
    pub reason: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadInfo {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub runtime_class: Option<String>,
    /// Of the pod template; only the annotations crun reads.
    pub wasm_annotations: BTreeMap<String, String>,
    pub images: Vec<String>,
    /// Set for ReplicaSets and Jobs made by a Deployment or CronJob.
    pub owner: Option<ObjectRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventInfo {
    pub namespace: String,
    pub object: ObjectRef,
    pub reason: String,
    pub message: String,
    pub count: i64,
    pub last_seen: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HpaInfo {
    pub namespace: String,
    pub name: String,
    pub target: ObjectRef,
    #[serde(default)]
    pub min_replicas: Option<i32>,
    #[serde(default)]
    pub max_replicas: Option<i32>,
    /// `Resource cpu`, `ContainerResource memory`, `Pods requests_per_second`, `External …`.
    pub metrics: Vec<HpaMetric>,
    pub conditions: Vec<Condition>,
    /// `currentMetrics` values as the HPA reports them (`cpu: 0%`).
    pub current: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HpaMetric {
    /// `Resource`, `ContainerResource`, `Pods`, `Object`, `External`.
    pub kind: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    pub kind: String,
    pub status: String,
    pub reason: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodMetricsInfo {
    pub namespace: String,
    pub name: String,
    /// Sum over containers, in nanocores and bytes.
    pub cpu_nanocores: u64,
    pub memory_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerLog {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    /// The previous run's log (`previous=true`), not the current one's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub previous: bool,
    /// Bytes returned (at most the requested limit); 0 means the container has written nothing.
    pub bytes: Fact<u64>,
    /// The returned tail, for signature matching (at most a few KiB).
    pub tail: String,
}
