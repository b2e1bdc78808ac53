//! The Nodes screen's state: the fleet as the cluster source shows it (every node's `WasmReady`,
//! handlers, labels, RuntimeClasses) and the node selected. It arrives with the cluster source and
//! is cleared by a re-run.

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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, verdict: &'static str) -> NodeRow {
        NodeRow::bare(name, verdict)
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
