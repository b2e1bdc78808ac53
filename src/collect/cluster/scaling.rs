//! Slim views of HPAs and pod metrics (metrics.k8s.io): only the fields WD307 reads.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::items::{ConditionItem, Involved, Meta};
use crate::facts::*;
use crate::rules::kube::{cpu_nanocores, memory_bytes};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct HpaItem {
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
    pub(super) fn into_info(self) -> HpaInfo {
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
pub(super) struct PodMetricsItem {
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
    pub(super) fn into_info(self) -> PodMetricsInfo {
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

#[derive(Deserialize)]
pub(super) struct ScaledObjectItem {
    #[serde(default)]
    metadata: Meta,
    #[serde(default)]
    spec: ScaledObjectSpec,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ScaledObjectSpec {
    #[serde(default)]
    scale_target_ref: Involved,
}

impl ScaledObjectItem {
    pub(super) fn into_info(self) -> ScaledObjectInfo {
        let namespace = self.metadata.namespace.unwrap_or_default();
        // KEDA's scaleTargetRef defaults to a Deployment.
        let kind = if self.spec.scale_target_ref.kind.is_empty() {
            "Deployment".into()
        } else {
            self.spec.scale_target_ref.kind
        };
        ScaledObjectInfo {
            target: ObjectRef { kind, namespace: Some(namespace.clone()), name: self.spec.scale_target_ref.name },
            namespace,
            name: self.metadata.name,
        }
    }
}
