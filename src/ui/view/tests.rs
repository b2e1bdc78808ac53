//! The views drawn into a test backend: snapshots, and what they must never show.

use std::collections::BTreeMap;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::report::{Affected, Evidence, FixHint};
use crate::ui::action::Action;
use crate::ui::update::{test_result as result, update};

const THEME: Theme = Theme { color: false, unicode: true };

fn running() -> AppState {
    AppState::new(
        "wasmdoctor 0.1.0 · node worker-1 · host root / · cluster: waiting".into(),
        &["WD101", "WD102", "WD103", "WD105", "WD201", "WD202", "WD204", "WD301", "WD303", "WD401"],
        &[("node", true), ("containerd", true), ("docker", false), ("cluster", true)],
    )
}

fn finished() -> AppState {
    let mut s = running();
    update(&mut s, Action::SourceDone { name: "node".into(), problem: None, left_out: false });
    update(
        &mut s,
        Action::SourceDone {
            name: "containerd".into(),
            problem: Some("no containerd socket at /run/containerd/containerd.sock".into()),
            left_out: false,
        },
    );
    update(
        &mut s,
        Action::SourceDone { name: "docker".into(), problem: Some("`--no-docker` was given".into()), left_out: true },
    );
    update(&mut s, Action::SourceDone { name: "cluster".into(), problem: None, left_out: false });
    let mut wd103 = result(
        "WD103",
        Status::Fail,
        "crun `1.23.1` at `/usr/bin/crun` was built without a WASM handler (no `+WASM:` in its features); a `.wasm` entrypoint fails with `Exec format error`",
    );
    wd103.evidence = vec![Evidence {
        source: "/usr/bin/crun --version".into(),
        value: "+SYSTEMD +SELINUX +APPARMOR +CAP +SECCOMP +EBPF +YAJL".into(),
    }];
    wd103.fix = Some(FixHint {
        automatic: false,
        summary: "install a crun built with `--with-wasmedge` (Fedora/CentOS packages are; the GitHub release binaries are not)".into(),
        command: None,
    });
    let mut wd303 =
        result("WD303", Status::Fail, "RuntimeClass `wasmtime-spin-v2` does not exist: Deployment `default/wasm-spin`");
    wd303.affected = vec![Affected {
        kind: "Deployment".into(),
        namespace: Some("default".into()),
        name: "wasm-spin".into(),
        node: None,
    }];
    for r in [
        result("WD101", Status::Pass, "crun found: `/usr/bin/crun`"),
        result("WD102", Status::Pass, "crun `1.23.1` at `/usr/bin/crun` meets the minimum `1.8.5`"),
        wd103,
        result("WD105", Status::Skip, "no containerd runtime uses a Wasm shim"),
        result("WD201", Status::Pass, "`/etc/containerd/config.toml` parses: config version 2, 1 runtime"),
        result("WD202", Status::Pass, "Wasm runtimes: `crun` (crun `/usr/bin/crun`)"),
        result("WD204", Status::Warn, "runtime `crun` lets only `run.oci.handler` through"),
        result(
            "WD301",
            Status::Pass,
            "RuntimeClasses for this node's Wasm runtimes: `crun` → handler `crun` (crun route)",
        ),
        wd303,
        result("WD401", Status::Skip, "Docker is not in use here: `--no-docker` was given"),
    ] {
        update(&mut s, Action::CheckDone(Box::new(r)));
    }
    s
}

fn draw(s: &AppState, w: u16, h: u16) -> String {
    let keys = KeyMap::new(&BTreeMap::new()).unwrap();
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render(f, s, THEME, &keys)).unwrap();
    t.backend().to_string()
}

#[test]
fn text_from_the_node_is_shown_escaped() {
    let mut s = running();
    let evil = "pod \u{1b}]0;owned\u{7} wasm\u{202e}nurc";
    let mut r = result("WD101", Status::Fail, evil);
    r.evidence.push(crate::report::Evidence { source: evil.into(), value: evil.into() });
    update(&mut s, Action::CheckDone(Box::new(r)));
    let text = draw(&s, 160, 30);
    assert!(text.contains("pod \\x1b]0;owned\\x07 wasm\\u{202e}nurc"), "{text}");
    assert!(!text.contains('\u{202e}') && !text.contains('\u{1b}'), "{text}");
}

