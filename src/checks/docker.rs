//! WD401–WD403: Docker + Wasm. Engine ≥ 24 accepts a shim by name in `--runtime`; Wasm images need
//! the containerd image store; the shim must be on dockerd's PATH (`docker info` does not list shims
//! used by name, so it is looked for there).

use super::{Ctx, Outcome, list};
use crate::facts::{DockerFacts, Fact, MissingKind};
use crate::policy::parse_version;

fn docker<'a>(ctx: &Ctx<'a>) -> Result<&'a DockerFacts, Outcome> {
    match &ctx.facts.docker {
        Fact::Collected(d) => Ok(d),
        Fact::Unavailable(m) => Err(match m.kind {
            MissingKind::NotRequested | MissingKind::NotFound => {
                Outcome::skip(format!("Docker is not in use here: {}", m.reason))
            }
            MissingKind::Failed if !ctx.facts.live => Outcome::skip(m.reason.clone()),
            MissingKind::Failed => Outcome::fail(format!("dockerd does not answer: {}", m.reason)),
            _ => Outcome::error(m.reason.clone()),
        }),
    }
}

/// WD401 docker-engine.
pub fn engine(ctx: &Ctx) -> Outcome {
    let d = match docker(ctx) {
        Ok(d) => d,
        Err(o) if o.status == crate::report::Status::Fail => {
            return o.fix("start dockerd (`systemctl start docker`) and check `journalctl -u docker`");
        }
        Err(o) => return o,
    };
    let Some(v) = parse_version(&d.server_version) else {
        return Outcome::error(format!("dockerd reported version `{}`, which has no release number", d.server_version));
    };
    if v.major < 24 {
        return Outcome::fail(format!(
            "Docker Engine `{}` (API {}) is older than 24.0, the first to accept a shim by name: `docker run --runtime io.containerd.wasmedge.v1` fails with `Unknown runtime specified io.containerd.wasmedge.v1`",
            d.server_version, d.api_version
        ))
        .evidence(d.host.clone(), format!("ServerVersion {}", d.server_version))
        .fix("upgrade Docker Engine to 24 or later (Docker's own packages; Debian 12's docker.io is 20.10)");
    }
    Outcome::pass(format!("Docker Engine `{}` (API {}) answers on `{}`", d.server_version, d.api_version, d.host))
}

/// WD402 docker-containerd-store.
pub fn containerd_store(ctx: &Ctx) -> Outcome {
    let d = or_return!(docker(ctx));
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

/// WD403 docker-wasm-shim.
pub fn wasm_shim(ctx: &Ctx) -> Outcome {
    let d = or_return!(docker(ctx));
    let source = match &d.dockerd_path {
        Fact::Collected(_) => "dockerd's PATH (from procfs)".to_string(),
        Fact::Unavailable(m) => format!("the standard PATH (dockerd's environment not readable: {})", m.reason),
    };
    if d.shims_on_path.is_empty() {
        return Outcome::fail(format!(
            "no Wasm shim (`containerd-shim-wasmedge-v1`, …) on {source}: `docker run --runtime io.containerd.wasmedge.v1` fails with `binary not installed \"containerd-shim-wasmedge-v1\"`"
        ))
        .evidence("searched", d.searched.join(":"))
        .fix("install a shim (e.g. runwasi's `containerd-shim-wasmedge-v1`) into /usr/local/bin and restart dockerd");
    }
    let shims: Vec<String> = d.shims_on_path.iter().map(|s| format!("`{s}`")).collect();
    Outcome::pass(format!("Wasm shims on {source}: {}", list(&shims)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::policy::Policy;
    use crate::report::Status;

    fn with_docker(version: &str, driver_type: Option<&str>, shims: &[&str]) -> crate::facts::Facts {
        let mut f = facts(node(config("")));
        let mut status = vec![("Root Dir".to_string(), "/var/lib/docker/vfs".to_string())];
        if let Some(t) = driver_type {
            status = vec![("driver-type".to_string(), t.to_string())];
        }
        f.docker = Fact::Collected(DockerFacts {
            host: "unix:///var/run/docker.sock".into(),
            server_version: version.into(),
            api_version: "1.41".into(),
            driver: if driver_type.is_some() { "overlayfs".into() } else { "vfs".into() },
            driver_status: status,
            runtimes: vec!["io.containerd.runc.v2".into(), "runc".into()],
            dockerd_path: Fact::Collected("/usr/local/bin:/usr/bin".into()),
            shims_on_path: shims.iter().map(|s| s.to_string()).collect(),
            searched: vec!["/usr/local/bin".into(), "/usr/bin".into()],
        });
        f
    }

    fn eval(check: fn(&Ctx) -> Outcome, f: &crate::facts::Facts) -> Outcome {
        check(&Ctx { facts: f, policy: &Policy::default() })
    }

    #[test]
    fn engine_version() {
        let o = eval(engine, &with_docker("20.10.24+dfsg1", None, &[]));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.starts_with("Docker Engine `20.10.24+dfsg1` (API 1.41) is older than 24.0"), "{}", o.message);
        assert_eq!(eval(engine, &with_docker("27.3.1", None, &[])).status, Status::Pass);
        assert_eq!(eval(engine, &facts(node(config("")))).status, Status::Skip);
    }

    #[test]
    fn store_and_shim() {
        assert_eq!(eval(containerd_store, &with_docker("27.3.1", None, &[])).status, Status::Fail);
        assert_eq!(
            eval(containerd_store, &with_docker("27.3.1", Some("io.containerd.snapshotter.v1"), &[])).status,
            Status::Pass
        );
        assert_eq!(eval(wasm_shim, &with_docker("27.3.1", None, &[])).status, Status::Fail);
        let o = eval(wasm_shim, &with_docker("27.3.1", None, &["/usr/local/bin/containerd-shim-wasmedge-v1"]));
        assert_eq!(
            o.message,
            "Wasm shims on dockerd's PATH (from procfs): `/usr/local/bin/containerd-shim-wasmedge-v1`"
        );
    }
}
