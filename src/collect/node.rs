//! The node collector: everything read from the node's filesystem and procfs, and the
//! `--version` of its binaries (run concurrently, each with a timeout).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use super::containerd_config;
use super::exec::Program;
use super::host::{HostRoot, is_loop};
use super::{elf, exec, kubelet, ldso, procfs, system};
use crate::facts::{
    BinaryKind, ContainerdConfig, ContainerdHost, CrunBinary, CrunOrigin, CrunVersion, Distribution, Fact,
    InstalledShim, Libraries, MissingKind, NodeFacts, PathSource, Process, Route, ShimResolution, VersionedBinary,
    WasmEdge,
};
use crate::rules::containerd::{STANDARD_PATH, is_wasm_shim_process, shim_binary, shim_search};
use crate::rules::crun::{self, ENGINE_LIBRARIES};
use crate::rules::distribution::{
    INSTALLER_DIRS, KNOWN_SHIMS, Layout, UNIT_DIRS, candidate_units, containerd_bin_dirs,
};
use crate::rules::versions;

#[derive(Debug, Clone)]
pub struct NodeOptions {
    pub host: HostRoot,
    pub exec_timeout: Duration,
    pub arch: String,
    /// The host root is the running machine: sockets are connected to and mounts are statfs'd.
    pub live: bool,
}

pub fn collect(opts: &NodeOptions) -> NodeFacts {
    let host = &opts.host;
    let processes = procfs::Processes::scan(host);
    let process = processes.first("containerd");
    let layout = containerd_config::discover(host, process.collected());
    let path_dirs = standard_dirs();

    let (containerd_binary, wasmedge_cli, config, distribution_binary) = std::thread::scope(|s| {
        let containerd = s.spawn(|| {
            let exe = process.collected().and_then(|p| p.exe.clone());
            let dirs = containerd_dirs(&layout);
            let candidates = exe.into_iter().chain(dirs.iter().map(|d| format!("{d}/containerd")));
            find_file(host, candidates).map(|p| run_tool(opts, &p, &["--version"], versions::parse_containerd))
        });
        let wasmedge = s.spawn(|| {
            let mut candidates: Vec<String> = path_dirs.iter().map(|d| format!("{d}/wasmedge")).collect();
            candidates.extend(home_dirs(host).into_iter().map(|h| format!("{h}/.wasmedge/bin/wasmedge")));
            find_file(host, candidates).map(|p| run_tool(opts, &p, &["--version"], versions::parse_wasmedge))
        });
        let distribution = s.spawn(|| {
            let candidates: &[&str] = match layout.distribution {
                Distribution::K3s => &["/usr/local/bin/k3s", "/usr/bin/k3s"],
                Distribution::Rke2 => &["/usr/local/bin/rke2", "/usr/bin/rke2", "/opt/rke2/bin/rke2"],
                _ => &[],
            };
            find_file(host, candidates.iter().map(|c| c.to_string()))
                .map(|p| run_tool(opts, &p, &["--version"], versions::parse_k3s))
        });
        let containerd_binary = containerd.join().ok().flatten();
        let major = containerd_binary.as_ref().and_then(|t| t.version.collected()).and_then(|v| versions::major(v));
        let config = containerd_config::collect(host, &layout, major);
        (containerd_binary, wasmedge.join().ok().flatten(), config, distribution.join().ok().flatten())
    });

    let lib_dirs = ldso::search_dirs(host, &opts.arch);
    let mut found: BTreeMap<String, Option<String>> = BTreeMap::new();
    for (_, soname) in ENGINE_LIBRARIES {
        found.insert(soname.to_string(), ldso::find(host, &lib_dirs, soname));
    }
    let wasmedge_lib = found.get("libwasmedge.so.0").cloned().flatten().or_else(|| {
        find_file(host, home_dirs(host).into_iter().map(|h| format!("{h}/.wasmedge/lib/libwasmedge.so.0")))
    });

    let containerd_path = process.collected().and_then(|p| p.path_env.clone());
    let (crun, shims) = std::thread::scope(|s| {
        let crun = s.spawn(|| collect_crun(opts, &config, &path_dirs, containerd_path.as_deref()));
        let shims = s.spawn(|| collect_shims(opts, &config, process.collected(), &layout));
        (crun.join().unwrap_or_default(), shims.join().unwrap_or_default())
    });
    let kubelet = kubelet::cgroup_driver(host, &processes, &config);
    let kubelet_endpoint = kubelet::endpoint(host, &processes, &config);
    let installed_shims = installed_shims(host, process.collected(), &layout);
    let service_units = service_units(host, layout.distribution);

    NodeFacts {
        arch: opts.arch.clone(),
        containerd_config: config,
        containerd: ContainerdHost { process, binary: containerd_binary },
        distribution_binary,
        crun,
        libraries: Libraries { search_dirs: lib_dirs, found },
        wasmedge: WasmEdge { cli: wasmedge_cli, library: wasmedge_lib },
        shims,
        kubelet,
        kubelet_endpoint,
        containerd_processes: processes.all(|argv0| argv0 == "containerd"),
        shim_processes: processes.all(is_wasm_shim_process),
        installed_shims,
        service_units,
        cgroup: system::cgroup(host, opts.live),
        system_bus: system::system_bus(host, opts.live),
    }
}

