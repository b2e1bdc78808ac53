//! The Nodes screen: every node of the cluster with its `WasmReady` verdict (failures first), and
//! the selected node's published report, handlers, runtime, installer labels and RuntimeClasses.
//! Every string here comes from the cluster: it is escaped before it reaches the terminal.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};

use super::Theme;
use crate::catalog;
use crate::fleet::{NodeRow, WITHOUT_AGENT, ago};
use crate::report::Status;
use crate::report::escape::line;
use crate::report::text::mark;
use crate::ui::nodes::FleetState;
use crate::ui::state::{AppState, Focus, Overlay};

/// The verdict as a check status, for its mark and colour.
fn status(verdict: &str) -> Status {
    match verdict {
        "ready" => Status::Pass,
        "not-ready" => Status::Fail,
        "stale" => Status::Warn,
        _ => Status::Skip,
    }
}

pub(super) fn render_list(f: &mut Frame, area: Rect, s: &AppState, theme: Theme) {
    let focused = s.focus == Focus::List && s.overlay == Overlay::None;
    let rows = s.nodes.rows();
    let block = Block::bordered().title(format!(" nodes ({}) ", rows.len())).border_style(if focused {
        theme.accent()
    } else {
        Style::new()
    });
    let placeholder = match &s.nodes.fleet {
        FleetState::Pending => Some(format!("{} waiting for the cluster", theme.spinner(s.tick))),
        FleetState::Unavailable(why) => Some(format!("the cluster cannot be read: {}", line(why))),
        FleetState::Ready(_) if rows.is_empty() => Some("the cluster has no Nodes".into()),
        FleetState::Ready(_) => None,
    };
    if let Some(text) = placeholder {
        f.render_widget(Paragraph::new(text).block(block).wrap(Wrap { trim: true }), area);
        return;
    }
    let items: Vec<ListItem> = rows
        .iter()
        .map(|r| {
            let st = status(r.verdict);
            let age = r.heartbeat_age_seconds.map(|a| format!(" · {}", ago(a))).unwrap_or_default();
            let failing = if r.failing.is_empty() { String::new() } else { format!(" {}", r.failing.join(",")) };
            ListItem::new(Line::from(vec![
                Span::styled(format!("{} ", mark(st, theme.unicode)), theme.status(st)),
                Span::raw(line(&r.name).into_owned()),
                Span::styled(format!(" {}{failing}{age}", r.verdict), Style::new().add_modifier(Modifier::DIM)),
            ]))
        })
        .collect();
    let highlight = if theme.color {
        Style::new().bg(ratatui::style::Color::DarkGray)
    } else {
        Style::new().add_modifier(Modifier::REVERSED)
    };
    let list = List::new(items).block(block).highlight_style(highlight).highlight_symbol(if theme.unicode {
        "▶"
    } else {
        ">"
    });
    let mut state = ListState::default().with_selected(s.nodes.selected_index());
    f.render_stateful_widget(list, area, &mut state);
}

pub(super) fn render_detail(f: &mut Frame, area: Rect, s: &AppState, theme: Theme) {
    let focused = s.focus == Focus::Detail && s.overlay == Overlay::None;
    let block = Block::bordered().title(" node ").border_style(if focused { theme.accent() } else { Style::new() });
    let Some(r) = s.nodes.selected_row() else {
        f.render_widget(Paragraph::new("no node selected").block(block), area);
        return;
    };
    let p = Paragraph::new(Text::from(report(r, theme)))
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((s.detail_scroll, 0));
    f.render_widget(p, area);
}

