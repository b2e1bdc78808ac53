//! `wasmdoctor smoke` and `check --smoke`: the node's smoke (WD109), the cluster's (WD311), or
//! both, with Ctrl-C and SIGTERM ending a run cleanly (what it created is still deleted) and its
//! progress on stderr.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context;

use crate::cli::SmokeArgs;
use crate::facts::Facts;
use crate::policy::Policy;
use crate::report::Report;
use crate::{collect, engine, report, rules, smoke};

const NODE_TIMEOUT: u64 = 60;
const CLUSTER_TIMEOUT: u64 = 300;

/// Which smoke runs, and how.
pub(crate) struct Wanted {
    pub node: bool,
    pub cluster: bool,
    pub runtime: Option<String>,
    pub nodes: Vec<String>,
    pub runtime_classes: Vec<String>,
    pub timeout: Option<u64>,
}

/// Run what `wanted` asks into `facts`.
pub(crate) fn prove(
    opts: &collect::CollectOptions,
    facts: &mut Facts,
    policy: &Policy,
    wanted: &Wanted,
) -> anyhow::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut ids = Vec::new();
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        ids.push(signal_hook::flag::register(sig, Arc::clone(&stop)).context("installing the signal handler")?);
    }
    let say = |line: String| eprintln!("wasmdoctor: smoke: {}", report::escape::line(&line));
    if wanted.node && !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let options = smoke::SmokeOptions {
            runtime: wanted.runtime.clone(),
            timeout: Duration::from_secs(wanted.timeout.unwrap_or(NODE_TIMEOUT)),
        };
        facts.node_smoke = smoke::node(opts, facts, &options, &stop, &say);
    }
    if wanted.cluster && !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let options = smoke::cluster::Options {
            cluster: opts.cluster_options(),
            runtime_classes: wanted.runtime_classes.clone(),
            nodes: wanted.nodes.clone(),
            timeout: Duration::from_secs(wanted.timeout.unwrap_or(CLUSTER_TIMEOUT)),
            smoke: policy.smoke.clone(),
        };
        facts.cluster_smoke = smoke::cluster::run(&options, facts, &stop, &say);
    }
    for id in ids {
        signal_hook::low_level::unregister(id);
    }
    Ok(())
}

/// `wasmdoctor smoke [--cluster]`: the facts the run needs, the run, and its check's verdict (the
/// report holds only WD109, or WD311, unless `--only` names checks).
pub(crate) fn command(
    base: &collect::CollectOptions,
    policy: &Policy,
    selection: &engine::Selection,
    args: &SmokeArgs,
) -> anyhow::Result<Report> {
    let mut facts = if args.cluster {
        // Nodes and RuntimeClasses are all the cluster smoke reads.
        let mut facts = collect::collect(&collect::CollectOptions { cluster: false, docker: false, ..base.clone() });
        facts.cluster = collect::fleet(base);
        facts
    } else {
        collect::collect(&collect::CollectOptions { cluster: false, docker: false, ..base.clone() })
    };
    let wanted = Wanted {
        node: !args.cluster,
        cluster: args.cluster,
        runtime: args.runtime.clone(),
        nodes: args.nodes.clone(),
        runtime_classes: args.runtime_classes.clone(),
        timeout: args.smoke_timeout,
    };
    prove(base, &mut facts, policy, &wanted)?;
    let id = if args.cluster { "WD311" } else { "WD109" };
    let only = if selection.only.is_empty() { vec![id.to_string()] } else { selection.only.clone() };
    let selection = engine::Selection { only, skip: selection.skip.clone() };
    Ok(engine::evaluate(&facts, policy, &selection, &rules::time::today()))
}
