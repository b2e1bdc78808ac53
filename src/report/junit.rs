//! The JUnit XML of a report, for CI test reports: a `testsuite` per category, a `testcase` per check.
//! `skip` is `<skipped>`, `fail` a `<failure>`, `error` (the check could not decide) an `<error>`, each
//! with the message and the evidence; a `warn` passes, its message in `<system-out>`. Text from the
//! node or the cluster is escaped twice over: terminal controls shown as `\x1b` (XML 1.0 cannot carry
//! most control characters at all), then XML's five entities.

use std::fmt::Write as _;

use super::escape::lines;
use super::{Category, CheckResult, Report, Status};

pub fn render(report: &Report) -> String {
    let s = &report.summary;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"wasmdoctor\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\">",
        report.checks.len(),
        s.fail,
        s.error,
        s.skip,
        seconds(report.duration_ms),
        xml(&report.started_at)
    );
    for category in [Category::Node, Category::Containerd, Category::Cluster, Category::Docker] {
        let checks: Vec<&CheckResult> = report.checks.iter().filter(|c| c.category == category).collect();
        if checks.is_empty() {
            continue;
        }
        let n = |st: Status| checks.iter().filter(|c| c.status == st).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"0\" timestamp=\"{}\">",
            category.as_str(),
            checks.len(),
            n(Status::Fail),
            n(Status::Error),
            n(Status::Skip),
            xml(&report.started_at)
        );
        for c in checks {
            testcase(&mut out, c);
        }
        out += "  </testsuite>\n";
    }
    out += "</testsuites>\n";
    out
}

fn testcase(out: &mut String, c: &CheckResult) {
    let _ = write!(
        out,
        "    <testcase classname=\"wasmdoctor.{}\" name=\"{} {}\" time=\"0\"",
        c.category.as_str(),
        xml(&c.id),
        xml(&c.slug)
    );
    let body = details(c);
    let element = match c.status {
        Status::Pass => None,
        Status::Skip => Some("skipped"),
        Status::Fail => Some("failure"),
        Status::Error => Some("error"),
        Status::Warn => {
            let _ = writeln!(out, ">\n      <system-out>warning: {}</system-out>\n    </testcase>", xml(&body));
            return;
        }
    };
    match element {
        None => out.push_str("/>\n"),
        Some(e) => {
            let _ = writeln!(
                out,
                ">\n      <{e} message=\"{}\" type=\"{}\">{}</{e}>\n    </testcase>",
                xml(&c.message),
                c.status.as_str(),
                xml(&body)
            );
        }
    }
}

/// The message, the evidence, the fix and the docs anchor, one per line.
fn details(c: &CheckResult) -> String {
    let mut text = c.message.clone();
    for e in &c.evidence {
        let _ = write!(text, "\n{}: {}", e.source, e.value);
    }
    if let Some(f) = &c.fix {
        let _ = write!(text, "\nfix: {}", f.summary);
    }
    let _ = write!(text, "\nsee: {}", c.docs);
    text
}

fn seconds(ms: u64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

/// Terminal controls made visible, then XML's entities (attribute-safe). U+FFFE and U+FFFF, which
/// XML 1.0 does not allow either, are shown too.
fn xml(s: &str) -> String {
    lines(s)
        .replace('\u{fffe}', "\\u{fffe}")
        .replace('\u{ffff}', "\\u{ffff}")
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Evidence, Summary, Target, Tool};

    #[test]
    fn hostile_text_from_the_cluster_stays_well_formed_xml() {
        let evil = "pod \u{1b}]0;owned\u{7} <script>&\"'\u{ffff}";
        let check = CheckResult {
            id: "WD308".into(),
            slug: "wasm-pod-failures".into(),
            category: Category::Cluster,
            title: "t".into(),
            status: Status::Fail,
            message: evil.into(),
            evidence: vec![Evidence { source: evil.into(), value: evil.into() }],
            affected: Vec::new(),
            fix: None,
            docs: "docs/troubleshooting.md#wd308-wasm-pod-failures".into(),
        };
        let report = Report {
            schema_version: 1,
            tool: Tool { name: "wasmdoctor".into(), version: "0".into() },
            started_at: "2026-11-28T10:00:00Z".into(),
            duration_ms: 5,
            target: Target {
                host_root: "/".into(),
                node: None,
                node_unknown: None,
                live: false,
                live_because: String::new(),
                cluster: None,
            },
            sources: Vec::new(),
            summary: Summary { fail: 1, ..Summary::default() },
            checks: vec![check],
        };
        let xml = render(&report);
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        let failure = doc.descendants().find(|n| n.has_tag_name("failure")).unwrap();
        assert_eq!(failure.attribute("message"), Some("pod \\x1b]0;owned\\x07 <script>&\"'\\u{ffff}"));
        assert!(!xml.contains('\u{1b}'), "no control character reaches the file");
    }
}
