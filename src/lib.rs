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
        Some(Command::Fix { ids, all, dry_run, yes }) => fix(&cli, ids, *all, *dry_run, *yes),
        Some(Command::Undo) => {
            let host = collect::host::HostRoot::new(&g.host_root);
            let set = fix::apply::undo(&host)?;
            for f in &set.files {
                write_stdout(&format!(
                    "restored `{}` from `{}` ({} applied at {})\n",
                    f.path, f.backup, set.check, set.at
                ))?;
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

/// `wasmdoctor fix`: plan, show, confirm (or `--yes`), apply, re-check.
fn fix(cli: &Cli, ids: &[String], all: bool, dry_run: bool, yes: bool) -> anyhow::Result<ExitStatus> {
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
    let host = collect::host::HostRoot::new(&g.host_root);
    let facts = collect(cli);
    let selection = engine::Selection::default();
    let report = engine::evaluate(&facts, &policy, &selection, &collect::today());
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
    let read = |p: &str| host.read_to_string(p);
    let interactive = std::io::stdin().is_terminal();
    let mut all_fixed = true;
    for id in &wanted {
        let status = report.checks.iter().find(|c| &c.id == id).map(|c| c.status);
        if status == Some(report::Status::Pass) {
            write_stdout(&format!("{id}: passes already, nothing to fix\n"))?;
            continue;
        }
        let plan = fix::plan(id, &facts, &read)?;
        write_stdout(&plan.render())?;
        if plan.applicability == fix::Applicability::ManualOnly {
            all_fixed = false;
            continue;
        }
        if plan.is_noop() {
            write_stdout(&format!("{id}: nothing to change\n"))?;
            continue;
        }
        if dry_run {
            write_stdout("--dry-run: nothing was changed\n")?;
            continue;
        }
        if !yes {
            if !interactive {
                write_stdout("not applied: no terminal to confirm on; run again with --yes to apply the plan shown\n")?;
                continue;
            }
            eprint!("apply this plan to the files shown? [y/N] ");
            let mut answer = String::new();
            std::io::stdin().read_line(&mut answer).context("reading the answer")?;
            if !matches!(answer.trim(), "y" | "Y" | "yes") {
                write_stdout("not applied\n")?;
                all_fixed = false;
                continue;
            }
        }
        match fix::apply::apply(&plan, &host, std::time::SystemTime::now()) {
            Ok(set) => {
                for f in &set.files {
                    write_stdout(&format!(
                        "changed `{}` (backup `{}`; `wasmdoctor undo` restores it)\n",
                        f.path, f.backup
                    ))?;
                }
                let after = collect(cli);
                let recheck = engine::evaluate(
                    &after,
                    &policy,
                    &engine::Selection { only: vec![id.clone()], skip: vec![] },
                    &collect::today(),
                );
                if let Some(c) = recheck.checks.first() {
                    write_stdout(&format!("{id} now: {}: {}\n", c.status.as_str(), c.message))?;
                    all_fixed &= c.status == report::Status::Pass;
                }
            }
            Err(e) => {
                eprintln!("wasmdoctor: {id}: {e}");
                all_fixed = false;
            }
        }
    }
    Ok(if all_fixed { ExitStatus::Clean } else { ExitStatus::Findings })
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
