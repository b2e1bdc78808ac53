//! Applying a plan: each file is compared with the plan's `before`, backed up beside itself
//! (`<file>.wasmdoctor-<UTC>.bak`), replaced atomically (a temp file in the same directory, then
//! rename) with its owner and mode kept, and the change set is journaled under
//! `<host-root>/var/lib/wasmdoctor/` so `undo` can restore it.

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::FixError;
use crate::collect::host::HostRoot;
use crate::plan::Plan;

pub const JOURNAL: &str = "/var/lib/wasmdoctor/journal.json";

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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changed {
    /// Node paths.
    pub path: String,
    /// `None` when the fix created the file (undo removes it).
    #[serde(default)]
    pub backup: Option<String>,
}

/// Apply the plan's edits; nothing is written unless every file is still as planned and every
/// directory can be written.
pub fn apply(plan: &Plan, host: &HostRoot, now: SystemTime) -> Result<ChangeSet, FixError> {
    let stamp = crate::rules::time::rfc3339(now).replace([':', '-'], "");
    let edits: Vec<_> = plan.edits.iter().filter(|e| e.changes()).collect();
    let mut targets = Vec::new();
    for e in &edits {
        let on_disk = if e.exists { inside_root(host, &e.path)? } else { new_inside_root(host, &e.path)? };
        if e.exists {
            let current =
                std::fs::read_to_string(&on_disk).map_err(|source| FixError::Read { path: e.path.clone(), source })?;
            if current != e.before {
                return Err(FixError::ChangedSincePlan { path: e.path.clone() });
            }
        } else if std::fs::symlink_metadata(&on_disk).is_ok() {
            return Err(FixError::ChangedSincePlan { path: e.path.clone() });
        }
        writable(&on_disk, &e.path)?;
        targets.push(on_disk);
    }
    let mut set = ChangeSet {
        check: plan.id.clone(),
        at: crate::rules::time::rfc3339(now),
        files: Vec::new(),
        objects: Vec::new(),
    };
    for (e, on_disk) in edits.into_iter().zip(targets) {
        let result = if e.exists {
            backup_of(host, &on_disk, &e.path, &stamp).and_then(|backup| {
                replace_atomically(&on_disk, e.after.as_bytes())
                    .map_err(|source| FixError::Write { path: e.path.clone(), source })
                    .map(|()| Some(backup))
            })
        } else {
            create_atomically(&on_disk, e.after.as_bytes())
                .map_err(|source| FixError::Write { path: e.path.clone(), source })
                .map(|()| None)
        };
        match result {
            Ok(backup) => set.files.push(Changed { path: e.path.clone(), backup }),
            Err(err) => {
                // Files already replaced in this set go back, so a failure midway changes nothing.
                let _ = restore(host, &set);
                return Err(err);
            }
        }
    }
    if !set.files.is_empty() {
        let mut journal = read_journal(host)?;
        journal.push(set.clone());
        write_journal(host, &journal)?;
    }
    Ok(set)
}

