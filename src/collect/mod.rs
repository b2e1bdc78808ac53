//! Collectors: all I/O lives here. Each source runs on its own thread with a timeout and returns
//! plain data (`Facts`); a source that fails or times out becomes an `Unavailable` fact with the reason.

pub mod cluster;
pub mod containerd_config;
pub mod containerd_live;
pub mod docker;
pub mod elf;
pub mod exec;
pub mod host;
pub mod kubelet;
pub mod ldso;
pub mod local;
pub mod node;
pub mod procfs;
pub mod socket;
pub mod system;

use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use crate::facts::{FACTS_SCHEMA_VERSION, Fact, Facts, MissingKind, SourceKind};
use crate::rules::distribution::CONTAINERD_SOCKETS;
use crate::rules::time::rfc3339;

#[derive(Debug, Clone)]
pub struct CollectOptions {
    pub host_root: std::path::PathBuf,
    pub node_name: Option<String>,
    pub node: bool,
    pub docker: bool,
    pub cluster: bool,
    pub kubeconfig: Option<std::path::PathBuf>,
    pub context: Option<String>,
    /// `--containerd-address`: a node path (under the host root); else auto-detected.
    pub containerd_address: Option<String>,
    /// `--docker-host` (else `$DOCKER_HOST`, else the default socket).
    pub docker_host: Option<String>,
    /// `--live`, `--offline`, or decided from the host root.
    pub liveness: Liveness,
    pub source_timeout: Duration,
    pub exec_timeout: Duration,
}

impl CollectOptions {
    /// How to reach the cluster: the kubeconfig and context given, each request bounded by the
    /// source timeout.
    pub fn cluster_options(&self) -> cluster::ClusterOptions {
        cluster::ClusterOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            timeout: self.source_timeout,
        }
    }
}

/// Whether the host root is the running machine: given, or decided by its kernel's boot_id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    Auto,
    Live,
    Offline,
}

const BOOT_ID: &str = "/proc/sys/kernel/random/boot_id";

/// Whether the host root is the running machine, and why. `/` is; another root is when its
/// `proc/sys/kernel/random/boot_id` is ours, i.e. it shows the running kernel's procfs (a
/// DaemonSet's `/host` with the host's `/proc` under it); a copy on disk has none or another.
fn liveness(host: &host::HostRoot, given: Liveness) -> (bool, String) {
    match given {
        Liveness::Live => return (true, "`--live` was given".into()),
        Liveness::Offline => return (false, "`--offline` was given".into()),
        Liveness::Auto if host.is_live() => return (true, "the host root is /".into()),
        Liveness::Auto => {}
    }
    let ours = match std::fs::read_to_string(BOOT_ID) {
        Ok(s) => s.trim().to_string(),
        Err(e) => return (false, format!("this kernel's boot_id cannot be read ({e}): taken as an offline copy")),
    };
    match host.read_to_string(BOOT_ID) {
        Ok(theirs) if theirs.trim() == ours && !ours.is_empty() => {
            (true, "its proc/sys/kernel/random/boot_id is this kernel's: the running machine".into())
        }
        Ok(_) => (false, "its proc/sys/kernel/random/boot_id is another kernel's: an offline copy".into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            (false, "it has no proc/sys/kernel/random/boot_id: an offline copy".into())
        }
        Err(e) => (false, format!("its proc/sys/kernel/random/boot_id cannot be read ({e}): taken as an offline copy")),
    }
}

/// A source's result, as it arrives.
pub enum Arrival {
    Node(Box<Fact<crate::facts::NodeFacts>>),
    Containerd(Fact<crate::facts::ContainerdLive>),
    Docker(Fact<crate::facts::DockerFacts>),
    Cluster(Fact<crate::facts::ClusterFacts>),
}

/// Collection under way: each source runs on its own thread and hands its result to the owner's
/// `deliver` as it finishes (the TUI shows each as it arrives); the owner passes it to `arrive`,
/// and whatever has not arrived by the common deadline is marked timed out by `expire`.
pub struct Collection {
    pub facts: Facts,
    pub pending: std::collections::BTreeSet<SourceKind>,
    started: Instant,
    deadline: Instant,
    timeout: Duration,
}

