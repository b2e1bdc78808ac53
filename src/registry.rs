//! The registry: every check wasmdoctor runs, one line each, in display order: its ID and slug,
//! its catalog entry (`checks/WDnnn-slug.toml`, embedded; a missing file does not build), the
//! function that decides it (whose shape says which sources it needs), and the planner of its
//! automatic fix. The catalog, the engine, `list`, the TUI and `fix` all read this; IDs reserved
//! but not built yet are in `RESERVED`.

use crate::checks::{Ctx, Outcome, cluster, containerd, docker, node};
use crate::facts::{ClusterFacts, ContainerdLive, DockerFacts, NodeFacts, SourceKind};
use crate::plan::{self, Planner};

pub struct Check {
    pub id: &'static str,
    pub slug: &'static str,
    /// `checks/<id>-<slug>.toml`.
    pub entry: &'static str,
    pub run: Run,
    /// The planner of its automatic fix, when wasmdoctor has one.
    pub fix: Option<Planner>,
}

/// How a check is run, and so which sources it needs: the engine runs it only when those were
/// collected, and passes them in.
pub enum Run {
    Node(fn(&Ctx, &NodeFacts) -> Outcome),
    /// Reads the running machine (its `/run`, its processes): `skip` on an offline copy.
    LiveNode(fn(&Ctx, &NodeFacts) -> Outcome),
    NodeAndDaemon(fn(&Ctx, &NodeFacts, &ContainerdLive) -> Outcome),
    /// Also reads this node's runtimes (node, containerd) when they are there.
    Cluster(fn(&Ctx, &ClusterFacts) -> Outcome),
    Docker(fn(&Ctx, &DockerFacts) -> Outcome),
    /// Reports on a source's own health, so it runs whatever arrived; it reads these sources.
    Health(&'static [SourceKind], fn(&Ctx) -> Outcome),
}

impl Run {
    /// The sources that must have been collected for the check to decide.
    pub fn needs(&self) -> &'static [SourceKind] {
        match self {
            Run::Node(_) | Run::LiveNode(_) => &[SourceKind::Node],
            Run::NodeAndDaemon(_) => &[SourceKind::Node, SourceKind::Containerd],
            Run::Cluster(_) => &[SourceKind::Cluster],
            Run::Docker(_) => &[SourceKind::Docker],
            Run::Health(..) => &[],
        }
    }

    /// The sources it reads when they are there.
    pub fn reads(&self) -> &'static [SourceKind] {
        match self {
            Run::Cluster(_) => &[SourceKind::Node, SourceKind::Containerd],
            Run::Health(reads, _) => reads,
            _ => &[],
        }
    }
}

impl Check {
    /// Every source whose arrival the check waits for (the TUI runs it once all are in).
    pub fn waits_for(&self) -> impl Iterator<Item = SourceKind> {
        self.run.needs().iter().chain(self.run.reads()).copied()
    }

    /// Whether it needs a running daemon or the cluster to decide anything (a host root on disk
    /// alone never makes it pass or fail).
    pub fn needs_live(&self) -> bool {
        matches!(self.run, Run::LiveNode(_)) || self.waits_for().any(|s| s != SourceKind::Node)
    }
}

/// `check!("WD204", "crun-pod-annotations", Node(wd204…::check), fix wd204…::plan)`.
macro_rules! check {
    ($id:literal, $slug:literal, $run:expr) => {
        check!(@ $id, $slug, $run, None)
    };
    ($id:literal, $slug:literal, $run:expr, fix $planner:expr) => {
        check!(@ $id, $slug, $run, Some($planner as Planner))
    };
    (@ $id:literal, $slug:literal, $run:expr, $fix:expr) => {
        Check {
            id: $id,
            slug: $slug,
            entry: include_str!(concat!("../checks/", $id, "-", $slug, ".toml")),
            run: $run,
            fix: $fix,
        }
    };
}

use Run::{Cluster, Docker, Health, LiveNode, Node, NodeAndDaemon};

