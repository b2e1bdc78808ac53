//! How crun picks its Wasm handler: a `crun-<handler>` binary name forces one (crun ≥ 1.7); else
//! the first compiled-in Wasm handler in crun's order, whose engine library crun `dlopen`s.

use crate::facts::CrunVersion;

/// crun asks its compiled-in handlers in this order; the first Wasm one that exists is used.
const HANDLER_ORDER: &[&str] = &["wasmedge", "wasmer", "wasmtime", "wamr", "spin"];

/// Engine libraries crun's Wasm handlers `dlopen`.
pub const ENGINE_LIBRARIES: &[(&str, &str)] = &[
    ("wasmedge", "libwasmedge.so.0"),
    ("wasmtime", "libwasmtime.so"),
    ("wasmer", "libwasmer.so"),
    ("wamr", "libiwasm.so"),
];

pub fn library_for_handler(handler: &str) -> Option<&'static str> {
    ENGINE_LIBRARIES.iter().find(|(h, _)| *h == handler).map(|(_, l)| *l)
}

/// The handler a `crun-<handler>` binary (`/usr/bin/crun-wasm`) forces from its own name, so that
/// its containers run as Wasm without the annotation; `None` for plain `crun`.
pub fn handler_from_name(binary: &str) -> Option<&str> {
    binary.rsplit('/').next()?.strip_prefix("crun-")
}

/// The names crun is installed under on a PATH: plain, and Fedora's `crun-wasm` (a `crun-<handler>`).
pub const BINARY_NAMES: &[&str] = &["crun", "crun-wasm"];

/// Whether a `BinaryName` is crun (`crun`, or a `crun-<handler>`).
pub fn is_crun(binary: &str) -> bool {
    base_name(binary) == "crun" || handler_from_name(binary).is_some()
}

/// The binary's file name (`crun-wasm` of `/usr/bin/crun-wasm`).
pub fn base_name(binary: &str) -> &str {
    binary.rsplit('/').next().unwrap_or(binary)
}

/// The handler crun uses for Wasm: the first compiled-in Wasm handler in crun's order.
pub fn active_handler(v: &CrunVersion) -> Option<&str> {
    HANDLER_ORDER
        .iter()
        .copied()
        .find(|h| v.wasm_handlers.iter().any(|x| x == h))
        .or_else(|| v.wasm_handlers.first().map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_force_a_handler() {
        assert_eq!(handler_from_name("/usr/bin/crun-wasm"), Some("wasm"));
        assert_eq!(handler_from_name("/usr/local/bin/crun"), None);
        assert_eq!(handler_from_name("crun-wasmedge"), Some("wasmedge"));
        assert_eq!(library_for_handler("wasmedge"), Some("libwasmedge.so.0"));
    }
}
