//! Paths on the node, always under `--host-root`, which is a jail: every path wasmdoctor reads,
//! executes or writes is resolved by the kernel inside the root (`openat2` with `RESOLVE_IN_ROOT`,
//! through `pathrs`, which emulates it on kernels without `openat2`). A symlink's absolute target
//! means the node's path, `..` stops at the root, and a chain of more than 40 links is `ELOOP`, as
//! the kernel says, never the unresolved path. Reads take regular files only, up to a size cap.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pathrs::Root;
use pathrs::flags::{OpenFlags, RenameFlags};

/// What a node file may be at most, unless the caller says otherwise: configs, unit files and
/// `/etc/hostname` are far smaller; `/dev/zero` must not become gigabytes.
pub const READ_CAP: u64 = 16 * 1024 * 1024;

/// The node's filesystem root.
#[derive(Clone)]
pub struct HostRoot {
    root: PathBuf,
    /// The root opened once; all lookups go through it. `Err` when it could not be opened.
    jail: Result<Arc<Root>, Arc<str>>,
}

impl std::fmt::Debug for HostRoot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostRoot").field("root", &self.root).finish()
    }
}

/// What a node path is, after following links inside the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeMeta {
    pub kind: FileKind,
    pub mode: u32,
    pub size: u64,
    pub uid: u32,
    pub gid: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    File,
    Dir,
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
    Symlink,
}

impl FileKind {
    /// As messages name it: `a FIFO`, `a directory`, …
    pub fn described(self) -> &'static str {
        match self {
            FileKind::File => "a regular file",
            FileKind::Dir => "a directory",
            FileKind::Fifo => "a FIFO",
            FileKind::Socket => "a socket",
            FileKind::CharDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Symlink => "a symlink",
        }
    }
}

impl NodeMeta {
    pub fn is_file(&self) -> bool {
        self.kind == FileKind::File
    }

    /// A regular file with any execute bit set.
    pub fn is_executable(&self) -> bool {
        self.is_file() && self.mode & 0o111 != 0
    }
}

/// A node binary, opened inside the root, ready to run (see `exec::Program`).
pub struct NodeBinary {
    /// `O_PATH` descriptor of the binary itself: what runs is what was resolved.
    pub fd: OwnedFd,
    /// The node path, shown in messages and passed as `argv[0]`.
    pub node_path: String,
}

impl HostRoot {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let jail = std::fs::canonicalize(&root)
            .map_err(|e| format!("the host root {} cannot be opened: {e}", root.display()))
            .and_then(|real| {
                Root::open(&real)
                    .map(Arc::new)
                    .map_err(|e| format!("the host root {} cannot be opened: {e}", root.display()))
            })
            .map_err(Arc::from);
        Self { root, jail }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the host root is the machine we run on (then procfs and sockets are live).
    pub fn is_live(&self) -> bool {
        self.root == Path::new("/")
    }

    /// A descriptor of the host root itself, to run a node binary inside it (`Program::InRoot`).
    pub fn root_fd(&self) -> io::Result<OwnedFd> {
        Ok(rustix::io::dup(self.jail()?.as_fd())?)
    }

    fn jail(&self) -> io::Result<&Root> {
        self.jail.as_deref().map_err(|why| io::Error::new(io::ErrorKind::NotFound, why.to_string()))
    }

    /// The node path opened as an `O_PATH` handle, following links inside the root.
    fn handle(&self, node_path: &str) -> io::Result<pathrs::Handle> {
        self.jail()?.resolve(node_path).map_err(|e| to_io(e, node_path))
    }

    pub fn meta(&self, node_path: &str) -> io::Result<NodeMeta> {
        let handle = self.handle(node_path)?;
        meta_of(handle.as_fd())
    }

    /// The node path itself, not following a final symlink.
    pub fn symlink_meta(&self, node_path: &str) -> io::Result<NodeMeta> {
        let handle = self.jail()?.resolve_nofollow(node_path).map_err(|e| to_io(e, node_path))?;
        meta_of(handle.as_fd())
    }

