//! WD206 containerd-running: containerd runs (procfs) and answers on its socket. It reports on the
//! containerd source itself, so it runs whether or not that source answered: `fail` when it is not
//! running on a live node or the address the user named is not there, `skip` when an offline host
//! root has no socket.

use crate::checks::{Ctx, Outcome};
use crate::facts::{Fact, MissingKind};

pub fn check(ctx: &Ctx) -> Outcome {
    let facts = ctx.facts;
    let process = facts.node.collected().and_then(|n| n.containerd.process.collected());
    match &facts.containerd {
        Fact::Collected(c) => {
            let pid = process
                .map(|p| {
                    let embedded = p.exe.as_deref().is_some_and(|e| e.contains("/rancher/"));
                    format!(" (pid {}{})", p.pid, if embedded { ", embedded" } else { "" })
                })
                .unwrap_or_default();
            Outcome::pass(format!("containerd `{}`{pid} answers on `{}`", c.version, c.address))
        }
        Fact::Unavailable(m) => match m.kind {
            MissingKind::NotRequested => Outcome::skip(format!("containerd source not available: {}", m.reason)),
            MissingKind::PermissionDenied | MissingKind::Timeout | MissingKind::Malformed => {
                Outcome::error(m.reason.clone())
            }
            MissingKind::NamedUnreachable => Outcome::fail(m.reason.clone()).fix(
                "give the socket containerd listens on (its config's `[grpc] address`; k3s and RKE2: `/run/k3s/containerd/containerd.sock`), or leave `--containerd-address` out to find it",
            ),
            MissingKind::NotFound | MissingKind::Failed if !facts.live => {
                Outcome::skip(format!("{} (the host root is not this machine: an offline filesystem)", m.reason))
            }
            MissingKind::NotFound | MissingKind::Failed => {
                let installed = facts.node.collected().is_some_and(|n| n.containerd.binary.is_some());
                if process.is_none() && !installed && m.kind == MissingKind::NotFound {
                    return Outcome::skip(format!("containerd is not installed here ({})", m.reason));
                }
                let msg = match process {
                    Some(p) => format!("a containerd process runs (pid {}), but {}", p.pid, m.reason),
                    None => format!("containerd is not running: {}", m.reason),
                };
                Outcome::fail(msg)
                    .fix("start containerd (`systemctl start containerd`, or the distribution's service: k3s, rke2-agent, snap.microk8s.daemon-containerd) and check its log")
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::facts::Facts;
    use crate::report::Status;

    fn eval(f: &Facts) -> Outcome {
        with_ctx(f, check)
    }

    #[test]
    fn running_states() {
        assert_eq!(
            eval(&with_live(CRUN_RUNTIME_V2, vec![])).message,
            "containerd `1.6.20~ds1` answers on `/run/containerd/containerd.sock`"
        );
        let mut f = facts(node(config("")));
        f.containerd =
            Fact::unavailable(MissingKind::NotFound, "no containerd socket at /run/containerd/containerd.sock");
        assert_eq!(eval(&f).status, Status::Skip, "offline host root");
        f.live = true;
        let mut n = node(config(""));
        n.containerd.binary = Some(crate::facts::VersionedBinary {
            path: "/usr/bin/containerd".into(),
            version: Fact::Collected("1.6.20".into()),
            output: None,
        });
        f.node = Fact::Collected(n);
        let o = eval(&f);
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.message, "containerd is not running: no containerd socket at /run/containerd/containerd.sock");
        f.containerd = Fact::unavailable(
            MissingKind::Timeout,
            "/run/containerd/containerd.sock accepted the connection but did not answer in time",
        );
        assert_eq!(eval(&f).status, Status::Error);
    }

    #[test]
    fn an_address_the_user_named_fails_when_it_is_not_there_live_or_not() {
        let mut f = facts(node(config("")));
        let reason = "`--containerd-address` names /run/x.sock, but nothing is there (under host root /srv/copy: /srv/copy/run/x.sock)";
        f.containerd = Fact::unavailable(MissingKind::NamedUnreachable, reason);
        for live in [false, true] {
            f.live = live;
            let o = eval(&f);
            assert_eq!((o.status, o.message.as_str()), (Status::Fail, reason));
            assert!(o.fix.is_some());
        }
    }
}
