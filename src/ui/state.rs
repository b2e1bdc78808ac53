//! The TUI's state (TEA's model): the checks' rows, the selection, filters, overlays and the fix
//! preview. `update` changes it; the views read it. No I/O here.

use std::collections::BTreeMap;

use super::nodes::NodesState;
use crate::catalog;
use crate::report::{Category, CheckResult, Status};

/// A plan as the fix preview shows it (the plan itself stays with the loop that runs it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFix {
    pub text: String,
    pub manual: bool,
    pub noop: bool,
    /// The service the plan restarts, which the user types to confirm.
    pub restart_service: Option<String>,
    /// The API server refused the dry-run of one of its objects: nothing can be applied.
    pub refused: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixStage {
    Planning,
    PlanFailed(String),
    Planned(PlannedFix),
    /// Typing the service's name to approve the restart.
    Confirm {
        plan: PlannedFix,
        typed: String,
    },
    Running {
        log: Vec<String>,
    },
    Done {
        log: Vec<String>,
        ok: bool,
    },
}

/// What the main area shows: this node's checks, or every node of the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Checks,
    Nodes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List,
    Detail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help,
    Explain(String),
    Fix(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceProgress {
    Pending,
    Ok,
    Unavailable(String),
    LeftOut(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub slug: String,
    pub category: Category,
    pub title: String,
    /// `None` while the check waits for its sources.
    pub result: Option<CheckResult>,
}

impl Row {
    fn rank(&self) -> u8 {
        match self.result.as_ref().map(|r| r.status) {
            Some(Status::Fail) => 0,
            Some(Status::Error) => 1,
            Some(Status::Warn) => 2,
            None => 3,
            Some(Status::Skip) => 4,
            Some(Status::Pass) => 5,
        }
    }

    fn matches(&self, text: &str) -> bool {
        if text.is_empty() {
            return true;
        }
        let t = text.to_lowercase();
        let msg = self.result.as_ref().map(|r| r.message.to_lowercase()).unwrap_or_default();
        self.id.to_lowercase().contains(&t)
            || self.slug.contains(&t)
            || self.title.to_lowercase().contains(&t)
            || msg.contains(&t)
    }
}

/// A smoke run going on: the check it decides, and its progress so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningSmoke {
    pub check: &'static str,
    pub lines: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct AppState {
    pub header: String,
    pub sources: Vec<(String, SourceProgress)>,
    pub screen: Screen,
    pub rows: Vec<Row>,
    pub nodes: NodesState,
    pub selected: Option<String>,
    pub filter: String,
    pub filtering: bool,
    pub show_passed: bool,
    pub status_filter: Option<Status>,
    pub focus: Focus,
    pub detail_scroll: u16,
    pub overlay: Overlay,
    /// The fix preview's progress, while `overlay` is `Fix`.
    pub fix: Option<FixStage>,
    /// The smoke run while it runs: its check (WD109, WD311), whose detail shows its progress.
    pub smoke: Option<RunningSmoke>,
    pub tick: usize,
    pub quit: bool,
    /// Until the user moves, the selection follows the top row (the worst finding so far).
    pub moved: bool,
    /// Rows a page moves by (set from the terminal's height by the view's owner).
    pub page: usize,
}

pub const CATEGORY_ORDER: [Category; 4] = [Category::Node, Category::Containerd, Category::Cluster, Category::Docker];

impl AppState {
    /// A state with every selected check waiting.
    pub fn new(header: String, ids: &[&str], sources: &[(&str, bool)]) -> AppState {
        let rows = ids
            .iter()
            .filter_map(|id| catalog::entry(id))
            .map(|e| Row {
                id: e.id.clone(),
                slug: e.slug.clone(),
                category: e.category,
                title: e.title.clone(),
                result: None,
            })
            .collect();
        let sources = sources
            .iter()
            .map(|(name, requested)| {
                let state =
                    if *requested { SourceProgress::Pending } else { SourceProgress::LeftOut("left out".into()) };
                (name.to_string(), state)
            })
            .collect();
        let mut s = AppState {
            header,
            sources,
            screen: Screen::Checks,
            rows,
            nodes: NodesState::default(),
            selected: None,
            filter: String::new(),
            filtering: false,
            show_passed: true,
            status_filter: None,
            focus: Focus::List,
            detail_scroll: 0,
            overlay: Overlay::None,
            fix: None,
            smoke: None,
            tick: 0,
            quit: false,
            moved: false,
            page: 10,
        };
        s.selected = s.visible().first().map(|r| r.id.clone());
        s
    }

    /// The rows shown, grouped by category, failures first within a group.
    pub fn visible(&self) -> Vec<&Row> {
        let mut rows: Vec<&Row> = self
            .rows
            .iter()
            .filter(|r| self.show_passed || r.result.as_ref().is_none_or(|x| x.status != Status::Pass))
            .filter(|r| self.status_filter.is_none_or(|s| r.result.as_ref().is_some_and(|x| x.status == s)))
            .filter(|r| r.matches(&self.filter))
            .collect();
        rows.sort_by_key(|r| (CATEGORY_ORDER.iter().position(|c| *c == r.category), r.rank(), r.id.clone()));
        rows
    }

    pub fn selected_row(&self) -> Option<&Row> {
        let id = self.selected.as_ref()?;
        self.visible().into_iter().find(|r| &r.id == id)
    }

    pub fn selected_index(&self) -> Option<usize> {
        let id = self.selected.as_ref()?;
        self.visible().iter().position(|r| &r.id == id)
    }

    pub fn summary(&self) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for r in &self.rows {
            let key = r.result.as_ref().map(|x| x.status.as_str()).unwrap_or("running");
            *m.entry(key).or_default() += 1;
        }
        m
    }

    pub fn running(&self) -> usize {
        self.rows.iter().filter(|r| r.result.is_none()).count()
    }

    pub(super) fn move_to(&mut self, index: isize) {
        let visible = self.visible();
        if visible.is_empty() {
            self.selected = None;
            return;
        }
        let i = index.clamp(0, visible.len() as isize - 1) as usize;
        self.selected = Some(visible[i].id.clone());
        self.detail_scroll = 0;
    }

    pub(super) fn move_by(&mut self, delta: isize) {
        self.moved = true;
        let current = self.selected_index().map(|i| i as isize).unwrap_or(0);
        self.move_to(current + delta);
    }

    /// Keep a selection that is still visible, else select the first visible row.
    pub(super) fn reselect(&mut self) {
        if self.selected_index().is_none() {
            self.move_to(0);
        }
    }

    /// Whether keys are text: a filter, or the service name that confirms a restart.
    pub fn typing(&self) -> bool {
        self.filtering || matches!(self.fix, Some(FixStage::Confirm { .. }))
    }

    /// Clear the results before a re-run.
    pub fn reset(&mut self) {
        for r in &mut self.rows {
            r.result = None;
        }
        self.nodes.reset();
        for (_, s) in &mut self.sources {
            if !matches!(s, SourceProgress::LeftOut(_)) {
                *s = SourceProgress::Pending;
            }
        }
    }
}
