//! A local fake Kubernetes API server, reached over real HTTP (HTTP/1.1 on 127.0.0.1) by the real
//! kube client through a generated kubeconfig. It serves list endpoints with `limit`/`continue`,
//! `fieldSelector=type=Warning` for events, pod logs (`limitBytes`, `tailLines`), discovery enough
//! for kubectl, and injected faults per collection: an HTTP status (403, 500), a malformed body, a
//! delay. Every request is recorded.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

mod jobs;
mod objects;
mod reads;
mod writes;

// Each test binary uses a part of the fake (as `dead_code` above).
pub use jobs::JobScript;
use jobs::respond_post;
#[allow(unused_imports)]
pub use objects::*;
use reads::{flood, respond};
use writes::{find_object, object_location, respond_delete, respond_patch};

#[derive(Debug, Clone)]
pub enum Fault {
    Status(u16),
    Malformed,
    Delay(Duration),
    /// A 200 whose body is this many bytes of text, streamed whatever `limitBytes` asked (a server
    /// that ignores limits, or a flood).
    Flood(u64),
}

#[derive(Default)]
pub struct State {
    /// Collection path (`/api/v1/pods`) → objects.
    pub lists: BTreeMap<String, Vec<Value>>,
    /// `ns/pod/container` → log text.
    pub logs: HashMap<String, String>,
    /// Collection path (or a log path prefix) → fault.
    pub faults: BTreeMap<String, Fault>,
    /// Every request's path and query, in arrival order (`PATCH <target>` for patches).
    pub requests: Vec<String>,
    /// Each PATCH's target and body.
    pub patches: Vec<(String, String)>,
    /// Each POST's target and body.
    pub posts: Vec<(String, String)>,
    /// Whether KEDA's `keda.sh/v1alpha1` (ScaledObjects) is served.
    pub keda: bool,
    /// What happens to a Job created for a node (node name → script; `Succeeds` when not named).
    pub job_scripts: HashMap<String, JobScript>,
    /// Leaf paths each object's apply by field manager `wasmdoctor` set (server-side apply's
    /// ownership, enough for an apply without a field to remove it).
    owned: HashMap<String, Vec<String>>,
    /// Serialized items per (collection, field selector), built on first use: pages are then
    /// copies of bytes, so the server is not what a benchmark measures.
    cache: HashMap<(String, String), Arc<Vec<Vec<u8>>>>,
    /// The last `resourceVersion` a write gave an object (etcd's revision, as the real server does).
    revision: u64,
}

/// Where each kind is listed, and the list kind it answers with.
pub fn collection(kind: &str) -> Option<(&'static str, &'static str)> {
    Some(match kind {
        "RuntimeClass" => ("/apis/node.k8s.io/v1/runtimeclasses", "RuntimeClassList"),
        "Node" => ("/api/v1/nodes", "NodeList"),
        "Pod" => ("/api/v1/pods", "PodList"),
        "Event" => ("/api/v1/events", "EventList"),
        "Deployment" => ("/apis/apps/v1/deployments", "DeploymentList"),
        "StatefulSet" => ("/apis/apps/v1/statefulsets", "StatefulSetList"),
        "DaemonSet" => ("/apis/apps/v1/daemonsets", "DaemonSetList"),
        "ReplicaSet" => ("/apis/apps/v1/replicasets", "ReplicaSetList"),
        "Job" => ("/apis/batch/v1/jobs", "JobList"),
        "HorizontalPodAutoscaler" => ("/apis/autoscaling/v2/horizontalpodautoscalers", "HorizontalPodAutoscalerList"),
        "PodMetrics" => ("/apis/metrics.k8s.io/v1beta1/pods", "PodMetricsList"),
        "ScaledObject" => ("/apis/keda.sh/v1alpha1/scaledobjects", "ScaledObjectList"),
        "Shim" => ("/apis/runtime.spinkube.dev/v1alpha1/shims", "ShimList"),
        _ => return None,
    })
}

impl State {
    /// Add an object to its collection (namespaced kinds default to `default`).
    pub fn add(&mut self, obj: Value) {
        self.insert(obj, true);
    }

    /// Add without replacing an object of the same name (for generated objects with unique names).
    pub fn push(&mut self, obj: Value) {
        self.insert(obj, false);
    }

    /// The next `resourceVersion`, as a write by anyone (a controller, `kubectl edit`) would give.
    pub fn next_revision(&mut self) -> String {
        self.revision = self.revision.max(50_000) + 1;
        self.revision.to_string()
    }

    /// Change a stored object as someone else would (`kubectl edit`): `edit` runs on it and it gets
    /// a new `resourceVersion`. False when no such object is stored.
    pub fn edit(&mut self, kind: &str, name: &str, edit: impl FnOnce(&mut Value)) -> bool {
        self.cache.clear();
        let rv = self.next_revision();
        let Some((path, _)) = collection(kind) else { return false };
        let Some(obj) = self.lists.get_mut(path).and_then(|l| l.iter_mut().find(|o| o["metadata"]["name"] == name))
        else {
            return false;
        };
        edit(obj);
        obj["metadata"]["resourceVersion"] = json!(rv);
        true
    }

    fn insert(&mut self, mut obj: Value, replace: bool) {
        self.cache.clear();
        let kind = obj["kind"].as_str().unwrap_or("").to_string();
        let Some((path, _)) = collection(&kind) else { return };
        let cluster_scoped = matches!(kind.as_str(), "RuntimeClass" | "Node" | "Shim");
        if !cluster_scoped && obj["metadata"]["namespace"].is_null() {
            obj["metadata"]["namespace"] = json!("default");
        }
        let list = self.lists.entry(path.to_string()).or_default();
        if replace {
            let key = |o: &Value| (o["metadata"]["namespace"].clone(), o["metadata"]["name"].clone());
            list.retain(|o| key(o) != key(&obj));
        }
        list.push(obj);
    }

