//! The cluster collector (kube-rs): RuntimeClasses, Nodes, Pods, workload templates, Warning
//! Events, HPAs and pod metrics, listed with `limit` + `continue`, deserialized into the few fields
//! the checks use; then the logs of Wasm pods, with bounded concurrency. Every list is a fact of its
//! own: a 403 on one resource names the missing permission and leaves the others.

pub mod bounded;
mod exec_auth;
mod installers;
mod items;
mod list;
mod logs;
mod scaling;

use std::path::PathBuf;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use tokio::time::Instant;

use crate::facts::*;
use items::{EventItem, NodeItem, PodItem, RuntimeClassItem};
use list::Lister;
use scaling::{HpaItem, PodMetricsItem, ScaledObjectItem};

/// What a discovery answer (`/version`, an API group) may take at most.
const SMALL: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct ClusterOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub timeout: Duration,
}

/// What is read: everything the cluster checks judge, or only what the fleet view shows (Nodes and
/// RuntimeClasses: fewer requests, and a role that may list nothing else is enough).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Checks,
    Fleet,
}

pub async fn collect(opts: &ClusterOptions, scope: Scope) -> Fact<ClusterFacts> {
    let deadline = Instant::now() + opts.timeout;
    let Connected { client, context, server, insecure_tls } = match connect(opts).await {
        Ok(c) => c,
        Err(m) => return Fact::Unavailable(m),
    };
    // One cheap request first: an unreachable API server is one reason, not seven.
    let version = tokio::time::timeout_at(deadline, bounded::request(&client, get("/version"), SMALL)).await;
    match version {
        Err(_) => {
            return Fact::unavailable(MissingKind::Timeout, format!("the API server {server} did not answer in time"));
        }
        Ok(Err(kube::Error::Api(s))) if s.code == 401 => {
            return Fact::unavailable(
                MissingKind::PermissionDenied,
                format!("the API server {server} refused the credentials (401)"),
            );
        }
        Ok(Err(kube::Error::Api(_))) | Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            return Fact::unavailable(
                MissingKind::Failed,
                format!("cannot reach the API server {server}: {}", short(&e)),
            );
        }
    }
    let lister = Lister { client: &client, deadline };
    let checks = scope == Scope::Checks;
    // The fleet view's scope leaves the rest unread; each stays a fact that says so.
    fn unread<T>() -> Fact<T> {
        Fact::unavailable(MissingKind::NotRequested, "the fleet view reads only Nodes and RuntimeClasses")
    }
    let (runtime_classes, nodes, pods, workloads, events, hpas, pod_metrics) = tokio::join!(
        lister.all::<RuntimeClassItem, _>(
            "/apis/node.k8s.io/v1/runtimeclasses",
            "",
            "runtimeclasses",
            "node.k8s.io",
            RuntimeClassItem::into_info
        ),
        lister.all::<NodeItem, _>("/api/v1/nodes", "", "nodes", "", NodeItem::into_info),
        async {
            if !checks {
                return unread();
            }
            lister.all::<PodItem, _>("/api/v1/pods", "", "pods", "", PodItem::into_info).await
        },
        async { if checks { list::workloads(&lister).await } else { unread() } },
        async {
            if !checks {
                return unread();
            }
            lister
                .all::<EventItem, _>(
                    "/api/v1/events",
                    "&fieldSelector=type%3DWarning",
                    "events",
                    "",
                    EventItem::into_info,
                )
                .await
        },
        async {
            if !checks {
                return unread();
            }
            lister
                .all::<HpaItem, _>(
                    "/apis/autoscaling/v2/horizontalpodautoscalers",
                    "",
                    "horizontalpodautoscalers",
                    "autoscaling",
                    HpaItem::into_info,
                )
                .await
        },
        async {
            if !checks {
                return unread();
            }
            lister
                .all::<PodMetricsItem, _>(
                    "/apis/metrics.k8s.io/v1beta1/pods",
                    "",
                    "pods",
                    "metrics.k8s.io",
                    PodMetricsItem::into_info,
                )
                .await
        },
    );
    let (keda, rcm) = if checks {
        tokio::join!(
            served(&client, deadline, "/apis/keda.sh/v1alpha1", "scaledobjects"),
            served(&client, deadline, "/apis/runtime.spinkube.dev/v1alpha1", "shims")
        )
    } else {
        (None, None)
    };
    let scaled_objects = match keda {
        Some(true) => {
            lister
                .all::<ScaledObjectItem, _>(
                    "/apis/keda.sh/v1alpha1/scaledobjects",
                    "",
                    "scaledobjects",
                    "keda.sh",
                    ScaledObjectItem::into_info,
                )
                .await
        }
        _ if !checks => unread(),
        _ => Fact::unavailable(MissingKind::NotFound, "KEDA's ScaledObject API is not served"),
    };
    let shims = match rcm {
        Some(true) => {
            lister
                .all::<installers::ShimItem, _>(
                    installers::SHIMS,
                    "",
                    "shims",
                    "runtime.spinkube.dev",
                    installers::ShimItem::into_info,
                )
                .await
        }
        _ if !checks => unread(),
        _ => Fact::unavailable(MissingKind::NotFound, "runtime-class-manager's Shim API is not served"),
    };
    let logs = match (&pods, &runtime_classes) {
        (Fact::Collected(p), rcs) => {
            logs::fetch(&client, p, rcs.collected().map(Vec::as_slice).unwrap_or(&[]), deadline).await
        }
        _ => Vec::new(),
    };
    Fact::Collected(ClusterFacts {
        context,
        server: Some(server),
        insecure_tls,
        runtime_classes,
        nodes,
        pods,
        workloads,
        events,
        hpas,
        pod_metrics,
        logs,
        keda,
        scaled_objects,
        shims,
    })
}

