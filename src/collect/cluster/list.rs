//! Listing a resource page by page (`limit` + `continue`), each item mapped to the fact's type as it
//! arrives; an API error becomes the reason the list is unavailable (403 names the permission).

use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::items::WorkloadItem;
use super::{get, short};
use crate::facts::{Fact, Missing, MissingKind, WorkloadInfo};

const PAGE: usize = 500;
/// A page of 500 objects is a few MiB; a server sending more is cut off here.
const PAGE_CAP: usize = 32 << 20;

pub(super) struct Lister<'a> {
    pub client: &'a kube::Client,
    pub deadline: Instant,
}

#[derive(Deserialize)]
struct List<T> {
    items: Vec<T>,
    #[serde(default)]
    metadata: ListMeta,
}

#[derive(Deserialize, Default)]
struct ListMeta {
    #[serde(rename = "continue", default)]
    continue_token: Option<String>,
}

impl Lister<'_> {
    /// Every item of a list, page by page, each mapped to the fact's type as it arrives.
    pub async fn all<T: DeserializeOwned, U>(
        &self,
        path: &str,
        query: &str,
        resource: &str,
        group: &str,
        map: impl Fn(T) -> U,
    ) -> Fact<Vec<U>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut url = format!("{path}?limit={PAGE}{query}");
            if let Some(t) = &token {
                url += &format!("&continue={}", percent_encode(t));
            }
            let answer =
                tokio::time::timeout_at(self.deadline, super::bounded::request(self.client, get(&url), PAGE_CAP));
            let text = match answer.await {
                Err(_) => {
                    return Fact::unavailable(
                        MissingKind::Timeout,
                        format!("listing {resource} did not finish in time"),
                    );
                }
                Ok(Err(e)) => return Fact::Unavailable(api_error(&e, "list", resource, group)),
                Ok(Ok(a)) if a.cut => {
                    return Fact::unavailable(
                        MissingKind::Malformed,
                        format!("a page of the {resource} list is larger than {} MiB; it was not read", PAGE_CAP >> 20),
                    );
                }
                Ok(Ok(a)) => a.text,
            };
            let page: List<T> = match serde_json::from_str(&text) {
                Ok(p) => p,
                Err(e) => {
                    return Fact::unavailable(
                        MissingKind::Malformed,
                        format!("the {resource} list is not valid JSON: {e}"),
                    );
                }
            };
            out.extend(page.items.into_iter().map(&map));
            match page.metadata.continue_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => return Fact::Collected(out),
            }
        }
    }
}

/// What an API error means for a `verb` (`list`, `get`) on `resource` of `group` (empty: core).
pub(super) fn api_error(e: &kube::Error, verb: &str, resource: &str, group: &str) -> Missing {
    let doing = if verb == "list" { "listing" } else { "reading" };
    let group_shown = if group.is_empty() { "core".to_string() } else { format!("`{group}`") };
    match e {
        kube::Error::Api(s) if s.code == 403 => Missing {
            kind: MissingKind::PermissionDenied,
            reason: format!(
                "forbidden: wasmdoctor may not `{verb}` `{resource}` (API group {group_shown}) at the cluster scope; grant it (see docs/rbac.yaml)"
            ),
        },
        kube::Error::Api(s) if s.code == 404 => Missing {
            kind: MissingKind::NotFound,
            reason: format!("the API server does not serve `{resource}` (API group {group_shown})"),
        },
        kube::Error::Api(s) => Missing {
            kind: MissingKind::Failed,
            reason: format!(
                "{doing} {resource} failed: HTTP {}{}: {}",
                s.code,
                if s.reason.is_empty() { String::new() } else { format!(" {}", s.reason) },
                s.message
            ),
        },
        kube::Error::SerdeError(err) => {
            Missing { kind: MissingKind::Malformed, reason: format!("the {resource} list is not valid JSON: {err}") }
        }
        other => Missing { kind: MissingKind::Failed, reason: format!("{doing} {resource} failed: {}", short(other)) },
    }
}

/// A URL query value, every byte but the unreserved ones (RFC 3986) escaped.
pub(super) fn percent_encode(s: &str) -> String {
    const QUERY_VALUE: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    percent_encoding::utf8_percent_encode(s, QUERY_VALUE).to_string()
}

pub(super) async fn workloads(lister: &Lister<'_>) -> Fact<Vec<WorkloadInfo>> {
    let kinds: [(&str, &str, &str, &str); 5] = [
        ("Deployment", "/apis/apps/v1/deployments", "deployments", "apps"),
        ("StatefulSet", "/apis/apps/v1/statefulsets", "statefulsets", "apps"),
        ("DaemonSet", "/apis/apps/v1/daemonsets", "daemonsets", "apps"),
        ("ReplicaSet", "/apis/apps/v1/replicasets", "replicasets", "apps"),
        ("Job", "/apis/batch/v1/jobs", "jobs", "batch"),
    ];
    let lists = futures::future::join_all(kinds.iter().map(|(kind, path, resource, group)| {
        lister.all::<WorkloadItem, _>(path, "", resource, group, move |w| w.into_info(kind))
    }))
    .await;
    let mut out = Vec::new();
    for list in lists {
        match list {
            Fact::Collected(items) => out.extend(items),
            Fact::Unavailable(m) => return Fact::Unavailable(m),
        }
    }
    Fact::Collected(out)
}

/// Whether a pod's logs are worth fetching: it carries a Wasm annotation, or its RuntimeClass's
/// name or handler names a Wasm runtime (the checks decide Wasm-ness from the node's runtimes).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_are_encoded() {
        assert_eq!(percent_encode("eyJ2Ijo+/="), "eyJ2Ijo%2B%2F%3D");
    }
}
