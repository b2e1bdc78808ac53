//! The doctor-style text report: grouped by category, a mark per check, the message, a hint with
//! the docs anchor for anything not passing, and a closing summary line.

use std::fmt::Write as _;

use super::escape::{line, lines};
use super::{Category, Report, SourceState, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    pub unicode: bool,
    /// Every skipped check on a line of its own (`-v`), not a left-out source's as one line.
    pub verbose: bool,
}

impl Style {
    /// Colour only on a terminal and never with `NO_COLOR` set; Unicode marks only in a UTF-8 locale.
    pub fn detect(is_terminal: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let term_dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        Style { color: is_terminal && !no_color && !term_dumb, unicode: utf8_locale() && !term_dumb, verbose: false }
    }
}

fn utf8_locale() -> bool {
    for var in ["LC_ALL", "LC_CTYPE", "LANG"] {
        if let Ok(v) = std::env::var(var)
            && !v.is_empty()
        {
            let v = v.to_ascii_lowercase();
            return v.contains("utf-8") || v.contains("utf8");
        }
    }
    // No locale set at all (containers, CI): modern terminals are UTF-8.
    true
}

pub fn mark(status: Status, unicode: bool) -> &'static str {
    match (status, unicode) {
        (Status::Pass, true) => "✓",
        (Status::Warn, true) => "!",
        (Status::Fail, true) => "✗",
        (Status::Skip, true) => "–",
        (Status::Error, true) => "?",
        (Status::Pass, false) => "+",
        (Status::Warn, false) => "!",
        (Status::Fail, false) => "x",
        (Status::Skip, false) => "-",
        (Status::Error, false) => "?",
    }
}

fn paint(s: &str, status: Status, style: Style) -> String {
    if !style.color {
        return s.to_string();
    }
    let code = match status {
        Status::Pass => "32",
        Status::Warn => "33",
        Status::Fail => "31",
        Status::Skip => "2",
        Status::Error => "35",
    };
    format!("\x1b[{code}m{s}\x1b[0m")
}

fn bold(s: &str, style: Style) -> String {
    if style.color { format!("\x1b[1m{s}\x1b[0m") } else { s.to_string() }
}

pub fn render(report: &Report, style: Style) -> String {
    let mut out = String::new();
    let node = match (&report.target.node, &report.target.node_unknown) {
        (Some(n), _) => line(n).into_owned(),
        (None, Some(why)) => format!("unknown ({}; give --node or $NODE_NAME)", line(why)),
        (None, None) => "unknown".to_string(),
    };
    let t = &report.target;
    // Under `/` it goes without saying; elsewhere, whether a silent daemon is a failure turns on it.
    let liveness = if t.host_root == "/" && !t.live_because.starts_with('`') || t.live_because.is_empty() {
        String::new()
    } else {
        format!(" ({}: {})", if t.live { "live" } else { "offline" }, line(&t.live_because))
    };
    let _ = writeln!(
        out,
        "wasmdoctor {} · node {} · host root {}{liveness}",
        report.tool.version,
        node,
        line(&t.host_root)
    );
    if let Some(c) = report.target.cluster.as_ref().filter(|c| c.insecure_skip_tls_verify) {
        let _ = writeln!(
            out,
            "  cluster {}: `insecure-skip-tls-verify` is set in the kubeconfig: the API server's certificate is not verified",
            line(c.server.as_deref().unwrap_or("?"))
        );
    }
    for s in report.sources.iter().filter(|s| s.status != SourceState::Ok) {
        let state = if s.status == SourceState::Skipped { "left out" } else { "unavailable" };
        let _ = writeln!(out, "  source {} {}: {}", s.name, state, line(s.reason.as_deref().unwrap_or("")));
    }
    for category in [Category::Node, Category::Containerd, Category::Cluster, Category::Docker] {
        let checks: Vec<_> = report.checks.iter().filter(|c| c.category == category).collect();
        if checks.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{}", bold(category.as_str(), style));
        // A category whose every check skipped, or could not run because its source is unreachable,
        // is one line with the reason its source gave (`-v` lists them).
        let source = report.sources.iter().find(|s| s.name == category.as_str() && s.status != SourceState::Ok);
        let all = |status: Status| checks.iter().all(|c| c.status == status);
        let collapsed = if all(Status::Skip) {
            Some((Status::Skip, "skipped"))
        } else if source.is_some() && all(Status::Error) {
            Some((Status::Error, "could not run"))
        } else {
            None
        };
        if let Some((status, what)) = collapsed.filter(|_| !style.verbose && checks.len() > 1) {
            let why = source.and_then(|s| s.reason.as_deref()).unwrap_or(&checks[0].message);
            let m = paint(mark(status, style.unicode), status, style);
            let _ = writeln!(out, "  {m} {} checks {what}: {} (`-v` lists them)", checks.len(), line(why));
            continue;
        }
        for c in checks {
            let m = paint(mark(c.status, style.unicode), c.status, style);
            let _ = writeln!(out, "  {m} {} {}", c.id, c.title);
            let _ = writeln!(out, "      {}", line(&c.message));
            if matches!(c.status, Status::Pass | Status::Skip) {
                continue;
            }
            for e in &c.evidence {
                let _ = writeln!(out, "      · {}: {}", line(&e.source), line(&e.value));
            }
            if let Some(fix) = &c.fix {
                let _ = writeln!(out, "      hint: {}", lines(&fix.summary));
            }
            let _ = writeln!(out, "      see: {} (or `wasmdoctor explain {}`)", c.docs, c.id);
        }
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "\n{}",
        bold(
            &format!(
                "{} passed, {} warnings, {} failed, {} skipped, {} errors ({} ms)",
                s.pass, s.warn, s.fail, s.skip, s.error, report.duration_ms
            ),
            style
        )
    );
    if let Some(next) = next_step(report) {
        let _ = writeln!(out, "next: {next}");
    }
    out
}

