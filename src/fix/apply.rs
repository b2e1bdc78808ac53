//! Applying a plan: each file is compared with the plan's `before`, backed up beside itself
//! (`<file>.wasmdoctor-<UTC>.bak`), replaced atomically (a temp file in the same directory, then
//! rename) with its owner and mode kept, and the change set is journaled under
//! `<host-root>/var/lib/wasmdoctor/` so `undo` can restore it.

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::{FixError, Plan};
use crate::collect::host::HostRoot;

pub const JOURNAL: &str = "/var/lib/wasmdoctor/journal.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSet {
    pub check: String,
    pub at: String,
    pub files: Vec<Changed>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changed {
    /// Node paths.
    pub path: String,
    pub backup: String,
}

/// Apply the plan's edits; nothing is written unless every file is still as planned.
pub fn apply(plan: &Plan, host: &HostRoot, now: SystemTime) -> Result<ChangeSet, FixError> {
    let stamp = crate::collect::rfc3339(now).replace([':', '-'], "");
    let edits: Vec<_> = plan.edits.iter().filter(|e| e.before != e.after).collect();
    for e in &edits {
        let on_disk = inside_root(host, &e.path)?;
        let current =
            std::fs::read_to_string(&on_disk).map_err(|source| FixError::Read { path: e.path.clone(), source })?;
        if current != e.before {
            return Err(FixError::ChangedSincePlan { path: e.path.clone() });
        }
    }
    let mut set = ChangeSet { check: plan.id.clone(), at: crate::collect::rfc3339(now), files: Vec::new() };
    for e in edits {
        let on_disk = inside_root(host, &e.path)?;
        let backup = format!("{}.wasmdoctor-{stamp}.bak", e.path);
        let backup_on_disk = host.join(&backup);
        std::fs::copy(&on_disk, &backup_on_disk).map_err(|source| FixError::Write { path: backup.clone(), source })?;
        replace_atomically(&on_disk, e.after.as_bytes())
            .map_err(|source| FixError::Write { path: e.path.clone(), source })?;
        set.files.push(Changed { path: e.path.clone(), backup });
    }
    if !set.files.is_empty() {
        let mut journal = read_journal(host)?;
        journal.push(set.clone());
        write_journal(host, &journal)?;
    }
    Ok(set)
}

/// Restore the last change set from its backups, byte for byte.
pub fn undo(host: &HostRoot) -> Result<ChangeSet, FixError> {
    let mut journal = read_journal(host)?;
    let Some(last) = journal.pop() else {
        return Err(FixError::NothingToUndo(JOURNAL.into()));
    };
    for c in &last.files {
        let on_disk = inside_root(host, &c.path)?;
        let bytes =
            std::fs::read(host.join(&c.backup)).map_err(|source| FixError::Read { path: c.backup.clone(), source })?;
        replace_atomically(&on_disk, &bytes).map_err(|source| FixError::Write { path: c.path.clone(), source })?;
    }
    write_journal(host, &journal)?;
    Ok(last)
}

/// The file on our filesystem; refused when a symlink leads it outside the host root.
fn inside_root(host: &HostRoot, node_path: &str) -> Result<PathBuf, FixError> {
    let joined = host.join(node_path);
    let real = std::fs::canonicalize(&joined).map_err(|source| FixError::Read { path: node_path.into(), source })?;
    let root = std::fs::canonicalize(host.root()).map_err(|source| FixError::Read { path: "/".into(), source })?;
    if !real.starts_with(&root) {
        return Err(FixError::OutsideRoot { path: node_path.into(), target: real.display().to_string() });
    }
    Ok(real)
}

/// Write a temp file beside `path` with its mode and owner, flush it, and rename it over `path`.
fn replace_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let meta = std::fs::metadata(path)?;
    let dir = path.parent().unwrap_or(Path::new("/"));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.wasmdoctor-tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::set_permissions(&tmp, meta.permissions())?;
        std::os::unix::fs::chown(&tmp, Some(meta.uid()), Some(meta.gid()))?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn read_journal(host: &HostRoot) -> Result<Vec<ChangeSet>, FixError> {
    match std::fs::read_to_string(host.join(JOURNAL)) {
        Ok(text) => {
            serde_json::from_str(&text).map_err(|e| FixError::Journal { path: JOURNAL.into(), message: e.to_string() })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(FixError::Journal { path: JOURNAL.into(), message: e.to_string() }),
    }
}

fn write_journal(host: &HostRoot, journal: &[ChangeSet]) -> Result<(), FixError> {
    let path = host.join(JOURNAL);
    let err = |e: std::io::Error| FixError::Write { path: JOURNAL.into(), source: e };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let text = serde_json::to_string_pretty(journal).unwrap_or_else(|_| "[]".into());
    if path.exists() {
        replace_atomically(&path, text.as_bytes()).map_err(err)
    } else {
        std::fs::write(&path, text).map_err(err)
    }
}
