//! What changes the TUI's state whatever screen or overlay is open: ticks, sources and results
//! arriving, the fleet, a smoke run's start (from either screen) and progress.

use super::action::{Action, Effect, SmokeTarget};
use super::state::{AppState, RunningSmoke, Screen, SourceProgress};

/// Results and ticks change the state whatever the mode.
pub(super) fn apply_background(state: &mut AppState, action: Action) -> Option<Effect> {
    match action {
        Action::Tick => state.tick = state.tick.wrapping_add(1),
        Action::SourceDone { name, problem, left_out } => {
            if let Some((_, s)) = state.sources.iter_mut().find(|(n, _)| *n == name) {
                *s = match (problem, left_out) {
                    (Some(p), true) => SourceProgress::LeftOut(p),
                    (Some(p), false) => SourceProgress::Unavailable(p),
                    (None, _) => SourceProgress::Ok,
                };
            }
        }
        Action::CheckDone(result) => {
            if state.smoke.as_ref().is_some_and(|s| s.check == result.id) {
                state.smoke = None;
            }
            if let Some(row) = state.rows.iter_mut().find(|r| r.id == result.id) {
                row.result = Some(*result);
            }
            if state.moved { state.reselect() } else { state.move_to(0) }
        }
        Action::FleetArrived(fleet) => state.nodes.arrive(*fleet),
        Action::SmokeProgress(line) => {
            if let Some(s) = state.smoke.as_mut() {
                s.lines.push(line);
            }
        }
        _ => {}
    }
    None
}

/// The smoke's check shows as running and is selected, on the checks screen; the loop runs it.
/// Not while a smoke runs, nor before the sources it needs are in (containerd's runtimes; the
/// cluster's RuntimeClasses and Nodes).
pub(super) fn begin_smoke(state: &mut AppState, target: SmokeTarget) -> Option<Effect> {
    let check = target.check();
    if state.smoke.is_some() || !state.rows.iter().any(|r| r.id == check) {
        return None;
    }
    let needs: &[&str] = match target {
        SmokeTarget::Node => &["node", "containerd"],
        SmokeTarget::Cluster { .. } => &["cluster"],
    };
    if state.sources.iter().any(|(name, s)| needs.contains(&name.as_str()) && *s == SourceProgress::Pending) {
        return None;
    }
    if let Some(row) = state.rows.iter_mut().find(|r| r.id == check) {
        row.result = None;
    }
    state.smoke = Some(RunningSmoke { check, lines: Vec::new() });
    state.screen = Screen::Checks;
    state.selected = Some(check.into());
    state.moved = true;
    state.detail_scroll = 0;
    Some(Effect::Smoke(target))
}