/// Known shims present where containerd looks for them: its `$PATH` (else the standard one), then
/// its own directory.
fn installed_shims(host: &HostRoot, process: Option<&Process>, layout: &Layout) -> Vec<InstalledShim> {
    let path = process.and_then(|p| p.path_env.clone()).unwrap_or_else(|| STANDARD_PATH.to_string());
    let mut dirs: Vec<String> = path.split(':').filter(|d| d.starts_with('/')).map(String::from).collect();
    let exe_dir = match process.and_then(|p| p.exe.as_deref()) {
        Some(exe) => exe.rsplit_once('/').map(|(d, _)| d.to_string()),
        None => containerd_dirs(layout).into_iter().find(|d| host.is_file(&format!("{d}/containerd"))),
    };
    dirs.extend(exe_dir);
    KNOWN_SHIMS
        .iter()
        .filter_map(|(name, runtime_type)| {
            let version = runtime_type.rsplit('.').next().unwrap_or("v1");
            let binary = format!("containerd-shim-{name}-{version}");
            let path = dirs.iter().map(|d| join(d, &binary)).find(|p| host.is_file(p))?;
            Some(InstalledShim { name: name.to_string(), runtime_type: runtime_type.to_string(), path })
        })
        .collect()
}

/// The systemd units that may run containerd for this distribution and exist on the node.
fn service_units(host: &HostRoot, distribution: Distribution) -> Vec<String> {
    candidate_units(distribution)
        .iter()
        .filter(|u| UNIT_DIRS.iter().any(|d| host.is_file(&format!("{d}/{u}.service"))))
        .map(|u| u.to_string())
        .collect()
}

fn standard_dirs() -> Vec<String> {
    STANDARD_PATH.split(':').map(String::from).collect()
}

/// Where the containerd binary lives for this distribution, when its process is not visible.
fn containerd_dirs(layout: &Layout) -> Vec<String> {
    let mut dirs: Vec<String> = containerd_bin_dirs(layout.distribution).iter().map(|d| d.to_string()).collect();
    dirs.extend(standard_dirs());
    dirs
}

fn home_dirs(host: &HostRoot) -> Vec<String> {
    let mut homes = vec!["/root".to_string()];
    homes.extend(host.read_dir("/home").unwrap_or_default().into_iter().map(|name| format!("/home/{name}")));
    homes
}

fn find_file(host: &HostRoot, candidates: impl IntoIterator<Item = String>) -> Option<String> {
    candidates.into_iter().find(|p| host.is_file(p))
}

/// Run a node binary (resolved inside the host root) with a timeout.
fn run_node(opts: &NodeOptions, path: &str, args: &[&str]) -> Result<exec::Output, exec::ExecError> {
    let binary = opts.host.binary(path).map_err(|e| exec::ExecError::Spawn(path.to_string(), e.to_string()))?;
    // The running machine seen through another root (a pod's `/host`): its binaries need its own
    // loader, libraries and files, so they run with that root as `/` (which takes root's privilege).
    let root = (opts.live && !opts.host.is_live() && rustix::process::geteuid().is_root())
        .then(|| opts.host.root_fd().ok())
        .flatten();
    match &root {
        Some(r) => exec::run(Program::InRoot(&binary, r), args, opts.exec_timeout),
        None => exec::run(Program::Node(&binary), args, opts.exec_timeout),
    }
}

