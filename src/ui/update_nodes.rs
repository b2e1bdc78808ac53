//! The update function of the Nodes screen (see `update` for the checks').

use super::action::{Action, Effect, SmokeTarget};
use super::background::{apply_background, begin_smoke};
use super::state::{AppState, Focus, Overlay, Screen};

/// The Nodes screen: the list moves between nodes (the detail pane scrolls when focused); `e`
/// explains the selected node's first failing check; what belongs to this node's checks (filters,
/// fixes) does nothing here.
pub(super) fn update(state: &mut AppState, action: Action) -> Option<Effect> {
    let list = state.focus == Focus::List;
    let moved = match action {
        Action::Up if list => Some(-1),
        Action::Down if list => Some(1),
        Action::PageUp if list => Some(-(state.page as isize)),
        Action::PageDown if list => Some(state.page as isize),
        Action::Home if list => Some(isize::MIN / 2),
        Action::End if list => Some(isize::MAX / 2),
        _ => None,
    };
    if let Some(delta) = moved {
        state.nodes.move_by(delta);
        state.detail_scroll = 0;
        return None;
    }
    match action {
        Action::Up => state.detail_scroll = state.detail_scroll.saturating_sub(1),
        Action::Down => state.detail_scroll = state.detail_scroll.saturating_add(1),
        Action::PageUp => state.detail_scroll = state.detail_scroll.saturating_sub(state.page as u16),
        Action::PageDown => state.detail_scroll = state.detail_scroll.saturating_add(state.page as u16),
        Action::FocusNext => state.focus = if list { Focus::Detail } else { Focus::List },
        Action::SwitchScreen => {
            state.screen = Screen::Checks;
            state.detail_scroll = 0;
        }
        Action::Explain => {
            if let Some(id) = state.nodes.selected_row().and_then(|r| r.failing.first()).cloned() {
                state.overlay = Overlay::Explain(id);
                state.detail_scroll = 0;
            }
        }
        Action::Help => state.overlay = Overlay::Help,
        // The cluster's smoke on the selected node: a Job per Wasm RuntimeClass that can run there.
        Action::Smoke => {
            let node = state.nodes.selected.clone()?;
            return begin_smoke(state, SmokeTarget::Cluster { nodes: vec![node] });
        }
        Action::Rerun => {
            state.reset();
            return Some(Effect::Rerun);
        }
        Action::Close | Action::Quit => state.quit = true,
        a if a.is_background() => return apply_background(state, a),
        _ => {}
    }
    None
}
