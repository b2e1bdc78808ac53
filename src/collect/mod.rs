//! Collectors: all I/O lives here. Each source runs on its own thread with a timeout and returns
//! plain data (`Facts`); a source that fails or times out becomes an `Unavailable` fact with the reason.

pub mod containerd_config;
pub mod elf;
pub mod exec;
pub mod host;
pub mod ldso;
pub mod node;
pub mod procfs;
pub mod versions;

use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use crate::facts::{FACTS_SCHEMA_VERSION, Fact, Facts, MissingKind};

#[derive(Debug, Clone)]
pub struct CollectOptions {
    pub host_root: std::path::PathBuf,
    pub node_name: Option<String>,
    pub node: bool,
    pub source_timeout: Duration,
    pub exec_timeout: Duration,
}

pub fn collect(opts: &CollectOptions) -> Facts {
    let started = Instant::now();
    let host = host::HostRoot::new(&opts.host_root);
    let node_name = opts
        .node_name
        .clone()
        .or_else(|| host.read_to_string("/etc/hostname").ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()));
    let node = if opts.node {
        let node_opts = node::NodeOptions {
            host: host.clone(),
            exec_timeout: opts.exec_timeout,
            arch: std::env::consts::ARCH.to_string(),
        };
        with_timeout("node", opts.source_timeout, move || node::collect(&node_opts))
    } else {
        Fact::unavailable(MissingKind::NotRequested, "left out with `--no-node`")
    };
    Facts {
        schema_version: FACTS_SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        collected_at: rfc3339(SystemTime::now()),
        collect_ms: started.elapsed().as_millis() as u64,
        host_root: opts.host_root.display().to_string(),
        node_name,
        node,
    }
}

/// Run a source on its own thread; past the timeout its result is abandoned (the thread's own
/// external commands carry shorter timeouts, so it does not linger long).
fn with_timeout<T: Send + 'static>(name: &str, timeout: Duration, f: impl FnOnce() -> T + Send + 'static) -> Fact<T> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new().name(format!("collect-{name}")).spawn(move || {
        let _ = tx.send(f());
    });
    if let Err(e) = spawned {
        return Fact::unavailable(MissingKind::Failed, format!("could not start the {name} collector: {e}"));
    }
    match rx.recv_timeout(timeout) {
        Ok(v) => Fact::Collected(v),
        Err(mpsc::RecvTimeoutError::Timeout) => Fact::unavailable(
            MissingKind::Timeout,
            format!("the {name} source did not finish within {}s", timeout.as_secs_f32()),
        ),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Fact::unavailable(MissingKind::Failed, format!("the {name} collector stopped without a result"))
        }
    }
}

/// `2026-11-24T10:00:00Z` for a time, without a date library.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Today's date as `YYYY-MM-DD` (UTC), for suppression expiry.
pub fn today() -> String {
    rfc3339(SystemTime::now())[..10].to_string()
}

// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_514_400);
        assert_eq!(rfc3339(t), "2026-11-24T10:00:00Z");
    }

    #[test]
    fn slow_source_times_out() {
        let f: Fact<()> =
            with_timeout("slow", Duration::from_millis(50), || std::thread::sleep(Duration::from_secs(2)));
        assert!(matches!(f, Fact::Unavailable(m) if m.kind == MissingKind::Timeout));
    }
}