/// Every implemented check, in display order.
#[rustfmt::skip]
pub static CHECKS: &[Check] = &[
    check!("WD101", "crun-installed", Node(node::wd101_crun_installed::check)),
    check!("WD102", "crun-version", Node(node::wd102_crun_version::check)),
    check!("WD103", "crun-wasm-handler", Node(node::wd103_crun_wasm_handler::check)),
    check!("WD104", "wasmedge-installed", Node(node::wd104_wasmedge_installed::check)),
    check!("WD105", "shim-binaries", Node(node::wd105_shim_binaries::check)),
    check!("WD106", "wasi-socket-support", Node(node::wd106_wasi_socket_support::check)),
    check!("WD107", "cgroup-v2", Node(node::wd107_cgroup_v2::check)),
    check!("WD108", "shim-systemd-dbus", LiveNode(node::wd108_shim_systemd_dbus::check)),
    check!("WD109", "node-smoke", Health(&[SourceKind::Node, SourceKind::Containerd], node::wd109_node_smoke::check)),
    check!("WD201", "containerd-config", Node(containerd::wd201_containerd_config::check)),
    check!("WD202", "wasm-runtime-configured", Node(containerd::wd202_wasm_runtime_configured::check), fix plan::wd202_declare_runtime::plan),
    check!("WD203", "config-schema-mismatch", Node(containerd::wd203_config_schema_mismatch::check), fix plan::wd203_move_ignored::plan),
    check!("WD204", "crun-pod-annotations", Node(containerd::wd204_crun_pod_annotations::check), fix plan::wd204_pod_annotations::plan),
    check!("WD205", "generated-config-edited", Node(containerd::wd205_generated_config_edited::check), fix plan::wd205_into_template::plan),
    check!("WD206", "containerd-running", Health(&[SourceKind::Node, SourceKind::Containerd], containerd::wd206_containerd_running::check)),
    check!("WD207", "config-drift", NodeAndDaemon(containerd::wd207_config_drift::check), fix plan::wd207_restart::plan),
    check!("WD208", "shim-cgroup-driver", Node(containerd::wd208_shim_cgroup_driver::check), fix plan::wd208_systemd_cgroup::plan),
    check!("WD209", "shim-binaryname-ignored", Node(containerd::wd209_shim_binaryname_ignored::check)),
    check!("WD210", "cri-local-image-pull", Node(containerd::wd210_cri_local_image_pull::check)),
    check!("WD211", "kubelet-runtime-endpoint", Node(containerd::wd211_kubelet_runtime_endpoint::check)),
    check!("WD212", "orphaned-shims", NodeAndDaemon(containerd::wd212_orphaned_shims::check)),
    check!("WD213", "template-frozen-copy", Node(containerd::wd213_template_frozen_copy::check), fix plan::wd213_extend_base::plan),
    check!("WD301", "runtimeclass-present", Cluster(cluster::wd301_runtimeclass_present::check), fix plan::wd301_runtime_classes::plan),
    check!("WD302", "runtimeclass-handler-unknown", Cluster(cluster::wd302_runtimeclass_handler_unknown::check)),
    check!("WD303", "workload-runtimeclass-missing", Cluster(cluster::wd303_workload_runtimeclass_missing::check), fix plan::wd301_runtime_classes::plan),
    check!("WD304", "wasm-annotation", Cluster(cluster::wd304_wasm_annotation::check), fix plan::wd304_annotate_owners::plan),
    check!("WD305", "empty-logs", Cluster(cluster::wd305_empty_logs::check)),
    check!("WD306", "wasm-socket-errors", Cluster(cluster::wd306_wasm_socket_errors::check)),
    check!("WD307", "hpa-metric-source", Cluster(cluster::wd307_hpa_metric_source::check), fix plan::wd307_scaled_object::plan),
    check!("WD308", "wasm-pod-failures", Cluster(cluster::wd308_wasm_pod_failures::check)),
    check!("WD309", "wasm-image-pull", Cluster(cluster::wd309_wasm_image_pull::check)),
    check!("WD310", "runtimeclass-nodes", Cluster(cluster::wd310_runtimeclass_nodes::check)),
    check!("WD311", "cluster-smoke", Health(&[SourceKind::Cluster], cluster::wd311_cluster_smoke::check)),
    check!("WD401", "docker-engine", Health(&[SourceKind::Docker], docker::wd401_docker_engine::check)),
    check!("WD402", "docker-containerd-store", Docker(docker::wd402_docker_containerd_store::check)),
    check!("WD403", "docker-wasm-shim", Docker(docker::wd403_docker_wasm_shim::check)),
    check!("WD404", "docker-spin-shim", Docker(docker::wd404_docker_spin_shim::check)),
];

/// Catalog IDs reserved (DESIGN §3) but not built in this version: `--only`, `--skip` and
/// suppressions accept them; `explain` says they are not implemented yet.
pub const RESERVED: &[(&str, &str)] = &[];

/// The registered check of this ID (any case).
pub fn find(id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.id.eq_ignore_ascii_case(id))
}
