//! Running the restart a plan names (argv, no shell, bounded in time).

use std::path::Path;
use std::time::Duration;

use crate::collect::exec;
use crate::plan::restart::RestartStep;

/// A restart command gets this long (systemd's own stop timeout is 90 s).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// Run the restart command (argv, no shell); its output is the error when it fails.
pub fn run(step: &RestartStep) -> Result<(), String> {
    let Some((program, args)) = step.command.split_first() else {
        return Err("the restart command is empty".into());
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match exec::run_with(exec::Program::Local(Path::new(program)), &args, COMMAND_TIMEOUT, exec::Leftovers::Keep) {
        Ok(out) if out.code == Some(0) => Ok(()),
        Ok(out) => {
            let said = [out.stderr.trim(), out.stdout.trim()].into_iter().find(|s| !s.is_empty()).unwrap_or("");
            Err(format!("`{}` exited with {}: {said}", step.shown(), out.code.unwrap_or(-1)))
        }
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_command_says_what_it_printed() {
        let step = RestartStep {
            service: "x".into(),
            command: vec!["/bin/sh".into(), "-c".into(), "echo nope >&2; exit 3".into()],
            source: String::new(),
        };
        let e = run(&step).unwrap_err();
        assert!(e.contains("exited with 3: nope"), "{e}");
        let missing = RestartStep { command: vec!["/nonexistent/restart".into()], ..step };
        assert!(run(&missing).unwrap_err().contains("/nonexistent/restart"));
    }
}
