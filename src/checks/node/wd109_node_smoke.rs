//! WD109 node-smoke: a tiny WASI module, run through each Wasm runtime of this node's containerd
//! (`--smoke`), prints the nonce it was given and exits 0. Proof that the runtime works, where the
//! other checks infer it. A failure is classified with WD308's signatures and points at the check
//! that explains it.

use crate::checks::{Ctx, Outcome};
use crate::facts::{Fact, MissingKind, SmokeOutcome, SmokeRun};
use crate::report::Affected;
use crate::rules::signatures::{Cause, signature};
use crate::rules::text::list;

pub fn check(ctx: &Ctx) -> Outcome {
    let runs = match &ctx.facts.node_smoke {
        Fact::Collected(runs) => runs,
        Fact::Unavailable(m) if m.kind == MissingKind::NotRequested => return Outcome::skip(m.reason.clone()),
        Fact::Unavailable(m) => return Outcome::error(format!("the smoke run could not start: {}", m.reason)),
    };
    if runs.is_empty() {
        return Outcome::skip("containerd has no Wasm runtime to run the module through (WD202 says why)");
    }
    let node = ctx.facts.node_name.clone();
    let mut failures = Vec::new();
    let mut passed = Vec::new();
    let mut left = Vec::new();
    let mut evidence = Vec::new();
    for r in runs {
        let name = format!("`{}` ({} route, {})", r.runtime, r.route, r.runtime_type);
        match verdict(r) {
            Ok(()) => passed.push(format!("`{}` in {} ms", r.runtime, r.millis)),
            Err(why) => failures.push(format!("{name}: {why}")),
        }
        evidence.push((format!("smoke run on `{}`", r.runtime), summary(r)));
        left.extend(r.left_behind.iter().map(|l| format!("{l} (from `{}`)", r.runtime)));
    }
    let affected: Vec<Affected> = runs
        .iter()
        .filter(|r| verdict(r).is_err())
        .map(|r| Affected { kind: "Runtime".into(), namespace: None, name: r.runtime.clone(), node: node.clone() })
        .collect();
    let mut o = if !failures.is_empty() {
        Outcome::fail(format!("the smoke module did not run as it should: {}", failures.join("; ")))
            .fix("see the check each failure names (`wasmdoctor explain ID`); `wasmdoctor smoke --runtime NAME` runs one runtime again")
            .affected(affected)
    } else if !left.is_empty() {
        Outcome::warn(format!(
            "the smoke module ran on {}, but containerd kept what the run created: {}",
            list(&passed),
            left.join("; ")
        ))
        .fix("delete it with `ctr -n wasmdoctor` (containers, snapshots, images, leases)")
    } else {
        Outcome::pass(format!("the smoke module printed its nonce and exited 0 on {}", list(&passed)))
    };
    for (source, value) in evidence {
        o = o.evidence(source, value);
    }
    o
}

/// Ok when the module printed its nonce and exited 0; else what happened and what explains it.
fn verdict(r: &SmokeRun) -> Result<(), String> {
    let printed = r.stdout.lines().any(|l| l.trim() == r.nonce);
    let text = |detail: &str| format!("{detail}\n{}\n{}", r.stderr, r.stdout);
    match &r.outcome {
        SmokeOutcome::Exited { code: 0 } if printed => Ok(()),
        SmokeOutcome::Exited { code: 0 } => Err(format!(
            "exited 0 without printing the nonce `{}`: the runtime ran something other than the module{}",
            r.nonce,
            shown(&r.stdout)
        )),
        SmokeOutcome::Exited { code } => {
            Err(explained(&format!("the task exited {code}{}{}", exit_meaning(*code), written(r)), &text("")))
        }
        SmokeOutcome::Failed { step, error } => {
            Err(explained(&format!("{step} failed: {}", clip(error)), &text(error)))
        }
        SmokeOutcome::TimedOut { seconds, step } if step == "wait" => Err(format!(
            "no exit within {seconds} s (killed); a first run may compile the module: `--smoke-timeout` gives it longer"
        )),
        SmokeOutcome::TimedOut { seconds, step } => {
            Err(format!("containerd did not finish the `{step}` step within {seconds} s (the run was given up)"))
        }
        SmokeOutcome::Interrupted => Err("interrupted before the module finished (everything was deleted)".into()),
    }
}

/// What a failure text says, and the check that explains it when a signature knows.
fn explained(what: &str, text: &str) -> String {
    match signature(text) {
        Some((Cause::Checks(ids), _)) => format!("{what}: explained by {ids}"),
        Some((Cause::Workload(why), _)) => format!("{what}: {why}"),
        None => what.to_string(),
    }
}

fn exit_meaning(code: u32) -> &'static str {
    match code {
        137 => " (SIGKILL: out of memory, or an engine that kills its task; containerd's log says which)",
        2..=5 => " (the module's own code: a WASI call, its argument or stdout failed)",
        _ => "",
    }
}

