//! WD304 wasm-annotation: crun-route workloads carry `module.wasm.image/variant` on the pod (image
//! annotations never reach crun under containerd); the image's annotations are shown as evidence.

use std::collections::BTreeMap;

use super::{node_handlers, pod_ref, route_of, some, top_level, workload_ref};
use crate::checks::{Ctx, Outcome, gate};
use crate::facts::{ClusterFacts, PodInfo, Route, WorkloadInfo};
use crate::report::Affected;
use crate::rules::crun::handler_from_name;
use crate::rules::gomatch::path_match;
use crate::rules::kube::same_image;
use crate::rules::text::list;
use crate::rules::wasm::VARIANT_ANNOTATION;

pub fn check(ctx: &Ctx, c: &ClusterFacts) -> Outcome {
    let rcs = or_return!(gate::list(&c.runtime_classes));
    let pods = or_return!(gate::list(&c.pods));
    let handlers = node_handlers(ctx.facts);
    let node = ctx.facts.node.collected();
    // crun-route RuntimeClasses, and whether their binary is `crun-<handler>` (no annotation needed).
    let mut crun_rcs: BTreeMap<&str, bool> = BTreeMap::new();
    let mut assumed = false;
    for rc in rcs {
        match route_of(rc, handlers.as_ref()) {
            Some(Route::Crun) => {
                let argv0 = node
                    .and_then(|n| n.containerd_config.active_runtimes().find(|r| r.name == rc.handler))
                    .and_then(|r| r.binary_name.as_deref())
                    .and_then(handler_from_name)
                    .is_some();
                crun_rcs.insert(rc.name.as_str(), argv0);
            }
            None if handlers.is_none() && rc.handler.starts_with("crun") => {
                assumed = true;
                crun_rcs.insert(rc.name.as_str(), false);
            }
            _ => {}
        }
    }
    if crun_rcs.is_empty() {
        return Outcome::skip("no RuntimeClass uses the crun route on this node");
    }
    let needs = |rc: Option<&str>, ann: &BTreeMap<String, String>| {
        rc.and_then(|r| crun_rcs.get(r)).is_some_and(|argv0| !argv0) && ann.is_empty()
    };
    // Pods made before their owner's template got the annotation: its rollout replaces them.
    let workloads = c.workloads.collected().map(Vec::as_slice).unwrap_or(&[]);
    let fixed_owner = |p: &PodInfo| -> Option<String> {
        let top = top_owner(p, workloads)?;
        (!top.wasm_annotations.is_empty()).then(|| format!("{} `{}/{}`", top.kind, top.namespace, top.name))
    };
    let mut rolling: Vec<String> = Vec::new();
    let mut affected: Vec<Affected> = Vec::new();
    for p in pods.iter().filter(|p| needs(p.runtime_class.as_deref(), &p.wasm_annotations)) {
        match fixed_owner(p) {
            Some(owner) => rolling.push(owner),
            None => affected.push(pod_ref(p)),
        }
    }
    let mut images: Vec<String> = pods
        .iter()
        .filter(|p| needs(p.runtime_class.as_deref(), &p.wasm_annotations))
        .flat_map(|p| p.containers.iter().filter_map(|c| c.image.clone()))
        .collect();
    if let Some(ws) = c.workloads.collected() {
        for w in ws.iter().filter(|w| top_level(w) && needs(w.runtime_class.as_deref(), &w.wasm_annotations)) {
            affected.push(workload_ref(w));
            images.extend(w.images.iter().cloned());
        }
    }
    if affected.is_empty() && !rolling.is_empty() {
        let old = pods.iter().filter(|p| needs(p.runtime_class.as_deref(), &p.wasm_annotations)).count();
        rolling.dedup();
        return Outcome::warn(format!(
            "the pod templates of {} carry `module.wasm.image/variant`, but {} still {} from before it: the rollout replaces {}",
            list(&rolling),
            crate::rules::text::count(old, "pod"),
            if old == 1 { "runs" } else { "run" },
            if old == 1 { "it" } else { "them" }
        ))
        .fix("wait for the rollout (`kubectl rollout status`), or restart it (`kubectl rollout restart`)");
    }
    if affected.is_empty() {
        let mut msg = format!(
            "every pod and template of the crun-route RuntimeClasses {} carries `module.wasm.image/variant` or `run.oci.handler` (or runs `crun-wasm`)",
            list(&crun_rcs.keys().map(|k| format!("`{k}`")).collect::<Vec<_>>())
        );
        if assumed {
            msg += " (crun route assumed from the handler's name: this node's runtimes are unknown)";
        }
        return Outcome::pass(msg);
    }
    let mut msg = format!(
        "{} without `module.wasm.image/variant` (or `run.oci.handler`) on the pod: crun runs the `.wasm` entrypoint natively and it fails with `Exec format error`",
        some(&affected)
    );
    // Image annotations never reach crun: say so when the image has them.
    let annotated: Vec<String> = ctx
        .facts
        .containerd
        .collected()
        .and_then(|l| l.images.collected())
        .map(|imgs| {
            imgs.iter()
                .filter(|i| {
                    images.iter().any(|want| same_image(want, &i.name))
                        && i.annotations.contains_key(VARIANT_ANNOTATION.0)
                })
                .map(|i| format!("`{}`", i.name))
                .collect()
        })
        .unwrap_or_default();
    let mut o = Outcome::fail(String::new());
    if !annotated.is_empty() {
        msg += &format!(
            "; the image {} carries the annotation in its manifest, but containerd never passes image annotations to crun",
            list(&annotated)
        );
        o = o.evidence("containerd image store", format!("{} has module.wasm.image/variant", list(&annotated)));
    }
    if let Some(n) = node {
        let gaps: Vec<String> = n
            .containerd_config
            .active_runtimes()
            .filter(|r| {
                r.route == Route::Crun
                    && rcs.iter().any(|rc| rc.handler == r.name && crun_rcs.contains_key(rc.name.as_str()))
            })
            .filter(|r| {
                let pats = r.pod_annotations.clone().unwrap_or_default();
                !pats.iter().any(|p| path_match(p, VARIANT_ANNOTATION.0))
            })
            .map(|r| format!("`{}`", r.name))
            .collect();
        if !gaps.is_empty() {
            msg += &format!("; and runtime {} would drop the annotation anyway (WD204)", list(&gaps));
        }
    }
    if assumed {
        msg += " (crun route assumed from the handler's name)";
    }
    o.message = msg;
    o.fix(
        "add `module.wasm.image/variant: compat-smart` to the pod template's `metadata.annotations` (not to the image)",
    )
    .affected(affected)
}

