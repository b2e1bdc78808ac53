//! Running node binaries (`crun --version`, …): never through a shell, always with a timeout.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What running a binary produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    #[error("`{0}` did not finish within {1:?} and was killed")]
    Timeout(String, Duration),
    #[error("`{0}` could not be started: {1}")]
    Spawn(String, String),
    #[error("`{0}` was killed by signal {1}")]
    Signal(String, i32),
}

/// Output is capped so that a binary printing forever cannot exhaust memory.
const MAX_OUTPUT: u64 = 64 * 1024;

/// What happens to processes a command leaves behind in its process group when it exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leftovers {
    /// Killed (a `--version` has no business leaving anything running).
    Kill,
    /// Left running: a restart command may start the daemon itself, as an init script does. Their
    /// hold on our pipes is not waited for beyond a moment.
    Keep,
}

/// Run `program args…` with a timeout. The child gets its own process group, so a hung
/// wrapper script and everything it started are killed together.
pub fn run(program: &Path, args: &[&str], timeout: Duration) -> Result<Output, ExecError> {
    run_with(program, args, timeout, Leftovers::Kill)
}

/// `run`, choosing what happens to what the command leaves behind once it exited on its own.
pub fn run_with(program: &Path, args: &[&str], timeout: Duration, leftovers: Leftovers) -> Result<Output, ExecError> {
    let shown = format!("{} {}", program.display(), args.join(" "));
    let shown = shown.trim_end().to_string();
    let mut child = spawn(program, args).map_err(|e| ExecError::Spawn(shown.clone(), describe_spawn_error(&e)))?;
    let readers =
        [child.stdout.take().map(|s| read_capped(Box::new(s))), child.stderr.take().map(|s| read_capped(Box::new(s)))];
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_micros(200);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => break None,
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(10));
            }
            Err(e) => return Err(ExecError::Spawn(shown, e.to_string())),
        }
    };
    let Some(status) = status else {
        kill_group(child.id());
        let _ = child.wait();
        return Err(ExecError::Timeout(shown, timeout));
    };
    // The direct child has exited; anything it left behind in its group must not hold our pipes.
    let wait = match leftovers {
        Leftovers::Kill => {
            kill_group(child.id());
            Duration::from_secs(5)
        }
        Leftovers::Keep => Duration::from_secs(1),
    };
    let [out, err] = readers.map(|r| r.and_then(|rx| rx.recv_timeout(wait).ok()).unwrap_or_default());
    use std::os::unix::process::ExitStatusExt;
    if let Some(sig) = status.signal() {
        return Err(ExecError::Signal(shown, sig));
    }
    Ok(Output { stdout: out, stderr: err, code: status.code() })
}

/// Spawn in a new process group. `ETXTBSY` (a file just written, whose write descriptor another
/// thread's fork still holds for a moment) is retried briefly.
fn spawn(program: &Path, args: &[&str]) -> std::io::Result<std::process::Child> {
    let mut attempt = 0;
    loop {
        let result = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("LC_ALL", "C")
            .process_group(0)
            .spawn();
        match result {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && attempt < 20 => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
            r => return r,
        }
    }
}

/// Read a pipe to its end (or the cap) on a thread; the text arrives on the channel.
fn read_capped(stream: Box<dyn Read + Send>) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stream.take(MAX_OUTPUT).read_to_end(&mut buf);
        let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
    });
    rx
}

fn kill_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill(2) with a negative pid signals the process group we created for this child.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

fn describe_spawn_error(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::ENOEXEC) => "exec format error (a binary for another CPU architecture?)".into(),
        Some(libc::EACCES) => "permission denied (not executable?)".into(),
        Some(libc::ENOENT) => "no such file (or its interpreter is missing)".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    #[test]
    fn captures_output_and_code() {
        let d = tempfile::tempdir().unwrap();
        let p = script(d.path(), "v", "echo out; echo err >&2; exit 3");
        let o = run(&p, &[], Duration::from_secs(5)).unwrap();
        assert_eq!(o.stdout, "out\n");
        assert_eq!(o.stderr, "err\n");
        assert_eq!(o.code, Some(3));
    }

    #[test]
    fn hung_script_and_its_children_are_killed() {
        let d = tempfile::tempdir().unwrap();
        let p = script(d.path(), "hang", "sleep 30 & sleep 30");
        let start = Instant::now();
        let e = run(&p, &["--version"], Duration::from_millis(200)).unwrap_err();
        assert!(matches!(e, ExecError::Timeout(..)), "{e}");
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_daemon_started_by_a_restart_command_keeps_running() {
        let d = tempfile::tempdir().unwrap();
        let pidfile = d.path().join("pid");
        let p = script(d.path(), "restart", &format!("sleep 30 & echo $! > {}; echo started", pidfile.display()));
        let o = run_with(&p, &[], Duration::from_secs(5), Leftovers::Keep).unwrap();
        assert_eq!(o.code, Some(0));
        let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
        // SAFETY: probing, then stopping, the sleep this test started.
        unsafe {
            assert_eq!(libc::kill(pid, 0), 0, "the daemon was killed with the command's group");
            libc::kill(pid, libc::SIGKILL);
        }
        let o = run(&p, &[], Duration::from_secs(5)).unwrap();
        assert_eq!(o.stdout, "started\n");
    }

    #[test]
    fn crash_is_reported() {
        let d = tempfile::tempdir().unwrap();
        let p = script(d.path(), "crash", "kill -SEGV $$");
        let e = run(&p, &[], Duration::from_secs(5)).unwrap_err();
        assert_eq!(e, ExecError::Signal(p.display().to_string(), libc::SIGSEGV));
    }

    #[test]
    fn foreign_binary_is_a_spawn_error() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("foreign");
        let mut elf = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
        elf.resize(64, 0);
        std::fs::write(&p, elf).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        let e = run(&p, &[], Duration::from_secs(5)).unwrap_err();
        assert!(matches!(e, ExecError::Spawn(..)), "{e}");
    }
}