impl Collection {
    pub fn start(opts: &CollectOptions, deliver: impl Fn(Arrival) + Send + Clone + 'static) -> Collection {
        let started = Instant::now();
        let host = host::HostRoot::new(&opts.host_root);
        let (node_name, node_name_unknown) = node_name(opts, &host);
        let (live, live_because) = liveness(&host, opts.liveness);
        let timeout = opts.source_timeout;
        // Sources stop themselves a little before the common deadline, so that their own, more precise
        // reason ("accepted the connection but did not answer") arrives rather than the generic one.
        let inner = timeout.mul_f64(0.9);
        let mut pending = std::collections::BTreeSet::new();
        let mut spawn = |kind: SourceKind, f: Box<dyn FnOnce() -> Arrival + Send>| {
            let deliver = deliver.clone();
            let spawned =
                std::thread::Builder::new().name(format!("collect-{}", kind.name())).spawn(move || deliver(f()));
            if spawned.is_ok() {
                pending.insert(kind);
            }
        };
        if opts.node {
            let node_opts = node::NodeOptions {
                host: host.clone(),
                exec_timeout: opts.exec_timeout,
                arch: std::env::consts::ARCH.to_string(),
                live,
            };
            spawn(
                SourceKind::Node,
                Box::new(move || Arrival::Node(Box::new(Fact::Collected(node::collect(&node_opts))))),
            );
            let (located, address) = containerd_endpoint(&host, opts.containerd_address.as_deref());
            spawn(
                SourceKind::Containerd,
                Box::new(move || {
                    Arrival::Containerd(match located {
                        Ok(on_disk) => {
                            block_on(async move { containerd_live::collect(&on_disk, &address, inner).await })
                        }
                        Err(m) => Fact::Unavailable(m),
                    })
                }),
            );
        }
        if opts.docker {
            let host = host.clone();
            let (url, named_by) = docker::host(opts.docker_host.as_deref());
            spawn(
                SourceKind::Docker,
                Box::new(move || {
                    Arrival::Docker(block_on(async move { docker::collect(&host, &url, named_by, inner).await }))
                }),
            );
        }
        if opts.cluster {
            let copts = cluster::ClusterOptions { timeout: inner, ..opts.cluster_options() };
            spawn(
                SourceKind::Cluster,
                Box::new(move || {
                    Arrival::Cluster(block_on(async move { cluster::collect(&copts, cluster::Scope::Checks).await }))
                }),
            );
        }
        let facts = Facts {
            schema_version: FACTS_SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            collected_at: rfc3339(SystemTime::now()),
            collect_ms: 0,
            host_root: opts.host_root.display().to_string(),
            node_name,
            node_name_unknown,
            live,
            live_because,
            node: placeholder(pending.contains(&SourceKind::Node), "--no-node"),
            containerd: placeholder(pending.contains(&SourceKind::Containerd), "--no-node"),
            docker: placeholder(pending.contains(&SourceKind::Docker), "--no-docker"),
            cluster: placeholder(pending.contains(&SourceKind::Cluster), "--no-cluster"),
            node_smoke: crate::facts::smoke_not_requested(),
            cluster_smoke: crate::facts::cluster_smoke_not_requested(),
        };
        Collection { facts, pending, started, deadline: started + timeout, timeout }
    }

    /// When every source still pending is given up on.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Mark a source that missed the common deadline as timed out; `None` before the deadline or
    /// when all are in.
    pub fn expire(&mut self, now: Instant) -> Option<SourceKind> {
        if now < self.deadline {
            return None;
        }
        let late = *self.pending.iter().next()?;
        let reason = format!("the {} source did not finish within {}s", late.name(), self.timeout.as_secs_f32());
        match late {
            SourceKind::Node => self.facts.node = Fact::unavailable(MissingKind::Timeout, reason),
            SourceKind::Containerd => self.facts.containerd = Fact::unavailable(MissingKind::Timeout, reason),
            SourceKind::Docker => self.facts.docker = Fact::unavailable(MissingKind::Timeout, reason),
            SourceKind::Cluster => self.facts.cluster = Fact::unavailable(MissingKind::Timeout, reason),
        }
        Some(self.done(late))
    }

