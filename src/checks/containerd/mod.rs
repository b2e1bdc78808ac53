//! WD2xx: containerd: the config the distribution really reads, its Wasm runtimes and their
//! options, and the running daemon compared with the file.

pub mod wd201_containerd_config;
pub mod wd202_wasm_runtime_configured;
pub mod wd203_config_schema_mismatch;
pub mod wd204_crun_pod_annotations;
pub mod wd205_generated_config_edited;
pub mod wd206_containerd_running;
pub mod wd207_config_drift;
pub mod wd208_shim_cgroup_driver;
pub mod wd209_shim_binaryname_ignored;
pub mod wd210_cri_local_image_pull;
pub mod wd211_kubelet_runtime_endpoint;
pub mod wd212_orphaned_shims;
pub mod wd213_template_frozen_copy;
