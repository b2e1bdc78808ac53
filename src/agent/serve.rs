//! The agent's `/healthz` and `/metrics` (Prometheus text) on `--listen`: a tiny HTTP/1.0 server on
//! its own thread. Each request is read with a time limit and a size cap; anything but those two
//! paths is a 404.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::report::Report;

/// What the last run left for the endpoints.
#[derive(Default)]
pub struct Status {
    pub metrics: String,
    pub last_run: Option<Instant>,
}

/// `/healthz` is 200 while runs keep finishing within three intervals.
pub fn serve(listener: TcpListener, status: Arc<Mutex<Status>>, interval: Duration) {
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let status = Arc::clone(&status);
            std::thread::spawn(move || answer(stream, &status, interval));
        }
    });
}

fn answer(mut stream: TcpStream, status: &Mutex<Status>, interval: Duration) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let mut first = String::new();
    let Ok(clone) = stream.try_clone() else { return };
    if BufReader::new(clone.take(8192)).read_line(&mut first).is_err() {
        return;
    }
    let path = first.split_whitespace().nth(1).unwrap_or("");
    let (code, body) = match (path, status.lock()) {
        ("/healthz", Ok(s)) => match s.last_run {
            Some(t) if t.elapsed() <= interval * 3 => ("200 OK", "ok\n".to_string()),
            Some(_) => ("503 Service Unavailable", "the last run is older than three intervals\n".to_string()),
            None => ("503 Service Unavailable", "no run has finished yet\n".to_string()),
        },
        ("/metrics", Ok(s)) => ("200 OK", s.metrics.clone()),
        (_, Err(_)) => ("500 Internal Server Error", String::new()),
        _ => ("404 Not Found", String::new()),
    };
    let _ = write!(
        stream,
        "HTTP/1.0 {code}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
}

/// The Prometheus text of a run: each node check's status, the run's duration, when it last published.
pub fn metrics(report: &Report, duration: Duration, published_at: Option<i64>) -> String {
    use crate::report::prometheus::{check_status, gauge};
    let mut out = check_status(report.checks.iter().filter(|c| c.category != crate::report::Category::Cluster));
    out += &gauge(
        "wasmdoctor_run_duration_seconds",
        "How long the last run of the node checks took.",
        format_args!("{:.3}", duration.as_secs_f64()),
    );
    if let Some(t) = published_at {
        out += &gauge("wasmdoctor_last_success_timestamp_seconds", "When WasmReady was last published.", t);
    }
    out
}
