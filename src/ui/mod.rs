//! The interactive TUI (ratatui + crossterm): the first frame before any source answers, results
//! streaming in as each check's sources arrive. The loop owns the state; collection runs on its
//! own threads and reports through `Collection::next`.

pub mod keymap;
pub mod state;
pub mod view;

use std::io::IsTerminal;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event, KeyEventKind};

use crate::checks::CHECKS;
use crate::collect::{CollectOptions, Collection, SourceKind};
use crate::engine::{self, Selection};
use crate::exit::{ExitStatus, FailOn};
use crate::facts::{Fact, Missing, MissingKind};
use crate::policy::Policy;
use crate::report::{CheckResult, Report};
use state::{Action, AppState, Effect, update};

/// How often the spinner turns and the collectors are polled.
const TICK: Duration = Duration::from_millis(80);

/// Whether bare `wasmdoctor` should open the TUI: both ends are a terminal.
pub fn wanted() -> bool {
    std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
}

pub fn run(
    opts: &CollectOptions,
    policy: &Policy,
    selection: &Selection,
    fail_on: FailOn,
) -> anyhow::Result<ExitStatus> {
    let keys = keymap::KeyMap::new(&policy.keys).map_err(|e| anyhow::anyhow!("policy file: {e}"))?;
    let style = crate::report::text::Style::detect(true);
    let theme = view::Theme { color: style.color, unicode: style.unicode };
    let ids: Vec<&str> = CHECKS.iter().filter(|c| selection.includes(c.id)).map(|c| c.id).collect();
    let header = format!(
        "wasmdoctor {} · host root {} · {}",
        env!("CARGO_PKG_VERSION"),
        opts.host_root.display(),
        opts.context.as_deref().map(|c| format!("context {c}")).unwrap_or_else(|| "current kube context".into())
    );
    let sources = [("node", opts.node), ("containerd", opts.node), ("docker", opts.docker), ("cluster", opts.cluster)];
    let mut state = AppState::new(header, &ids, &sources);
    let mut terminal = ratatui::try_init().map_err(|e| anyhow::anyhow!("cannot start the terminal UI: {e}"))?;
    let today = crate::collect::today();
    let mut collection = Collection::start(opts);
    let mut fixes = FixWorker::new(opts, policy);
    update_header(&mut state, &collection);
    let mut last_tick = Instant::now();
    let result = (|| -> anyhow::Result<()> {
        loop {
            state.page = terminal.size().map(|s| s.height.saturating_sub(6) as usize).unwrap_or(10).max(1);
            terminal.draw(|f| view::render(f, &state, theme, &keys))?;
            // Sources that arrived since the last frame, and the checks they complete.
            while let Some(kind) = collection.next(Duration::ZERO) {
                source_done(&mut state, &collection, kind);
                update_header(&mut state, &collection);
                for c in CHECKS.iter().filter(|c| ids.contains(&c.id)) {
                    let ready = c.needs.iter().all(|n| !collection.pending.contains(n));
                    let waiting = state.rows.iter().any(|r| r.id == c.id && r.result.is_none());
                    if ready && waiting {
                        let r = engine::evaluate_check(c, &collection.facts, policy, &today);
                        update(&mut state, Action::CheckDone(Box::new(r)));
                    }
                }
            }
            if event::poll(TICK.saturating_sub(last_tick.elapsed()))? {
                match event::read()? {
                    Event::Key(k) if k.kind == KeyEventKind::Press => {
                        let effect = keys.action(k, state.typing()).and_then(|a| update(&mut state, a));
                        match effect {
                            Some(Effect::Rerun) => collection = Collection::start(opts),
                            Some(Effect::PlanFix(id)) => fixes.plan(id, &collection.facts),
                            Some(Effect::ApplyFix { restart }) => fixes.apply(restart),
                            None => {}
                        }
                    }
                    _ => {}
                }
            }
            while let Some(action) = fixes.next() {
                update(&mut state, action);
            }
            if last_tick.elapsed() >= TICK {
                update(&mut state, Action::Tick);
                last_tick = Instant::now();
            }
            if state.quit {
                return Ok(());
            }
        }
    })();
    ratatui::restore();
    result?;
    let checks: Vec<CheckResult> = state.rows.iter().filter_map(|r| r.result.clone()).collect();
    let report: Report = engine::report(&collection.facts, checks);
    let s = &report.summary;
    println!(
        "wasmdoctor: {} passed, {} warnings, {} failed, {} skipped, {} errors{}",
        s.pass,
        s.warn,
        s.fail,
        s.skip,
        s.error,
        if state.running() > 0 { format!(", {} still running when you quit", state.running()) } else { String::new() }
    );
    Ok(ExitStatus::for_report(&report, fail_on))
}

