//! The logs of Wasm pods' running containers, bounded (`limitBytes`, `tailLines`) and fetched a few
//! at a time.

use futures::StreamExt;
use tokio::time::Instant;

use super::get;
use super::list::{api_error, percent_encode};
use crate::facts::{ContainerInfo, ContainerLog, Fact, MissingKind, PodInfo, RuntimeClassInfo};
use crate::rules::wasm::looks_wasm_name;

const LOG_LIMIT_BYTES: usize = 4096;
const LOG_TAIL_LINES: usize = 50;
const LOG_CONCURRENCY: usize = 16;

fn looks_wasm(pod: &PodInfo, rcs: &[RuntimeClassInfo]) -> bool {
    if !pod.wasm_annotations.is_empty() {
        return true;
    }
    let Some(rc) = &pod.runtime_class else { return false };
    let handler = rcs.iter().find(|r| &r.name == rc).map(|r| r.handler.as_str()).unwrap_or("");
    looks_wasm_name(rc) || looks_wasm_name(handler)
}

pub(super) async fn fetch(
    client: &kube::Client,
    pods: &[PodInfo],
    rcs: &[RuntimeClassInfo],
    deadline: Instant,
) -> Vec<ContainerLog> {
    let wanted: Vec<(&PodInfo, &ContainerInfo)> = pods
        .iter()
        .filter(|p| p.phase.as_deref() == Some("Running") && looks_wasm(p, rcs))
        .flat_map(|p| p.containers.iter().filter(|c| c.state == "running").map(move |c| (p, c)))
        .collect();
    futures::stream::iter(wanted)
        .map(|(p, c)| async move {
            let url = format!(
                "/api/v1/namespaces/{}/pods/{}/log?container={}&limitBytes={LOG_LIMIT_BYTES}&tailLines={LOG_TAIL_LINES}",
                p.namespace,
                p.name,
                percent_encode(&c.name)
            );
            // The server is asked for at most `limitBytes`; more than that is not read, whatever it sends.
            let answer = tokio::time::timeout_at(deadline, super::bounded::request(client, get(&url), LOG_LIMIT_BYTES));
            let (bytes, tail) = match answer.await {
                Ok(Ok(a)) => (Fact::Collected(a.text.len() as u64), a.text),
                Ok(Err(e)) => (Fact::Unavailable(api_error(&e, "pods/log", "")), String::new()),
                Err(_) => (Fact::unavailable(MissingKind::Timeout, "the log request did not finish in time"), String::new()),
            };
            ContainerLog { namespace: p.namespace.clone(), pod: p.name.clone(), container: c.name.clone(), bytes, tail }
        })
        .buffer_unordered(LOG_CONCURRENCY)
        .collect()
        .await
}
