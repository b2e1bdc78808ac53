//! The Nodes screen's state: the fleet as the cluster source shows it (every node's `WasmReady`,
//! handlers, labels, RuntimeClasses) and the node selected. It arrives with the cluster source and
//! is cleared by a re-run.

use super::action::{Action, Effect};
use super::state::{AppState, Focus, Overlay, Screen};
use crate::fleet::{Fleet, NodeRow};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum FleetState {
    /// The cluster source has not answered yet.
    #[default]
    Pending,
    /// The cluster could not be read (or was left out): why.
    Unavailable(String),
    Ready(Fleet),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodesState {
    pub fleet: FleetState,
    /// The selected node's name (the list is re-sorted as facts arrive; the name stays).
    pub selected: Option<String>,
}

impl NodesState {
    pub fn rows(&self) -> &[NodeRow] {
        match &self.fleet {
            FleetState::Ready(f) => &f.nodes,
            _ => &[],
        }
    }

    pub fn selected_row(&self) -> Option<&NodeRow> {
        let name = self.selected.as_ref()?;
        self.rows().iter().find(|r| &r.name == name)
    }

    pub fn selected_index(&self) -> Option<usize> {
        let name = self.selected.as_ref()?;
        self.rows().iter().position(|r| &r.name == name)
    }

    /// A new fleet: keep the selected node when it is still there, else the first (the worst).
    pub fn arrive(&mut self, fleet: Result<Fleet, String>) {
        self.fleet = match fleet {
            Ok(f) => FleetState::Ready(f),
            Err(why) => FleetState::Unavailable(why),
        };
        if self.selected_index().is_none() {
            self.selected = self.rows().first().map(|r| r.name.clone());
        }
    }

    pub fn move_to(&mut self, index: isize) {
        let rows = self.rows();
        if rows.is_empty() {
            self.selected = None;
            return;
        }
        let i = index.clamp(0, rows.len() as isize - 1) as usize;
        self.selected = Some(rows[i].name.clone());
    }

    pub fn move_by(&mut self, delta: isize) {
        let current = self.selected_index().map(|i| i as isize).unwrap_or(0);
        self.move_to(current + delta);
    }

    pub fn reset(&mut self) {
        self.fleet = FleetState::Pending;
    }
}

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
        Action::Rerun => {
            state.reset();
            return Some(Effect::Rerun);
        }
        Action::Close | Action::Quit => state.quit = true,
        a if a.is_background() => return super::update::apply_background(state, a),
        _ => {}
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, verdict: &'static str) -> NodeRow {
        NodeRow {
            name: name.into(),
            verdict,
            wasm_ready: None,
            reason: None,
            message: None,
            heartbeat_age_seconds: None,
            failing: vec![],
            handlers: None,
            container_runtime: None,
            installer_labels: vec![],
            runtime_classes: vec![],
        }
    }

    #[test]
    fn the_selection_follows_the_node_across_arrivals() {
        let mut n = NodesState::default();
        assert_eq!(n.selected_row(), None);
        n.arrive(Ok(Fleet { nodes: vec![row("a", "not-ready"), row("b", "ready")], with_agent: 0 }));
        assert_eq!(n.selected.as_deref(), Some("a"), "the worst node first");
        n.move_by(5);
        assert_eq!(n.selected.as_deref(), Some("b"), "clamped");
        n.reset();
        n.arrive(Ok(Fleet { nodes: vec![row("c", "not-ready"), row("b", "ready")], with_agent: 0 }));
        assert_eq!(n.selected.as_deref(), Some("b"), "still there: kept");
        n.arrive(Err("no kubeconfig".into()));
        assert_eq!(n.selected_row(), None);
        assert_eq!(n.fleet, FleetState::Unavailable("no kubeconfig".into()));
    }
}
