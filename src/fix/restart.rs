//! Restarting the service that runs containerd: which one for the distribution, the command (the
//! policy file's `[restart] command`, else `systemctl restart <unit>` on this machine's own root),
//! run without a shell.

use std::path::Path;
use std::time::Duration;

use crate::collect::exec;
use crate::facts::{Distribution, NodeFacts};

/// A restart command gets this long (systemd's own stop timeout is 90 s).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// The systemd units that run containerd for a distribution, the usual one first.
pub fn candidate_units(distribution: Distribution) -> &'static [&'static str] {
    match distribution {
        Distribution::Containerd => &["containerd"],
        Distribution::K3s => &["k3s", "k3s-agent"],
        Distribution::Rke2 => &["rke2-server", "rke2-agent"],
        Distribution::Microk8s => &["snap.microk8s.daemon-containerd"],
        Distribution::K0s => &["k0sworker", "k0scontroller"],
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestartStep {
    /// The service, as the user types it to confirm (`containerd`, `k3s-agent`).
    pub service: String,
    pub command: Vec<String>,
    /// Where the command comes from, for the plan.
    pub source: String,
}

impl RestartStep {
    pub fn shown(&self) -> String {
        self.command.join(" ")
    }
}

/// The restart this node needs, or why wasmdoctor cannot run it from here (the manual step).
pub fn plan(
    node: &NodeFacts,
    policy: Option<&crate::policy::Restart>,
    host_is_root: bool,
) -> Result<RestartStep, String> {
    let candidates = candidate_units(node.containerd_config.distribution);
    let service = candidates
        .iter()
        .find(|u| node.service_units.iter().any(|s| s == *u))
        .or(candidates.first())
        .map(|s| s.to_string())
        .unwrap_or_else(|| "containerd".into());
    if let Some(p) = policy.filter(|p| !p.command.is_empty()) {
        return Ok(RestartStep {
            service,
            command: p.command.clone(),
            source: "the policy file's `[restart] command`".into(),
        });
    }
    let systemctl = vec!["systemctl".to_string(), "restart".into(), service.clone()];
    if host_is_root {
        let source = if node.service_units.contains(&service) {
            format!("systemd unit `{service}.service`")
        } else {
            format!("no `{service}.service` unit was found; the distribution's usual unit")
        };
        return Ok(RestartStep { service, command: systemctl, source });
    }
    Err(format!(
        "restart {service} on the node (`{}`); wasmdoctor runs a restart for another root (--host-root) only with a `[restart] command` in the policy file",
        systemctl.join(" ")
    ))
}

/// Run the restart command (argv, no shell); its output is the error when it fails.
pub fn run(step: &RestartStep) -> Result<(), String> {
    let Some((program, args)) = step.command.split_first() else {
        return Err("the restart command is empty".into());
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match exec::run_with(Path::new(program), &args, COMMAND_TIMEOUT, exec::Leftovers::Keep) {
        Ok(out) if out.code == Some(0) => Ok(()),
        Ok(out) => {
            let said = [out.stderr.trim(), out.stdout.trim()].into_iter().find(|s| !s.is_empty()).unwrap_or("");
            Err(format!("`{}` exited with {}: {said}", step.shown(), out.code.unwrap_or(-1)))
        }
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil;

    fn node(distribution: Distribution, units: &[&str]) -> NodeFacts {
        let mut config = testutil::config("version = 2\n");
        config.distribution = distribution;
        let mut n = testutil::node(config);
        n.service_units = units.iter().map(|s| s.to_string()).collect();
        n
    }

    #[test]
    fn the_unit_that_exists_on_the_node() {
        let step = plan(&node(Distribution::K3s, &["k3s-agent"]), None, true).unwrap();
        assert_eq!(step.command, ["systemctl", "restart", "k3s-agent"]);
        let step = plan(&node(Distribution::Rke2, &[]), None, true).unwrap();
        assert_eq!(step.service, "rke2-server");
        assert!(step.source.contains("no `rke2-server.service` unit was found"), "{}", step.source);
        let step = plan(&node(Distribution::Microk8s, &["snap.microk8s.daemon-containerd"]), None, true).unwrap();
        assert_eq!(step.command, ["systemctl", "restart", "snap.microk8s.daemon-containerd"]);
    }

    #[test]
    fn another_root_needs_the_policy_command() {
        let n = node(Distribution::Containerd, &["containerd"]);
        let manual = plan(&n, None, false).unwrap_err();
        assert!(manual.contains("`systemctl restart containerd`") && manual.contains("[restart] command"), "{manual}");
        let policy =
            crate::policy::Restart { command: vec!["rc-service".into(), "containerd".into(), "restart".into()] };
        let step = plan(&n, Some(&policy), false).unwrap();
        assert_eq!(step.shown(), "rc-service containerd restart");
        assert_eq!(step.service, "containerd");
    }

    #[test]
    fn a_failing_command_says_what_it_printed() {
        let step = RestartStep {
            service: "x".into(),
            command: vec!["/bin/sh".into(), "-c".into(), "echo nope >&2; exit 3".into()],
            source: String::new(),
        };
        let e = run(&step).unwrap_err();
        assert!(e.contains("exited with 3: nope"), "{e}");
        let missing = RestartStep { command: vec!["/nonexistent/restart".into()], ..step };
        assert!(run(&missing).unwrap_err().contains("/nonexistent/restart"));
    }
}
