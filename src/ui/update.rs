//! The update function (TEA): an `Action` changes the state and may ask for an `Effect`.

use super::action::{Action, Effect, SmokeTarget};
use super::background::{apply_background, begin_smoke};
use super::state::{AppState, FixStage, Focus, Overlay, PlannedFix, Screen};
#[cfg(test)]
use crate::catalog;
#[cfg(test)]
use crate::report::CheckResult;
use crate::report::Status;

pub fn update(state: &mut AppState, action: Action) -> Option<Effect> {
    // While typing a filter, keys are text.
    if state.filtering {
        match action {
            Action::FilterInput(c) => state.filter.push(c),
            Action::FilterBackspace => {
                state.filter.pop();
            }
            Action::FilterCommit => state.filtering = false,
            Action::Close => {
                state.filtering = false;
                state.filter.clear();
            }
            a if a.is_background() => return apply_background(state, a),
            _ => return None,
        }
        state.reselect();
        return None;
    }
    if let Overlay::Fix(_) = state.overlay {
        return update_fix(state, action);
    }
    if state.overlay != Overlay::None {
        match action {
            Action::Close | Action::Quit => state.overlay = Overlay::None,
            Action::Help => state.overlay = Overlay::None,
            Action::Down => state.detail_scroll = state.detail_scroll.saturating_add(1),
            Action::Up => state.detail_scroll = state.detail_scroll.saturating_sub(1),
            a if a.is_background() => return apply_background(state, a),
            _ => {}
        }
        return None;
    }
    if state.screen == Screen::Nodes {
        return super::update_nodes::update(state, action);
    }
    match action {
        Action::Up if state.focus == Focus::Detail => state.detail_scroll = state.detail_scroll.saturating_sub(1),
        Action::Down if state.focus == Focus::Detail => state.detail_scroll = state.detail_scroll.saturating_add(1),
        Action::PageUp if state.focus == Focus::Detail => {
            state.detail_scroll = state.detail_scroll.saturating_sub(state.page as u16)
        }
        Action::PageDown if state.focus == Focus::Detail => {
            state.detail_scroll = state.detail_scroll.saturating_add(state.page as u16)
        }
        Action::Up => state.move_by(-1),
        Action::Down => state.move_by(1),
        Action::PageUp => state.move_by(-(state.page as isize)),
        Action::PageDown => state.move_by(state.page as isize),
        Action::Home => {
            state.moved = true;
            state.move_to(0)
        }
        Action::End => {
            state.moved = true;
            state.move_to(isize::MAX / 2)
        }
        Action::FilterStart => {
            state.filtering = true;
            state.filter.clear();
        }
        Action::ToggleShowPassed => {
            state.show_passed = !state.show_passed;
            state.reselect();
        }
        Action::StatusFilter(s) => {
            state.status_filter = if state.status_filter == Some(s) { None } else { Some(s) };
            state.reselect();
        }
        Action::FocusNext => {
            state.focus = if state.focus == Focus::List { Focus::Detail } else { Focus::List };
        }
        Action::Explain => {
            if let Some(id) = state.selected.clone() {
                state.overlay = Overlay::Explain(id);
                state.detail_scroll = 0;
            }
        }
        Action::Fix => {
            if let Some(row) = state.selected_row() {
                let (id, status) = (row.id.clone(), row.result.as_ref().map(|r| r.status));
                state.overlay = Overlay::Fix(id.clone());
                state.detail_scroll = 0;
                state.fix = Some(match status {
                    None => FixStage::PlanFailed(format!("{id} is still running: its fix is planned from its facts")),
                    Some(Status::Pass) => FixStage::Planned(PlannedFix {
                        text: format!("{id} passes: nothing to fix"),
                        manual: false,
                        noop: true,
                        restart_service: None,
                        refused: false,
                    }),
                    Some(_) => {
                        state.fix = Some(FixStage::Planning);
                        return Some(Effect::PlanFix(id));
                    }
                });
            }
        }
        Action::Help => state.overlay = Overlay::Help,
        Action::Rerun => {
            state.reset();
            return Some(Effect::Rerun);
        }
        Action::SwitchScreen => {
            state.screen = Screen::Nodes;
            state.detail_scroll = 0;
        }
        Action::Smoke => return start_smoke(state),
        Action::Close | Action::Quit => state.quit = true,
        Action::FilterInput(_)
        | Action::FilterBackspace
        | Action::FilterCommit
        | Action::Apply
        | Action::FixPlanned(_)
        | Action::FixProgress(_)
        | Action::FixDone { .. } => {}
        a @ (Action::Tick
        | Action::SourceDone { .. }
        | Action::CheckDone(_)
        | Action::FleetArrived(_)
        | Action::SmokeProgress(_)) => {
            return apply_background(state, a);
        }
    }
    None
}

