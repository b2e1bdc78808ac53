//! WD105 shim-binaries: every shim-route runtime's binary resolves the way containerd resolves it,
//! is executable, and is built for this node's CPU.

use crate::checks::{Ctx, Outcome};
use crate::facts::{BinaryKind, Fact, MissingKind, NodeFacts, PathSource, ShimResolution};
use crate::rules::elf::runs_on;
use crate::rules::text::list;

fn path_evidence(s: &ShimResolution) -> (String, String) {
    let source = match s.path_source {
        PathSource::Procfs => "containerd's PATH (from procfs)".to_string(),
        PathSource::Standard => "searched (containerd's process not visible: standard PATH assumed)".to_string(),
    };
    (source, s.searched.join(", "))
}

pub fn check(_: &Ctx, node: &NodeFacts) -> Outcome {
    if node.shims.is_empty() {
        return Outcome::skip("no containerd runtime uses a Wasm shim");
    }
    let mut ok = Vec::new();
    for s in &node.shims {
        let who = format!("runtime `{}` ({})", s.runtime, s.runtime_location);
        if let Some(invalid) = &s.invalid {
            return Outcome::fail(format!("{who}: containerd rejects it: {invalid}"))
                .fix("set `runtime_type` to `io.containerd.<name>.<version>` or to an absolute path");
        }
        let Some(resolved) = &s.resolved else {
            let (src, val) = path_evidence(s);
            let mut msg = if s.binary.starts_with('/') {
                format!("{who} names `{}`, which does not exist; pods fail with `invalid custom binary path`", s.binary)
            } else {
                format!(
                    "{who} needs `{}`, which containerd does not find; pods fail with `binary not installed \"{}\"`",
                    s.binary, s.binary
                )
            };
            let mut fix = format!(
                "install `{}` into a directory on containerd's PATH (e.g. /usr/local/bin) and restart containerd",
                s.binary
            );
            if !s.found_elsewhere.is_empty() {
                let found: Vec<String> = s.found_elsewhere.iter().map(|p| format!("`{p}`")).collect();
                msg += &format!("; it exists at {}, where containerd does not look", list(&found));
                fix = format!(
                    "set `runtime_type = \"{}\"` (an absolute path, containerd ≥ 1.6) or add its directory to containerd's PATH; `options.BinaryName` is not used to find a shim",
                    s.found_elsewhere[0]
                );
            }
            return Outcome::fail(msg).evidence(src, val).fix(fix);
        };
        if !s.executable {
            return Outcome::fail(format!("{who}: `{resolved}` is not executable"))
                .fix(format!("chmod 0755 `{resolved}`"));
        }
        let kind = match &s.binary_kind {
            BinaryKind::Elf { machine } | BinaryKind::BrokenElf { machine, .. } if !runs_on(machine, &node.arch) => {
                return Outcome::fail(format!(
                    "{who}: `{resolved}` is built for `{machine}`, but this node is `{}`; the shim fails with `exec format error`",
                    node.arch
                ))
                .evidence(resolved.clone(), format!("ELF machine {machine}"))
                .fix(format!("install the `{}` build of the shim (release archives are per architecture)", node.arch));
            }
            BinaryKind::BrokenElf { machine, reason } => {
                return Outcome::fail(format!(
                    "{who}: `{resolved}` is a broken `{machine}` ELF file ({reason}); the kernel refuses to run it, so pods fail with `exec format error`"
                ))
                .fix("reinstall the shim from its release archive (the file on the node is damaged or incomplete)");
            }
            BinaryKind::Elf { machine } => machine.clone(),
            BinaryKind::Script { interpreter } => format!("script for `{interpreter}`"),
            BinaryKind::Other | BinaryKind::Unknown => {
                return Outcome::fail(format!("{who}: `{resolved}` is neither an ELF executable nor a script"))
                    .fix("reinstall the shim from its release archive");
            }
        };
        let version = match &s.version {
            Some(Fact::Collected(v)) => format!(", {v}"),
            // It could not even be started (or it crashed): it does not run here, whatever its header says.
            Some(Fact::Unavailable(m)) if m.kind == MissingKind::Failed => {
                return Outcome::fail(format!("{who}: `{resolved}` does not run on this node: {}", m.reason))
                    .fix("reinstall the shim built for this node's CPU and C library from its release archive");
            }
            _ => String::new(),
        };
        ok.push(format!("`{}` → `{resolved}` ({kind}{version})", s.binary));
    }
    Outcome::pass(list(&ok))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::report::Status;

    fn shim_node(resolved: Option<&str>, kind: BinaryKind) -> NodeFacts {
        let mut n = node(config(SHIM_RUNTIME_V2));
        n.shims = vec![ShimResolution {
            resolved: resolved.map(String::from),
            executable: resolved.is_some(),
            binary_kind: kind,
            ..shim_resolution("wasmedge")
        }];
        n
    }

    #[test]
    fn resolves() {
        let o = run(
            check,
            shim_node(Some("/usr/local/bin/containerd-shim-wasmedge-v1"), BinaryKind::Elf { machine: "x86_64".into() }),
        );
        assert_eq!(o.status, Status::Pass);
        assert_eq!(
            o.message,
            "`containerd-shim-wasmedge-v1` → `/usr/local/bin/containerd-shim-wasmedge-v1` (x86_64, 0.6.0)"
        );
    }

    #[test]
    fn missing_and_found_elsewhere() {
        let mut n = shim_node(None, BinaryKind::Unknown);
        let o = run(check, n.clone());
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("binary not installed \"containerd-shim-wasmedge-v1\""), "{}", o.message);
        n.shims[0].found_elsewhere = vec!["/opt/kwasm/bin/containerd-shim-wasmedge-v1".into()];
        let o = run(check, n);
        assert!(o.message.contains("it exists at `/opt/kwasm/bin/containerd-shim-wasmedge-v1`"), "{}", o.message);
        assert!(o.fix.unwrap().summary.contains("absolute path"));
    }

    #[test]
    fn wrong_arch() {
        let o = run(
            check,
            shim_node(
                Some("/usr/local/bin/containerd-shim-wasmedge-v1"),
                BinaryKind::Elf { machine: "aarch64".into() },
            ),
        );
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("built for `aarch64`, but this node is `x86_64`"), "{}", o.message);
    }

    #[test]
    fn no_shims_skip() {
        assert_eq!(run(check, node(config(CRUN_RUNTIME_V2))).status, Status::Skip);
    }

    #[test]
    fn a_shim_that_cannot_start_does_not_run() {
        let mut n =
            shim_node(Some("/usr/local/bin/containerd-shim-wasmedge-v1"), BinaryKind::Elf { machine: "x86_64".into() });
        n.shims[0].version = Some(Fact::unavailable(
            MissingKind::Failed,
            "`/usr/local/bin/containerd-shim-wasmedge-v1 -v` could not be started: exec format error (a binary for another CPU architecture?)",
        ));
        let o = run(check, n);
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.contains(
                "does not run on this node: `/usr/local/bin/containerd-shim-wasmedge-v1 -v` could not be started"
            ),
            "{}",
            o.message
        );
        let broken = BinaryKind::BrokenElf {
            machine: "x86_64".into(),
            reason: "64 bytes, but its program headers end at byte 120 (truncated)".into(),
        };
        let o = run(check, shim_node(Some("/usr/local/bin/containerd-shim-wasmedge-v1"), broken));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("is a broken `x86_64` ELF file (64 bytes"), "{}", o.message);
    }
}
