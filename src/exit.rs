//! Exit codes, decided in one place: 0 clean, 1 findings at or above `--fail-on`, 2 could not run.

use crate::report::{Report, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Clean = 0,
    Findings = 1,
    Error = 2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Warn,
    Fail,
}

impl ExitStatus {
    /// `error` results count as `fail`.
    pub fn for_report(report: &Report, fail_on: FailOn) -> ExitStatus {
        let hit = report
            .checks
            .iter()
            .any(|c| matches!((c.status, fail_on), (Status::Fail | Status::Error, _) | (Status::Warn, FailOn::Warn)));
        if hit { ExitStatus::Findings } else { ExitStatus::Clean }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> Self {
        std::process::ExitCode::from(s as u8)
    }
}
