//! Applying a plan's file edits, and undoing them, without losing anyone's edit:
//! - every file is compared with the plan's `before`, and every directory must be writable, before
//!   anything is written;
//! - the original and what the fix writes are kept as content-addressed copies under
//!   `/var/lib/wasmdoctor/`, and the change set is journaled **before** the first file is replaced;
//! - each file is replaced atomically with its owner and mode kept; a failure midway puts back what
//!   was already replaced (or, when it cannot, leaves the journal entry for `undo`), and says which;
//! - `undo` and a rollback restore a file only while it still holds exactly what the fix wrote:
//!   someone's later edit is refused with a diff, unless forced.
//!
//! Every path is resolved inside the host root.

use std::time::SystemTime;

use super::FixError;
use super::journal::{self, ChangeSet, Changed};
use crate::collect::host::{HostRoot, READ_CAP};
use crate::plan::{FileEdit, Plan, STATE_DIR};

/// Apply the plan's edits (the caller holds the lock); the change set as journaled.
pub fn apply(plan: &Plan, host: &HostRoot, now: SystemTime) -> Result<ChangeSet, FixError> {
    let edits: Vec<&FileEdit> = plan.edits.iter().filter(|e| e.changes()).collect();
    let mut owners = Vec::new();
    for e in &edits {
        owners.push(check_as_planned(host, e)?);
        writable(host, parent(&e.path))?;
    }
    if !edits.is_empty() {
        writable(host, STATE_DIR)?;
    }
    let set = ChangeSet {
        check: plan.id.clone(),
        at: crate::rules::time::rfc3339(now),
        files: edits
            .iter()
            .map(|e| Changed { path: e.path.clone(), backup: e.backup(), written: Some(e.written()) })
            .collect(),
        objects: Vec::new(),
    };
    if edits.is_empty() {
        return Ok(set);
    }
    // The copies first, then the journal entry: from here on, `undo` knows everything it needs.
    let mut stored = Vec::new();
    let copies = edits.iter().zip(&owners).try_for_each(|(e, meta)| {
        let mode = meta.map(|(mode, _)| mode).unwrap_or(0o600);
        let copies = e.backup().map(|b| (b, &e.before)).into_iter().chain([(e.written(), &e.after)]);
        for (path, bytes) in copies {
            match journal::store(host, &path, bytes.as_bytes(), mode) {
                Ok(true) => stored.push(path),
                Ok(false) => {}
                Err(e) => return Err(FixError::JournalWrite { path, message: e.to_string() }),
            }
        }
        Ok(())
    });
    let recorded = copies.and_then(|()| {
        let mut entries = journal::read(host)?;
        entries.push(set.clone());
        journal::write(host, &entries)
    });
    if let Err(e) = recorded {
        for s in &stored {
            let _ = host.remove_file(s);
        }
        return Err(e);
    }
    for (i, (e, meta)) in edits.iter().zip(&owners).enumerate() {
        let (mode, owner) = match meta {
            Some((mode, owner)) => (*mode, Some(*owner)),
            None => (0o644, None),
        };
        if let Err(source) = write_edit(host, e, mode, owner) {
            // Put back the files this set already replaced; the journal entry goes only when they are.
            let done = ChangeSet { files: set.files[..i].to_vec(), ..set.clone() };
            return Err(match restore(host, &done, false).and_then(|()| forget(host, &set)) {
                Ok(()) => FixError::Write { path: e.path.clone(), source },
                Err(undone) => FixError::Incomplete { path: e.path.clone(), source, detail: undone.to_string() },
            });
        }
    }
    Ok(set)
}

/// Replace a file (through any links, to the file they lead to inside the root), or create it and
/// its missing directories.
fn write_edit(host: &HostRoot, e: &FileEdit, mode: u32, owner: Option<(u32, u32)>) -> std::io::Result<()> {
    if e.exists {
        let target = host.canonical(&e.path)?;
        return journal::replace(host, &target, e.after.as_bytes(), mode, owner);
    }
    host.create_dir_all(parent(&e.path), 0o755)?;
    journal::replace(host, &e.path, e.after.as_bytes(), mode, owner)
}

/// A file's mode and (uid, gid), kept when it is replaced.
type Ownership = (u32, (u32, u32));

/// Reverts API objects (`force`: even those changed since); why not, when it cannot.
pub type RevertObjects<'a> = &'a dyn Fn(&[journal::AppliedObject], bool) -> Result<(), FixError>;

/// The file is as the plan read it (or, to be created, still absent); its mode and owner.
fn check_as_planned(host: &HostRoot, e: &FileEdit) -> Result<Option<Ownership>, FixError> {
    if !e.exists {
        return match host.symlink_meta(&e.path) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            _ => Err(FixError::ChangedSincePlan { path: e.path.clone() }),
        };
    }
    let read = |source| FixError::Read { path: e.path.clone(), source };
    let current = host.read(&e.path, READ_CAP).map_err(read)?;
    if current != e.before.as_bytes() {
        return Err(FixError::ChangedSincePlan { path: e.path.clone() });
    }
    let meta = host.meta(&e.path).map_err(read)?;
    Ok(Some((meta.mode, (meta.uid, meta.gid))))
}

fn parent(node_path: &str) -> &str {
    match node_path.rsplit_once('/') {
        Some(("", _)) | None => "/",
        Some((dir, _)) => dir,
    }
}

