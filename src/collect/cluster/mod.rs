//! The cluster collector (kube-rs): RuntimeClasses, Nodes, Pods, workload templates, Warning
//! Events, HPAs and pod metrics, listed with `limit` + `continue`, deserialized into the few fields
//! the checks use; then the logs of Wasm pods, with bounded concurrency. Every list is a fact of its
//! own: a 403 on one resource names the missing permission and leaves the others.

mod items;
mod list;
mod logs;

use std::path::PathBuf;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use tokio::time::Instant;

use crate::facts::*;
use items::{EventItem, HpaItem, NodeItem, PodItem, PodMetricsItem, RuntimeClassItem};
use list::Lister;

#[derive(Debug, Clone)]
pub struct ClusterOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub timeout: Duration,
}

pub async fn collect(opts: &ClusterOptions) -> Fact<ClusterFacts> {
    let deadline = Instant::now() + opts.timeout;
    let (client, context, server) = match connect(opts).await {
        Ok(c) => c,
        Err(m) => return Fact::Unavailable(m),
    };
    // One cheap request first: an unreachable API server is one reason, not seven.
    let version = tokio::time::timeout_at(deadline, client.request_text(get("/version"))).await;
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
    let (runtime_classes, nodes, pods, workloads, events, hpas, pod_metrics) = tokio::join!(
        lister.all::<RuntimeClassItem, _>(
            "/apis/node.k8s.io/v1/runtimeclasses",
            "",
            "runtimeclasses",
            "node.k8s.io",
            RuntimeClassItem::into_info
        ),
        lister.all::<NodeItem, _>("/api/v1/nodes", "", "nodes", "", NodeItem::into_info),
        lister.all::<PodItem, _>("/api/v1/pods", "", "pods", "", PodItem::into_info),
        list::workloads(&lister),
        lister.all::<EventItem, _>(
            "/api/v1/events",
            "&fieldSelector=type%3DWarning",
            "events",
            "",
            EventItem::into_info
        ),
        lister.all::<HpaItem, _>(
            "/apis/autoscaling/v2/horizontalpodautoscalers",
            "",
            "horizontalpodautoscalers",
            "autoscaling",
            HpaItem::into_info
        ),
        lister.all::<PodMetricsItem, _>(
            "/apis/metrics.k8s.io/v1beta1/pods",
            "",
            "pods",
            "metrics.k8s.io",
            PodMetricsItem::into_info
        ),
    );
    let keda = keda_served(&client, deadline).await;
    let logs = match (&pods, &runtime_classes) {
        (Fact::Collected(p), rcs) => {
            logs::fetch(&client, p, rcs.collected().map(Vec::as_slice).unwrap_or(&[]), deadline).await
        }
        _ => Vec::new(),
    };
    Fact::Collected(ClusterFacts {
        context,
        server: Some(server),
        runtime_classes,
        nodes,
        pods,
        workloads,
        events,
        hpas,
        pod_metrics,
        logs,
        keda,
    })
}

/// Whether KEDA's `ScaledObject` API is served (`None` when the server did not say).
async fn keda_served(client: &kube::Client, deadline: Instant) -> Option<bool> {
    match tokio::time::timeout_at(deadline, client.request_text(get("/apis/keda.sh/v1alpha1"))).await {
        Ok(Ok(text)) => Some(text.contains("\"scaledobjects\"")),
        Ok(Err(kube::Error::Api(s))) if s.code == 404 => Some(false),
        _ => None,
    }
}

/// Build the client from `--kubeconfig`/`--context`, `$KUBECONFIG`, `~/.kube/config`, else the
/// in-cluster config, with connect/read/write timeouts (kube's read timeout defaults to none).
pub async fn connect(opts: &ClusterOptions) -> Result<(kube::Client, Option<String>, String), Missing> {
    let unavailable = |kind, reason: String| Missing { kind, reason };
    let kubeconfig = match &opts.kubeconfig {
        Some(p) => Some(Kubeconfig::read_from(p).map_err(|e| {
            unavailable(MissingKind::NotFound, format!("cannot read kubeconfig {}: {}", p.display(), e))
        })?),
        None => Kubeconfig::read().ok(),
    };
    let options = KubeConfigOptions { context: opts.context.clone(), ..Default::default() };
    let (mut config, context) = match kubeconfig {
        Some(kc) => {
            let context = opts.context.clone().or_else(|| kc.current_context.clone());
            let config = kube::Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(|e| unavailable(MissingKind::Failed, format!("kubeconfig: {e}")))?;
            (config, context)
        }
        None => {
            let config = kube::Config::incluster().map_err(|_| {
                unavailable(
                    MissingKind::NotFound,
                    "no kubeconfig (`--kubeconfig`, $KUBECONFIG, ~/.kube/config) and not inside a pod".into(),
                )
            })?;
            (config, None)
        }
    };
    config.connect_timeout = Some(opts.timeout);
    config.read_timeout = Some(opts.timeout);
    config.write_timeout = Some(opts.timeout);
    let server = config.cluster_url.to_string().trim_end_matches('/').to_string();
    let client = kube::Client::try_from(config)
        .map_err(|e| unavailable(MissingKind::Failed, format!("cannot build a client for {server}: {}", short(&e))))?;
    Ok((client, context, server))
}

pub(super) fn get(path: &str) -> http::Request<Vec<u8>> {
    let mut req = http::Request::new(Vec::new());
    *req.uri_mut() = path.parse().unwrap_or_default();
    req
}

/// The innermost cause of an error, which is what a user needs ("connection refused").
pub(super) fn short(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg = s.to_string();
        source = s.source();
    }
    msg
}
