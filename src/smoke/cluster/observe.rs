//! Where a smoke Job is, read from the Job, its pod and their Warning events as the API server
//! returns them: still on its way (and at which step), or ended and how. Failures that will not heal
//! while wasmdoctor waits (an image that cannot be pulled, a sandbox the runtime cannot create, a
//! container that cannot start) end the run at once rather than at the time limit.

use serde_json::Value;

use crate::facts::ClusterSmokeOutcome;

/// A container waiting for one of these is not going to start by itself.
const STUCK_WAITING: &[&str] = &[
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "ErrImageNeverPull",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
];
/// Warning events after which the kubelet or the Job controller only retries the same thing.
const STUCK_EVENTS: &[&str] = &["FailedCreatePodSandBox", "FailedCreate"];
const MAX_EVENTS: usize = 5;

/// What was seen of one run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Seen {
    pub pod: Option<String>,
    /// `Pending (ContainerCreating)`, `Running`, `no pod yet`, or how it ended.
    pub status: String,
    pub events: Vec<String>,
    pub ended: Option<ClusterSmokeOutcome>,
    /// Its container started (a log is worth reading).
    pub started: bool,
}

/// `job`: the Job as listed; `pod`: its pod (the newest, if the controller made more); `events`:
/// Warning events of the namespace (those of other objects are ignored).
pub fn observe(job: &Value, pod: Option<&Value>, events: &[Value]) -> Seen {
    let job_name = job["metadata"]["name"].as_str().unwrap_or_default();
    let pod_name = pod.and_then(|p| p["metadata"]["name"].as_str());
    let mut seen = Seen { pod: pod_name.map(String::from), ..Seen::default() };
    seen.events = events
        .iter()
        .filter(|e| {
            let involved = e["involvedObject"]["name"].as_str();
            involved == Some(job_name) || (involved.is_some() && involved == pod_name)
        })
        .filter_map(|e| Some((e["reason"].as_str()?.to_string(), clip(e["message"].as_str().unwrap_or_default()))))
        .fold(Vec::new(), |mut out: Vec<String>, (reason, message)| {
            let line = format!("{reason}: {message}");
            if !out.contains(&line) && out.len() < MAX_EVENTS {
                out.push(line);
            }
            out
        });
    let container = pod.and_then(|p| p["status"]["containerStatuses"].as_array()).and_then(|cs| cs.first());
    let waiting = container.map(|c| &c["state"]["waiting"]).filter(|w| w.is_object());
    let terminated = container.map(|c| &c["state"]["terminated"]).filter(|t| t.is_object());
    seen.started = terminated.is_some() || container.is_some_and(|c| c["state"]["running"].is_object());
    let phase = pod.and_then(|p| p["status"]["phase"].as_str()).unwrap_or_default();
    seen.status = match (pod, waiting, terminated) {
        (None, ..) => "no pod yet".into(),
        (_, Some(w), _) => format!("{phase} ({})", w["reason"].as_str().unwrap_or("waiting")),
        (_, _, Some(t)) => ended_text(t),
        _ => phase.to_string(),
    };
    let condition = |kind: &str| {
        job["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["type"] == kind && c["status"] == "True")
    };
    seen.ended = if condition("Complete").is_some() || phase == "Succeeded" {
        Some(ClusterSmokeOutcome::Completed)
    } else if let Some(t) = terminated.filter(|_| phase == "Failed") {
        Some(failed(t["reason"].as_str().unwrap_or("Error"), &ended_text(t)))
    } else if phase == "Failed" {
        let p = &pod.map(|p| p["status"].clone()).unwrap_or_default();
        Some(failed(p["reason"].as_str().unwrap_or("Failed"), p["message"].as_str().unwrap_or("the pod failed")))
    } else if let Some(c) = condition("Failed") {
        Some(failed(c["reason"].as_str().unwrap_or("Failed"), c["message"].as_str().unwrap_or("the Job failed")))
    } else if let Some(w) = waiting.filter(|w| STUCK_WAITING.contains(&w["reason"].as_str().unwrap_or_default())) {
        Some(failed(w["reason"].as_str().unwrap_or_default(), w["message"].as_str().unwrap_or_default()))
    } else {
        let stuck = events.iter().find(|e| {
            let involved = e["involvedObject"]["name"].as_str();
            STUCK_EVENTS.contains(&e["reason"].as_str().unwrap_or_default())
                && (involved == Some(job_name) || (involved.is_some() && involved == pod_name))
        });
        stuck.map(|e| failed(e["reason"].as_str().unwrap_or_default(), e["message"].as_str().unwrap_or_default()))
    };
    seen
}

fn failed(reason: &str, message: &str) -> ClusterSmokeOutcome {
    ClusterSmokeOutcome::Failed { reason: reason.to_string(), message: clip(message) }
}

/// `exit 1 (Error): message`.
fn ended_text(t: &Value) -> String {
    let code = t["exitCode"].as_i64().map(|c| format!("exit {c}")).unwrap_or_else(|| "ended".into());
    let reason = t["reason"].as_str().map(|r| format!(" ({r})")).unwrap_or_default();
    let message = t["message"].as_str().filter(|m| !m.trim().is_empty()).map(|m| format!(": {}", clip(m)));
    format!("{code}{reason}{}", message.unwrap_or_default())
}

fn clip(s: &str) -> String {
    crate::rules::text::clip(s, 400)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn job(conditions: Value) -> Value {
        json!({"metadata": {"name": "wd-smoke-r-0"}, "status": {"conditions": conditions}})
    }

    fn pod(phase: &str, state: Value) -> Value {
        json!({"metadata": {"name": "wd-smoke-r-0-x7k2p"}, "status": {"phase": phase, "containerStatuses": [{"name": "smoke", "state": state}]}})
    }

    fn event(on: &str, reason: &str, message: &str) -> Value {
        json!({"involvedObject": {"name": on}, "reason": reason, "message": message, "type": "Warning"})
    }

    #[test]
    fn a_completed_job_ended_well() {
        let p = pod("Succeeded", json!({"terminated": {"exitCode": 0, "reason": "Completed"}}));
        let s = observe(&job(json!([{"type": "Complete", "status": "True"}])), Some(&p), &[]);
        assert_eq!(s.ended, Some(ClusterSmokeOutcome::Completed));
        assert!(s.started);
        assert_eq!(s.status, "exit 0 (Completed)");
    }

    #[test]
    fn on_its_way_is_not_ended() {
        let s = observe(&job(json!([])), None, &[]);
        assert_eq!((s.ended, s.status.as_str()), (None, "no pod yet"));
        let p = pod("Pending", json!({"waiting": {"reason": "ContainerCreating"}}));
        let s = observe(&job(json!([])), Some(&p), &[event("other-pod", "FailedCreatePodSandBox", "x")]);
        assert_eq!((s.ended, s.status.as_str()), (None, "Pending (ContainerCreating)"));
        assert!(s.events.is_empty(), "another pod's events are not this run's");
    }

    #[test]
    fn a_pull_failure_ends_it_at_once() {
        let p = pod(
            "Pending",
            json!({"waiting": {"reason": "ErrImagePull", "message": "failed to pull and unpack image \"x\": not found"}}),
        );
        let s = observe(&job(json!([])), Some(&p), &[]);
        assert_eq!(
            s.ended,
            Some(ClusterSmokeOutcome::Failed {
                reason: "ErrImagePull".into(),
                message: "failed to pull and unpack image \"x\": not found".into()
            })
        );
    }

    #[test]
    fn a_sandbox_failure_ends_it_with_the_kubelets_words() {
        let p = pod("Pending", json!({"waiting": {"reason": "ContainerCreating"}}));
        let msg = "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox runtime: no runtime for \"spin\" is configured";
        let events = [event("wd-smoke-r-0-x7k2p", "FailedCreatePodSandBox", msg)];
        let s = observe(&job(json!([])), Some(&p), &events);
        assert_eq!(
            s.ended,
            Some(ClusterSmokeOutcome::Failed { reason: "FailedCreatePodSandBox".into(), message: msg.into() })
        );
        assert_eq!(s.events, [format!("FailedCreatePodSandBox: {msg}")]);
    }

    #[test]
    fn a_failed_container_says_its_exit() {
        let p = pod(
            "Failed",
            json!({"terminated": {"exitCode": 128, "reason": "StartError", "message": "exec format error"}}),
        );
        let s = observe(
            &job(json!([{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}])),
            Some(&p),
            &[],
        );
        assert_eq!(
            s.ended,
            Some(ClusterSmokeOutcome::Failed {
                reason: "StartError".into(),
                message: "exit 128 (StartError): exec format error".into()
            })
        );
    }

    #[test]
    fn the_job_controller_refusing_to_create_the_pod_ends_it() {
        let events = [event(
            "wd-smoke-r-0",
            "FailedCreate",
            "Error creating: pods \"wd-smoke-r-0-\" is forbidden: exceeded quota",
        )];
        let s = observe(&job(json!([])), None, &events);
        assert!(matches!(s.ended, Some(ClusterSmokeOutcome::Failed { ref reason, .. }) if reason == "FailedCreate"));
    }
}
