//! The agent's loop: the node checks, then `WasmReady` on the Node, every interval (or once). One
//! line per run goes to `say`. A run that cannot publish is said and retried sooner (5 s, doubling
//! up to the interval, ±20 %); with `--once` it is exit 1. SIGTERM or SIGINT sets the condition
//! `Unknown` and ends with 0.

use std::time::Duration;

use anyhow::Context;

use super::{CONDITION, WasmReady, condition, publish, serve};
use crate::collect::{self, CollectOptions, cluster::ClusterOptions};
use crate::engine::{self, Selection};
use crate::exit::ExitStatus;
use crate::policy::Policy;
use crate::rules;

/// What the agent was started with.
pub struct Run {
    pub opts: CollectOptions,
    pub copts: ClusterOptions,
    pub node: String,
    pub policy: Policy,
    pub selection: Selection,
    pub interval: Duration,
    pub once: bool,
    pub listen: Option<std::net::SocketAddr>,
}

pub fn run(r: &Run, say: &mut dyn FnMut(&str) -> anyhow::Result<()>) -> anyhow::Result<ExitStatus> {
    let Run { opts, copts, node, policy, selection, interval, once, listen } = r;
    let (interval, once, node) = (*interval, *once, node.as_str());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, std::sync::Arc::clone(&stop)).context("installing the signal handler")?;
    }
    let served = std::sync::Arc::new(std::sync::Mutex::new(serve::Status::default()));
    if let Some(addr) = *listen {
        let listener = std::net::TcpListener::bind(addr).with_context(|| format!("listening on {addr}"))?;
        serve::serve(listener, std::sync::Arc::clone(&served), interval);
    }
    // After an API error the next try comes sooner: 5 s, doubling, up to the interval, ±20 %.
    let mut backoff = Duration::from_secs(5);
    let mut last_published: Option<i64> = None;
    loop {
        let started = std::time::Instant::now();
        let facts = collect::collect(opts);
        let report = engine::evaluate(&facts, policy, selection, &rules::time::today());
        let cond = condition(&report);
        let published = publish::publish(copts, node, &cond);
        if published.is_ok() {
            last_published = rules::time::epoch(&rules::time::rfc3339(std::time::SystemTime::now()));
        }
        if let Ok(mut s) = served.lock() {
            s.metrics = serve::metrics(&report, started.elapsed(), last_published);
            s.last_run = Some(std::time::Instant::now());
        }
        let line = match &published {
            Ok(()) => format!(
                "{} {} {}={} ({}): {}",
                facts.collected_at, node, CONDITION, cond.status, cond.reason, cond.message
            ),
            Err(e) => format!("{} {} could not publish {}: {e}", facts.collected_at, node, CONDITION),
        };
        say(&line)?;
        if once {
            return Ok(if published.is_ok() { ExitStatus::Clean } else { ExitStatus::Findings });
        }
        let wait = if published.is_ok() {
            backoff = Duration::from_secs(5);
            interval
        } else {
            let jitter = 0.8 + 0.4 * (started.elapsed().subsec_nanos() % 1000) as f64 / 1000.0;
            let wait = backoff.min(interval).mul_f64(jitter);
            backoff = (backoff * 2).min(interval);
            wait
        };
        let next = std::time::Instant::now() + wait;
        while std::time::Instant::now() < next && !stop.load(std::sync::atomic::Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(200));
        }
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            let stopped = WasmReady {
                status: "Unknown",
                reason: "AgentStopped".into(),
                message: "wasmdoctor's agent on this node stopped; the condition is not kept up to date".into(),
            };
            let said = match publish::publish(copts, node, &stopped) {
                Ok(()) => format!("{node} {}=Unknown (AgentStopped)", CONDITION),
                Err(e) => format!("{node} could not mark {} Unknown on stopping: {e}", CONDITION),
            };
            say(&said)?;
            return Ok(ExitStatus::Clean);
        }
    }
}