/// A pod's top-level owner (its ReplicaSet's Deployment, a Job's CronJob), when listed.
fn top_owner<'a>(p: &PodInfo, workloads: &'a [WorkloadInfo]) -> Option<&'a WorkloadInfo> {
    let owner = p.owner.as_ref()?;
    let mut w =
        workloads.iter().find(|w| w.kind == owner.kind && w.name == owner.name && w.namespace == p.namespace)?;
    for _ in 0..4 {
        let Some(up) = &w.owner else { return Some(w) };
        w = workloads.iter().find(|x| x.kind == up.kind && x.name == up.name && x.namespace == w.namespace)?;
    }
    Some(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::facts::{ContainerdLive, Fact, ImageInfo, MissingKind};
    use crate::report::Status;

    const CRUN_NO_ANNOTATIONS: &str = r#"version = 2
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun]
  runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun.options]
    BinaryName = "/usr/bin/crun"
"#;

    #[test]
    fn image_annotations_are_named_as_not_reaching_crun() {
        let mut f = facts(node(config(CRUN_NO_ANNOTATIONS)));
        f.cluster = Fact::Collected(cluster_facts(
            vec![pod("hello", "crun", "wasmedge/example-wasi:latest", None)],
            vec![],
            vec![],
            vec![rc("crun", "crun")],
        ));
        f.containerd = Fact::Collected(ContainerdLive {
            address: "/run/containerd/containerd.sock".into(),
            version: "1.7.24".into(),
            revision: "x".into(),
            namespaces: vec!["k8s.io".into()],
            images: Fact::Collected(vec![ImageInfo {
                namespace: "k8s.io".into(),
                name: "docker.io/wasmedge/example-wasi:latest".into(),
                media_type: "application/vnd.oci.image.manifest.v1+json".into(),
                platforms: vec!["wasi/wasm".into()],
                annotations: [("module.wasm.image/variant".to_string(), "compat-smart".to_string())].into(),
                content_error: None,
            }]),
            cri: Fact::unavailable(MissingKind::NotFound, "not in this test"),
            tasks: Fact::Collected(vec![]),
        });
        let Fact::Collected(c) = &f.cluster else { unreachable!("set above") };
        let o = with_ctx(&f, |ctx| check(ctx, c));
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("the image `docker.io/wasmedge/example-wasi:latest` carries the annotation in its manifest, but containerd never passes image annotations to crun"), "{}", o.message);
        assert!(o.message.contains("and runtime `crun` would drop the annotation anyway (WD204)"), "{}", o.message);
        assert_eq!(o.affected[0].name, "hello");
    }

    #[test]
    fn annotated_pods_and_crun_wasm_pass() {
        let mut annotated = pod("hello", "crun", "x", None);
        annotated.wasm_annotations.insert("module.wasm.image/variant".into(), "compat-smart".into());
        let c = cluster_facts(vec![annotated], vec![], vec![], vec![rc("crun", "crun")]);
        assert_eq!(run_cluster(check, CRUN_RUNTIME_V2, c).status, Status::Pass);
        let crun_wasm = CRUN_RUNTIME_V2.replace("/usr/local/bin/crun\"", "/usr/bin/crun-wasm\"");
        let c = cluster_facts(vec![pod("hello", "crun", "x", None)], vec![], vec![], vec![rc("crun", "crun")]);
        assert_eq!(run_cluster(check, &crun_wasm, c).status, Status::Pass, "crun-wasm needs no annotation");
        let c =
            cluster_facts(vec![pod("hello", "wasmedge", "x", None)], vec![], vec![], vec![rc("wasmedge", "wasmedge")]);
        assert_eq!(run_cluster(check, SHIM_RUNTIME_V2, c).status, Status::Skip);
    }

    #[test]
    fn pods_from_before_a_fixed_template_are_a_rollout_not_a_failure() {
        let owner = |kind: &str, name: &str| {
            Some(crate::facts::ObjectRef { kind: kind.into(), namespace: Some("demo".into()), name: name.into() })
        };
        let mut deployment = WorkloadInfo {
            kind: "Deployment".into(),
            namespace: "demo".into(),
            name: "hello".into(),
            runtime_class: Some("crun".into()),
            wasm_annotations: Default::default(),
            images: vec![],
            owner: None,
        };
        let rs = WorkloadInfo {
            kind: "ReplicaSet".into(),
            name: "hello-5d9".into(),
            owner: owner("Deployment", "hello"),
            ..deployment.clone()
        };
        let old_pod = pod("hello-5d9-x2x7q", "crun", "x", Some("hello-5d9"));
        let c = |d: &WorkloadInfo| {
            cluster_facts(vec![old_pod.clone()], vec![d.clone(), rs.clone()], vec![], vec![rc("crun", "crun")])
        };
        assert_eq!(run_cluster(check, CRUN_RUNTIME_V2, c(&deployment)).status, Status::Fail);
        deployment.wasm_annotations.insert("module.wasm.image/variant".into(), "compat-smart".into());
        let o = run_cluster(check, CRUN_RUNTIME_V2, c(&deployment));
        assert_eq!(o.status, Status::Warn, "{}", o.message);
        assert_eq!(
            o.message,
            "the pod templates of Deployment `demo/hello` carry `module.wasm.image/variant`, but 1 pod still runs from before it: the rollout replaces it"
        );
    }
}