    /// The magic number of the filesystem the node path is on (`statfs`'s `f_type`).
    pub fn fs_magic(&self, node_path: &str) -> io::Result<i64> {
        let handle = self.handle(node_path)?;
        Ok(rustix::fs::fstatfs(handle.as_fd())?.f_type as i64)
    }

    pub fn exists(&self, node_path: &str) -> bool {
        self.meta(node_path).is_ok()
    }

    pub fn is_file(&self, node_path: &str) -> bool {
        self.meta(node_path).is_ok_and(|m| m.is_file())
    }

    pub fn is_dir(&self, node_path: &str) -> bool {
        self.meta(node_path).is_ok_and(|m| m.kind == FileKind::Dir)
    }

    /// The node path after following links inside the root, as the node sees it (from the
    /// kernel's resolution, so it is inside the root whatever the links say).
    pub fn canonical(&self, node_path: &str) -> io::Result<String> {
        let handle = self.handle(node_path)?;
        let real = fd_path(handle.as_fd())?;
        let root = fd_path(self.jail()?.as_fd())?;
        let rel = real.strip_prefix(&root).map_err(|_| {
            io::Error::other(format!("`{node_path}` resolved to {}, outside the host root", real.display()))
        })?;
        Ok(format!("/{}", rel.to_string_lossy()))
    }

    /// Where a node path is on our filesystem, resolved inside the root by the kernel (for what
    /// needs a path, such as a socket to connect to).
    pub fn resolve(&self, node_path: &str) -> io::Result<PathBuf> {
        let handle = self.handle(node_path)?;
        fd_path(handle.as_fd())
    }

    /// Where a node path that may not exist would be on our filesystem: its parent resolved inside
    /// the root when it exists, else joined under the root (for messages).
    pub fn would_be(&self, node_path: &str) -> PathBuf {
        let path = Path::new(node_path);
        match (path.parent(), path.file_name()) {
            (Some(parent), Some(name)) => match self.resolve(&parent.to_string_lossy()) {
                Ok(dir) => dir.join(name),
                Err(_) => self.join(node_path),
            },
            _ => self.join(node_path),
        }
    }

    /// A node path joined under the root without resolving it (for messages and for sockets that
    /// may not exist yet).
    pub fn join(&self, node_path: &str) -> PathBuf {
        let mut out = self.root.clone();
        for c in Path::new(node_path).components() {
            if let std::path::Component::Normal(p) = c {
                out.push(p);
            }
        }
        out
    }

