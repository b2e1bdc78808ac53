//! The interactive TUI (ratatui + crossterm): the first frame before any source answers, results
//! streaming in as each check's sources arrive. The loop owns the state and waits on one channel:
//! keys (from a reader thread), source arrivals (from the collectors' threads) and fix progress
//! (from the fix worker's threads) all come in as messages, and a tick turns the spinner.

pub mod action;
mod background;
pub mod keymap;
pub mod nodes;
pub mod state;
pub mod update;
mod update_nodes;
pub mod view;

use std::io::IsTerminal;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event, KeyEvent, KeyEventKind};

use crate::collect::{Arrival, CollectOptions, Collection};
use crate::engine::{self, Selection};
use crate::exit::{ExitStatus, FailOn};
use crate::facts::{Fact, Missing, MissingKind, SourceKind};
use crate::fix::execute::Approval;
use crate::fix::session::Session;
use crate::plan::{Applicability, Plan};
use crate::policy::Policy;
use crate::registry::CHECKS;
use crate::report::{CheckResult, Report};
use action::{Action, Effect};
use state::AppState;
use update::update;

/// How often the spinner turns.
const TICK: Duration = Duration::from_millis(80);

/// Whether bare `wasmdoctor` should open the TUI: both ends are a terminal.
pub fn wanted() -> bool {
    std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
}

/// What a smoke run found, for the facts of its check.
enum SmokeDone {
    Node(Fact<Vec<crate::facts::SmokeRun>>),
    Cluster(Fact<crate::facts::ClusterSmoke>),
}

/// Everything the loop waits for.
enum Msg {
    Key(KeyEvent),
    Resize,
    /// A source of collection run `generation` arrived (a re-run's arrivals replace an older run's).
    Arrived(u64, Box<Arrival>),
    Fix(FixMsg),
    /// The smoke run's progress, then its facts.
    SmokeProgress(String),
    SmokeDone(Box<SmokeDone>),
    /// SIGTERM, SIGHUP or SIGQUIT: leave as `q` does, restoring the terminal.
    Signal,
}

