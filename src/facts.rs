//! Facts: plain data gathered by the collectors. Checks read only this; it serializes to JSON so
//! `wasmdoctor collect -o facts.json` and `check --facts facts.json` reproduce a report offline.

use std::collections::BTreeMap;

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
}

impl MissingKind {
    /// Whether a check depending on this fact could not decide (`error`) rather than not apply (`skip`).
    pub fn is_error(self) -> bool {
        matches!(
            self,
            MissingKind::PermissionDenied | MissingKind::Timeout | MissingKind::Malformed | MissingKind::Failed
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
    /// Whether the host root is this machine, or a daemon address was given: then a daemon that
    /// does not answer is a failure, not an offline filesystem.
    #[serde(default)]
    pub live: bool,
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
}

fn not_collected<T>() -> Fact<T> {
    Fact::unavailable(MissingKind::NotRequested, "not collected (facts saved by an older wasmdoctor)")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeFacts {
    /// The node's CPU architecture as `uname -m` says it (`x86_64`, `aarch64`).
    pub arch: String,
    pub containerd_config: ContainerdConfig,
    pub containerd: ContainerdHost,
    pub crun: Vec<CrunBinary>,
    pub libraries: Libraries,
    pub wasmedge: WasmEdge,
    pub shims: Vec<ShimResolution>,
    pub kubelet: Fact<Kubelet>,
    /// runwasi shims present where containerd looks (its `$PATH`, its own directory), whether or not
    /// a runtime uses them: what a new Wasm runtime can route to.
    #[serde(default)]
    pub installed_shims: Vec<InstalledShim>,
    /// systemd units that run containerd on this node (`containerd`, `k3s-agent`, …), as found under
    /// the unit directories: which service a restart means.
    #[serde(default)]
    pub service_units: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledShim {
    /// The handler name k3s would give it (`wasmedge`, `spin`).
    pub name: String,
    /// `io.containerd.wasmedge.v1`.
    pub runtime_type: String,
    /// Node path where containerd would find it.
    pub path: String,
}

// ---------------------------------------------------------------------------------------------
// containerd configuration

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Distribution {
    Containerd,
    K3s,
    Rke2,
    Microk8s,
    K0s,
}

impl Distribution {
    pub fn name(self) -> &'static str {
        match self {
            Distribution::Containerd => "containerd",
            Distribution::K3s => "k3s",
            Distribution::Rke2 => "RKE2",
            Distribution::Microk8s => "MicroK8s",
            Distribution::K0s => "k0s",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerdConfig {
    pub distribution: Distribution,
    /// The file containerd reads at start.
    pub main_path: String,
    /// Why that file (default path, `--config` on containerd's command line, the distribution's layout).
    pub main_reason: String,
    /// The main file and its imports, in load order.
    pub files: Vec<ConfigFile>,
    /// Where the distribution renders `main_path` from, when it does (k3s/RKE2/MicroK8s).
    pub template: Option<ConfigFile>,
    /// Where edits belong for this distribution (the template path even when it does not exist yet).
    pub edit_path: String,
    /// Runtimes after imports were merged, including those containerd ignores (with the reason).
    pub runtimes: Vec<Runtime>,
    /// containerd's major version when known (binary `--version`), which decides the import merge.
    pub containerd_major: Option<u64>,
}

impl ContainerdConfig {
    pub fn main_file(&self) -> Option<&ConfigFile> {
        self.files.first()
    }

    /// Runtimes containerd registers (not ignored, not dropped by an import).
    pub fn active_runtimes(&self) -> impl Iterator<Item = &Runtime> {
        self.runtimes.iter().filter(|r| r.status == RuntimeStatus::Active)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigFile {
    pub path: String,
    pub role: FileRole,
    pub state: FileState,
    /// `version = N`; absent means version 1.
    pub version: Option<i64>,
    pub imports: Vec<String>,
    /// A "generated, do not edit" header when present (k3s/RKE2/k0s write one).
    pub generated_header: Option<String>,
    /// Template lines that could not be read as TOML and were left out (1-based).
    pub template_lines_skipped: Vec<u32>,
    /// A k3s/RKE2 template that renders k3s's own base (`{{ template "base" . }}` or the
    /// `.ExtraRuntimes` loop), so runtimes k3s detects appear in the generated file.
    pub renders_detected_runtimes: bool,
    /// Runtimes declared in this file, in file order.
    pub runtimes: Vec<Runtime>,
}

impl ConfigFile {
    pub fn effective_version(&self) -> i64 {
        self.version.unwrap_or(1)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FileRole {
    Main,
    Import { from: String, pattern: String },
    Template,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FileState {
    Parsed,
    Missing,
    Unreadable { reason: String },
    Malformed { line: u32, column: u32, message: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// runc shim with `BinaryName` = crun (the annotation route, or `crun-wasm`).
    Crun,
    /// A runwasi-style shim (`io.containerd.wasmedge.v1`, an absolute shim path, …).
    Shim,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RuntimeStatus {
    Active,
    /// containerd never reads the table (wrong plugin id for the file's version).
    Ignored {
        reason: String,
    },
    /// Under containerd 1.x an import replaced the whole plugin section holding it.
    Dropped {
        by: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Runtime {
    pub name: String,
    pub file: String,
    pub line: u32,
    /// `io.containerd.grpc.v1.cri`, `io.containerd.cri.v1.runtime` or `cri`.
    pub plugin_id: String,
    pub runtime_type: Option<String>,
    pub runtime_path: Option<String>,
    pub binary_name: Option<String>,
    pub pod_annotations: Option<Vec<String>>,
    pub systemd_cgroup: Option<bool>,
    pub route: Route,
    pub status: RuntimeStatus,
}

impl Runtime {
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    /// The shim binary containerd looks for, for the shim route (`containerd-shim-wasmedge-v1`), or the
    /// absolute path given.
    pub fn shim_binary(&self) -> Option<String> {
        if let Some(p) = self.runtime_path.as_deref().filter(|p| !p.is_empty()) {
            return Some(p.to_string());
        }
        let rt = self.runtime_type.as_deref()?;
        if rt.starts_with('/') {
            return Some(rt.to_string());
        }
        let parts: Vec<&str> = rt.split('.').collect();
        if parts.len() < 2 {
            return None;
        }
        Some(format!("containerd-shim-{}-{}", parts[parts.len() - 2], parts[parts.len() - 1]))
    }

    /// The Wasm engine this runtime runs modules with, when the name tells (`wasmedge`, `spin`, …).
    pub fn shim_engine(&self) -> Option<&'static str> {
        let name = self.shim_binary()?;
        let base = name.rsplit('/').next().unwrap_or(&name);
        let rest = base.strip_prefix("containerd-shim-").unwrap_or(base);
        WASM_SHIM_ENGINES.iter().copied().find(|e| rest.starts_with(e))
    }
}

/// Name prefixes of Wasm shims (`containerd-shim-<x>-vN`), runwasi and the deislabs/spin family.
pub const WASM_SHIM_ENGINES: &[&str] =
    &["wasmedge", "wasmtime", "wasmer", "wamr", "spin", "slight", "wws", "lunatic", "wasm"];

// ---------------------------------------------------------------------------------------------
// binaries and libraries

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum CrunOrigin {
    /// Found in a PATH directory.
    Path,
    /// A containerd runtime names it as `options.BinaryName`.
    BinaryName { runtime: String, location: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrunBinary {
    /// The path as found or configured (`/usr/local/bin/crun`, `/usr/bin/crun-wasm`).
    pub path: String,
    /// After following symlinks under the host root.
    pub canonical: String,
    pub origins: Vec<CrunOrigin>,
    pub exists: bool,
    pub executable: bool,
    /// `crun --version`, parsed.
    pub version: Fact<CrunVersion>,
}

impl CrunBinary {
    /// `crun-wasm` (or any `crun-<handler>` name) forces the handler from argv0 (crun ≥ 1.7).
    pub fn argv0_handler(&self) -> Option<&str> {
        let base = self.path.rsplit('/').next()?;
        base.strip_prefix("crun-")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrunVersion {
    /// The version as printed (`1.8.5.0.0.0.23-3856`).
    pub version: String,
    /// Its release part as semver (`1.8.5`), when it has one.
    pub semver: Option<String>,
    pub commit: Option<String>,
    /// Every `+FEATURE` token of the last line.
    pub features: Vec<String>,
    /// Handlers from `+WASM:<name>` tokens.
    pub wasm_handlers: Vec<String>,
    /// The first line, as evidence.
    pub first_line: String,
    pub features_line: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Libraries {
    /// Directories searched, as ld.so would (ld.so.conf and its includes, then the standard ones).
    pub search_dirs: Vec<String>,
    /// Engine library soname → where it was found.
    pub found: BTreeMap<String, Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WasmEdge {
    pub cli: Option<Tool>,
    /// `libwasmedge.so.0` wherever found (ld.so paths or `~/.wasmedge/lib`).
    pub library: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub path: String,
    pub version: Fact<String>,
    /// The first line printed, as evidence.
    pub output: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathSource {
    /// containerd's own environment, read from `/proc/<pid>/environ`.
    Procfs,
    /// The standard system PATH (containerd's process was not visible).
    Standard,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShimResolution {
    pub runtime: String,
    pub runtime_location: String,
    pub runtime_type: String,
    /// The file name (`containerd-shim-wasmedge-v1`) or absolute path containerd looks for.
    pub binary: String,
    pub path_source: PathSource,
    /// Where containerd looks, in its order (node paths).
    pub searched: Vec<String>,
    pub resolved: Option<String>,
    /// Found where containerd does not look (`/opt/kwasm/bin`, `/opt/rcm/bin`, `options.BinaryName`).
    pub found_elsewhere: Vec<String>,
    /// containerd refuses the name outright (`invalid runtime name`).
    pub invalid: Option<String>,
    pub executable: bool,
    pub binary_kind: BinaryKind,
    /// `<shim> -v`, when it ran.
    pub version: Option<Fact<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum BinaryKind {
    Unknown,
    Elf { machine: String },
    Script { interpreter: String },
    Other,
}

// ---------------------------------------------------------------------------------------------
// processes and the kubelet

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerdHost {
    pub process: Fact<Process>,
    /// `containerd --version` of the binary on the node, when present.
    pub binary: Option<Tool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    pub pid: u32,
    pub exe: Option<String>,
    pub cwd: Option<String>,
    /// `PATH` from `/proc/<pid>/environ`; no other variable is kept.
    pub path_env: Option<String>,
    pub cmdline: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kubelet {
    /// `systemd` or `cgroupfs`.
    pub cgroup_driver: String,
    /// Where that came from (`/var/lib/kubelet/config.yaml:7`, `/proc/812/cmdline`, …).
    pub source: String,
}

// ---------------------------------------------------------------------------------------------
// the running containerd

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

// ---------------------------------------------------------------------------------------------
// the running dockerd

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

// ---------------------------------------------------------------------------------------------
// the cluster

/// What the cluster checks read from the API. Each list is collected or unavailable on its own
/// (a 403 on one resource leaves the others).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterFacts {
    pub context: Option<String>,
    pub server: Option<String>,
    pub runtime_classes: Fact<Vec<RuntimeClassInfo>>,
    pub nodes: Fact<Vec<NodeInfo>>,
    pub pods: Fact<Vec<PodInfo>>,
    pub workloads: Fact<Vec<WorkloadInfo>>,
    pub events: Fact<Vec<EventInfo>>,
    pub hpas: Fact<Vec<HpaInfo>>,
    /// metrics.k8s.io; `NotFound` when the API is not served.
    pub pod_metrics: Fact<Vec<PodMetricsInfo>>,
    /// Logs of Wasm pods' running containers (bounded by `limitBytes`/`tailLines`).
    pub logs: Vec<ContainerLog>,
    /// Whether KEDA's `keda.sh/v1alpha1` ScaledObject API is served; `None` when unknown.
    #[serde(default)]
    pub keda: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeClassInfo {
    pub name: String,
    pub handler: String,
    pub node_selector: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub name: String,
    pub labels: BTreeMap<String, String>,
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
    /// Bytes returned (at most the requested limit); 0 means the container has written nothing.
    pub bytes: Fact<u64>,
    /// The returned tail, for signature matching (at most a few KiB).
    pub tail: String,
}