fn summary(r: &SmokeRun) -> String {
    let ended = match &r.outcome {
        SmokeOutcome::Exited { code } => format!("exit {code}"),
        SmokeOutcome::Failed { step, .. } => format!("{step} failed"),
        SmokeOutcome::TimedOut { seconds, step } => format!("timed out after {seconds} s in `{step}`"),
        SmokeOutcome::Interrupted => "interrupted".into(),
    };
    let printed = if r.stdout.lines().any(|l| l.trim() == r.nonce) { ", printed the nonce" } else { "" };
    format!("{ended}{printed}, {} ms", r.millis)
}

/// What the task wrote, its stderr first (clipped), or that it wrote nothing.
fn written(r: &SmokeRun) -> String {
    match (r.stderr.trim(), r.stdout.trim()) {
        ("", "") => "; it wrote nothing".into(),
        ("", out) => format!("; stdout: `{}`", clip(out)),
        (err, _) => format!("; stderr: `{}`", clip(err)),
    }
}

fn shown(stdout: &str) -> String {
    if stdout.trim().is_empty() { String::new() } else { format!(" (stdout: `{}`)", clip(stdout.trim())) }
}

fn clip(s: &str) -> String {
    crate::rules::text::clip(s, 300)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::report::Status;

    fn smoke(outcome: SmokeOutcome, stdout: &str, stderr: &str) -> SmokeRun {
        SmokeRun {
            runtime: "wasmtime".into(),
            runtime_type: "io.containerd.wasmtime.v1".into(),
            route: "shim".into(),
            nonce: "wd1234".into(),
            outcome,
            stdout: stdout.into(),
            stderr: stderr.into(),
            millis: 412,
            left_behind: vec![],
        }
    }

    fn judge(runs: Fact<Vec<SmokeRun>>) -> Outcome {
        let mut f = facts(node(config("version = 2\n")));
        f.node_smoke = runs;
        check(&Ctx { facts: &f, policy: &crate::policy::Policy::default() })
    }

    #[test]
    fn the_nonce_and_exit_0_pass() {
        let o = judge(Fact::Collected(vec![smoke(SmokeOutcome::Exited { code: 0 }, "wd1234\n", "")]));
        assert_eq!(
            (o.status, o.message.as_str()),
            (Status::Pass, "the smoke module printed its nonce and exited 0 on `wasmtime` in 412 ms")
        );
        assert_eq!(o.evidence[0].value, "exit 0, printed the nonce, 412 ms");
    }

    #[test]
    fn failures_point_at_the_check_that_explains_them() {
        let missing = smoke(
            SmokeOutcome::Failed {
                step: "task".into(),
                error: "failed to start shim: start failed: io.containerd.wasmtime.v1: binary not installed \"containerd-shim-wasmtime-v1\": not found".into(),
            },
            "",
            "",
        );
        let o = judge(Fact::Collected(vec![missing]));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.ends_with(": explained by WD105"), "{}", o.message);
        assert_eq!(o.affected[0].name, "wasmtime");
        let mut crun = smoke(
            SmokeOutcome::Failed {
                step: "start".into(),
                error: "OCI runtime start failed: exec: \"/smoke.wasm\": exec format error".into(),
            },
            "",
            "",
        );
        crun.route = "crun".into();
        assert!(judge(Fact::Collected(vec![crun])).message.ends_with("explained by WD103/WD204/WD304"));
        let silent = judge(Fact::Collected(vec![smoke(SmokeOutcome::Exited { code: 0 }, "", "")]));
        assert!(silent.message.contains("exited 0 without printing the nonce `wd1234`"), "{}", silent.message);
        let killed = judge(Fact::Collected(vec![smoke(SmokeOutcome::Exited { code: 137 }, "", "")]));
        assert!(killed.message.contains("the task exited 137 (SIGKILL"), "{}", killed.message);
        assert!(killed.message.ends_with("; it wrote nothing"), "{}", killed.message);
        let trapped = judge(Fact::Collected(vec![smoke(
            SmokeOutcome::Exited { code: 1 },
            "",
            "Error: failed to run main module\n",
        )]));
        assert!(
            trapped.message.ends_with("the task exited 1; stderr: `Error: failed to run main module`"),
            "{}",
            trapped.message
        );
    }

    #[test]
    fn not_requested_skips_and_leftovers_warn() {
        let o = judge(crate::facts::smoke_not_requested());
        assert_eq!(o.status, Status::Skip);
        assert!(o.message.starts_with("not requested: `--smoke`"), "{}", o.message);
        let mut kept = smoke(SmokeOutcome::Exited { code: 0 }, "wd1234\n", "");
        kept.left_behind = vec!["snapshot smoke-x: device busy".into()];
        let o = judge(Fact::Collected(vec![kept]));
        assert_eq!(o.status, Status::Warn, "{}", o.message);
        assert!(
            o.message
                .ends_with("containerd kept what the run created: snapshot smoke-x: device busy (from `wasmtime`)")
        );
    }
}
