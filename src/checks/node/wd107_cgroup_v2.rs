//! WD107 cgroup-v2: a node with runwasi-style shim runtimes runs cgroup v2. The shims embed youki's
//! libcontainer; built without its `v1` feature (as shims have been), they refuse a v1 or hybrid
//! node with `v1 cgroup feature is required, but was not enabled during compile time`.

use crate::checks::{Ctx, Outcome};
use crate::facts::{CgroupMode, Fact, MissingKind, NodeFacts, Route};
use crate::rules::text::list;

pub fn check(_: &Ctx, node: &NodeFacts) -> Outcome {
    let shims: Vec<String> = node
        .containerd_config
        .runtimes
        .iter()
        .filter(|r| r.route == Route::Shim)
        .map(|r| format!("`{}`", r.name))
        .collect();
    if shims.is_empty() {
        return Outcome::skip("no shim runtime is configured (crun and runc handle cgroup v1 themselves)");
    }
    let cgroup = match &node.cgroup {
        Fact::Collected(c) => c,
        Fact::Unavailable(m) if m.kind == MissingKind::NotFound || m.kind == MissingKind::NotRequested => {
            return Outcome::skip(m.reason.clone());
        }
        Fact::Unavailable(m) => return Outcome::error(m.reason.clone()),
    };
    let one = shims.len() == 1;
    let runtimes = format!("shim runtime{} {}", if one { "" } else { "s" }, list(&shims));
    match cgroup.mode {
        CgroupMode::Unified => {
            Outcome::pass(format!(
                "the node runs cgroup v2 ({}), which the {runtimes} {}",
                cgroup.evidence,
                if one { "needs" } else { "need" }
            ))
        }
        mode => Outcome::warn(format!(
            "the node runs cgroup {} ({}): the {runtimes} {} through runwasi's libcontainer, and a shim built without its cgroup v1 support fails every container with `v1 cgroup feature is required, but was not enabled during compile time`",
            if mode == CgroupMode::Hybrid { "v1 in hybrid mode" } else { "v1" },
            cgroup.evidence,
            if one { "runs" } else { "run" }
        ))
        .evidence("cgroup", cgroup.evidence.clone())
        .fix("boot the node with the unified hierarchy (`systemd.unified_cgroup_hierarchy=1` on the kernel command line; the default on current distributions), or use a shim release built with cgroup v1 support; on kind/k3d, run the cluster on a host with cgroup v2"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::facts::Cgroup;
    use crate::report::Status;

    #[test]
    fn a_shim_node_on_cgroup_v1_warns() {
        assert_eq!(run(check, node(config(SHIM_RUNTIME_V2))).status, Status::Pass);
        let mut n = node(config(SHIM_RUNTIME_V2));
        n.cgroup = Fact::Collected(Cgroup {
            mode: CgroupMode::Hybrid,
            evidence: "/sys/fs/cgroup is a tmpfs of v1 controllers with a cgroup2 `unified/`".into(),
        });
        let o = run(check, n.clone());
        assert_eq!(o.status, Status::Warn);
        assert!(o.message.starts_with("the node runs cgroup v1 in hybrid mode"), "{}", o.message);
        n.containerd_config = config(CRUN_RUNTIME_V2);
        assert_eq!(run(check, n).status, Status::Skip, "crun handles v1");
    }
}
