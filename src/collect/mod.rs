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

pub fn collect(opts: &CollectOptions) -> Facts {
    let started = Instant::now();
    let host = host::HostRoot::new(&opts.host_root);
    let node_name = opts
        .node_name
        .clone()
        .or_else(|| host.read_to_string("/etc/hostname").ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()));
    let timeout = opts.source_timeout;
    // Sources stop themselves a little before the common deadline, so that their own, more precise
    // reason ("accepted the connection but did not answer") arrives rather than the generic one.
    let inner = timeout.mul_f64(0.9);
    let node = opts.node.then(|| {
        let node_opts = node::NodeOptions {
            host: host.clone(),
            exec_timeout: opts.exec_timeout,
            arch: std::env::consts::ARCH.to_string(),
        };
        spawn_source("node", move || node::collect(&node_opts))
    });
    let containerd = opts.node.then(|| {
        let (on_disk, address) = containerd_socket(&host, opts.containerd_address.as_deref());
        spawn_source("containerd", move || {
            block_on(async move { containerd_live::collect(&on_disk, &address, inner).await })
        })
    });
    let docker = opts.docker.then(|| {
        let host = host.clone();
        let url = opts.docker_host.clone().unwrap_or_else(docker::default_host);
        spawn_source("docker", move || block_on(async move { docker::collect(&host, &url, inner).await }))
    });
    let cluster = opts.cluster.then(|| {
        let copts = cluster::ClusterOptions {
            kubeconfig: opts.kubeconfig.clone(),
            context: opts.context.clone(),
            timeout: inner,
        };
        spawn_source("cluster", move || block_on(async move { cluster::collect(&copts).await }))
    });
    // All sources run at once; each gets the same deadline.
    let deadline = started + timeout;
    let node = match node {
        Some(rx) => wait("node", rx, deadline, timeout),
        None => Fact::unavailable(MissingKind::NotRequested, "`--no-node` was given"),
    };
    let containerd = match containerd {
        Some(rx) => flatten(wait("containerd", rx, deadline, timeout)),
        None => Fact::unavailable(MissingKind::NotRequested, "`--no-node` was given"),
    };
    let docker = match docker {
        Some(rx) => flatten(wait("docker", rx, deadline, timeout)),
        None => Fact::unavailable(MissingKind::NotRequested, "`--no-docker` was given"),
    };
    let cluster = match cluster {
        Some(rx) => flatten(wait("cluster", rx, deadline, timeout)),
        None => Fact::unavailable(MissingKind::NotRequested, "`--no-cluster` was given"),
    };
    Facts {
        schema_version: FACTS_SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        collected_at: rfc3339(SystemTime::now()),
        collect_ms: started.elapsed().as_millis() as u64,
        host_root: opts.host_root.display().to_string(),
        node_name,
        live: host.is_live() || opts.containerd_address.is_some(),
        node,
        containerd,
        docker,
        cluster,
    }
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

fn flatten<T>(f: Fact<Fact<T>>) -> Fact<T> {
    match f {
        Fact::Collected(inner) => inner,
        Fact::Unavailable(m) => Fact::Unavailable(m),
    }
}

/// Start a source on its own thread; its result arrives on the returned channel.
fn spawn_source<T: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<mpsc::Receiver<T>, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name(format!("collect-{name}"))
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map(|_| rx)
        .map_err(|e| format!("could not start the {name} collector: {e}"))
}

/// Wait for a source until the common deadline; past it the result is abandoned (the source's own
/// calls carry shorter timeouts, so its thread does not linger long).
fn wait<T>(name: &str, rx: Result<mpsc::Receiver<T>, String>, deadline: Instant, timeout: Duration) -> Fact<T> {
    let rx = match rx {
        Ok(rx) => rx,
        Err(e) => return Fact::unavailable(MissingKind::Failed, e),
    };
    match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(v) => Fact::Collected(v),
        Err(mpsc::RecvTimeoutError::Timeout) => Fact::unavailable(
            MissingKind::Timeout,
            format!("the {name} source did not finish within {}s", timeout.as_secs_f32()),
        ),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Fact::unavailable(MissingKind::Failed, format!("the {name} collector stopped without a result"))
        }
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
    fn slow_source_times_out() {
        let rx = spawn_source("slow", || std::thread::sleep(Duration::from_secs(2)));
        let t = Duration::from_millis(50);
        let f: Fact<()> = wait("slow", rx, Instant::now() + t, t);
        assert!(matches!(f, Fact::Unavailable(m) if m.kind == MissingKind::Timeout));
    }
}
