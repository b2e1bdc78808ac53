//! The running dockerd over its API (bollard, version negotiated: Debian's dockerd 20.10 speaks
//! only API 1.41), and the Wasm shims on dockerd's PATH (read from procfs).

use std::time::Duration;

use bollard::{API_DEFAULT_VERSION, Docker};

use super::host::HostRoot;
use super::{procfs, socket};
use crate::facts::{DockerFacts, Fact, MissingKind};
use crate::rules::containerd::STANDARD_PATH;
use crate::rules::wasm::is_wasm_shim_name;

pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// Collect from `host_url` (`unix:///…`, a node path under the host root, or `tcp://…`/`http://…`).
/// dockerd at `host_url`; `named_by` says who named the address, when the user did (then a socket
/// that is not there fails rather than meaning Docker is not in use).
pub async fn collect(host: &HostRoot, host_url: &str, named_by: Option<&str>, timeout: Duration) -> Fact<DockerFacts> {
    let secs = timeout.as_secs().max(1);
    let docker = if let Some(path) = host_url.strip_prefix("unix://") {
        let on_disk = socket::locate(host, path, "dockerd")
            .and_then(|p| socket::probe(&p, path, "dockerd").map(|()| p))
            .map_err(|m| match named_by {
                Some(by) => socket::named(m, by, host, path),
                None => m,
            });
        let on_disk = match on_disk {
            Ok(p) => p,
            Err(m) => return Fact::Unavailable(m),
        };
        Docker::connect_with_unix(&on_disk.to_string_lossy(), secs, API_DEFAULT_VERSION)
    } else if host_url.starts_with("tcp://") || host_url.starts_with("http://") {
        Docker::connect_with_http(&host_url.replacen("tcp://", "http://", 1), secs, API_DEFAULT_VERSION)
    } else {
        return Fact::unavailable(
            MissingKind::Failed,
            format!("unsupported docker host `{host_url}` (use unix:// or tcp://)"),
        );
    };
    let docker = match docker {
        Ok(d) => d,
        Err(e) => return Fact::unavailable(MissingKind::Failed, format!("{host_url}: {e}")),
    };
    let work = async {
        let docker = docker.negotiate_version().await.map_err(|e| format!("negotiating the API version: {e}"))?;
        let info = docker.info().await.map_err(|e| format!("docker info: {e}"))?;
        Ok::<_, String>((docker.client_version().to_string(), info))
    };
    let (api_version, info) = match tokio::time::timeout(timeout, work).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return Fact::unavailable(MissingKind::Failed, format!("{host_url}: {e}")),
        Err(_) => {
            return Fact::unavailable(
                MissingKind::Timeout,
                format!("{host_url} accepted the connection but did not answer in time"),
            );
        }
    };
    let driver_status: Vec<(String, String)> = info
        .driver_status
        .unwrap_or_default()
        .into_iter()
        .filter_map(|pair| match pair.as_slice() {
            [k, v] => Some((k.clone(), v.clone())),
            _ => None,
        })
        .collect();
    let mut runtimes: Vec<String> = info.runtimes.unwrap_or_default().into_keys().collect();
    runtimes.sort();
    let (dockerd_path, searched) = match procfs::find(host, "dockerd") {
        Fact::Collected(p) => match p.path_env {
            Some(path) => (Fact::Collected(path.clone()), path),
            None => (
                Fact::unavailable(MissingKind::PermissionDenied, format!("/proc/{}/environ is not readable", p.pid)),
                STANDARD_PATH.to_string(),
            ),
        },
        Fact::Unavailable(m) => (Fact::Unavailable(m), STANDARD_PATH.to_string()),
    };
    let searched: Vec<String> = searched.split(':').filter(|d| !d.is_empty()).map(String::from).collect();
    let shims_on_path = wasm_shims_in(host, &searched);
    Fact::Collected(DockerFacts {
        host: host_url.to_string(),
        server_version: info.server_version.unwrap_or_default(),
        api_version,
        driver: info.driver.unwrap_or_default(),
        driver_status,
        runtimes,
        dockerd_path,
        shims_on_path,
        searched,
    })
}

/// `containerd-shim-<wasm engine>-v<N>` files in these directories, as node paths.
fn wasm_shims_in(host: &HostRoot, dirs: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for d in dirs {
        let Ok(entries) = host.read_dir(d) else { continue };
        let names: Vec<String> = entries.into_iter().filter(|n| is_wasm_shim_name(n)).collect();
        found.extend(names.into_iter().map(|n| format!("{}/{n}", d.trim_end_matches('/'))));
    }
    found
}

/// `DOCKER_HOST`, else the default socket.
/// dockerd's address and who named it: `--docker-host`, else `$DOCKER_HOST`, else the default
/// socket (named by no one, so its absence means Docker is not in use).
pub fn host(flag: Option<&str>) -> (String, Option<&'static str>) {
    if let Some(h) = flag {
        return (h.to_string(), Some("`--docker-host`"));
    }
    match std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()) {
        Some(h) => (h, Some("`$DOCKER_HOST`")),
        None => (DEFAULT_HOST.to_string(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shim_names() {
        assert!(is_wasm_shim_name("containerd-shim-wasmedge-v1"));
        assert!(is_wasm_shim_name("containerd-shim-spin-v2"));
        assert!(!is_wasm_shim_name("containerd-shim-runc-v2"));
        assert!(!is_wasm_shim_name("containerd-shim-wasmedge"));
    }

    #[test]
    fn finds_shims_on_path() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("usr/local/bin")).unwrap();
        std::fs::write(d.path().join("usr/local/bin/containerd-shim-wasmedge-v1"), "").unwrap();
        std::fs::write(d.path().join("usr/local/bin/containerd-shim-runc-v2"), "").unwrap();
        let host = HostRoot::new(d.path());
        let found = wasm_shims_in(&host, &["/usr/local/bin".into(), "/usr/bin".into()]);
        assert_eq!(found, ["/usr/local/bin/containerd-shim-wasmedge-v1"]);
    }
}
