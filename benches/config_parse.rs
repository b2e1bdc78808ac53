//! Reading a large containerd config: time against size, to show it grows linearly. Run by
//! `bench/config.sh` (`cargo bench --bench config_parse`); under `cargo test` it only checks that
//! every runtime is read with its line.

use std::time::{Duration, Instant};

use wasmdoctor::rules::containerd_config::parse;

/// A version 2 config of `n` Wasm runtimes, each with options and annotations (about 330 bytes each).
fn config(n: usize) -> String {
    let mut s = String::from("version = 2\n");
    for i in 0..n {
        s += &format!(
            "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.wasm{i}]\n  runtime_type = \"io.containerd.wasmedge.v1\"\n  pod_annotations = [\"module.wasm.image/variant\", \"run.oci.handler\"]\n  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.wasm{i}.options]\n    SystemdCgroup = true\n"
        );
    }
    s
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let sizes: &[usize] = if bench { &[3_000, 12_000, 36_000] } else { &[200] };
    if bench {
        println!("| config | runtimes | parse (median of 3) |\n|---|---|---|");
    }
    for &n in sizes {
        let text = config(n);
        let mut times: Vec<Duration> = Vec::new();
        for _ in 0..if bench { 3 } else { 1 } {
            let start = Instant::now();
            let p = parse("/etc/containerd/config.toml", &text, false).expect("the generated config parses");
            times.push(start.elapsed());
            assert_eq!(p.runtimes.len(), n);
            assert_eq!(p.runtimes[n - 1].line as usize, 2 + 5 * (n - 1));
        }
        times.sort();
        if bench {
            println!(
                "| {:.1} MB | {n} | {:.0} ms |",
                text.len() as f64 / 1e6,
                times[times.len() / 2].as_secs_f64() * 1000.0
            );
        }
    }
}
