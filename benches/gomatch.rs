//! `path.Match` on pathological `pod_annotations` patterns: many stars against a long name that
//! almost matches, the case that makes a backtracking matcher exponential. Run by
//! `bench/gomatch.sh` (`cargo bench --bench gomatch`); each case must stay under its 10 ms budget.
//! Under `cargo test` it only checks the answers.

use std::time::{Duration, Instant};

use wasmdoctor::rules::gomatch::path_match;

const BUDGET: Duration = Duration::from_millis(10);

fn cases() -> Vec<(String, String, String, bool)> {
    let a = |n: usize| "a".repeat(n);
    let stars = |n: usize, unit: &str, tail: &str| format!("{}{tail}", format!("*{unit}").repeat(n));
    vec![
        ("30 × `*a`, then `b`; 300 a's".into(), stars(30, "a", "b"), a(300), false),
        ("30 × `*a`; 300 a's".into(), stars(30, "a", ""), a(300), true),
        ("60 × `*?`, then `b`; 10,000 a's".into(), stars(60, "?", "b"), a(10_000), false),
        ("100 × `*[a-z]`, then `/`; 10,000 a's".into(), stars(100, "[a-z]", "/"), a(10_000), false),
        ("`*a*b*…` on a 317-byte key (the longest annotation key)".into(), stars(50, "a", "x"), a(316) + "y", false),
    ]
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let mut over = false;
    if bench {
        println!("| case | pattern bytes | name bytes | result | median of 11 | budget |\n|---|---|---|---|---|---|");
    }
    for (what, pattern, name, want) in cases() {
        assert_eq!(path_match(&pattern, &name), want, "{what}");
        if !bench {
            continue;
        }
        let mut times: Vec<Duration> = (0..11)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(path_match(std::hint::black_box(&pattern), std::hint::black_box(&name)));
                start.elapsed()
            })
            .collect();
        times.sort();
        let median = times[times.len() / 2];
        over |= median > BUDGET;
        println!(
            "| {what} | {} | {} | {want} | {:.3} ms | {} |",
            pattern.len(),
            name.len(),
            median.as_secs_f64() * 1000.0,
            if median > BUDGET { "OVER" } else { "within 10 ms" }
        );
    }
    if over {
        eprintln!("a case took longer than its 10 ms budget");
        std::process::exit(1);
    }
}
