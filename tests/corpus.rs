//! The real-world inputs in ../shared/corpus: containerd configs from k3s, runwasi, KWasm,
//! runtime-class-manager, AKS and containerd's own docs, and real `crun --version` outputs.

mod common;

use proptest::prelude::*;
use wasmdoctor::facts::{Route, Runtime, RuntimeStatus};
use wasmdoctor::rules::containerd::{PLUGIN_V1_SHORT, PLUGIN_V2, PLUGIN_V3};
use wasmdoctor::rules::containerd_config::parse;
use wasmdoctor::rules::versions;

fn config_dir() -> std::path::PathBuf {
    common::corpus().join("containerd-config")
}

fn is_template(name: &str) -> bool {
    name.contains(".tmpl") || name.ends_with(".gtpl")
}

/// Every TOML-like file of the corpus (configs, templates, excerpts).
fn toml_files() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(config_dir())
        .expect("../shared/corpus/containerd-config is beside the repository")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".toml") || n.ends_with(".gtpl"))
        .map(|n| {
            let text = std::fs::read_to_string(config_dir().join(&n)).unwrap();
            (n, text)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_corpus_config_parses_without_panic() {
    let files = toml_files();
    assert!(files.len() >= 30, "only {} corpus configs found", files.len());
    for (name, text) in &files {
        let result = parse(name, text, is_template(name));
        // Whole files (not excerpts) are valid TOML or reducible templates.
        if !name.contains("excerpt") {
            assert!(result.is_ok(), "{name}: {result:?}");
        }
    }
}

/// (name, route, runtime_type, BinaryName, pod_annotations, plugin id, status is active)
type Want<'a> = (&'a str, Route, Option<&'a str>, Option<&'a str>, Option<&'a [&'a str]>, &'a str, bool);

fn assert_runtimes(file: &str, version: Option<i64>, want: &[Want]) {
    let text = std::fs::read_to_string(config_dir().join(file)).unwrap();
    let p = parse(file, &text, is_template(file)).unwrap_or_else(|e| panic!("{file}: {e:?}"));
    assert_eq!(p.version, version, "{file}: version");
    let got: Vec<&Runtime> = p.runtimes.iter().collect();
    assert_eq!(got.len(), want.len(), "{file}: {:#?}", got);
    for (r, w) in got.iter().zip(want) {
        let (name, route, rt, bin, ann, plugin, active) = w.clone();
        assert_eq!(r.name, name, "{file}");
        assert_eq!(r.route, route, "{file}: {name}");
        assert_eq!(r.runtime_type.as_deref(), rt, "{file}: {name}");
        assert_eq!(r.binary_name.as_deref(), bin, "{file}: {name}");
        let got_ann: Option<Vec<&str>> = r.pod_annotations.as_ref().map(|v| v.iter().map(String::as_str).collect());
        assert_eq!(got_ann.as_deref(), ann, "{file}: {name}");
        assert_eq!(r.plugin_id, plugin, "{file}: {name}");
        assert_eq!(r.status == RuntimeStatus::Active, active, "{file}: {name} {:?}", r.status);
        assert!(r.line > 0, "{file}: {name} has a line");
    }
}

const WASM_ANNOTATIONS_CRUN_DOCS: &[&str] =
    &["*.wasm.*", "wasm.*", "module.wasm.image/*", "*.module.wasm.image", "module.wasm.image/variant.*"];

#[test]
fn asserted_corpus_runtimes() {
    use Route::*;
    let spin2 = Some("io.containerd.spin.v2");
    assert_runtimes(
        "containerd-1.x-docs-runtime-classes-v2.toml",
        Some(2),
        &[
            ("crun", Crun, Some("io.containerd.runc.v2"), Some("/usr/local/bin/crun"), None, PLUGIN_V2, true),
            ("gvisor", Other, Some("io.containerd.runsc.v1"), None, None, PLUGIN_V2, true),
            ("kata", Other, Some("io.containerd.kata.v2"), None, None, PLUGIN_V2, true),
        ],
    );
    assert_runtimes(
        "containerd-2.0-docs-runtime-classes-v3.toml",
        Some(3),
        &[
            ("crun", Crun, Some("io.containerd.runc.v2"), Some("/usr/local/bin/crun"), None, PLUGIN_V3, true),
            ("gvisor", Other, Some("io.containerd.runsc.v1"), None, None, PLUGIN_V3, true),
            ("kata", Other, Some("io.containerd.kata.v2"), None, None, PLUGIN_V3, true),
        ],
    );
    assert_runtimes(
        "containerd-1.7-config-default.toml",
        Some(2),
        &[("runc", Other, Some("io.containerd.runc.v2"), Some(""), Some(&[]), PLUGIN_V2, true)],
    );
    assert_runtimes(
        "containerd-2.0-docs-cri-full-config-v3.toml",
        Some(3),
        &[("runc", Other, Some("io.containerd.runc.v2"), Some(""), Some(&[]), PLUGIN_V3, true)],
    );
    assert_runtimes(
        "crun-issue936-minikube-crun-default-runtime.toml",
        Some(2),
        &[(
            "crun",
            Crun,
            Some("io.containerd.runc.v2"),
            Some("/usr/local/bin/crun"),
            Some(WASM_ANNOTATIONS_CRUN_DOCS),
            PLUGIN_V2,
            true,
        )],
    );
    assert_runtimes(
        "runwasi-quickstart-kind-containerd2.toml",
        None,
        &[("wasm", Shim, Some("io.containerd.wasmtime.v1"), None, None, PLUGIN_V3, true)],
    );
    assert_runtimes(
        "runwasi-readme-2025-02-kind-containerd1.toml",
        None,
        &[("wasm", Shim, Some("io.containerd.wasmtime.v1"), None, None, PLUGIN_V2, true)],
    );
    assert_runtimes(
        "runwasi-issue419-wasmedge-handler.toml",
        None,
        &[("wasmedge", Shim, Some("io.containerd.wasmedge.v1"), None, None, PLUGIN_V2, true)],
    );
    assert_runtimes(
        "runwasi-troubleshooting-expected-wasmtime.toml",
        None,
        &[("wasmtime", Shim, Some("io.containerd.wasmtime.v1"), None, None, PLUGIN_V2, true)],
    );
    assert_runtimes(
        "containerd-shim-spin-issue231-containerd2-vs-1.toml",
        None,
        &[("spin", Shim, spin2, None, None, PLUGIN_V3, true), ("spin", Shim, spin2, None, None, PLUGIN_V2, true)],
    );
    assert_runtimes(
        "containerd-shim-spin-issue227-k3s-binaryname-kwasm.toml.tmpl",
        None,
        &[("spin", Shim, spin2, Some("/opt/kwasm/bin/containerd-shim-spin-v2"), None, PLUGIN_V2, true)],
    );
    assert_runtimes(
        "k3s-issue9650-generated-config-v1.29.2-wasm-shims.toml",
        Some(2),
        &[
            ("runc", Other, Some("io.containerd.runc.v2"), None, None, PLUGIN_V2, true),
            (
                "lunatic",
                Shim,
                Some("io.containerd.lunatic.v1"),
                Some("/usr/local/bin/containerd-shim-lunatic-v1"),
                None,
                PLUGIN_V2,
                true,
            ),
        ],
    );
    assert_runtimes(
        "k3s-pr9519-expected-spin-slight.toml",
        None,
        &[
            (
                "slight",
                Shim,
                Some("io.containerd.slight.v1"),
                Some("/usr/bin/containerd-shim-slight-v1"),
                None,
                PLUGIN_V2,
                true,
            ),
            ("spin", Shim, spin2, Some("/usr/bin/containerd-shim-spin-v2"), None, PLUGIN_V2, true),
        ],
    );
    assert_runtimes(
        "kwasm-go-rewrite-testdata-existing-shim-config.toml",
        None,
        &[("spin-v1", Shim, Some("/opt/kwasm/bin/containerd-shim-spin-v1"), None, None, PLUGIN_V2, true)],
    );
    assert_runtimes("kwasm-go-rewrite-testdata-missing-shim-config.toml", None, &[]);
    assert_runtimes(
        "fermyon-developer-issue776-plugins-cri-vs-grpc.toml",
        None,
        &[
            ("spin", Shim, Some("io.containerd.spin.v1"), None, None, PLUGIN_V1_SHORT, true),
            ("spin", Shim, Some("io.containerd.spin.v1"), None, None, PLUGIN_V2, true),
        ],
    );
    assert_runtimes(
        "spin-operator-issue209-k3s-config.toml.tmpl",
        None,
        &[("spin", Shim, Some("io.containerd.spin.v1"), None, None, PLUGIN_V2, true)],
    );
    assert_runtimes(
        "k3s-docs-config-v3-base-template-example.toml.tmpl",
        None,
        &[(
            "custom",
            Other,
            Some("io.containerd.runc.v2"),
            Some("/usr/bin/custom-container-runtime"),
            None,
            PLUGIN_V3,
            true,
        )],
    );
    assert_runtimes(
        "wasmedge-docs-kind-runc-pod-annotations.toml",
        None,
        &[("runc", Other, None, None, Some(WASM_ANNOTATIONS_CRUN_DOCS), PLUGIN_V2, true)],
    );
}

#[test]
fn templates_keep_what_is_toml() {
    // k3s's own base template: the runc runtime survives, the ExtraRuntimes loop is not a runtime,
    // and the lines that cannot be TOML are reported.
    let text = std::fs::read_to_string(config_dir().join("k3s-v2-ContainerdConfigTemplate.toml.tmpl")).unwrap();
    let p = parse("config.toml.tmpl", &text, true).unwrap();
    assert_eq!(p.version, Some(2));
    assert_eq!(p.runtimes.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["runc"]);
    assert!(!p.skipped_lines.is_empty());
    // AKS: if/else branches declare the same tables twice; the Wasm shims are still found.
    let text = std::fs::read_to_string(config_dir().join("aks-agentbaker-containerd.toml.gtpl")).unwrap();
    let p = parse("containerd.toml.gtpl", &text, true).unwrap();
    let shims: Vec<&str> = p.runtimes.iter().filter(|r| r.route == Route::Shim).map(|r| r.name.as_str()).collect();
    assert_eq!(
        shims,
        [
            "spin",
            "slight",
            "spin-v0-3-0",
            "slight-v0-3-0",
            "spin-v0-5-1",
            "slight-v0-5-1",
            "spin-v0-8-0",
            "slight-v0-8-0",
            "wws-v0-8-0",
            "spin-v0-15-1"
        ]
    );
    let spin = p.runtimes.iter().find(|r| r.name == "slight-v0-3-0").unwrap();
    assert_eq!(wasmdoctor::rules::containerd::shim_binary(spin).as_deref(), Some("containerd-shim-slight-v0-3-0-v1"));
}

#[test]
fn version_3_file_with_v2_tables_is_flagged() {
    let text = std::fs::read_to_string(config_dir().join("containerd-2.0-docs-cri-full-config-v3.toml")).unwrap()
        + "\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.wasmedge]\n    runtime_type = \"/opt/kwasm/bin/containerd-shim-wasmedge-v1\"\n";
    let p = parse("config.toml", &text, false).unwrap();
    let w = p.runtimes.iter().find(|r| r.name == "wasmedge").unwrap();
    assert!(
        matches!(&w.status, RuntimeStatus::Ignored { reason } if reason.contains("use `io.containerd.cri.v1.runtime`"))
    );
}

#[test]
fn every_crun_version_output_parses() {
    let dir = common::corpus().join("version-output");
    // (file, version, semver, WASM handlers)
    let want: &[(&str, &str, &str, &[&str])] = &[
        ("crun-0.17-no-wasm-arm64.txt", "0.17", "0.17.0", &[]),
        ("crun-1.23.1-no-wasm.txt", "1.23.1", "1.23.1", &[]),
        ("crun-1.3.12-dirty-wasm-wasmer.txt", "1.3.12-e58e-dirty", "1.3.12", &["wasmer"]),
        ("crun-1.5-no-wasm.txt", "1.5", "1.5.0", &[]),
        ("crun-1.5-wasm-wasmtime.txt", "1.5", "1.5.0", &["wasmtime"]),
        ("crun-1.6-git-2c6e-wasm-wasmedge-and-podman-info.txt", "1.6.0.0.0.77-2c6e", "1.6.0", &["wasmedge"]),
        ("crun-1.7.2-fedora-wasm-wasmedge.txt", "1.7.2", "1.7.2", &["wasmedge"]),
        ("crun-1.7.2-git-51af-no-wasm-rocky8.txt", "1.7.2.0.0.0.26-51af", "1.7.2", &[]),
        ("crun-1.7.2-git-51af-wasm-wasmedge.txt", "1.7.2.0.0.0.26-51af", "1.7.2", &["wasmedge"]),
        ("crun-1.8.6-git-8189-wasm-wasmer.txt", "1.8.6.0.0.0.19-8189", "1.8.6", &["wasmer"]),
    ];
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("crun-") && n.ends_with(".txt"))
        .collect();
    assert_eq!(files.len(), want.len(), "every crun output in the corpus is asserted: {files:?}");
    for (file, version, semver, handlers) in want {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let v = versions::parse_crun(&text).unwrap_or_else(|| panic!("{file}"));
        assert_eq!(v.version, *version, "{file}");
        assert_eq!(v.semver.as_deref(), Some(*semver), "{file}");
        assert_eq!(v.wasm_handlers, *handlers, "{file}");
        assert!(v.commit.as_deref().is_some_and(|c| c.len() == 40), "{file}: {:?}", v.commit);
    }
    // Podman's libpod info carries the same text as a JSON string.
    let json = std::fs::read_to_string(dir.join("crun-1.27.1-fedora43-wasm-wasmedge-podman-libpod-info.json")).unwrap();
    let s: String = serde_json::from_str(&json).unwrap();
    let v = versions::parse_crun(&s).unwrap();
    assert_eq!((v.semver.as_deref(), v.wasm_handlers.as_slice()), (Some("1.27.1"), &["wasmedge".to_string()][..]));
    // The odd `+YAJLJL` build has no WASM and still parses.
    let rocky =
        versions::parse_crun(&std::fs::read_to_string(dir.join("crun-1.7.2-git-51af-no-wasm-rocky8.txt")).unwrap());
    assert!(rocky.unwrap().features.contains(&"YAJLJL".to_string()));
}

