//! WD403 docker-wasm-shim: a Wasm shim is on dockerd's PATH (read from procfs): `docker info` does
//! not list shims used by name, so they are looked for where dockerd's containerd finds them.

use crate::checks::{Ctx, Outcome};
use crate::facts::{DockerFacts, Fact};
use crate::rules::text::list;

pub fn check(_: &Ctx, d: &DockerFacts) -> Outcome {
    let source = match &d.dockerd_path {
        Fact::Collected(_) => "dockerd's PATH (from procfs)".to_string(),
        Fact::Unavailable(m) => format!("the standard PATH (dockerd's environment not readable: {})", m.reason),
    };
    if d.shims_on_path.is_empty() {
        return Outcome::fail(format!(
            "no Wasm shim (`containerd-shim-wasmedge-v1`, …) on {source}: `docker run --runtime io.containerd.wasmedge.v1` fails with `binary not installed \"containerd-shim-wasmedge-v1\"`"
        ))
        .evidence("searched", d.searched.join(":"))
        .fix("install a shim (e.g. runwasi's `containerd-shim-wasmedge-v1`) into /usr/local/bin and restart dockerd");
    }
    let shims: Vec<String> = d.shims_on_path.iter().map(|s| format!("`{s}`")).collect();
    Outcome::pass(format!("Wasm shims on {source}: {}", list(&shims)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::{run_docker, with_docker};
    use crate::report::Status;

    #[test]
    fn no_shim_fails_a_shim_on_path_passes() {
        assert_eq!(run_docker(check, &with_docker("27.3.1", None, &[])).status, Status::Fail);
        let o = run_docker(check, &with_docker("27.3.1", None, &["/usr/local/bin/containerd-shim-wasmedge-v1"]));
        assert_eq!(
            o.message,
            "Wasm shims on dockerd's PATH (from procfs): `/usr/local/bin/containerd-shim-wasmedge-v1`"
        );
    }
}
