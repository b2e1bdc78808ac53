//! WD102 crun-version: crun is at least the policy minimum (default 1.8.5, a policy floor, not a
//! known bug fix).

use super::{read_version, unless_unused, usable_crun};
use crate::checks::{Ctx, Outcome};
use crate::facts::NodeFacts;
use crate::rules::text::list;
use crate::rules::versions::parse_version;

pub fn check(ctx: &Ctx, node: &NodeFacts) -> Outcome {
    let (bins, in_use) = or_return!(usable_crun(node));
    let minimum = ctx.policy.crun_minimum();
    let mut ok = Vec::new();
    for b in bins {
        let v = or_return!(read_version(b));
        let Some(parsed) = parse_version(&v.version) else {
            return Outcome::error(format!("`{}` printed `{}`, which has no release number", b.path, v.first_line));
        };
        if parsed < minimum {
            let mut msg = format!("crun `{}` at `{}` is older than the required `{minimum}`", v.version, b.path);
            if parsed < semver::Version::new(1, 4, 4) {
                msg += " (below 1.4.4 crun also lacks `compat-smart`, and below 1.4 it cannot run Wasm under containerd at all)";
            }
            let o = Outcome::fail(msg)
                .evidence(format!("{} --version", b.path), v.first_line.clone())
                .fix(format!(
                    "install a crun ≥ {minimum} built with `+WASM:wasmedge`; {minimum} is the policy floor (`[minimum_versions] crun`), not a known bug fix"
                ));
            return unless_unused(o, in_use);
        }
        ok.push(format!("`{}` at `{}`", v.version, b.path));
    }
    Outcome::pass(format!("crun {} meets the minimum `{minimum}`", list(&ok)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::facts::{Fact, MissingKind};
    use crate::report::Status;

    #[test]
    fn policy_floor() {
        let o = run(check, crun_node(CRUN_1_7_2_WASMEDGE));
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.message, "crun `1.7.2` at `/usr/local/bin/crun` is older than the required `1.8.5`");
        assert!(o.fix.unwrap().summary.contains("not a known bug fix"));
        assert_eq!(run(check, crun_node(CRUN_1_27_1_WASMEDGE)).status, Status::Pass);
        let lower = policy("[minimum_versions]\ncrun = \"1.7\"\n");
        assert_eq!(run_with(check, crun_node(CRUN_1_7_2_WASMEDGE), &lower).status, Status::Pass);
        let mut n = crun_node(CRUN_1_7_2_WASMEDGE);
        n.crun[0].version = Fact::unavailable(MissingKind::Timeout, "`crun --version` did not finish within 2s");
        let o = run(check, n);
        assert_eq!(o.status, Status::Error);
        assert!(o.message.contains("did not finish"), "{}", o.message);
    }
}