enum FixMsg {
    Planned(String, Box<Session>, Result<Box<Plan>, String>),
    Progress(String),
    Done(bool),
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
    let today = crate::rules::time::today();
    let (tx, rx) = mpsc::channel::<Msg>();
    if let Err(e) = read_keys(tx.clone()).and_then(|()| watch_signals(tx.clone())) {
        ratatui::restore();
        anyhow::bail!("cannot start the terminal UI: {e}");
    }
    let mut generation = 0;
    let mut collection = start_collection(opts, &tx, generation);
    let mut fixes = FixWorker { opts: opts.clone(), policy: policy.clone(), tx: tx.clone(), wanted: None, shown: None };
    let mut smoke = SmokeWorker::default();
    update_header(&mut state, &collection);
    let mut next_tick = Instant::now() + TICK;
    let mut signalled = false;
    let result = (|| -> anyhow::Result<()> {
        loop {
            state.page = terminal.size().map(|s| s.height.saturating_sub(6) as usize).unwrap_or(10).max(1);
            terminal.draw(|f| view::render(f, &state, theme, &keys))?;
            let now = Instant::now();
            let wake = next_tick.min(collection.deadline().max(now));
            match rx.recv_timeout(wake.saturating_duration_since(now)) {
                Ok(Msg::Key(k)) => {
                    let effect = keys.action(k, state.typing()).and_then(|a| update(&mut state, a));
                    match effect {
                        Some(Effect::Rerun) => {
                            generation += 1;
                            collection = start_collection(opts, &tx, generation);
                        }
                        Some(Effect::PlanFix(id)) => fixes.plan(id, &collection.facts),
                        Some(Effect::ApplyFix { restart }) => fixes.apply(restart),
                        Some(Effect::Smoke(target)) => smoke.start(opts, policy, &collection.facts, target, &tx),
                        None => {}
                    }
                }
                Ok(Msg::Resize) => {}
                Ok(Msg::SmokeProgress(line)) => {
                    update(&mut state, Action::SmokeProgress(line));
                }
                Ok(Msg::SmokeDone(done)) => {
                    let id = match *done {
                        SmokeDone::Node(fact) => {
                            collection.facts.node_smoke = fact;
                            "WD109"
                        }
                        SmokeDone::Cluster(fact) => {
                            collection.facts.cluster_smoke = fact;
                            "WD311"
                        }
                    };
                    if let Some(check) = CHECKS.iter().find(|c| c.id == id) {
                        let r = engine::evaluate_check(check, &collection.facts, policy, &today).result;
                        update(&mut state, Action::CheckDone(Box::new(r)));
                    }
                }
                // A fix stops for nothing halfway (its journal would say more than was done): the
                // signal ends the loop once the fix is done.
                Ok(Msg::Signal) if matches!(state.fix, Some(state::FixStage::Running { .. })) => {
                    signalled = true;
                    update(
                        &mut state,
                        Action::FixProgress("signal received: exiting once this fix has finished".into()),
                    );
                }
                Ok(Msg::Signal) => return Ok(()),
                Ok(Msg::Arrived(g, arrival)) if g == generation => {
                    let kind = collection.arrive(*arrival);
                    source_done(&mut state, &collection, kind, policy, &today, &ids);
                }
                Ok(Msg::Arrived(..)) => {}
                Ok(Msg::Fix(msg)) => {
                    if let Some(action) = fixes.receive(msg) {
                        update(&mut state, action);
                    }
                    if signalled && !matches!(state.fix, Some(state::FixStage::Running { .. })) {
                        return Ok(());
                    }
                }
                // The loop holds a sender itself, so the channel never disconnects.
                Err(mpsc::RecvTimeoutError::Timeout | mpsc::RecvTimeoutError::Disconnected) => {}
            }
            while let Some(kind) = collection.expire(Instant::now()) {
                source_done(&mut state, &collection, kind, policy, &today, &ids);
            }
            if Instant::now() >= next_tick {
                update(&mut state, Action::Tick);
                next_tick = Instant::now() + TICK;
            }
            if state.quit {
                return Ok(());
            }
        }
    })();
    // A smoke run still going is stopped and deletes what it created before wasmdoctor exits.
    smoke.finish();
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

/// Keys and resizes, read on a thread of their own and sent to the loop.
fn read_keys(tx: mpsc::Sender<Msg>) -> std::io::Result<()> {
    std::thread::Builder::new().name("tui-keys".into()).spawn(move || {
        loop {
            let msg = match event::read() {
                Ok(Event::Key(k)) if k.kind == KeyEventKind::Press => Msg::Key(k),
                Ok(Event::Resize(..)) => Msg::Resize,
                Ok(_) => continue,
                Err(_) => return,
            };
            if tx.send(msg).is_err() {
                return;
            }
        }
    })?;
    Ok(())
}

/// SIGTERM, SIGHUP and SIGQUIT end the loop like `q`, so that the terminal is restored (raw mode
/// off, the main screen back) rather than left as the TUI had it.
fn watch_signals(tx: mpsc::Sender<Msg>) -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGQUIT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGQUIT])?;
    std::thread::Builder::new().name("tui-signals".into()).spawn(move || {
        if signals.forever().next().is_some() {
            let _ = tx.send(Msg::Signal);
        }
    })?;
    Ok(())
}

fn start_collection(opts: &CollectOptions, tx: &mpsc::Sender<Msg>, generation: u64) -> Collection {
    let tx = tx.clone();
    Collection::start(opts, move |arrival| {
        let _ = tx.send(Msg::Arrived(generation, Box::new(arrival)));
    })
}

/// Runs a smoke (WD109, WD311) on a thread of its own; its progress and result come back as
/// messages. Quitting stops it, and waits while it deletes what it created.
#[derive(Default)]
struct SmokeWorker {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    running: Option<std::thread::JoinHandle<()>>,
}

impl SmokeWorker {
    fn start(
        &mut self,
        opts: &CollectOptions,
        policy: &Policy,
        facts: &crate::facts::Facts,
        target: action::SmokeTarget,
        tx: &mpsc::Sender<Msg>,
    ) {
        let (opts, smoke, facts, tx) = (opts.clone(), policy.smoke.clone(), facts.clone(), tx.clone());
        let stop = std::sync::Arc::clone(&self.stop);
        self.running = Some(std::thread::spawn(move || {
            let say = |line: String| {
                let _ = tx.send(Msg::SmokeProgress(line));
            };
            let done = match target {
                action::SmokeTarget::Node => {
                    let options = crate::smoke::SmokeOptions { runtime: None, timeout: Duration::from_secs(60) };
                    SmokeDone::Node(crate::smoke::node(&opts, &facts, &options, &stop, &say))
                }
                action::SmokeTarget::Cluster { nodes } => {
                    let options = crate::smoke::cluster::Options {
                        cluster: opts.cluster_options(),
                        runtime_classes: Vec::new(),
                        nodes,
                        timeout: Duration::from_secs(300),
                        smoke,
                    };
                    SmokeDone::Cluster(crate::smoke::cluster::run(&options, &facts, &stop, &say))
                }
            };
            let _ = tx.send(Msg::SmokeDone(Box::new(done)));
        }));
    }

