//! Collectors: all I/O lives here. Each source runs on its own thread with a timeout and returns
//! plain data (`Facts`); a source that fails or times out becomes an `Unavailable` fact with the reason.

pub mod cluster;
pub mod containerd_config;
pub mod containerd_live;
pub mod docker;
pub mod elf;
pub mod exec;
pub mod host;
pub mod ldso;
pub mod node;
pub mod procfs;
pub mod socket;
pub mod versions;

use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use crate::facts::{FACTS_SCHEMA_VERSION, Fact, Facts, MissingKind};

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
    /// `--docker-host`, else `$DOCKER_HOST`, else the default socket.
    pub docker_host: Option<String>,
    pub source_timeout: Duration,
    pub exec_timeout: Duration,
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

/// A source's result, as it arrives.
enum Arrival {
    Node(Box<Fact<crate::facts::NodeFacts>>),
    Containerd(Fact<crate::facts::ContainerdLive>),
    Docker(Fact<crate::facts::DockerFacts>),
    Cluster(Fact<crate::facts::ClusterFacts>),
}

/// Collection under way: sources report as they finish (the TUI shows each as it arrives), and
/// whatever has not arrived by the common deadline is marked timed out.
pub struct Collection {
    pub facts: Facts,
    pub pending: std::collections::BTreeSet<SourceKind>,
    rx: mpsc::Receiver<Arrival>,
    started: Instant,
    deadline: Instant,
    timeout: Duration,
}

impl Collection {
    pub fn start(opts: &CollectOptions) -> Collection {
        let started = Instant::now();
        let host = host::HostRoot::new(&opts.host_root);
        let node_name = opts.node_name.clone().or_else(|| {
            host.read_to_string("/etc/hostname").ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
        });
        let timeout = opts.source_timeout;
        // Sources stop themselves a little before the common deadline, so that their own, more precise
        // reason ("accepted the connection but did not answer") arrives rather than the generic one.
        let inner = timeout.mul_f64(0.9);
        let (tx, rx) = mpsc::channel();
        let mut pending = std::collections::BTreeSet::new();
        let mut spawn = |kind: SourceKind, f: Box<dyn FnOnce() -> Arrival + Send>| {
            let tx = tx.clone();
            let spawned = std::thread::Builder::new().name(format!("collect-{}", kind.name())).spawn(move || {
                let _ = tx.send(f());
            });
            if spawned.is_ok() {
                pending.insert(kind);
            }
        };
        if opts.node {
            let node_opts = node::NodeOptions {
                host: host.clone(),
                exec_timeout: opts.exec_timeout,
                arch: std::env::consts::ARCH.to_string(),
            };
            spawn(
                SourceKind::Node,
                Box::new(move || Arrival::Node(Box::new(Fact::Collected(node::collect(&node_opts))))),
            );
            let (on_disk, address) = containerd_socket(&host, opts.containerd_address.as_deref());
            spawn(
                SourceKind::Containerd,
                Box::new(move || {
                    Arrival::Containerd(block_on(
                        async move { containerd_live::collect(&on_disk, &address, inner).await },
                    ))
                }),
            );
        }
        if opts.docker {
            let host = host.clone();
            let url = opts.docker_host.clone().unwrap_or_else(docker::default_host);
            spawn(
                SourceKind::Docker,
                Box::new(move || Arrival::Docker(block_on(async move { docker::collect(&host, &url, inner).await }))),
            );
        }
        if opts.cluster {
            let copts = cluster::ClusterOptions {
                kubeconfig: opts.kubeconfig.clone(),
                context: opts.context.clone(),
                timeout: inner,
            };
            spawn(
                SourceKind::Cluster,
                Box::new(move || Arrival::Cluster(block_on(async move { cluster::collect(&copts).await }))),
            );
        }
        let facts = Facts {
            schema_version: FACTS_SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            collected_at: rfc3339(SystemTime::now()),
            collect_ms: 0,
            host_root: opts.host_root.display().to_string(),
            node_name,
            live: host.is_live() || opts.containerd_address.is_some(),
            node: placeholder(pending.contains(&SourceKind::Node), "--no-node"),
            containerd: placeholder(pending.contains(&SourceKind::Containerd), "--no-node"),
            docker: placeholder(pending.contains(&SourceKind::Docker), "--no-docker"),
            cluster: placeholder(pending.contains(&SourceKind::Cluster), "--no-cluster"),
        };
        Collection { facts, pending, rx, started, deadline: started + timeout, timeout }
    }

