//! Private daemons for the tests: a containerd (Debian's `containerd`, with its CRI plugin) and a
//! dockerd (Debian's `docker.io`), each with its own config, root, state and socket under a
//! temporary directory, stopped when dropped. A daemon that cannot start fails the test with its
//! log.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Run, run};

/// A containerd of our own. Its host root holds `etc/containerd/config.toml` and
/// `run/containerd/containerd.sock`, so `wasmdoctor --host-root <root>` finds both as on a node.
pub struct Containerd {
    pub root: tempfile::TempDir,
    pub child: Option<Child>,
    /// containerd sees the host root's `/run` as its `/run` (see `start_seeing_root_run`).
    sees_root_run: bool,
}

impl Containerd {
    pub fn start(runtimes: &str) -> Containerd {
        let root = tempfile::Builder::new().prefix("wd-ctd").tempdir_in("/tmp").expect("temp dir");
        let c = Containerd { root, child: None, sees_root_run: false };
        std::fs::create_dir_all(c.path("run/containerd")).unwrap();
        std::fs::create_dir_all(c.path("etc/containerd")).unwrap();
        c.write_config(runtimes);
        c.spawn()
    }

    /// A containerd whose `/run` is its host root's, as on a node, where containerd and the host
    /// root agree on every path: it runs in a mount namespace of its own with `<root>/run` bound on
    /// `/run`. The smoke run gives containerd node paths (its FIFOs in the node's `/run`).
    pub fn start_seeing_root_run(runtimes: &str) -> Containerd {
        let root = tempfile::Builder::new().prefix("wd-ctd").tempdir_in("/tmp").expect("temp dir");
        let c = Containerd { root, child: None, sees_root_run: true };
        std::fs::create_dir_all(c.path("run/containerd")).unwrap();
        std::fs::create_dir_all(c.path("etc/containerd")).unwrap();
        c.write_config(runtimes);
        c.spawn()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    pub fn socket(&self) -> PathBuf {
        self.path("run/containerd/containerd.sock")
    }

    pub fn config(&self) -> PathBuf {
        self.path("etc/containerd/config.toml")
    }

    pub fn write_config(&self, runtimes: &str) {
        let r = self.root.path().display();
        let text = format!(
            r#"version = 2
root = "{r}/var/lib/containerd"
state = "{r}/run/containerd/state"

[grpc]
  address = "{r}/run/containerd/containerd.sock"
[ttrpc]
  address = "{r}/run/containerd/containerd.sock.ttrpc"
[debug]
  address = "{r}/run/containerd/debug.sock"

[plugins."io.containerd.internal.v1.opt"]
  path = "{r}/opt/containerd"
[plugins."io.containerd.grpc.v1.cri"]
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{r}/opt/cni/bin"
    conf_dir = "{r}/etc/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
{runtimes}"#
        );
        std::fs::write(self.config(), text).unwrap();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("containerd.log")).unwrap_or_default()
    }

