//! Checks: pure functions over `Facts` (no I/O), one file per check in a folder per category, each
//! with its unit tests and its catalog entry `checks/WDnnn-slug.toml`. `registry::CHECKS` lists
//! them with the sources each needs; the engine runs a check only when those are there (`gate`),
//! so a check starts from facts that were collected.

// Checks return their `Outcome` early through `Result<_, Outcome>`; it is not an error type.
#![allow(clippy::result_large_err)]

/// `let x = or_return!(result);`: the value, or return the `Outcome` carried by `Err` (a check's
/// early skip/error), as `?` would for errors.
macro_rules! or_return {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(outcome) => return outcome,
        }
    };
}

pub mod cluster;
pub mod containerd;
pub mod docker;
pub mod gate;
pub mod node;
#[cfg(test)]
pub(crate) mod testutil;

use crate::facts::{Facts, Runtime};
use crate::policy::Policy;
use crate::report::{Affected, Evidence, FixHint, Status};

/// What every check sees besides the facts it needs: all the facts (for what it reads when it is
/// there) and the policy.
pub struct Ctx<'a> {
    pub facts: &'a Facts,
    pub policy: &'a Policy,
}

/// One check's verdict, before the engine adds catalog metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    pub message: String,
    pub evidence: Vec<Evidence>,
    /// The objects the report lists.
    pub affected: Vec<Affected>,
    pub fix: Option<FixHint>,
    /// What the finding is about, for the fix that changes exactly that (not in the report).
    pub subjects: Vec<Subject>,
}

/// What a finding is about beyond the objects the report lists: what its fix changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A runtime of the containerd config, as its file declares it.
    Runtime(Box<Runtime>),
    /// A RuntimeClass that should exist (named as its handler).
    RuntimeClass(String),
}

impl Outcome {
    fn new(status: Status, message: impl Into<String>) -> Self {
        Outcome {
            status,
            message: message.into(),
            evidence: Vec::new(),
            affected: Vec::new(),
            fix: None,
            subjects: Vec::new(),
        }
    }
    pub fn pass(m: impl Into<String>) -> Self {
        Self::new(Status::Pass, m)
    }
    pub fn warn(m: impl Into<String>) -> Self {
        Self::new(Status::Warn, m)
    }
    pub fn fail(m: impl Into<String>) -> Self {
        Self::new(Status::Fail, m)
    }
    pub fn skip(m: impl Into<String>) -> Self {
        Self::new(Status::Skip, m)
    }
    pub fn error(m: impl Into<String>) -> Self {
        Self::new(Status::Error, m)
    }
    pub fn evidence(mut self, source: impl Into<String>, value: impl Into<String>) -> Self {
        self.evidence.push(Evidence { source: source.into(), value: value.into() });
        self
    }
    pub fn fix(mut self, summary: impl Into<String>) -> Self {
        self.fix = Some(FixHint { automatic: false, summary: summary.into(), command: None });
        self
    }
    pub fn affected(mut self, affected: Vec<Affected>) -> Self {
        self.affected = affected;
        self
    }
    /// The runtimes this finding is about, for its fix.
    pub fn runtimes<'r>(mut self, runtimes: impl IntoIterator<Item = &'r Runtime>) -> Self {
        self.subjects.extend(runtimes.into_iter().map(|r| Subject::Runtime(Box::new(r.clone()))));
        self
    }
    /// The RuntimeClasses this finding says should exist, for its fix.
    pub fn runtime_classes(mut self, names: impl IntoIterator<Item = String>) -> Self {
        self.subjects.extend(names.into_iter().map(Subject::RuntimeClass));
        self
    }
}
