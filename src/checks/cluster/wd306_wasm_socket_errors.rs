//! WD306 wasm-socket-errors: no Wasm pod fails on missing socket/DNS imports (`unknown import …
//! sock_…`) in its logs, container messages or events; only WasmEdge provides them (WD106).

use super::{is_wasm_pod, node_handlers, pod_events, pod_logs, pod_ref, shown, some};
use crate::checks::{Ctx, Outcome, gate};
use crate::facts::{ClusterFacts, PodInfo};
use crate::report::{Affected, Evidence};
use crate::rules::signatures::socket_line;
use crate::rules::text::count;

pub fn check(ctx: &Ctx, c: &ClusterFacts) -> Outcome {
    let rcs = or_return!(gate::list(&c.runtime_classes));
    let pods = or_return!(gate::list(&c.pods));
    let handlers = node_handlers(ctx.facts);
    let wasm: Vec<&PodInfo> = pods.iter().filter(|p| is_wasm_pod(p, rcs, handlers.as_ref())).collect();
    if wasm.is_empty() {
        return Outcome::skip("no Wasm pods");
    }
    let (logs, events) = (pod_logs(c), pod_events(c));
    let mut hits: Vec<(Affected, String)> = Vec::new();
    for p in &wasm {
        let key = (p.namespace.as_str(), p.name.as_str());
        let from_logs = logs.get(&key).into_iter().flatten().find_map(|l| socket_line(&l.tail));
        let from_status = p.containers.iter().filter_map(|c| c.message.as_deref()).find_map(socket_line);
        let from_events = events.get(&key).into_iter().flatten().find_map(|e| socket_line(&e.message));
        if let Some(line) = from_logs.or(from_status).or(from_events) {
            hits.push((pod_ref(p), line.trim().to_string()));
        }
    }
    if hits.is_empty() {
        return Outcome::pass(format!(
            "no socket or DNS import errors in the logs and events of {}",
            count(wasm.len(), "Wasm pod")
        ));
    }
    let affected: Vec<Affected> = hits.iter().map(|(a, _)| a.clone()).collect();
    let mut o = Outcome::fail(format!(
            "{} failed on missing WasmEdge socket imports: {} says `{}` (see WD106: only the WasmEdge engine provides them)",
            some(&affected),
            shown(&hits[0].0),
            hits[0].1
        ))
        .fix("run these modules on a WasmEdge runtime (runwasi's wasmedge shim or crun's wasmedge handler, WasmEdge ≥ 0.9.1); no plugin or environment variable adds sockets to other engines")
.affected(affected);
    o.evidence.push(Evidence { source: format!("{} log", shown(&hits[0].0)), value: hits[0].1.clone() });
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::report::Status;

    #[test]
    fn a_missing_socket_import_in_a_log_fails() {
        let with_log = |tail: &str| one_pod_logging("net", "wasmtime", tail);
        let wasmtime = SHIM_RUNTIME_V2.replace("wasmedge", "wasmtime");
        let o = run_cluster(check, &wasmtime, with_log("connected\n"));
        assert_eq!(o.status, Status::Pass);
        let line = "Error: unknown import: `wasi_snapshot_preview1::sock_setsockopt` has not been defined";
        let o = run_cluster(check, &wasmtime, with_log(&format!("starting\n{line}\n")));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains(line), "{}", o.message);
        assert_eq!(o.evidence[0].source, "Pod `demo/net` log");
        let none = cluster_facts(vec![], vec![], vec![], vec![]);
        assert_eq!(run_cluster(check, &wasmtime, none).status, Status::Skip);
    }
}
