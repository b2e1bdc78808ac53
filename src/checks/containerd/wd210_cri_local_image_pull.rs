//! WD210 cri-local-image-pull: on containerd ≥ 2.1 with shim runtimes, CRI pulls images locally
//! (`use_local_image_pull = true` under `plugins."io.containerd.cri.v1.images"`). From 2.1, CRI pulls
//! through the transfer service (containerd#8515), which does not unpack non-host (`wasi/wasm`)
//! platforms; Wasm containers then fail with `parent snapshot … does not exist`.

use crate::checks::{Ctx, Outcome};
use crate::facts::{ConfigFile, FileState, NodeFacts, Route, Setting};
use crate::rules::containerd::PLUGIN_IMAGES_V3;
use crate::rules::text::list;
use crate::rules::versions::parse_version;

pub fn check(ctx: &Ctx, node: &NodeFacts) -> Outcome {
    let c = &node.containerd_config;
    let shims: Vec<String> =
        c.runtimes.iter().filter(|r| r.route == Route::Shim).map(|r| format!("`{}`", r.name)).collect();
    if shims.is_empty() {
        return Outcome::skip(
            "no shim runtime is configured (crun runs `linux/<arch>` images, which any pull unpacks)",
        );
    }
    let Some((version, from)) = ctx.facts.containerd_version().map(|(v, f)| (v.trim_start_matches('v'), f)) else {
        return Outcome::skip("containerd's version is unknown here (no binary found, no daemon answered)");
    };
    let Some(v) = parse_version(version) else {
        return Outcome::error(format!("containerd's version `{version}` ({from}) has no release number"));
    };
    if (v.major, v.minor) < (2, 1) {
        return Outcome::pass(format!(
            "containerd {version} ({from}) pulls CRI images with its local unpacker (the transfer service pulls them from 2.1)"
        ));
    }
    // The file that sets it last wins: imports are merged over the main file; an unrendered
    // template is what will be.
    let parsed = |f: &&ConfigFile| f.state == FileState::Parsed;
    let rendered = c.files.iter().filter(parsed).rev().find_map(|f| Some((f, f.local_image_pull?)));
    let setting: Option<(&ConfigFile, Setting)> =
        rendered.or_else(|| c.template.iter().filter(parsed).find_map(|t| Some((t, t.local_image_pull?))));
    let runtimes = list(&shims);
    match setting {
        Some((f, s)) if s.value => Outcome::pass(format!(
            "containerd {version} pulls CRI images locally (`use_local_image_pull = true`, {}:{}), so the Wasm images of {runtimes} are unpacked",
            f.path, s.line
        )),
        other => {
            let said = match other {
                Some((f, s)) => format!("`use_local_image_pull = false` ({}:{})", f.path, s.line),
                None => "no `use_local_image_pull`".into(),
            };
            Outcome::warn(format!(
                "containerd {version} ({from}) pulls CRI images through the transfer service ({said}), which does not unpack `wasi/wasm` images: pods of {runtimes} fail with `parent snapshot … does not exist`"
            ))
            .evidence(c.edit_path.clone(), said)
            .fix(format!(
                "set `use_local_image_pull = true` under `[plugins.'{PLUGIN_IMAGES_V3}']` in `{}` (a `version = 3` file) and restart containerd",
                c.edit_path
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::facts::{Fact, VersionedBinary};
    use crate::report::Status;

    /// runwasi's quickstart for containerd 2.x (corpus `runwasi-quickstart-kind-containerd2.toml`).
    const QUICKSTART: &str = "version = 3\n[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.wasm]\n  runtime_type = \"io.containerd.wasmtime.v1\"\n";

    fn on(version: &str, text: &str) -> Outcome {
        let mut n = node(config(text));
        n.containerd.binary = Some(VersionedBinary {
            path: "/usr/bin/containerd".into(),
            version: Fact::Collected(version.into()),
            output: None,
        });
        run(check, n)
    }

    #[test]
    fn containerd_2_1_needs_local_pulls_for_wasm() {
        let o = on("2.1.4", QUICKSTART);
        assert_eq!(o.status, Status::Warn);
        assert!(o.message.starts_with("containerd 2.1.4 (`containerd --version`) pulls CRI images through the transfer service (no `use_local_image_pull`)"), "{}", o.message);
        let set = format!("{QUICKSTART}[plugins.'io.containerd.cri.v1.images']\n  use_local_image_pull = true\n");
        let o = on("2.1.4", &set);
        assert_eq!(o.status, Status::Pass, "{}", o.message);
        assert!(o.message.contains("/etc/containerd/config.toml:5"), "{}", o.message);
        assert_eq!(on("2.1.4", &set.replace("true", "false")).status, Status::Warn);
        assert_eq!(on("2.0.5", QUICKSTART).status, Status::Pass);
        assert_eq!(on("2.1.4", CRUN_RUNTIME_V2).status, Status::Skip);
    }
}
