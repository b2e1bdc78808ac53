//! The running containerd, over its unix socket: version, namespaces, images (with platform and
//! annotations read from the content store) and the CRI `Status` (verbose), which shows the runtimes
//! containerd has actually loaded. Every call is bounded by the source's deadline.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::time::Duration;

use containerd_client::services::v1::content_client::ContentClient;
use containerd_client::services::v1::images_client::ImagesClient;
use containerd_client::services::v1::namespaces_client::NamespacesClient;
use containerd_client::services::v1::tasks_client::TasksClient;
use containerd_client::services::v1::version_client::VersionClient;
use containerd_client::services::v1::{ListImagesRequest, ListNamespacesRequest, ListTasksRequest, ReadContentRequest};
use k8s_cri::v1::StatusRequest;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use tokio::time::Instant;
use tonic::transport::Channel;

use crate::facts::{ContainerdLive, CriStatus, Fact, ImageInfo, LoadedRuntime, MissingKind, TaskRef};

/// Namespaces whose images are evidence: Kubernetes' and `ctr`'s default.
const IMAGE_NAMESPACES: &[&str] = &["k8s.io", "default"];
const MAX_IMAGES: usize = 500;
const MAX_BLOB: usize = 4 << 20;
const MAX_MANIFESTS_PER_INDEX: usize = 16;

/// Collect from the socket at `on_disk` (shown to users as the node path `address`).
pub async fn collect(on_disk: &Path, address: &str, timeout: Duration) -> Fact<ContainerdLive> {
    let deadline = Instant::now() + timeout;
    let channel = match bounded(deadline, address, containerd_client::connect(on_disk)).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => return Fact::unavailable(MissingKind::Failed, format!("connect {address}: {e}")),
        Err(m) => return Fact::Unavailable(m),
    };
    let version = match bounded(deadline, address, VersionClient::new(channel.clone()).version(())).await {
        Ok(Ok(v)) => v.into_inner(),
        Ok(Err(status)) => {
            return Fact::unavailable(
                MissingKind::Failed,
                format!("{address} did not answer Version: {}", status.message()),
            );
        }
        Err(m) => return Fact::Unavailable(m),
    };
    let namespaces = match bounded(
        deadline,
        address,
        NamespacesClient::new(channel.clone()).list(ListNamespacesRequest { filter: String::new() }),
    )
    .await
    {
        Ok(Ok(r)) => r.into_inner().namespaces.into_iter().map(|n| n.name).collect(),
        _ => Vec::new(),
    };
    let (cri, images, tasks) = tokio::join!(
        cri_status(&channel, address, deadline),
        images(&channel, address, deadline),
        tasks(&channel, &namespaces, address, deadline)
    );
    Fact::Collected(ContainerdLive {
        address: address.to_string(),
        version: version.version,
        revision: version.revision,
        namespaces,
        images,
        cri,
        tasks,
    })
}

/// Tasks are listed per namespace; at most this many namespaces are read.
const MAX_TASK_NAMESPACES: usize = 64;

/// Every namespace's tasks (the container ids they run).
async fn tasks(channel: &Channel, namespaces: &[String], address: &str, deadline: Instant) -> Fact<Vec<TaskRef>> {
    let mut out = Vec::new();
    for ns in namespaces.iter().take(MAX_TASK_NAMESPACES) {
        let Some(req) = in_namespace(ListTasksRequest { filter: String::new() }, ns) else { continue };
        match bounded(deadline, address, TasksClient::new(channel.clone()).list(req)).await {
            Ok(Ok(r)) => out.extend(r.into_inner().tasks.into_iter().map(|t| TaskRef {
                namespace: ns.clone(),
                id: t.id,
                pid: t.pid,
            })),
            Ok(Err(s)) => {
                return Fact::unavailable(
                    MissingKind::Failed,
                    format!("listing tasks in `{ns}` on {address}: {}", s.message()),
                );
            }
            Err(m) => return Fact::Unavailable(m),
        }
    }
    Fact::Collected(out)
}

/// Run `fut` until the source's deadline.
async fn bounded<T>(
    deadline: Instant,
    address: &str,
    fut: impl Future<Output = T>,
) -> Result<T, crate::facts::Missing> {
    tokio::time::timeout_at(deadline, fut).await.map_err(|_| crate::facts::Missing {
        kind: MissingKind::Timeout,
        reason: format!("{address} accepted the connection but did not answer in time"),
    })
}

fn in_namespace<T>(message: T, namespace: &str) -> Option<tonic::Request<T>> {
    let mut req = tonic::Request::new(message);
    let value = namespace.parse().ok()?;
    req.metadata_mut().insert("containerd-namespace", value);
    Some(req)
}

