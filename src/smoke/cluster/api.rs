//! The cluster smoke's requests: create (dry run first), list what the run made, read a log,
//! delete. Each is bounded in time (the source timeout) and in size, a few at a time; errors are
//! worded as users read them, a 403 naming the role that grants the smoke what it needs.

use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;

use super::job::RUN_LABEL;
use crate::collect::cluster::{bounded, path_segment, query_value, short};
use crate::facts::{Missing, MissingKind};

const OBJECT_CAP: usize = 1 << 20;
const LIST_CAP: usize = 16 << 20;
const LOG_CAP: usize = 4096;
const AT_ONCE: usize = 8;

pub struct Api {
    client: kube::Client,
    namespace: String,
    timeout: Duration,
}

/// What the run's label selects now.
pub struct Snapshot {
    pub jobs: Vec<Value>,
    pub pods: Vec<Value>,
    /// The namespace's Warning events (one page), or why they could not be read: the Jobs and pods
    /// still say how each run ends, the events only say more.
    pub events: Result<Vec<Value>, Missing>,
}

impl Api {
    pub fn new(client: kube::Client, namespace: &str, timeout: Duration) -> Api {
        Api { client, namespace: namespace.to_string(), timeout }
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    fn jobs(&self) -> String {
        format!("/apis/batch/v1/namespaces/{}/jobs", path_segment(&self.namespace))
    }

    fn core(&self, plural: &str) -> String {
        format!("/api/v1/namespaces/{}/{plural}", path_segment(&self.namespace))
    }

    /// The first Job the server refuses in a dry run (admission, quota, permission), by index.
    pub async fn dry_run(&self, jobs: &[Value]) -> Option<(usize, Missing)> {
        let url = format!("{}?dryRun=All&fieldManager=wasmdoctor&fieldValidation=Strict", self.jobs());
        let answers: Vec<_> = futures::stream::iter(jobs.iter().enumerate())
            .map(|(i, j)| {
                let url = url.clone();
                async move {
                    (
                        i,
                        self.send(http::Method::POST, &url, j.to_string().into_bytes(), OBJECT_CAP, "create jobs")
                            .await,
                    )
                }
            })
            .buffered(AT_ONCE)
            .collect()
            .await;
        answers.into_iter().find_map(|(i, a)| a.err().map(|e| (i, e)))
    }

    pub async fn create(&self, jobs: &[Value]) -> Vec<Result<(), Missing>> {
        let url = format!("{}?fieldManager=wasmdoctor&fieldValidation=Strict", self.jobs());
        futures::stream::iter(jobs)
            .map(|j| {
                let url = url.clone();
                async move {
                    self.send(http::Method::POST, &url, j.to_string().into_bytes(), OBJECT_CAP, "create jobs")
                        .await
                        .map(drop)
                }
            })
            .buffered(AT_ONCE)
            .collect()
            .await
    }

    pub async fn snapshot(&self, run: &str) -> Result<Snapshot, Missing> {
        let events = format!("{}?limit=500&fieldSelector={}", self.core("events"), query_value("type=Warning"));
        let (made, events) = tokio::join!(self.made(run), self.list(&events, "list events"));
        let (jobs, pods) = made?;
        Ok(Snapshot { jobs, pods, events })
    }

    /// The run's Jobs and pods, by its label.
    async fn made(&self, run: &str) -> Result<(Vec<Value>, Vec<Value>), Missing> {
        let selector = format!("labelSelector={}", query_value(&format!("{RUN_LABEL}={run}")));
        let jobs = format!("{}?limit=500&{selector}", self.jobs());
        let pods = format!("{}?limit=500&{selector}", self.core("pods"));
        let (jobs, pods) = tokio::join!(self.list(&jobs, "list jobs"), self.list(&pods, "list pods"));
        Ok((jobs?, pods?))
    }

    pub async fn log(&self, pod: &str, container: &str) -> Result<String, Missing> {
        let url = format!(
            "{}/{}/log?container={}&limitBytes={LOG_CAP}",
            self.core("pods"),
            path_segment(pod),
            query_value(container)
        );
        self.send(http::Method::GET, &url, Vec::new(), LOG_CAP, "get pods/log").await
    }

    /// Delete each Job with its pods (`propagationPolicy=Background`: a Job's pods are otherwise
    /// orphaned). A Job already gone is deleted.
    pub async fn delete_jobs(&self, names: &[&str]) -> Vec<Result<(), Missing>> {
        futures::stream::iter(names)
            .map(|name| async move {
                let url = format!("{}/{}?propagationPolicy=Background", self.jobs(), path_segment(name));
                match self.send(http::Method::DELETE, &url, Vec::new(), OBJECT_CAP, "delete jobs").await {
                    Ok(_) => Ok(()),
                    Err(e) if e.kind == MissingKind::NotFound => Ok(()),
                    Err(e) => Err(e),
                }
            })
            .buffered(AT_ONCE)
            .collect()
            .await
    }

    /// What of the run is still there: (`Job`/`Pod`, its name, the Job it belongs to).
    pub async fn remaining(&self, run: &str) -> Result<Vec<(&'static str, String, String)>, Missing> {
        let (jobs, pods) = self.made(run).await?;
        let name =
            |v: &Value, pointer: &str| v.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_string();
        let jobs = jobs.iter().map(|j| ("Job", name(j, "/metadata/name"), name(j, "/metadata/name")));
        let pods = pods.iter().map(|p| ("Pod", name(p, "/metadata/name"), name(p, "/metadata/labels/job-name")));
        Ok(jobs.chain(pods).collect())
    }

    async fn list(&self, url: &str, doing: &str) -> Result<Vec<Value>, Missing> {
        let text = self.send(http::Method::GET, url, Vec::new(), LIST_CAP, doing).await?;
        let v: Value = serde_json::from_str(&text).map_err(|e| Missing {
            kind: MissingKind::Malformed,
            reason: format!("{doing}: the answer is not valid JSON: {e}"),
        })?;
        Ok(v["items"].as_array().cloned().unwrap_or_default())
    }

    async fn send(
        &self,
        method: http::Method,
        url: &str,
        body: Vec<u8>,
        cap: usize,
        doing: &str,
    ) -> Result<String, Missing> {
        let req = http::Request::builder()
            .method(method)
            .uri(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body)
            .map_err(|e| Missing { kind: MissingKind::Failed, reason: format!("{doing}: {e}") })?;
        match tokio::time::timeout(self.timeout, bounded::request(&self.client, req, cap)).await {
            Err(_) => Err(Missing {
                kind: MissingKind::Timeout,
                reason: format!("{doing}: the API server did not answer within {} s", self.timeout.as_secs_f64()),
            }),
            Ok(Err(e)) => Err(said(&e, doing, &self.namespace)),
            Ok(Ok(answer)) if answer.cut && cap != LOG_CAP => Err(Missing {
                kind: MissingKind::Malformed,
                reason: format!("{doing}: the answer is larger than {} KiB; it was not read", cap >> 10),
            }),
            Ok(Ok(answer)) => Ok(answer.text),
        }
    }
}

/// An API error as the user reads it: a 403 names the verb and where, and the role that grants it.
fn said(e: &kube::Error, doing: &str, namespace: &str) -> Missing {
    match e {
        kube::Error::Api(s) if s.code == 403 => Missing {
            kind: MissingKind::PermissionDenied,
            reason: format!(
                "forbidden: wasmdoctor may not `{doing}` in namespace `{namespace}` ({}); docs/rbac.yaml's `wasmdoctor-smoke` Role grants what the smoke needs",
                s.message
            ),
        },
        kube::Error::Api(s) if s.code == 404 => {
            Missing { kind: MissingKind::NotFound, reason: format!("{doing}: not found: {}", s.message) }
        }
        kube::Error::Api(s) => Missing {
            kind: MissingKind::Failed,
            reason: format!(
                "{doing}: HTTP {}{}: {}",
                s.code,
                if s.reason.is_empty() { String::new() } else { format!(" {}", s.reason) },
                s.message
            ),
        },
        other => Missing { kind: MissingKind::Failed, reason: format!("{doing}: {}", short(other)) },
    }
}
