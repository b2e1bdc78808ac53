//! Realistic objects for the fake's worlds, as a kubelet and controllers would have written them.

use std::collections::BTreeMap;

use serde_json::{Value, json};

pub fn node(name: &str, labels: &[(&str, &str)]) -> Value {
    let mut l: BTreeMap<&str, &str> = labels.iter().copied().collect();
    l.insert("kubernetes.io/hostname", name);
    l.insert("kubernetes.io/os", "linux");
    json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": l},
           "status": {"nodeInfo": {"containerRuntimeVersion": "containerd://1.7.24", "kubeletVersion": "v1.33.0"},
                      "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
                                      "lastHeartbeatTime": "2026-11-24T09:59:00Z", "lastTransitionTime": "2026-11-24T07:00:00Z"}]}})
}

/// A Node whose kubelet (Kubernetes ≥ 1.30, containerd 2.x) reports these runtime handlers.
pub fn node_with_handlers(name: &str, labels: &[(&str, &str)], handlers: &[&str]) -> Value {
    let mut n = node(name, labels);
    n["status"]["nodeInfo"]["containerRuntimeVersion"] = json!("containerd://2.1.4");
    n["status"]["runtimeHandlers"] = handlers
        .iter()
        .map(|h| json!({"name": h, "features": {"recursiveReadOnlyMounts": true, "userNamespaces": true}}))
        .collect();
    n
}

/// `n` Nodes `worker-0`…: a quarter whose kubelet reports the spin handler (and runtime-class-manager
/// labelled), a quarter reporting only runc, a quarter whose agent's `WasmReady` went stale
/// (2026-11-24T06:00:00Z), a quarter bare (no handlers reported, no agent).
pub fn mixed_fleet(s: &mut super::State, n: usize) {
    for i in 0..n {
        let name = format!("worker-{i}");
        let mut obj = match i % 4 {
            0 => node_with_handlers(&name, &[("spin", "provisioned")], &["runc", "spin"]),
            1 => node_with_handlers(&name, &[], &["runc"]),
            _ => node(&name, &[]),
        };
        if i % 4 == 2
            && let Some(cs) = obj["status"]["conditions"].as_array_mut()
        {
            cs.push(json!({"type": "WasmReady", "status": "True", "reason": "NodeChecksPass", "message": "31 node checks pass",
                           "lastHeartbeatTime": "2026-11-24T06:00:00Z", "lastTransitionTime": "2026-11-20T06:00:00Z"}));
        }
        s.push(obj);
    }
}

pub struct PodSpec<'a> {
    pub ns: &'a str,
    pub name: &'a str,
    pub node: &'a str,
    pub runtime_class: Option<&'a str>,
    pub annotations: &'a [(&'a str, &'a str)],
    pub owner: Option<(&'a str, &'a str)>,
    pub image: &'a str,
    /// `running` (with started_at), or `waiting` with (reason, message).
    pub running_since: Option<&'a str>,
    pub waiting: Option<(&'a str, &'a str)>,
}

impl Default for PodSpec<'_> {
    fn default() -> Self {
        PodSpec {
            ns: "default",
            name: "pod",
            node: "worker-1",
            runtime_class: None,
            annotations: &[],
            owner: None,
            image: "ghcr.io/example/app:v1",
            running_since: Some("2026-11-24T08:00:00Z"),
            waiting: None,
        }
    }
}