/// Plans and carries out fixes on worker threads; their answers come back as actions. The plan
/// being shown stays here, so what is applied is exactly what the user saw.
struct FixWorker {
    opts: CollectOptions,
    policy: Policy,
    plan: Option<crate::fix::Plan>,
    /// The check whose plan is awaited; an answer for another (closed meanwhile) is dropped.
    wanted: Option<String>,
    tx: mpsc::Sender<FixMsg>,
    rx: mpsc::Receiver<FixMsg>,
}

enum FixMsg {
    Planned(String, Result<Box<crate::fix::Plan>, String>),
    Progress(String),
    Done(bool),
}

impl FixWorker {
    fn new(opts: &CollectOptions, policy: &Policy) -> FixWorker {
        let (tx, rx) = mpsc::channel();
        FixWorker { opts: opts.clone(), policy: policy.clone(), plan: None, wanted: None, tx, rx }
    }

    fn plan(&mut self, id: String, facts: &crate::facts::Facts) {
        self.plan = None;
        self.wanted = Some(id.clone());
        let (opts, policy, facts, tx) = (self.opts.clone(), self.policy.clone(), facts.clone(), self.tx.clone());
        std::thread::spawn(move || {
            let host = crate::collect::host::HostRoot::new(&opts.host_root);
            let read = |p: &str| host.read_to_string(p);
            let input =
                crate::fix::PlanInput { facts: &facts, policy: &policy, host_is_root: host.is_live(), read: &read };
            let planned = crate::fix::plan(&id, &input).map_err(|e| e.to_string()).map(|mut p| {
                crate::fix::execute::Executor::new(&opts, &policy).dry_run(&mut p);
                Box::new(p)
            });
            let _ = tx.send(FixMsg::Planned(id, planned));
        });
    }

    fn apply(&mut self, restart: bool) {
        let Some(plan) = self.plan.clone() else {
            let _ = self.tx.send(FixMsg::Progress("no plan to apply".into()));
            let _ = self.tx.send(FixMsg::Done(false));
            return;
        };
        let (opts, policy, tx) = (self.opts.clone(), self.policy.clone(), self.tx.clone());
        std::thread::spawn(move || {
            let executor = crate::fix::execute::Executor::new(&opts, &policy);
            let mut say = |line: String| {
                let _ = tx.send(FixMsg::Progress(line));
            };
            let outcome = executor.execute(&plan, crate::fix::execute::Approval { restart }, &mut say);
            let _ = tx.send(FixMsg::Done(outcome.ok));
        });
    }

    /// The next answer from a worker, as an action for the state.
    fn next(&mut self) -> Option<Action> {
        let msg = loop {
            match self.rx.try_recv().ok()? {
                FixMsg::Planned(id, _) if self.wanted.as_ref() != Some(&id) => continue,
                FixMsg::Planned(_, planned) => break FixMsg::Planned(String::new(), planned),
                other => break other,
            }
        };
        Some(match msg {
            FixMsg::Planned(_, Ok(plan)) => {
                let shown = state::PlannedFix {
                    text: plan.render(),
                    manual: plan.applicability() == crate::fix::Applicability::ManualOnly,
                    noop: plan.is_noop(),
                    restart_service: plan.restart.as_ref().map(|r| r.service.clone()),
                    refused: plan.dry_run.iter().any(Result::is_err),
                };
                self.plan = Some(*plan);
                Action::FixPlanned(Ok(shown))
            }
            FixMsg::Planned(_, Err(e)) => Action::FixPlanned(Err(e)),
            FixMsg::Progress(line) => Action::FixProgress(line),
            FixMsg::Done(ok) => Action::FixDone { ok },
        })
    }
}

fn update_header(state: &mut AppState, c: &Collection) {
    let node = c.facts.node_name.as_deref().unwrap_or("unknown node");
    let context = c
        .facts
        .cluster
        .collected()
        .map(|k| {
            format!("context {} ({})", k.context.as_deref().unwrap_or("in-cluster"), k.server.as_deref().unwrap_or("?"))
        })
        .unwrap_or_else(|| "cluster: waiting".into());
    let context = if c.pending.contains(&SourceKind::Cluster) || c.facts.cluster.collected().is_some() {
        context
    } else {
        "cluster: not available".into()
    };
    state.header =
        format!("wasmdoctor {} · node {node} · host root {} · {context}", env!("CARGO_PKG_VERSION"), c.facts.host_root);
}

fn source_done(state: &mut AppState, c: &Collection, kind: SourceKind) {
    fn problem<T>(f: &Fact<T>) -> (Option<String>, bool) {
        match f {
            Fact::Collected(_) => (None, false),
            Fact::Unavailable(Missing { kind, reason }) => (Some(reason.clone()), *kind == MissingKind::NotRequested),
        }
    }
    let (problem, left_out) = match kind {
        SourceKind::Node => problem(&c.facts.node),
        SourceKind::Containerd => problem(&c.facts.containerd),
        SourceKind::Docker => problem(&c.facts.docker),
        SourceKind::Cluster => problem(&c.facts.cluster),
    };
    update(state, Action::SourceDone { name: kind.name().to_string(), problem, left_out });
}
