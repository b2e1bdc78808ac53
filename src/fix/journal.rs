//! The journal of applied fixes, in the host root's `/var/lib/wasmdoctor/` (mode 0700): every change
//! set is recorded before the first file of it is touched (write-ahead), with content-addressed
//! copies of each original (`backups/`) and of what the fix wrote (`written/`), where containerd's
//! imports never read them. One lock per host root lets one fix run at a time.

use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::FixError;
use crate::collect::host::{HostRoot, READ_CAP};
use crate::plan::STATE_DIR;

pub const JOURNAL: &str = "/var/lib/wasmdoctor/journal.json";
const LOCK: &str = "/var/lib/wasmdoctor/lock";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSet {
    pub check: String,
    pub at: String,
    pub files: Vec<Changed>,
    /// API objects written by server-side apply; `undo` deletes the ones it created and removes
    /// the fields field manager `wasmdoctor` set on the others.
    #[serde(default)]
    pub objects: Vec<AppliedObject>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedObject {
    pub api_version: String,
    pub kind: String,
    pub plural: String,
    pub namespace: Option<String>,
    pub name: String,
    /// It did not exist before.
    pub created: bool,
    /// The object's `resourceVersion` and `generation` after wasmdoctor's apply: another one at
    /// `undo` means someone changed it since (the generation, where the kind has one).
    #[serde(default)]
    pub resource_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changed {
    /// Node paths.
    pub path: String,
    /// The original's copy; `None` when the fix created the file (undo removes it).
    #[serde(default)]
    pub backup: Option<String>,
    /// The copy of what the fix wrote: `undo` restores only a file that still holds exactly this.
    #[serde(default)]
    pub written: Option<String>,
}

pub fn read(host: &HostRoot) -> Result<Vec<ChangeSet>, FixError> {
    match host.read_to_string(JOURNAL) {
        Ok(text) => {
            serde_json::from_str(&text).map_err(|e| FixError::Journal { path: JOURNAL.into(), message: e.to_string() })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(FixError::Journal { path: JOURNAL.into(), message: e.to_string() }),
    }
}

/// Replace the journal atomically (a temp file beside it, synced, then renamed).
pub fn write(host: &HostRoot, journal: &[ChangeSet]) -> Result<(), FixError> {
    let err = |e: io::Error| FixError::JournalWrite { path: JOURNAL.into(), message: e.to_string() };
    let text = serde_json::to_string_pretty(journal)
        .map_err(|e| FixError::JournalWrite { path: JOURNAL.into(), message: e.to_string() })?;
    host.create_dir_all(STATE_DIR, 0o700).map_err(err)?;
    replace(host, JOURNAL, text.as_bytes(), 0o600, None).map_err(err)
}

/// Write `bytes` to `node_path` through a temp file in its directory and a rename, with this mode
/// and owner, synced with its directory: a reader sees the old file or the new one, never half of
/// either, and after a crash too.
pub fn replace(host: &HostRoot, node_path: &str, bytes: &[u8], mode: u32, owner: Option<(u32, u32)>) -> io::Result<()> {
    let (dir, name) = node_path.rsplit_once('/').unwrap_or(("", node_path));
    let tmp = format!("{dir}/.{name}.wasmdoctor-tmp-{}", std::process::id());
    let written = (|| {
        let mut f = host.create_new(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        rustix::fs::fchmod(f.as_fd(), rustix::fs::Mode::from_raw_mode(mode))?;
        if let Some((uid, gid)) = owner {
            rustix::fs::fchown(f.as_fd(), Some(rustix::fs::Uid::from_raw(uid)), Some(rustix::fs::Gid::from_raw(gid)))?;
        }
        host.rename(&tmp, node_path)?;
        // The journal's rename must be on disk before the config's: a crash between the two then
        // leaves an entry `undo` can use, never a changed file with no entry.
        host.sync_dir(dir)
    })();
    if written.is_err() {
        let _ = host.remove_file(&tmp);
    }
    written
}

/// Keep a copy of `bytes` at `node_path` (content-addressed: an existing copy must hold the same
/// bytes). Returns whether it was created now (so a failed apply can remove it again).
pub fn store(host: &HostRoot, node_path: &str, bytes: &[u8], mode: u32) -> io::Result<bool> {
    if let Ok(existing) = host.read(node_path, READ_CAP) {
        return if existing == bytes {
            Ok(false)
        } else {
            Err(io::Error::other(format!("`{node_path}` exists with other content")))
        };
    }
    let (dir, _) = node_path.rsplit_once('/').unwrap_or(("", node_path));
    host.create_dir_all(STATE_DIR, 0o700)?;
    host.create_dir_all(dir, 0o700)?;
    let mut f = host.create_new(node_path)?;
    f.write_all(bytes)?;
    rustix::fs::fchmod(f.as_fd(), rustix::fs::Mode::from_raw_mode(mode))?;
    f.sync_all()?;
    host.sync_dir(dir)?;
    Ok(true)
}

/// The one-fix-at-a-time lock of a host root (`flock` on `/var/lib/wasmdoctor/lock`), held until
/// dropped. The holder writes its pid and command there, for the one that waits.
pub struct Lock {
    _file: std::fs::File,
}

impl Lock {
    /// Take the lock, waiting up to `wait`; then refuse, saying who holds it.
    pub fn acquire(host: &HostRoot, wait: Duration) -> Result<Lock, FixError> {
        let open = || -> io::Result<std::fs::File> {
            host.create_dir_all(STATE_DIR, 0o700)?;
            match host.open_rw(LOCK) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => match host.create_new(LOCK) {
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => host.open_rw(LOCK),
                    r => r,
                },
                r => r,
            }
        };
        let mut file = open().map_err(|e| FixError::LockUnavailable { message: e.to_string() })?;
        let deadline = Instant::now() + wait;
        loop {
            match rustix::fs::flock(file.as_fd(), rustix::fs::FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => break,
                Err(rustix::io::Errno::WOULDBLOCK) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(rustix::io::Errno::WOULDBLOCK) => {
                    let mut holder = String::new();
                    let _ = (&file).take(4096).read_to_string(&mut holder);
                    return Err(FixError::Locked { holder: holder.trim().to_string(), waited: wait.as_secs() });
                }
                Err(e) => return Err(FixError::LockUnavailable { message: e.to_string() }),
            }
        }
        // Who holds it, for the next one to wait.
        let me = format!(
            "pid {} ({}), since {}",
            std::process::id(),
            std::env::args().collect::<Vec<_>>().join(" "),
            crate::rules::time::rfc3339(std::time::SystemTime::now())
        );
        let _ = file.set_len(0).and_then(|()| file.write_all(me.as_bytes()));
        Ok(Lock { _file: file })
    }
}
