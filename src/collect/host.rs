//! Paths on the node, always read under `--host-root`.
//!
//! A node path such as `/usr/bin/crun` may be a symlink whose absolute target (`/usr/lib/crun/crun`)
//! means the node's `/usr/lib/…`, not ours: links are followed by hand so that every lookup stays
//! under the host root.

use std::io;
use std::path::{Component, Path, PathBuf};

/// The node's filesystem root.
#[derive(Debug, Clone)]
pub struct HostRoot {
    root: PathBuf,
}

const MAX_LINK_HOPS: usize = 40;

impl HostRoot {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the host root is the machine we run on (then procfs and sockets are live).
    pub fn is_live(&self) -> bool {
        self.root == Path::new("/")
    }

    /// Where a node path lives on our filesystem, following symlinks inside the host root.
    /// The last component is resolved too; a dangling link yields the path it points to.
    pub fn resolve(&self, node_path: &str) -> PathBuf {
        self.join(&self.canonical(node_path))
    }

    /// The node path after following symlinks under the host root (as the node sees it).
    pub fn canonical(&self, node_path: &str) -> String {
        let mut pending: Vec<String> = components(node_path);
        pending.reverse();
        let mut done: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(part) = pending.pop() {
            match part.as_str() {
                "." | "" => continue,
                ".." => {
                    done.pop();
                    continue;
                }
                _ => {}
            }
            let candidate = format!("/{}", [done.as_slice(), std::slice::from_ref(&part)].concat().join("/"));
            let on_disk = self.join(&candidate);
            match std::fs::read_link(&on_disk) {
                Ok(target) if hops < MAX_LINK_HOPS => {
                    hops += 1;
                    let target = target.to_string_lossy().into_owned();
                    if target.starts_with('/') {
                        done.clear();
                    }
                    let mut parts = components(&target);
                    parts.reverse();
                    pending.extend(parts);
                }
                _ => done.push(part),
            }
        }
        format!("/{}", done.join("/"))
    }

    /// Join a node path under the root without following links.
    pub fn join(&self, node_path: &str) -> PathBuf {
        let mut out = self.root.clone();
        for c in Path::new(node_path).components() {
            if let Component::Normal(p) = c {
                out.push(p);
            }
        }
        out
    }

    pub fn read_to_string(&self, node_path: &str) -> io::Result<String> {
        std::fs::read_to_string(self.resolve(node_path))
    }

    pub fn exists(&self, node_path: &str) -> bool {
        self.resolve(node_path).exists()
    }

    pub fn is_file(&self, node_path: &str) -> bool {
        self.resolve(node_path).is_file()
    }

    /// Expand a glob of node paths; results are node paths, sorted.
    pub fn glob(&self, pattern: &str) -> Vec<String> {
        let root = self.root.to_string_lossy();
        let base = if root.ends_with('/') { root.trim_end_matches('/').to_string() } else { root.to_string() };
        let full = format!("{}{}", glob::Pattern::escape(&base), pattern);
        let Ok(paths) = glob::glob(&full) else {
            return Vec::new();
        };
        let mut out: Vec<String> = paths
            .filter_map(Result::ok)
            .filter_map(|p| p.strip_prefix(&self.root).ok().map(|rel| format!("/{}", rel.to_string_lossy())))
            .collect();
        out.sort();
        out
    }
}

fn components(path: &str) -> Vec<String> {
    path.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// Whether a file has any execute bit set.
pub fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.is_file() && meta.permissions().mode() & 0o111 != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_links_stay_under_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let host = HostRoot::new(dir.path());
        std::fs::create_dir_all(dir.path().join("usr/lib/crun")).unwrap();
        std::fs::create_dir_all(dir.path().join("usr/bin")).unwrap();
        std::fs::write(dir.path().join("usr/lib/crun/crun"), "x").unwrap();
        std::os::unix::fs::symlink("/usr/lib/crun/crun", dir.path().join("usr/bin/crun")).unwrap();
        std::os::unix::fs::symlink("crun", dir.path().join("usr/bin/crun-wasm")).unwrap();
        assert_eq!(host.canonical("/usr/bin/crun"), "/usr/lib/crun/crun");
        assert_eq!(host.canonical("/usr/bin/crun-wasm"), "/usr/lib/crun/crun");
        assert_eq!(host.resolve("/usr/bin/crun"), dir.path().join("usr/lib/crun/crun"));
        assert_eq!(host.canonical("/../../etc/passwd"), "/etc/passwd");
    }

    #[test]
    fn link_loops_end() {
        let dir = tempfile::tempdir().unwrap();
        let host = HostRoot::new(dir.path());
        std::os::unix::fs::symlink("/b", dir.path().join("a")).unwrap();
        std::os::unix::fs::symlink("/a", dir.path().join("b")).unwrap();
        let _ = host.canonical("/a");
    }
}
