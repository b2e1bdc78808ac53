//! `wasmdoctor fleet`: every node's Wasm readiness from the API, without logging into any node. Per
//! node: the `WasmReady` condition the agent publishes (and how old its heartbeat is), the runtime
//! handlers the kubelet reports, the container runtime, installer labels, and which Wasm
//! RuntimeClasses can schedule there. Failures first. Without the agent, handlers and labels only,
//! and it says what the agent would add.

use serde::Serialize;

use crate::facts::{ClusterFacts, NodeInfo};
use crate::report::escape::line;
use crate::rules::kube::{installer_label, schedulable};
use crate::rules::time::epoch;
use crate::rules::wasm::looks_wasm_name;

/// A heartbeat older than three of the agent's default intervals (5 min) is stale.
pub const STALE_AFTER_SECONDS: i64 = 15 * 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeRow {
    pub name: String,
    /// `ready`, `not-ready`, `stale` or `unknown`.
    pub verdict: &'static str,
    /// `WasmReady`'s status, reason and message, when an agent published it.
    pub wasm_ready: Option<String>,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub heartbeat_age_seconds: Option<i64>,
    /// Check IDs named in the condition's message.
    pub failing: Vec<String>,
    /// `status.runtimeHandlers`; `None` when the kubelet does not report them.
    pub handlers: Option<Vec<String>>,
    pub container_runtime: Option<String>,
    pub installer_labels: Vec<String>,
    /// Wasm RuntimeClasses whose scheduling lets pods onto this node.
    pub runtime_classes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fleet {
    pub nodes: Vec<NodeRow>,
    /// How many nodes have an agent's `WasmReady`; without any, what the agent would add is said.
    pub with_agent: usize,
}

impl NodeRow {
    /// A node the cluster says nothing about beyond its name, for the UI's tests.
    #[cfg(test)]
    pub(crate) fn bare(name: &str, verdict: &'static str) -> NodeRow {
        NodeRow {
            name: name.into(),
            verdict,
            wasm_ready: None,
            reason: None,
            message: None,
            heartbeat_age_seconds: None,
            failing: vec![],
            handlers: None,
            container_runtime: None,
            installer_labels: vec![],
            runtime_classes: vec![],
        }
    }
}

/// The fleet as the cluster shows it at `now` (seconds since the epoch).
pub fn view(c: &ClusterFacts, now: i64) -> Fleet {
    let nodes = c.nodes.collected().map(Vec::as_slice).unwrap_or(&[]);
    let rcs = c.runtime_classes.collected().map(Vec::as_slice).unwrap_or(&[]);
    let wasm_rcs: Vec<_> = rcs.iter().filter(|r| looks_wasm_name(&r.handler) || looks_wasm_name(&r.name)).collect();
    let mut rows: Vec<NodeRow> = nodes.iter().map(|n| row(n, &wasm_rcs, now)).collect();
    let rank = |v: &str| match v {
        "not-ready" => 0,
        "stale" => 1,
        "unknown" => 2,
        _ => 3,
    };
    rows.sort_by(|a, b| rank(a.verdict).cmp(&rank(b.verdict)).then_with(|| a.name.cmp(&b.name)));
    let with_agent = rows.iter().filter(|r| r.wasm_ready.is_some()).count();
    Fleet { nodes: rows, with_agent }
}

fn row(n: &NodeInfo, wasm_rcs: &[&crate::facts::RuntimeClassInfo], now: i64) -> NodeRow {
    let w = n.wasm_ready.as_ref();
    let age = w.and_then(|w| w.heartbeat.as_deref()).and_then(epoch).map(|t| now - t);
    let verdict = match (w.map(|w| w.status.as_str()), age) {
        (Some(_), Some(a)) if a > STALE_AFTER_SECONDS => "stale",
        (Some("True"), _) => "ready",
        (Some("False"), _) => "not-ready",
        _ => "unknown",
    };
    let failing = w
        .and_then(|w| w.message.as_deref())
        .map(|m| {
            m.split(|ch: char| !ch.is_ascii_alphanumeric())
                .filter(|t| t.len() == 5 && t.starts_with("WD") && t[2..].bytes().all(|b| b.is_ascii_digit()))
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let mut labels: Vec<String> = wasm_rcs.iter().filter_map(|rc| installer_label(&n.labels, &rc.handler)).collect();
    labels.sort();
    labels.dedup();
    NodeRow {
        name: n.name.clone(),
        verdict,
        wasm_ready: w.map(|w| w.status.clone()),
        reason: w.and_then(|w| w.reason.clone()),
        message: w.and_then(|w| w.message.clone()),
        heartbeat_age_seconds: age,
        failing,
        handlers: n.runtime_handlers.clone(),
        container_runtime: n.runtime_version.clone(),
        installer_labels: labels,
        runtime_classes: wasm_rcs.iter().filter(|rc| schedulable(rc, n)).map(|rc| rc.name.clone()).collect(),
    }
}

/// What a node without the agent lacks, and how to get it.
pub const WITHOUT_AGENT: &str = "only its reported handlers and labels are known; the agent (`kubectl apply -f deploy/`) would publish WasmReady: the node checks' verdict (crun, shims, the containerd config) and the IDs that fail";

/// The text view: a line per node, failures first, and a closing count.
pub fn render(f: &Fleet) -> String {
    let mut out = String::new();
    for r in &f.nodes {
        let mark = match r.verdict {
            "ready" => "✓",
            "not-ready" => "✗",
            "stale" => "!",
            _ => "?",
        };
        let mut parts = vec![format!("{mark} {}", line(&r.name))];
        match (&r.wasm_ready, r.heartbeat_age_seconds) {
            (Some(s), age) => parts.push(format!(
                "WasmReady={s}{}{}",
                r.reason.as_deref().map(|x| format!(" ({})", line(x))).unwrap_or_default(),
                age.map(|a| format!(", heartbeat {}{}", ago(a), if r.verdict == "stale" { " (stale)" } else { "" }))
                    .unwrap_or_default()
            )),
            (None, _) => parts.push("no WasmReady (no agent)".into()),
        }
        parts.push(match &r.handlers {
            Some(h) => format!("handlers: {}", line(&h.join(", "))),
            None => "handlers: not reported".into(),
        });
        if let Some(rt) = &r.container_runtime {
            parts.push(line(rt).into_owned());
        }
        if !r.installer_labels.is_empty() {
            parts.push(format!("labels: {}", line(&r.installer_labels.join(", "))));
        }
        if !r.runtime_classes.is_empty() {
            parts.push(format!("RuntimeClasses: {}", line(&r.runtime_classes.join(", "))));
        }
        out += &parts.join(" · ");
        out.push('\n');
        if r.verdict == "not-ready"
            && let Some(m) = &r.message
        {
            out += &format!("    {}\n", line(m));
        }
    }
    let count = |v: &str| f.nodes.iter().filter(|r| r.verdict == v).count();
    out += &format!(
        "{} nodes: {} ready, {} not ready, {} stale, {} unknown\n",
        f.nodes.len(),
        count("ready"),
        count("not-ready"),
        count("stale"),
        count("unknown")
    );
    if f.with_agent < f.nodes.len() {
        out += &format!(
            "{} of {} nodes have no WasmReady: only their reported handlers are known; `kubectl apply -f deploy/` runs the agent that publishes it\n",
            f.nodes.len() - f.with_agent,
            f.nodes.len()
        );
    }
    out
}

/// A heartbeat's age as people say it: `30s ago`, `12m ago`, `3h ago`.
pub fn ago(seconds: i64) -> String {
    match seconds {
        s if s < 120 => format!("{s}s ago"),
        s if s < 7200 => format!("{}m ago", s / 60),
        s => format!("{}h ago", s / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{cluster_facts, node_info, rc};
    use crate::facts::{Fact, WasmReady};

    #[test]
    fn failures_first_stale_marked_agentless_said() {
        let now = 1_800_000_000;
        let hb = |secs_ago: i64| {
            crate::rules::time::rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_secs((now - secs_ago) as u64))
        };
        let mut ok = node_info("a-ready", &[], Some(&["runc", "spin"]));
        ok.wasm_ready = Some(WasmReady {
            status: "True".into(),
            reason: Some("NodeChecksPass".into()),
            message: None,
            heartbeat: Some(hb(60)),
        });
        let mut bad = node_info("b-broken", &[], Some(&["runc"]));
        bad.wasm_ready = Some(WasmReady {
            status: "False".into(),
            reason: Some("WD202WasmRuntimeConfigured".into()),
            message: Some("WD202, WD105 fail: no Wasm runtime".into()),
            heartbeat: Some(hb(30)),
        });
        let mut old = node_info("c-old", &[], None);
        old.wasm_ready =
            Some(WasmReady { status: "True".into(), reason: None, message: None, heartbeat: Some(hb(3600)) });
        let bare = node_info("d-bare", &[("spin", "provisioned")], None);
        let mut c = cluster_facts(vec![], vec![], vec![], vec![rc("wasmtime-spin-v2", "spin")]);
        c.nodes = Fact::Collected(vec![ok, bad, old, bare]);
        let f = view(&c, now);
        let order: Vec<(&str, &str)> = f.nodes.iter().map(|r| (r.name.as_str(), r.verdict)).collect();
        assert_eq!(order, [("b-broken", "not-ready"), ("c-old", "stale"), ("d-bare", "unknown"), ("a-ready", "ready")]);
        assert_eq!(f.nodes[0].failing, ["WD202", "WD105"]);
        assert_eq!(f.nodes[2].installer_labels, ["spin=provisioned"]);
        assert_eq!(f.nodes[0].runtime_classes, ["wasmtime-spin-v2"]);
        let text = render(&f);
        assert!(
            text.starts_with(
                "✗ b-broken · WasmReady=False (WD202WasmRuntimeConfigured), heartbeat 30s ago · handlers: runc"
            ),
            "{text}"
        );
        assert!(text.contains("! c-old · WasmReady=True, heartbeat 60m ago (stale)"), "{text}");
        assert!(
            text.contains("4 nodes: 1 ready, 1 not ready, 1 stale, 1 unknown\n1 of 4 nodes have no WasmReady"),
            "{text}"
        );
    }
}