    pub fn log(&mut self, ns: &str, pod: &str, container: &str, text: &str) {
        self.logs.insert(format!("{ns}/{pod}/{container}"), text.to_string());
    }

    /// The log of the container's previous run (`previous=true`).
    pub fn previous_log(&mut self, ns: &str, pod: &str, container: &str, text: &str) {
        self.logs.insert(format!("{ns}/{pod}/{container}/previous"), text.to_string());
    }

    /// Every RuntimeClass, Deployment, Job, Pod and HPA of the corpus manifests.
    pub fn add_corpus_manifests(&mut self) {
        let dir = super::corpus().join("manifests");
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(&dir).unwrap().filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "yaml")) {
            self.add_manifest_file(f);
        }
    }

    /// The objects of one corpus manifest (`corpus/manifests/<name>`).
    pub fn add_manifest(&mut self, name: &str) {
        let path = super::corpus().join("manifests").join(name);
        assert!(path.exists(), "{name} is not in the corpus");
        self.add_manifest_file(&path);
    }

    fn add_manifest_file(&mut self, f: &Path) {
        {
            let text = std::fs::read_to_string(f).unwrap();
            for doc in serde_yaml::Deserializer::from_str(&text) {
                let Ok(v) = <serde_yaml::Value as serde::Deserialize>::deserialize(doc) else { continue };
                let Ok(obj) = serde_json::to_value(v) else { continue };
                if matches!(
                    obj["kind"].as_str(),
                    Some(
                        "RuntimeClass"
                            | "Deployment"
                            | "Job"
                            | "Pod"
                            | "HorizontalPodAutoscaler"
                            | "DaemonSet"
                            | "StatefulSet"
                    )
                ) {
                    self.add(obj);
                }
            }
        }
    }
}

pub struct FakeApi {
    pub url: String,
    pub state: Arc<Mutex<State>>,
}

impl FakeApi {
    pub fn start(state: State) -> FakeApi {
        let state = Arc::new(Mutex::new(state));
        let (tx, rx) = std::sync::mpsc::channel();
        let shared = state.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                loop {
                    let Ok((sock, _)) = listener.accept().await else { continue };
                    let state = shared.clone();
                    tokio::spawn(async move {
                        let _ = serve(sock, state).await;
                    });
                }
            });
        });
        let addr = rx.recv().unwrap();
        FakeApi { url: format!("http://{addr}"), state }
    }

    /// A kubeconfig for this server, with a bearer token that must never appear in a report.
    pub fn kubeconfig(&self, dir: &Path) -> PathBuf {
        let path = dir.join("kubeconfig");
        let text = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: fake\nclusters:\n- name: fake\n  cluster:\n    server: {}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n- name: other\n  context:\n    cluster: fake\n    user: fake\nusers:\n- name: fake\n  user:\n    token: fake-secret-token-do-not-print\n",
            self.url
        );
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn fault(&self, path: &str, fault: Fault) {
        self.state.lock().unwrap().faults.insert(path.to_string(), fault);
    }
}

async fn serve(sock: tokio::net::TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    // Without it, Nagle's algorithm and the client's delayed ACK add 40 ms to small responses.
    sock.set_nodelay(true)?;
    let (read, mut write) = sock.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).await? == 0 {
            return Ok(());
        }
        let mut content_length = 0usize;
        let mut close = false;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).await? == 0 {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let lower = h.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                content_length = v.trim().parse().unwrap_or(0);
            }
            if lower == "connection: close" {
                close = true;
            }
        }
        let mut body = vec![0; content_length];
        if content_length > 0 {
            reader.read_exact(&mut body).await?;
        }
        let mut words = request_line.split_whitespace();
        let method = words.next().unwrap_or("GET").to_string();
        let target = words.next().unwrap_or("/").to_string();
        if let Some(total) = flood(&target, &state) {
            let head = format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {total}\r\n\r\n");
            write.write_all(head.as_bytes()).await?;
            let chunk = "flooding line that never ends\n".repeat(2048).into_bytes();
            let mut sent = 0u64;
            while sent < total {
                let n = chunk.len().min((total - sent) as usize);
                // The client hanging up after its cap ends the flood.
                write.write_all(&chunk[..n]).await?;
                sent += n as u64;
            }
            continue;
        }
        let (status, content_type, body, delay) = match method.as_str() {
            "PATCH" => respond_patch(&target, &body, &state),
            "POST" => respond_post(&target, &body, &state),
            "DELETE" => respond_delete(&target, &state),
            _ => respond(&target, &state),
        };
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
        let head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{}\r\n",
            reason(status),
            body.len(),
            if close { "Connection: close\r\n" } else { "" }
        );
        let mut out = head.into_bytes();
        out.extend_from_slice(&body);
        write.write_all(&out).await?;
        if close {
            return Ok(());
        }
    }
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

fn status(code: u16, reason: &str, message: &str) -> Vec<u8> {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "reason": reason, "code": code})
        .to_string()
        .into_bytes()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let (Some(hi), Some(lo)) = (b.get(i + 1).and_then(|c| hex(*c)), b.get(i + 2).and_then(|c| hex(*c)))
        {
            out.push(hi * 16 + lo);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(super) type Response = (u16, &'static str, Vec<u8>, Option<Duration>);

fn merge(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (a, b) => *a = b.clone(),
    }
}