/// The command to run next, as `flutter doctor` ends: the first automatic fix of a failing check,
/// else the explanation of the first check that did not pass.
fn next_step(report: &Report) -> Option<String> {
    let failing = |c: &&super::CheckResult| matches!(c.status, Status::Fail | Status::Error);
    if let Some(c) = report.checks.iter().filter(failing).find(|c| c.fix.as_ref().is_some_and(|f| f.automatic)) {
        return Some(format!("`wasmdoctor fix {}` ({})", c.id, line(&c.title)));
    }
    let worst = report
        .checks
        .iter()
        .filter(|c| c.status != Status::Pass && c.status != Status::Skip)
        .min_by_key(|c| std::cmp::Reverse(c.status))?;
    Some(format!("`wasmdoctor explain {}` ({})", worst.id, line(&worst.title)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{CheckResult, Source, Summary, Target, Tool};

    fn check(id: &str, category: Category, status: Status, message: &str) -> CheckResult {
        CheckResult {
            id: id.into(),
            slug: "s".into(),
            category,
            title: format!("{id} title"),
            status,
            message: message.into(),
            evidence: Vec::new(),
            affected: Vec::new(),
            fix: None,
            docs: String::new(),
        }
    }

    fn report(checks: Vec<CheckResult>, sources: Vec<Source>) -> Report {
        Report {
            schema_version: 1,
            tool: Tool { name: "wasmdoctor".into(), version: "0".into() },
            started_at: String::new(),
            duration_ms: 1,
            target: Target {
                host_root: "/".into(),
                node: Some("n1".into()),
                node_unknown: None,
                live: true,
                live_because: String::new(),
                cluster: None,
            },
            sources,
            summary: Summary::of(&checks),
            checks,
        }
    }

    const PLAIN: Style = Style { color: false, unicode: false, verbose: false };

    #[test]
    fn an_unreachable_sources_checks_are_one_line() {
        let why = "the API server https://10.0.0.1:6443 did not answer in time";
        let unreachable = Source { name: "cluster".into(), status: SourceState::Unavailable, reason: Some(why.into()) };
        let checks = vec![
            check("WD301", Category::Cluster, Status::Error, why),
            check("WD302", Category::Cluster, Status::Error, why),
            check("WD101", Category::Node, Status::Error, "crun --version timed out"),
            check("WD102", Category::Node, Status::Pass, "ok"),
        ];
        let text = render(&report(checks.clone(), vec![unreachable.clone()]), PLAIN);
        assert!(text.contains(&format!("\ncluster\n  ? 2 checks could not run: {why} (`-v` lists them)\n")), "{text}");
        assert!(text.contains("  ? WD101 WD101 title\n"), "a source that answered keeps its lines: {text}");
        let verbose = render(&report(checks, vec![unreachable]), Style { verbose: true, ..PLAIN });
        assert!(verbose.contains("  ? WD301 WD301 title\n") && !verbose.contains("could not run:"), "{verbose}");
    }
}