/// A name as one URL path segment (a Node name from `--node` is the user's text).
pub fn path_segment(s: &str) -> String {
    list::percent_encode(s)
}

/// A URL query value (a label selector), escaped.
pub fn query_value(s: &str) -> String {
    list::percent_encode(s)
}

/// Whether an optional API (KEDA's ScaledObjects, runtime-class-manager's Shims) is served: its
/// group version lists the resource (`None` when the server did not say).
async fn served(client: &kube::Client, deadline: Instant, group_version: &str, plural: &str) -> Option<bool> {
    match tokio::time::timeout_at(deadline, bounded::request(client, get(group_version), SMALL)).await {
        Ok(Ok(answer)) => Some(answer.text.contains(&format!("\"{plural}\""))),
        Ok(Err(kube::Error::Api(s))) if s.code == 404 => Some(false),
        _ => None,
    }
}

/// A client for the cluster, and what the report says of it.
pub struct Connected {
    pub client: kube::Client,
    pub context: Option<String>,
    /// The API server's URL, without credentials.
    pub server: String,
    /// The kubeconfig turns certificate verification off (`insecure-skip-tls-verify`).
    pub insecure_tls: bool,
}

/// The kubeconfig files kube would read: `--kubeconfig`, else each of `$KUBECONFIG`, else
/// `~/.kube/config`.
fn kubeconfig_paths(opts: &ClusterOptions) -> Vec<std::path::PathBuf> {
    if let Some(p) = &opts.kubeconfig {
        return vec![p.clone()];
    }
    match std::env::var_os("KUBECONFIG") {
        Some(v) if !v.is_empty() => std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()).collect(),
        _ => std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".kube/config")).into_iter().collect(),
    }
}

