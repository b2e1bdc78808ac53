//! What changes the TUI's state whatever screen or overlay is open: ticks, sources and results
//! arriving, the fleet, the smoke run's progress.

use super::action::{Action, Effect};
use super::state::{AppState, SourceProgress};

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
            if result.id == "WD109" {
                state.smoke = None;
            }
            if let Some(row) = state.rows.iter_mut().find(|r| r.id == result.id) {
                row.result = Some(*result);
            }
            if state.moved { state.reselect() } else { state.move_to(0) }
        }
        Action::FleetArrived(fleet) => state.nodes.arrive(*fleet),
        Action::SmokeProgress(line) => state.smoke.get_or_insert_with(Vec::new).push(line),
        _ => {}
    }
    None
}
