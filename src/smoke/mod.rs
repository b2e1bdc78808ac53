//! Proof, not inference: the smoke module run through each Wasm runtime this node's containerd has
//! (`--smoke`, `wasmdoctor smoke`). It creates containers, so it runs only when asked, in the
//! namespace `wasmdoctor`, and deletes everything it created, also after a timeout or Ctrl-C. What
//! it saw becomes `Facts::node_smoke`; WD109 judges it.

pub mod cluster;
mod containerd;
mod fifo;
pub mod image;
mod spec;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use crate::collect::CollectOptions;
use crate::collect::host::HostRoot;
use crate::facts::{Fact, Facts, MissingKind, Route, SmokeRun};
use crate::rules::containerd::classify;

pub use containerd::NAMESPACE;

/// What `--smoke` was asked for.
#[derive(Debug, Clone)]
pub struct SmokeOptions {
    /// Only this runtime (`--runtime`).
    pub runtime: Option<String>,
    /// Each runtime's limit, from creating its container to its exit.
    pub timeout: Duration,
}

/// A runtime to run the module through, as containerd loaded it (else as its config declares it).
struct Candidate {
    name: String,
    runtime_type: String,
    binary_name: Option<String>,
    route: Route,
    systemd_cgroup: bool,
}

fn candidates(facts: &Facts) -> Vec<Candidate> {
    let config = facts.node.collected().map(|n| &n.containerd_config);
    let systemd = |name: &str| {
        config.and_then(|c| c.runtimes.iter().find(|r| r.name == name)).and_then(|r| r.systemd_cgroup).unwrap_or(false)
    };
    let loaded = facts.containerd.collected().and_then(|c| c.cri.collected());
    let mut out: Vec<Candidate> = match (loaded, config) {
        (Some(cri), _) => cri
            .runtimes
            .iter()
            .map(|r| Candidate {
                name: r.name.clone(),
                runtime_type: r.runtime_type.clone().unwrap_or_default(),
                binary_name: r.binary_name.clone(),
                route: classify(r.runtime_type.as_deref(), r.runtime_path.as_deref(), r.binary_name.as_deref()),
                systemd_cgroup: systemd(&r.name),
            })
            .collect(),
        (None, Some(c)) => c
            .active_runtimes()
            .map(|r| Candidate {
                name: r.name.clone(),
                runtime_type: r.runtime_type.clone().unwrap_or_default(),
                binary_name: r.binary_name.clone(),
                route: r.route.clone(),
                systemd_cgroup: r.systemd_cgroup.unwrap_or(false),
            })
            .collect(),
        (None, None) => Vec::new(),
    };
    out.retain(|c| matches!(c.route, Route::Shim | Route::Crun));
    out
}

/// Run the module through each Wasm runtime (or `--runtime`'s). Unavailable when containerd
/// cannot be reached; an empty list when it has no Wasm runtime.
/// `progress` hears each runtime's start and end, for a display that streams them.
pub fn node(
    opts: &CollectOptions,
    facts: &Facts,
    smoke: &SmokeOptions,
    stop: &Arc<AtomicBool>,
    progress: &dyn Fn(String),
) -> Fact<Vec<SmokeRun>> {
    let mut runtimes = candidates(facts);
    if let Some(only) = &smoke.runtime {
        runtimes.retain(|c| &c.name == only);
        if runtimes.is_empty() {
            return Fact::unavailable(
                MissingKind::NotFound,
                format!("containerd has no Wasm runtime named `{only}` (`--runtime`)"),
            );
        }
    }
    if runtimes.is_empty() {
        return Fact::Collected(Vec::new());
    }
    let host = HostRoot::new(&opts.host_root);
    let (located, address) = crate::collect::containerd_endpoint(&host, opts.containerd_address.as_deref());
    let on_disk = match located {
        Ok(p) => p,
        Err(m) => return Fact::Unavailable(m),
    };
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return Fact::unavailable(MissingKind::Failed, format!("could not start an async runtime: {e}")),
    };
    rt.block_on(async {
        let channel = match tokio::time::timeout(opts.source_timeout, containerd_client::connect(&on_disk)).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return Fact::unavailable(MissingKind::Failed, format!("cannot connect to {address}: {e}")),
            Err(_) => return Fact::unavailable(MissingKind::Timeout, format!("{address} did not answer in time")),
        };
        let mut runs = Vec::new();
        for c in &runtimes {
            let nonce = nonce();
            let id = format!("smoke-{}-{nonce}", container_safe(&c.name));
            let target = containerd::Target {
                runtime: &c.name,
                runtime_type: &c.runtime_type,
                binary_name: c.binary_name.as_deref().filter(|_| c.route == Route::Crun),
                crun: c.route == Route::Crun,
                systemd_cgroup: c.systemd_cgroup,
                host: &host,
            };
            progress(format!("running the module through `{}` ({})…", c.name, c.runtime_type));
            let started = Instant::now();
            let ran = containerd::run(channel.clone(), &target, &id, &nonce, smoke.timeout, stop).await;
            progress(format!("`{}`: {} in {} ms", c.name, shown(&ran.outcome), started.elapsed().as_millis()));
            runs.push(SmokeRun {
                runtime: c.name.clone(),
                runtime_type: c.runtime_type.clone(),
                route: if c.route == Route::Crun { "crun" } else { "shim" }.into(),
                nonce,
                outcome: ran.outcome,
                stdout: ran.stdout,
                stderr: ran.stderr,
                millis: started.elapsed().as_millis() as u64,
                left_behind: ran.left_behind,
            });
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                break;
            }
        }
        // The namespace goes too when nothing else is in it (containerd refuses otherwise).
        let mut namespaces = containerd_client::services::v1::namespaces_client::NamespacesClient::new(channel.clone());
        let delete =
            namespaces.delete(containerd_client::services::v1::DeleteNamespaceRequest { name: NAMESPACE.into() });
        let _ = tokio::time::timeout(opts.source_timeout, delete).await;
        Fact::Collected(runs)
    })
}

fn shown(o: &crate::facts::SmokeOutcome) -> String {
    use crate::facts::SmokeOutcome::*;
    match o {
        Exited { code } => format!("exited {code}"),
        Failed { step, .. } => format!("the `{step}` step failed"),
        TimedOut { step, .. } => format!("timed out in `{step}`"),
        Interrupted => "interrupted".into(),
    }
}

/// A nonce the module prints: unique to this run (time and process), not a secret.
fn nonce() -> String {
    format!("wd{}", unique_hex(16))
}

/// `len` (at most 16) hex digits unique to this moment and process; not a secret. The cluster smoke's
/// run ID and the node smoke's nonces.
pub(crate) fn unique_hex(len: usize) -> String {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let pid = u64::from(std::process::id());
    let hex = format!("{:016x}", (t.as_nanos() as u64) ^ pid ^ (pid << 40));
    hex[16 - len.min(16)..].to_string()
}

/// A runtime name as part of a container ID (`[A-Za-z0-9_.-]`).
fn container_safe(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-' { c } else { '-' }).collect()
}
