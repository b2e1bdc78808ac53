//! wasmdoctor: why won't a WebAssembly workload run on this node, and how to fix it.
//!
//! CLI → collectors (all I/O) → `Facts` → pure checks (`registry`) → `Report` → text | JSON | TUI;
//! a finding → its fix `plan` → `fix` (consent, execution, re-check). Domain rules live in `rules`.

pub mod agent;
pub mod catalog;
pub mod checks;
pub mod cli;
pub mod collect;
pub mod engine;
pub mod exit;
pub mod facts;
pub mod fix;
pub mod fleet;
mod manual;
pub mod plan;
pub mod policy;
pub mod registry;
pub mod report;
pub mod rules;
pub mod smoke;
mod smoke_command;
pub mod ui;

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::Context;

use cli::{CheckArgs, Cli, Command, Format};
use exit::ExitStatus;
use facts::Facts;
use policy::{Policy, PolicyError};

/// External binaries (`crun --version`, …) get this long at most.
const EXEC_TIMEOUT: Duration = Duration::from_secs(2);

/// Run the command line; errors that stop the tool are exit 2.
pub fn run(cli: Cli) -> ExitStatus {
    match dispatch(cli) {
        Ok(status) => status,
        Err(e) => {
            eprintln!("wasmdoctor: error: {}", report::escape::lines(&format!("{e:#}")));
            ExitStatus::Error
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitStatus> {
    let g = &cli.global;
    for id in g.only.iter().chain(&g.skip) {
        if !catalog::is_known_id(id) {
            anyhow::bail!("`{id}` is not a wasmdoctor check ID (see `wasmdoctor list`)");
        }
    }
    match &cli.command {
        Some(Command::Explain { id }) => explain(id),
        Some(Command::List) => list(g.json),
        Some(Command::Completions { shell }) => {
            write_stdout(&manual::completions(*shell, "wasmdoctor"))?;
            Ok(ExitStatus::Clean)
        }
        Some(Command::Man) => {
            write_stdout(&manual::man_page().context("rendering the manual page")?)?;
            Ok(ExitStatus::Clean)
        }
        Some(Command::Collect { output }) => {
            let facts = collect(&cli);
            let json = serde_json::to_string_pretty(&facts).context("serializing the facts")? + "\n";
            if output.as_os_str() == "-" {
                write_stdout(&json)?;
            } else {
                write_atomic(output, &json, 0o600).with_context(|| format!("writing {}", output.display()))?;
            }
            Ok(ExitStatus::Clean)
        }
        Some(Command::Check(args)) => check(&cli, args),
        Some(Command::Smoke(args)) => {
            let selection = engine::Selection { only: g.only.clone(), skip: g.skip.clone() };
            let report = smoke_command::command(&collect_options(&cli), &load_policy(&cli)?, &selection, args)?;
            let format = if g.json { Format::Json } else { Format::Text };
            write_stdout(&render(&report, format, std::io::stdout().is_terminal(), g.verbose))?;
            Ok(ExitStatus::for_report(&report, g.fail_on))
        }
        Some(Command::Agent { interval, once, listen }) => agent(&cli, *interval, *once, *listen),
        Some(Command::Fleet) => fleet(&cli),
        Some(Command::Fix { ids, all, dry_run, yes, no_restart }) => {
            fix(&cli, ids, *all, FixMode { dry_run: *dry_run, yes: *yes, no_restart: *no_restart })
        }
        Some(Command::Undo { force }) => {
            let host = collect::host::HostRoot::new(&g.host_root);
            let opts = collect_options(&cli);
            let undone = fix::journal::Lock::acquire(&host, fix::session::lock_wait()).and_then(|_lock| {
                fix::apply::undo(&host, *force, &|objects, force| fix::api::revert(&opts, objects, force))
            });
            let set = match undone {
                Ok(set) => set,
                // Refused (changed since the fix, another fix holds the lock): exit 1, as a refused fix.
                Err(
                    e @ (fix::FixError::ChangedSinceFix { .. }
                    | fix::FixError::ObjectsChangedSinceFix { .. }
                    | fix::FixError::Locked { .. }
                    | fix::FixError::LockUnavailable { .. }),
                ) => {
                    eprintln!("wasmdoctor: not undone: {}", report::escape::lines(&e.to_string()));
                    return Ok(ExitStatus::Findings);
                }
                Err(e) => return Err(e.into()),
            };
            for f in &set.files {
                let line = match &f.backup {
                    Some(b) => format!("restored `{}` from `{b}` ({} applied at {})\n", f.path, set.check, set.at),
                    None => format!("removed `{}` ({} created it at {})\n", f.path, set.check, set.at),
                };
                write_stdout(&report::escape::lines(&line))?;
            }
            for o in &set.objects {
                let shown = match &o.namespace {
                    Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
                    None => format!("{} {}", o.kind, o.name),
                };
                let what = if o.created { "deleted" } else { "removed wasmdoctor's fields from" };
                write_stdout(&format!(
                    "{what} {} ({} applied at {})\n",
                    report::escape::line(&shown),
                    set.check,
                    set.at
                ))?;
            }
            if !set.files.is_empty() {
                write_stdout("restart containerd (or the service that runs it) if the change had been loaded\n")?;
            }
            Ok(ExitStatus::Clean)
        }
        None if !g.json && ui::wanted() => {
            let policy = load_policy(&cli)?;
            let selection = engine::Selection { only: g.only.clone(), skip: g.skip.clone() };
            ui::run(&collect_options(&cli), &policy, &selection, g.fail_on)
        }
        None => check(&cli, &CheckArgs::default()),
    }
}

/// The policy file, or the default policy without `--config`.
fn load_policy(cli: &Cli) -> anyhow::Result<Policy> {
    Ok(match &cli.global.config {
        Some(path) => {
            let shown = path.display().to_string();
            let text = collect::local::read_to_string(path).map_err(|e| PolicyError {
                path: shown.clone(),
                line: 0,
                column: 0,
                message: format!("cannot read the policy file: {e}"),
            })?;
            Policy::parse(&shown, &text, catalog::is_known_id)?
        }
        None => Policy::default(),
    })
}

fn check(cli: &Cli, args: &CheckArgs) -> anyhow::Result<ExitStatus> {
    let g = &cli.global;
    let policy = load_policy(cli)?;
    let mut facts = match &args.facts {
        Some(path) => load_facts(path)?,
        None => collect(cli),
    };
    if args.smoke {
        let wanted = smoke_command::Wanted {
            node: !g.no_node,
            cluster: !g.no_cluster,
            runtime: None,
            nodes: Vec::new(),
            runtime_classes: Vec::new(),
            timeout: args.smoke_timeout,
        };
        smoke_command::prove(&collect_options(cli), &mut facts, &policy, &wanted)?;
        // Asked for, but its source is left out: say so, not "not requested".
        let left_out = |flag: &str| format!("not run: `{flag}` was given");
        if g.no_node {
            facts.node_smoke = facts::Fact::unavailable(facts::MissingKind::NotRequested, left_out("--no-node"));
        }
        if g.no_cluster {
            facts.cluster_smoke = facts::Fact::unavailable(facts::MissingKind::NotRequested, left_out("--no-cluster"));
        }
    }
    let selection = engine::Selection { only: g.only.clone(), skip: g.skip.clone() };
    let report = engine::evaluate(&facts, &policy, &selection, &rules::time::today());
    let format = if g.json { Format::Json } else { args.format.unwrap_or(Format::Text) };
    match args.output.as_deref().filter(|p| p.as_os_str() != "-") {
        Some(path) => {
            let text = render(&report, format, false, g.verbose);
            write_atomic(path, &text, 0o644).with_context(|| format!("writing {}", path.display()))?;
        }
        None => write_stdout(&render(&report, format, std::io::stdout().is_terminal(), g.verbose))?,
    }
    Ok(ExitStatus::for_report(&report, g.fail_on))
}

/// The report in `format`; `terminal`: the text goes to one (colour, unless `NO_COLOR`).
fn render(report: &report::Report, format: Format, terminal: bool, verbose: bool) -> String {
    match format {
        Format::Json => report::json::render(report),
        Format::Text => {
            report::text::render(report, report::text::Style { verbose, ..report::text::Style::detect(terminal) })
        }
        Format::Sarif => {
            let rules: Vec<report::sarif::RuleText> = catalog::entries()
                .iter()
                .map(|e| report::sarif::RuleText {
                    id: &e.id,
                    slug: &e.slug,
                    title: &e.title,
                    why: &e.why,
                    fix: &e.fix,
                    docs: e.docs(),
                    // The package's repository, when Cargo.toml names one (GitHub's layout).
                    help_uri: Some(env!("CARGO_PKG_REPOSITORY")).filter(|r| !r.is_empty()).map(|repo| {
                        format!("{}/blob/v{}/{}", repo.trim_end_matches('/'), env!("CARGO_PKG_VERSION"), e.docs())
                    }),
                })
                .collect();
            report::sarif::render(report, &rules)
        }
        Format::Junit => report::junit::render(report),
        Format::Prometheus => {
            report::prometheus::render(report, rules::time::epoch(&report.started_at).unwrap_or_default())
        }
    }
}

/// `wasmdoctor agent`: see `agent::run`.
fn agent(
    cli: &Cli,
    interval: Duration,
    once: bool,
    listen: Option<std::net::SocketAddr>,
) -> anyhow::Result<ExitStatus> {
    let g = &cli.global;
    let Some(node) = g.node_name.clone() else {
        anyhow::bail!(
            "the agent publishes on this node's Node: give `--node` or $NODE_NAME (the downward API's spec.nodeName)"
        );
    };
    let mut opts = collect_options(cli);
    opts.cluster = false;
    let run = agent::run::Run {
        copts: opts.cluster_options(),
        opts,
        node,
        policy: load_policy(cli)?,
        selection: engine::Selection { only: g.only.clone(), skip: g.skip.clone() },
        interval,
        once,
        listen,
    };
    agent::run::run(&run, &mut |line| write_stdout(&(report::escape::line(line).into_owned() + "\n")))
}

/// `wasmdoctor fleet [--json]`: exit 1 when a node is not ready or its report is stale, 2 when
/// the cluster cannot be read.
fn fleet(cli: &Cli) -> anyhow::Result<ExitStatus> {
    let facts = collect::fleet(&collect_options(cli));
    let cluster = match &facts {
        facts::Fact::Collected(c) => c,
        facts::Fact::Unavailable(m) => anyhow::bail!("the cluster cannot be read: {}", m.reason),
    };
    if let facts::Fact::Unavailable(m) = &cluster.nodes {
        anyhow::bail!("the Nodes cannot be listed: {}", m.reason);
    }
    let now = rules::time::epoch(&rules::time::rfc3339(std::time::SystemTime::now())).unwrap_or_default();
    let view = fleet::view(cluster, now);
    if cli.global.json {
        write_stdout(&(serde_json::to_string_pretty(&view).context("serializing the fleet")? + "\n"))?;
    } else {
        write_stdout(&fleet::render(&view))?;
    }
    let bad = view.nodes.iter().any(|r| matches!(r.verdict, "not-ready" | "stale"));
    Ok(if bad { ExitStatus::Findings } else { ExitStatus::Clean })
}

fn collect(cli: &Cli) -> Facts {
    collect::collect(&collect_options(cli))
}

fn collect_options(cli: &Cli) -> collect::CollectOptions {
    let g = &cli.global;
    let timeout = Duration::from_secs_f64(g.timeout);
    collect::CollectOptions {
        host_root: g.host_root.clone(),
        node_name: g.node_name.clone(),
        node: !g.no_node,
        docker: !g.no_docker,
        cluster: !g.no_cluster,
        kubeconfig: g.kubeconfig.clone(),
        context: g.context.clone(),
        containerd_address: g.containerd_address.clone(),
        docker_host: g.docker_host.clone(),
        liveness: match (g.live, g.offline) {
            (true, _) => collect::Liveness::Live,
            (_, true) => collect::Liveness::Offline,
            _ => collect::Liveness::Auto,
        },
        source_timeout: timeout,
        exec_timeout: EXEC_TIMEOUT.min(timeout),
    }
}

#[derive(Debug, Clone, Copy)]
struct FixMode {
    dry_run: bool,
    yes: bool,
    no_restart: bool,
}

/// `wasmdoctor fix`: plan, show (with the server's dry-run of API objects), confirm (or `--yes`),
/// carry out, re-check. Exit 0 when every fix applied and re-checked clean, or when plans were only
/// printed (`--dry-run`, no terminal); 1 when anything was refused, failed, rolled back or is manual.
fn fix(cli: &Cli, ids: &[String], all: bool, mode: FixMode) -> anyhow::Result<ExitStatus> {
    for id in ids {
        implemented(id)?;
    }
    let ids: Vec<String> = ids.iter().map(|i| i.to_ascii_uppercase()).collect();
    if ids.is_empty() && !all {
        anyhow::bail!("name the checks to fix (`wasmdoctor fix WD204`) or use `--all`");
    }
    let policy = load_policy(cli)?;
    let mut session = match fix::session::Session::start(&collect_options(cli), &policy, !mode.dry_run) {
        Ok(s) => s,
        // Refused (another fix runs): exit 1, as any refused fix.
        Err(e @ (fix::FixError::Locked { .. } | fix::FixError::LockUnavailable { .. })) => {
            write_stdout(&format!("not applied: {}\n", report::escape::lines(&e.to_string())))?;
            return Ok(ExitStatus::Findings);
        }
        Err(e) => return Err(e.into()),
    };
    let wanted = if all { session.findings() } else { ids };
    let interactive = std::io::stdin().is_terminal();
    let mut all_fixed = true;
    for id in &wanted {
        let plan = match session.propose(id) {
            Ok(fix::session::Proposal::NothingToFix(line)) => {
                write_stdout(&format!("{}\n", report::escape::line(&line)))?;
                continue;
            }
            Ok(fix::session::Proposal::Plan(plan)) => plan,
            Err(e) => {
                eprintln!("wasmdoctor: {id}: cannot plan a fix: {}", report::escape::lines(&e.to_string()));
                all_fixed = false;
                continue;
            }
        };
        write_stdout(&report::escape::lines(&plan.render()))?;
        if plan.applicability() == plan::Applicability::ManualOnly {
            all_fixed = false;
            continue;
        }
        if plan.is_noop() {
            write_stdout(&format!("{id}: nothing to change\n"))?;
            continue;
        }
        if mode.dry_run {
            write_stdout("--dry-run: nothing was changed\n")?;
            continue;
        }
        if !mode.yes {
            if !interactive {
                write_stdout("not applied: no terminal to confirm on; run again with --yes to apply the plan shown\n")?;
                continue;
            }
            if !ask("apply this plan?")? {
                write_stdout("not applied\n")?;
                all_fixed = false;
                continue;
            }
        }
        session.approve(plan);
    }
    if !session.has_approved() {
        return Ok(if all_fixed { ExitStatus::Clean } else { ExitStatus::Findings });
    }
    // One restart for all the approved edits.
    let mut approval = fix::execute::Approval { restart: !mode.no_restart };
    if let Some(step) = session.restart().filter(|_| approval.restart && !mode.yes) {
        approval.restart = ask(&format!("restart `{}` now (`{}`)?", step.service, step.shown()))?;
    }
    let mut say = |line: String| {
        let _ = write_stdout(&format!("{}\n", report::escape::lines(&line)));
    };
    for executed in session.execute(approval, &mut say) {
        all_fixed &= executed.ok;
    }
    Ok(if all_fixed { ExitStatus::Clean } else { ExitStatus::Findings })
}

/// A catalog ID that this build implements; otherwise why not (exit 2).
fn implemented(id: &str) -> anyhow::Result<&'static registry::Check> {
    if let Some(c) = registry::find(id) {
        return Ok(c);
    }
    if let Some((_, slug)) = registry::RESERVED.iter().find(|(i, s)| i.eq_ignore_ascii_case(id) || *s == id) {
        anyhow::bail!("`{id}` ({slug}) is reserved in the catalog but not implemented in this version");
    }
    anyhow::bail!("`{id}` is not a wasmdoctor check ID (see `wasmdoctor list`)")
}

/// A yes/no question on the terminal; anything but `y`/`yes` is no.
fn ask(question: &str) -> anyhow::Result<bool> {
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).context("reading the answer")?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// A facts file of this build's schema or an older one (fields are only ever added).
fn load_facts(path: &std::path::Path) -> anyhow::Result<Facts> {
    let text =
        collect::local::read_to_string(path).with_context(|| format!("reading facts file {}", path.display()))?;
    let malformed = |e: serde_json::Error| {
        anyhow::anyhow!("{}:{}:{}: not a wasmdoctor facts file: {e}", path.display(), e.line(), e.column())
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(malformed)?;
    let version = value.get("schema_version").and_then(serde_json::Value::as_u64).unwrap_or(0);
    if version > u64::from(facts::FACTS_SCHEMA_VERSION) {
        anyhow::bail!(
            "{}: facts schema version {version} was written by a newer wasmdoctor; this one reads up to version {}",
            path.display(),
            facts::FACTS_SCHEMA_VERSION
        );
    }
    serde_json::from_str(&text).map_err(malformed)
}

fn explain(id: &str) -> anyhow::Result<ExitStatus> {
    let Some(e) = catalog::entry(id) else {
        implemented(id)?;
        anyhow::bail!("`{id}` has no catalog entry");
    };
    write_stdout(&catalog::explain(e))?;
    Ok(ExitStatus::Clean)
}

fn list(json: bool) -> anyhow::Result<ExitStatus> {
    let entries = catalog::entries();
    let out = if json {
        let rows: Vec<_> = entries
            .iter()
            .map(|e| serde_json::json!({"id": e.id, "slug": e.slug, "category": e.category, "title": e.title}))
            .collect();
        serde_json::to_string_pretty(&rows)? + "\n"
    } else {
        let w = entries.iter().map(|e| e.slug.len()).max().unwrap_or(0);
        entries.iter().map(|e| format!("{}  {:w$}  {:10}  {}\n", e.id, e.slug, e.category.as_str(), e.title)).collect()
    };
    write_stdout(&out)?;
    Ok(ExitStatus::Clean)
}

/// Write a file only its owner can read (facts hold pod logs and config excerpts), replacing it
/// atomically.
/// Write `text` to `path` whole or not at all: a temporary file beside it (mode `mode`), synced, then
/// renamed over it.
fn write_atomic(path: &std::path::Path, text: &str, mode: u32) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.wasmdoctor-tmp-{}", std::process::id()));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Write to stdout; a closed pipe (`wasmdoctor | head`) is not an error.
fn write_stdout(s: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing to stdout"),
    }
}