    /// The bytes of a regular file, at most `cap` of them. A FIFO, socket or device is refused
    /// before it is opened for reading (it could block or never end), and so is a larger file.
    pub fn read(&self, node_path: &str, cap: u64) -> io::Result<Vec<u8>> {
        let handle = self.handle(node_path)?;
        let meta = meta_of(handle.as_fd())?;
        if meta.kind != FileKind::File {
            return Err(not_a_file(meta.kind));
        }
        let file = handle.reopen(OpenFlags::O_RDONLY | OpenFlags::O_NONBLOCK).map_err(|e| to_io(e, node_path))?;
        // The same inode as the one checked, still a regular file.
        if meta_of(file.as_fd())?.kind != FileKind::File {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "it changed while being opened"));
        }
        read_capped(file, cap)
    }

    /// The first `n` bytes of a regular file (fewer when it is shorter).
    pub fn read_head(&self, node_path: &str, n: u64) -> io::Result<Vec<u8>> {
        let handle = self.handle(node_path)?;
        let kind = meta_of(handle.as_fd())?.kind;
        if kind != FileKind::File {
            return Err(not_a_file(kind));
        }
        let file = handle.reopen(OpenFlags::O_RDONLY | OpenFlags::O_NONBLOCK).map_err(|e| to_io(e, node_path))?;
        let mut buf = Vec::new();
        file.take(n).read_to_end(&mut buf)?;
        Ok(buf)
    }

    /// A regular file as UTF-8 text, at most `READ_CAP` bytes.
    pub fn read_to_string(&self, node_path: &str) -> io::Result<String> {
        into_text(self.read(node_path, READ_CAP)?)
    }

    /// The names in a directory, sorted.
    pub fn read_dir(&self, node_path: &str) -> io::Result<Vec<String>> {
        let handle = self.handle(node_path)?;
        let dir = handle.reopen(OpenFlags::O_RDONLY | OpenFlags::O_DIRECTORY).map_err(|e| to_io(e, node_path))?;
        let mut names = Vec::new();
        for entry in rustix::fs::Dir::read_from(dir.as_fd())? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if name != "." && name != ".." {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// Expand a glob of node paths (`*`, `?`, `[…]` in any component) inside the root, at most
    /// `limit` results; node paths, sorted, and whether the limit cut the list.
    pub fn glob(&self, pattern: &str, limit: usize) -> (Vec<String>, bool) {
        let mut found = vec![String::new()];
        for part in pattern.split('/').filter(|p| !p.is_empty()) {
            let mut next = Vec::new();
            let is_pattern = part.contains(['*', '?', '[']);
            let matcher = glob::Pattern::new(part).ok();
            for dir in &found {
                if !is_pattern {
                    next.push(format!("{dir}/{part}"));
                    continue;
                }
                let Some(m) = &matcher else { continue };
                let dir_path = if dir.is_empty() { "/".to_string() } else { dir.clone() };
                for name in self.read_dir(&dir_path).unwrap_or_default() {
                    // Like filepath.Glob: a leading `*` does not match hidden files.
                    if m.matches_with(
                        &name,
                        glob::MatchOptions { require_literal_leading_dot: true, ..Default::default() },
                    ) {
                        next.push(format!("{dir}/{name}"));
                    }
                }
            }
            found = next;
        }
        let mut out: Vec<String> = found.into_iter().filter(|p| !p.is_empty() && self.exists(p)).collect();
        out.sort();
        let truncated = out.len() > limit;
        out.truncate(limit);
        (out, truncated)
    }

    /// A node binary to run: resolved inside the root once; what runs is that file.
    pub fn binary(&self, node_path: &str) -> io::Result<NodeBinary> {
        let handle = self.handle(node_path)?;
        Ok(NodeBinary { fd: handle.into(), node_path: node_path.to_string() })
    }

    // -----------------------------------------------------------------------------------------
    // writing (fixes), every path resolved inside the root

    /// Create a new file (it must not exist), readable and writable by its owner only until the
    /// caller sets its mode.
    pub fn create_new(&self, node_path: &str) -> io::Result<File> {
        let perm = std::fs::Permissions::from_mode(0o600);
        self.jail()?
            .create_file(node_path, OpenFlags::O_WRONLY | OpenFlags::O_CREAT | OpenFlags::O_EXCL, &perm)
            .map_err(|e| to_io(e, node_path))
    }

    /// Open an existing regular file for reading and writing.
    pub fn open_rw(&self, node_path: &str) -> io::Result<File> {
        let handle = self.handle(node_path)?;
        let kind = meta_of(handle.as_fd())?.kind;
        if kind != FileKind::File {
            return Err(not_a_file(kind));
        }
        handle.reopen(OpenFlags::O_RDWR).map_err(|e| to_io(e, node_path))
    }

    /// Replace `to` with `from` atomically (both inside the root).
    pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        self.jail()?.rename(from, to, RenameFlags::empty()).map_err(|e| to_io(e, to))
    }

    /// The target of the symlink at `node_path`, as written (not followed).
    pub fn read_link(&self, node_path: &str) -> io::Result<PathBuf> {
        self.jail()?.readlink(node_path).map_err(|e| to_io(e, node_path))
    }

    /// Make a directory's entries durable (after a rename in it): the rename survives a crash.
    pub fn sync_dir(&self, node_path: &str) -> io::Result<()> {
        let handle = self.handle(if node_path.is_empty() { "/" } else { node_path })?;
        let dir = handle.reopen(OpenFlags::O_RDONLY | OpenFlags::O_DIRECTORY).map_err(|e| to_io(e, node_path))?;
        dir.sync_all()
    }

    pub fn remove_file(&self, node_path: &str) -> io::Result<()> {
        self.jail()?.remove_file(node_path).map_err(|e| to_io(e, node_path))
    }

    /// Create a directory and its missing parents inside the root.
    pub fn create_dir_all(&self, node_path: &str, mode: u32) -> io::Result<()> {
        self.jail()?
            .mkdir_all(node_path, &std::fs::Permissions::from_mode(mode))
            .map(drop)
            .map_err(|e| to_io(e, node_path))
    }
}

