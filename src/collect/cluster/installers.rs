//! What Wasm installers leave in the API: runtime-class-manager's `Shim` objects
//! (`runtime.spinkube.dev/v1alpha1`, cluster-scoped), each with the RuntimeClass it creates and how
//! many of its target nodes have the shim installed.

use serde::Deserialize;

use super::items::Meta;
use crate::facts::ShimInfo;

/// Where the Shim API is listed.
pub(super) const SHIMS: &str = "/apis/runtime.spinkube.dev/v1alpha1/shims";

#[derive(Deserialize)]
pub(super) struct ShimItem {
    #[serde(default)]
    metadata: Meta,
    #[serde(default)]
    spec: ShimSpec,
    #[serde(default)]
    status: ShimStatus,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ShimSpec {
    #[serde(default)]
    runtime_class: ShimRuntimeClass,
}

#[derive(Deserialize, Default)]
struct ShimRuntimeClass {
    name: Option<String>,
    handler: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ShimStatus {
    nodes: Option<u64>,
    nodes_ready: Option<u64>,
}

impl ShimItem {
    pub(super) fn into_info(self) -> ShimInfo {
        ShimInfo {
            name: self.metadata.name,
            runtime_class: self.spec.runtime_class.name,
            handler: self.spec.runtime_class.handler,
            nodes: self.status.nodes,
            nodes_ready: self.status.nodes_ready,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shim_as_runtime_class_manager_writes_it() {
        let item: ShimItem = serde_json::from_str(
            r#"{"apiVersion": "runtime.spinkube.dev/v1alpha1", "kind": "Shim",
                "metadata": {"name": "spin-v2"},
                "spec": {"nodeSelector": {"spin": "true"}, "fetchStrategy": {"type": "anonymousHttp", "anonHttp": {"location": "https://example.invalid/shim.tar.gz"}},
                         "runtimeClass": {"name": "wasmtime-spin-v2", "handler": "spin"}, "rolloutStrategy": {"type": "recreate"}},
                "status": {"nodes": 5, "nodesReady": 3, "conditions": []}}"#,
        )
        .unwrap();
        assert_eq!(
            item.into_info(),
            ShimInfo {
                name: "spin-v2".into(),
                runtime_class: Some("wasmtime-spin-v2".into()),
                handler: Some("spin".into()),
                nodes: Some(5),
                nodes_ready: Some(3),
            }
        );
        let fresh: ShimItem = serde_json::from_str(r#"{"metadata": {"name": "new"}}"#).unwrap();
        assert_eq!(fresh.into_info().nodes_ready, None, "no status yet");
    }
}
