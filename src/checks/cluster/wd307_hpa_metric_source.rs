//! WD307 hpa-metric-source: HPAs of Wasm workloads scale on a metric those workloads report (CPU of
//! a shim with the wrong cgroup driver or before runwasi 0.6.0 stays flat).

use std::collections::BTreeMap;

use super::{is_wasm_pod, is_wasm_rc, node_handlers, rc_of, route_of};
use crate::checks::{Ctx, Outcome, gate};
use crate::facts::{ClusterFacts, HpaInfo, PodInfo, Route, RuntimeClassInfo};
use crate::report::Affected;
use crate::rules::text::list;
use crate::rules::versions::parse_version;

/// The Wasm workloads an HPA may target, and their pods.
fn hpa_target_pods<'a>(h: &HpaInfo, c: &'a ClusterFacts) -> Vec<&'a PodInfo> {
    let Some(pods) = c.pods.collected() else { return Vec::new() };
    let workloads = c.workloads.collected().map(Vec::as_slice).unwrap_or(&[]);
    pods.iter()
        .filter(|p| p.namespace == h.namespace)
        .filter(|p| {
            let Some(owner) = &p.owner else { return false };
            if owner.kind == h.target.kind && owner.name == h.target.name {
                return true;
            }
            // Pod → ReplicaSet → Deployment (or SpinApp, whose Deployment has its name).
            workloads.iter().any(|w| {
                w.kind == owner.kind
                    && w.name == owner.name
                    && w.namespace == p.namespace
                    && w.owner.as_ref().is_some_and(|o| o.name == h.target.name)
            })
        })
        .collect()
}

fn is_wasm_target(
    h: &HpaInfo,
    c: &ClusterFacts,
    rcs: &[RuntimeClassInfo],
    handlers: Option<&BTreeMap<String, Route>>,
) -> bool {
    if h.target.kind == "SpinApp" {
        return true;
    }
    let workload = c
        .workloads
        .collected()
        .into_iter()
        .flatten()
        .find(|w| w.kind == h.target.kind && w.name == h.target.name && w.namespace == h.namespace);
    if let Some(w) = workload {
        return !w.wasm_annotations.is_empty()
            || rc_of(w.runtime_class.as_deref(), rcs).is_some_and(|rc| is_wasm_rc(rc, handlers));
    }
    hpa_target_pods(h, c).iter().any(|p| is_wasm_pod(p, rcs, handlers))
}

