//! WD101 crun-installed: a crun binary is where containerd's runtimes expect it (every
//! `BinaryName`), or on the PATH when no runtime names one.

use super::has_route;
use crate::checks::{Ctx, Outcome};
use crate::facts::{CrunBinary, CrunOrigin, FileState, NodeFacts, Route};
use crate::rules::text::list;

fn used_by(b: &CrunBinary) -> Vec<String> {
    b.origins
        .iter()
        .filter_map(|o| match o {
            CrunOrigin::BinaryName { runtime, location } => Some(format!("runtime `{runtime}` at {location}")),
            CrunOrigin::Path => None,
        })
        .collect()
}

pub fn check(_: &Ctx, node: &NodeFacts) -> Outcome {
    if let Some(b) = node.crun.iter().find(|b| !b.exists || !b.executable) {
        let what = match &b.problem {
            // The resolution's own words: "too many levels of symbolic links", not "does not exist".
            Some(problem) => format!("cannot be resolved ({problem})"),
            None if !b.exists => "does not exist on the node".to_string(),
            None => "is not executable".to_string(),
        };
        return Outcome::fail(format!("`{}` {what}, but {} names it as `BinaryName`", b.path, list(&used_by(b))))
            .evidence("BinaryName", b.path.clone())
            .fix(format!(
                "install crun at `{}` (built with `+WASM:wasmedge`), or point `BinaryName` at an installed crun",
                b.path
            ));
    }
    if node.crun.is_empty() {
        let config = &node.containerd_config;
        if config
            .main_file()
            .is_some_and(|f| matches!(f.state, FileState::Malformed { .. } | FileState::Unreadable { .. }))
        {
            return Outcome::skip(format!(
                "no crun on PATH, and `{}` could not be read (see WD201), so no runtime's `BinaryName` is known",
                config.main_path
            ));
        }
        if has_route(config, Route::Shim) {
            return Outcome::skip("no crun on the node and no runtime uses it: Wasm runs through runwasi shims here");
        }
        return Outcome::warn(
            "no `crun` or `crun-wasm` in the PATH directories and no containerd runtime names crun as `BinaryName`",
        )
        .fix("install crun built with a WASM handler (e.g. Fedora's `crun` + `crun-wasm`), or use a runwasi shim");
    }
    let shown: Vec<String> = node
        .crun
        .iter()
        .map(|b| {
            let users = used_by(b);
            let link = if b.canonical != b.path { format!(" → `{}`", b.canonical) } else { String::new() };
            if users.is_empty() {
                format!("`{}`{link}", b.path)
            } else {
                format!("`{}`{link} (used by {})", b.path, list(&users))
            }
        })
        .collect();
    Outcome::pass(format!("crun found: {}", list(&shown)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::report::Status;

    #[test]
    fn pass_fail_warn_skip() {
        let mut n = node(config(CRUN_RUNTIME_V2));
        n.crun = vec![crun("/usr/local/bin/crun", CRUN_1_7_2_WASMEDGE, Some("crun"))];
        assert_eq!(run(check, n.clone()).status, Status::Pass);
        n.crun[0].exists = false;
        let o = run(check, n);
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("`/usr/local/bin/crun` does not exist"), "{}", o.message);
        let mut looped = node(config(CRUN_RUNTIME_V2));
        looped.crun = vec![crun("/usr/local/bin/crun", CRUN_1_7_2_WASMEDGE, Some("crun"))];
        looped.crun[0].exists = false;
        looped.crun[0].problem = Some("`/usr/local/bin/crun`: too many levels of symbolic links".into());
        let o = run(check, looped);
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("cannot be resolved (`/usr/local/bin/crun`: too many levels"), "{}", o.message);
        assert!(!o.message.contains("does not exist"), "{}", o.message);
        assert_eq!(run(check, node(config(""))).status, Status::Warn);
        assert_eq!(run(check, node(config(SHIM_RUNTIME_V2))).status, Status::Skip);
    }
}