    pub fn spawn(mut self) -> Containerd {
        let log = std::fs::File::create(self.path("containerd.log")).unwrap();
        // Shims a test installs go to `<root>/bin`, first on containerd's PATH (as /usr/local/bin on a node).
        let path = format!("{}:{}", self.path("bin").display(), std::env::var("PATH").unwrap_or_default());
        let mut cmd = Command::new("containerd");
        cmd.arg("--config").arg(self.config()).env("PATH", path).stdout(log.try_clone().unwrap()).stderr(log);
        if self.sees_root_run {
            let run = std::ffi::CString::new(self.path("run").into_os_string().into_encoded_bytes()).unwrap();
            // SAFETY: between fork and exec, only syscalls on memory prepared before the fork.
            unsafe {
                use std::os::unix::process::CommandExt;
                cmd.pre_exec(move || {
                    let root = c"/";
                    let target = c"/run";
                    if libc::unshare(libc::CLONE_NEWNS) != 0
                        || libc::mount(
                            std::ptr::null(),
                            root.as_ptr(),
                            std::ptr::null(),
                            libc::MS_REC | libc::MS_PRIVATE,
                            std::ptr::null(),
                        ) != 0
                        || libc::mount(
                            run.as_ptr(),
                            target.as_ptr(),
                            std::ptr::null(),
                            libc::MS_BIND | libc::MS_REC,
                            std::ptr::null(),
                        ) != 0
                    {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let child =
            cmd.spawn().unwrap_or_else(|e| panic!("cannot start containerd (Debian package `containerd`): {e}"));
        std::fs::write(self.path("containerd.pid"), child.id().to_string()).unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("containerd exited with {status}:\n{}", self.log());
            }
            if self.socket().exists() && self.ctr(&["version"]).status.success() {
                return self;
            }
            assert!(Instant::now() < deadline, "containerd did not answer within 30 s:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn restart(mut self) -> Containerd {
        self.stop();
        self.spawn()
    }

    pub fn ctr(&self, args: &[&str]) -> std::process::Output {
        Command::new("ctr").arg("--address").arg(self.socket()).args(args).output().expect("run ctr")
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(&mut child);
        }
        // A containerd that a restart command started in its own session (see `restart_script`).
        if let Some(pid) =
            std::fs::read_to_string(self.path("containerd.pid")).ok().and_then(|p| p.trim().parse::<i32>().ok())
        {
            // SAFETY: signalling the daemon this test started; a stale pid is checked with kill(0) first.
            unsafe {
                if libc::kill(pid, 0) == 0 {
                    libc::kill(pid, libc::SIGTERM);
                    let deadline = Instant::now() + Duration::from_secs(10);
                    while libc::kill(pid, 0) == 0 && Instant::now() < deadline {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    libc::kill(pid, libc::SIGKILL);
                }
            }
            let _ = std::fs::remove_file(self.path("containerd.pid"));
        }
    }

    /// A restart command as an init system would run it: stop the daemon in `containerd.pid`,
    /// wait until it is gone (or a zombie of this test, which reaps it at the end), start a new one
    /// in its own session (so it outlives the command).
    pub fn restart_script(&self) -> PathBuf {
        self.restart_script_with(&self.config())
    }

    /// The same, starting containerd with `--config <config>`.
    pub fn restart_script_with(&self, config: &Path) -> PathBuf {
        let r = self.root.path().display();
        let config = config.display();
        let script = self.path("restart-containerd");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nset -e\npid=$(cat {r}/containerd.pid)\nkill $pid\nwhile [ \"$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null || echo gone)\" != gone ] && [ \"$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null)\" != Z ]; do sleep 0.1; done\nsetsid containerd --config {config} >>{r}/containerd.log 2>&1 </dev/null &\necho $! > {r}/containerd.pid\n"
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        script
    }

    pub fn policy(&self, command: &[&str]) -> PathBuf {
        let p = self.path("policy.toml");
        let quoted: Vec<String> = command.iter().map(|c| format!("{c:?}")).collect();
        std::fs::write(&p, format!("[restart]\ncommand = [{}]\n", quoted.join(", "))).unwrap();
        p
    }

    pub fn wasmdoctor(&self, extra: &[&str]) -> Run {
        let mut args = vec!["--host-root", self.root.path().to_str().unwrap(), "--no-docker"];
        args.extend(extra);
        run(&args)
    }

    pub fn facts(&self) -> serde_json::Value {
        let r = self.wasmdoctor(&["collect", "-o", "-"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.json()
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A dockerd of our own (Debian's docker.io 20.10), attached to a private containerd, with a fake
/// Wasm shim on its PATH.
pub struct Dockerd {
    pub dir: tempfile::TempDir,
    pub child: Option<Child>,
}

impl Dockerd {
    pub fn start(containerd: &Containerd) -> Dockerd {
        let dir = tempfile::Builder::new().prefix("wd-dkr").tempdir_in("/tmp").unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("bin")).unwrap();
        let shim = d.join("bin/containerd-shim-wasmedge-v1");
        std::fs::write(&shim, "#!/bin/sh\necho 'containerd-shim-wasmedge-v1:'\n").unwrap();
        std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(d.join("daemon.json"), "{}\n").unwrap();
        let log = std::fs::File::create(d.join("dockerd.log")).unwrap();
        let path = format!("{}:{}", d.join("bin").display(), std::env::var("PATH").unwrap_or_default());
        let child = Command::new("dockerd")
            .arg("--data-root")
            .arg(d.join("data"))
            .arg("--exec-root")
            .arg(d.join("exec"))
            .arg("--pidfile")
            .arg(d.join("docker.pid"))
            .arg("--host")
            .arg(format!("unix://{}", d.join("docker.sock").display()))
            .arg("--config-file")
            .arg(d.join("daemon.json"))
            .arg("--containerd")
            .arg(containerd.socket())
            .args(["--storage-driver=vfs", "--iptables=false", "--bridge=none"])
            .env("PATH", path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start dockerd (Debian package `docker.io`): {e}"));
        let mut dockerd = Dockerd { dir, child: Some(child) };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = dockerd.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("dockerd exited with {status}:\n{}", dockerd.log());
            }
            if dockerd.log().contains("API listen on") {
                return dockerd;
            }
            assert!(Instant::now() < deadline, "dockerd did not come up within 60 s:\n{}", dockerd.log());
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(self.dir.path().join("dockerd.log")) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    pub fn host(&self) -> String {
        format!("unix://{}", self.dir.path().join("docker.sock").display())
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(&mut child);
        }
    }
}

/// SIGTERM, then SIGKILL after 10 s; always reaped.
pub fn terminate(child: &mut Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: signalling our own child process.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}