/// Bytes read as text: UTF-8, or an error saying where it is not.
pub fn into_text(bytes: Vec<u8>) -> io::Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        io::Error::new(io::ErrorKind::InvalidData, format!("it is not UTF-8 text (invalid byte at offset {at})"))
    })
}

/// The refusal to read something that is not a regular file, naming what it is.
pub fn not_a_file(kind: FileKind) -> io::Error {
    let expected = if kind == FileKind::Dir { "a file" } else { "a regular file" };
    io::Error::new(io::ErrorKind::InvalidInput, format!("it is {}, not {expected}", kind.described()))
}

/// What a descriptor refers to.
pub fn meta_of(fd: impl AsFd) -> io::Result<NodeMeta> {
    let st = rustix::fs::fstat(fd)?;
    let kind = match rustix::fs::FileType::from_raw_mode(st.st_mode) {
        rustix::fs::FileType::RegularFile => FileKind::File,
        rustix::fs::FileType::Directory => FileKind::Dir,
        rustix::fs::FileType::Fifo => FileKind::Fifo,
        rustix::fs::FileType::Socket => FileKind::Socket,
        rustix::fs::FileType::CharacterDevice => FileKind::CharDevice,
        rustix::fs::FileType::BlockDevice => FileKind::BlockDevice,
        _ => FileKind::Symlink,
    };
    Ok(NodeMeta { kind, mode: st.st_mode & 0o7777, size: st.st_size as u64, uid: st.st_uid, gid: st.st_gid })
}

/// The path the kernel has for a descriptor (through `/proc/self/fd`).
fn fd_path(fd: impl AsFd) -> io::Result<PathBuf> {
    std::fs::read_link(format!("/proc/self/fd/{}", fd.as_fd().as_raw_fd()))
}

/// Read at most `cap` bytes; more is an error that says the cap.
pub fn read_capped(file: impl Read, cap: u64) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    file.take(cap + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("it is larger than the {} wasmdoctor reads of such a file", bytes(cap)),
        ));
    }
    Ok(buf)
}

/// `16 MiB`, `64 KiB`.
pub fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// The kernel's `ELOOP`: a symlink loop, or a chain longer than 40 links.
#[derive(Debug)]
pub struct SymlinkLoop(String);

impl std::fmt::Display for SymlinkLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SymlinkLoop {}

/// Whether an error is a symlink loop (`ELOOP`), which is not "does not exist".
pub fn is_loop(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<SymlinkLoop>())
}

/// A `pathrs` error as an I/O error, worded for the path (`ELOOP` says it is a symlink loop).
fn to_io(e: pathrs::error::Error, node_path: &str) -> io::Error {
    match e.kind() {
        pathrs::error::ErrorKind::OsError(Some(libc::ELOOP)) => io::Error::other(SymlinkLoop(format!(
            "`{node_path}`: too many levels of symbolic links (a symlink loop, or a chain of more than 40)"
        ))),
        pathrs::error::ErrorKind::OsError(Some(errno)) => io::Error::from_raw_os_error(errno),
        _ => io::Error::other(e.to_string()),
    }
}

#[cfg(test)]
mod tests;
