//! The Job each cluster smoke run creates: pinned to one node with `nodeName` and to one
//! RuntimeClass, `backoffLimit: 0`, cleaned up by Kubernetes too (`activeDeadlineSeconds`,
//! `ttlSecondsAfterFinished`) should wasmdoctor itself be killed, and labelled as wasmdoctor's.

use serde_json::{Value, json};

/// Every object of one smoke run carries this label, with the run's ID.
pub const RUN_LABEL: &str = "wasmdoctor.dev/smoke-run";
/// The smoke container's name (the log is read from it).
pub const CONTAINER: &str = "smoke";

/// What a Job is made of.
pub struct JobSpec<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    pub run: &'a str,
    pub runtime_class: &'a str,
    pub node: &'a str,
    pub image: &'a str,
    pub args: &'a [String],
    /// How long wasmdoctor waits; the Job's own deadline is a minute past it.
    pub timeout_seconds: u64,
}

/// `wd-smoke-<run>-<n>`: within the 63 characters a Job name may have (its pods' `job-name` label).
pub fn job_name(run: &str, n: usize) -> String {
    format!("wd-smoke-{run}-{n}")
}

pub fn manifest(j: &JobSpec) -> Value {
    let labels = json!({
        "app.kubernetes.io/managed-by": "wasmdoctor",
        "app.kubernetes.io/component": "smoke",
        RUN_LABEL: j.run,
    });
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": j.name,
            "namespace": j.namespace,
            "labels": labels,
            "annotations": {
                "wasmdoctor.dev/runtime-class": j.runtime_class,
                "wasmdoctor.dev/node": j.node,
            },
        },
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": j.timeout_seconds + 60,
            "ttlSecondsAfterFinished": 600,
            "template": {
                "metadata": {
                    "labels": labels,
                    // crun picks its Wasm handler by this annotation (when containerd passes pod
                    // annotations on, WD204); shims ignore it.
                    "annotations": {"module.wasm.image/variant": "compat-smart"},
                },
                "spec": {
                    "nodeName": j.node,
                    "runtimeClassName": j.runtime_class,
                    "restartPolicy": "Never",
                    "automountServiceAccountToken": false,
                    "enableServiceLinks": false,
                    "terminationGracePeriodSeconds": 5,
                    // What Pod Security's `restricted` level asks, so such a namespace admits it.
                    "securityContext": {
                        "runAsNonRoot": true,
                        "runAsUser": 65534,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [{
                        "name": CONTAINER,
                        "image": j.image,
                        "args": j.args,
                        "imagePullPolicy": "IfNotPresent",
                        "securityContext": {
                            "allowPrivilegeEscalation": false,
                            "capabilities": {"drop": ["ALL"]},
                        },
                        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                    }],
                },
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_is_pinned_bounded_and_marked() {
        let args = vec!["echo".to_string(), "wd1".to_string()];
        let j = JobSpec {
            name: &job_name("0a1b2c3d", 12),
            namespace: "default",
            run: "0a1b2c3d",
            runtime_class: "wasmtime",
            node: "worker-1",
            image: "ghcr.io/x/demo:1",
            args: &args,
            timeout_seconds: 300,
        };
        let m = manifest(&j);
        assert!(j.name.len() <= 63);
        let pod = &m["spec"]["template"]["spec"];
        assert_eq!(pod["nodeName"], "worker-1");
        assert_eq!(pod["runtimeClassName"], "wasmtime");
        assert_eq!(pod["restartPolicy"], "Never");
        assert_eq!(pod["containers"][0]["args"], json!(["echo", "wd1"]));
        assert_eq!(m["spec"]["backoffLimit"], 0);
        assert_eq!(m["spec"]["activeDeadlineSeconds"], 360);
        assert!(m["spec"]["ttlSecondsAfterFinished"].as_u64().is_some());
        for labels in [&m["metadata"]["labels"], &m["spec"]["template"]["metadata"]["labels"]] {
            assert_eq!(labels[RUN_LABEL], "0a1b2c3d", "the Job and its pods are found by the run's label");
            assert_eq!(labels["app.kubernetes.io/managed-by"], "wasmdoctor");
        }
    }
}
