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

/// KWasm's installer on k3s: the generated config copied to `config.toml.tmpl` (the corpus's real
/// k3s v1.29.2 config, with its release's `data/<hash>/bin`) and KWasm's runtimes appended (the
/// corpus's installer text, `$KWASM_DIR` as it expands). WD213 warns naming the pinned lines; its
/// fix rewrites the template as the base and the appended runtimes, WD213 then passes, and undo
/// restores every byte.
#[test]
fn wd213_turns_kwasms_frozen_copy_into_a_template_on_the_base() {
    let root = tempfile::tempdir().unwrap();
    let generated = std::fs::read_to_string(
        corpus().join("containerd-config/k3s-issue9650-generated-config-v1.29.2-wasm-shims.toml"),
    )
    .unwrap();
    // The copy as k3s wrote it (from its header on) and KWasm's append. That k3s had also detected
    // a lunatic shim and generated its table; a copy with both is refused below, first without it.
    let copy_of = |with_detected: bool| -> String {
        generated
            .lines()
            .skip_while(|l| !l.starts_with("# File generated by k3s"))
            .take_while(|l| with_detected || !l.contains("runtimes.\"lunatic\"]"))
            .filter(|l| !l.starts_with("# [collector"))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let copy = copy_of(false);
    let append =
        std::fs::read_to_string(corpus().join("containerd-config/kwasm-node-installer-main-append.toml.excerpt"))
            .unwrap();
    let append: String = append
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{}\n", l.replace("'$KWASM_DIR'", "/opt/kwasm")))
        .collect();
    let etc = root.path().join("var/lib/rancher/k3s/agent/etc/containerd");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(etc.join("config.toml.tmpl"), format!("{copy}{append}")).unwrap();
    std::fs::write(etc.join("config.toml"), format!("{copy}{append}")).unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(root.path().join("etc/hostname"), "k3s-kwasm\n").unwrap();
    let wd = |args: &[&str]| {
        let mut a = args.to_vec();
        a.extend(["--host-root", root.path().to_str().unwrap(), "--no-cluster", "--no-docker"]);
        run(&a)
    };
    let before = wd(&["--json", "--only", "WD213"]).json();
    let wd213 = check(&before, "WD213");
    assert_eq!(wd213["status"], "warn", "{wd213}");
    let message = wd213["message"].as_str().unwrap();
    assert!(
        message
            .contains("the binaries of one k3s release (`data/0bc089d32054…/bin`), not `data/current/bin` (line 21)"),
        "{message}"
    );
    let original = tree(root.path());
    let r = wd(&["fix", "WD213", "--dry-run"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    insta::assert_snapshot!("wd213_kwasm_frozen_copy", plan_text(&r));
    assert_eq!(tree(root.path()), original, "--dry-run changed a file");
    let r = wd(&["fix", "WD213", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("WD213 now: pass"), "{}", r.stdout);
    let template = read(root.path(), "/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl");
    assert!(
        template.starts_with(
            "{{ template \"base\" . }}\n\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.lunatic]\n"
        ),
        "{template}"
    );
    assert!(!template.contains("data/0bc089d3"), "{template}");
    assert_eq!(template.matches("runtime_type = \"/opt/kwasm/bin/").count(), 7, "{template}");
    assert_eq!(wd(&["undo"]).code, 0);
    assert_eq!(tree(root.path()), original, "undo did not restore every byte");

    // With k3s's own lunatic table in the copy, `lunatic` is declared twice: the plan is manual.
    std::fs::write(etc.join("config.toml.tmpl"), format!("{}{append}", copy_of(true))).unwrap();
    let r = wd(&["fix", "WD213", "--dry-run"]);
    let text = plan_text(&r);
    assert!(text.contains("WD213 (manual only)"), "{text}");
    assert!(
        text.contains("`lunatic` is declared 2 times in `/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl`"),
        "{text}"
    );
}
