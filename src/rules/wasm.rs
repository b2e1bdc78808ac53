//! What marks Wasm: the pod annotations crun reads, the names of Wasm shims and engines, and the
//! words that say Wasm in a RuntimeClass's name or handler.

/// The annotations crun reads to pick its Wasm handler (knowledge §1.1); the only pod annotations
/// wasmdoctor keeps.
pub const WASM_ANNOTATIONS: &[&str] = &["module.wasm.image/variant", "run.oci.handler"];

/// The annotation and value wasmdoctor adds to a pod template for crun (`compat-smart` lets the
/// module's sidecars run natively).
pub const VARIANT_ANNOTATION: (&str, &str) = ("module.wasm.image/variant", "compat-smart");

/// Name prefixes of Wasm shims (`containerd-shim-<x>-vN`), runwasi and the deislabs/spin family.
pub const WASM_SHIM_ENGINES: &[&str] =
    &["wasmedge", "wasmtime", "wasmer", "wamr", "spin", "slight", "wws", "lunatic", "wasm"];

/// Shims built on runwasi's containerd-shim-wasm, whose versions follow runwasi's.
pub const RUNWASI_ENGINES: &[&str] = &["wasmedge", "wasmtime", "wasmer", "wamr"];

/// Words in a RuntimeClass's name or handler that say it runs Wasm. Used only where this node's
/// runtimes do not decide it (other nodes, an unknown node), and then said so.
const WASM_WORDS: &[&str] = &["wasm", "crun", "spin", "slight", "wws", "lunatic", "wamr"];

pub fn looks_wasm_name(s: &str) -> bool {
    WASM_WORDS.iter().any(|w| s.contains(w))
}

/// `containerd-shim-<wasm engine>-v<N>`.
pub fn is_wasm_shim_name(name: &str) -> bool {
    name.strip_prefix("containerd-shim-").is_some_and(|rest| {
        WASM_SHIM_ENGINES.iter().any(|e| rest.starts_with(e))
            && rest.rsplit('-').next().is_some_and(|v| v.starts_with('v'))
    })
}
