//! WD402 docker-containerd-store: dockerd uses the containerd image store, which Wasm images need
//! (`wasi/wasm` images fail with `operating system is not supported` in the classic store).

use crate::checks::{Ctx, Outcome};
use crate::facts::DockerFacts;

pub fn check(_: &Ctx, d: &DockerFacts) -> Outcome {
    let driver_type = d.driver_status.iter().find(|(k, _)| k == "driver-type").map(|(_, v)| v.as_str());
    if driver_type == Some("io.containerd.snapshotter.v1") {
        return Outcome::pass(format!("dockerd uses the containerd image store (`{}` snapshotter)", d.driver));
    }
    Outcome::fail(format!(
        "dockerd stores images with the `{}` graph driver, not the containerd image store: `wasi/wasm` images fail with `operating system is not supported`",
        d.driver
    ))
    .evidence("docker info DriverStatus", format!("{:?}", d.driver_status))
    .fix("set `{\"features\": {\"containerd-snapshotter\": true}}` in /etc/docker/daemon.json and restart dockerd (images in the old store are not migrated)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{run_docker, with_docker};
    use crate::report::Status;

    #[test]
    fn classic_store_fails_containerd_store_passes() {
        assert_eq!(run_docker(check, &with_docker("27.3.1", None, &[])).status, Status::Fail);
        assert_eq!(
            run_docker(check, &with_docker("27.3.1", Some("io.containerd.snapshotter.v1"), &[])).status,
            Status::Pass
        );
    }
}
