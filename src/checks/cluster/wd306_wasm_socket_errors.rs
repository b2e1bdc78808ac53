//! WD306 wasm-socket-errors: no Wasm pod fails on missing socket/DNS imports (`unknown import …
//! sock_…`) in its logs, container messages or events; only WasmEdge provides them (WD106).

use super::{pod_events, pod_logs, pod_ref, shown, some, wasm_pods, which_log};
use crate::checks::{Ctx, Outcome};
use crate::facts::ClusterFacts;
use crate::report::{Affected, Evidence};
use crate::rules::signatures::socket_line;
use crate::rules::text::count;

pub fn check(ctx: &Ctx, c: &ClusterFacts) -> Outcome {
    let wasm = or_return!(wasm_pods(ctx, c));
    let (logs, events) = (pod_logs(c), pod_events(c));
    // (pod, where the line is, the line)
    let mut hits: Vec<(Affected, String, String)> = Vec::new();
    for p in &wasm {
        let key = (p.namespace.as_str(), p.name.as_str());
        let from_logs = logs.get(&key).into_iter().flatten().find_map(|l| Some((which_log(l), socket_line(&l.tail)?)));
        let from_status = p.containers.iter().find_map(|c| {
            let last = c.last_termination.as_ref().and_then(|t| t.message.as_deref());
            let line = c.message.as_deref().and_then(socket_line).or(last.and_then(socket_line))?;
            Some((format!("container `{}`'s status", c.name), line))
        });
        let from_events =
            events.get(&key).into_iter().flatten().find_map(|e| Some(("event".to_string(), socket_line(&e.message)?)));
        if let Some((place, line)) = from_logs.or(from_status).or(from_events) {
            hits.push((pod_ref(p), place, line.trim().to_string()));
        }
    }
    if hits.is_empty() {
        return Outcome::pass(format!(
            "no socket or DNS import errors in the logs and events of {}",
            count(wasm.len(), "Wasm pod")
        ));
    }
    let affected: Vec<Affected> = hits.iter().map(|(a, _, _)| a.clone()).collect();
    let mut o = Outcome::fail(format!(
            "{} failed on missing WasmEdge socket imports (see WD106: only the WasmEdge engine provides them); {}, {}: {}",
            some(&affected),
            shown(&hits[0].0),
            hits[0].1,
            hits[0].2
        ))
        .fix("run these modules on a WasmEdge runtime (runwasi's wasmedge shim or crun's wasmedge handler, WasmEdge ≥ 0.9.1); no plugin or environment variable adds sockets to other engines")
.affected(affected);
    o.evidence.push(Evidence { source: format!("{}, {}", shown(&hits[0].0), hits[0].1), value: hits[0].2.clone() });
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
        assert_eq!(o.evidence[0].source, "Pod `demo/net`, container `app`'s current log");
        let none = cluster_facts(vec![], vec![], vec![], vec![]);
        assert_eq!(run_cluster(check, &wasmtime, none).status, Status::Skip);
    }

    #[test]
    fn a_crash_looping_module_is_diagnosed_from_its_previous_log() {
        // WasmEdge's words when a module built for WasmEdge's sockets meets another engine's shim.
        let tail = "[error] instantiation failed: unknown import, Code: 0x62\n[error]     When linking module: \"wasi_snapshot_preview1\" , function name: \"sock_getaddrinfo\"\n";
        let wasmtime = SHIM_RUNTIME_V2.replace("wasmedge", "wasmtime");
        let mut c = cluster_facts(
            vec![crash_looping(pod("net", "wasmtime", "x", None))],
            vec![],
            vec![],
            vec![rc("wasmtime", "wasmtime")],
        );
        c.logs = vec![previous_log("net", tail)];
        let o = run_cluster(check, &wasmtime, c.clone());
        assert_eq!(o.status, Status::Fail, "{}", o.message);
        assert_eq!(o.evidence[0].source, "Pod `demo/net`, container `app`'s previous log");
        assert!(o.evidence[0].value.contains("sock_getaddrinfo"), "{:?}", o.evidence);
        c.logs = vec![previous_log("net", "listening on 0.0.0.0:8080\n")];
        assert_eq!(run_cluster(check, &wasmtime, c).status, Status::Pass);
    }
}