/// Whether a file can be created in `dir` (or the nearest existing ancestor): a read-only file
/// system or missing permissions are refused before anything is written.
fn writable(host: &HostRoot, dir: &str) -> Result<(), FixError> {
    let mut at = dir.to_string();
    while !host.is_dir(&at) && at != "/" {
        at = parent(&at).to_string();
    }
    let probe = format!("{}/.wasmdoctor-probe-{}", at.trim_end_matches('/'), std::process::id());
    match host.create_new(&probe) {
        Ok(_) => {
            let _ = host.remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(FixError::NotWritable { dir: dir.to_string(), reason: e.to_string() }),
    }
}

/// What a file holds now, against what a change set wrote to it.
enum Found {
    /// Exactly what the fix wrote: it can be put back.
    Written,
    /// Already the original (or, for a created file, gone): nothing to do.
    Original,
    /// Something else: a later edit, shown as a diff from what the fix wrote.
    Changed(String),
}

fn found(host: &HostRoot, c: &Changed) -> Result<Found, FixError> {
    let read_copy = |p: &str| host.read_to_string(p).map_err(|source| FixError::Read { path: p.to_string(), source });
    let now = match host.read(&c.path, READ_CAP) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => return Err(FixError::Read { path: c.path.clone(), source }),
    };
    let written = match &c.written {
        Some(w) => Some(read_copy(w)?),
        None => None,
    };
    let original = match &c.backup {
        Some(b) => Some(read_copy(b)?),
        None => None,
    };
    Ok(match (&now, &written) {
        (Some(n), Some(w)) if n == w.as_bytes() => Found::Written,
        // A journal from before copies of the written bytes were kept: trust it as it was.
        (Some(_), None) => Found::Written,
        (None, _) if original.is_none() => Found::Original,
        (Some(n), _) if original.as_ref().is_some_and(|o| n == o.as_bytes()) => Found::Original,
        _ => {
            let Some(now) = now else {
                return Ok(Found::Changed(format!("`{}` no longer exists", c.path)));
            };
            let now_text = String::from_utf8_lossy(&now).into_owned();
            let wrote = written.unwrap_or_default();
            let diff = similar::udiff::unified_diff(
                similar::Algorithm::Myers,
                &wrote,
                &now_text,
                3,
                Some((&format!("{} (as wasmdoctor wrote it)", c.path), &format!("{} (now)", c.path))),
            );
            Found::Changed(diff)
        }
    })
}

/// Put the files of a change set back (newest first): backups restored byte for byte, created files
/// removed. A file changed since the fix is refused, with the diff, unless `force`; then nothing at
/// all is written.
pub fn restore(host: &HostRoot, set: &ChangeSet, force: bool) -> Result<(), FixError> {
    let mut todo = Vec::new();
    for c in set.files.iter().rev() {
        match found(host, c)? {
            Found::Original => {}
            Found::Written => todo.push(c),
            Found::Changed(_) if force => todo.push(c),
            Found::Changed(diff) => return Err(FixError::ChangedSinceFix { path: c.path.clone(), diff }),
        }
    }
    for c in todo {
        let write = |source| FixError::Write { path: c.path.clone(), source };
        match &c.backup {
            Some(backup) => {
                let bytes =
                    host.read(backup, READ_CAP).map_err(|source| FixError::Read { path: backup.clone(), source })?;
                let meta = host.meta(&c.path).ok();
                let mode = meta.map(|m| m.mode).unwrap_or(0o644);
                let owner = meta.map(|m| (m.uid, m.gid));
                // Through any links, as the fix wrote it.
                let target = host.canonical(&c.path).unwrap_or_else(|_| c.path.clone());
                journal::replace(host, &target, &bytes, mode, owner).map_err(write)?;
            }
            None => match host.remove_file(&c.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(write(e)),
                _ => {}
            },
        }
    }
    Ok(())
}

/// Take a change set out of the journal (rolled back, or undone).
pub fn forget(host: &HostRoot, set: &ChangeSet) -> Result<(), FixError> {
    let mut entries = journal::read(host)?;
    if let Some(i) = entries.iter().rposition(|s| s == set) {
        entries.remove(i);
        journal::write(host, &entries)?;
    }
    Ok(())
}

/// Journal a change set of API objects (files are journaled by `apply`).
pub fn journal_objects(host: &HostRoot, set: ChangeSet) -> Result<(), FixError> {
    let mut entries = journal::read(host)?;
    entries.push(set);
    journal::write(host, &entries)
}

/// Undo the last change set: API objects reverted by `revert_objects` (which refuses objects
/// changed since, unless forced), files restored as `restore` does. The set leaves the journal only
/// when everything was undone.
pub fn undo(host: &HostRoot, force: bool, revert_objects: RevertObjects) -> Result<ChangeSet, FixError> {
    let entries = journal::read(host)?;
    let Some(last) = entries.last().cloned() else {
        return Err(FixError::NothingToUndo(journal::JOURNAL.into()));
    };
    // Refuse before changing anything: a file edited since the fix stops the whole undo.
    if !force {
        for c in &last.files {
            if let Found::Changed(diff) = found(host, c)? {
                return Err(FixError::ChangedSinceFix { path: c.path.clone(), diff });
            }
        }
    }
    if !last.objects.is_empty() {
        revert_objects(&last.objects, force)?;
    }
    restore(host, &last, force)?;
    forget(host, &last)?;
    Ok(last)
}
