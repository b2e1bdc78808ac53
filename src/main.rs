fn main() -> std::process::ExitCode {
    let cli = wasmdoctor::cli::parse_env();
    wasmdoctor::run(cli).into()
}
