//! Running node binaries (`crun --version`, …): never through a shell, always with a timeout, and
//! only the file resolved inside the host root (run through its descriptor). The child gets a
//! process group of its own; when it is done (or out of time) that group and anything else still
//! holding our pipes (a daemon that made a session of its own) are killed, so the wait is bounded by
//! the timeout, not by what the binary left behind.

use std::ffi::{CString, OsString};
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::host::NodeBinary;

/// What to run: a node binary (resolved inside the host root), or a program of this machine (a
/// restart command from the policy file).
#[derive(Clone, Copy)]
pub enum Program<'a> {
    Node(&'a NodeBinary),
    /// A node binary of the running machine seen through another root (a DaemonSet pod's `/host`),
    /// run with that root as its `/` (chroot): its dynamic loader, its libraries, its `#!`
    /// interpreter and the files it reads are the node's, not the container's.
    InRoot(&'a NodeBinary, &'a OwnedFd),
    Local(&'a Path),
}

impl Program<'_> {
    fn shown(&self) -> String {
        match self {
            Program::Node(b) | Program::InRoot(b, _) => b.node_path.clone(),
            Program::Local(p) => p.display().to_string(),
        }
    }
}

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

/// Run `program args…` with a timeout; everything it starts is killed when it is done.
pub fn run(program: Program, args: &[&str], timeout: Duration) -> Result<Output, ExecError> {
    run_with(program, args, timeout, Leftovers::Kill)
}

/// `run`, choosing what happens to what the command leaves behind once it exited on its own.
pub fn run_with(program: Program, args: &[&str], timeout: Duration, leftovers: Leftovers) -> Result<Output, ExecError> {
    run_env(program, args, &[], timeout, leftovers)
}

/// `run_with`, with these environment variables added.
pub fn run_env(
    program: Program,
    args: &[&str],
    env: &[(String, String)],
    timeout: Duration,
    leftovers: Leftovers,
) -> Result<Output, ExecError> {
    let shown = format!("{} {}", program.shown(), args.join(" "));
    let shown = shown.trim_end().to_string();
    let mut child = spawn(program, args, env).map_err(|e| ExecError::Spawn(shown.clone(), describe_spawn_error(&e)))?;
    let pipes: Vec<u64> = [child.stdout.as_ref().map(pipe_inode), child.stderr.as_ref().map(pipe_inode)]
        .into_iter()
        .flatten()
        .flatten()
        .collect();
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
        kill_all(child.id(), &pipes);
        let _ = child.wait();
        return Err(ExecError::Timeout(shown, timeout));
    };
    // The direct child has exited; anything it left behind must not hold our pipes past the
    // deadline (and, for a `--version`, must not live on).
    if leftovers == Leftovers::Kill {
        kill_group(child.id());
    }
    let grace = match leftovers {
        Leftovers::Kill => Duration::from_millis(100),
        Leftovers::Keep => Duration::from_secs(1),
    };
    let until = (Instant::now() + grace).min(deadline.max(Instant::now()));
    let mut outputs = readers.map(|r| r.map(|rx| (rx, None::<String>)));
    collect_outputs(&mut outputs, until);
    if leftovers == Leftovers::Kill && outputs.iter().flatten().any(|(_, text)| text.is_none()) {
        // Something outside the group still holds a pipe: a daemon that made a session of its own.
        kill_all(child.id(), &pipes);
        collect_outputs(&mut outputs, Instant::now() + Duration::from_millis(500));
    }
    let [out, err] = outputs.map(|o| o.and_then(|(_, text)| text).unwrap_or_default());
    use std::os::unix::process::ExitStatusExt;
    if let Some(sig) = status.signal() {
        return Err(ExecError::Signal(shown, sig));
    }
    Ok(Output { stdout: out, stderr: err, code: status.code() })
}

/// Wait for each reader's text until `until`.
fn collect_outputs(outputs: &mut [Option<(std::sync::mpsc::Receiver<String>, Option<String>)>; 2], until: Instant) {
    for (rx, text) in outputs.iter_mut().flatten() {
        if text.is_none() {
            *text = rx.recv_timeout(until.saturating_duration_since(Instant::now())).ok();
        }
    }
}

