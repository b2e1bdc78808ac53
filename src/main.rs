use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = wasmdoctor::cli::Cli::parse();
    wasmdoctor::run(cli).into()
}
