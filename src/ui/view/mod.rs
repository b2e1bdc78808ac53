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
                (mark(Status::Fail, theme.unicode).to_string(), theme.status(Status::Warn), format!(" ({r})"))
            }
            SourceProgress::LeftOut(r) => {
                (mark(Status::Skip, theme.unicode).to_string(), theme.status(Status::Skip), format!(" ({r})"))
            }
        };
        sources.push(Span::styled(format!("{name} {m}"), style));
        sources.push(Span::styled(why, Style::new().add_modifier(Modifier::DIM)));
        sources.push(Span::raw("  "));
    }
    let text = Text::from(vec![
        Line::from(Span::styled(s.header.clone(), Style::new().add_modifier(Modifier::BOLD))),
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
                lines.extend(smoke.lines.iter().map(|l| Line::raw(format!("  {}", crate::report::escape::line(l)))));
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
            lines.push(Line::raw(r.message.clone()));
            if !r.evidence.is_empty() {
                lines.push(Line::raw(""));
                lines.push(Line::from(Span::styled("evidence", bold)));
                for e in &r.evidence {
                    lines.push(Line::raw(format!("  {}: {}", e.source, e.value)));
                }
            }
            if !r.affected.is_empty() {
                lines.push(Line::raw(""));
                lines.push(Line::from(Span::styled(format!("affected ({})", r.affected.len()), bold)));
                for a in r.affected.iter().take(50) {
                    let ns = a.namespace.as_deref().map(|n| format!("{n}/")).unwrap_or_default();
                    let node = a.node.as_deref().map(|n| format!(" on {n}")).unwrap_or_default();
                    lines.push(Line::raw(format!("  {} {ns}{}{node}", a.kind, a.name)));
                }
            }
            if let Some(fix) = &r.fix {
                lines.push(Line::raw(""));
                lines.push(Line::from(vec![Span::styled("fix: ", bold), Span::raw(fix.summary.clone())]));
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
mod tests {
    use std::collections::BTreeMap;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::report::{Affected, Evidence, FixHint};
    use crate::ui::action::Action;
    use crate::ui::update::{test_result as result, update};

    const THEME: Theme = Theme { color: false, unicode: true };

    fn running() -> AppState {
        AppState::new(
            "wasmdoctor 0.1.0 · node worker-1 · host root / · cluster: waiting".into(),
            &["WD101", "WD102", "WD103", "WD105", "WD201", "WD202", "WD204", "WD301", "WD303", "WD401"],
            &[("node", true), ("containerd", true), ("docker", false), ("cluster", true)],
        )
    }

    fn finished() -> AppState {
        let mut s = running();
        update(&mut s, Action::SourceDone { name: "node".into(), problem: None, left_out: false });
        update(
            &mut s,
            Action::SourceDone {
                name: "containerd".into(),
                problem: Some("no containerd socket at /run/containerd/containerd.sock".into()),
                left_out: false,
            },
        );
        update(
            &mut s,
            Action::SourceDone {
                name: "docker".into(),
                problem: Some("`--no-docker` was given".into()),
                left_out: true,
            },
        );
        update(&mut s, Action::SourceDone { name: "cluster".into(), problem: None, left_out: false });
        let mut wd103 = result(
            "WD103",
            Status::Fail,
            "crun `1.23.1` at `/usr/bin/crun` was built without a WASM handler (no `+WASM:` in its features); a `.wasm` entrypoint fails with `Exec format error`",
        );
        wd103.evidence = vec![Evidence {
            source: "/usr/bin/crun --version".into(),
            value: "+SYSTEMD +SELINUX +APPARMOR +CAP +SECCOMP +EBPF +YAJL".into(),
        }];
        wd103.fix = Some(FixHint {
            automatic: false,
            summary: "install a crun built with `--with-wasmedge` (Fedora/CentOS packages are; the GitHub release binaries are not)".into(),
            command: None,
        });
        let mut wd303 = result(
            "WD303",
            Status::Fail,
            "RuntimeClass `wasmtime-spin-v2` does not exist: Deployment `default/wasm-spin`",
        );
        wd303.affected = vec![Affected {
            kind: "Deployment".into(),
            namespace: Some("default".into()),
            name: "wasm-spin".into(),
            node: None,
        }];
        for r in [
            result("WD101", Status::Pass, "crun found: `/usr/bin/crun`"),
            result("WD102", Status::Pass, "crun `1.23.1` at `/usr/bin/crun` meets the minimum `1.8.5`"),
            wd103,
            result("WD105", Status::Skip, "no containerd runtime uses a Wasm shim"),
            result("WD201", Status::Pass, "`/etc/containerd/config.toml` parses: config version 2, 1 runtime"),
            result("WD202", Status::Pass, "Wasm runtimes: `crun` (crun `/usr/bin/crun`)"),
            result("WD204", Status::Warn, "runtime `crun` lets only `run.oci.handler` through"),
            result(
                "WD301",
                Status::Pass,
                "RuntimeClasses for this node's Wasm runtimes: `crun` → handler `crun` (crun route)",
            ),
            wd303,
            result("WD401", Status::Skip, "Docker is not in use here: `--no-docker` was given"),
        ] {
            update(&mut s, Action::CheckDone(Box::new(r)));
        }
        s
    }

    fn draw(s: &AppState, w: u16, h: u16) -> String {
        let keys = KeyMap::new(&BTreeMap::new()).unwrap();
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| render(f, s, THEME, &keys)).unwrap();
        t.backend().to_string()
    }

    #[test]
    fn checks_still_running() {
        insta::assert_snapshot!(draw(&running(), 110, 30));
    }

    #[test]
    fn full_results() {
        insta::assert_snapshot!(draw(&finished(), 110, 30));
    }

    #[test]
    fn detail_pane_focused() {
        let mut s = finished();
        update(&mut s, Action::FocusNext);
        insta::assert_snapshot!(draw(&s, 110, 30));
    }

    const PLAN: &str = "WD204 (automatic, needs confirmation): add `module.wasm.image/variant` and `run.oci.handler` to the crun runtime's `pod_annotations`\n--- a/etc/containerd/config.toml\n+++ b/etc/containerd/config.toml\n@@ -3,3 +3,4 @@\n [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.crun]\n   runtime_type = \"io.containerd.runc.v2\"\n+  pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]\n   then restart `containerd`: `systemctl restart containerd` (systemd unit `containerd.service`), wait for containerd's socket and check that the runtimes it loaded equal the file; if not, restore the backup and restart again";

    fn planned_fix() -> AppState {
        let mut s = finished();
        update(&mut s, Action::Fix);
        update(
            &mut s,
            Action::FixPlanned(Ok(crate::ui::state::PlannedFix {
                text: PLAN.into(),
                manual: false,
                noop: false,
                restart_service: Some("containerd".into()),
                refused: false,
            })),
        );
        s
    }

    #[test]
    fn fix_preview() {
        let mut s = finished();
        update(&mut s, Action::Fix);
        insta::assert_snapshot!("fix_planning", draw(&s, 110, 30));
        insta::assert_snapshot!(draw(&planned_fix(), 110, 30));
    }

    #[test]
    fn fix_confirm_and_done() {
        let mut s = planned_fix();
        update(&mut s, Action::Apply);
        for c in "contai".chars() {
            update(&mut s, Action::FilterInput(c));
        }
        insta::assert_snapshot!("fix_confirm", draw(&s, 110, 30));
        for c in "nerd".chars() {
            update(&mut s, Action::FilterInput(c));
        }
        update(&mut s, Action::FilterCommit);
        for line in [
            "changed `/etc/containerd/config.toml` (backup `/etc/containerd/config.toml.wasmdoctor-20261124T100000Z.bak`; `wasmdoctor undo` restores it)",
            "restarting `containerd`: `systemctl restart containerd`",
            "containerd is back and loaded the file: the 3 runtimes containerd `v1.7.24` has loaded match `/etc/containerd/config.toml`",
            "WD204 now: pass: the crun runtime `crun` passes `module.wasm.image/variant` and `run.oci.handler` to crun",
        ] {
            update(&mut s, Action::FixProgress(line.into()));
        }
        update(&mut s, Action::FixDone { ok: true });
        insta::assert_snapshot!("fix_done", draw(&s, 110, 30));
    }

    #[test]
    fn help_overlay() {
        let mut s = finished();
        update(&mut s, Action::Help);
        insta::assert_snapshot!(draw(&s, 110, 30));
    }

    #[test]
    fn filter_active() {
        let mut s = finished();
        update(&mut s, Action::FilterStart);
        for c in "runtimeclass".chars() {
            update(&mut s, Action::FilterInput(c));
        }
        insta::assert_snapshot!(draw(&s, 110, 30));
    }

    #[test]
    fn smallest_supported_terminal() {
        insta::assert_snapshot!(draw(&finished(), 80, 24));
    }

    #[test]
    fn too_small_terminal() {
        let text = draw(&finished(), 60, 20);
        assert!(
            text.contains("terminal too small: wasmdoctor needs 80×24, this one is") && text.contains("60×20"),
            "{text}"
        );
    }

    #[test]
    fn status_colours_reach_the_cells() {
        let keys = KeyMap::new(&BTreeMap::new()).unwrap();
        let mut t = Terminal::new(TestBackend::new(110, 30)).unwrap();
        let s = finished();
        t.draw(|f| render(f, &s, Theme { color: true, unicode: true }, &keys)).unwrap();
        let buf = t.backend().buffer();
        let fail_cell = (0..110).flat_map(|x| (0..30).map(move |y| (x, y))).find(|&(x, y)| buf[(x, y)].symbol() == "✗");
        let (x, y) = fail_cell.expect("a fail mark is drawn");
        assert_eq!(buf[(x, y)].fg, Color::Red);
    }
}