/// `m` on the checks screen: the cluster's smoke when WD311 is selected, else this node's.
fn start_smoke(state: &mut AppState) -> Option<Effect> {
    let target = if state.selected.as_deref() == Some("WD311") {
        SmokeTarget::Cluster { nodes: Vec::new() }
    } else {
        SmokeTarget::Node
    };
    begin_smoke(state, target)
}

/// The fix preview: plan shown → `a` → (type the service's name when the plan restarts one) →
/// progress → done; Esc closes (and re-runs the checks after a fix ran). Nothing is cancelled
/// midway: while the fix runs, Esc waits.
fn update_fix(state: &mut AppState, action: Action) -> Option<Effect> {
    let stage = state.fix.take().unwrap_or(FixStage::Planning);
    let (next, effect) = match (stage, action) {
        (s, a) if a.is_background() => {
            state.fix = Some(s);
            return apply_background(state, a);
        }
        (FixStage::Planning, Action::FixPlanned(Ok(p))) => (FixStage::Planned(p), None),
        (FixStage::Planning, Action::FixPlanned(Err(e))) => (FixStage::PlanFailed(e), None),
        (FixStage::Planned(p), Action::Apply) if !p.manual && !p.noop && !p.refused => match p.restart_service {
            Some(_) => (FixStage::Confirm { plan: p, typed: String::new() }, None),
            None => (FixStage::Running { log: Vec::new() }, Some(Effect::ApplyFix { restart: false })),
        },
        (FixStage::Confirm { plan, mut typed }, Action::FilterInput(c)) => {
            typed.push(c);
            (FixStage::Confirm { plan, typed }, None)
        }
        (FixStage::Confirm { plan, mut typed }, Action::FilterBackspace) => {
            typed.pop();
            (FixStage::Confirm { plan, typed }, None)
        }
        (FixStage::Confirm { plan, typed }, Action::FilterCommit) => {
            if typed.is_empty() {
                (FixStage::Running { log: Vec::new() }, Some(Effect::ApplyFix { restart: false }))
            } else if Some(&typed) == plan.restart_service.as_ref() {
                (FixStage::Running { log: Vec::new() }, Some(Effect::ApplyFix { restart: true }))
            } else {
                (FixStage::Confirm { plan, typed }, None)
            }
        }
        (FixStage::Confirm { plan, .. }, Action::Close) => (FixStage::Planned(plan), None),
        (FixStage::Running { mut log }, Action::FixProgress(line)) => {
            log.push(line);
            (FixStage::Running { log }, None)
        }
        (FixStage::Running { log }, Action::FixDone { ok }) => (FixStage::Done { log, ok }, None),
        (s @ FixStage::Running { .. }, _) => (s, None),
        (FixStage::Done { .. }, Action::Close | Action::Quit) => {
            state.overlay = Overlay::None;
            state.reset();
            return Some(Effect::Rerun);
        }
        (_, Action::Close | Action::Quit) => {
            state.overlay = Overlay::None;
            return None;
        }
        (s, Action::Down) => {
            state.detail_scroll = state.detail_scroll.saturating_add(1);
            (s, None)
        }
        (s, Action::Up) => {
            state.detail_scroll = state.detail_scroll.saturating_sub(1);
            (s, None)
        }
        (s, _) => (s, None),
    };
    state.fix = Some(next);
    effect
}

