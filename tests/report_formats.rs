//! The CI report formats, each checked by a real consumer: SARIF against the official SARIF 2.1.0
//! schema (tests/schemas), JUnit XML through an XML parser, the Prometheus text through an
//! exposition-format parser; `--output` replaces its file whole.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// `check --format FORMAT` of a fixture host, node only, with `extra` flags.
fn report_with(host: &str, format: &str, extra: &[&str]) -> Run {
    let root = fixture(host);
    let mut args =
        vec!["check", "--format", format, "--no-cluster", "--no-docker", "--host-root", root.to_str().unwrap()];
    args.extend(extra);
    run(&args)
}

fn report(host: &str, format: &str) -> Run {
    report_with(host, format, &[])
}

/// The JSON report of the same host, to hold a format against.
fn json_report(host: &str) -> Value {
    report(host, "json").json()
}

#[test]
fn sarif_is_valid_sarif_2_1_0_with_a_rule_per_check_and_located_results() {
    let mut schema: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-schema-2.1.0.json"))
            .unwrap(),
    )
    .unwrap();
    // The published schema's `language` patterns (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`, on `run`
    // and `toolComponent`) have a stray `]`, which the meta-schema's `format: regex` rejects. They are
    // given their evident meaning here (wasmdoctor writes no `language`); every other rule applies as
    // published.
    for owner in ["run", "toolComponent"] {
        let language = &mut schema["definitions"][owner]["properties"]["language"]["pattern"];
        assert_eq!(language, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        *language = Value::from("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
    }
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    assert!(!validator.is_valid(&serde_json::json!({"version": "2.1.0"})), "the schema judges: `runs` is required");
    assert!(!validator.is_valid(&serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"level": "fatal", "message": {"text": "x"}}]}]})));
    for host in ["malformed-config", "k3s-crun-no-annotations", "crun-no-wasm", "healthy-crun"] {
        let r = report(host, "sarif");
        let sarif: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{host}: {e}\n{}", r.stdout));
        let errors: Vec<String> =
            validator.iter_errors(&sarif).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{host}: not SARIF 2.1.0: {errors:#?}");
        let json = json_report(host);
        let run0 = &sarif["runs"][0];
        let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), json["checks"].as_array().unwrap().len(), "one rule per check");
        let results = run0["results"].as_array().unwrap();
        let not_passing: Vec<&Value> = json["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| ["fail", "warn", "error"].contains(&c["status"].as_str().unwrap()))
            .collect();
        assert_eq!(results.len(), not_passing.len(), "{host}: a result per check that does not pass or skip");
        for res in results {
            let i = res["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], res["ruleId"]);
            let c = not_passing.iter().find(|c| c["id"] == res["ruleId"]).unwrap();
            let want = match c["status"].as_str().unwrap() {
                "fail" => "error",
                "warn" => "warning",
                _ => "note",
            };
            assert_eq!(res["level"], want);
            assert!(res["message"]["text"].as_str().unwrap().starts_with(c["message"].as_str().unwrap()));
        }
        assert_eq!(
            r.code,
            if not_passing.iter().any(|c| c["status"] != "warn") { 1 } else { 0 },
            "{host}: the same exit codes"
        );
    }
    // Located at the file and line the check names.
    let sarif: Value = serde_json::from_str(&report("malformed-config", "sarif").stdout).unwrap();
    let wd201 = sarif["runs"][0]["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "WD201").unwrap();
    let at = &wd201["locations"][0]["physicalLocation"];
    assert_eq!(at["artifactLocation"]["uri"], "file:///etc/containerd/config.toml");
    assert_eq!((at["region"]["startLine"].as_u64(), at["region"]["startColumn"].as_u64()), (Some(3), Some(44)));
    // A runtime table's finding is at the table's line (WD202/WD203 here); a missing setting, at its file.
    let sarif: Value = serde_json::from_str(&report("containerd2-v3-with-v2-tables", "sarif").stdout).unwrap();
    for id in ["WD202", "WD203"] {
        let r = sarif["runs"][0]["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == id).unwrap();
        let at = &r["locations"][0]["physicalLocation"];
        assert_eq!(at["artifactLocation"]["uri"], "file:///etc/containerd/config.toml", "{id}");
        assert!(at["region"]["startLine"].as_u64().is_some_and(|l| l > 1), "{id}: {at}");
    }
    let sarif: Value = serde_json::from_str(&report("containerd21-shim", "sarif").stdout).unwrap();
    let wd210 = sarif["runs"][0]["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "WD210").unwrap();
    assert_eq!(
        wd210["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "file:///etc/containerd/config.toml"
    );
    // Else at the node.
    let sarif: Value = serde_json::from_str(&report("crun-no-wasm", "sarif").stdout).unwrap();
    let wd103 = sarif["runs"][0]["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "WD103").unwrap();
    assert_eq!(wd103["locations"][0]["logicalLocations"][0]["fullyQualifiedName"], "node/worker-nowasm");
    let rule =
        sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap().iter().find(|r| r["id"] == "WD103").unwrap();
    assert_eq!(rule["name"], "crun-wasm-handler");
    assert!(rule["help"]["text"].as_str().unwrap().contains("docs/troubleshooting.md#wd103-crun-wasm-handler"));
}

#[test]
fn junit_parses_with_a_testcase_per_check_grouped_by_category() {
    let r = report("crun-no-wasm", "junit");
    assert_eq!(r.code, 1);
    let doc = roxmltree::Document::parse(&r.stdout).unwrap_or_else(|e| panic!("not XML: {e}\n{}", r.stdout));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let json = json_report("crun-no-wasm");
    let checks = json["checks"].as_array().unwrap();
    let cases: Vec<roxmltree::Node> = root.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), checks.len());
    assert_eq!(root.attribute("tests"), Some(checks.len().to_string().as_str()));
    for (tag, status) in [("failure", "fail"), ("skipped", "skip"), ("error", "error")] {
        let n = cases.iter().filter(|c| c.children().any(|k| k.has_tag_name(tag))).count();
        assert_eq!(n, checks.iter().filter(|c| c["status"] == status).count(), "{tag}");
        let attr = if tag == "skipped" {
            "skipped"
        } else if tag == "failure" {
            "failures"
        } else {
            "errors"
        };
        assert_eq!(root.attribute(attr), Some(n.to_string().as_str()), "{attr}");
    }
    let suites: Vec<&str> =
        root.children().filter(|n| n.has_tag_name("testsuite")).filter_map(|n| n.attribute("name")).collect();
    assert_eq!(suites, ["node", "containerd", "cluster", "docker"]);
    let wd103 = cases.iter().find(|c| c.attribute("name") == Some("WD103 crun-wasm-handler")).unwrap();
    assert_eq!(wd103.attribute("classname"), Some("wasmdoctor.node"));
    let failure = wd103.children().find(|k| k.has_tag_name("failure")).unwrap();
    assert!(
        failure.attribute("message").unwrap().contains("without a WASM handler"),
        "{:?}",
        failure.attribute("message")
    );
    assert!(failure.text().unwrap().contains("/usr/bin/crun --version: "), "the evidence: {:?}", failure.text());
}

#[test]
fn prometheus_text_parses_and_output_replaces_the_file_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("wasmdoctor.prom");
    std::fs::write(&out, "stale\n").unwrap();
    let r = report_with("crun-no-wasm", "prometheus", &["--output", out.to_str().unwrap()]);
    assert_eq!(r.code, 1, "the same exit code as text: {}", r.stderr);
    assert!(r.stdout.is_empty(), "the report went to the file");
    let text = std::fs::read_to_string(&out).unwrap();
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "no temporary file is left: {names:?}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o644, "a collector can read it");
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("exposition format");
    let status: Vec<&prometheus_parse::Sample> =
        scrape.samples.iter().filter(|s| s.metric == "wasmdoctor_check_status").collect();
    let json = json_report("crun-no-wasm");
    assert_eq!(status.len(), json["checks"].as_array().unwrap().len());
    let wd103 = status.iter().find(|s| s.labels.get("id") == Some("WD103")).unwrap();
    assert_eq!(
        (wd103.labels.get("slug"), wd103.labels.get("category"), wd103.labels.get("status")),
        (Some("crun-wasm-handler"), Some("node"), Some("fail"))
    );
    assert!(matches!(wd103.value, prometheus_parse::Value::Gauge(v) if v == 1.0));
    for metric in ["wasmdoctor_run_duration_seconds", "wasmdoctor_last_run_timestamp_seconds"] {
        let s = scrape.samples.iter().find(|s| s.metric == metric).unwrap_or_else(|| panic!("{metric}"));
        assert!(matches!(s.value, prometheus_parse::Value::Gauge(v) if v >= 0.0), "{metric}");
    }
    let ts = scrape.samples.iter().find(|s| s.metric == "wasmdoctor_last_run_timestamp_seconds").unwrap();
    assert!(matches!(ts.value, prometheus_parse::Value::Gauge(v) if v > 1.7e9), "a Unix time");
    assert_eq!(
        scrape.docs.get("wasmdoctor_check_status").map(String::as_str),
        Some("A check's status (1 for the status it has).")
    );

    // `-` is stdout; a directory that does not exist is exit 2, naming it.
    let r = report_with("crun-no-wasm", "junit", &["-o", "-"]);
    assert!(r.stdout.starts_with("<?xml"), "{}", r.stdout);
    let missing = dir.path().join("no/such/dir/report.sarif");
    let r = report_with("crun-no-wasm", "sarif", &["-o", missing.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("writing ") && r.stderr.contains("no/such/dir/report.sarif"), "{}", r.stderr);
}
