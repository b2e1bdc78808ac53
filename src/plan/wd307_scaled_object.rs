//! WD307's fix: a KEDA `ScaledObject` that takes the failing HPA over (KEDA's
//! `scaledobject.keda.sh/transfer-hpa-ownership`) and scales its target on a Prometheus query of
//! the workload's own metrics. Applied only when KEDA's API is served and the policy names the
//! trigger (`[keda]`); otherwise the object is printed.

use serde_json::json;

use super::{ApiObject, Finding, Plan, PlanError, PlanInput};
use crate::report::{CheckResult, Status};

pub fn plan(input: &PlanInput, finding: &Finding) -> Result<Option<Plan>, PlanError> {
    Ok(scaled_object(input, finding.result))
}

fn scaled_object(input: &PlanInput, result: &CheckResult) -> Option<Plan> {
    let c = input.facts.cluster.collected()?;
    if result.status == Status::Warn {
        return Some(Plan::manual(
            "WD307",
            "CPU metrics of the Wasm pods are at risk from this node's runtimes",
            "the HPA is fine; the runtime is not: set `SystemdCgroup` as the kubelet's driver (`wasmdoctor fix WD208`) and use runwasi shims ≥ 0.6.0, so that CPU usage reaches metrics.k8s.io",
        ));
    }
    if result.status != Status::Fail {
        return None;
    }
    let a = result.affected.iter().find(|a| a.kind == "HorizontalPodAutoscaler")?;
    let hpa = c.hpas.collected()?.iter().find(|h| Some(&h.namespace) == a.namespace.as_ref() && h.name == a.name)?;
    let keda = input.policy.keda.as_ref();
    let fill = |q: &str| q.replace("{namespace}", &hpa.namespace).replace("{name}", &hpa.target.name);
    let trigger = match keda {
        Some(k) => json!({"serverAddress": k.prometheus, "query": fill(&k.query), "threshold": k.threshold}),
        None => {
            json!({"serverAddress": "<prometheus URL>", "query": "<a query of the workload's own metric>", "threshold": "<target value per replica>"})
        }
    };
    let mut spec = json!({
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": hpa.target.kind, "name": hpa.target.name},
        "advanced": {"horizontalPodAutoscalerConfig": {"name": hpa.name}},
        "triggers": [{"type": "prometheus", "metadata": trigger}],
    });
    if let Some(min) = hpa.min_replicas {
        spec["minReplicaCount"] = json!(min);
    }
    if let Some(max) = hpa.max_replicas {
        spec["maxReplicaCount"] = json!(max);
    }
    let object = ApiObject {
        api_version: "keda.sh/v1alpha1".into(),
        kind: "ScaledObject".into(),
        plural: "scaledobjects".into(),
        namespace: Some(hpa.namespace.clone()),
        name: hpa.name.clone(),
        body: json!({
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "ScaledObject",
            "metadata": {
                "name": hpa.name,
                "namespace": hpa.namespace,
                "annotations": {"scaledobject.keda.sh/transfer-hpa-ownership": "true"},
            },
            "spec": spec,
        }),
    };
    let summary = format!(
        "a KEDA ScaledObject takes over HPA `{}/{}` and scales {} `{}` on a Prometheus query instead of CPU",
        hpa.namespace, hpa.name, hpa.target.kind, hpa.target.name
    );
    let shown = serde_json::to_string_pretty(&object.body).unwrap_or_default();
    let missing = match (c.keda, keda) {
        (Some(true), Some(_)) => None,
        (Some(true), None) => Some(
            "name the trigger in the policy file (`[keda] prometheus`, `query`, `threshold`: a metric the Wasm workload exports) and run the fix again, or apply this with the placeholders filled in:".to_string(),
        ),
        (served, _) => Some(format!(
            "KEDA's ScaledObject API (keda.sh/v1alpha1) is {} on this cluster: install KEDA (https://keda.sh/docs/deploy/), then apply this{}:",
            if served == Some(false) { "not served" } else { "not known to be served" },
            if keda.is_none() { " with the placeholders filled in" } else { "" }
        )),
    };
    Some(match missing {
        Some(why) => Plan::manual("WD307", summary, format!("{why}\n{shown}")),
        None => Plan {
            objects: vec![object],
            instructions: Some(
                "KEDA takes the HPA over and rewrites its metrics to the trigger (an External metric). `wasmdoctor undo` deletes the ScaledObject, and Kubernetes then deletes the HPA KEDA owned with it: keep the HPA's manifest to apply it again".into(),
            ),
            ..Plan::empty("WD307", summary)
        },
    })
}
