//! Which service restarts containerd on this node, and with what command: the policy file's
//! `[restart] command`, else `systemctl restart <unit>` on this machine's own root. Running it is
//! `fix::restart`'s.

use crate::facts::NodeFacts;
use crate::rules::distribution::candidate_units;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil;
    use crate::facts::Distribution;

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
}
