//! Domain rules: what containerd, crun, the runwasi shims, the distributions and Kubernetes do,
//! written once. Collectors, checks, fix planners and the policy import them; nothing here does I/O.

pub mod cmdline;
pub mod containerd;
pub mod containerd_config;
pub mod crun;
pub mod distribution;
pub mod elf;
pub mod gomatch;
pub mod k3s_template;
pub mod kube;
pub mod kubelet;
pub mod signatures;
pub mod text;
pub mod time;
pub mod versions;
pub mod wasm;