pub fn pod(p: PodSpec) -> Value {
    let mut annotations: BTreeMap<&str, &str> = p.annotations.iter().copied().collect();
    annotations.insert("kubectl.kubernetes.io/last-applied-configuration", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}");
    let (phase, state) = match (p.running_since, p.waiting) {
        (_, Some((reason, message))) => ("Pending", json!({"waiting": {"reason": reason, "message": message}})),
        (Some(t), None) => ("Running", json!({"running": {"startedAt": t}})),
        (None, None) => ("Pending", json!({"waiting": {"reason": "ContainerCreating"}})),
    };
    // Shaped like a real `kubectl get pod -o json` object (managedFields, projected token volume,
    // tolerations, conditions), so list sizes are realistic for the benchmark.
    let ready = if phase == "Running" { "True" } else { "False" };
    let mut obj = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": p.name, "namespace": p.ns, "uid": format!("0b6c5d7e-{:08x}-4a1b-9c2d-{:012x}", p.name.len(), p.name.bytes().map(u64::from).sum::<u64>()),
                     "resourceVersion": "48213", "generateName": format!("{}-", p.name), "annotations": annotations,
                     "labels": {"app": p.name, "pod-template-hash": "5d9f7c6b8d", "app.kubernetes.io/part-of": "shop"},
                     "creationTimestamp": "2026-11-24T07:59:00Z",
                     "managedFields": [
                        {"apiVersion": "v1", "fieldsType": "FieldsV1", "manager": "kube-controller-manager", "operation": "Update", "time": "2026-11-24T07:59:00Z",
                         "fieldsV1": {"f:metadata": {"f:generateName": {}, "f:labels": {".": {}, "f:app": {}, "f:pod-template-hash": {}}, "f:ownerReferences": {".": {}}},
                                      "f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {".": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {}, "f:resources": {".": {}, "f:requests": {".": {}, "f:cpu": {}, "f:memory": {}}}, "f:terminationMessagePath": {}, "f:terminationMessagePolicy": {}}},
                                                 "f:dnsPolicy": {}, "f:enableServiceLinks": {}, "f:restartPolicy": {}, "f:schedulerName": {}, "f:securityContext": {}, "f:terminationGracePeriodSeconds": {}}}},
                        {"apiVersion": "v1", "fieldsType": "FieldsV1", "manager": "kubelet", "operation": "Update", "subresource": "status", "time": "2026-11-24T07:59:40Z",
                         "fieldsV1": {"f:status": {"f:conditions": {"k:{\"type\":\"ContainersReady\"}": {".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {}}, "k:{\"type\":\"Initialized\"}": {".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {}}, "k:{\"type\":\"Ready\"}": {".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {}}},
                                                   "f:containerStatuses": {}, "f:hostIP": {}, "f:hostIPs": {}, "f:phase": {}, "f:podIP": {}, "f:podIPs": {".": {}, "k:{\"ip\":\"10.42.0.17\"}": {".": {}, "f:ip": {}}}, "f:startTime": {}}}}
                     ]},
        "spec": {"nodeName": p.node, "containers": [{"name": "app", "image": p.image, "imagePullPolicy": "IfNotPresent",
                   "env": [{"name": "API_TOKEN", "value": "pod-env-secret-do-not-print"}],
                   "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                   "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                   "volumeMounts": [{"name": "kube-api-access-7xk2p", "readOnly": true, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]}],
                 "restartPolicy": "Always", "serviceAccountName": "default", "serviceAccount": "default", "dnsPolicy": "ClusterFirst",
                 "schedulerName": "default-scheduler", "securityContext": {}, "terminationGracePeriodSeconds": 30, "preemptionPolicy": "PreemptLowerPriority",
                 "priority": 0, "enableServiceLinks": true,
                 "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                                 {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
                 "volumes": [{"name": "kube-api-access-7xk2p", "projected": {"defaultMode": 420, "sources": [
                     {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                     {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                     {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}}]},
        "status": {"phase": phase, "startTime": "2026-11-24T07:59:30Z", "hostIP": "10.0.0.11", "hostIPs": [{"ip": "10.0.0.11"}],
                   "podIP": "10.42.0.17", "podIPs": [{"ip": "10.42.0.17"}], "qosClass": "Burstable",
                   "conditions": [{"type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2026-11-24T07:59:30Z"},
                                  {"type": "Ready", "status": ready, "lastProbeTime": null, "lastTransitionTime": "2026-11-24T07:59:40Z"},
                                  {"type": "ContainersReady", "status": ready, "lastProbeTime": null, "lastTransitionTime": "2026-11-24T07:59:40Z"},
                                  {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2026-11-24T07:59:30Z"}],
                   "containerStatuses": [{"name": "app", "ready": phase == "Running", "restartCount": 0, "image": p.image, "started": phase == "Running",
                                          "imageID": format!("{}@sha256:4f5b1c9e8d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c", p.image),
                                          "containerID": "containerd://9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d", "state": state}]}
    });
    if let Some(rc) = p.runtime_class {
        obj["spec"]["runtimeClassName"] = json!(rc);
    }
    if let Some((kind, name)) = p.owner {
        obj["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": format!("uid-{name}"), "controller": true}]);
    }
    obj
}

/// `pod` crash-looping as the kubelet reports it: `waiting` in `CrashLoopBackOff` after 5 runs,
/// the last of which exited 1.
pub fn crash_looping(mut pod: Value) -> Value {
    let name = pod["metadata"]["name"].as_str().unwrap_or_default().to_string();
    let st = &mut pod["status"]["containerStatuses"][0];
    st["restartCount"] = json!(5);
    st["ready"] = json!(false);
    st["started"] = json!(false);
    st["state"] = json!({"waiting": {"reason": "CrashLoopBackOff",
        "message": format!("back-off 2m40s restarting failed container=app pod={name}_default(0b6c5d7e)")}});
    st["lastState"] = json!({"terminated": {"exitCode": 1, "reason": "Error",
        "startedAt": "2026-11-24T08:10:02Z", "finishedAt": "2026-11-24T08:10:02Z",
        "containerID": "containerd://1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a7988"}});
    pod["status"]["phase"] = json!("Running");
    pod
}

/// The healthy crun world's Wasm pod: KWasm's demo Deployment's pod, annotated, running since `started`.
pub fn crun_demo_pod(ns: &str, started: &str) -> Value {
    pod(PodSpec {
        ns,
        name: "demo-deployment-5d9f7c6b8d-x2x7q",
        node: "worker-crun",
        runtime_class: Some("crun"),
        annotations: &[("module.wasm.image/variant", "compat-smart")],
        owner: Some(("ReplicaSet", "demo-deployment-5d9f7c6b8d")),
        image: "docker.io/wasmedge/example-wasi-http:latest",
        running_since: Some(started),
        ..Default::default()
    })
}

/// The healthy crun world's HPA: on a `Pods` metric the workload reports, scaling.
pub fn crun_demo_hpa(ns: &str) -> Value {
    hpa(
        ns,
        "demo-rps",
        "demo-deployment",
        json!([{"type": "Pods", "pods": {"metric": {"name": "http_requests_per_second"}, "target": {"type": "AverageValue", "averageValue": "10"}}}]),
        json!([{"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound", "lastTransitionTime": "2026-11-24T09:00:00Z"}]),
    )
}

pub fn deployment(
    ns: &str,
    name: &str,
    runtime_class: Option<&str>,
    annotations: &[(&str, &str)],
    image: &str,
) -> Value {
    let annotations: BTreeMap<&str, &str> = annotations.iter().copied().collect();
    let mut obj = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}, "annotations": annotations},
                              "spec": {"containers": [{"name": "app", "image": image}]}}}
    });
    if let Some(rc) = runtime_class {
        obj["spec"]["template"]["spec"]["runtimeClassName"] = json!(rc);
    }
    obj
}

pub fn replicaset(ns: &str, name: &str, deployment: &str, runtime_class: Option<&str>) -> Value {
    let mut obj = json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": ns,
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment, "uid": format!("uid-{deployment}"), "controller": true}]},
        "spec": {"selector": {"matchLabels": {"app": deployment}},
                 "template": {"metadata": {"labels": {"app": deployment}}, "spec": {"containers": [{"name": "app", "image": "ghcr.io/example/app:v1"}]}}}
    });
    if let Some(rc) = runtime_class {
        obj["spec"]["template"]["spec"]["runtimeClassName"] = json!(rc);
    }
    obj
}

pub fn event(ns: &str, kind: &str, name: &str, reason: &str, message: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Event", "type": "Warning",
        "metadata": {"name": format!("{name}.{}", reason.to_ascii_lowercase()), "namespace": ns},
        "involvedObject": {"kind": kind, "namespace": ns, "name": name},
        "reason": reason, "message": message, "count": 12,
        "firstTimestamp": "2026-11-24T08:00:00Z", "lastTimestamp": "2026-11-24T09:55:00Z",
        "source": {"component": "kubelet", "host": "worker-1"}
    })
}

pub fn hpa(ns: &str, name: &str, target: &str, metrics: Value, conditions: Value) -> Value {
    json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target}, "minReplicas": 1, "maxReplicas": 10, "metrics": metrics},
        "status": {"currentReplicas": 1, "desiredReplicas": 1, "conditions": conditions}
    })
}

pub fn pod_metrics(ns: &str, name: &str, cpu: &str) -> Value {
    json!({"apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics", "metadata": {"name": name, "namespace": ns},
           "timestamp": "2026-11-24T09:59:30Z", "window": "15s", "containers": [{"name": "app", "usage": {"cpu": cpu, "memory": "12Mi"}}]})
}
