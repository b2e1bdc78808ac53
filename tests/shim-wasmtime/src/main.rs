//! `containerd-shim-wasmtime-v1`: runs a container's WASI (preview 1) module with wasmtime. The
//! module comes from the image's Wasm layer or the entrypoint file in its rootfs; its arguments and
//! environment from the OCI spec; stdio is the container's; the WASI exit code is the task's.

use anyhow::{Context, Result};
use containerd_shim_wasm::sandbox::Sandbox;
use containerd_shim_wasm::sandbox::context::RuntimeContext;
use containerd_shim_wasm::shim::{Cli, Config, Shim, Version, version};
use wasmtime::{Engine, Linker, Module, Store};
use wasmtime_wasi::I32Exit;
use wasmtime_wasi::p1::{self, WasiP1Ctx};

struct WasmtimeShim;

#[derive(Default)]
struct WasmtimeSandbox;

impl Shim for WasmtimeShim {
    type Sandbox = WasmtimeSandbox;

    fn name() -> &'static str {
        "wasmtime"
    }

    fn version() -> Version {
        version!()
    }
}

impl Sandbox for WasmtimeSandbox {
    async fn run_wasi(&self, ctx: &impl RuntimeContext) -> Result<i32> {
        let entrypoint = ctx.entrypoint();
        let bytes = entrypoint.source.as_bytes().context("reading the module")?.into_owned();
        let func = entrypoint.func.clone();
        let args: Vec<String> = ctx.args().to_vec();
        let envs: Vec<(String, String)> = ctx
            .envs()
            .iter()
            .filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
            .collect();
        // The container's init process runs on a small stack; compiling and running get a thread
        // with room of their own.
        std::thread::Builder::new()
            .stack_size(32 << 20)
            .spawn(move || run(&bytes, &func, &args, &envs))
            .context("starting the engine thread")?
            .join()
            .map_err(|_| anyhow::anyhow!("the engine thread panicked"))?
    }
}

fn run(bytes: &[u8], func: &str, args: &[String], envs: &[(String, String)]) -> Result<i32> {
    let engine = Engine::default();
    let module = Module::new(&engine, bytes).map_err(anyhow::Error::from).context("compiling the module")?;
    let wasi = wasmtime_wasi::WasiCtxBuilder::new().inherit_stdio().args(args).envs(envs).build_p1();
    let mut store = Store::new(&engine, wasi);
    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    p1::add_to_linker_sync(&mut linker, |w| w)?;
    let instance = linker.instantiate(&mut store, &module)?;
    let start = instance.get_typed_func::<(), ()>(&mut store, func)?;
    match start.call(&mut store, ()) {
        Ok(()) => Ok(0),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(exit) => Ok(exit.0),
            None => Err(e.into()),
        },
    }
}

fn main() {
    WasmtimeShim::run(Config::default());
}
