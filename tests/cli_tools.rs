//! What fits wasmdoctor into the tools around it, each checked by its real consumer: bash completes
//! check IDs from the generated script, groff renders the manual page without a warning, and the
//! binary installed as `kubectl-wasmdoctor` presents itself as `kubectl wasmdoctor`.

mod common;

use std::process::Command;

use common::*;

/// What bash's programmable completion offers for `words` (the last one being completed).
fn bash_completes(words: &[&str]) -> Vec<String> {
    let script = run(&["completions", "bash"]);
    assert_eq!(script.code, 0);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wasmdoctor.bash");
    std::fs::write(&file, &script.stdout).unwrap();
    let words_list = words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" ");
    let cword = words.len() - 1;
    let probe = format!(
        "source '{}'; COMP_WORDS=({words_list}); COMP_CWORD={cword}; _wasmdoctor wasmdoctor '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        file.display(),
        words[cword],
        words[cword - 1]
    );
    let out = Command::new("bash").arg("-c").arg(probe).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(String::from).filter(|l| !l.is_empty()).collect()
}

#[test]
fn bash_completes_check_ids_where_a_check_is_named() {
    assert_eq!(bash_completes(&["wasmdoctor", "explain", "WD20"]).len(), 9, "WD201–WD209");
    let only = bash_completes(&["wasmdoctor", "check", "--only", "WD31"]);
    assert_eq!(only, ["WD310", "WD311"]);
    let fix = bash_completes(&["wasmdoctor", "fix", "WD10"]);
    assert!(fix.contains(&"WD109".to_string()) && fix.len() == 9, "{fix:?}");
    let slugs = bash_completes(&["wasmdoctor", "explain", "crun-"]);
    assert!(slugs.contains(&"crun-pod-annotations".to_string()), "{slugs:?}");
    let subcommands = bash_completes(&["wasmdoctor", "sm"]);
    assert_eq!(subcommands, ["smoke"]);
    // The IDs are offered, not enforced: a reserved or lower-case ID is still judged by the catalog.
    assert_eq!(run(&["explain", "wd204"]).code, 0);
}

#[test]
fn every_shell_gets_a_script_that_knows_the_ids() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let r = run(&["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stdout.contains("smoke") && r.stdout.contains("--only"), "{shell}");
        // clap_complete's elvish and PowerShell scripts complete flags and subcommands, not values.
        if ["bash", "zsh", "fish"].contains(&shell) {
            assert!(r.stdout.contains("WD204"), "{shell} offers the check IDs");
        }
    }
    let r = run(&["completions", "tcsh"]);
    assert_eq!(r.code, 2, "an unknown shell is a usage error");
}

#[test]
fn the_manual_page_renders_without_a_warning() {
    let page = run(&["man"]);
    assert_eq!(page.code, 0);
    assert!(page.stdout.contains(".TH wasmdoctor 1"), "{}", &page.stdout[..200.min(page.stdout.len())]);
    let mut groff = Command::new("groff")
        .args(["-k", "-man", "-Tutf8", "-ww", "-P-cbou"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("groff (groff-base, installed by scripts/dev.sh)");
    use std::io::Write;
    groff.stdin.take().unwrap().write_all(page.stdout.as_bytes()).unwrap();
    let out = groff.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "groff's warnings");
    let text = String::from_utf8_lossy(&out.stdout);
    for section in ["NAME", "SYNOPSIS", "OPTIONS", "SUBCOMMANDS"] {
        assert!(text.contains(section), "{section}");
    }
}

#[test]
fn installed_as_kubectl_wasmdoctor_it_is_kubectl_wasmdoctor() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("kubectl-wasmdoctor");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_wasmdoctor"), &plugin).unwrap();
    let out = Command::new(&plugin).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Usage: kubectl wasmdoctor [OPTIONS] [COMMAND]"), "{help}");
    // kubectl runs a plugin with the arguments after its name, its own flags included.
    let out = Command::new(&plugin)
        .args(["--json", "--no-cluster", "--no-docker", "--host-root"])
        .arg(fixture("crun-no-wasm"))
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(check(&j, "WD103")["status"], "fail");
    let out = Command::new(&plugin).arg("--bogus").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage: kubectl wasmdoctor [OPTIONS] [COMMAND]"));
}

/// deploy/krew/build.sh: an archive with the binary as `kubectl-wasmdoctor`, and a krew manifest
/// naming it with its sha256; the extracted plugin runs as `kubectl wasmdoctor`.
#[test]
fn the_krew_manifest_names_the_archive_it_was_built_with() {
    let out = tempfile::tempdir().unwrap();
    let built = Command::new(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/krew/build.sh"))
        .args(["--binary", env!("CARGO_BIN_EXE_wasmdoctor"), "--url", "https://example.com/kubectl-wasmdoctor.tar.gz"])
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let text = std::fs::read_to_string(out.path().join("wasmdoctor.yaml")).unwrap();
    let m: serde_json::Value = serde_json::to_value(serde_yaml::from_str::<serde_yaml::Value>(&text).unwrap()).unwrap();
    assert_eq!(m["apiVersion"], "krew.googlecontainertools.github.com/v1alpha2");
    assert_eq!((m["kind"].as_str(), m["metadata"]["name"].as_str()), (Some("Plugin"), Some("wasmdoctor")));
    assert_eq!(m["spec"]["version"], format!("v{}", env!("CARGO_PKG_VERSION")));
    let platform = &m["spec"]["platforms"][0];
    assert_eq!(platform["bin"], "kubectl-wasmdoctor");
    assert_eq!(platform["uri"], "https://example.com/kubectl-wasmdoctor.tar.gz");
    let archive = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .unwrap();
    let sha = wasmdoctor::smoke::image::digest(&std::fs::read(&archive).unwrap());
    assert_eq!(platform["sha256"], sha.trim_start_matches("sha256:"));
    let unpacked = tempfile::tempdir().unwrap();
    let tar = Command::new("tar").arg("-xzf").arg(&archive).arg("-C").arg(unpacked.path()).status().unwrap();
    assert!(tar.success());
    let help = Command::new(unpacked.path().join("kubectl-wasmdoctor")).arg("--help").output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("Usage: kubectl wasmdoctor"));
}