/// The node's published report and what the API says of it.
fn report(r: &NodeRow, theme: Theme) -> Vec<Line<'static>> {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let dim = Style::new().add_modifier(Modifier::DIM);
    let st = status(r.verdict);
    let mut lines = vec![
        Line::from(Span::styled(line(&r.name).into_owned(), bold)),
        Line::from(vec![
            Span::raw("verdict: "),
            Span::styled(format!("{} {}", mark(st, theme.unicode), r.verdict), theme.status(st)),
        ]),
        Line::raw(""),
    ];
    match &r.wasm_ready {
        Some(w) => {
            let age = r.heartbeat_age_seconds.map(ago).unwrap_or_else(|| "no heartbeat time".into());
            let stale =
                if r.verdict == "stale" { " (stale: the agent has not reported for over 15 minutes)" } else { "" };
            lines.push(Line::from(Span::styled("published by the agent", bold)));
            lines.push(Line::raw(format!(
                "WasmReady={}{} · heartbeat {age}{stale}",
                line(w),
                r.reason.as_deref().map(|x| format!(" ({})", line(x))).unwrap_or_default()
            )));
            if let Some(m) = &r.message {
                lines.push(Line::raw(line(m).into_owned()));
            }
            for id in &r.failing {
                let title = catalog::entry(id).map(|e| e.title.clone()).unwrap_or_default();
                lines.push(Line::raw(format!("  ✗ {id} {title}")));
            }
            if !r.failing.is_empty() {
                lines.push(Line::from(Span::styled("press e to explain the first failing check", dim)));
            }
        }
        None => {
            lines.push(Line::from(Span::styled("no agent", bold)));
            lines.push(Line::raw(format!("no WasmReady condition: {WITHOUT_AGENT}")));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled("from the API", bold)));
    let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { line(&v.join(", ")).into_owned() };
    lines.push(Line::raw(match &r.handlers {
        Some(h) => format!("runtime handlers: {}", list(h)),
        None => "runtime handlers: not reported (the kubelet reports them since Kubernetes 1.30, with containerd 2.x)"
            .into(),
    }));
    lines.push(Line::raw(format!(
        "container runtime: {}",
        r.container_runtime.as_deref().map(|x| line(x).into_owned()).unwrap_or_else(|| "not reported".into())
    )));
    lines.push(Line::raw(format!("installer labels: {}", list(&r.installer_labels))));
    lines.push(Line::raw(format!("Wasm RuntimeClasses that can schedule here: {}", list(&r.runtime_classes))));
    lines
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::fleet::Fleet;
    use crate::ui::action::Action;
    use crate::ui::keymap::KeyMap;
    use crate::ui::update::update;

    fn node(name: &str, verdict: &'static str) -> NodeRow {
        NodeRow {
            container_runtime: Some("containerd://2.1.4".into()),
            runtime_classes: vec!["wasmtime-spin-v2".into()],
            ..NodeRow::bare(name, verdict)
        }
    }

    fn fleet() -> Fleet {
        let broken = NodeRow {
            wasm_ready: Some("False".into()),
            reason: Some("WD202WasmRuntimeConfigured".into()),
            message: Some("WD202, WD105 fail: containerd has no Wasm runtime".into()),
            heartbeat_age_seconds: Some(40),
            failing: vec!["WD202".into(), "WD105".into()],
            handlers: Some(vec!["runc".into()]),
            ..node("worker-2", "not-ready")
        };
        let stale = NodeRow {
            wasm_ready: Some("True".into()),
            reason: Some("NodeChecksPass".into()),
            heartbeat_age_seconds: Some(3 * 3600),
            ..node("worker-3", "stale")
        };
        let bare = NodeRow {
            handlers: Some(vec!["runc".into(), "spin".into()]),
            installer_labels: vec!["spin=provisioned".into()],
            // A node name from the cluster is shown escaped.
            ..node("worker-\u{1b}[31m4", "unknown")
        };
        let ready = NodeRow {
            wasm_ready: Some("True".into()),
            reason: Some("NodeChecksPass".into()),
            heartbeat_age_seconds: Some(75),
            handlers: Some(vec!["runc".into(), "spin".into()]),
            ..node("worker-1", "ready")
        };
        Fleet { nodes: vec![broken, stale, bare, ready], with_agent: 3 }
    }

    fn state() -> AppState {
        let mut s = AppState::new("wasmdoctor".into(), &["WD101", "WD202"], &[("cluster", true)]);
        update(&mut s, Action::SwitchScreen);
        s
    }

    fn draw(s: &AppState) -> String {
        let keys = KeyMap::new(&BTreeMap::new()).unwrap();
        let mut t = Terminal::new(TestBackend::new(110, 30)).unwrap();
        let theme = Theme { color: false, unicode: true };
        t.draw(|f| crate::ui::view::render(f, s, theme, &keys)).unwrap();
        t.backend().to_string()
    }

    #[test]
    fn nodes_screen_failures_first_with_the_published_report() {
        let mut s = state();
        assert!(draw(&s).contains("waiting for the cluster"));
        update(&mut s, Action::FleetArrived(Box::new(Ok(fleet()))));
        insta::assert_snapshot!("nodes_broken_selected", draw(&s));
        update(&mut s, Action::Down);
        update(&mut s, Action::Down);
        let text = draw(&s);
        assert!(text.contains("▶– worker-\\x1b[31m4 unknown"), "{text}");
        assert!(text.contains("no WasmReady condition: only its reported handlers and labels"), "{text}");
        assert!(text.contains("installer labels: spin=provisioned"), "{text}");
        assert!(!text.contains('\u{1b}'), "escaped");
    }

    #[test]
    fn e_explains_the_nodes_first_failing_check_and_n_goes_back() {
        let mut s = state();
        update(&mut s, Action::FleetArrived(Box::new(Ok(fleet()))));
        update(&mut s, Action::Explain);
        assert_eq!(s.overlay, Overlay::Explain("WD202".into()));
        update(&mut s, Action::Close);
        update(&mut s, Action::Fix);
        assert_eq!(s.overlay, Overlay::None, "fixes are for this node's checks");
        update(&mut s, Action::SwitchScreen);
        assert!(draw(&s).contains("checks (2)"));
    }

    #[test]
    fn an_unreadable_cluster_is_said() {
        let mut s = state();
        update(&mut s, Action::FleetArrived(Box::new(Err("no kubeconfig: $KUBECONFIG names /x".into()))));
        let text = draw(&s);
        assert!(text.contains("the cluster cannot be read: no kubeconfig:"), "{text}");
        assert!(text.contains("no node selected"), "{text}");
    }
}
