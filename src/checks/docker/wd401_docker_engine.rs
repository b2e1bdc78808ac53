//! WD401 docker-engine: dockerd answers and is Docker Engine 24 or later, the first to accept a
//! shim by name in `--runtime`. It reports on the docker source itself, so it runs whether or not
//! dockerd answered.

use crate::checks::gate::source_missing;
use crate::checks::{Ctx, Outcome};
use crate::facts::{Fact, MissingKind, SourceKind};
use crate::report::Status;
use crate::rules::versions::parse_version;

pub fn check(ctx: &Ctx) -> Outcome {
    let d = match &ctx.facts.docker {
        Fact::Collected(d) => d,
        Fact::Unavailable(m) => {
            let o = source_missing(SourceKind::Docker, m, ctx.facts.live);
            if m.kind == MissingKind::NamedUnreachable {
                return o.fix("give the socket dockerd listens on (`docker context inspect` shows it)");
            }
            if o.status == Status::Fail {
                return o.fix("start dockerd (`systemctl start docker`) and check `journalctl -u docker`");
            }
            return o;
        }
    };
    let Some(v) = parse_version(&d.server_version) else {
        return Outcome::error(format!("dockerd reported version `{}`, which has no release number", d.server_version));
    };
    if v.major < 24 {
        return Outcome::fail(format!(
            "Docker Engine `{}` (API {}) is older than 24.0, the first to accept a shim by name: `docker run --runtime io.containerd.wasmedge.v1` fails with `Unknown runtime specified io.containerd.wasmedge.v1`",
            d.server_version, d.api_version
        ))
        .evidence(d.host.clone(), format!("ServerVersion {}", d.server_version))
        .fix("upgrade Docker Engine to 24 or later (Docker's own packages; Debian 12's docker.io is 20.10)");
    }
    Outcome::pass(format!("Docker Engine `{}` (API {}) answers on `{}`", d.server_version, d.api_version, d.host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::facts::Facts;

    fn eval(f: &Facts) -> Outcome {
        with_ctx(f, check)
    }

    #[test]
    fn engine_version() {
        let o = eval(&with_docker("20.10.24+dfsg1", None, &[]));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.starts_with("Docker Engine `20.10.24+dfsg1` (API 1.41) is older than 24.0"), "{}", o.message);
        assert_eq!(eval(&with_docker("27.3.1", None, &[])).status, Status::Pass);
        assert_eq!(eval(&facts(node(config("")))).status, Status::Skip);
    }
}
