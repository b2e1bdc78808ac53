//! Catalog invariants (as rustc's tidy keeps error codes, docs and tests in sync): IDs and slugs
//! unique and well-formed, one `checks/WDnnn-slug.toml` per implemented check and no orphans,
//! `docs/troubleshooting.md` generated from the entries, and every check seen passing and failing.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use wasmdoctor::catalog;
use wasmdoctor::registry::CHECKS;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn ids_and_slugs_are_unique_and_well_formed() {
    let mut ids = BTreeSet::new();
    let mut slugs = BTreeSet::new();
    for (id, slug) in catalog::all_ids() {
        assert!(id.len() == 5 && id.starts_with("WD") && id[2..].chars().all(|c| c.is_ascii_digit()), "{id}");
        assert!(
            !slug.is_empty()
                && slug
                    .split('-')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
            "{slug}"
        );
        assert!(ids.insert(id), "duplicate {id}");
        assert!(slugs.insert(slug), "duplicate {slug}");
    }
}

#[test]
fn every_check_has_exactly_one_entry_and_file() {
    let files: BTreeSet<String> = std::fs::read_dir(root().join("checks"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let embedded: BTreeSet<String> = catalog::source_files().map(|(n, _)| n).collect();
    assert_eq!(files, embedded, "checks/ and the registry's entries (src/registry.rs) differ");
    let entries = catalog::entries();
    assert_eq!(entries.len(), embedded.len(), "an embedded entry failed to parse");
    let registered: BTreeMap<&str, &str> = CHECKS.iter().map(|c| (c.id, c.slug)).collect();
    let entry_ids: BTreeMap<&str, &str> = entries.iter().map(|e| (e.id.as_str(), e.slug.as_str())).collect();
    assert_eq!(registered, entry_ids, "registered checks and catalog entries differ");
    for e in entries {
        assert_eq!(format!("{}-{}.toml", e.id, e.slug), files.iter().find(|f| f.starts_with(&e.id)).unwrap().as_str());
        assert!(
            catalog::all_ids().contains(&(e.id.as_str(), e.slug.as_str())),
            "{} {} is not in DESIGN's table",
            e.id,
            e.slug
        );
        assert!(!e.title.ends_with('.'), "{}: titles state the healthy state without a period", e.id);
        assert!(e.why.trim().len() > 80, "{}: `why` explains", e.id);
        assert!(!e.fix.trim().is_empty() && !e.references.is_empty(), "{}", e.id);
        assert!(!e.symptoms.is_empty(), "{}: symptoms with exact messages", e.id);
    }
}

#[test]
fn explanations_tell_the_truth() {
    let text = |id: &str| {
        let e = catalog::entry(id).unwrap();
        format!("{} {} {}", e.why, e.fix, e.symptoms.join(" "))
    };
    assert!(text("WD102").contains("not a known bug fix"));
    assert!(text("WD106").contains("no socket\nplugin") || text("WD106").contains("no socket plugin"));
    assert!(text("WD106").contains("folklore"));
    assert!(text("WD208").contains("not Wasm time slices"));
    // containerd's wording is `no runtime for "X" is configured`; `RuntimeHandler "X" not supported` is CRI-O's.
    for e in catalog::entries() {
        let t = text(&e.id);
        assert!(!t.contains("RuntimeHandler") || t.contains("CRI-O"), "{}: `RuntimeHandler` wording is CRI-O's", e.id);
    }
}

#[test]
fn troubleshooting_doc_is_generated_from_the_catalog() {
    let path = root().join("docs/troubleshooting.md");
    let want = catalog::troubleshooting_markdown();
    if std::env::var_os("WASMDOCTOR_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "docs/troubleshooting.md is out of date: run `WASMDOCTOR_BLESS=1 cargo test --test catalog`");
    for e in catalog::entries() {
        assert!(have.contains(&format!("\n## {} {}\n", e.id, e.slug)), "{} has no section", e.id);
    }
}

/// Every implemented check both passes and fails (or errors) on some fixture host, end to end.
#[test]
fn every_check_is_seen_passing_and_failing_on_fixtures() {
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(root().join("tests/fixtures/hosts")).unwrap() {
        let host = entry.unwrap().path();
        if host.file_name().is_some_and(|n| n == "hung-crun") {
            continue; // slow by design; its statuses are asserted in tests/e2e.rs
        }
        let r = common::run(&["--json", "--host-root", host.to_str().unwrap()]);
        for (id, status) in common::statuses(&r.json()) {
            seen.entry(id).or_default().insert(status);
        }
    }
    // Checks about running daemons and the cluster: fixture hosts have neither, so tests/daemons.rs
    // (a real containerd and dockerd) and tests/cluster.rs (a fake API server over HTTP) make them
    // pass and fail.
    for c in CHECKS.iter().filter(|c| !c.needs_live()) {
        let s = seen.get(c.id).cloned().unwrap_or_default();
        assert!(s.contains("pass"), "{} never passes on a fixture host: {s:?}", c.id);
        assert!(
            s.contains("fail") || s.contains("warn") || s.contains("error"),
            "{} never fails on a fixture host: {s:?}",
            c.id
        );
    }
}

/// Messages start lowercase (or with a value in backticks, or a proper name such as WasmEdge) and have
/// no trailing period (clippy's message convention).
#[test]
fn messages_follow_the_convention() {
    for entry in std::fs::read_dir(root().join("tests/fixtures/hosts")).unwrap() {
        let host = entry.unwrap().path();
        if host.file_name().is_some_and(|n| n == "hung-crun") {
            continue;
        }
        let j = common::run(&["--json", "--host-root", host.to_str().unwrap()]).json();
        for c in j["checks"].as_array().unwrap() {
            let m = c["message"].as_str().unwrap();
            let first = m.chars().next().unwrap();
            let proper = ["WasmEdge", "Wasm ", "Docker"].iter().any(|p| m.starts_with(p));
            assert!(first.is_lowercase() || first == '`' || first.is_ascii_digit() || proper, "{}: {m}", c["id"]);
            assert!(!m.ends_with('.'), "{}: {m}", c["id"]);
        }
    }
}

/// The README's table of checks is the catalog's (`WASMDOCTOR_BLESS=1` rewrites it).
#[test]
fn readme_lists_the_catalog() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (start, end) = ("<!-- checks-table: generated from checks/*.toml -->\n", "<!-- checks-table end -->");
    let (Some(a), Some(b)) = (readme.find(start), readme.find(end)) else {
        panic!("README.md has no `{start}` … `{end}` section");
    };
    let have = &readme[a + start.len()..b];
    let want = catalog::readme_table();
    if std::env::var_os("WASMDOCTOR_BLESS").is_some() && have != want {
        std::fs::write(&path, format!("{}{want}{}", &readme[..a + start.len()], &readme[b..])).unwrap();
        return;
    }
    assert!(
        have == want,
        "README.md's table of checks is out of date: run `WASMDOCTOR_BLESS=1 cargo test --test catalog`"
    );
}

/// docs/reliability.md names the test holding each promise: every name it gives exists, as
/// `<test file> <fn>` (tests/<file>.rs) or `<module path>::<fn>` (a unit test under src/).
#[test]
fn reliability_doc_names_real_tests() {
    let doc = std::fs::read_to_string(root().join("docs/reliability.md")).unwrap();
    let mut src = String::new();
    let mut stack = vec![root().join("src")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().filter_map(Result::ok) {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else if e.path().extension().is_some_and(|x| x == "rs") {
                src += &std::fs::read_to_string(e.path()).unwrap();
            }
        }
    }
    let mut named = 0;
    for span in doc.split('`').skip(1).step_by(2) {
        let words: Vec<&str> = span.split_whitespace().collect();
        let defines = |text: &str, f: &str| text.contains(&format!("fn {f}(")) || text.contains(&format!("fn {f}<"));
        match words.as_slice() {
            [file, test] if root().join(format!("tests/{file}.rs")).exists() => {
                let text = std::fs::read_to_string(root().join(format!("tests/{file}.rs"))).unwrap();
                assert!(defines(&text, test), "docs/reliability.md: no `fn {test}` in tests/{file}.rs");
                named += 1;
            }
            [path] if path.contains("::tests::") => {
                let f = path.rsplit("::").next().unwrap();
                assert!(defines(&src, f), "docs/reliability.md: no unit test `{path}`");
                named += 1;
            }
            _ => {}
        }
    }
    assert!(named >= 40, "only {named} tests named");
}