async fn cri_status(channel: &Channel, address: &str, deadline: Instant) -> Fact<CriStatus> {
    let mut client = RuntimeServiceClient::new(channel.clone());
    let resp = match bounded(deadline, address, client.status(StatusRequest { verbose: true })).await {
        Ok(Ok(r)) => r.into_inner(),
        Ok(Err(s)) if s.code() == tonic::Code::Unimplemented => {
            return Fact::unavailable(
                MissingKind::NotFound,
                format!("the CRI plugin is not loaded in the containerd at {address} ({})", s.message()),
            );
        }
        Ok(Err(s)) => {
            return Fact::unavailable(MissingKind::Failed, format!("CRI Status on {address}: {}", s.message()));
        }
        Err(m) => return Fact::Unavailable(m),
    };
    let handlers: Vec<String> = resp.runtime_handlers.iter().map(|h| h.name.clone()).collect();
    let Some(config) = resp.info.get("config") else {
        return Fact::unavailable(MissingKind::Malformed, "CRI Status has no `config` in its verbose info");
    };
    match parse_cri_config(config) {
        Ok((default_runtime, runtimes)) => Fact::Collected(CriStatus {
            default_runtime,
            runtimes,
            runtime_handlers: (!handlers.is_empty()).then_some(handlers),
        }),
        Err(e) => {
            Fact::unavailable(MissingKind::Malformed, format!("CRI Status `config` is not the expected JSON: {e}"))
        }
    }
}

/// Read `config.containerd` of the CRI Status info. containerd 1.6/1.7 write `PodAnnotations`
/// capitalised and other keys camelCase; 2.x is the same for these keys; both are accepted.
pub fn parse_cri_config(json: &str) -> Result<(Option<String>, Vec<LoadedRuntime>), String> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let containerd = v.get("containerd").ok_or("no `containerd` key")?;
    let default_runtime =
        field(containerd, &["defaultRuntimeName", "default_runtime_name"]).and_then(|d| d.as_str()).map(String::from);
    let mut runtimes = Vec::new();
    if let Some(map) = containerd.get("runtimes").and_then(|r| r.as_object()) {
        for (name, r) in map {
            let s = |keys: &[&str]| field(r, keys).and_then(|v| v.as_str()).filter(|s| !s.is_empty()).map(String::from);
            let options = field(r, &["options", "Options"]);
            let opt = |key: &str| options.and_then(|o| o.get(key));
            runtimes.push(LoadedRuntime {
                name: name.clone(),
                runtime_type: s(&["runtimeType", "runtime_type", "Type"]),
                runtime_path: s(&["runtimePath", "runtime_path"]),
                binary_name: opt("BinaryName").and_then(|b| b.as_str()).filter(|b| !b.is_empty()).map(String::from),
                systemd_cgroup: opt("SystemdCgroup").and_then(|b| b.as_bool()),
                pod_annotations: field(r, &["PodAnnotations", "podAnnotations", "pod_annotations"])
                    .and_then(|a| a.as_array())
                    .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
                    .unwrap_or_default(),
            });
        }
    }
    runtimes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((default_runtime, runtimes))
}

fn field<'a>(v: &'a serde_json::Value, keys: &[&str]) -> Option<&'a serde_json::Value> {
    keys.iter().find_map(|k| v.get(*k))
}

async fn images(channel: &Channel, address: &str, deadline: Instant) -> Fact<Vec<ImageInfo>> {
    let mut out = Vec::new();
    for ns in IMAGE_NAMESPACES {
        let Some(req) = in_namespace(ListImagesRequest { filters: Vec::new() }, ns) else { continue };
        let list = match bounded(deadline, address, ImagesClient::new(channel.clone()).list(req)).await {
            Ok(Ok(r)) => r.into_inner().images,
            Ok(Err(s)) => {
                return Fact::unavailable(MissingKind::Failed, format!("listing images in `{ns}`: {}", s.message()));
            }
            Err(m) => return Fact::Unavailable(m),
        };
        for image in list.into_iter().take(MAX_IMAGES.saturating_sub(out.len())) {
            let Some(target) = image.target else { continue };
            let mut info = ImageInfo {
                namespace: ns.to_string(),
                name: image.name,
                media_type: target.media_type.clone(),
                platforms: Vec::new(),
                annotations: target.annotations.into_iter().collect(),
                content_error: None,
            };
            if let Err(e) = describe(channel, ns, &target.media_type, &target.digest, deadline, &mut info).await {
                info.content_error = Some(e);
            }
            info.platforms.sort();
            info.platforms.dedup();
            out.push(info);
        }
    }
    Fact::Collected(out)
}

