//! The command line (DESIGN §1).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::FailOn;

#[derive(Debug, Parser)]
#[command(
    name = "wasmdoctor",
    version,
    about = "Why won't my WebAssembly workload run here, and how do I fix it?",
    after_help = "Exit codes: 0 nothing at or above --fail-on; 1 at least one check at or above it (an `error` counts as `fail`); 2 wasmdoctor could not run (bad flags, unknown check ID, malformed policy or facts file)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Run every check and print the JSON report (same as `check --format json`)
    #[arg(long, global = true)]
    pub json: bool,
    /// The node's filesystem root; every node path is read under it
    #[arg(long, global = true, value_name = "PATH", default_value = "/")]
    pub host_root: PathBuf,
    /// This node's Kubernetes name (default: $NODE_NAME, else the host root's /etc/hostname)
    #[arg(long = "node", global = true, value_name = "NAME", env = "NODE_NAME")]
    pub node_name: Option<String>,
    /// Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, else the in-cluster config)
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: its current-context)
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// containerd's socket, a node path (default: auto, under the host root)
    #[arg(long, global = true, value_name = "PATH")]
    pub containerd_address: Option<String>,
    /// dockerd's address (default: $DOCKER_HOST, else unix:///var/run/docker.sock)
    #[arg(long, global = true, value_name = "URL")]
    pub docker_host: Option<String>,
    /// Treat the host root as the running machine (default: when it is `/` or its kernel boot_id is ours)
    #[arg(long, global = true, conflicts_with = "offline")]
    pub live: bool,
    /// Treat the host root as an offline copy: a daemon that does not answer is not a failure
    #[arg(long, global = true)]
    pub offline: bool,
    /// Leave the node source out (its checks report `skip`)
    #[arg(long, global = true)]
    pub no_node: bool,
    /// Leave the cluster source out
    #[arg(long, global = true)]
    pub no_cluster: bool,
    /// Leave the Docker source out
    #[arg(long, global = true)]
    pub no_docker: bool,
    /// Run only these checks (comma-separated IDs)
    #[arg(long, global = true, value_delimiter = ',', value_name = "ID,…")]
    pub only: Vec<String>,
    /// Do not run these checks (comma-separated IDs)
    #[arg(long, global = true, value_delimiter = ',', value_name = "ID,…")]
    pub skip: Vec<String>,
    /// Policy file (TOML): minimum versions, suppressions
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Time limit per source, in seconds
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 10.0, value_parser = parse_timeout)]
    pub timeout: f64,
    /// List every check in the text report (a left-out or unreachable source's are otherwise one line)
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Exit 1 when a check is at or above this status
    #[arg(long, global = true, value_enum, default_value_t = FailOn::Fail)]
    pub fail_on: FailOn,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the checks and print the report
    Check(CheckArgs),
    /// Plan fixes, show them, and carry them out with consent (manual-only fixes are printed)
    Fix {
        /// Check IDs to fix
        ids: Vec<String>,
        /// Every check that does not pass
        #[arg(long)]
        all: bool,
        /// Show the plans and change nothing
        #[arg(long)]
        dry_run: bool,
        /// Apply the plans shown without asking, service restarts included
        #[arg(long)]
        yes: bool,
        /// Apply the edits but leave the service restart to you (WD207 reports it as pending)
        #[arg(long)]
        no_restart: bool,
    },
    /// Revert the last applied fix (files from their backups, API objects); a file or object
    /// changed since the fix is refused with a diff unless `--force`
    Undo {
        /// Revert even what was changed after the fix (that change is lost)
        #[arg(long)]
        force: bool,
    },
    /// Print a check's full explanation
    Explain {
        /// A check ID (WD204) or slug (crun-pod-annotations)
        id: String,
    },
    /// List the checks this build runs
    List,
    /// Run the node checks on an interval and publish the `WasmReady` condition on this node's Node
    /// (`--node` or $NODE_NAME), as a DaemonSet does; SIGTERM sets it `Unknown` (`AgentStopped`)
    Agent {
        /// Time between runs (`30s`, `5m`, `1h`)
        #[arg(long, default_value = "5m", value_parser = parse_interval)]
        interval: std::time::Duration,
        /// One run, then exit: 0 when the condition was published
        #[arg(long)]
        once: bool,
        /// Serve `/healthz` and `/metrics` (Prometheus text) on this address (`0.0.0.0:9810`)
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
    },
    /// Every node's Wasm readiness from the cluster: the agent's `WasmReady`, reported runtime
    /// handlers, installer labels, the Wasm RuntimeClasses that can schedule there; failures first
    Fleet,
    /// Run a tiny WASI module through each Wasm runtime of this node's containerd and report it
    /// (WD109; containers in containerd's namespace `wasmdoctor`), or with `--cluster` a Job per
    /// Wasm RuntimeClass and node (WD311); deletes what it created again
    Smoke(SmokeArgs),
    /// Print a shell's completion script (check IDs complete after --only, --skip, explain, fix):
    /// `source <(wasmdoctor completions bash)`
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `wasmdoctor man > /usr/local/share/man/man1/wasmdoctor.1`
    Man,
    /// Collect the facts and save them, to reproduce a report offline with `check --facts`
    Collect {
        /// Where to write the facts (JSON); `-` for stdout
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
}