#[test]
fn checks_still_running() {
    insta::assert_snapshot!(draw(&running(), 110, 30));
}

#[test]
fn full_results() {
    insta::assert_snapshot!(draw(&finished(), 110, 30));
}

#[test]
fn detail_pane_focused() {
    let mut s = finished();
    update(&mut s, Action::FocusNext);
    insta::assert_snapshot!(draw(&s, 110, 30));
}

const PLAN: &str = "WD204 (automatic, needs confirmation): add `module.wasm.image/variant` and `run.oci.handler` to the crun runtime's `pod_annotations`\n--- a/etc/containerd/config.toml\n+++ b/etc/containerd/config.toml\n@@ -3,3 +3,4 @@\n [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.crun]\n   runtime_type = \"io.containerd.runc.v2\"\n+  pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]\n   then restart `containerd`: `systemctl restart containerd` (systemd unit `containerd.service`), wait for containerd's socket and check that the runtimes it loaded equal the file; if not, restore the backup and restart again";

fn planned_fix() -> AppState {
    let mut s = finished();
    update(&mut s, Action::Fix);
    update(
        &mut s,
        Action::FixPlanned(Ok(crate::ui::state::PlannedFix {
            text: PLAN.into(),
            manual: false,
            noop: false,
            restart_service: Some("containerd".into()),
            refused: false,
        })),
    );
    s
}

#[test]
fn fix_preview() {
    let mut s = finished();
    update(&mut s, Action::Fix);
    insta::assert_snapshot!("fix_planning", draw(&s, 110, 30));
    insta::assert_snapshot!(draw(&planned_fix(), 110, 30));
}

#[test]
fn fix_confirm_and_done() {
    let mut s = planned_fix();
    update(&mut s, Action::Apply);
    for c in "contai".chars() {
        update(&mut s, Action::FilterInput(c));
    }
    insta::assert_snapshot!("fix_confirm", draw(&s, 110, 30));
    for c in "nerd".chars() {
        update(&mut s, Action::FilterInput(c));
    }
    update(&mut s, Action::FilterCommit);
    for line in [
        "changed `/etc/containerd/config.toml` (backup `/etc/containerd/config.toml.wasmdoctor-20261124T100000Z.bak`; `wasmdoctor undo` restores it)",
        "restarting `containerd`: `systemctl restart containerd`",
        "containerd is back and loaded the file: the 3 runtimes containerd `v1.7.24` has loaded match `/etc/containerd/config.toml`",
        "WD204 now: pass: the crun runtime `crun` passes `module.wasm.image/variant` and `run.oci.handler` to crun",
    ] {
        update(&mut s, Action::FixProgress(line.into()));
    }
    update(&mut s, Action::FixDone { ok: true });
    insta::assert_snapshot!("fix_done", draw(&s, 110, 30));
}

#[test]
fn help_overlay() {
    let mut s = finished();
    update(&mut s, Action::Help);
    insta::assert_snapshot!(draw(&s, 110, 30));
}

#[test]
fn filter_active() {
    let mut s = finished();
    update(&mut s, Action::FilterStart);
    for c in "runtimeclass".chars() {
        update(&mut s, Action::FilterInput(c));
    }
    insta::assert_snapshot!(draw(&s, 110, 30));
}

#[test]
fn smallest_supported_terminal() {
    insta::assert_snapshot!(draw(&finished(), 80, 24));
}

#[test]
fn too_small_terminal() {
    let text = draw(&finished(), 60, 20);
    assert!(
        text.contains("terminal too small: wasmdoctor needs 80×24, this one is") && text.contains("60×20"),
        "{text}"
    );
}

#[test]
fn status_colours_reach_the_cells() {
    let keys = KeyMap::new(&BTreeMap::new()).unwrap();
    let mut t = Terminal::new(TestBackend::new(110, 30)).unwrap();
    let s = finished();
    t.draw(|f| render(f, &s, Theme { color: true, unicode: true }, &keys)).unwrap();
    let buf = t.backend().buffer();
    let fail_cell = (0..110).flat_map(|x| (0..30).map(move |y| (x, y))).find(|&(x, y)| buf[(x, y)].symbol() == "✗");
    let (x, y) = fail_cell.expect("a fail mark is drawn");
    assert_eq!(buf[(x, y)].fg, Color::Red);
}
