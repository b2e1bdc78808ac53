//! The cluster collector (kube-rs): RuntimeClasses, Nodes, Pods, workload templates, Warning
//! Events, HPAs and pod metrics, listed with `limit` + `continue`, deserialized into the few fields
//! the checks use; then the logs of Wasm pods, with bounded concurrency. Every list is a fact of its
//! own: a 403 on one resource names the missing permission and leaves the others.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use futures::StreamExt;
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::facts::*;
use crate::rules::kube::{cpu_nanocores, memory_bytes};
use crate::rules::wasm::{WASM_ANNOTATIONS, looks_wasm_name};

const PAGE: usize = 500;
const LOG_LIMIT_BYTES: usize = 4096;
const LOG_TAIL_LINES: usize = 50;
const LOG_CONCURRENCY: usize = 16;

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
        workloads(&lister),
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
            fetch_logs(&client, p, rcs.collected().map(Vec::as_slice).unwrap_or(&[]), deadline).await
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

fn get(path: &str) -> http::Request<Vec<u8>> {
    let mut req = http::Request::new(Vec::new());
    *req.uri_mut() = path.parse().unwrap_or_default();
    req
}

/// The innermost cause of an error, which is what a user needs ("connection refused").
fn short(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg = s.to_string();
        source = s.source();
    }
    msg
}

struct Lister<'a> {
    client: &'a kube::Client,
    deadline: Instant,
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
    async fn all<T: DeserializeOwned, U>(
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
            let text = match tokio::time::timeout_at(self.deadline, self.client.request_text(get(&url))).await {
                Err(_) => {
                    return Fact::unavailable(
                        MissingKind::Timeout,
                        format!("listing {resource} did not finish in time"),
                    );
                }
                Ok(Err(e)) => return Fact::Unavailable(api_error(&e, resource, group)),
                Ok(Ok(t)) => t,
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

fn api_error(e: &kube::Error, resource: &str, group: &str) -> Missing {
    let group_shown = if group.is_empty() { "core".to_string() } else { format!("`{group}`") };
    match e {
        kube::Error::Api(s) if s.code == 403 => Missing {
            kind: MissingKind::PermissionDenied,
            reason: format!(
                "forbidden: wasmdoctor may not `list` `{resource}` (API group {group_shown}) at the cluster scope; grant it (see docs/rbac.yaml)"
            ),
        },
        kube::Error::Api(s) if s.code == 404 => Missing {
            kind: MissingKind::NotFound,
            reason: format!("the API server does not serve `{resource}` (API group {group_shown})"),
        },
        kube::Error::Api(s) => Missing {
            kind: MissingKind::Failed,
            reason: format!("listing {resource} failed: HTTP {} {}: {}", s.code, s.reason, s.message),
        },
        kube::Error::SerdeError(err) => {
            Missing { kind: MissingKind::Malformed, reason: format!("the {resource} list is not valid JSON: {err}") }
        }
        other => Missing { kind: MissingKind::Failed, reason: format!("listing {resource} failed: {}", short(other)) },
    }
}

/// A URL query value, every byte but the unreserved ones (RFC 3986) escaped.
fn percent_encode(s: &str) -> String {
    const QUERY_VALUE: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    percent_encoding::utf8_percent_encode(s, QUERY_VALUE).to_string()
}

async fn workloads(lister: &Lister<'_>) -> Fact<Vec<WorkloadInfo>> {
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
fn looks_wasm(pod: &PodInfo, rcs: &[RuntimeClassInfo]) -> bool {
    if !pod.wasm_annotations.is_empty() {
        return true;
    }
    let Some(rc) = &pod.runtime_class else { return false };
    let handler = rcs.iter().find(|r| &r.name == rc).map(|r| r.handler.as_str()).unwrap_or("");
    looks_wasm_name(rc) || looks_wasm_name(handler)
}

async fn fetch_logs(
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
            let (bytes, tail) = match tokio::time::timeout_at(deadline, client.request_text(get(&url))).await {
                Ok(Ok(text)) => (Fact::Collected(text.len() as u64), text),
                Ok(Err(e)) => (Fact::Unavailable(api_error(&e, "pods/log", "")), String::new()),
                Err(_) => (Fact::unavailable(MissingKind::Timeout, "the log request did not finish in time"), String::new()),
            };
            ContainerLog { namespace: p.namespace.clone(), pod: p.name.clone(), container: c.name.clone(), bytes, tail }
        })
        .buffer_unordered(LOG_CONCURRENCY)
        .collect()
        .await
}

// ---------------------------------------------------------------------------------------------
// The fields of each object that the checks use, and nothing else.

/// Keep only the annotations crun reads; other (often large) values are skipped unread.
fn wasm_annotations<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = BTreeMap<String, String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an annotations map")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(V)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(k) = map.next_key::<String>()? {
                if WASM_ANNOTATIONS.contains(&k.as_str()) {
                    let v: Option<String> = map.next_value()?;
                    out.insert(k, v.unwrap_or_default());
                } else {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            Ok(out)
        }
    }
    d.deserialize_option(V)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Meta {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default, deserialize_with = "wasm_annotations")]
    annotations: BTreeMap<String, String>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    owner_references: Option<Vec<OwnerRef>>,
}

