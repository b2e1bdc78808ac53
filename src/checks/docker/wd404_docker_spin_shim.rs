//! WD404 docker-spin-shim: the Spin shim is not used with Docker Engine 28 or later, where
//! `docker run --runtime io.containerd.spin.v2` never returns and `docker logs`/`inspect` of that
//! container hang too (spinframework/containerd-shim-spin#378, open; it works with Docker 27).

use crate::checks::{Ctx, Outcome};
use crate::facts::DockerFacts;
use crate::rules::versions::parse_version;

pub fn check(_: &Ctx, d: &DockerFacts) -> Outcome {
    let spin: Vec<&String> = d
        .shims_on_path
        .iter()
        .filter(|s| s.rsplit('/').next().is_some_and(|n| n.starts_with("containerd-shim-spin-v")))
        .collect();
    let Some(v) = parse_version(&d.server_version) else {
        return Outcome::error(format!("dockerd reported version `{}`, which has no release number", d.server_version));
    };
    if spin.is_empty() {
        return Outcome::pass(format!("no Spin shim on dockerd's PATH (Docker Engine `{}`)", d.server_version));
    }
    if v.major < 28 {
        return Outcome::pass(format!(
            "Docker Engine `{}` runs the Spin shim `{}` (the hang starts with Docker 28)",
            d.server_version, spin[0]
        ));
    }
    Outcome::warn(format!(
        "Docker Engine `{}` with the Spin shim `{}`: `docker run --runtime io.containerd.spin.v2` hangs and never starts the app, and `docker logs`/`docker inspect` of that container hang too (an open bug of the shim with Docker 28+)",
        d.server_version, spin[0]
    ))
    .evidence(d.host.clone(), format!("ServerVersion {}", d.server_version))
    .fix("run Spin apps on Kubernetes (containerd's CRI) or with Docker Engine 27, or use `spin up`, until spinframework/containerd-shim-spin#378 is fixed")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{run_docker, with_docker};
    use crate::report::Status;

    #[test]
    fn docker_28_with_the_spin_shim_warns() {
        let spin = ["/usr/local/bin/containerd-shim-spin-v2"];
        let o = run_docker(check, &with_docker("28.5.2", None, &spin));
        assert_eq!(o.status, Status::Warn);
        assert!(o.message.starts_with("Docker Engine `28.5.2` with the Spin shim `/usr/local/bin/containerd-shim-spin-v2`: `docker run --runtime io.containerd.spin.v2` hangs"), "{}", o.message);
        assert_eq!(run_docker(check, &with_docker("27.5.1", None, &spin)).status, Status::Pass);
        let wasmedge = ["/usr/local/bin/containerd-shim-wasmedge-v1"];
        assert_eq!(run_docker(check, &with_docker("29.0.1", None, &wasmedge)).status, Status::Pass);
    }
}
