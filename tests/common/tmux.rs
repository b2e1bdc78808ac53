//! The real binary in a real terminal: tmux on a private socket, keys sent, the screen read with
//! `capture-pane`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmux {
    pub fn start(cmd: &str) -> Tmux {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("tmux.sock");
        let t = Tmux { socket, _dir: dir };
        let ok = t.run(&["new-session", "-d", "-s", "wd", "-x", "120", "-y", "36", cmd]);
        assert!(
            ok.status.success(),
            "tmux (Debian package `tmux`) could not start: {}",
            String::from_utf8_lossy(&ok.stderr)
        );
        t
    }

    pub fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux").arg("-S").arg(&self.socket).args(args).output().expect("tmux is installed")
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "wd"]).stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "wd"];
        args.extend(keys);
        assert!(self.run(&args).status.success());
    }

    /// Wait until the screen satisfies `ok`; fail with the screen otherwise.
    /// The screen once `ok` holds on two captures 50 ms apart (the second is returned): a capture can
    /// catch a frame half drawn, and what a test asserts next must be on a whole one.
    pub fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if ok(&s) {
                std::thread::sleep(Duration::from_millis(50));
                let again = self.screen();
                if ok(&again) {
                    return again;
                }
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; the screen:\n{s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

pub fn shell_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}