#[derive(Deserialize)]
struct OwnerRef {
    kind: String,
    name: String,
}

impl Meta {
    fn owner(&self) -> Option<ObjectRef> {
        self.owner_references.as_ref()?.first().map(|o| ObjectRef {
            kind: o.kind.clone(),
            namespace: self.namespace.clone(),
            name: o.name.clone(),
        })
    }
}

#[derive(Deserialize)]
struct RuntimeClassItem {
    #[serde(default)]
    metadata: Meta,
    #[serde(default)]
    handler: String,
    #[serde(default)]
    scheduling: Option<Scheduling>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Scheduling {
    #[serde(default)]
    node_selector: Option<BTreeMap<String, String>>,
}

impl RuntimeClassItem {
    fn into_info(self) -> RuntimeClassInfo {
        RuntimeClassInfo {
            name: self.metadata.name,
            handler: self.handler,
            node_selector: self.scheduling.and_then(|s| s.node_selector).unwrap_or_default(),
        }
    }
}

#[derive(Deserialize)]
struct NodeItem {
    #[serde(default)]
    metadata: Meta,
}

impl NodeItem {
    fn into_info(self) -> NodeInfo {
        NodeInfo { name: self.metadata.name, labels: self.metadata.labels.unwrap_or_default() }
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PodSpec {
    #[serde(default)]
    runtime_class_name: Option<String>,
    #[serde(default)]
    node_name: Option<String>,
    #[serde(default)]
    containers: Vec<ContainerSpec>,
}

#[derive(Deserialize)]
struct ContainerSpec {
    #[serde(default)]
    name: String,
    #[serde(default)]
    image: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PodStatus {
    #[serde(default)]
    phase: Option<String>,
    #[serde(default)]
    start_time: Option<String>,
    #[serde(default)]
    container_statuses: Option<Vec<ContainerStatus>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContainerStatus {
    #[serde(default)]
    name: String,
    #[serde(default)]
    restart_count: i64,
    #[serde(default)]
    state: Option<ContainerState>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContainerState {
    #[serde(default)]
    running: Option<StateDetail>,
    #[serde(default)]
    waiting: Option<StateDetail>,
    #[serde(default)]
    terminated: Option<StateDetail>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StateDetail {
    #[serde(default)]
    started_at: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct PodItem {
    #[serde(default)]
    metadata: Meta,
    #[serde(default)]
    spec: PodSpec,
    #[serde(default)]
    status: PodStatus,
}

impl PodItem {
    fn into_info(self) -> PodInfo {
        let statuses = self.status.container_statuses.unwrap_or_default();
        let containers = self
            .spec
            .containers
            .into_iter()
            .map(|c| {
                let st = statuses.iter().find(|s| s.name == c.name);
                let (state, detail) = match st.and_then(|s| s.state.as_ref()) {
                    Some(ContainerState { running: Some(d), .. }) => ("running", Some(d)),
                    Some(ContainerState { waiting: Some(d), .. }) => ("waiting", Some(d)),
                    Some(ContainerState { terminated: Some(d), .. }) => ("terminated", Some(d)),
                    _ => ("unknown", None),
                };
                ContainerInfo {
                    name: c.name,
                    image: c.image,
                    state: state.to_string(),
                    started_at: detail.and_then(|d| d.started_at.clone()),
                    reason: detail.and_then(|d| d.reason.clone()),
                    message: detail.and_then(|d| d.message.clone()),
                    restart_count: st.map(|s| s.restart_count).unwrap_or(0),
                }
            })
            .collect();
        PodInfo {
            owner: self.metadata.owner(),
            namespace: self.metadata.namespace.unwrap_or_default(),
            name: self.metadata.name,
            node: self.spec.node_name,
            runtime_class: self.spec.runtime_class_name,
            wasm_annotations: self.metadata.annotations,
            phase: self.status.phase,
            start_time: self.status.start_time,
            containers,
        }
    }
}

#[derive(Deserialize, Default)]
struct Template {
    #[serde(default)]
    metadata: Meta,
    #[serde(default)]
    spec: PodSpec,
}

#[derive(Deserialize, Default)]
struct WorkloadSpec {
    #[serde(default)]
    template: Template,
}

#[derive(Deserialize)]
struct WorkloadItem {
    #[serde(default)]
    metadata: Meta,
    #[serde(default)]
    spec: WorkloadSpec,
}

impl WorkloadItem {
    fn into_info(self, kind: &str) -> WorkloadInfo {
        let t = self.spec.template;
        WorkloadInfo {
            kind: kind.to_string(),
            owner: self.metadata.owner(),
            namespace: self.metadata.namespace.unwrap_or_default(),
            name: self.metadata.name,
            runtime_class: t.spec.runtime_class_name,
            wasm_annotations: t.metadata.annotations,
            images: t.spec.containers.into_iter().filter_map(|c| c.image).collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventItem {
    #[serde(default)]
    metadata: Meta,
    #[serde(default)]
    involved_object: Involved,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    count: Option<i64>,
    #[serde(default)]
    last_timestamp: Option<String>,
}

#[derive(Deserialize, Default)]
struct Involved {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    name: String,
}

impl EventItem {
    fn into_info(self) -> EventInfo {
        EventInfo {
            namespace: self.metadata.namespace.unwrap_or_default(),
            object: ObjectRef {
                kind: self.involved_object.kind,
                namespace: self.involved_object.namespace,
                name: self.involved_object.name,
            },
            reason: self.reason.unwrap_or_default(),
            message: self.message.unwrap_or_default(),
            count: self.count.unwrap_or(1),
            last_seen: self.last_timestamp,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HpaItem {
    #[serde(default)]
    metadata: Meta,
    #[serde(default)]
    spec: HpaSpec,
    #[serde(default)]
    status: HpaStatus,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct HpaSpec {
    #[serde(default)]
    scale_target_ref: Involved,
    #[serde(default)]
    min_replicas: Option<i32>,
    #[serde(default)]
    max_replicas: Option<i32>,
    #[serde(default)]
    metrics: Vec<MetricSpec>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetricSpec {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    resource: Option<Named>,
    #[serde(default)]
    container_resource: Option<Named>,
    #[serde(default)]
    pods: Option<MetricHolder>,
    #[serde(default)]
    object: Option<MetricHolder>,
    #[serde(default)]
    external: Option<MetricHolder>,
}

#[derive(Deserialize)]
struct Named {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    current: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct MetricHolder {
    #[serde(default)]
    metric: Option<Named>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct HpaStatus {
    #[serde(default)]
    conditions: Option<Vec<ConditionItem>>,
    #[serde(default)]
    current_metrics: Option<Vec<MetricSpec>>,
}

#[derive(Deserialize)]
struct ConditionItem {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl MetricSpec {
    fn name(&self) -> Option<String> {
        let named = self.resource.as_ref().or(self.container_resource.as_ref());
        named.and_then(|n| n.name.clone()).or_else(|| {
            [&self.pods, &self.object, &self.external]
                .into_iter()
                .flatten()
                .find_map(|h| h.metric.as_ref()?.name.clone())
        })
    }
}

impl HpaItem {
    fn into_info(self) -> HpaInfo {
        let namespace = self.metadata.namespace.unwrap_or_default();
        let current = self
            .status
            .current_metrics
            .unwrap_or_default()
            .iter()
            .map(|m| {
                let value = m.resource.as_ref().or(m.container_resource.as_ref()).and_then(|r| r.current.as_ref());
                format!(
                    "{} {}: {}",
                    m.kind,
                    m.name().unwrap_or_default(),
                    value.map(|v| v.to_string()).unwrap_or_default()
                )
            })
            .collect();
        HpaInfo {
            target: ObjectRef {
                kind: self.spec.scale_target_ref.kind,
                namespace: Some(namespace.clone()),
                name: self.spec.scale_target_ref.name,
            },
            namespace,
            name: self.metadata.name,
            min_replicas: self.spec.min_replicas,
            max_replicas: self.spec.max_replicas,
            metrics: self.spec.metrics.iter().map(|m| HpaMetric { kind: m.kind.clone(), name: m.name() }).collect(),
            conditions: self
                .status
                .conditions
                .unwrap_or_default()
                .into_iter()
                .map(|c| Condition { kind: c.kind, status: c.status, reason: c.reason, message: c.message })
                .collect(),
            current,
        }
    }
}

#[derive(Deserialize)]
struct PodMetricsItem {
    #[serde(default)]
    metadata: Meta,
    #[serde(default)]
    containers: Vec<ContainerUsage>,
}

#[derive(Deserialize)]
struct ContainerUsage {
    #[serde(default)]
    usage: BTreeMap<String, String>,
}

impl PodMetricsItem {
    fn into_info(self) -> PodMetricsInfo {
        let sum = |key: &str, parse: fn(&str) -> u64| {
            self.containers.iter().filter_map(|c| c.usage.get(key)).map(|v| parse(v)).sum()
        };
        PodMetricsInfo {
            namespace: self.metadata.namespace.clone().unwrap_or_default(),
            name: self.metadata.name.clone(),
            cpu_nanocores: sum("cpu", cpu_nanocores),
            memory_bytes: sum("memory", memory_bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slim_pod_keeps_only_what_checks_use() {
        let json = r#"{"metadata":{"name":"hello","namespace":"demo","annotations":{"module.wasm.image/variant":"compat-smart","kubectl.kubernetes.io/last-applied-configuration":"{\"big\":true}"},
            "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"hello-5d9","uid":"x"}]},
            "spec":{"runtimeClassName":"crun","nodeName":"worker-1","containers":[{"name":"app","image":"ghcr.io/x/hello:v1","env":[{"name":"SECRET","value":"s3cr3t"}]}]},
            "status":{"phase":"Running","startTime":"2026-11-24T09:00:00Z","containerStatuses":[{"name":"app","restartCount":2,"state":{"running":{"startedAt":"2026-11-24T09:00:05Z"}}}]}}"#;
        let p: PodItem = serde_json::from_str(json).unwrap();
        let p = p.into_info();
        assert_eq!(p.wasm_annotations.len(), 1);
        assert_eq!(p.runtime_class.as_deref(), Some("crun"));
        assert_eq!(p.owner.unwrap().name, "hello-5d9");
        assert_eq!(p.containers[0].state, "running");
        assert_eq!(p.containers[0].restart_count, 2);
        assert!(!serde_json::to_string(&p.containers).unwrap().contains("s3cr3t"), "env values never kept");
        let bare: PodItem = serde_json::from_str(r#"{"metadata":{"name":"x","annotations":null}}"#).unwrap();
        assert!(bare.into_info().wasm_annotations.is_empty());
    }

    #[test]
    fn continue_tokens_are_encoded() {
        assert_eq!(percent_encode("eyJ2Ijo+/="), "eyJ2Ijo%2B%2F%3D");
    }
}
