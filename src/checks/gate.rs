//! What a missing source means for a check that needs it: the one mapping from a source and its
//! missing-kind to `skip`, `error` or `fail`. The engine applies it before running a check; the
//! checks that report on a source's own health (WD206, WD401) and the cluster checks' lists
//! (each listed on its own) use it too.

use super::Outcome;
use crate::facts::{Fact, Missing, MissingKind, SourceKind};

/// The outcome of a check whose `source` is missing. `live`: the host root is the running machine
/// (or a daemon address was given), so a daemon that does not answer is a failure, not an offline
/// filesystem.
pub fn source_missing(source: SourceKind, m: &Missing, live: bool) -> Outcome {
    let reason = &m.reason;
    match (source, m.kind) {
        (SourceKind::Node, kind) if kind.is_error() => Outcome::error(format!("node facts unavailable: {reason}")),
        (SourceKind::Node, _) => Outcome::skip(format!("node source not available: {reason}")),
        (SourceKind::Containerd, _) => Outcome::skip(format!("containerd does not answer (see WD206): {reason}")),
        (SourceKind::Docker, MissingKind::NotRequested | MissingKind::NotFound) => {
            Outcome::skip(format!("Docker is not in use here: {reason}"))
        }
        (SourceKind::Docker, MissingKind::NamedUnreachable) => Outcome::fail(reason.clone()),
        (SourceKind::Docker, MissingKind::Failed) if !live => Outcome::skip(reason.clone()),
        (SourceKind::Docker, MissingKind::Failed) => Outcome::fail(format!("dockerd does not answer: {reason}")),
        (SourceKind::Docker, _) => Outcome::error(reason.clone()),
        (SourceKind::Cluster, MissingKind::NotRequested) => {
            Outcome::skip(format!("cluster source not requested: {reason}"))
        }
        (SourceKind::Cluster, _) => Outcome::skip(format!("the cluster is not reachable: {reason}")),
    }
}

/// A cluster list a check needs: 403, 404 or not requested → `skip` naming why; a server error, a
/// malformed body or a timeout → `error`.
pub fn list<T>(fact: &Fact<Vec<T>>) -> Result<&[T], Outcome> {
    match fact {
        Fact::Collected(v) => Ok(v),
        Fact::Unavailable(m)
            if matches!(m.kind, MissingKind::PermissionDenied | MissingKind::NotFound | MissingKind::NotRequested) =>
        {
            Err(Outcome::skip(m.reason.clone()))
        }
        Fact::Unavailable(m) => Err(Outcome::error(m.reason.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    fn missing(kind: MissingKind) -> Missing {
        Missing { kind, reason: "why".into() }
    }

    #[test]
    fn each_source_and_kind() {
        let status = |s, k, live| source_missing(s, &missing(k), live).status;
        assert_eq!(status(SourceKind::Node, MissingKind::Timeout, false), Status::Error);
        assert_eq!(status(SourceKind::Node, MissingKind::NotRequested, false), Status::Skip);
        assert_eq!(status(SourceKind::Containerd, MissingKind::Timeout, true), Status::Skip);
        assert_eq!(status(SourceKind::Docker, MissingKind::Failed, true), Status::Fail);
        assert_eq!(status(SourceKind::Docker, MissingKind::Failed, false), Status::Skip);
        assert_eq!(status(SourceKind::Docker, MissingKind::Timeout, false), Status::Error);
        assert_eq!(status(SourceKind::Cluster, MissingKind::PermissionDenied, true), Status::Skip);
        let forbidden: Fact<Vec<u8>> = Fact::Unavailable(missing(MissingKind::PermissionDenied));
        assert_eq!(list(&forbidden).unwrap_err().status, Status::Skip);
        let broken: Fact<Vec<u8>> = Fact::Unavailable(missing(MissingKind::Malformed));
        assert_eq!(list(&broken).unwrap_err().status, Status::Error);
    }
}