    /// Take a source's result in; returns which source it was.
    pub fn arrive(&mut self, arrival: Arrival) -> SourceKind {
        let kind = match arrival {
            Arrival::Node(f) => {
                self.facts.node = *f;
                SourceKind::Node
            }
            Arrival::Containerd(f) => {
                self.facts.containerd = f;
                SourceKind::Containerd
            }
            Arrival::Docker(f) => {
                self.facts.docker = f;
                SourceKind::Docker
            }
            Arrival::Cluster(f) => {
                self.facts.cluster = f;
                SourceKind::Cluster
            }
        };
        self.done(kind)
    }

    fn done(&mut self, kind: SourceKind) -> SourceKind {
        self.pending.remove(&kind);
        if self.pending.is_empty() {
            self.facts.collect_ms = self.started.elapsed().as_millis() as u64;
        }
        kind
    }
}

impl CollectOptions {
    /// Only the node's files and binaries under `host_root` (no daemons, no cluster).
    pub fn node_only(host_root: impl Into<std::path::PathBuf>, node_name: &str) -> CollectOptions {
        CollectOptions {
            host_root: host_root.into(),
            node_name: Some(node_name.to_string()),
            node: true,
            docker: false,
            cluster: false,
            kubeconfig: None,
            context: None,
            containerd_address: None,
            docker_host: None,
            liveness: Liveness::Auto,
            source_timeout: Duration::from_secs(10),
            exec_timeout: Duration::from_secs(2),
        }
    }
}

