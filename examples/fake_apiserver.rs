//! The fake API server of the test suite as a process, for bench/cluster.sh, and the "floor"
//! client: fetch exactly the bytes wasmdoctor's cluster checks need (every page of the lists, the
//! Wasm pods' logs) with the same HTTP stack and concurrency, parsing nothing but the paging.
//!
//!   fake_apiserver serve --pods N --wasm M --namespaces K --events E --hpas H [--nodes N] --kubeconfig PATH
//!   fake_apiserver floor --kubeconfig PATH

#[path = "../tests/common/fake_api/mod.rs"]
mod fake_api;

use std::path::PathBuf;

use fake_api::*;
use futures::StreamExt;
use serde_json::json;

/// The corpus beside the repository (fake_api reads manifests from it).
pub fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
}

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned().unwrap_or_else(|| default.to_string())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let kubeconfig = PathBuf::from(arg(&args, "--kubeconfig", "/tmp/wd-fake-kubeconfig"));
    match args.get(1).map(String::as_str) {
        Some("serve") => serve(&args, kubeconfig),
        Some("floor") => floor(kubeconfig),
        _ => {
            eprintln!("usage: fake_apiserver serve|floor [options]");
            std::process::exit(2);
        }
    }
}

fn serve(args: &[String], kubeconfig: PathBuf) {
    let n = |name: &str, default: &str| arg(args, name, default).parse::<usize>().unwrap_or(0);
    let (pods, wasm, namespaces, events, hpas) = (
        n("--pods", "10000"),
        n("--wasm", "1000"),
        n("--namespaces", "500").max(1),
        n("--events", "20000"),
        n("--hpas", "50"),
    );
    let mut s = State::default();
    s.add_manifest("k3s-manifests-runtimes.yaml");
    // `--nodes N` (default 20): beyond 20, a mixed fleet for `wasmdoctor fleet` and WD310.
    let nodes = n("--nodes", "20");
    if nodes <= 20 {
        for i in 0..nodes {
            s.add(node(&format!("worker-{i}"), &[]));
        }
    } else {
        mixed_fleet(&mut s, nodes);
    }
    let started = "2026-11-24T00:00:00Z";
    for i in 0..pods {
        let ns = format!("team-{:03}", i % namespaces);
        let name = format!("app-{i:05}-7d9f8c6b5-x{:04x}", i % 65536);
        let is_wasm = i < wasm;
        let deploy = format!("app-{:05}", i / 10 * 10);
        let rs = format!("{deploy}-7d9f8c6b5");
        s.push(pod(PodSpec {
            ns: &ns,
            name: &name,
            node: &format!("worker-{}", i % 20),
            runtime_class: is_wasm.then_some("wasmedge"),
            owner: Some(("ReplicaSet", &rs)),
            image: if is_wasm { "ghcr.io/containerd/runwasi/wasi-demo-app:latest" } else { "nginx:1.27" },
            running_since: Some(started),
            ..Default::default()
        }));
        if is_wasm {
            s.log(&ns, &name, "app", "This is a song that never ends.\nYes, it goes on and on my friends.\n");
        }
        if i % 10 == 0 {
            s.push(deployment(&ns, &deploy, is_wasm.then_some("wasmedge"), &[], "nginx:1.27"));
            s.push(replicaset(&ns, &rs, &deploy, is_wasm.then_some("wasmedge")));
        }
    }
    for i in 0..events {
        let ns = format!("team-{:03}", i % namespaces);
        let obj = format!("app-{:05}-7d9f8c6b5-x{:04x}", i % pods.max(1), (i % pods.max(1)) % 65536);
        s.push(event(
            &ns,
            "Pod",
            &obj,
            "BackOff",
            &format!("Back-off restarting failed container app in pod {obj}_{ns}({i})"),
        ));
    }
    for i in 0..hpas {
        let ns = format!("team-{:03}", (i * 10) % namespaces);
        let target = format!("app-{:05}", i * 10);
        s.push(hpa(
            &ns,
            &format!("{target}-hpa"),
            &target,
            json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}]),
            json!([{"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound"}]),
        ));
    }
    let api = FakeApi::start(s);
    let dir = kubeconfig.parent().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    let written = api.kubeconfig(&dir);
    if written != kubeconfig {
        std::fs::rename(&written, &kubeconfig).expect("move kubeconfig");
    }
    println!(
        "serving {pods} pods ({wasm} Wasm) in {namespaces} namespaces, {events} events, {hpas} HPAs at {}",
        api.url
    );
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}

