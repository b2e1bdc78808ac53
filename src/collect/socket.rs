//! A first, synchronous look at a daemon's unix socket, so that "does not exist", "permission
//! denied" and "nothing listens" are told apart before any protocol is spoken.

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use super::host::{HostRoot, is_loop};
use crate::facts::{Missing, MissingKind};

/// A daemon's socket, resolved inside the host root: where to connect, or why there is nothing.
pub fn locate(host: &HostRoot, address: &str, daemon: &str) -> Result<PathBuf, Missing> {
    host.resolve(address).map_err(|e| {
        let (kind, reason) = match e.kind() {
            std::io::ErrorKind::NotFound => (MissingKind::NotFound, format!("no {daemon} socket at {address}")),
            _ if is_loop(&e) => (MissingKind::Failed, format!("{address}: {e}")),
            _ => (MissingKind::Failed, format!("{address}: {e}")),
        };
        Missing { kind, reason }
    })
}

/// A daemon address the user named (`by`: `--containerd-address`, `--docker-host`,
/// `$DOCKER_HOST`) that is not there or refuses connections: a claim that does not hold, so its
/// checks fail (`NamedUnreachable`), live or not, naming the node path and, under another host root,
/// where that is on this machine. Other kinds (permission, timeout) stay as they are.
pub fn named(m: Missing, by: &str, host: &HostRoot, address: &str) -> Missing {
    if !matches!(m.kind, MissingKind::NotFound | MissingKind::Failed) {
        return m;
    }
    let looked = if host.root() == Path::new("/") {
        String::new()
    } else {
        format!(" (under host root {}: {})", host.root().display(), host.would_be(address).display())
    };
    let reason = match m.kind {
        MissingKind::NotFound => format!("{by} names {address}, but nothing is there{looked}"),
        _ => format!("{by} names {address}: {}{looked}", m.reason),
    };
    Missing { kind: MissingKind::NamedUnreachable, reason }
}

pub fn probe(on_disk: &Path, address: &str, daemon: &str) -> Result<(), Missing> {
    match UnixStream::connect(on_disk) {
        Ok(_) => Ok(()),
        Err(e) => {
            let (kind, reason) = match e.raw_os_error() {
                Some(libc::ENOENT) => (MissingKind::NotFound, format!("no {daemon} socket at {address}")),
                Some(libc::EACCES) | Some(libc::EPERM) => (
                    MissingKind::PermissionDenied,
                    format!(
                        "connect {address}: permission denied (run wasmdoctor as root, or as a member of the group that owns the socket)"
                    ),
                ),
                Some(libc::ECONNREFUSED) => (
                    MissingKind::Failed,
                    format!("connect {address}: connection refused (a stale socket: is {daemon} running?)"),
                ),
                Some(libc::ENOTSOCK) => (MissingKind::Failed, format!("{address} is not a socket")),
                _ => (MissingKind::Failed, format!("connect {address}: {e}")),
            };
            Err(Missing { kind, reason })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let d = tempfile::tempdir().unwrap();
        let missing = probe(&d.path().join("nope.sock"), "/run/x.sock", "containerd").unwrap_err();
        assert_eq!(missing.kind, MissingKind::NotFound);
        assert_eq!(missing.reason, "no containerd socket at /run/x.sock");
        // A socket file whose listener is gone refuses connections.
        let path = d.path().join("stale.sock");
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert_eq!(probe(&path, "/run/x.sock", "containerd").unwrap_err().kind, MissingKind::Failed);
        let file = d.path().join("plain");
        std::fs::write(&file, "").unwrap();
        assert!(probe(&file, "/run/x", "containerd").is_err());
        let live = d.path().join("live.sock");
        let _l = std::os::unix::net::UnixListener::bind(&live).unwrap();
        assert!(probe(&live, "/run/x.sock", "containerd").is_ok());
    }

    #[test]
    fn a_named_address_that_is_not_there_is_a_claim_that_fails() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("run")).unwrap();
        let host = HostRoot::new(root.path());
        let m = locate(&host, "/run/containerd.sock", "containerd").unwrap_err();
        let m = named(m, "`--containerd-address`", &host, "/run/containerd.sock");
        assert_eq!(m.kind, MissingKind::NamedUnreachable);
        let real = std::fs::canonicalize(root.path()).unwrap().join("run/containerd.sock");
        assert_eq!(
            m.reason,
            format!(
                "`--containerd-address` names /run/containerd.sock, but nothing is there (under host root {}: {})",
                root.path().display(),
                real.display()
            )
        );
        // On `/` the node path is the path.
        let m = named(
            locate(&HostRoot::new("/"), "/run/nope-x.sock", "x").unwrap_err(),
            "`--docker-host`",
            &HostRoot::new("/"),
            "/run/nope-x.sock",
        );
        assert_eq!(m.reason, "`--docker-host` names /run/nope-x.sock, but nothing is there");
        // A timeout is not made a claim.
        let slow = Missing { kind: MissingKind::Timeout, reason: "slow".into() };
        assert_eq!(named(slow, "`--docker-host`", &host, "/run/d.sock").kind, MissingKind::Timeout);
    }
}