    fn finish(self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.running {
            let _ = t.join();
        }
    }
}

/// Plans and carries out fixes on worker threads, through a fix session; their answers come back
/// as messages. The plan being shown stays here, so what is applied is exactly what the user saw.
struct FixWorker {
    opts: CollectOptions,
    policy: Policy,
    tx: mpsc::Sender<Msg>,
    /// The check whose plan is awaited; an answer for another (closed meanwhile) is dropped.
    wanted: Option<String>,
    /// The session and the plan on screen.
    shown: Option<(Box<Session>, Box<Plan>)>,
}

impl FixWorker {
    fn plan(&mut self, id: String, facts: &crate::facts::Facts) {
        self.shown = None;
        self.wanted = Some(id.clone());
        let session = Box::new(Session::with_facts(&self.opts, &self.policy, facts.clone()));
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            let planned = session.plan(&id).map(Box::new).map_err(|e| e.to_string());
            let _ = tx.send(Msg::Fix(FixMsg::Planned(id, session, planned)));
        });
    }

    fn apply(&mut self, restart: bool) {
        let tx = self.tx.clone();
        let Some((mut session, plan)) = self.shown.take() else {
            let _ = tx.send(Msg::Fix(FixMsg::Progress("no plan to apply".into())));
            let _ = tx.send(Msg::Fix(FixMsg::Done(false)));
            return;
        };
        session.approve(*plan);
        std::thread::spawn(move || {
            let mut say = |line: String| {
                let _ = tx.send(Msg::Fix(FixMsg::Progress(line)));
            };
            let ok = session.execute(Approval { restart }, &mut say).iter().all(|e| e.ok);
            let _ = tx.send(Msg::Fix(FixMsg::Done(ok)));
        });
    }

    /// A worker's answer, as an action for the state.
    fn receive(&mut self, msg: FixMsg) -> Option<Action> {
        Some(match msg {
            FixMsg::Planned(id, _, _) if self.wanted.as_ref() != Some(&id) => return None,
            FixMsg::Planned(_, session, Ok(plan)) => {
                let shown = state::PlannedFix {
                    text: plan.render(),
                    manual: plan.applicability() == Applicability::ManualOnly,
                    noop: plan.is_noop(),
                    restart_service: plan.restart.as_ref().map(|r| r.service.clone()),
                    refused: plan.dry_run.iter().any(Result::is_err),
                };
                self.shown = Some((session, plan));
                Action::FixPlanned(Ok(shown))
            }
            FixMsg::Planned(_, _, Err(e)) => Action::FixPlanned(Err(e)),
            FixMsg::Progress(line) => Action::FixProgress(line),
            FixMsg::Done(ok) => Action::FixDone { ok },
        })
    }
}

fn update_header(state: &mut AppState, c: &Collection) {
    let node = match (&c.facts.node_name, &c.facts.node_name_unknown) {
        (Some(n), _) => n.clone(),
        (None, Some(why)) => format!("unknown node ({why})"),
        (None, None) => "unknown node".to_string(),
    };
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

/// The Nodes screen's fleet, from the cluster source just arrived.
fn fleet(c: &Collection) -> Result<crate::fleet::Fleet, String> {
    let cluster = match &c.facts.cluster {
        Fact::Collected(k) => k,
        Fact::Unavailable(m) => return Err(m.reason.clone()),
    };
    if let Fact::Unavailable(m) = &cluster.nodes {
        return Err(format!("the Nodes cannot be listed: {}", m.reason));
    }
    let now = crate::rules::time::epoch(&c.facts.collected_at).unwrap_or_default();
    Ok(crate::fleet::view(cluster, now))
}

/// A source is in (or timed out): show it, and run every check whose sources are now all in.
fn source_done(state: &mut AppState, c: &Collection, kind: SourceKind, policy: &Policy, today: &str, ids: &[&str]) {
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
    update_header(state, c);
    if kind == SourceKind::Cluster {
        update(state, Action::FleetArrived(Box::new(fleet(c))));
    }
    for check in CHECKS.iter().filter(|x| ids.contains(&x.id)) {
        let ready = check.waits_for().all(|s| !c.pending.contains(&s));
        let waiting = state.rows.iter().any(|r| r.id == check.id && r.result.is_none());
        if ready && waiting {
            let r = engine::evaluate_check(check, &c.facts, policy, today).result;
            update(state, Action::CheckDone(Box::new(r)));
        }
    }
}
