//! The logs of Wasm pods' containers, bounded (`limitBytes`, `tailLines`) and fetched a few at a
//! time: the current run's of a running or terminated container, and the previous run's
//! (`previous=true`) of one that restarted, where a crash-looping module's error is.

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

/// Which of a container's logs hold something: `false` the current run's (it is running or has
/// ended), `true` the previous run's (it restarted: a crash loop waits between runs).
fn runs_to_read(c: &ContainerInfo) -> impl Iterator<Item = bool> {
    let current = matches!(c.state.as_str(), "running" | "terminated");
    let previous = c.last_termination.is_some() || c.restart_count > 0;
    [current.then_some(false), previous.then_some(true)].into_iter().flatten()
}

pub(super) async fn fetch(
    client: &kube::Client,
    pods: &[PodInfo],
    rcs: &[RuntimeClassInfo],
    deadline: Instant,
) -> Vec<ContainerLog> {
    let wanted: Vec<(&PodInfo, &ContainerInfo, bool)> = pods
        .iter()
        .filter(|p| looks_wasm(p, rcs))
        .flat_map(|p| p.containers.iter().flat_map(move |c| runs_to_read(c).map(move |previous| (p, c, previous))))
        .collect();
    futures::stream::iter(wanted)
        .map(|(p, c, previous)| async move {
            let url = format!(
                "/api/v1/namespaces/{}/pods/{}/log?container={}&limitBytes={LOG_LIMIT_BYTES}&tailLines={LOG_TAIL_LINES}{}",
                p.namespace,
                p.name,
                percent_encode(&c.name),
                if previous { "&previous=true" } else { "" }
            );
            // The server is asked for at most `limitBytes`; more than that is not read, whatever it sends.
            let answer = tokio::time::timeout_at(deadline, super::bounded::request(client, get(&url), LOG_LIMIT_BYTES));
            let (bytes, tail) = match answer.await {
                Ok(Ok(a)) => (Fact::Collected(a.text.len() as u64), a.text),
                Ok(Err(e)) => (Fact::Unavailable(api_error(&e, "get", "pods/log", "")), String::new()),
                Err(_) => (Fact::unavailable(MissingKind::Timeout, "the log request did not finish in time"), String::new()),
            };
            ContainerLog {
                namespace: p.namespace.clone(),
                pod: p.name.clone(),
                container: c.name.clone(),
                previous,
                bytes,
                tail,
            }
        })
        .buffer_unordered(LOG_CONCURRENCY)
        .collect()
        .await
}