/// Copy the file to `<file>.wasmdoctor-<stamp>.bak` (`-2`, `-3`, … when two changes fall in the same
/// second), never over an existing file; returns the backup's node path.
fn backup_of(host: &HostRoot, on_disk: &Path, node_path: &str, stamp: &str) -> Result<String, FixError> {
    let mut n = 1;
    loop {
        let backup = match n {
            1 => format!("{node_path}.wasmdoctor-{stamp}.bak"),
            n => format!("{node_path}.wasmdoctor-{stamp}-{n}.bak"),
        };
        let opened = std::fs::OpenOptions::new().write(true).create_new(true).open(host.join(&backup));
        match opened {
            Ok(mut out) => {
                // The backup gets the original's mode: a config may hold registry credentials.
                let copied = std::fs::File::open(on_disk)
                    .and_then(|mut src| std::io::copy(&mut src, &mut out))
                    .and_then(|_| std::fs::metadata(on_disk))
                    .and_then(|m| out.set_permissions(m.permissions()))
                    .and_then(|()| out.sync_all());
                return match copied {
                    Ok(()) => Ok(backup),
                    Err(source) => {
                        let _ = std::fs::remove_file(host.join(&backup));
                        Err(FixError::Write { path: backup, source })
                    }
                };
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(source) => return Err(FixError::Write { path: backup, source }),
        }
    }
}

/// Put the files of a change set back: backups restored byte for byte, created files removed.
pub fn restore(host: &HostRoot, set: &ChangeSet) -> Result<(), FixError> {
    for c in set.files.iter().rev() {
        let on_disk = inside_root(host, &c.path)?;
        match &c.backup {
            Some(backup) => {
                let bytes = std::fs::read(host.join(backup))
                    .map_err(|source| FixError::Read { path: backup.clone(), source })?;
                replace_atomically(&on_disk, &bytes)
                    .map_err(|source| FixError::Write { path: c.path.clone(), source })?;
            }
            None => {
                std::fs::remove_file(&on_disk).map_err(|source| FixError::Write { path: c.path.clone(), source })?
            }
        }
    }
    Ok(())
}

/// Take a change set that was rolled back out of the journal (it is not there to undo any more).
pub fn forget(host: &HostRoot, set: &ChangeSet) -> Result<(), FixError> {
    let mut journal = read_journal(host)?;
    if let Some(i) = journal.iter().rposition(|s| s == set) {
        journal.remove(i);
        write_journal(host, &journal)?;
    }
    Ok(())
}

/// Journal a change set of API objects (files are journaled by `apply`).
pub fn journal_objects(host: &HostRoot, set: ChangeSet) -> Result<(), FixError> {
    let mut journal = read_journal(host)?;
    journal.push(set);
    write_journal(host, &journal)
}

/// Undo the last change set: files restored from their backups byte for byte, API objects
/// reverted by `revert_objects` (which returns why it could not, if it could not). The set leaves
/// the journal only when everything was undone.
pub fn undo(
    host: &HostRoot,
    revert_objects: &dyn Fn(&[AppliedObject]) -> Result<(), String>,
) -> Result<ChangeSet, FixError> {
    let mut journal = read_journal(host)?;
    let Some(last) = journal.pop() else {
        return Err(FixError::NothingToUndo(JOURNAL.into()));
    };
    if !last.objects.is_empty() {
        revert_objects(&last.objects).map_err(|message| FixError::Revert { message })?;
    }
    restore(host, &last)?;
    write_journal(host, &journal)?;
    Ok(last)
}

/// Whether a file can be written in `path`'s directory (a read-only file system, permissions),
/// tried before anything is written.
fn writable(path: &Path, node_path: &str) -> Result<(), FixError> {
    let mut dir = path.parent().unwrap_or(Path::new("/"));
    while !dir.exists() {
        dir = dir.parent().unwrap_or(Path::new("/"));
    }
    let probe = dir.join(format!(".wasmdoctor-probe-{}", std::process::id()));
    let refused = |e: std::io::Error| FixError::NotWritable {
        dir: node_path.rsplit_once('/').map(|(d, _)| if d.is_empty() { "/" } else { d }).unwrap_or("/").to_string(),
        reason: e.to_string(),
    };
    std::fs::OpenOptions::new().write(true).create_new(true).open(&probe).map_err(refused)?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Where a file that does not exist yet goes: its nearest existing ancestor must be inside the root.
fn new_inside_root(host: &HostRoot, node_path: &str) -> Result<PathBuf, FixError> {
    let joined = host.join(node_path);
    let root = std::fs::canonicalize(host.root()).map_err(|source| FixError::Read { path: "/".into(), source })?;
    let mut ancestor = joined.parent();
    while let Some(a) = ancestor {
        if let Ok(real) = std::fs::canonicalize(a) {
            if !real.starts_with(&root) {
                return Err(FixError::OutsideRoot { path: node_path.into(), target: real.display().to_string() });
            }
            let rest = joined.strip_prefix(a).unwrap_or(Path::new(""));
            return Ok(real.join(rest));
        }
        ancestor = a.parent();
    }
    Ok(joined)
}

/// Create `path` (and missing parent directories) through a temp file and rename; mode 0644.
fn create_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new("/")))?;
    write_atomically(path, bytes, None)
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

/// Replace `path` through a temp file and rename, keeping its mode and owner.
fn replace_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let meta = std::fs::metadata(path)?;
    write_atomically(path, bytes, Some(&meta))
}

/// Write a temp file beside `path`, flush it, give it `like`'s mode and owner (else 0644), and
/// rename it over `path`; the temp file is removed on failure.
fn write_atomically(path: &Path, bytes: &[u8], like: Option<&std::fs::Metadata>) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.wasmdoctor-tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        match like {
            Some(meta) => {
                std::fs::set_permissions(&tmp, meta.permissions())?;
                std::os::unix::fs::chown(&tmp, Some(meta.uid()), Some(meta.gid()))?;
            }
            None => std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644))?,
        }
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
