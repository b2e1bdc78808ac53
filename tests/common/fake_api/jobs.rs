//! The fake's Jobs: `POST` creates one (a dry run only checks it), and what the Job controller and
//! the kubelet would then do happens at once, by the script set for the Job's node: its pod, the
//! pod's status and Warning events, the container's log, the Job's conditions. A Job deleted with
//! `propagationPolicy=Background`/`Foreground` takes its pods along; without one, batch/v1's
//! default orphans them (pkg/registry/batch/job/strategy.go), as the real server does.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::*;

/// What happens to a Job created for a node.
#[derive(Debug, Clone)]
pub enum JobScript {
    /// The container runs runwasi's demo module: `echo ARGS…` prints them; it exits 0.
    Succeeds,
    /// The container exits 0 having printed this.
    Prints(String),
    /// The kubelet cannot pull the image.
    PullFails,
    /// containerd has no runtime for the RuntimeClass's handler on this node.
    NoRuntime,
    /// The pod stays `ContainerCreating`, nothing said.
    Hangs,
    /// The runtime cannot exec the module (crun without the Wasm annotation).
    ExecFormatError,
}

/// A `POST` to a namespaced Jobs collection; other collections are not served for create.
pub(super) fn respond_post(target: &str, body: &[u8], state: &Arc<Mutex<State>>) -> Response {
    let mut st = state.lock().unwrap();
    st.requests.push(format!("POST {target}"));
    st.posts.push((target.to_string(), String::from_utf8_lossy(body).into_owned()));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let dry_run = query.split('&').any(|p| p == "dryRun=All");
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let ["apis", "batch", "v1", "namespaces", ns, "jobs"] = parts.as_slice() else {
        return (405, "application/json", status(405, "MethodNotAllowed", "create is not served here"), None);
    };
    if let Some(Fault::Status(403)) = st.faults.get(path) {
        let msg = format!(
            "jobs.batch is forbidden: User \"jane\" cannot create resource \"jobs\" in API group \"batch\" in the namespace \"{ns}\""
        );
        return (403, "application/json", status(403, "Forbidden", &msg), None);
    }
    let Ok(mut job) = serde_json::from_slice::<Value>(body) else {
        return (400, "application/json", status(400, "BadRequest", "body is not JSON"), None);
    };
    // The real server's validation of what a Job's pod template must be.
    let restart = job["spec"]["template"]["spec"]["restartPolicy"].as_str().unwrap_or("");
    if restart != "Never" && restart != "OnFailure" {
        let msg = format!(
            "Job.batch \"{}\" is invalid: spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"",
            job["metadata"]["name"].as_str().unwrap_or("")
        );
        return (422, "application/json", status(422, "Invalid", &msg), None);
    }
    let name = job["metadata"]["name"].as_str().unwrap_or("").to_string();
    if find_object(&st, "/apis/batch/v1/jobs", &Some(ns.to_string()), &name).is_some() {
        let msg = format!("jobs.batch \"{name}\" already exists");
        return (409, "application/json", status(409, "AlreadyExists", &msg), None);
    }
    job["metadata"]["namespace"] = json!(ns);
    job["metadata"]["uid"] = json!(format!("uid-{name}"));
    for label in ["job-name", "batch.kubernetes.io/job-name"] {
        job["spec"]["template"]["metadata"]["labels"][label] = json!(name);
    }
    if dry_run {
        return (201, "application/json", job.to_string().into_bytes(), None);
    }
    job["metadata"]["resourceVersion"] = json!(st.next_revision());
    let node = job["spec"]["template"]["spec"]["nodeName"].as_str().unwrap_or("").to_string();
    let script = st.job_scripts.get(&node).cloned().unwrap_or(JobScript::Succeeds);
    run_job(&mut st, &mut job, ns, &script);
    st.lists.entry("/apis/batch/v1/jobs".into()).or_default().push(job.clone());
    st.cache.clear();
    (201, "application/json", job.to_string().into_bytes(), None)
}

