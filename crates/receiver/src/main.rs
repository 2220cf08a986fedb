//! `hotmart-receiver`: see `cli` for the commands and settings.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    hotmart_receiver::cli::main()
}
