//! wasmdoctor: why won't a WebAssembly workload run on this node, and how to fix it.
//!
//! CLI → collectors (all I/O) → `Facts` → pure checks → `Report` → text | JSON.

pub mod catalog;
pub mod checks;
pub mod cli;
pub mod collect;
pub mod engine;
pub mod exit;
pub mod facts;
pub mod fix;
pub mod policy;
pub mod report;
pub mod ui;

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::Context;

use cli::{CheckArgs, Cli, Command, Format};
use exit::ExitStatus;
use facts::Facts;
use policy::Policy;

/// External binaries (`crun --version`, …) get this long at most.
const EXEC_TIMEOUT: Duration = Duration::from_secs(2);

/// Run the command line; errors that stop the tool are exit 2.
pub fn run(cli: Cli) -> ExitStatus {
    match dispatch(cli) {
        Ok(status) => status,
        Err(e) => {
            eprintln!("wasmdoctor: error: {e:#}");
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
        Some(Command::Collect { output }) => {
            let facts = collect(&cli);
            let json = serde_json::to_string_pretty(&facts).context("serializing the facts")? + "\n";
            if output.as_os_str() == "-" {
                write_stdout(&json)?;
            } else {
                std::fs::write(output, json).with_context(|| format!("writing {}", output.display()))?;
            }
            Ok(ExitStatus::Clean)
        }
        Some(Command::Check(args)) => check(&cli, args),
        Some(Command::Fix { ids, all, dry_run, yes, no_restart }) => {
            fix(&cli, ids, *all, FixMode { dry_run: *dry_run, yes: *yes, no_restart: *no_restart })
        }
        Some(Command::Undo) => {
            let host = collect::host::HostRoot::new(&g.host_root);
            let opts = collect_options(&cli);
            let set = fix::apply::undo(&host, &|objects| fix::cluster::revert(&opts, objects))?;
            for f in &set.files {
                let line = match &f.backup {
                    Some(b) => format!("restored `{}` from `{b}` ({} applied at {})\n", f.path, set.check, set.at),
                    None => format!("removed `{}` ({} created it at {})\n", f.path, set.check, set.at),
                };
                write_stdout(&line)?;
            }
            for o in &set.objects {
                let shown = match &o.namespace {
                    Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
                    None => format!("{} {}", o.kind, o.name),
                };
                let what = if o.created { "deleted" } else { "removed wasmdoctor's fields from" };
                write_stdout(&format!("{what} {shown} ({} applied at {})\n", set.check, set.at))?;
            }
            if !set.files.is_empty() {
                write_stdout("restart containerd (or the service that runs it) if the change had been loaded\n")?;
            }
            Ok(ExitStatus::Clean)
        }
        None if !g.json && ui::wanted() => {
            let policy = match &g.config {
                Some(path) => Policy::load(path)?,
                None => Policy::default(),
            };
            let selection = engine::Selection { only: g.only.clone(), skip: g.skip.clone() };
            ui::run(&collect_options(&cli), &policy, &selection, g.fail_on)
        }
        None => check(&cli, &CheckArgs::default()),
    }
}

fn check(cli: &Cli, args: &CheckArgs) -> anyhow::Result<ExitStatus> {
    let g = &cli.global;
    let policy = match &g.config {
        Some(path) => Policy::load(path)?,
        None => Policy::default(),
    };
    let facts = match &args.facts {
        Some(path) => load_facts(path)?,
        None => collect(cli),
    };
    let selection = engine::Selection { only: g.only.clone(), skip: g.skip.clone() };
    let report = engine::evaluate(&facts, &policy, &selection, &collect::today());
    let format = if g.json { Format::Json } else { args.format.unwrap_or(Format::Text) };
    let out = match format {
        Format::Json => report::json::render(&report),
        Format::Text => report::text::render(&report, report::text::Style::detect(std::io::stdout().is_terminal())),
    };
    write_stdout(&out)?;
    Ok(ExitStatus::for_report(&report, g.fail_on))
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
    let g = &cli.global;
    for id in ids {
        if !catalog::is_known_id(&id.to_ascii_uppercase()) {
            anyhow::bail!("`{id}` is not a wasmdoctor check ID (see `wasmdoctor list`)");
        }
    }
    if ids.is_empty() && !all {
        anyhow::bail!("name the checks to fix (`wasmdoctor fix WD204`) or use `--all`");
    }
    let policy = match &g.config {
        Some(path) => Policy::load(path)?,
        None => Policy::default(),
    };
    let opts = collect_options(cli);
    let executor = fix::execute::Executor::new(&opts, &policy);
    let facts = collect::collect(&opts);
    let report = engine::evaluate(&facts, &policy, &engine::Selection::default(), &collect::today());
    let wanted: Vec<String> = if all {
        report
            .checks
            .iter()
            .filter(|c| matches!(c.status, report::Status::Fail | report::Status::Warn))
            .map(|c| c.id.clone())
            .collect()
    } else {
        ids.iter().map(|i| i.to_ascii_uppercase()).collect()
    };
    let host = collect::host::HostRoot::new(&g.host_root);
    // Each plan is made on top of the ones approved before it: their edits are what it reads.
    let approved_edits: std::cell::RefCell<Vec<fix::FileEdit>> = std::cell::RefCell::new(Vec::new());
    let read = |p: &str| match approved_edits.borrow().iter().rev().find(|e| e.path == p) {
        Some(e) => Ok(e.after.clone()),
        None => host.read_to_string(p),
    };
    let input = fix::PlanInput { facts: &facts, policy: &policy, host_is_root: host.is_live(), read: &read };
    let interactive = std::io::stdin().is_terminal();
    let mut all_fixed = true;
    let mut approved: Vec<fix::Plan> = Vec::new();
    for id in &wanted {
        let result = report.checks.iter().find(|c| &c.id == id);
        match result.map(|c| c.status) {
            Some(report::Status::Pass) => {
                write_stdout(&format!("{id}: passes already, nothing to fix\n"))?;
                continue;
            }
            Some(report::Status::Skip) => {
                let why = result.map(|c| c.message.as_str()).unwrap_or_default();
                write_stdout(&format!("{id}: skipped here ({why}), nothing to fix\n"))?;
                continue;
            }
            _ => {}
        }
        let mut plan = match fix::plan(id, &input) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("wasmdoctor: {id}: cannot plan a fix: {e}");
                all_fixed = false;
                continue;
            }
        };
        executor.dry_run(&mut plan);
        write_stdout(&plan.render())?;
        if plan.applicability() == fix::Applicability::ManualOnly {
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
        approved_edits.borrow_mut().extend(plan.edits.iter().cloned());
        approved.push(plan);
    }
    if approved.is_empty() {
        return Ok(if all_fixed { ExitStatus::Clean } else { ExitStatus::Findings });
    }
    // One restart for all the approved edits.
    let mut approval = fix::execute::Approval { restart: !mode.no_restart };
    if let Some(step) = approved.iter().find_map(|p| p.restart.as_ref()).filter(|_| approval.restart && !mode.yes) {
        approval.restart = ask(&format!("restart `{}` now (`{}`)?", step.service, step.shown()))?;
    }
    let mut say = |line: String| {
        let _ = write_stdout(&format!("{line}\n"));
    };
    let plans: Vec<&fix::Plan> = approved.iter().collect();
    for outcome in executor.execute_all(&plans, approval, &mut say) {
        all_fixed &= outcome.ok;
    }
    Ok(if all_fixed { ExitStatus::Clean } else { ExitStatus::Findings })
}

/// A yes/no question on the terminal; anything but `y`/`yes` is no.
fn ask(question: &str) -> anyhow::Result<bool> {
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).context("reading the answer")?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

fn load_facts(path: &std::path::Path) -> anyhow::Result<Facts> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading facts file {}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!("{}:{}:{}: not a wasmdoctor facts file: {e}", path.display(), e.line(), e.column())
    })
}

fn explain(id: &str) -> anyhow::Result<ExitStatus> {
    if let Some(e) = catalog::entry(id) {
        write_stdout(&catalog::explain(e))?;
        return Ok(ExitStatus::Clean);
    }
    let upper = id.to_ascii_uppercase();
    if let Some((_, slug)) = catalog::ALL_IDS.iter().find(|(i, s)| *i == upper || *s == id) {
        anyhow::bail!("`{id}` ({slug}) is reserved in the catalog but not implemented in this version");
    }
    anyhow::bail!("`{id}` is not a wasmdoctor check ID (see `wasmdoctor list`)")
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

/// Write to stdout; a closed pipe (`wasmdoctor | head`) is not an error.
fn write_stdout(s: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing to stdout"),
    }
}
