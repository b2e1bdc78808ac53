//! Drawing: pure functions of the state. Nothing here changes the state.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};

mod nodes;
mod overlays;

use overlays::{render_explain, render_fix, render_help};

use super::keymap::KeyMap;
use super::state::{AppState, CATEGORY_ORDER, Focus, Overlay, Screen, SourceProgress};
use crate::catalog;
use crate::report::Status;
use crate::report::text::mark;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
    pub unicode: bool,
}

impl Theme {
    fn status(&self, s: Status) -> Style {
        if !self.color {
            return match s {
                Status::Fail | Status::Error => Style::new().add_modifier(Modifier::BOLD),
                Status::Skip => Style::new().add_modifier(Modifier::DIM),
                _ => Style::new(),
            };
        }
        Style::new().fg(match s {
            Status::Pass => Color::Green,
            Status::Warn => Color::Yellow,
            Status::Fail => Color::Red,
            Status::Skip => Color::DarkGray,
            Status::Error => Color::Magenta,
        })
    }

    fn spinner(&self, tick: usize) -> &'static str {
        const UNICODE: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
        const ASCII: [&str; 4] = ["|", "/", "-", "\\"];
        if self.unicode { UNICODE[tick % UNICODE.len()] } else { ASCII[tick % ASCII.len()] }
    }

    fn accent(&self) -> Style {
        if self.color { Style::new().fg(Color::Cyan) } else { Style::new().add_modifier(Modifier::BOLD) }
    }
}

pub fn render(f: &mut Frame, s: &AppState, theme: Theme, keys: &KeyMap) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "terminal too small: wasmdoctor needs {MIN_WIDTH}×{MIN_HEIGHT}, this one is {}×{}\nenlarge it, or press q to quit",
            area.width, area.height
        );
        f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    }
    let [header, body, footer] =
        Layout::vertical([Constraint::Length(2), Constraint::Min(0), Constraint::Length(1)]).areas(area);
    render_header(f, header, s, theme);
    let [list, detail] = Layout::horizontal([Constraint::Percentage(42), Constraint::Percentage(58)]).areas(body);
    match s.screen {
        Screen::Checks => {
            render_list(f, list, s, theme);
            render_detail(f, detail, s, theme);
        }
        Screen::Nodes => {
            nodes::render_list(f, list, s, theme);
            nodes::render_detail(f, detail, s, theme);
        }
    }
    render_footer(f, footer, s, theme, keys);
    match &s.overlay {
        Overlay::None => {}
        Overlay::Help => render_help(f, area, theme, keys),
        Overlay::Explain(id) => render_explain(f, area, s, id, theme),
        Overlay::Fix(id) => render_fix(f, area, s, id, theme, keys),
    }
}

fn render_header(f: &mut Frame, area: Rect, s: &AppState, theme: Theme) {
    let mut sources = vec![Span::raw("sources: ")];
    for (name, state) in &s.sources {
        let (m, style, why) = match state {
            SourceProgress::Pending => (theme.spinner(s.tick).to_string(), theme.accent(), String::new()),
            SourceProgress::Ok => {
                (mark(Status::Pass, theme.unicode).to_string(), theme.status(Status::Pass), String::new())
            }
            SourceProgress::Unavailable(r) => {
                (mark(Status::Fail, theme.unicode).to_string(), theme.status(Status::Warn), format!(" ({})", esc(r)))
            }
            SourceProgress::LeftOut(r) => {
                (mark(Status::Skip, theme.unicode).to_string(), theme.status(Status::Skip), format!(" ({})", esc(r)))
            }
        };
        sources.push(Span::styled(format!("{name} {m}"), style));
        sources.push(Span::styled(why, Style::new().add_modifier(Modifier::DIM)));
        sources.push(Span::raw("  "));
    }
    let text = Text::from(vec![
        Line::from(Span::styled(esc(&s.header), Style::new().add_modifier(Modifier::BOLD))),
        Line::from(sources),
    ]);
    f.render_widget(Paragraph::new(text), area);
}

fn render_list(f: &mut Frame, area: Rect, s: &AppState, theme: Theme) {
    let visible = s.visible();
    let mut items: Vec<ListItem> = Vec::new();
    let mut selected_item = None;
    for category in CATEGORY_ORDER {
        let rows: Vec<_> = visible.iter().filter(|r| r.category == category).collect();
        if rows.is_empty() {
            continue;
        }
        items.push(ListItem::new(Line::from(Span::styled(
            category.as_str(),
            Style::new().add_modifier(Modifier::BOLD),
        ))));
        for r in rows {
            if s.selected.as_deref() == Some(r.id.as_str()) {
                selected_item = Some(items.len());
            }
            let (m, style) = match &r.result {
                Some(res) => (mark(res.status, theme.unicode).to_string(), theme.status(res.status)),
                None => (theme.spinner(s.tick).to_string(), theme.accent()),
            };
            items.push(ListItem::new(Line::from(vec![
                Span::raw(" "),
                Span::styled(m, style),
                Span::raw(format!(" {} {}", r.id, r.slug)),
            ])));
        }
    }
    if items.is_empty() {
        items.push(ListItem::new("no check matches the filter"));
    }
    let focused = s.focus == Focus::List && s.overlay == Overlay::None;
    let block = Block::bordered().title(format!(" checks ({}) ", visible.len())).border_style(if focused {
        theme.accent()
    } else {
        Style::new()
    });
    let highlight =
        if theme.color { Style::new().bg(Color::DarkGray) } else { Style::new().add_modifier(Modifier::REVERSED) };
    let list = List::new(items).block(block).highlight_style(highlight).highlight_symbol(if theme.unicode {
        "▶"
    } else {
        ">"
    });
    let mut state = ListState::default().with_selected(selected_item);
    f.render_stateful_widget(list, area, &mut state);
}

