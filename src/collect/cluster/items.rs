//! The fields of each API object that the checks use, and nothing else (a pod's env values are
//! never read), deserialized and mapped into the facts.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::facts::*;
use crate::rules::wasm::WASM_ANNOTATIONS;

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
pub(super) struct Meta {
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) namespace: Option<String>,
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
pub(super) struct RuntimeClassItem {
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
    #[serde(default)]
    tolerations: Option<Vec<TolerationItem>>,
}

#[derive(Deserialize)]
struct TolerationItem {
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    operator: Option<String>,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    effect: Option<String>,
}

impl RuntimeClassItem {
    pub(super) fn into_info(self) -> RuntimeClassInfo {
        let (node_selector, tolerations) = match self.scheduling {
            Some(s) => (s.node_selector.unwrap_or_default(), s.tolerations.unwrap_or_default()),
            None => (BTreeMap::new(), Vec::new()),
        };
        RuntimeClassInfo {
            name: self.metadata.name,
            handler: self.handler,
            node_selector,
            tolerations: tolerations
                .into_iter()
                .map(|t| Toleration { key: t.key, operator: t.operator, value: t.value, effect: t.effect })
                .collect(),
        }
    }
}

#[derive(Deserialize)]
pub(super) struct NodeItem {
    #[serde(default)]
    metadata: Meta,
    #[serde(default)]
    spec: NodeSpec,
    #[serde(default)]
    status: NodeStatus,
}

#[derive(Deserialize, Default)]
struct NodeSpec {
    #[serde(default)]
    taints: Option<Vec<TaintItem>>,
}

#[derive(Deserialize)]
struct TaintItem {
    #[serde(default)]
    key: String,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    effect: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct NodeStatus {
    #[serde(default)]
    node_info: Option<NodeSystemInfo>,
    #[serde(default)]
    runtime_handlers: Option<Vec<NamedHandler>>,
    #[serde(default)]
    conditions: Option<Vec<ConditionItem>>,
}

#[derive(Deserialize)]
struct NamedHandler {
    #[serde(default)]
    name: String,
}

/// A status condition, as Nodes, HPAs and other objects write them.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ConditionItem {
    #[serde(rename = "type", default)]
    pub(super) kind: String,
    #[serde(default)]
    pub(super) status: String,
    #[serde(default)]
    pub(super) reason: Option<String>,
    #[serde(default)]
    pub(super) message: Option<String>,
    /// Nodes' conditions only.
    #[serde(default)]
    pub(super) last_heartbeat_time: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NodeSystemInfo {
    #[serde(default)]
    container_runtime_version: Option<String>,
}

impl NodeItem {
    pub(super) fn into_info(self) -> NodeInfo {
        let conditions = self.status.conditions.unwrap_or_default();
        let ready = conditions.iter().find(|c| c.kind == "Ready").map(|c| c.status == "True");
        let wasm_ready = conditions.into_iter().find(|c| c.kind == "WasmReady").map(|c| WasmReady {
            status: c.status,
            reason: c.reason,
            message: c.message,
            heartbeat: c.last_heartbeat_time,
        });
        NodeInfo {
            name: self.metadata.name,
            labels: self.metadata.labels.unwrap_or_default(),
            runtime_version: self.status.node_info.and_then(|i| i.container_runtime_version),
            taints: self
                .spec
                .taints
                .unwrap_or_default()
                .into_iter()
                .map(|t| Taint { key: t.key, value: t.value, effect: t.effect })
                .collect(),
            runtime_handlers: self.status.runtime_handlers.map(|hs| hs.into_iter().map(|h| h.name).collect()),
            wasm_ready,
            ready,
        }
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
    #[serde(default)]
    last_state: Option<ContainerState>,
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
    #[serde(default)]
    exit_code: Option<i64>,
}

#[derive(Deserialize)]
pub(super) struct PodItem {
    #[serde(default)]
    metadata: Meta,
    #[serde(default)]
    spec: PodSpec,
    #[serde(default)]
    status: PodStatus,
}

impl PodItem {
    pub(super) fn into_info(self) -> PodInfo {
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
                    last_termination: st.and_then(|s| s.last_state.as_ref()?.terminated.as_ref()).map(|d| {
                        Termination {
                            exit_code: d.exit_code.unwrap_or(0),
                            reason: d.reason.clone(),
                            message: d.message.clone(),
                        }
                    }),
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
pub(super) struct WorkloadItem {
    #[serde(default)]
    metadata: Meta,
    #[serde(default)]
    spec: WorkloadSpec,
}

impl WorkloadItem {
    pub(super) fn into_info(self, kind: &str) -> WorkloadInfo {
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
pub(super) struct EventItem {
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

/// An object an event is about, or an HPA's scale target.
#[derive(Deserialize, Default)]
pub(super) struct Involved {
    #[serde(default)]
    pub(super) kind: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    pub(super) name: String,
}

impl EventItem {
    pub(super) fn into_info(self) -> EventInfo {
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
    fn a_crash_looping_container_keeps_its_last_termination() {
        let json = r#"{"metadata":{"name":"net","namespace":"demo"},"spec":{"containers":[{"name":"app"}]},
            "status":{"phase":"Running","containerStatuses":[{"name":"app","restartCount":5,
              "state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off 2m40s restarting failed container=app"}},
              "lastState":{"terminated":{"exitCode":1,"reason":"Error","startedAt":"2026-11-24T09:00:05Z","finishedAt":"2026-11-24T09:00:06Z"}}}]}}"#;
        let p: PodItem = serde_json::from_str(json).unwrap();
        let c = &p.into_info().containers[0];
        assert_eq!((c.state.as_str(), c.reason.as_deref()), ("waiting", Some("CrashLoopBackOff")));
        let last = c.last_termination.as_ref().expect("lastState.terminated is kept");
        assert_eq!((last.exit_code, last.reason.as_deref()), (1, Some("Error")));
    }
}
