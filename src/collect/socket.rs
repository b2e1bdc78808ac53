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
}