#[test]
fn wasmedge_version_outputs_parse() {
    let dir = common::corpus().join("version-output");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    assert_eq!(
        versions::parse_wasmedge(&read("wasmedge-0.12.0-alpha.1-riscv64.txt")).as_deref(),
        Some("0.12.0-alpha.1-13-g610cc21f")
    );
    assert_eq!(
        versions::parse_wasmedge(&read("wasmedge-0.12.0-and-ctr-1.7.0-runwasi-issue91.txt")).as_deref(),
        Some("0.12.0")
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn config_parser_never_panics_on_any_text(s in "\\PC{0,400}", template in any::<bool>()) {
        let _ = parse("fuzz.toml", &s, template);
    }

    #[test]
    fn config_parser_never_panics_on_mutated_corpus(idx in 0usize..64, cut in 0usize..4000, insert in "[\\[\\]{}\"'=#\\n a-z.]{0,12}", template in any::<bool>()) {
        let files = toml_files();
        let (_, text) = &files[idx % files.len()];
        let mut at = cut.min(text.len());
        while !text.is_char_boundary(at) { at -= 1; }
        let mutated = format!("{}{}{}", &text[..at], insert, &text[at..]);
        let _ = parse("fuzz.toml", &mutated, template);
    }
}

/// Every corpus config as a node's real config file (templates as k3s templates): the whole node
/// collection and every check run without a panic, and every check yields exactly one result.
#[test]
fn every_corpus_config_through_the_whole_engine() {
    use wasmdoctor::collect::{CollectOptions, collect};
    use wasmdoctor::engine::{Selection, evaluate};
    for (name, text) in toml_files() {
        let root = tempfile::tempdir().unwrap();
        let path = if is_template(&name) {
            "var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl"
        } else {
            "etc/containerd/config.toml"
        };
        let full = root.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, &text).unwrap();
        let facts = collect(&CollectOptions::node_only(root.path(), "corpus"));
        let report = evaluate(&facts, &Default::default(), &Selection::default(), "2026-11-24");
        assert_eq!(report.checks.len(), wasmdoctor::registry::CHECKS.len(), "{name}");
        let wd201 = report.checks.iter().find(|c| c.id == "WD201").unwrap();
        assert!(!wd201.message.is_empty(), "{name}");
        if !name.contains("excerpt") {
            assert_ne!(wd201.status, wasmdoctor::report::Status::Fail, "{name}: {}", wd201.message);
        }
    }
}
