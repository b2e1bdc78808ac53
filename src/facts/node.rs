//! The node's facts: the containerd config the distribution really reads, crun, WasmEdge, the
//! shims as containerd resolves them, containerd's process and the kubelet's cgroup driver.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Fact;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeFacts {
    /// The node's CPU architecture as `uname -m` says it (`x86_64`, `aarch64`).
    pub arch: String,
    pub containerd_config: ContainerdConfig,
    pub containerd: ContainerdHost,
    /// The k3s or RKE2 binary and its version (`v1.28.5+k3s1`), on those distributions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution_binary: Option<VersionedBinary>,
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
    /// The cgroup hierarchy the node runs (runwasi shims' libcontainer may lack v1 support).
    #[serde(default = "super::not_collected")]
    pub cgroup: Fact<Cgroup>,
    /// The D-Bus system bus socket (the shims' systemd cgroup manager talks to systemd over it).
    #[serde(default = "super::not_collected")]
    pub system_bus: Fact<SystemBus>,
    /// The CRI endpoint the kubelet talks to, and where that is set.
    #[serde(default = "super::not_collected")]
    pub kubelet_endpoint: Fact<KubeletEndpoint>,
    /// Every containerd process (a node may run more than one: a distribution's own and a
    /// system one).
    #[serde(default)]
    pub containerd_processes: Vec<Process>,
    /// Running Wasm shim processes (`containerd-shim-<engine>-v<N>`, not runc's), from procfs.
    #[serde(default)]
    pub shim_processes: Vec<Process>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubeletEndpoint {
    /// `unix:///run/containerd/containerd.sock`.
    pub endpoint: String,
    /// `--container-runtime-endpoint` in /proc/812/cmdline, `/var/lib/kubelet/config.yaml:12`, …
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cgroup {
    pub mode: CgroupMode,
    /// What showed it: `statfs(/sys/fs/cgroup) is cgroup2`, `/sys/fs/cgroup/cgroup.controllers exists`, …
    pub evidence: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CgroupMode {
    /// cgroup v2 only.
    Unified,
    /// v1 controllers, with a v2 hierarchy at `/sys/fs/cgroup/unified`.
    Hybrid,
    /// v1 only.
    Legacy,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemBus {
    /// `/run/dbus/system_bus_socket`.
    pub path: String,
    pub state: BusState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum BusState {
    Missing,
    /// Something other than a socket is at the path.
    NotASocket,
    /// A socket file, not connected to (the host root is not the running machine).
    Present,
    /// A connection was accepted.
    Answers,
    Refuses {
        reason: String,
    },
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
    /// Set when the imports named more files than wasmdoctor reads (this many): the rest is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_cut: Option<usize>,
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
    /// A template without a `version` line that renders the distribution's base: the version of
    /// what it renders, and how that is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rendered_version: Option<RenderedVersion>,
    /// `use_local_image_pull` under `plugins."io.containerd.cri.v1.images"`, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_image_pull: Option<Setting>,
    /// A k3s/RKE2 template that is a frozen copy of a generated config: what it pins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen_copy: Option<FrozenCopy>,
}

/// What a k3s/RKE2 template without `{{ template "base" . }}` pins of one k3s release, each with
/// its 1-based line (`rules::k3s_template`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrozenCopy {
    pub pinned: Vec<Pinned>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pinned {
    pub line: u32,
    /// What it is: `the header k3s writes into the file it generates`, …
    pub what: String,
    /// The line as written (trimmed).
    pub text: String,
}

/// A boolean key's value and its 1-based line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    pub value: bool,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedVersion {
    pub version: i64,
    /// `the generated config.toml is version 3`, `k3s renders config-v3.toml.tmpl as version 3`, …
    pub because: String,
}

impl ConfigFile {
    /// The schema version containerd reads this file's tables with: its `version` line, else the
    /// version its base template renders, else 1.
    pub fn effective_version(&self) -> i64 {
        self.version.or(self.rendered_version.as_ref().map(|r| r.version)).unwrap_or(1)
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
}

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
    /// Why the path cannot be resolved when that is not "it does not exist" (a symlink loop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// `crun --version`, parsed.
    pub version: Fact<CrunVersion>,
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
    pub cli: Option<VersionedBinary>,
    /// `libwasmedge.so.0` wherever found (ld.so paths or `~/.wasmedge/lib`).
    pub library: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionedBinary {
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
    Elf {
        machine: String,
    },
    /// An ELF file the kernel will not run (truncated, no program headers).
    BrokenElf {
        machine: String,
        reason: String,
    },
    Script {
        interpreter: String,
    },
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerdHost {
    pub process: Fact<Process>,
    /// `containerd --version` of the binary on the node, when present.
    pub binary: Option<VersionedBinary>,
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
