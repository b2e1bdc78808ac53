//! Node fixes on every corpus config that has the problem: the real collector and planner on a host
//! root, and the line-level editors on every corpus file; each result is still read as it should be.

mod common;

use common::roots::*;
use common::*;
use wasmdoctor::facts::Route;
use wasmdoctor::rules::containerd_config::parse;

/// WD204's edit on every corpus config (templates excepted) that has a crun-route runtime without
/// the annotations: the result parses, the runtime has them, and no other line changed.
#[test]
fn wd204_edit_on_every_corpus_config_with_the_problem() {
    let dir = corpus().join("containerd-config");
    let mut edited = 0;
    for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".toml") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let Ok(parsed) = parse(&name, &text, false) else { continue };
        for r in parsed.runtimes.iter().filter(|r| r.route == Route::Crun) {
            let has = r.pod_annotations.as_ref().is_some_and(|p| WANTED.iter().all(|w| p.iter().any(|x| x == w)));
            if has {
                continue;
            }
            let out = wasmdoctor::plan::edit::add_pod_annotations(&text, &r.plugin_id, &r.name, WANTED).unwrap();
            let again = parse(&name, &out, false).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let fixed = again.runtimes.iter().find(|x| x.name == r.name && x.plugin_id == r.plugin_id).unwrap();
            let ann = fixed.pod_annotations.clone().unwrap();
            assert!(WANTED.iter().all(|w| ann.iter().any(|x| x == w)), "{name}: {ann:?}");
            let removed: Vec<&str> = text.lines().filter(|l| !out.lines().any(|o| o == *l)).collect();
            assert!(removed.iter().all(|l| l.contains("pod_annotations")), "{name}: lines changed: {removed:?}");
            edited += 1;
        }
    }
    assert!(edited >= 3, "only {edited} corpus configs had the problem");
}

/// WD202 on every corpus config (templates and excerpts excepted) without a Wasm runtime, through
/// the real collector and planner on a host root with a WASM-capable crun: the result parses, the
/// crun runtime is read with the right fields, and every byte of the original is kept.
#[test]
fn wd202_on_every_corpus_config_with_the_problem() {
    use wasmdoctor::collect::{CollectOptions, collect, host::HostRoot};
    use wasmdoctor::facts::RuntimeStatus;
    let dir = corpus().join("containerd-config");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    let mut edited = Vec::new();
    for name in &names {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let root = tempfile::tempdir().unwrap();
        write(root.path(), "/etc/containerd/config.toml", &text, 0o644);
        write(root.path(), "/usr/local/bin/crun", CRUN_WASM, 0o755);
        let facts = collect(&CollectOptions::node_only(root.path(), "worker-1"));
        let c = &facts.node.collected().unwrap().containerd_config;
        if c.runtimes.iter().any(|r| r.route != Route::Other)
            || c.main_file().is_none_or(|f| f.state != wasmdoctor::facts::FileState::Parsed)
        {
            continue;
        }
        let host = HostRoot::new(root.path());
        let read = |p: &str| host.read_to_string(p);
        let policy = wasmdoctor::policy::Policy::default();
        let input = wasmdoctor::plan::PlanInput { facts: &facts, policy: &policy, host_is_root: false, read: &read };
        let plan = wasmdoctor::fix::plan("WD202", &input).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(plan.edits.len(), 1, "{name}: {}", plan.render());
        let e = &plan.edits[0];
        assert!(e.after.starts_with(&text), "{name}: bytes of the original changed");
        let parsed = parse(&e.path, &e.after, false).unwrap_or_else(|m| panic!("{name}: {m:?}"));
        let r = parsed.runtimes.iter().find(|r| r.name == "crun").unwrap_or_else(|| panic!("{name}: no crun runtime"));
        assert_eq!(r.route, Route::Crun, "{name}");
        assert_eq!(r.status, RuntimeStatus::Active, "{name}");
        assert_eq!(r.binary_name.as_deref(), Some("/usr/local/bin/crun"), "{name}");
        assert_eq!(
            r.pod_annotations.as_deref(),
            Some(&WANTED.iter().map(|s| s.to_string()).collect::<Vec<_>>()[..]),
            "{name}"
        );
        let want_plugin = match parsed.version.unwrap_or(1) {
            3 => "io.containerd.cri.v1.runtime",
            2 => "io.containerd.grpc.v1.cri",
            _ => "cri",
        };
        assert_eq!(r.plugin_id, want_plugin, "{name}");
        edited.push(name.clone());
    }
    assert!(edited.len() >= 4, "only {edited:?} had the problem");
}

/// The line-level editors on every corpus file (templates and excerpts too), for every runtime
/// they declare: no panic, and a result that is still read as a template of the same runtimes.
#[test]
fn line_editors_on_every_corpus_file() {
    use wasmdoctor::plan::edit::{rename_runtime_plugin, runtime_block, set_in_template};
    let dir = corpus().join("containerd-config");
    let mut edited = 0;
    for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(text) = std::fs::read_to_string(entry.path()) else { continue };
        let template = name.contains(".tmpl") || name.contains(".gtpl");
        let Ok(parsed) = parse(&name, &text, template) else { continue };
        for r in &parsed.runtimes {
            let _ = runtime_block(&text, &r.plugin_id, &r.name);
            let _ = rename_runtime_plugin(&text, &r.plugin_id, "io.containerd.cri.v1.runtime", &r.name);
            if let Ok(out) = set_in_template(&text, &r.plugin_id, &r.name, Some("options"), "SystemdCgroup", "true") {
                let again = parse(&name, &out, true).unwrap_or_else(|m| panic!("{name}: {m:?}"));
                let x = again.runtimes.iter().find(|x| x.name == r.name && x.plugin_id == r.plugin_id);
                assert_eq!(x.and_then(|x| x.systemd_cgroup), Some(true), "{name}: runtime {}", r.name);
                edited += 1;
            }
        }
    }
    assert!(edited >= 10, "only {edited} runtimes edited");
}