pub fn check(ctx: &Ctx, c: &ClusterFacts) -> Outcome {
    let hpas = or_return!(gate::list(&c.hpas));
    let rcs = or_return!(gate::list(&c.runtime_classes));
    let handlers = node_handlers(ctx.facts);
    let wasm: Vec<&HpaInfo> = hpas.iter().filter(|h| is_wasm_target(h, c, rcs, handlers.as_ref())).collect();
    if wasm.is_empty() {
        return Outcome::skip("no HorizontalPodAutoscaler scales a Wasm workload");
    }
    let resource_based = |h: &HpaInfo| {
        h.metrics.iter().any(|m| {
            matches!(m.kind.as_str(), "Resource" | "ContainerResource")
                && matches!(m.name.as_deref(), Some("cpu") | Some("memory"))
        })
    };
    let fix = "scale on a metric the Wasm workload reports itself: a KEDA `ScaledObject` (keda.sh/v1alpha1, e.g. an HTTP or Prometheus trigger) or a `Pods`/`External` metric; for CPU, runwasi shims ≥ 0.6.0 with `SystemdCgroup` matching the kubelet (WD208)";
    let mut warned: Option<Outcome> = None;
    let mut ok = Vec::new();
    // HPAs on CPU/memory with no sign either way: no usable metric and no condition from the HPA
    // controller (no metrics API, no controller, or not reconciled yet).
    let mut unknown = Vec::new();
    for h in wasm {
        let a = Affected {
            kind: "HorizontalPodAutoscaler".into(),
            namespace: Some(h.namespace.clone()),
            name: h.name.clone(),
            node: None,
        };
        if !resource_based(h) {
            ok.push(format!(
                "`{}/{}` scales on {}",
                h.namespace,
                h.name,
                h.metrics.iter().map(|m| m.kind.clone()).collect::<Vec<_>>().join(", ")
            ));
            continue;
        }
        let failing = h.conditions.iter().find(|cond| {
            (cond.kind == "ScalingActive" && cond.status == "False")
                || cond.reason.as_deref().is_some_and(|r| r.starts_with("FailedGet"))
                || cond
                    .message
                    .as_deref()
                    .is_some_and(|m| m.contains("failed to get cpu") || m.contains("unable to get metrics"))
        });
        let pods = hpa_target_pods(h, c);
        let metrics = c.pod_metrics.collected();
        let zero_or_missing = metrics.is_some_and(|ms| {
            !pods.is_empty()
                && pods.iter().all(|p| {
                    ms.iter()
                        .find(|m| m.namespace == p.namespace && m.name == p.name)
                        .is_none_or(|m| m.cpu_nanocores == 0)
                })
        });
        // A ScaledObject on the same target: KEDA takes this HPA over when its operator reconciles.
        let taken_over = c.scaled_objects.collected().into_iter().flatten().find(|so| {
            so.namespace == h.namespace && so.target.kind == h.target.kind && so.target.name == h.target.name
        });
        if let (Some(so), true) = (taken_over, failing.is_some() || zero_or_missing) {
            return Outcome::warn(format!(
                "HPA `{}/{}` cannot scale {} `{}` on CPU/memory yet, and ScaledObject `{}/{}` targets it: KEDA takes the HPA over and rewrites its metrics to the trigger when its operator reconciles the ScaledObject",
                h.namespace, h.name, h.target.kind, h.target.name, so.namespace, so.name
            ))
            .fix(format!("check that KEDA's operator runs and the ScaledObject is ready (`kubectl get scaledobject -n {} {}`)", so.namespace, so.name))
            .affected(vec![a]);
        }
        if let Some(cond) = failing {
            return Outcome::fail(format!(
                "HPA `{}/{}` scales Wasm workload {} `{}` on CPU/memory, and its condition `{}` is `{}`: {}",
                h.namespace,
                h.name,
                h.target.kind,
                h.target.name,
                cond.kind,
                cond.status,
                cond.message.clone().or(cond.reason.clone()).unwrap_or_default()
            ))
            .fix(fix)
            .affected(vec![a]);
        }
        if zero_or_missing {
            return Outcome::fail(format!(
                    "HPA `{}/{}` scales Wasm workload {} `{}` on CPU/memory, but its {} no CPU usage in metrics.k8s.io, so it cannot scale",
                    h.namespace,
                    h.name,
                    h.target.kind,
                    h.target.name,
                    if pods.len() == 1 { "pod reports".to_string() } else { format!("{} pods report", pods.len()) }
                ))
                .fix(fix)
.affected(vec![a]);
        }
        if warned.is_none()
            && let Some(reason) = cgroup_risk(ctx, &pods, rcs, handlers.as_ref())
        {
            warned = Some(
                Outcome::warn(format!(
                    "HPA `{}/{}` scales Wasm workload `{}` on CPU/memory: {reason}",
                    h.namespace, h.name, h.target.name
                ))
                .fix(fix)
                .affected(vec![a]),
            );
            continue;
        }
        let active = h.conditions.iter().any(|cond| cond.kind == "ScalingActive" && cond.status == "True");
        let reported = metrics.is_some_and(|ms| {
            pods.iter()
                .any(|p| ms.iter().any(|m| m.namespace == p.namespace && m.name == p.name && m.cpu_nanocores > 0))
        });
        if active || reported {
            ok.push(format!("`{}/{}` (CPU/memory, metrics flowing)", h.namespace, h.name));
        } else {
            unknown.push(format!("`{}/{}`", h.namespace, h.name));
        }
    }
    if let Some(w) = warned {
        return w;
    }
    if ok.is_empty() && !unknown.is_empty() {
        let metrics = match &c.pod_metrics {
            crate::facts::Fact::Unavailable(m) => m.reason.clone(),
            crate::facts::Fact::Collected(_) => "metrics.k8s.io has no usage for their pods".into(),
        };
        return Outcome::skip(format!(
            "cannot tell whether the CPU/memory metrics of HPA {} flow: {metrics}, and no HPA condition says `ScalingActive`",
            list(&unknown)
        ));
    }
    let unsure = if unknown.is_empty() { String::new() } else { format!(" (unknown for {})", list(&unknown)) };
    Outcome::pass(format!("HPAs of Wasm workloads: {}{unsure}", list(&ok)))
}

