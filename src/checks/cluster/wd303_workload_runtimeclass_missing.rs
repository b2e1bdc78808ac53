//! WD303 workload-runtimeclass-missing: no pod or workload template names a RuntimeClass that does
//! not exist (a Deployment's pods are rejected at admission: its ReplicaSet's `FailedCreate` event
//! tells).

use std::collections::BTreeSet;

use super::{pod_ref, some, top_level, workload_ref};
use crate::checks::{Ctx, Outcome, gate};
use crate::facts::{ClusterFacts, Fact};
use crate::report::Affected;
use crate::rules::text::list;

pub fn check(_: &Ctx, c: &ClusterFacts) -> Outcome {
    let rcs = or_return!(gate::list(&c.runtime_classes));
    let pods = or_return!(gate::list(&c.pods));
    let names: BTreeSet<&str> = rcs.iter().map(|r| r.name.as_str()).collect();
    let mut affected: Vec<Affected> = Vec::new();
    let mut missing: BTreeSet<String> = BTreeSet::new();
    for p in pods {
        if let Some(rc) = p.runtime_class.as_deref().filter(|rc| !names.contains(rc)) {
            missing.insert(rc.to_string());
            affected.push(pod_ref(p));
        }
    }
    let workloads = c.workloads.collected().map(Vec::as_slice).unwrap_or(&[]);
    for w in workloads.iter().filter(|w| top_level(w)) {
        if let Some(rc) = w.runtime_class.as_deref().filter(|rc| !names.contains(rc)) {
            missing.insert(rc.to_string());
            affected.push(workload_ref(w));
        }
    }
    // A Deployment's pods are rejected at admission: only the ReplicaSet's event tells.
    let re = "pod rejected: RuntimeClass \"";
    for e in c.events.collected().map(Vec::as_slice).unwrap_or(&[]) {
        if e.reason == "FailedCreate"
            && let Some(rest) = e.message.split(re).nth(1)
            && let Some(rc) = rest.split('"').next()
            && !names.contains(rc)
        {
            missing.insert(rc.to_string());
            let owner = workloads
                .iter()
                .find(|w| {
                    w.kind == e.object.kind
                        && w.name == e.object.name
                        && Some(&w.namespace) == e.object.namespace.as_ref()
                })
                .and_then(|w| w.owner.clone());
            let obj = owner.unwrap_or_else(|| e.object.clone());
            let a = Affected { kind: obj.kind, namespace: obj.namespace, name: obj.name, node: None };
            if !affected.contains(&a) {
                affected.push(a);
            }
        }
    }
    let mut partial = String::new();
    if let Fact::Unavailable(m) = &c.workloads {
        partial = format!(" (workload templates not checked: {})", m.reason);
    }
    if affected.is_empty() {
        return Outcome::pass(format!("every pod and workload template names an existing RuntimeClass{partial}"));
    }
    let shown: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
    Outcome::fail(format!(
            "{} {} {} not exist: {} (pods are rejected with `pod rejected: RuntimeClass \"…\" not found`){partial}",
            if shown.len() == 1 { "RuntimeClass" } else { "RuntimeClasses" },
            list(&shown),
            if shown.len() == 1 { "does" } else { "do" },
            some(&affected)
        ))
        .fix("create the RuntimeClass (its `handler` the containerd runtime name), or fix `runtimeClassName` in the workload")
    .affected(affected)
    .runtime_classes(missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Subject;
    use crate::checks::testutil::*;
    use crate::facts::{ObjectRef, WorkloadInfo};
    use crate::report::Status;

    #[test]
    fn a_missing_runtimeclass_fails_with_its_pods_and_owners() {
        let rcs = || vec![rc("wasmedge", "wasmedge")];
        let ok = cluster_facts(vec![pod("hello", "wasmedge", "x", None)], vec![], vec![], rcs());
        assert_eq!(run_cluster(check, SHIM_RUNTIME_V2, ok).status, Status::Pass);
        let mut c = cluster_facts(vec![pod("hello", "wasmtime", "x", None)], vec![], vec![], rcs());
        let rs = WorkloadInfo {
            kind: "ReplicaSet".into(),
            namespace: "demo".into(),
            name: "web-6d5".into(),
            runtime_class: Some("spin".into()),
            wasm_annotations: Default::default(),
            images: vec![],
            owner: Some(ObjectRef { kind: "Deployment".into(), namespace: Some("demo".into()), name: "web".into() }),
        };
        c.workloads = Fact::Collected(vec![rs]);
        let mut rejected = event("web-6d5", "FailedCreate", "pod rejected: RuntimeClass \"spin\" not found");
        rejected.object.kind = "ReplicaSet".into();
        c.events = Fact::Collected(vec![rejected]);
        let o = run_cluster(check, SHIM_RUNTIME_V2, c);
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.starts_with("RuntimeClasses `spin` and `wasmtime` do not exist"), "{}", o.message);
        let affected: Vec<(&str, &str)> = o.affected.iter().map(|a| (a.kind.as_str(), a.name.as_str())).collect();
        assert_eq!(affected, [("Pod", "hello"), ("Deployment", "web")]);
        assert_eq!(
            o.subjects,
            [Subject::RuntimeClass("spin".into()), Subject::RuntimeClass("wasmtime".into())],
            "the fix creates exactly the missing RuntimeClasses"
        );
    }
}
