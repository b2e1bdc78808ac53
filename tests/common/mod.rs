//! Running the built binary in tests.

#![allow(dead_code)]

pub mod daemons;
pub mod fake_api;
pub mod rbac;
pub mod real_api;
pub mod roots;
pub mod tmux;

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }
}

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wasmdoctor"));
    c.env_remove("NODE_NAME")
        .env_remove("DOCKER_HOST")
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env("NO_COLOR", "1")
        .env("LANG", "C.UTF-8");
    c
}

pub fn run(args: &[&str]) -> Run {
    let out = bin().args(args).output().expect("run wasmdoctor");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Run `cmd` to its end; a run past `limit` is killed and fails the test (a hang is a failure, never a
/// stuck CI job).
pub fn within(mut cmd: Command, limit: std::time::Duration) -> Run {
    use std::process::Stdio;
    let started = std::time::Instant::now();
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run wasmdoctor");
    // Pipes are drained on threads, so a chatty child never blocks on a full pipe.
    let drain = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            String::from_utf8_lossy(&v).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no answer within {limit:?}:\n{}", out.join().unwrap_or_default());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    Run { code: status.code().unwrap_or(-1), stdout: out.join().unwrap(), stderr: err.join().unwrap() }
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hosts").join(name)
}

pub fn corpus() -> PathBuf {
    // shared/ sits beside the repository (the work tree, and CI's clean clone).
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
}

/// Validate a report against docs/report.schema.json.
pub fn assert_schema_valid(report: &serde_json::Value) {
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(report).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "report does not match docs/report.schema.json:\n{}", errors.join("\n"));
}

/// `{"WD101": "pass", …}` of a report.
pub fn statuses(report: &serde_json::Value) -> std::collections::BTreeMap<String, String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c["status"].as_str().unwrap().to_string()))
        .collect()
}

pub fn check<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("{id} not in report"))
}

/// The report as it must stay across refactors: timing fields fixed, and every machine-specific
/// string (this checkout's path, a fake server's URL) replaced by a placeholder.
pub fn stable_report(report: &serde_json::Value, replace: &[(&str, &str)]) -> String {
    let mut j = report.clone();
    j["started_at"] = serde_json::json!("[started_at]");
    j["duration_ms"] = serde_json::json!(0);
    let mut text = serde_json::to_string_pretty(&j).expect("a report serializes");
    text = text.replace(env!("CARGO_MANIFEST_DIR"), "[repo]");
    for (from, to) in replace {
        text = text.replace(from, to);
    }
    text
}

/// Snapshot a report under `<test name>-<n>` (the n-th report of the calling test), so that helpers
/// shared by several tests name each report after the test that made it.
pub fn assert_report_unchanged(report: &serde_json::Value, replace: &[(&str, &str)]) {
    thread_local!(static COUNT: std::cell::Cell<u32> = const { std::cell::Cell::new(0) });
    let n = COUNT.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    let test = std::thread::current().name().unwrap_or("report").rsplit("::").next().unwrap_or("report").to_string();
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(format!("report__{test}-{n}"), stable_report(report, replace));
    });
}