/// Every source, collected concurrently; blocks until all are in or the deadline has passed.
/// The node's name: `--node`, else the host root's `/etc/hostname`; else why it is not known.
fn node_name(opts: &CollectOptions, host: &host::HostRoot) -> (Option<String>, Option<String>) {
    if let Some(n) = &opts.node_name {
        return (Some(n.clone()), None);
    }
    match host.read_to_string("/etc/hostname") {
        Ok(s) if !s.trim().is_empty() => (Some(s.trim().to_string()), None),
        Ok(_) => (None, Some("`/etc/hostname` is empty".into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (None, Some("no `/etc/hostname`".into())),
        Err(e) => (None, Some(format!("cannot read `/etc/hostname`: {e}"))),
    }
}

pub fn collect(opts: &CollectOptions) -> Facts {
    let (tx, rx) = mpsc::channel();
    let mut collection = Collection::start(opts, move |arrival| {
        let _ = tx.send(arrival);
    });
    while !collection.pending.is_empty() {
        let now = Instant::now();
        if collection.expire(now).is_some() {
            continue;
        }
        match rx.recv_timeout(collection.deadline().saturating_duration_since(now)) {
            Ok(arrival) => {
                collection.arrive(arrival);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            // Every source thread is gone; those that did not deliver time out at the deadline.
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                std::thread::sleep(collection.deadline().saturating_duration_since(now))
            }
        }
    }
    collection.facts
}

/// Binaries run at once, at most (each `--version` is a process of its own).
const PARALLEL: usize = 8;

/// `f` over `items`, on at most `PARALLEL` threads at a time, results in order. An item whose thread
/// cannot start runs inline; one whose thread panicked gets `failed()`.
pub(crate) fn bounded_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync, failed: impl Fn() -> R) -> Vec<R> {
    let mut out = Vec::with_capacity(items.len());
    for chunk in items.chunks(PARALLEL) {
        std::thread::scope(|s| {
            let f = &f;
            let handles: Vec<_> =
                chunk.iter().map(|item| (item, std::thread::Builder::new().spawn_scoped(s, move || f(item)))).collect();
            for (item, handle) in handles {
                out.push(match handle {
                    Ok(h) => h.join().unwrap_or_else(|_| failed()),
                    Err(_) => f(item),
                });
            }
        });
    }
    out
}

/// What a source's fact holds before it arrives: "still collecting", or why it was left out.
fn placeholder<T>(pending: bool, flag: &str) -> Fact<T> {
    let reason = if pending { "still collecting".to_string() } else { format!("`{flag}` was given") };
    Fact::unavailable(MissingKind::NotRequested, reason)
}

/// The containerd socket's node path: the given address, else the first of the distributions'
/// sockets that exists under the host root (else the default one, to report as missing).
/// containerd's socket: where it is on disk (inside the host root) when something answers there,
/// and its node path (`--containerd-address`, else the first of the known places that exists).
pub fn containerd_endpoint(
    host: &host::HostRoot,
    given: Option<&str>,
) -> (Result<std::path::PathBuf, crate::facts::Missing>, String) {
    let address = containerd_socket(host, given);
    let located = socket::locate(host, &address, "containerd")
        .and_then(|p| socket::probe(&p, &address, "containerd").map(|()| p))
        .map_err(|m| match given {
            Some(_) => socket::named(m, "`--containerd-address`", host, &address),
            None => m,
        });
    (located, address)
}

fn containerd_socket(host: &host::HostRoot, given: Option<&str>) -> String {
    given
        .map(String::from)
        .or_else(|| CONTAINERD_SOCKETS.iter().find(|c| host.exists(c)).map(|c| c.to_string()))
        .unwrap_or_else(|| CONTAINERD_SOCKETS[0].to_string())
}

/// Run an async source on a single-threaded runtime of its own.
/// The cluster as the fleet view reads it: Nodes and RuntimeClasses only.
pub fn fleet(opts: &CollectOptions) -> Fact<crate::facts::ClusterFacts> {
    let copts = opts.cluster_options();
    block_on(async move { cluster::collect(&copts, cluster::Scope::Fleet).await })
}

fn block_on<T>(fut: impl std::future::Future<Output = Fact<T>>) -> Fact<T> {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt.block_on(fut),
        Err(e) => Fact::unavailable(MissingKind::Failed, format!("could not start an async runtime: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_left_out_are_not_pending() {
        let opts = CollectOptions { node: false, ..CollectOptions::node_only("/nonexistent-host-root", "n") };
        let c = Collection::start(&opts, |_| {});
        assert!(c.pending.is_empty());
        let f = collect(&opts);
        assert!(matches!(f.node, Fact::Unavailable(m) if m.reason == "`--no-node` was given"));
    }

    /// A host root whose `proc/sys/kernel/random/boot_id` holds `id` (`None`: it has none).
    fn root_with_boot_id(id: Option<&str>) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        if let Some(id) = id {
            let dir = d.path().join("proc/sys/kernel/random");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("boot_id"), format!("{id}\n")).unwrap();
        }
        d
    }

    #[test]
    fn a_host_root_is_live_when_its_kernel_is_ours() {
        let ours = std::fs::read_to_string(BOOT_ID).unwrap();
        let live = |id: Option<&str>, given| liveness(&host::HostRoot::new(root_with_boot_id(id).path()), given);
        assert_eq!(liveness(&host::HostRoot::new("/"), Liveness::Auto), (true, "the host root is /".into()));
        let (yes, why) = live(Some(ours.trim()), Liveness::Auto);
        assert!(yes, "{why}");
        assert_eq!(why, "its proc/sys/kernel/random/boot_id is this kernel's: the running machine");
        let (no, why) = live(Some("5c3f0c39-9a39-4c56-9d0c-0d1f7f5d7c11"), Liveness::Auto);
        assert!(!no && why.contains("another kernel's"), "{why}");
        let (no, why) = live(None, Liveness::Auto);
        assert!(!no && why.contains("has no proc/sys/kernel/random/boot_id"), "{why}");
        // A FIFO where the kernel's file should be is said, not taken for "none".
        let fifo = root_with_boot_id(None);
        std::fs::create_dir_all(fifo.path().join("proc/sys/kernel/random")).unwrap();
        let path =
            std::ffi::CString::new(fifo.path().join("proc/sys/kernel/random/boot_id").to_str().unwrap()).unwrap();
        // SAFETY: mkfifo(3) on a path this test owns.
        assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o644) }, 0);
        let (no, why) = liveness(&host::HostRoot::new(fifo.path()), Liveness::Auto);
        assert!(!no && why.starts_with("its proc/sys/kernel/random/boot_id cannot be read ("), "{why}");
        assert_eq!(live(None, Liveness::Live), (true, "`--live` was given".into()));
        assert_eq!(live(Some(ours.trim()), Liveness::Offline), (false, "`--offline` was given".into()));
    }
}
