//! Files the user names on this machine (the policy file, a facts file, kubeconfigs), read as node
//! files are: regular files only, up to a cap. A FIFO or `/dev/zero` given by mistake is refused
//! with what it is, never waited on or read without end.

use std::fs::OpenOptions;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::host::{FileKind, READ_CAP, into_text, meta_of, not_a_file, read_capped};

/// The bytes of the regular file at `path`, at most `cap` of them.
pub fn read(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    // Non-blocking, so that opening a FIFO does not wait for a writer before it can be refused.
    let file = OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)?;
    let kind = meta_of(file.as_fd())?.kind;
    if kind != FileKind::File {
        return Err(not_a_file(kind));
    }
    read_capped(file, cap)
}

/// The regular file at `path` as UTF-8 text, at most `READ_CAP` bytes.
pub fn read_to_string(path: &Path) -> io::Result<String> {
    into_text(read(path, READ_CAP)?)
}

/// Refuse, before another library reads it, a `path` that exists and is not a regular file of at
/// most `READ_CAP` bytes. A missing file is left to that library to report.
pub fn check_readable(path: &Path) -> io::Result<()> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(_) => read(path, READ_CAP).map(drop),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_up_to_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        assert_eq!(read(&fifo, 10).unwrap_err().to_string(), "it is a FIFO, not a regular file");
        assert_eq!(
            read(Path::new("/dev/zero"), 10).unwrap_err().to_string(),
            "it is a character device, not a regular file"
        );
        assert!(read(dir.path(), 10).unwrap_err().to_string().contains("a directory"));
        let big = dir.path().join("big");
        std::fs::write(&big, [b'x'; 11]).unwrap();
        assert!(read(&big, 10).unwrap_err().to_string().contains("larger than"));
        assert_eq!(read(&big, 11).unwrap().len(), 11);
        assert!(check_readable(&dir.path().join("missing")).is_ok());
        assert!(check_readable(&fifo).is_err());
    }
}