#[derive(Debug, Args, Default)]
pub struct CheckArgs {
    /// The report's format (default: text)
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the report to FILE, replacing it atomically (a reader never sees half of it); `-` is
    /// stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Evaluate saved facts (`wasmdoctor collect -o FILE`) instead of collecting
    #[arg(long, value_name = "FILE", conflicts_with = "smoke")]
    pub facts: Option<PathBuf>,
    /// Also run the smoke checks: a module through each Wasm runtime of this node (WD109,
    /// creates containers) and a Job per Wasm RuntimeClass and node (WD311, creates Jobs)
    #[arg(long)]
    pub smoke: bool,
    /// The smoke's time limit: each node run's (default 60), the cluster's Jobs' (default 300: a
    /// first pull)
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub smoke_timeout: Option<u64>,
}

#[derive(Debug, Args)]
pub struct SmokeArgs {
    /// Only this containerd runtime (its name in the config, e.g. `wasmtime` or `crun`)
    #[arg(long, value_name = "NAME", conflicts_with = "cluster")]
    pub runtime: Option<String>,
    /// Run the cluster's smoke instead: a Job per Wasm RuntimeClass × node it can schedule to
    /// (WD311), in the policy's `[smoke] namespace`, with its `[smoke] image`
    #[arg(long)]
    pub cluster: bool,
    /// With `--cluster`: only these nodes (comma-separated)
    #[arg(long, value_delimiter = ',', value_name = "NODE,…", requires = "cluster")]
    pub nodes: Vec<String>,
    /// With `--cluster`: only these RuntimeClasses (comma-separated; any RuntimeClass, not only
    /// those that look like Wasm)
    #[arg(long = "runtimeclass", value_delimiter = ',', value_name = "NAME,…", requires = "cluster")]
    pub runtime_classes: Vec<String>,
    /// The time limit: each node run's, from its container's creation to its exit (default 60);
    /// with `--cluster`, the Jobs', from their creation (default 300: a first pull)
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub smoke_timeout: Option<u64>,
}

/// The name a kubectl plugin is installed as (`kubectl wasmdoctor …` runs it).
pub const KUBECTL_PLUGIN: &str = "kubectl-wasmdoctor";

/// The command line of this process. Run as `kubectl-wasmdoctor` (by `kubectl wasmdoctor`), help
/// and errors name it as kubectl's users type it.
pub fn parse_env() -> Cli {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let plugin = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .is_some_and(|n| n.to_string_lossy().starts_with(KUBECTL_PLUGIN));
    let mut command = <Cli as clap::CommandFactory>::command();
    if plugin {
        command = command.bin_name("kubectl wasmdoctor").display_name("kubectl wasmdoctor");
    }
    let matches = command.get_matches_from(args);
    <Cli as clap::FromArgMatches>::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people: grouped, marked, with hints
    Text,
    /// DESIGN §2's report (docs/report.schema.json)
    Json,
    /// SARIF 2.1.0, for code scanning
    Sarif,
    /// JUnit XML, for CI test reports
    Junit,
    /// Prometheus text, for node_exporter's textfile collector
    Prometheus,
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if v.is_finite() && v > 0.0 && v <= 3600.0 { Ok(v) } else { Err("must be between 0 and 3600 seconds".into()) }
}

/// `30s`, `5m`, `1h` (jiff's friendly durations), at least one second.
fn parse_interval(s: &str) -> Result<std::time::Duration, String> {
    let d: jiff::SignedDuration = s.parse().map_err(|e| format!("`{s}` is not a duration like 30s or 5m: {e}"))?;
    let d = std::time::Duration::try_from(d).map_err(|_| format!("`{s}` is negative"))?;
    if d < std::time::Duration::from_secs(1) {
        return Err(format!("`{s}` is under a second"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }
}