/// Why CPU metrics of these pods may be flat on this node: an old shim or a cgroup-driver mismatch.
fn cgroup_risk(
    ctx: &Ctx,
    pods: &[&PodInfo],
    rcs: &[RuntimeClassInfo],
    handlers: Option<&BTreeMap<String, Route>>,
) -> Option<String> {
    let node = ctx.facts.node.collected()?;
    let rc = pods.iter().find_map(|p| rc_of(p.runtime_class.as_deref(), rcs))?;
    if route_of(rc, handlers) != Some(&Route::Shim) {
        return None;
    }
    let runtime = node.containerd_config.active_runtimes().find(|r| r.name == rc.handler)?;
    if let Some(k) = node.kubelet.collected() {
        let systemd = k.cgroup_driver == "systemd";
        if runtime.systemd_cgroup.unwrap_or(false) != systemd {
            return Some(format!(
                "runtime `{}` does not use the kubelet's `{}` cgroup driver (WD208), so its pods' CPU metrics stay flat",
                runtime.name, k.cgroup_driver
            ));
        }
    }
    let shim = node.shims.iter().find(|s| s.runtime == runtime.name)?;
    let v = shim.version.as_ref()?.collected()?;
    let min = ctx.policy.shim_minimum();
    parse_version(v).filter(|p| *p < min).map(|_| {
        format!("shim `{}` {v} is older than runwasi v{min}, before which shims ignored `SystemdCgroup` and pod CPU metrics could stay flat", shim.binary)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::facts::{Condition, Fact, HpaMetric, Kubelet, ObjectRef, PodMetricsInfo, WorkloadInfo};
    use crate::report::Status;

    const SHIM_CGROUPFS: &str = r#"version = 2
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmedge]
  runtime_type = "io.containerd.wasmedge.v1"
"#;

    fn hpa(metric: (&str, &str), scaling_active: &str) -> HpaInfo {
        HpaInfo {
            namespace: "demo".into(),
            name: "web".into(),
            target: ObjectRef { kind: "Deployment".into(), namespace: Some("demo".into()), name: "web".into() },
            min_replicas: Some(1),
            max_replicas: Some(5),
            metrics: vec![HpaMetric { kind: metric.0.into(), name: Some(metric.1.into()) }],
            conditions: vec![Condition {
                kind: "ScalingActive".into(),
                status: scaling_active.into(),
                reason: None,
                message: Some("the HPA was unable to compute the replica count: failed to get cpu utilization".into()),
            }],
            current: vec![],
        }
    }

    fn web(rc: &str) -> WorkloadInfo {
        WorkloadInfo {
            kind: "Deployment".into(),
            namespace: "demo".into(),
            name: "web".into(),
            runtime_class: Some(rc.into()),
            wasm_annotations: Default::default(),
            images: vec![],
            owner: None,
        }
    }

    #[test]
    fn a_workload_metric_passes_a_failing_cpu_metric_fails() {
        let rcs = || vec![rc("wasmedge", "wasmedge")];
        let c = cluster_facts(vec![], vec![web("wasmedge")], vec![hpa(("Pods", "rps"), "True")], rcs());
        let o = run_cluster(check, SHIM_RUNTIME_V2, c);
        assert_eq!((o.status, o.message.as_str()), (Status::Pass, "HPAs of Wasm workloads: `demo/web` scales on Pods"));
        let c = cluster_facts(vec![], vec![web("wasmedge")], vec![hpa(("Resource", "cpu"), "False")], rcs());
        let o = run_cluster(check, SHIM_RUNTIME_V2, c);
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("its condition `ScalingActive` is `False`"), "{}", o.message);
        assert_eq!(o.affected[0].kind, "HorizontalPodAutoscaler");
        let c =
            cluster_facts(vec![], vec![web("runc")], vec![hpa(("Resource", "cpu"), "False")], vec![rc("runc", "runc")]);
        assert_eq!(run_cluster(check, SHIM_RUNTIME_V2, c).status, Status::Skip, "not a Wasm workload");
    }

    #[test]
    fn cpu_hpa_on_a_shim_with_the_wrong_cgroup_driver_warns() {
        let mut n = node(config(SHIM_CGROUPFS));
        n.kubelet = Fact::Collected(Kubelet {
            cgroup_driver: "systemd".into(),
            source: "/var/lib/kubelet/config.yaml:7".into(),
        });
        let mut f = facts(n);
        let workload = WorkloadInfo {
            kind: "Deployment".into(),
            namespace: "demo".into(),
            name: "web".into(),
            runtime_class: Some("wasmedge".into()),
            wasm_annotations: BTreeMap::new(),
            images: vec![],
            owner: None,
        };
        let rs = WorkloadInfo {
            kind: "ReplicaSet".into(),
            name: "web-5d9".into(),
            owner: Some(ObjectRef { kind: "Deployment".into(), namespace: Some("demo".into()), name: "web".into() }),
            ..workload.clone()
        };
        let hpa = HpaInfo {
            namespace: "demo".into(),
            name: "web".into(),
            target: ObjectRef { kind: "Deployment".into(), namespace: Some("demo".into()), name: "web".into() },
            min_replicas: Some(1),
            max_replicas: Some(5),
            metrics: vec![HpaMetric { kind: "Resource".into(), name: Some("cpu".into()) }],
            conditions: vec![Condition {
                kind: "ScalingActive".into(),
                status: "True".into(),
                reason: Some("ValidMetricFound".into()),
                message: None,
            }],
            current: vec![],
        };
        let mut c = cluster_facts(
            vec![pod("web-5d9-abc", "wasmedge", "x", Some("web-5d9"))],
            vec![workload, rs],
            vec![hpa],
            vec![rc("wasmedge", "wasmedge")],
        );
        c.pod_metrics = Fact::Collected(vec![PodMetricsInfo {
            namespace: "demo".into(),
            name: "web-5d9-abc".into(),
            cpu_nanocores: 1_500_000,
            memory_bytes: 1,
        }]);
        f.cluster = Fact::Collected(c);
        let Fact::Collected(c) = &f.cluster else { unreachable!("set above") };
        let o = with_ctx(&f, |ctx| check(ctx, c));
        assert_eq!(o.status, Status::Warn, "{}", o.message);
        assert!(
            o.message.contains("runtime `wasmedge` does not use the kubelet's `systemd` cgroup driver (WD208)"),
            "{}",
            o.message
        );
    }

    #[test]
    fn no_metrics_api_and_no_condition_is_not_called_flowing() {
        // What a real API server without metrics-server or an HPA controller shows.
        let mut fresh = hpa(("Resource", "cpu"), "True");
        fresh.conditions.clear();
        let mut c = cluster_facts(vec![], vec![web("wasmedge")], vec![fresh], vec![rc("wasmedge", "wasmedge")]);
        c.pod_metrics = Fact::unavailable(
            crate::facts::MissingKind::NotFound,
            "the API server does not serve `pods` (API group `metrics.k8s.io`)",
        );
        let o = run_cluster(check, SHIM_RUNTIME_V2, c.clone());
        assert_eq!(o.status, Status::Skip, "{}", o.message);
        assert!(o.message.starts_with("cannot tell whether the CPU/memory metrics of HPA `demo/web` flow: the API server does not serve `pods`"), "{}", o.message);
        let mut active = hpa(("Resource", "cpu"), "True");
        active.conditions[0].message =
            Some("the HPA was able to successfully calculate a replica count from cpu resource utilization".into());
        c.hpas = Fact::Collected(vec![active]);
        assert_eq!(run_cluster(check, SHIM_RUNTIME_V2, c).status, Status::Pass, "ScalingActive says they flow");
    }

    #[test]
    fn a_scaledobject_taking_the_hpa_over_is_pending_not_failed() {
        let mut c = cluster_facts(
            vec![],
            vec![web("wasmedge")],
            vec![hpa(("Resource", "cpu"), "False")],
            vec![rc("wasmedge", "wasmedge")],
        );
        c.scaled_objects = Fact::Collected(vec![crate::facts::ScaledObjectInfo {
            namespace: "demo".into(),
            name: "web".into(),
            target: ObjectRef { kind: "Deployment".into(), namespace: Some("demo".into()), name: "web".into() },
        }]);
        let o = run_cluster(check, SHIM_RUNTIME_V2, c);
        assert_eq!(o.status, Status::Warn, "{}", o.message);
        assert!(o.message.contains("ScaledObject `demo/web` targets it: KEDA takes the HPA over"), "{}", o.message);
    }
}