fn run_tool(opts: &NodeOptions, path: &str, args: &[&str], parse: fn(&str) -> Option<String>) -> VersionedBinary {
    let out = run_node(opts, path, args);
    let (version, output) = match out {
        Ok(o) => {
            let text = if o.stdout.trim().is_empty() { o.stderr } else { o.stdout };
            let first = text.lines().next().map(str::to_string);
            match parse(&text) {
                Some(v) => (Fact::Collected(v), first),
                None => (
                    Fact::unavailable(
                        MissingKind::Malformed,
                        format!(
                            "`{path} {}` printed no version: `{}`",
                            args.join(" "),
                            first.clone().unwrap_or_default()
                        ),
                    ),
                    first,
                ),
            }
        }
        Err(e) => (exec_failure(e), None),
    };
    VersionedBinary { path: path.to_string(), version, output }
}

fn exec_failure<T>(e: exec::ExecError) -> Fact<T> {
    let kind = match e {
        exec::ExecError::Timeout(..) => MissingKind::Timeout,
        _ => MissingKind::Failed,
    };
    Fact::unavailable(kind, e.to_string())
}

// ---------------------------------------------------------------------------------------------
// crun

fn collect_crun(
    opts: &NodeOptions,
    config: &ContainerdConfig,
    path_dirs: &[String],
    containerd_path: Option<&str>,
) -> Vec<CrunBinary> {
    let host = &opts.host;
    let mut found: Vec<(String, CrunOrigin)> = Vec::new();
    for r in config.runtimes.iter().filter(|r| r.route == Route::Crun) {
        if let Some(b) = &r.binary_name {
            found.push((b.clone(), CrunOrigin::BinaryName { runtime: r.name.clone(), location: r.location() }));
        }
    }
    let mut dirs: Vec<String> = containerd_path.map(|p| p.split(':').map(String::from).collect()).unwrap_or_default();
    dirs.extend(path_dirs.iter().cloned());
    for name in crun::BINARY_NAMES {
        if let Some(p) = dirs.iter().map(|d| format!("{d}/{name}")).find(|p| host.is_file(p)) {
            found.push((p, CrunOrigin::Path));
        }
    }
    let mut binaries: Vec<CrunBinary> = Vec::new();
    for (path, origin) in found {
        if let Some(b) = binaries.iter_mut().find(|b| b.path == path) {
            if !b.origins.contains(&origin) {
                b.origins.push(origin);
            }
            continue;
        }
        let meta = host.meta(&path);
        let problem = match &meta {
            Err(e) if is_loop(e) => Some(e.to_string()),
            _ => None,
        };
        binaries.push(CrunBinary {
            canonical: host.canonical(&path).unwrap_or_else(|_| path.clone()),
            exists: meta.is_ok(),
            executable: meta.as_ref().is_ok_and(|m| m.is_executable()),
            problem,
            path,
            origins: vec![origin],
            version: Fact::unavailable(MissingKind::NotFound, "not run"),
        });
    }
    let versions: Vec<Fact<CrunVersion>> = super::bounded_map(
        &binaries,
        |b| crun_version(opts, b),
        || Fact::unavailable(MissingKind::Failed, "collector thread failed"),
    );
    for (b, v) in binaries.iter_mut().zip(versions) {
        b.version = v;
    }
    binaries
}

fn crun_version(opts: &NodeOptions, b: &CrunBinary) -> Fact<CrunVersion> {
    if let Some(problem) = &b.problem {
        return Fact::unavailable(MissingKind::Failed, problem.clone());
    }
    if !b.exists {
        return Fact::unavailable(MissingKind::NotFound, format!("`{}` does not exist", b.path));
    }
    if !b.executable {
        return Fact::unavailable(MissingKind::PermissionDenied, format!("`{}` is not executable", b.path));
    }
    match run_node(opts, &b.path, &["--version"]) {
        Ok(o) => match versions::parse_crun(&o.stdout) {
            Some(v) => Fact::Collected(v),
            None => Fact::unavailable(
                MissingKind::Malformed,
                format!(
                    "`{} --version` exited {} without a `crun version` line: `{}`",
                    b.path,
                    o.code.map(|c| c.to_string()).unwrap_or_else(|| "abnormally".into()),
                    first_line(&o.stdout, &o.stderr)
                ),
            ),
        },
        Err(e) => exec_failure(e),
    }
}

fn first_line(stdout: &str, stderr: &str) -> String {
    let text = if stdout.trim().is_empty() { stderr } else { stdout };
    text.lines().next().unwrap_or("").chars().take(200).collect()
}

