//! The policy file (`--config FILE`, TOML): minimum versions, suppressions with a reason, and
//! settings later features read (restart command, TUI keys). Every key is optional.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::rules::text::line_col;
use crate::rules::time::is_date;
use crate::rules::versions::parse_version;

/// The default crun floor. It is a policy choice, not a known fix (knowledge §0, §1.6).
pub const DEFAULT_CRUN_MINIMUM: &str = "1.8.5";
/// runwasi shims honour `SystemdCgroup` from v0.6.0 (knowledge §4.2, §7).
pub const DEFAULT_SHIM_MINIMUM: &str = "0.6.0";
pub const DEFAULT_LOG_GRACE_SECONDS: u64 = 60;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default)]
    pub minimum_versions: MinimumVersions,
    #[serde(default)]
    pub logs: Logs,
    #[serde(default)]
    pub suppress: Vec<Suppression>,
    #[serde(default)]
    pub restart: Option<Restart>,
    #[serde(default)]
    pub keda: Option<Keda>,
    #[serde(default)]
    pub keys: BTreeMap<String, String>,
    #[serde(default)]
    pub smoke: Smoke,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinimumVersions {
    pub crun: Option<String>,
    pub wasmedge: Option<String>,
    pub runwasi_shim: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logs {
    pub grace_seconds: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    pub id: String,
    pub reason: String,
    pub node: Option<String>,
    pub object: Option<String>,
    /// `YYYY-MM-DD`; the suppression ends after this day.
    pub until: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restart {
    pub command: Vec<String>,
}

/// The trigger of the KEDA `ScaledObject` that WD307's fix writes: a Prometheus query the Wasm
/// workload's own metrics answer. `{namespace}` and `{name}` in `query` become the HPA target's.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keda {
    pub prometheus: String,
    pub query: String,
    pub threshold: String,
}

/// The cluster smoke's Jobs (WD311): what they run, and where.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smoke {
    /// The image (a mirror, for an air-gapped cluster). Default [`DEFAULT_SMOKE_IMAGE`].
    pub image: Option<String>,
    /// Its container's `args`; `{nonce}` becomes the run's nonce, which the log must show.
    pub args: Option<Vec<String>>,
    /// The namespace the Jobs are created in. Default `default`.
    pub namespace: Option<String>,
}

/// runwasi's demo module (`crates/wasi-demo-app`): `echo ARGS…` prints its arguments. A tag, not a
/// digest: no digest of it could be verified from where this was written; pin one in the policy.
pub const DEFAULT_SMOKE_IMAGE: &str = "ghcr.io/containerd/runwasi/wasi-demo-app:latest";
const NONCE: &str = "{nonce}";

impl Smoke {
    pub fn image(&self) -> &str {
        self.image.as_deref().unwrap_or(DEFAULT_SMOKE_IMAGE)
    }

    /// The container's args with the nonce in place.
    pub fn args(&self, nonce: &str) -> Vec<String> {
        match &self.args {
            Some(args) => args.iter().map(|a| a.replace(NONCE, nonce)).collect(),
            None => vec!["echo".into(), nonce.into()],
        }
    }

    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or("default")
    }
}

/// A policy file that cannot be used; the message carries `file:line:col`.
/// `:line:column` of a position in the file; nothing for an error of the whole file (line 0).
fn at(line: u32, column: u32) -> String {
    if line == 0 { String::new() } else { format!(":{line}:{column}") }
}

