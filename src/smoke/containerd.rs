//! One smoke run through containerd's API, in the namespace `wasmdoctor` under a lease: the
//! image's blobs into the content store, the image record, its layer unpacked into a snapshot, a
//! container on the runtime under test, a task with its stdout and stderr on FIFOs, the wait (with
//! a time limit, and Ctrl-C), then everything deleted again, the lease last.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use containerd_client::services::v1::container::Runtime as ContainerRuntime;
use containerd_client::services::v1::containers_client::ContainersClient;
use containerd_client::services::v1::content_client::ContentClient;
use containerd_client::services::v1::diff_client::DiffClient;
use containerd_client::services::v1::images_client::ImagesClient;
use containerd_client::services::v1::leases_client::LeasesClient;
use containerd_client::services::v1::snapshots::snapshots_client::SnapshotsClient;
use containerd_client::services::v1::snapshots::{
    CommitSnapshotRequest, PrepareSnapshotRequest, RemoveSnapshotRequest,
};
use containerd_client::services::v1::tasks_client::TasksClient;
use containerd_client::services::v1::{
    ApplyRequest, Container, CreateContainerRequest, CreateImageRequest, CreateRequest as CreateLeaseRequest,
    CreateTaskRequest, DeleteContainerRequest, DeleteImageRequest, DeleteRequest as DeleteLeaseRequest,
    DeleteTaskRequest, Image, KillRequest, StartRequest, WaitRequest, WriteAction, WriteContentRequest,
};
use containerd_client::types::{Descriptor, Mount};
use tonic::transport::Channel;

use super::image::{Blob, SmokeImage};
use super::spec;
use crate::facts::SmokeOutcome;

/// The namespace every smoke object lives in.
pub const NAMESPACE: &str = "wasmdoctor";
const SNAPSHOTTER: &str = "overlayfs";

/// What to run and how.
pub struct Target<'a> {
    pub runtime: &'a str,
    pub runtime_type: &'a str,
    /// For runc-style runtimes: `options.BinaryName` (crun).
    pub binary_name: Option<&'a str>,
    pub crun: bool,
    pub systemd_cgroup: bool,
    /// The node, whose `/run` holds the task's FIFOs.
    pub host: &'a crate::collect::host::HostRoot,
}

/// What one run gives back.
pub struct Ran {
    pub outcome: SmokeOutcome,
    pub stdout: String,
    pub stderr: String,
    pub left_behind: Vec<String>,
}

/// A request in the smoke namespace, under the lease when there is one.
fn req<T>(message: T, lease: Option<&str>) -> tonic::Request<T> {
    let mut r = tonic::Request::new(message);
    r.metadata_mut().insert("containerd-namespace", tonic::metadata::MetadataValue::from_static(NAMESPACE));
    if let Some(value) = lease.and_then(|l| l.parse().ok()) {
        r.metadata_mut().insert("containerd-lease", value);
    }
    r
}

fn failed(step: &str, e: impl std::fmt::Display) -> SmokeOutcome {
    SmokeOutcome::Failed { step: step.into(), error: e.to_string() }
}

