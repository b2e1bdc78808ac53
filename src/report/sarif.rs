//! SARIF 2.1.0 of a report, for code scanning: one rule per check (its title, why, fix and docs
//! anchor from the catalog, passed in as `RuleText`), one result per check that fails (`error`),
//! warns (`warning`) or could not decide (`note`). A result is located at the config file and line
//! its evidence names (an evidence source `/path:line[:col]`), else at the node (a logical location),
//! with the cluster objects it names beside.

use serde_json::{Value, json};

use super::{CheckResult, Report, Status};

/// What the catalog says of a check, for its SARIF rule.
pub struct RuleText<'a> {
    pub id: &'a str,
    pub slug: &'a str,
    pub title: &'a str,
    pub why: &'a str,
    pub fix: &'a str,
    pub docs: String,
    /// Where the docs anchor is published (an absolute URL), when the package says where it lives.
    pub help_uri: Option<String>,
}

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn render(report: &Report, rules: &[RuleText]) -> String {
    let rule_objects: Vec<Value> = rules
        .iter()
        .map(|r| {
            let mut rule = json!({
                "id": r.id,
                "name": r.slug,
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.why.trim()},
                "help": {"text": format!("{}\n\nSee {} (or `wasmdoctor explain {}`).", r.fix.trim(), r.docs, r.id)},
                "properties": {"docs": r.docs},
            });
            if let Some(uri) = &r.help_uri {
                rule["helpUri"] = json!(uri);
            }
            rule
        })
        .collect();
    let results: Vec<Value> = report
        .checks
        .iter()
        .filter_map(|c| {
            let level = match c.status {
                Status::Fail => "error",
                Status::Warn => "warning",
                Status::Error => "note",
                Status::Pass | Status::Skip => return None,
            };
            let index = rules.iter().position(|r| r.id == c.id)?;
            Some(result(c, level, index, report.target.node.as_deref()))
        })
        .collect();
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": report.tool.name,
                "version": report.tool.version,
                "rules": rule_objects,
            }},
            "invocations": [{
                "executionSuccessful": report.summary.error == 0,
                "startTimeUtc": report.started_at,
            }],
            "results": results,
        }],
    });
    // Serializing a `Value` cannot fail.
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

fn result(c: &CheckResult, level: &str, rule_index: usize, node: Option<&str>) -> Value {
    let mut text = c.message.clone();
    if let Some(f) = &c.fix {
        text = format!("{text}\nFix: {}", f.summary);
    }
    let physical: Vec<Value> = c
        .evidence
        .iter()
        .filter_map(|e| file_line(&e.source))
        .map(|(path, line, column)| {
            let mut at = json!({"artifactLocation": {"uri": uri(path)}});
            if let Some(line) = line {
                at["region"] = json!({"startLine": line});
            }
            if let Some(col) = column {
                at["region"]["startColumn"] = json!(col);
            }
            json!({"physicalLocation": at})
        })
        .collect();
    // The first that has a line, else the first file.
    let physical: Vec<Value> = physical
        .iter()
        .find(|p| p["physicalLocation"]["region"].is_object())
        .or(physical.first())
        .cloned()
        .into_iter()
        .collect();
    let node_location = node.map(|n| json!({"name": n, "fullyQualifiedName": format!("node/{n}"), "kind": "resource"}));
    let objects: Vec<Value> = c
        .affected
        .iter()
        .map(|a| {
            let name = match &a.namespace {
                Some(ns) => format!("{ns}/{}", a.name),
                None => a.name.clone(),
            };
            json!({"name": name, "fullyQualifiedName": format!("{}/{name}", a.kind), "kind": "resource"})
        })
        .collect();
    let mut locations = physical;
    if locations.is_empty()
        && let Some(n) = &node_location
    {
        locations.push(json!({"logicalLocations": [n]}));
    }
    let mut r = json!({
        "ruleId": c.id,
        "ruleIndex": rule_index,
        "level": level,
        "message": {"text": text},
        "locations": locations,
        "properties": {"status": c.status.as_str(), "category": c.category.as_str()},
    });
    if !objects.is_empty() {
        r["relatedLocations"] =
            objects.into_iter().enumerate().map(|(i, o)| json!({"id": i, "logicalLocations": [o]})).collect();
    }
    r
}

/// `/etc/containerd/config.toml`, `…:12` or `…:3:44` → the path, line and column.
fn file_line(source: &str) -> Option<(&str, Option<u64>, Option<u64>)> {
    if !source.starts_with('/') || source.contains(char::is_whitespace) {
        return None;
    }
    let number = |s: &str| s.parse::<u64>().ok().filter(|n| *n > 0);
    let Some((head, last)) = source.rsplit_once(':') else { return Some((source, None, None)) };
    let Some(last) = number(last) else { return (!source.contains(':')).then_some((source, None, None)) };
    Some(match head.rsplit_once(':').and_then(|(p, l)| number(l).map(|l| (p, l))) {
        Some((path, line)) => (path, Some(line), Some(last)),
        None => (head, Some(last), None),
    })
}

/// A node path as a `file://` URI, every byte but the unreserved ones and `/` percent-encoded.
fn uri(path: &str) -> String {
    const PATH: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'/').remove(b'-').remove(b'.').remove(b'_').remove(b'~');
    format!("file://{}", percent_encoding::utf8_percent_encode(path, PATH))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_sources_with_a_line_are_locations() {
        assert_eq!(file_line("/etc/containerd/config.toml:12"), Some(("/etc/containerd/config.toml", Some(12), None)));
        assert_eq!(
            file_line("/etc/containerd/config.toml:3:44"),
            Some(("/etc/containerd/config.toml", Some(3), Some(44)))
        );
        assert_eq!(file_line("/etc/containerd/config.toml"), Some(("/etc/containerd/config.toml", None, None)));
        assert_eq!(file_line("k3s sets it (/x.toml:25)"), None);
        assert_eq!(file_line("/usr/bin/crun --version"), None);
        assert_eq!(file_line("/x.toml:0"), None);
        assert_eq!(uri("/var/lib/a b.toml"), "file:///var/lib/a%20b.toml");
    }

    #[test]
    fn a_rule_links_its_docs_when_the_package_says_where_they_are() {
        let report: Report = serde_json::from_value(serde_json::json!({
            "schema_version": 1, "tool": {"name": "wasmdoctor", "version": "0.1.0"}, "started_at": "2026-11-28T10:00:00Z",
            "duration_ms": 1, "target": {"host_root": "/", "node": "n1", "cluster": null}, "sources": [],
            "summary": {"pass": 0, "warn": 0, "fail": 0, "skip": 0, "error": 0}, "checks": []
        }))
        .unwrap();
        let rule = |help_uri: Option<String>| RuleText {
            id: "WD204",
            slug: "crun-pod-annotations",
            title: "t",
            why: "w",
            fix: "f",
            docs: "docs/troubleshooting.md#wd204-crun-pod-annotations".into(),
            help_uri,
        };
        let with: Value =
            serde_json::from_str(&render(&report, &[rule(Some("https://example.com/d#wd204".into()))])).unwrap();
        assert_eq!(with["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"], "https://example.com/d#wd204");
        let without: Value = serde_json::from_str(&render(&report, &[rule(None)])).unwrap();
        assert!(without["runs"][0]["tool"]["driver"]["rules"][0].get("helpUri").is_none(), "no URL is made up");
    }
}
