//! WD309 wasm-image-pull: no Wasm pod is stuck pulling its image for a Wasm-specific reason: an
//! index without the node's platform, or Wasm layers a containerd older than 1.6.25/1.7.7 cannot
//! pass to the shim. Read from Warning events and containers' `waiting` messages.

use super::{pod_events, pod_ref, shown, some, wasm_pods};
use crate::checks::{Ctx, Outcome};
use crate::facts::ClusterFacts;
use crate::report::Affected;
use crate::rules::text::count;
use crate::rules::versions::parse_version;

const NO_PLATFORM: &str = "no match for platform in manifest";
const WASM_LAYERS: &str = "mismatched image rootfs and manifest layers";

pub fn check(ctx: &Ctx, c: &ClusterFacts) -> Outcome {
    let wasm = or_return!(wasm_pods(ctx, c));
    let events = pod_events(c);
    // (pod, which failure, the line)
    let mut stuck: Vec<(Affected, &str, String)> = Vec::new();
    for p in &wasm {
        let waiting = p.containers.iter().filter(|c| c.state == "waiting").filter_map(|c| c.message.as_deref());
        let warned =
            events.get(&(p.namespace.as_str(), p.name.as_str())).into_iter().flatten().map(|e| e.message.as_str());
        let hit = waiting.chain(warned).find_map(|text| {
            let needle = [NO_PLATFORM, WASM_LAYERS].into_iter().find(|n| text.contains(n))?;
            let line = text.lines().find(|l| l.contains(needle)).unwrap_or(text).trim();
            Some((needle, line.chars().take(300).collect::<String>()))
        });
        if let Some((needle, line)) = hit {
            stuck.push((pod_ref(p), needle, line));
        }
    }
    if stuck.is_empty() {
        return Outcome::pass(format!("none of {} is stuck pulling its image", count(wasm.len(), "Wasm pod")));
    }
    let affected: Vec<Affected> = stuck.iter().map(|(a, ..)| a.clone()).collect();
    let (first, needle, line) = &stuck[0];
    let o = if *needle == NO_PLATFORM {
        Outcome::fail(format!(
            "{} cannot pull {} image: its index has no entry for the node's platform (CRI pulls only `linux/<arch>`, never `wasi/wasm`); {} says `{line}`",
            some(&affected),
            if affected.len() == 1 { "its" } else { "their" },
            shown(first)
        ))
        .fix("use an image whose index has `linux/amd64`/`linux/arm64` entries holding the Wasm module (a `FROM scratch` image built with `docker buildx build --platform linux/amd64,linux/arm64`)")
    } else {
        let version = ctx.facts.containerd_version();
        let old = version.and_then(|(v, _)| parse_version(v)).is_some_and(|v| {
            (v.major, v.minor) < (1, 6)
                || (v.major, v.minor) == (1, 6) && v.patch < 25
                || (v.major, v.minor) == (1, 7) && v.patch < 7
        });
        let here = match version {
            Some((v, from)) if old => format!("; this node's containerd is {v} ({from}), older than that"),
            Some((v, from)) => format!("; this node's containerd is {v} ({from}): look at the nodes the pods ran on"),
            None => String::new(),
        };
        Outcome::fail(format!(
            "{} cannot unpack {} image: its layers are Wasm modules, which only containerd 1.6.25+/1.7.7+ passes to the shim{here}; {} says `{line}`",
            some(&affected),
            if affected.len() == 1 { "its" } else { "their" },
            shown(first)
        ))
        .fix("upgrade containerd on the nodes that run Wasm pods to 1.6.25+, 1.7.7+ or 2.x (or use an image with tar layers)")
    };
    o.evidence(shown(first), line.clone()).affected(affected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::facts::Fact;
    use crate::report::Status;

    fn pulling(message: &str) -> ClusterFacts {
        let mut p = pod(
            "hello",
            "spin",
            "ghcr.io/deislabs/containerd-wasm-shims/examples/lunatic-submillisecond:v0.11.0",
            None,
        );
        p.phase = Some("Pending".into());
        p.containers[0].state = "waiting".into();
        p.containers[0].reason = Some("ErrImagePull".into());
        p.containers[0].message = Some(message.into());
        cluster_facts(vec![p], vec![], vec![], vec![rc("spin", "spin")])
    }

    #[test]
    fn a_wasm_only_index_fails_a_pulled_image_passes() {
        // The kubelet's words (corpus e20, deislabs/containerd-wasm-shims#211).
        let e20 = r#"Failed to pull image "ghcr.io/deislabs/containerd-wasm-shims/examples/lunatic-submillisecond:v0.11.0": rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/deislabs/containerd-wasm-shims/examples/lunatic-submillisecond:v0.11.0": no match for platform in manifest: not found"#;
        let o = run_cluster(check, SHIM_RUNTIME_V2, pulling(e20));
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message
                .starts_with("Pod `demo/hello` cannot pull its image: its index has no entry for the node's platform"),
            "{}",
            o.message
        );
        assert_eq!(o.affected.len(), 1);
        let running = cluster_facts(vec![pod("hello", "spin", "x", None)], vec![], vec![], vec![rc("spin", "spin")]);
        assert_eq!(run_cluster(check, SHIM_RUNTIME_V2, running).status, Status::Pass);
    }

    #[test]
    fn wasm_layers_name_the_containerd_that_cannot_pass_them() {
        // From an event (corpus e22, deislabs/containerd-wasm-shims#191), on a node with containerd 1.6.24.
        let mut c = cluster_facts(vec![pod("spin", "spin", "x", None)], vec![], vec![], vec![rc("spin", "spin")]);
        c.events = Fact::Collected(vec![event(
            "spin",
            "Failed",
            "Failed to pull image \"michellenoorali/spin-hello-world:0.2.0\": failed to pull and unpack image \"docker.io/michellenoorali/spin-hello-world:0.2.0\": failed to unpack image on snapshotter overlayfs: mismatched image rootfs and manifest layers",
        )]);
        let mut f = facts(node(config(SHIM_RUNTIME_V2)));
        if let Fact::Collected(n) = &mut f.node {
            n.containerd.binary = Some(crate::facts::VersionedBinary {
                path: "/usr/bin/containerd".into(),
                version: Fact::Collected("1.6.24".into()),
                output: None,
            });
        }
        f.cluster = Fact::Collected(c.clone());
        let o = with_ctx(&f, |ctx| check(ctx, &c));
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.contains("this node's containerd is 1.6.24 (`containerd --version`), older than that"),
            "{}",
            o.message
        );
    }
}