#[derive(Debug, thiserror::Error)]
#[error("{path}{}: {message}", at(*.line, *.column))]
pub struct PolicyError {
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl Policy {
    pub fn parse(path: &str, text: &str, is_check_id: fn(&str) -> bool) -> Result<Policy, PolicyError> {
        let policy: Policy = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            PolicyError { path: path.into(), line, column, message: e.message().trim().to_string() }
        })?;
        policy.validate(path, text, is_check_id)?;
        Ok(policy)
    }

    fn validate(&self, path: &str, text: &str, is_check_id: fn(&str) -> bool) -> Result<(), PolicyError> {
        let at = |needle: &str, message: String| {
            let offset = text.find(needle).unwrap_or(0);
            let (line, column) = line_col(text, offset);
            PolicyError { path: path.into(), line, column, message }
        };
        let versions = [
            ("crun", &self.minimum_versions.crun),
            ("wasmedge", &self.minimum_versions.wasmedge),
            ("runwasi_shim", &self.minimum_versions.runwasi_shim),
        ];
        for (key, v) in versions {
            if let Some(v) = v
                && parse_version(v).is_none()
            {
                return Err(at(v, format!("`minimum_versions.{key}` = `{v}` is not a version like `1.8.5`")));
            }
        }
        for s in &self.suppress {
            if !is_check_id(&s.id) {
                return Err(at(&s.id, format!("`suppress.id` = `{}` is not a wasmdoctor check ID", s.id)));
            }
            if s.reason.trim().is_empty() {
                return Err(at(&s.id, format!("the suppression of `{}` needs a non-empty `reason`", s.id)));
            }
            if let Some(u) = &s.until
                && !is_date(u)
            {
                return Err(at(u, format!("`until` = `{u}` is not a date like `2027-01-31`")));
            }
        }
        if let Some(r) = &self.restart
            && r.command.is_empty()
        {
            return Err(at("[restart]", "`restart.command` must name a program".into()));
        }
        if let Some(image) = &self.smoke.image
            && (image.trim().is_empty() || image.chars().any(char::is_whitespace))
        {
            return Err(at("[smoke]", format!("`smoke.image` = `{image}` is not an image reference")));
        }
        if let Some(args) = &self.smoke.args
            && !args.iter().any(|a| a.contains(NONCE))
        {
            return Err(at(
                "args",
                "`smoke.args` must contain `{nonce}`: the Job passes when its log shows the nonce".into(),
            ));
        }
        if let Some(ns) = &self.smoke.namespace
            && !crate::rules::kube::is_dns_label(ns)
        {
            return Err(at(ns, format!("`smoke.namespace` = `{ns}` is not a namespace name (a DNS label)")));
        }
        Ok(())
    }

    pub fn crun_minimum(&self) -> semver::Version {
        self.minimum_versions.crun.as_deref().and_then(parse_version).unwrap_or(semver::Version::new(1, 8, 5))
    }

    pub fn wasmedge_minimum(&self) -> Option<semver::Version> {
        self.minimum_versions.wasmedge.as_deref().and_then(parse_version)
    }

    pub fn shim_minimum(&self) -> semver::Version {
        self.minimum_versions.runwasi_shim.as_deref().and_then(parse_version).unwrap_or(semver::Version::new(0, 6, 0))
    }

    /// The suppression in force for this check on this node (object-narrowed ones need an object).
    pub fn suppression_for(
        &self,
        id: &str,
        node: Option<&str>,
        objects: &[String],
        today: &str,
    ) -> Option<&Suppression> {
        self.suppress.iter().find(|s| {
            s.id == id
                && s.node.as_deref().is_none_or(|n| Some(n) == node)
                && s.object.as_ref().is_none_or(|o| objects.contains(o))
                && s.until.as_deref().is_none_or(|u| today <= u)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(id: &str) -> bool {
        id == "WD204"
    }

    #[test]
    fn full_example_parses() {
        let text = r#"
[minimum_versions]
crun = "1.8.5"
wasmedge = "0.13.0"
runwasi_shim = "0.6.0"

[logs]
grace_seconds = 60

[[suppress]]
id = "WD204"
reason = "annotations are injected by our admission webhook"
node = "worker-1"
until = "2027-01-31"

[restart]
command = ["rc-service", "containerd", "restart"]

[keda]
prometheus = "http://prometheus.monitoring.svc:9090"
query = 'sum(rate(http_requests_total{namespace="{namespace}",pod=~"{name}-.*"}[2m]))'
threshold = "50"

[keys]
quit = "q"
"#;
        let p = Policy::parse("p.toml", text, known).unwrap();
        assert_eq!(p.crun_minimum(), semver::Version::new(1, 8, 5));
        assert!(p.suppression_for("WD204", Some("worker-1"), &[], "2026-11-24").is_some());
        assert!(p.suppression_for("WD204", Some("worker-2"), &[], "2026-11-24").is_none());
        assert!(p.suppression_for("WD204", Some("worker-1"), &[], "2027-02-01").is_none());
        assert_eq!(p.restart.map(|r| r.command.len()), Some(3));
        assert_eq!(p.keda.map(|k| k.threshold), Some("50".to_string()));
        let e = Policy::parse("p.toml", "[keda]\nprometheus = \"http://p:9090\"\n", known).unwrap_err();
        assert!(e.message.contains("query"), "a [keda] without its query: {e}");
    }

    #[test]
    fn malformed_has_line_and_column() {
        let e = Policy::parse("p.toml", "[minimum_versions]\ncrun = \n", known).unwrap_err();
        assert_eq!((e.line, e.column), (2, 8), "{e}");
        let e = Policy::parse("p.toml", "[minimum_versions]\ncrun = \"abc\"\n", known).unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = Policy::parse("p.toml", "[[suppress]]\nid = \"WD999\"\nreason = \"x\"\n", known).unwrap_err();
        assert!(e.to_string().starts_with("p.toml:2:"), "{e}");
        let e = Policy::parse("p.toml", "[[suppress]]\nid = \"WD204\"\n", known).unwrap_err();
        assert!(e.message.contains("reason"), "{e}");
        let e = Policy::parse("p.toml", "typo = 1\n", known).unwrap_err();
        assert_eq!(e.line, 1, "{e}");
        let e =
            Policy::parse("p.toml", "[[suppress]]\nid = \"WD204\"\nreason = \"x\"\nuntil = \"2027-13-45\"\n", known)
                .unwrap_err();
        assert_eq!(e.line, 4, "an impossible date: {e}");
    }

    #[test]
    fn smoke_settings_default_and_are_checked() {
        let p = Policy::parse("p.toml", "", known).unwrap();
        assert_eq!(p.smoke.image(), DEFAULT_SMOKE_IMAGE);
        assert_eq!(p.smoke.args("n1"), ["echo", "n1"]);
        assert_eq!(p.smoke.namespace(), "default");
        let text = "[smoke]\nimage = \"registry.local/wasi-demo@sha256:ab\"\nargs = [\"say\", \"--n={nonce}\"]\nnamespace = \"wasm-smoke\"\n";
        let p = Policy::parse("p.toml", text, known).unwrap();
        assert_eq!(p.smoke.args("n1"), ["say", "--n=n1"]);
        assert_eq!(p.smoke.namespace(), "wasm-smoke");
        let e = Policy::parse("p.toml", "[smoke]\nargs = [\"echo\", \"hi\"]\n", known).unwrap_err();
        assert!(e.message.contains("{nonce}") && e.line == 2, "args that can never show the nonce: {e}");
        let e = Policy::parse("p.toml", "[smoke]\nnamespace = \"Wasm_Smoke\"\n", known).unwrap_err();
        assert!(e.message.contains("DNS label"), "{e}");
        let e = Policy::parse("p.toml", "[smoke]\nimage = \"two words\"\n", known).unwrap_err();
        assert!(e.message.contains("image reference"), "{e}");
    }
}
