//! WD4xx: Docker + Wasm: Engine ≥ 24 (shims by name), the containerd image store, a shim on
//! dockerd's PATH.

pub mod wd401_docker_engine;
pub mod wd402_docker_containerd_store;
pub mod wd403_docker_wasm_shim;
pub mod wd404_docker_spin_shim;