/// Fill platforms and annotations from the index/manifest/config blobs.
async fn describe(
    channel: &Channel,
    ns: &str,
    media_type: &str,
    digest: &str,
    deadline: Instant,
    info: &mut ImageInfo,
) -> Result<(), String> {
    let blob = read_blob(channel, ns, digest, deadline).await?;
    let doc: serde_json::Value = serde_json::from_slice(&blob).map_err(|e| format!("{digest}: {e}"))?;
    merge_annotations(&doc, &mut info.annotations);
    let is_index =
        media_type.contains("index") || media_type.contains("manifest.list") || doc.get("manifests").is_some();
    if is_index {
        for m in doc.get("manifests").and_then(|m| m.as_array()).into_iter().flatten().take(MAX_MANIFESTS_PER_INDEX) {
            if let Some(p) = m.get("platform") {
                info.platforms.push(platform(p));
            }
            merge_annotations(m, &mut info.annotations);
            if let Some(d) = m.get("digest").and_then(|d| d.as_str()) {
                // Manifests of other platforms are often not in the store: that is normal.
                if let Ok(b) = read_blob(channel, ns, d, deadline).await
                    && let Ok(manifest) = serde_json::from_slice::<serde_json::Value>(&b)
                {
                    merge_annotations(&manifest, &mut info.annotations);
                }
            }
        }
        return Ok(());
    }
    if let Some(config) = doc.get("config").and_then(|c| c.get("digest")).and_then(|d| d.as_str()) {
        let blob = read_blob(channel, ns, config, deadline).await?;
        let config: serde_json::Value = serde_json::from_slice(&blob).map_err(|e| format!("{config}: {e}"))?;
        if config.get("architecture").is_some() || config.get("os").is_some() {
            info.platforms.push(platform(&config));
        }
    }
    Ok(())
}

fn platform(v: &serde_json::Value) -> String {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("?");
    match v.get("variant").and_then(|x| x.as_str()) {
        Some(variant) => format!("{}/{}/{variant}", s("os"), s("architecture")),
        None => format!("{}/{}", s("os"), s("architecture")),
    }
}

fn merge_annotations(v: &serde_json::Value, into: &mut BTreeMap<String, String>) {
    if let Some(a) = v.get("annotations").and_then(|a| a.as_object()) {
        for (k, val) in a {
            if let Some(s) = val.as_str() {
                into.insert(k.clone(), s.to_string());
            }
        }
    }
}

async fn read_blob(channel: &Channel, ns: &str, digest: &str, deadline: Instant) -> Result<Vec<u8>, String> {
    let req = in_namespace(ReadContentRequest { digest: digest.to_string(), offset: 0, size: 0 }, ns)
        .ok_or_else(|| format!("namespace `{ns}` is not a valid header value"))?;
    let mut stream = match tokio::time::timeout_at(deadline, ContentClient::new(channel.clone()).read(req)).await {
        Ok(Ok(s)) => s.into_inner(),
        Ok(Err(s)) => return Err(format!("{digest}: {}", s.message())),
        Err(_) => return Err(format!("{digest}: timed out")),
    };
    let mut out = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, stream.message()).await {
            Ok(Ok(Some(chunk))) => {
                out.extend_from_slice(&chunk.data);
                if out.len() > MAX_BLOB {
                    return Err(format!("{digest}: larger than {MAX_BLOB} bytes"));
                }
            }
            Ok(Ok(None)) => return Ok(out),
            Ok(Err(s)) => return Err(format!("{digest}: {}", s.message())),
            Err(_) => return Err(format!("{digest}: timed out")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cri_config_1_6_shape() {
        // As containerd 1.6 prints it: PodAnnotations capitalised, other keys camelCase.
        let json = r#"{"containerd":{"snapshotter":"overlayfs","defaultRuntimeName":"runc","runtimes":{
            "crun":{"runtimeType":"io.containerd.runc.v2","runtimePath":"","runtimeEngine":"","PodAnnotations":["module.wasm.image/variant","run.oci.handler"],"ContainerAnnotations":null,"runtimeRoot":"","options":{"BinaryName":"/usr/bin/crun","SystemdCgroup":false},"privileged_without_host_devices":false,"baseRuntimeSpec":"","cniConfDir":"","cniMaxConfNum":0},
            "wasmedge":{"runtimeType":"io.containerd.wasmedge.v1","runtimePath":"","PodAnnotations":null,"options":null}}}}"#;
        let (default, rts) = parse_cri_config(json).unwrap();
        assert_eq!(default.as_deref(), Some("runc"));
        assert_eq!(rts[0].name, "crun");
        assert_eq!(rts[0].binary_name.as_deref(), Some("/usr/bin/crun"));
        assert_eq!(rts[0].systemd_cgroup, Some(false));
        assert_eq!(rts[0].pod_annotations, ["module.wasm.image/variant", "run.oci.handler"]);
        assert_eq!(rts[1].runtime_type.as_deref(), Some("io.containerd.wasmedge.v1"));
        assert!(rts[1].pod_annotations.is_empty());
        assert!(parse_cri_config("not json").is_err());
        assert!(parse_cri_config("{}").is_err());
    }
}
