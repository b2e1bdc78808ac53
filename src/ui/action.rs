//! What happens in the TUI: every key and every answer that arrives becomes an `Action`; an
//! `Effect` is work the loop starts for the state (a re-run, a fix plan, a fix).

use crate::fleet::Fleet;
use crate::report::{CheckResult, Status};

use super::state::PlannedFix;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    /// `/`: start typing a filter.
    FilterStart,
    FilterInput(char),
    FilterBackspace,
    /// Enter while filtering: keep the filter, leave typing.
    FilterCommit,
    ToggleShowPassed,
    /// `1`–`5`: show only fail, warn, error, skip, pass (again: all).
    StatusFilter(Status),
    FocusNext,
    Explain,
    Fix,
    /// In the fix preview: apply the plan shown.
    Apply,
    Help,
    Rerun,
    /// `n`: this node's checks ⇄ every node of the cluster.
    SwitchScreen,
    /// `m`: the smoke: the module through this node's Wasm runtimes (WD109), or on WD311 and on
    /// the Nodes screen the cluster's Jobs.
    Smoke,
    /// A line of the smoke run's progress.
    SmokeProgress(String),
    /// `Esc`: close the overlay or leave typing; at the top level, quit.
    Close,
    Quit,
    Tick,
    /// A source finished: name, and the reason when it is unavailable.
    SourceDone {
        name: String,
        problem: Option<String>,
        left_out: bool,
    },
    CheckDone(Box<CheckResult>),
    /// The cluster source arrived: every node's readiness, or why the cluster cannot be read.
    FleetArrived(Box<Result<Fleet, String>>),
    /// The planner's answer for the fix preview.
    FixPlanned(Result<PlannedFix, String>),
    /// A step of the fix being carried out.
    FixProgress(String),
    /// The fix finished; `ok` when everything applied and the check re-ran clean.
    FixDone {
        ok: bool,
    },
}

impl Action {
    /// Results and ticks: they change the state whatever is open or typed.
    pub fn is_background(&self) -> bool {
        matches!(
            self,
            Action::Tick
                | Action::SourceDone { .. }
                | Action::CheckDone(_)
                | Action::FleetArrived(_)
                | Action::SmokeProgress(_)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Rerun,
    /// Plan the fix of this check (files read, server dry-run) off the UI thread.
    PlanFix(String),
    /// Carry out the plan shown; `restart` when its restart was confirmed.
    ApplyFix {
        restart: bool,
    },
    /// Run a smoke off the UI thread.
    Smoke(SmokeTarget),
}

/// Which smoke `m` started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmokeTarget {
    /// This node's Wasm runtimes through containerd (WD109).
    Node,
    /// A Job per Wasm RuntimeClass on these nodes (every node when empty) (WD311).
    Cluster { nodes: Vec<String> },
}

impl SmokeTarget {
    pub fn check(&self) -> &'static str {
        match self {
            SmokeTarget::Node => "WD109",
            SmokeTarget::Cluster { .. } => "WD311",
        }
    }
}
