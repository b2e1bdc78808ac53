//! The overlays drawn over the list: help, a check's explanation, and the fix preview with its
//! confirmation and progress.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::Theme;
use crate::catalog;
use crate::report::Status;
use crate::ui::keymap::{BINDINGS, KeyMap};
use crate::ui::state::{AppState, FixStage};

fn popup(area: Rect) -> Rect {
    let [_, v, _] =
        Layout::vertical([Constraint::Percentage(10), Constraint::Percentage(80), Constraint::Percentage(10)])
            .areas(area);
    let [_, h, _] =
        Layout::horizontal([Constraint::Percentage(8), Constraint::Percentage(84), Constraint::Percentage(8)]).areas(v);
    h
}

pub(super) fn render_help(f: &mut Frame, area: Rect, theme: Theme, keys: &KeyMap) {
    let area = popup(area);
    let mut lines = vec![Line::from(Span::styled("keys", Style::new().add_modifier(Modifier::BOLD)))];
    for (action, _, what) in BINDINGS {
        lines.push(Line::raw(format!("  {:<8} {what}", keys.key_for(action))));
    }
    for (key, what) in [
        ("↑ ↓", "previous / next check (the detail pane when it has focus)"),
        ("PgUp PgDn", "a page up / down"),
        ("Home End", "first / last check"),
        ("Tab Enter", "move focus between the list and the detail pane"),
        ("1 2 3 4 5", "only fail / warn / error / skip / pass (again: all)"),
        ("Esc", "close this, leave the filter; at the top level, quit"),
    ] {
        lines.push(Line::raw(format!("  {key:<8} {what}")));
    }
    lines.push(Line::raw(""));
    lines.push(Line::raw("keys can be remapped in the policy file: [keys] quit = \"x\""));
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(Text::from(lines)).block(Block::bordered().title(" help ").border_style(theme.accent())),
        area,
    );
}

pub(super) fn render_explain(f: &mut Frame, area: Rect, s: &AppState, id: &str, theme: Theme) {
    let area = popup(area);
    let text = catalog::entry(id).map(catalog::explain).unwrap_or_else(|| format!("{id}: no catalog entry"));
    f.render_widget(Clear, area);
    let p = Paragraph::new(text)
        .block(Block::bordered().title(format!(" explain {id} (Esc closes) ")).border_style(theme.accent()))
        .wrap(Wrap { trim: false })
        .scroll((s.detail_scroll, 0));
    f.render_widget(p, area);
}

pub(super) fn render_fix(f: &mut Frame, area: Rect, s: &AppState, id: &str, theme: Theme, keys: &KeyMap) {
    let area = popup(area);
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let row = s.rows.iter().find(|r| r.id == id);
    let mut lines =
        vec![Line::from(Span::styled(format!("fix for {id} {}", row.map(|r| r.slug.as_str()).unwrap_or("")), bold))];
    lines.push(Line::raw(""));
    let plan_lines = |text: &str| -> Vec<Line<'static>> {
        text.lines()
            .map(|l| {
                let style = if l.starts_with("+++") || l.starts_with("---") {
                    bold
                } else if l.starts_with('+') {
                    theme.status(Status::Pass)
                } else if l.starts_with('-') {
                    theme.status(Status::Fail)
                } else {
                    Style::new()
                };
                Line::from(Span::styled(l.to_string(), style))
            })
            .collect()
    };
    let apply = keys.key_for("apply");
    let footer = match &s.fix {
        None | Some(FixStage::Planning) => {
            lines.push(Line::raw(format!(
                "{} planning: reading the files it would change, asking the API server to dry-run its objects…",
                theme.spinner(s.tick)
            )));
            "Esc closes.".to_string()
        }
        Some(FixStage::PlanFailed(e)) => {
            lines.push(Line::raw(format!("no plan: {e}")));
            "nothing was changed. Esc closes.".to_string()
        }
        Some(FixStage::Planned(p)) => {
            lines.extend(plan_lines(&p.text));
            lines.push(Line::raw(""));
            if p.manual {
                "manual only: wasmdoctor changes nothing for this check; the steps above are yours. Esc closes.".into()
            } else if p.noop {
                "nothing to change. Esc closes.".into()
            } else if p.refused {
                "the API server refused the dry-run (above): nothing can be applied. Esc closes.".into()
            } else if let Some(service) = &p.restart_service {
                format!(
                    "{apply}: apply this plan (you will type `{service}` to approve its restart) · Esc: close, nothing changed"
                )
            } else {
                format!("{apply}: apply this plan (`wasmdoctor undo` reverts it) · Esc: close, nothing changed")
            }
        }
        Some(FixStage::Confirm { plan, typed }) => {
            lines.extend(plan_lines(&plan.text));
            lines.push(Line::raw(""));
            let service = plan.restart_service.as_deref().unwrap_or("");
            lines.push(Line::from(Span::styled(format!("restart `{service}`? type its name: {typed}█"), bold)));
            format!(
                "Enter with `{service}` typed: apply and restart · Enter with nothing typed: apply, leave the restart to you · Esc: back"
            )
        }
        Some(FixStage::Running { log }) => {
            lines.extend(log.iter().map(|l| Line::raw(l.clone())));
            lines.push(Line::raw(format!("{} working…", theme.spinner(s.tick))));
            "the fix is running; it is not interrupted midway".into()
        }
        Some(FixStage::Done { log, ok }) => {
            lines.extend(log.iter().map(|l| Line::raw(l.clone())));
            lines.push(Line::raw(""));
            let verdict = if *ok {
                Span::styled("done: applied and re-checked clean", theme.status(Status::Pass))
            } else {
                Span::styled("not clean: see the steps above", theme.status(Status::Fail))
            };
            lines.push(Line::from(verdict));
            "Esc closes and runs every check again.".into()
        }
    };
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(footer, theme.accent())));
    f.render_widget(Clear, area);
    let p = Paragraph::new(Text::from(lines))
        .block(Block::bordered().title(" fix ").border_style(theme.accent()))
        .wrap(Wrap { trim: false })
        .scroll((s.detail_scroll, 0));
    f.render_widget(p, area);
}