/// A result of a catalog check, for the UI's tests.
#[cfg(test)]
pub(crate) fn test_result(id: &str, status: Status, message: &str) -> CheckResult {
    let e = catalog::entry(id).expect("a catalog ID");
    CheckResult {
        id: id.into(),
        slug: e.slug.clone(),
        category: e.category,
        title: e.title.clone(),
        status,
        message: message.into(),
        evidence: vec![],
        affected: vec![],
        fix: None,
        docs: e.docs(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::state::SourceProgress;

    use super::test_result as result;

    fn state() -> AppState {
        AppState::new(
            "wasmdoctor".into(),
            &["WD101", "WD102", "WD103", "WD201", "WD204"],
            &[("node", true), ("cluster", false)],
        )
    }

    fn ids(s: &AppState) -> Vec<String> {
        s.visible().iter().map(|r| r.id.clone()).collect()
    }

    #[test]
    fn results_arriving_out_of_order_sort_failures_first_and_keep_the_selection() {
        let mut s = state();
        assert_eq!(s.selected.as_deref(), Some("WD101"));
        update(&mut s, Action::CheckDone(Box::new(result("WD102", Status::Fail, "too old"))));
        assert_eq!(s.selected.as_deref(), Some("WD102"), "until the user moves, the worst finding is selected");
        update(&mut s, Action::Up);
        assert_eq!(s.running(), 4);
        update(
            &mut s,
            Action::CheckDone(Box::new(result("WD204", Status::Fail, "runtime `crun` has no `pod_annotations`"))),
        );
        update(&mut s, Action::CheckDone(Box::new(result("WD103", Status::Fail, "no WASM handler"))));
        update(&mut s, Action::CheckDone(Box::new(result("WD101", Status::Pass, "crun found"))));
        assert_eq!(ids(&s), ["WD102", "WD103", "WD101", "WD204", "WD201"]);
        assert_eq!(s.selected.as_deref(), Some("WD102"), "after a move the selection follows the check, not the index");
        assert_eq!(s.running(), 1);
        assert_eq!(s.summary().get("fail"), Some(&3));
    }

    #[test]
    fn navigation_clamps() {
        let mut s = state();
        update(&mut s, Action::Up);
        assert_eq!(s.selected.as_deref(), Some("WD101"));
        update(&mut s, Action::End);
        assert_eq!(s.selected.as_deref(), Some("WD204"));
        update(&mut s, Action::Down);
        assert_eq!(s.selected.as_deref(), Some("WD204"));
        update(&mut s, Action::Home);
        update(&mut s, Action::PageDown);
        assert_eq!(s.selected.as_deref(), Some("WD204"));
    }

    #[test]
    fn filtering_by_text_status_and_passed() {
        let mut s = state();
        update(&mut s, Action::CheckDone(Box::new(result("WD101", Status::Pass, "crun found"))));
        update(&mut s, Action::CheckDone(Box::new(result("WD204", Status::Fail, "no pod_annotations"))));
        update(&mut s, Action::FilterStart);
        for c in "annot".chars() {
            update(&mut s, Action::FilterInput(c));
        }
        update(&mut s, Action::Down);
        assert_eq!(ids(&s), ["WD204"], "text matches ID, slug, title or message");
        assert_eq!(s.selected.as_deref(), Some("WD204"));
        update(&mut s, Action::FilterCommit);
        update(&mut s, Action::Quit);
        assert!(s.quit, "after committing, keys are keys again");
        let mut s = state();
        update(&mut s, Action::CheckDone(Box::new(result("WD101", Status::Pass, "crun found"))));
        update(&mut s, Action::ToggleShowPassed);
        assert!(!ids(&s).contains(&"WD101".to_string()));
        update(&mut s, Action::StatusFilter(Status::Pass));
        assert!(ids(&s).is_empty() || ids(&s) == ["WD101"]);
        update(&mut s, Action::ToggleShowPassed);
        assert_eq!(ids(&s), ["WD101"]);
        update(&mut s, Action::StatusFilter(Status::Pass));
        assert_eq!(ids(&s).len(), 5, "the same status again clears the filter");
        update(&mut s, Action::FilterStart);
        update(&mut s, Action::FilterInput('x'));
        update(&mut s, Action::Close);
        assert!(s.filter.is_empty() && !s.filtering);
    }

    #[test]
    fn fix_preview_opens_and_esc_closes_before_quitting() {
        let mut s = state();
        update(&mut s, Action::Fix);
        assert_eq!(s.overlay, Overlay::Fix("WD101".into()));
        update(&mut s, Action::Close);
        assert_eq!(s.overlay, Overlay::None);
        assert!(!s.quit);
        update(&mut s, Action::Close);
        assert!(s.quit, "Esc at the top level quits");
    }

    fn planned(restart: Option<&str>) -> PlannedFix {
        PlannedFix {
            text: "WD204 (automatic): …".into(),
            manual: false,
            noop: false,
            restart_service: restart.map(String::from),
            refused: false,
        }
    }

    #[test]
    fn fix_flow_without_a_restart() {
        let mut s = state();
        assert_eq!(update(&mut s, Action::Fix), None, "a running check has no plan yet");
        assert!(matches!(s.fix, Some(FixStage::PlanFailed(_))));
        update(&mut s, Action::Close);
        update(&mut s, Action::CheckDone(Box::new(result("WD101", Status::Fail, "no crun"))));
        assert_eq!(update(&mut s, Action::Fix), Some(Effect::PlanFix("WD101".into())));
        assert_eq!(s.fix, Some(FixStage::Planning));
        assert_eq!(update(&mut s, Action::Apply), None, "nothing to apply while planning");
        update(&mut s, Action::FixPlanned(Ok(planned(None))));
        assert_eq!(update(&mut s, Action::Apply), Some(Effect::ApplyFix { restart: false }));
        update(&mut s, Action::FixProgress("changed `/etc/containerd/config.toml`".into()));
        assert_eq!(update(&mut s, Action::Close), None, "Esc waits while the fix runs");
        assert!(matches!(&s.fix, Some(FixStage::Running { log }) if log.len() == 1));
        update(&mut s, Action::FixDone { ok: true });
        assert!(matches!(&s.fix, Some(FixStage::Done { ok: true, .. })));
        assert_eq!(update(&mut s, Action::Close), Some(Effect::Rerun), "closing after a fix re-runs the checks");
        assert_eq!(s.overlay, Overlay::None);
        assert!(!s.quit);
    }

    #[test]
    fn a_restart_is_confirmed_by_typing_the_service() {
        let mut s = state();
        update(&mut s, Action::CheckDone(Box::new(result("WD101", Status::Fail, "no crun"))));
        update(&mut s, Action::Fix);
        update(&mut s, Action::FixPlanned(Ok(planned(Some("k3s")))));
        assert_eq!(update(&mut s, Action::Apply), None);
        assert!(s.typing(), "the service name is typed");
        for c in "k3x".chars() {
            update(&mut s, Action::FilterInput(c));
        }
        assert_eq!(update(&mut s, Action::FilterCommit), None, "a wrong name applies nothing");
        update(&mut s, Action::FilterBackspace);
        update(&mut s, Action::FilterInput('s'));
        assert_eq!(update(&mut s, Action::FilterCommit), Some(Effect::ApplyFix { restart: true }));
        // Esc while confirming goes back to the plan; Enter on an empty name applies without the restart.
        let mut s = state();
        update(&mut s, Action::CheckDone(Box::new(result("WD101", Status::Fail, "no crun"))));
        update(&mut s, Action::Fix);
        update(&mut s, Action::FixPlanned(Ok(planned(Some("containerd")))));
        update(&mut s, Action::Apply);
        update(&mut s, Action::Close);
        assert!(matches!(s.fix, Some(FixStage::Planned(_))));
        update(&mut s, Action::Apply);
        assert_eq!(update(&mut s, Action::FilterCommit), Some(Effect::ApplyFix { restart: false }));
    }

    #[test]
    fn manual_plans_and_planning_errors_apply_nothing() {
        let mut s = state();
        update(&mut s, Action::CheckDone(Box::new(result("WD101", Status::Pass, "crun found"))));
        s.selected = Some("WD101".into());
        s.moved = true;
        update(&mut s, Action::Fix);
        assert!(matches!(&s.fix, Some(FixStage::Planned(p)) if p.noop && p.text == "WD101 passes: nothing to fix"));
        update(&mut s, Action::Close);
        update(&mut s, Action::CheckDone(Box::new(result("WD101", Status::Fail, "no crun"))));
        update(&mut s, Action::Fix);
        update(&mut s, Action::FixPlanned(Ok(PlannedFix { manual: true, ..planned(None) })));
        assert_eq!(update(&mut s, Action::Apply), None);
        update(&mut s, Action::Close);
        update(&mut s, Action::Fix);
        update(&mut s, Action::FixPlanned(Err("cannot read".into())));
        assert_eq!(s.fix, Some(FixStage::PlanFailed("cannot read".into())));
        assert_eq!(update(&mut s, Action::Apply), None);
        update(&mut s, Action::Close);
        update(&mut s, Action::Fix);
        update(&mut s, Action::FixPlanned(Ok(PlannedFix { refused: true, ..planned(None) })));
        assert_eq!(update(&mut s, Action::Apply), None, "a plan the server refused is not applied");
    }

    #[test]
    fn rerun_clears_results() {
        let mut s = state();
        update(&mut s, Action::CheckDone(Box::new(result("WD101", Status::Pass, "crun found"))));
        update(&mut s, Action::SourceDone { name: "node".into(), problem: None, left_out: false });
        assert_eq!(update(&mut s, Action::Rerun), Some(Effect::Rerun));
        assert_eq!(s.running(), 5);
        assert_eq!(s.sources[0].1, SourceProgress::Pending);
        assert!(matches!(s.sources[1].1, SourceProgress::LeftOut(_)));
    }

    #[test]
    fn m_on_wd311_starts_the_clusters_smoke_once_its_source_is_in() {
        let mut s = AppState::new("wasmdoctor".into(), &["WD109", "WD311"], &[("node", true), ("cluster", true)]);
        s.selected = Some("WD311".into());
        assert_eq!(update(&mut s, Action::Smoke), None, "not before the cluster's RuntimeClasses and Nodes are in");
        update(&mut s, Action::SourceDone { name: "cluster".into(), problem: None, left_out: false });
        let effect = update(&mut s, Action::Smoke);
        assert_eq!(effect, Some(Effect::Smoke(SmokeTarget::Cluster { nodes: Vec::new() })));
        assert_eq!(s.smoke.as_ref().map(|r| r.check), Some("WD311"));
        assert_eq!(update(&mut s, Action::Smoke), None, "one smoke at a time");
        update(&mut s, Action::SmokeProgress("`wasmtime` on `worker-1`: completed".into()));
        assert_eq!(s.smoke.as_ref().map(|r| r.lines.len()), Some(1));
        update(&mut s, Action::CheckDone(Box::new(result("WD311", Status::Pass, "every smoke Job printed its nonce"))));
        assert_eq!(s.smoke, None, "its result ends the run's progress");
    }
}
