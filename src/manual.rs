//! Shell completions and the manual page, generated from the command line's own definition
//! (clap_complete, clap_mangen), with the catalog's check IDs and slugs offered where a check is
//! named: `--only`, `--skip`, `explain`, `fix`.

use clap::CommandFactory;
use clap::builder::{PossibleValue, PossibleValuesParser};

use crate::cli::Cli;
use crate::registry::{CHECKS, RESERVED};

/// The command line, with check IDs as the values to complete. Parsing never uses this: any ID is
/// taken and judged against the catalog with a message of its own.
fn command() -> clap::Command {
    let ids = || {
        CHECKS
            .iter()
            .map(|c| (c.id, c.slug))
            .chain(RESERVED.iter().copied())
            .map(|(id, slug)| PossibleValue::new(id).help(slug))
            .collect::<Vec<_>>()
    };
    let slugs = || CHECKS.iter().map(|c| PossibleValue::new(c.slug)).collect::<Vec<_>>();
    Cli::command()
        .mut_arg("only", |a| a.value_parser(PossibleValuesParser::new(ids())))
        .mut_arg("skip", |a| a.value_parser(PossibleValuesParser::new(ids())))
        .mut_subcommand("explain", |s| {
            s.mut_arg("id", |a| a.value_parser(PossibleValuesParser::new(ids().into_iter().chain(slugs()))))
        })
        .mut_subcommand("fix", |s| s.mut_arg("ids", |a| a.value_parser(PossibleValuesParser::new(ids()))))
}

/// The completion script for `shell`, for the name wasmdoctor was run as (`kubectl-wasmdoctor`
/// too).
pub fn completions(shell: clap_complete::Shell, name: &str) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command(), name, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The manual page, in roff.
pub fn man_page() -> std::io::Result<String> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command()).render(&mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}