/// The Job controller's pod and the kubelet's doing, at once.
fn run_job(st: &mut State, job: &mut Value, ns: &str, script: &JobScript) {
    let name = job["metadata"]["name"].as_str().unwrap_or("").to_string();
    let pod_name = format!("{name}-x7k2p");
    let template = &job["spec"]["template"];
    let args: Vec<String> = template["spec"]["containers"][0]["args"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(String::from))
        .collect();
    let container = template["spec"]["containers"][0]["name"].as_str().unwrap_or("").to_string();
    let image = template["spec"]["containers"][0]["image"].as_str().unwrap_or("").to_string();
    let rc = template["spec"]["runtimeClassName"].as_str().unwrap_or("").to_string();
    let handler = st
        .lists
        .get("/apis/node.k8s.io/v1/runtimeclasses")
        .into_iter()
        .flatten()
        .find(|r| r["metadata"]["name"] == rc.as_str())
        .and_then(|r| r["handler"].as_str())
        .unwrap_or(&rc)
        .to_string();
    let mut pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": pod_name, "namespace": ns, "labels": template["metadata"]["labels"].clone(),
                     "annotations": template["metadata"]["annotations"].clone(),
                     "creationTimestamp": "2026-11-28T10:00:00Z",
                     "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": name, "uid": job["metadata"]["uid"].clone(), "controller": true}]},
        "spec": template["spec"].clone(),
    });
    let warn = |reason: &str, message: &str| event(ns, "Pod", &pod_name, reason, message);
    let terminated = |code: i64, reason: &str, message: &str| {
        json!([{"name": container, "image": image, "ready": false, "restartCount": 0,
                "state": {"terminated": {"exitCode": code, "reason": reason, "message": message}}}])
    };
    let waiting = |reason: &str, message: &str| {
        json!([{"name": container, "image": image, "ready": false, "restartCount": 0,
                "state": {"waiting": {"reason": reason, "message": message}}}])
    };
    let complete = json!({"succeeded": 1, "conditions": [{"type": "SuccessCriteriaMet", "status": "True"}, {"type": "Complete", "status": "True"}]});
    match script {
        JobScript::Succeeds | JobScript::Prints(_) => {
            let printed = match script {
                JobScript::Prints(text) => text.clone(),
                _ if args.first().map(String::as_str) == Some("echo") => args[1..].join(" ") + "\n",
                _ => format!("unknown command: {}\n", args.first().cloned().unwrap_or_default()),
            };
            st.log(ns, &pod_name, &container, &printed);
            pod["status"] = json!({"phase": "Succeeded", "containerStatuses": terminated(0, "Completed", "")});
            job["status"] = complete;
        }
        JobScript::PullFails => {
            let msg = format!(
                "failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": {image}: not found"
            );
            pod["status"] = json!({"phase": "Pending", "containerStatuses": waiting("ErrImagePull", &msg)});
            let e = warn("Failed", &format!("Failed to pull image \"{image}\": {msg}"));
            st.push(e);
            job["status"] = json!({"active": 1});
        }
        JobScript::NoRuntime => {
            pod["status"] = json!({"phase": "Pending", "containerStatuses": waiting("ContainerCreating", "")});
            let msg = format!(
                "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox runtime: no runtime for \"{handler}\" is configured"
            );
            let e = warn("FailedCreatePodSandBox", &msg);
            st.push(e);
            job["status"] = json!({"active": 1});
        }
        JobScript::Hangs => {
            pod["status"] = json!({"phase": "Pending", "containerStatuses": waiting("ContainerCreating", "")});
            job["status"] = json!({"active": 1});
        }
        JobScript::ExecFormatError => {
            let msg = "failed to create containerd task: failed to create shim task: OCI runtime create failed: exec: \"/wasi-demo-app.wasm\": exec format error: unknown";
            pod["status"] = json!({"phase": "Failed", "containerStatuses": terminated(128, "StartError", msg)});
            job["status"] = json!({"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]});
        }
    }
    st.push(pod);
}

/// A Job's pods go with it when the deletion propagates; otherwise they stay, orphaned.
pub(super) fn delete_dependents(st: &mut State, collection: &str, ns: &Option<String>, name: &str, query: &str) {
    let propagates =
        query.split('&').any(|p| p == "propagationPolicy=Background" || p == "propagationPolicy=Foreground");
    if collection != "/apis/batch/v1/jobs" || !propagates {
        return;
    }
    if let Some(pods) = st.lists.get_mut("/api/v1/pods") {
        pods.retain(|p| {
            !(p["metadata"]["labels"]["job-name"] == name
                && ns.as_ref().is_none_or(|n| p["metadata"]["namespace"] == n.as_str()))
        });
    }
}