    /// Wait up to `wait` for the next source; returns the one that arrived (or timed out), `None`
    /// when none did in that time or all are in.
    pub fn next(&mut self, wait: Duration) -> Option<SourceKind> {
        if self.pending.is_empty() {
            return None;
        }
        let now = Instant::now();
        if now >= self.deadline {
            let late = *self.pending.iter().next()?;
            let reason = format!("the {} source did not finish within {}s", late.name(), self.timeout.as_secs_f32());
            match late {
                SourceKind::Node => self.facts.node = Fact::unavailable(MissingKind::Timeout, reason),
                SourceKind::Containerd => self.facts.containerd = Fact::unavailable(MissingKind::Timeout, reason),
                SourceKind::Docker => self.facts.docker = Fact::unavailable(MissingKind::Timeout, reason),
                SourceKind::Cluster => self.facts.cluster = Fact::unavailable(MissingKind::Timeout, reason),
            }
            return Some(self.done(late));
        }
        let arrival = self.rx.recv_timeout(wait.min(self.deadline - now)).ok()?;
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
        Some(self.done(kind))
    }

    fn done(&mut self, kind: SourceKind) -> SourceKind {
        self.pending.remove(&kind);
        if self.pending.is_empty() {
            self.facts.collect_ms = self.started.elapsed().as_millis() as u64;
        }
        kind
    }

    /// Block until every source is in (or timed out) and return the facts.
    pub fn finish(mut self) -> Facts {
        while !self.pending.is_empty() {
            let _ = self.next(self.timeout);
        }
        self.facts
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
            source_timeout: Duration::from_secs(10),
            exec_timeout: Duration::from_secs(2),
        }
    }
}

pub fn collect(opts: &CollectOptions) -> Facts {
    Collection::start(opts).finish()
}

/// What a source's fact holds before it arrives: "still collecting", or why it was left out.
fn placeholder<T>(pending: bool, flag: &str) -> Fact<T> {
    let reason = if pending { "still collecting".to_string() } else { format!("`{flag}` was given") };
    Fact::unavailable(MissingKind::NotRequested, reason)
}

/// The containerd socket: the given address, else the first of the distributions' sockets that
/// exists under the host root (else the default one, to report as missing).
fn containerd_socket(host: &host::HostRoot, given: Option<&str>) -> (std::path::PathBuf, String) {
    const CANDIDATES: &[&str] = &[
        "/run/containerd/containerd.sock",
        "/run/k3s/containerd/containerd.sock",
        "/var/snap/microk8s/common/run/containerd.sock",
    ];
    let address = given
        .map(String::from)
        .or_else(|| CANDIDATES.iter().find(|c| host.exists(c)).map(|c| c.to_string()))
        .unwrap_or_else(|| CANDIDATES[0].to_string());
    (host.resolve(&address), address)
}

/// Run an async source on a single-threaded runtime of its own.
fn block_on<T>(fut: impl std::future::Future<Output = Fact<T>>) -> Fact<T> {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt.block_on(fut),
        Err(e) => Fact::unavailable(MissingKind::Failed, format!("could not start an async runtime: {e}")),
    }
}

/// `2026-11-24T10:00:00Z` for a time, without a date library.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Today's date as `YYYY-MM-DD` (UTC), for suppression expiry.
pub fn today() -> String {
    rfc3339(SystemTime::now())[..10].to_string()
}

// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_514_400);
        assert_eq!(rfc3339(t), "2026-11-24T10:00:00Z");
    }

    #[test]
    fn sources_left_out_are_not_pending() {
        let opts = CollectOptions { node: false, ..CollectOptions::node_only("/nonexistent-host-root", "n") };
        let c = Collection::start(&opts);
        assert!(c.pending.is_empty());
        let f = c.finish();
        assert!(matches!(f.node, Fact::Unavailable(m) if m.reason == "`--no-node` was given"));
    }
}