/// Build the client from `--kubeconfig`/`--context`, `$KUBECONFIG`, `~/.kube/config`, else the
/// in-cluster config, with connect/read/write timeouts (kube's read timeout defaults to none).
pub async fn connect(opts: &ClusterOptions) -> Result<Connected, Missing> {
    let unavailable = |kind, reason: String| Missing { kind, reason };
    // kube reads the kubeconfig files whole, and would wait on a FIFO or read `/dev/zero` forever.
    for path in kubeconfig_paths(opts) {
        if let Err(e) = crate::collect::local::check_readable(&path) {
            return Err(unavailable(MissingKind::Failed, format!("cannot read kubeconfig {}: {e}", path.display())));
        }
    }
    let kubeconfig = match &opts.kubeconfig {
        Some(p) => Some(Kubeconfig::read_from(p).map_err(|e| {
            unavailable(MissingKind::NotFound, format!("cannot read kubeconfig {}: {}", p.display(), e))
        })?),
        None => Kubeconfig::read().ok(),
    };
    let options = KubeConfigOptions { context: opts.context.clone(), ..Default::default() };
    let (mut config, context, insecure_tls) = match kubeconfig {
        Some(mut kc) => {
            let context = opts.context.clone().or_else(|| kc.current_context.clone());
            exec_auth::resolve(&mut kc, context.as_deref(), opts.timeout)?;
            let insecure = kc
                .clusters
                .iter()
                .find(|c| {
                    let cluster = kc.contexts.iter().find(|x| Some(&x.name) == context.as_ref());
                    cluster.and_then(|x| x.context.as_ref()).is_some_and(|x| x.cluster == c.name)
                })
                .and_then(|c| c.cluster.as_ref())
                .and_then(|c| c.insecure_skip_tls_verify)
                .unwrap_or(false);
            let config = kube::Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(|e| unavailable(MissingKind::Failed, format!("kubeconfig: {e}")))?;
            (config, context, insecure)
        }
        None => {
            let config = kube::Config::incluster().map_err(|_| {
                unavailable(
                    MissingKind::NotFound,
                    "no kubeconfig (`--kubeconfig`, $KUBECONFIG, ~/.kube/config) and not inside a pod".into(),
                )
            })?;
            (config, None, false)
        }
    };
    config.connect_timeout = Some(opts.timeout);
    config.read_timeout = Some(opts.timeout);
    config.write_timeout = Some(opts.timeout);
    // kube retries 429/503/504 by default, quietly, until our deadline: the user would read "did not
    // answer in time" for a server that answered 503. What the server said is reported instead, and
    // the agent retries on its own backoff.
    config.default_retry = false;
    let server = redact_url(config.cluster_url.to_string().trim_end_matches('/'));
    let client = kube::Client::try_from(config)
        .map_err(|e| unavailable(MissingKind::Failed, format!("cannot build a client for {server}: {}", short(&e))))?;
    Ok(Connected { client, context, server, insecure_tls })
}

/// A URL without what could be a credential: user-info (`user:password@`) is dropped and every
/// query value replaced (`?token=…`).
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), url),
    };
    let (authority, tail) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let host = authority.rsplit_once('@').map(|(_, h)| h).unwrap_or(authority);
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (tail, None),
    };
    let query = query
        .map(|q| {
            let q = q.split('#').next().unwrap_or("");
            let pairs: Vec<String> =
                q.split('&').map(|kv| format!("{}=REDACTED", kv.split('=').next().unwrap_or(""))).collect();
            format!("?{}", pairs.join("&"))
        })
        .unwrap_or_default();
    format!("{scheme}{host}{path}{query}")
}

pub(super) fn get(path: &str) -> http::Request<Vec<u8>> {
    let mut req = http::Request::new(Vec::new());
    *req.uri_mut() = path.parse().unwrap_or_default();
    req
}

/// The innermost cause of an error, which is what a user needs ("connection refused").
pub fn short(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg = s.to_string();
        source = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn credentials_never_stay_in_a_server_url() {
        assert_eq!(
            redact_url("https://admin:s3cret@10.0.0.1:6443/?token=abc&x=1"),
            "https://10.0.0.1:6443/?token=REDACTED&x=REDACTED"
        );
        assert_eq!(redact_url("https://10.0.0.1:6443"), "https://10.0.0.1:6443");
        assert_eq!(redact_url("https://u@h/p"), "https://h/p");
    }
}
