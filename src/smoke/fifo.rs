//! The smoke task's stdout and stderr: two FIFOs in a private directory of the node's `/run`, read
//! on threads (each capped) from the moment containerd's shim opens them for writing. The node's
//! `/run`, under the host root: containerd opens the paths as the node sees them, which inside a
//! DaemonSet pod (`/host`) or beside a chroot'd containerd is not this process's `/tmp`.

use std::io::Read;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};

use crate::collect::host::HostRoot;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

/// What is kept of each stream.
const CAP: u64 = 16 * 1024;

#[derive(Default)]
pub struct Pair {
    /// The directory on our filesystem.
    dir: Option<PathBuf>,
    /// The same directory as the node sees it (what containerd is given).
    node_dir: String,
    readers: Vec<mpsc::Receiver<String>>,
}

impl Pair {
    pub fn create(host: &HostRoot, id: &str) -> std::io::Result<Pair> {
        let node_dir = format!("/run/wasmdoctor-smoke-{id}");
        host.create_dir_all("/run", 0o755)?;
        // Resolved inside the host root by the kernel, whatever a symlink on the way says.
        let run = host.resolve("/run")?;
        let dir = run.join(format!("wasmdoctor-smoke-{id}"));
        std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
        let mut pair = Pair { dir: Some(dir.clone()), node_dir, readers: Vec::new() };
        for name in ["stdout", "stderr"] {
            let path = dir.join(name);
            rustix::fs::mkfifoat(rustix::fs::CWD, &path, rustix::fs::Mode::from_raw_mode(0o600))?;
            let (tx, rx) = mpsc::channel();
            // The open blocks until a writer comes (the shim, or `finish` when none did).
            std::thread::spawn(move || {
                let mut text = Vec::new();
                if let Ok(file) = std::fs::File::open(&path) {
                    let _ = file.take(CAP).read_to_end(&mut text);
                }
                let _ = tx.send(String::from_utf8_lossy(&text).into_owned());
            });
            pair.readers.push(rx);
        }
        Ok(pair)
    }

    /// Ours, on this filesystem.
    fn path(&self, name: &str) -> String {
        self.dir.as_ref().map(|d| d.join(name).display().to_string()).unwrap_or_default()
    }

    /// As the node (containerd) sees it.
    pub fn stdout_path(&self) -> String {
        format!("{}/stdout", self.node_dir)
    }

    pub fn stderr_path(&self) -> String {
        format!("{}/stderr", self.node_dir)
    }

    /// Both streams' text (after the task is gone). A reader still waiting for a writer that never
    /// came is released by opening and closing the write end once.
    pub fn finish(self) -> (String, String) {
        for name in ["stdout", "stderr"] {
            let path = self.path(name);
            if !path.is_empty() {
                let _ = std::fs::OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(&path);
            }
        }
        let mut texts = self.readers.iter().map(|rx| rx.recv_timeout(Duration::from_secs(2)).unwrap_or_default());
        let out = texts.next().unwrap_or_default();
        let err = texts.next().unwrap_or_default();
        (out, err)
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn what_a_writer_writes_is_read_and_an_unused_stream_does_not_hang() {
        let root = tempfile::tempdir().unwrap();
        let host = HostRoot::new(root.path());
        let pair = Pair::create(&host, &format!("test-{}", std::process::id())).unwrap();
        assert!(pair.stdout_path().starts_with("/run/wasmdoctor-smoke-"), "the node's path: {}", pair.stdout_path());
        let ours = root.path().join(pair.stdout_path().trim_start_matches('/'));
        let mut w = std::fs::OpenOptions::new().write(true).open(ours).unwrap();
        w.write_all(b"n0nce\n").unwrap();
        drop(w);
        let dir = pair.dir.clone().unwrap();
        let (out, err) = pair.finish();
        assert_eq!((out.as_str(), err.as_str()), ("n0nce\n", ""));
        assert!(!dir.exists(), "removed");
    }
}