/// Run the smoke image on `t`: always deletes what it created, and says what it could not.
pub async fn run(
    channel: Channel,
    t: &Target<'_>,
    id: &str,
    nonce: &str,
    timeout: Duration,
    stop: &Arc<AtomicBool>,
) -> Ran {
    let image = match SmokeImage::build() {
        Ok(i) => i,
        Err(e) => {
            return Ran {
                outcome: failed("image", e),
                stdout: String::new(),
                stderr: String::new(),
                left_behind: vec![],
            };
        }
    };
    let mut created = Created::default();
    let mut out = super::fifo::Pair::default();
    // One deadline for every step: a containerd or shim that stops answering cannot hold the run.
    let deadline = tokio::time::Instant::now() + timeout;
    let interrupted = async {
        while !stop.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let outcome = tokio::select! {
        r = steps(&channel, t, id, nonce, &image, &mut created, &mut out) => match r { Ok(o) | Err(o) => o },
        () = tokio::time::sleep_until(deadline) => SmokeOutcome::TimedOut { seconds: timeout.as_secs(), step: created.step.into() },
        () = interrupted => SmokeOutcome::Interrupted,
    };
    let left_behind = created.delete(&channel).await;
    let (stdout, stderr) = std::mem::take(&mut out).finish();
    Ran { outcome, stdout, stderr, left_behind }
}

/// What was created, to delete in reverse, and the step under way.
#[derive(Default)]
struct Created {
    step: &'static str,
    lease: Option<String>,
    image: Option<String>,
    layer_snapshot: Option<String>,
    container_snapshot: Option<String>,
    container: Option<String>,
    task: Option<String>,
}

/// How long each deletion may take before it is reported as left behind.
const CLEANUP: Duration = Duration::from_secs(10);

/// A deletion, bounded: containerd's error, or that it did not answer.
async fn bounded<T>(f: impl std::future::Future<Output = Result<T, tonic::Status>>) -> Result<(), tonic::Status> {
    match tokio::time::timeout(CLEANUP, f).await {
        Ok(r) => r.map(drop),
        Err(_) => {
            Err(tonic::Status::deadline_exceeded(format!("containerd did not answer within {} s", CLEANUP.as_secs())))
        }
    }
}

impl Created {
    async fn delete(self, channel: &Channel) -> Vec<String> {
        let mut left = Vec::new();
        let mut note = |what: String, r: Result<(), tonic::Status>| {
            if let Err(s) = r
                && s.code() != tonic::Code::NotFound
            {
                left.push(format!("{what}: {}", s.message()));
            }
        };
        if let Some(id) = &self.task {
            // A task still running (a timeout, Ctrl-C) is killed first; its deletion waits for the exit.
            let mut tasks = TasksClient::new(channel.clone());
            let kill =
                KillRequest { container_id: id.clone(), signal: libc::SIGKILL as u32, all: true, ..Default::default() };
            let _ = bounded(tasks.kill(req(kill, None))).await;
            let _ =
                bounded(tasks.wait(req(WaitRequest { container_id: id.clone(), ..Default::default() }, None))).await;
            let r = bounded(tasks.delete(req(DeleteTaskRequest { container_id: id.clone() }, None))).await;
            note(format!("task {id}"), r);
        }
        if let Some(id) = &self.container {
            let mut c = ContainersClient::new(channel.clone());
            let r = bounded(c.delete(req(DeleteContainerRequest { id: id.clone() }, None))).await;
            note(format!("container {id}"), r);
        }
        let mut snaps = SnapshotsClient::new(channel.clone());
        for key in [&self.container_snapshot, &self.layer_snapshot].into_iter().flatten() {
            let r = bounded(
                snaps.remove(req(RemoveSnapshotRequest { snapshotter: SNAPSHOTTER.into(), key: key.clone() }, None)),
            )
            .await;
            note(format!("snapshot {key}"), r);
        }
        if let Some(name) = &self.image {
            let mut images = ImagesClient::new(channel.clone());
            let r =
                images.delete(req(DeleteImageRequest { name: name.clone(), sync: true, ..Default::default() }, None));
            note(format!("image {name}"), r.await.map(drop));
        }
        if let Some(id) = &self.lease {
            // Deleting the lease with `sync` collects the blobs it held.
            let mut leases = LeasesClient::new(channel.clone());
            let r = bounded(leases.delete(req(DeleteLeaseRequest { id: id.clone(), sync: true }, None))).await;
            note(format!("lease {id}"), r);
        }
        left
    }
}

async fn steps(
    channel: &Channel,
    t: &Target<'_>,
    id: &str,
    nonce: &str,
    image: &SmokeImage,
    created: &mut Created,
    out: &mut super::fifo::Pair,
) -> Result<SmokeOutcome, SmokeOutcome> {
    created.step = "lease";
    let mut leases = LeasesClient::new(channel.clone());
    // The lease expires on its own should wasmdoctor be killed before it deletes it.
    let labels = HashMap::from([("containerd.io/gc.expire".to_string(), expire_in(Duration::from_secs(3600)))]);
    leases
        .create(req(CreateLeaseRequest { id: id.into(), labels }, None))
        .await
        .map_err(|s| failed("lease", s.message()))?;
    created.lease = Some(id.into());
    let lease = Some(id);

    created.step = "content";
    for blob in [&image.layer, &image.config, &image.manifest] {
        write_blob(channel, blob, id, lease).await.map_err(|e| failed("content", e))?;
    }
    created.step = "image";
    let name = format!("wasmdoctor.local/smoke:{id}");
    let mut images = ImagesClient::new(channel.clone());
    let record = Image { name: name.clone(), target: Some(descriptor(&image.manifest)), ..Default::default() };
    images
        .create(req(CreateImageRequest { image: Some(record), ..Default::default() }, lease))
        .await
        .map_err(|s| failed("image", s.message()))?;
    created.image = Some(name.clone());

    // The layer, unpacked: its committed snapshot is named by its chain ID (= its diff ID here).
    created.step = "snapshot";
    let mut snaps = SnapshotsClient::new(channel.clone());
    let extract = format!("{id}-extract");
    let mounts = snaps
        .prepare(req(
            PrepareSnapshotRequest { snapshotter: SNAPSHOTTER.into(), key: extract.clone(), ..Default::default() },
            lease,
        ))
        .await
        .map_err(|s| failed("snapshot", s.message()))?
        .into_inner()
        .mounts;
    created.layer_snapshot = Some(extract.clone());
    created.step = "unpack";
    let mut diff = DiffClient::new(channel.clone());
    diff.apply(req(ApplyRequest { diff: Some(descriptor(&image.layer)), mounts, ..Default::default() }, lease))
        .await
        .map_err(|s| failed("unpack", s.message()))?;
    let chain = image.layer.digest.clone();
    snaps
        .commit(req(
            CommitSnapshotRequest {
                snapshotter: SNAPSHOTTER.into(),
                name: chain.clone(),
                key: extract,
                ..Default::default()
            },
            lease,
        ))
        .await
        .map_err(|s| failed("snapshot", s.message()))?;
    created.layer_snapshot = Some(chain.clone());
    let rootfs = snaps
        .prepare(req(
            PrepareSnapshotRequest {
                snapshotter: SNAPSHOTTER.into(),
                key: id.into(),
                parent: chain,
                ..Default::default()
            },
            lease,
        ))
        .await
        .map_err(|s| failed("snapshot", s.message()))?
        .into_inner()
        .mounts;
    created.container_snapshot = Some(id.into());

    let spec = spec::runtime_spec(id, nonce, t.crun, t.systemd_cgroup);
    let container = Container {
        id: id.into(),
        image: name,
        labels: HashMap::from([("wasmdoctor.dev/smoke".to_string(), t.runtime.to_string())]),
        runtime: Some(ContainerRuntime { name: t.runtime_type.into(), options: t.binary_name.map(spec::runc_options) }),
        spec: Some(prost_types::Any { type_url: spec::SPEC_TYPE.into(), value: spec.to_string().into_bytes() }),
        snapshotter: SNAPSHOTTER.into(),
        snapshot_key: id.into(),
        ..Default::default()
    };
    created.step = "container";
    let mut containers = ContainersClient::new(channel.clone());
    containers
        .create(req(CreateContainerRequest { container: Some(container) }, lease))
        .await
        .map_err(|s| failed("container", s.message()))?;
    created.container = Some(id.into());

    *out = super::fifo::Pair::create(t.host, id).map_err(|e| failed("stdio", e))?;
    created.step = "task";
    let mut tasks = TasksClient::new(channel.clone());
    let task = CreateTaskRequest {
        container_id: id.into(),
        rootfs: rootfs.into_iter().map(|m| Mount { target: String::new(), ..m }).collect(),
        stdout: out.stdout_path(),
        stderr: out.stderr_path(),
        ..Default::default()
    };
    tasks.create(req(task, lease)).await.map_err(|s| failed("task", s.message()))?;
    created.task = Some(id.into());
    created.step = "start";
    tasks
        .start(req(StartRequest { container_id: id.into(), ..Default::default() }, None))
        .await
        .map_err(|s| failed("start", s.message()))?;

    created.step = "wait";
    // The wait: the deadline and Ctrl-C are the caller's; what is still running is killed there.
    let exit = tasks
        .wait(req(WaitRequest { container_id: id.into(), ..Default::default() }, None))
        .await
        .map_err(|s| failed("wait", s.message()))?
        .into_inner()
        .exit_status;
    Ok(SmokeOutcome::Exited { code: exit })
}

fn descriptor(b: &Blob) -> Descriptor {
    Descriptor {
        media_type: b.media_type.into(),
        digest: b.digest.clone(),
        size: b.bytes.len() as i64,
        ..Default::default()
    }
}

/// One blob into the content store in a single commit (a few hundred bytes each).
async fn write_blob(channel: &Channel, blob: &Blob, id: &str, lease: Option<&str>) -> Result<(), String> {
    let mut content = ContentClient::new(channel.clone());
    let write = WriteContentRequest {
        action: WriteAction::Commit as i32,
        r#ref: format!("{id}-{}", blob.digest),
        total: blob.bytes.len() as i64,
        expected: blob.digest.clone(),
        offset: 0,
        data: blob.bytes.clone(),
        ..Default::default()
    };
    let stream = futures::stream::iter([write]);
    match content.write(req(stream, lease)).await {
        Ok(mut responses) => {
            while let Some(r) = responses.get_mut().message().await.map_err(|s| s.message().to_string())? {
                if r.action == WriteAction::Commit as i32 {
                    break;
                }
            }
            Ok(())
        }
        // Already there (an earlier run's blob, still held): nothing to write.
        Err(s) if s.code() == tonic::Code::AlreadyExists => Ok(()),
        Err(s) => Err(s.message().to_string()),
    }
}

/// An RFC 3339 time `d` from now, for the lease's expiry label.
fn expire_in(d: Duration) -> String {
    crate::rules::time::rfc3339(std::time::SystemTime::now() + d)
}