// ---------------------------------------------------------------------------------------------
// shims

fn collect_shims(
    opts: &NodeOptions,
    config: &ContainerdConfig,
    process: Option<&Process>,
    layout: &Layout,
) -> Vec<ShimResolution> {
    let host = &opts.host;
    let (path_source, path) = match process.and_then(|p| p.path_env.clone()) {
        Some(p) => (PathSource::Procfs, p),
        None => (PathSource::Standard, STANDARD_PATH.to_string()),
    };
    let exe_dir = match process.and_then(|p| p.exe.as_deref()) {
        Some(exe) => exe.rsplit_once('/').map(|(d, _)| d.to_string()),
        None => containerd_dirs(layout).into_iter().find(|d| host.is_file(&format!("{d}/containerd"))),
    };
    let cwd = process.and_then(|p| p.cwd.as_deref());
    // Many runtimes may name the same shim: each path is looked at once.
    let mut is_file: HashMap<String, bool> = HashMap::new();
    let mut looked_at = |p: &str| *is_file.entry(p.to_string()).or_insert_with(|| host.is_file(p));
    let mut kinds: HashMap<String, (bool, BinaryKind)> = HashMap::new();
    let mut out: Vec<ShimResolution> = Vec::new();
    for r in config.active_runtimes().filter(|r| r.route == Route::Shim) {
        let Some(binary) = shim_binary(r) else { continue };
        let mut res = ShimResolution {
            runtime: r.name.clone(),
            runtime_location: r.location(),
            runtime_type: r.runtime_type.clone().unwrap_or_default(),
            binary: binary.clone(),
            path_source: path_source.clone(),
            searched: Vec::new(),
            resolved: None,
            found_elsewhere: Vec::new(),
            invalid: None,
            executable: false,
            binary_kind: BinaryKind::Unknown,
            version: None,
        };
        match shim_search(&binary, r.runtime_type.as_deref(), cwd, &path, exe_dir.as_deref()) {
            Ok(searched) => res.searched = searched,
            Err(invalid) => res.invalid = Some(invalid),
        }
        res.resolved = res.searched.iter().find(|p| looked_at(p)).cloned();
        let base = binary.rsplit('/').next().unwrap_or(&binary).to_string();
        let mut elsewhere: Vec<String> = INSTALLER_DIRS.iter().map(|d| join(d, &base)).collect();
        elsewhere.extend(r.binary_name.clone());
        res.found_elsewhere = elsewhere
            .into_iter()
            .filter(|p| Some(p) != res.resolved.as_ref() && !res.searched.contains(p) && looked_at(p))
            .collect();
        res.found_elsewhere.dedup();
        if let Some(p) = &res.resolved {
            let (executable, kind) = kinds
                .entry(p.clone())
                .or_insert_with(|| (host.meta(p).is_ok_and(|m| m.is_executable()), elf::inspect(host, p)))
                .clone();
            res.executable = executable;
            res.binary_kind = kind;
        }
        out.push(res);
    }
    // Each distinct binary runs once, however many runtimes name it, a few at a time.
    let mut runnable: Vec<&str> = out
        .iter()
        .filter(|r| {
            r.executable
                && match &r.binary_kind {
                    BinaryKind::Elf { machine } => crate::rules::elf::runs_on(machine, &opts.arch),
                    BinaryKind::Script { .. } => true,
                    _ => false,
                }
        })
        .filter_map(|r| r.resolved.as_deref())
        .collect();
    runnable.sort_unstable();
    runnable.dedup();
    let ran: BTreeMap<String, Fact<String>> = super::bounded_map(
        &runnable,
        |path| run_tool(opts, path, &["-v"], versions::parse_shim).version,
        || Fact::unavailable(MissingKind::Failed, "collector thread failed"),
    )
    .into_iter()
    .zip(&runnable)
    .map(|(v, p)| (p.to_string(), v))
    .collect();
    let versions: Vec<Option<Fact<String>>> =
        out.iter().map(|r| r.resolved.as_ref().and_then(|p| ran.get(p).cloned())).collect();
    for (r, v) in out.iter_mut().zip(versions) {
        r.version = v;
    }
    out
}

fn join(dir: &str, name: &str) -> String {
    format!("{}/{}", dir.trim_end_matches('/'), name)
}

// ---------------------------------------------------------------------------------------------
// kubelet