#[derive(serde::Deserialize)]
struct Page {
    #[serde(default)]
    metadata: PageMeta,
    #[serde(default)]
    items: Vec<serde::de::IgnoredAny>,
}

#[derive(serde::Deserialize, Default)]
struct PageMeta {
    #[serde(rename = "continue", default)]
    token: Option<String>,
}

fn floor(kubeconfig: PathBuf) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let kc = kube::config::Kubeconfig::read_from(&kubeconfig).unwrap();
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await.unwrap();
        let client = kube::Client::try_from(config).unwrap();
        let lists = [
            ("/apis/node.k8s.io/v1/runtimeclasses", ""),
            ("/api/v1/nodes", ""),
            ("/api/v1/pods", ""),
            ("/apis/apps/v1/deployments", ""),
            ("/apis/apps/v1/statefulsets", ""),
            ("/apis/apps/v1/daemonsets", ""),
            ("/apis/apps/v1/replicasets", ""),
            ("/apis/batch/v1/jobs", ""),
            ("/api/v1/events", "&fieldSelector=type%3DWarning"),
            ("/apis/autoscaling/v2/horizontalpodautoscalers", ""),
            ("/apis/metrics.k8s.io/v1beta1/pods", ""),
        ];
        let start = std::time::Instant::now();
        let fetch = |path: &'static str, query: &'static str| {
            let client = client.clone();
            async move {
                let (mut bytes, mut items, mut token) = (0usize, 0usize, None::<String>);
                loop {
                    let mut url = format!("{path}?limit=500{query}");
                    if let Some(t) = &token {
                        let enc: String =
                            t.bytes()
                                .map(|b| {
                                    if b.is_ascii_alphanumeric() {
                                        (b as char).to_string()
                                    } else {
                                        format!("%{b:02X}")
                                    }
                                })
                                .collect();
                        url += &format!("&continue={enc}");
                    }
                    let mut req = http::Request::new(Vec::new());
                    *req.uri_mut() = url.parse().unwrap();
                    let text = client.request_text(req).await.unwrap_or_default();
                    bytes += text.len();
                    let page: Page =
                        serde_json::from_str(&text).unwrap_or(Page { metadata: PageMeta::default(), items: vec![] });
                    items += page.items.len();
                    match page.metadata.token.filter(|t| !t.is_empty()) {
                        Some(t) => token = Some(t),
                        None => return (bytes, items),
                    }
                }
            }
        };
        let results = futures::future::join_all(lists.iter().map(|(p, q)| fetch(p, q))).await;
        let list_bytes: usize = results.iter().map(|r| r.0).sum();
        // The Wasm pods' logs, 16 at a time (their names are known to the server's layout).
        let pods: Vec<String> =
            (0..100_000).map(|i| format!("team-{:03}/app-{i:05}-7d9f8c6b5-x{:04x}", i % 500, i % 65536)).collect();
        let wasm = std::env::var("FLOOR_WASM").ok().and_then(|v| v.parse().ok()).unwrap_or(1000usize);
        let log_bytes: usize = futures::stream::iter(pods.into_iter().take(wasm))
            .map(|p| {
                let client = client.clone();
                async move {
                    let (ns, name) = p.split_once('/').unwrap();
                    let mut req = http::Request::new(Vec::new());
                    *req.uri_mut() =
                        format!("/api/v1/namespaces/{ns}/pods/{name}/log?container=app&limitBytes=4096&tailLines=50")
                            .parse()
                            .unwrap();
                    client.request_text(req).await.map(|t| t.len()).unwrap_or(0)
                }
            })
            .buffer_unordered(16)
            .fold(0, |a, b| async move { a + b })
            .await;
        println!(
            "floor: {:.1} ms, {} list bytes, {} log bytes, {} items",
            start.elapsed().as_secs_f64() * 1000.0,
            list_bytes,
            log_bytes,
            results.iter().map(|r| r.1).sum::<usize>()
        );
    });
}
