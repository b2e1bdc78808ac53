//! The Prometheus text exposition format (0.0.4) of a report: node_exporter's textfile collector
//! reads it from `check --format prometheus --output FILE` (written atomically: a collector never
//! reads half a file), and the agent serves it on `/metrics`.

use std::fmt::Write as _;

use super::{CheckResult, Report};

/// `wasmdoctor_check_status{id,slug,category,status} 1` for each check, with its HELP and TYPE.
pub fn check_status<'a>(checks: impl Iterator<Item = &'a CheckResult>) -> String {
    let mut out = String::from(
        "# HELP wasmdoctor_check_status A check's status (1 for the status it has).\n# TYPE wasmdoctor_check_status gauge\n",
    );
    for c in checks {
        let _ = writeln!(
            out,
            "wasmdoctor_check_status{{id=\"{}\",slug=\"{}\",category=\"{}\",status=\"{}\"}} 1",
            label(&c.id),
            label(&c.slug),
            c.category.as_str(),
            c.status.as_str()
        );
    }
    out
}

/// A gauge with its HELP and TYPE.
pub fn gauge(name: &str, help: &str, value: impl std::fmt::Display) -> String {
    format!("# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n")
}

/// The whole report: every check's status, how long the run took, and when it started
/// (`started_epoch`, Unix seconds).
pub fn render(report: &Report, started_epoch: i64) -> String {
    let mut out = check_status(report.checks.iter());
    out += &gauge(
        "wasmdoctor_run_duration_seconds",
        "How long the run took.",
        format_args!("{:.3}", report.duration_ms as f64 / 1000.0),
    );
    out += &gauge("wasmdoctor_last_run_timestamp_seconds", "When the run started (Unix time).", started_epoch);
    out
}

/// A label value as the exposition format escapes it: backslash, double quote, newline.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