fn render_detail(f: &mut Frame, area: Rect, s: &AppState, theme: Theme) {
    let focused = s.focus == Focus::Detail && s.overlay == Overlay::None;
    let block = Block::bordered().title(" detail ").border_style(if focused { theme.accent() } else { Style::new() });
    let Some(row) = s.selected_row() else {
        f.render_widget(Paragraph::new("no check selected").block(block), area);
        return;
    };
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = vec![Line::from(Span::styled(format!("{} {}", row.id, row.title), bold))];
    match &row.result {
        None => match s.smoke.as_ref().filter(|smoke| row.id == smoke.check) {
            Some(smoke) => {
                let what = if smoke.check == "WD311" {
                    "creating a Job per Wasm RuntimeClass and node"
                } else {
                    "creating containers in containerd's namespace `wasmdoctor`"
                };
                lines.push(Line::from(Span::styled(
                    format!("{} the smoke run: {what}", theme.spinner(s.tick)),
                    theme.accent(),
                )));
                lines.extend(smoke.lines.iter().map(|l| Line::raw(format!("  {}", esc(l)))));
            }
            None => lines.push(Line::from(Span::styled(
                format!("{} running: waiting for its sources", theme.spinner(s.tick)),
                theme.accent(),
            ))),
        },
        Some(r) => {
            lines.push(Line::from(vec![
                Span::raw("status: "),
                Span::styled(
                    format!("{} {}", mark(r.status, theme.unicode), r.status.as_str()),
                    theme.status(r.status),
                ),
            ]));
            lines.push(Line::raw(""));
            // What the node or the cluster said is shown escaped, never sent (report::escape).
            lines.push(Line::raw(esc(&r.message)));
            if !r.evidence.is_empty() {
                lines.push(Line::raw(""));
                lines.push(Line::from(Span::styled("evidence", bold)));
                for e in &r.evidence {
                    lines.push(Line::raw(format!("  {}: {}", esc(&e.source), esc(&e.value))));
                }
            }
            if !r.affected.is_empty() {
                lines.push(Line::raw(""));
                lines.push(Line::from(Span::styled(format!("affected ({})", r.affected.len()), bold)));
                for a in r.affected.iter().take(50) {
                    let ns = a.namespace.as_deref().map(|n| format!("{n}/")).unwrap_or_default();
                    let node = a.node.as_deref().map(|n| format!(" on {n}")).unwrap_or_default();
                    lines.push(Line::raw(esc(&format!("  {} {ns}{}{node}", a.kind, a.name))));
                }
            }
            if let Some(fix) = &r.fix {
                lines.push(Line::raw(""));
                lines.push(Line::from(vec![Span::styled("fix: ", bold), Span::raw(esc(&fix.summary))]));
                lines.push(Line::from(Span::styled(
                    "press f for the fix, e for the full explanation",
                    Style::new().add_modifier(Modifier::DIM),
                )));
            }
        }
    }
    if let Some(e) = catalog::entry(&row.id) {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled("why", bold)));
        lines.extend(catalog::reflow(&e.why).into_iter().map(Line::raw));
    }
    let p = Paragraph::new(Text::from(lines)).block(block).wrap(Wrap { trim: false }).scroll((s.detail_scroll, 0));
    f.render_widget(p, area);
}

/// Text from the node or the cluster, one line, control and bidi characters shown escaped.
fn esc(s: &str) -> String {
    crate::report::escape::line(s).into_owned()
}

fn render_footer(f: &mut Frame, area: Rect, s: &AppState, theme: Theme, keys: &KeyMap) {
    if s.filtering {
        let line = Line::from(vec![
            Span::styled("filter: ", theme.accent()),
            Span::raw(format!("{}▏", s.filter)),
            Span::styled("  Enter keep · Esc clear", Style::new().add_modifier(Modifier::DIM)),
        ]);
        f.render_widget(Paragraph::new(line), area);
        return;
    }
    let k = |a: &str| keys.key_for(a);
    if s.screen == Screen::Nodes {
        let hint = format!(
            "{} quit  {} help  {} checks  {} explain  {} rerun  ·  every node's WasmReady, failures first",
            k("quit"),
            k("help"),
            k("nodes"),
            k("explain"),
            k("rerun")
        );
        f.render_widget(Paragraph::new(Span::styled(hint, Style::new().add_modifier(Modifier::DIM))), area);
        return;
    }
    // The counts first: at 80 columns the key hints are what is cut (`?` lists them all).
    let mut spans = Vec::new();
    let summary = s.summary();
    for status in [Status::Pass, Status::Warn, Status::Fail, Status::Skip, Status::Error] {
        let n = summary.get(status.as_str()).copied().unwrap_or(0);
        spans.push(Span::styled(format!("{} {n} ", mark(status, theme.unicode)), theme.status(status)));
    }
    if s.running() > 0 {
        spans.push(Span::styled(format!("{} {} ", theme.spinner(s.tick), s.running()), theme.accent()));
    }
    if !s.filter.is_empty() {
        spans.push(Span::styled(format!("[filter: {}] ", s.filter), theme.accent()));
    }
    spans.push(Span::styled(
        format!(
            " {} quit  {} help  {} nodes  {} filter  {} passed  1-5 status  {} fix  {} explain  {} rerun",
            k("quit"),
            k("help"),
            k("nodes"),
            k("filter"),
            k("toggle_passed"),
            k("fix"),
            k("explain"),
            k("rerun")
        ),
        Style::new().add_modifier(Modifier::DIM),
    ));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests;