/// Spawn in a process group of its own. A node binary runs through the descriptor it was resolved
/// to (`/proc/self/fd/N`, a duplicate left open across the exec so that a script's interpreter can
/// read it), with its node path as `argv[0]`. No `pre_exec` hook: the standard library then spawns
/// with `posix_spawn`, which never retries a file the kernel refused (`ENOEXEC`) through `/bin/sh`
/// as `execvp` would. `ETXTBSY` (a file just written, whose write descriptor another thread's fork
/// still holds for a moment) is retried briefly.
fn spawn(program: Program, args: &[&str], env: &[(String, String)]) -> std::io::Result<std::process::Child> {
    let mut attempt = 0;
    loop {
        // Open (without close-on-exec) only for the moment of the spawn.
        let (mut cmd, _inherited) = match program {
            Program::Node(b) => {
                let fd = rustix::io::dup(&b.fd)?;
                let mut cmd = Command::new(format!("/proc/self/fd/{}", fd.as_raw_fd()));
                cmd.arg0(&b.node_path);
                (cmd, Some(fd))
            }
            Program::InRoot(b, root) => in_root(b, root, args, env)?,
            Program::Local(path) => (Command::new(path), None),
        };
        let result = cmd
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("LC_ALL", "C")
            .envs(env.iter().map(|(k, v)| (k, v)))
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

/// The child (after std set up its pipes and process group) changes its root to the host root and
/// runs the resolved binary with `fexecve`, which (unlike `execvp`) never retries a file the kernel
/// refused through `/bin/sh`. Everything it needs is allocated before the fork.
fn in_root(
    b: &NodeBinary,
    root: &OwnedFd,
    args: &[&str],
    env: &[(String, String)],
) -> std::io::Result<(Command, Option<OwnedFd>)> {
    let fd = rustix::io::dup(&b.fd)?;
    let root = rustix::io::dup(root)?;
    let cstr = |bytes: Vec<u8>| CString::new(bytes).map_err(|_| std::io::Error::other("a NUL byte in an argument"));
    let argv = std::iter::once(b.node_path.as_bytes().to_vec())
        .chain(args.iter().map(|a| a.as_bytes().to_vec()))
        .map(cstr)
        .collect::<std::io::Result<Vec<_>>>()?;
    let ours: Vec<&str> = std::iter::once("LC_ALL").chain(env.iter().map(|(k, _)| k.as_str())).collect();
    let envp = std::env::vars_os()
        .filter(|(k, _)| !ours.iter().any(|o| k == *o))
        .map(|(k, v)| {
            let mut kv: OsString = k;
            kv.push("=");
            kv.push(v);
            kv.into_vec()
        })
        .chain(std::iter::once(b"LC_ALL=C".to_vec()))
        .chain(env.iter().map(|(k, v)| format!("{k}={v}").into_bytes()))
        .map(cstr)
        .collect::<std::io::Result<Vec<_>>>()?;
    let exec = ExecInRoot::new(fd, root, argv, envp);
    // Never run: the hook replaces the process before std's own exec.
    let mut cmd = Command::new("/nonexistent/wasmdoctor-in-root");
    // SAFETY: the hook makes only async-signal-safe system calls (fchdir, chroot, chdir, fexecve)
    // on memory allocated before the fork.
    unsafe {
        cmd.pre_exec(move || exec.run());
    }
    Ok((cmd, None))
}

/// What the child needs to change root and exec, allocated before the fork.
struct ExecInRoot {
    fd: OwnedFd,
    root: OwnedFd,
    _strings: Vec<CString>,
    argv: Vec<*const libc::c_char>,
    envp: Vec<*const libc::c_char>,
}

// SAFETY: the pointers point into `_strings`, owned by the same value and never changed.
unsafe impl Send for ExecInRoot {}
// SAFETY: as above; `run` only reads.
unsafe impl Sync for ExecInRoot {}

impl ExecInRoot {
    fn new(fd: OwnedFd, root: OwnedFd, argv: Vec<CString>, envp: Vec<CString>) -> ExecInRoot {
        let ptrs = |v: &[CString]| v.iter().map(|c| c.as_ptr()).chain(std::iter::once(std::ptr::null())).collect();
        let (a, e): (Vec<_>, Vec<_>) = (ptrs(&argv), ptrs(&envp));
        let mut strings = argv;
        strings.extend(envp);
        ExecInRoot { fd, root, _strings: strings, argv: a, envp: e }
    }

    fn run(&self) -> std::io::Result<()> {
        let last = std::io::Error::last_os_error;
        // SAFETY: plain system calls on descriptors this value owns and NUL-terminated arrays of
        // pointers into strings it owns.
        unsafe {
            if libc::fchdir(self.root.as_raw_fd()) != 0 || libc::chroot(c".".as_ptr()) != 0 {
                return Err(last());
            }
            if libc::chdir(c"/".as_ptr()) != 0 {
                return Err(last());
            }
            libc::fexecve(self.fd.as_raw_fd(), self.argv.as_ptr(), self.envp.as_ptr());
        }
        Err(last())
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

/// The inode of a pipe we read from: whoever else holds this pipe holds our output open.
fn pipe_inode<F: std::os::fd::AsFd>(fd: &F) -> Option<u64> {
    rustix::fs::fstat(fd).ok().map(|st| st.st_ino)
}

/// Kill the child's process group, and every other process still holding one of our pipes (a
/// daemon it left that made a session of its own).
fn kill_all(pid: u32, pipes: &[u64]) {
    kill_group(pid);
    let me = std::process::id();
    let Ok(procs) = std::fs::read_dir("/proc") else { return };
    let wanted: Vec<String> = pipes.iter().map(|i| format!("pipe:[{i}]")).collect();
    for entry in procs.filter_map(Result::ok) {
        let Some(other) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let holds_pipe = || {
            std::fs::read_dir(entry.path().join("fd")).into_iter().flatten().filter_map(Result::ok).any(|fd| {
                std::fs::read_link(fd.path()).is_ok_and(|t| wanted.iter().any(|w| t.as_os_str() == w.as_str()))
            })
        };
        if other != me
            && holds_pipe()
            && let Some(p) = rustix::process::Pid::from_raw(other as i32)
        {
            let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
        }
    }
}

fn kill_group(pid: u32) {
    if let Some(p) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) {
        let _ = rustix::process::kill_process_group(p, rustix::process::Signal::KILL);
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
        let o = run(Program::Local(&p), &[], Duration::from_secs(5)).unwrap();
        assert_eq!(o.stdout, "out\n");
        assert_eq!(o.stderr, "err\n");
        assert_eq!(o.code, Some(3));
    }

    #[test]
    fn hung_script_and_its_children_are_killed() {
        let d = tempfile::tempdir().unwrap();
        let p = script(d.path(), "hang", "sleep 30 & sleep 30");
        let start = Instant::now();
        let e = run(Program::Local(&p), &["--version"], Duration::from_millis(200)).unwrap_err();
        assert!(matches!(e, ExecError::Timeout(..)), "{e}");
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_daemon_started_by_a_restart_command_keeps_running() {
        let d = tempfile::tempdir().unwrap();
        let pidfile = d.path().join("pid");
        let p = script(d.path(), "restart", &format!("sleep 30 & echo $! > {}; echo started", pidfile.display()));
        let o = run_with(Program::Local(&p), &[], Duration::from_secs(5), Leftovers::Keep).unwrap();
        assert_eq!(o.code, Some(0));
        let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
        // SAFETY: probing, then stopping, the sleep this test started.
        unsafe {
            assert_eq!(libc::kill(pid, 0), 0, "the daemon was killed with the command's group");
            libc::kill(pid, libc::SIGKILL);
        }
        let o = run(Program::Local(&p), &[], Duration::from_secs(5)).unwrap();
        assert_eq!(o.stdout, "started\n");
    }

    #[test]
    fn crash_is_reported() {
        let d = tempfile::tempdir().unwrap();
        let p = script(d.path(), "crash", "kill -SEGV $$");
        let e = run(Program::Local(&p), &[], Duration::from_secs(5)).unwrap_err();
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
        let e = run(Program::Local(&p), &[], Duration::from_secs(5)).unwrap_err();
        assert!(matches!(e, ExecError::Spawn(..)), "{e}");
    }

    /// A `--version` that leaves a daemon of its own session holding stdout: the answer comes in
    /// time, and the daemon does not outlive the call.
    #[test]
    fn a_daemon_holding_our_pipe_is_killed_and_does_not_hold_the_answer() {
        let d = tempfile::tempdir().unwrap();
        let pidfile = d.path().join("daemon.pid");
        let p = script(
            d.path(),
            "version",
            &format!(
                "setsid sh -c 'echo $$ > {}; exec sleep 60' &\nsleep 0.2\necho 'tool version 1.0'",
                pidfile.display()
            ),
        );
        let start = Instant::now();
        let o = run(Program::Local(&p), &["--version"], Duration::from_secs(2)).unwrap();
        assert_eq!(o.stdout, "tool version 1.0\n");
        assert!(start.elapsed() < Duration::from_secs(2), "took {:?}", start.elapsed());
        let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let alive = std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "));
        assert!(!alive, "the daemon {pid} is still running");
    }
}
