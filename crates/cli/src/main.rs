//! `hotmart`: send Hotmart-shaped webhook deliveries to any endpoint, and
//! inspect captured bodies.
//!
//! - `hotmart send --url URL --hottok TOKEN [--event NAME]… [--all] …`
//!   delivers realistic events the way Hotmart does (headers, content types,
//!   retries, a history of every attempt), or rehearses a launch
//!   (`--count`, `--concurrency`, `--rate`, `--duplicates`).
//! - `hotmart inspect FILE…` prints one JSON line per captured body with what
//!   `hotmart-webhook` understood.
//! - `hotmart sales --since DATE [--until DATE] [--status S] [--json]` lists
//!   the sales history from Hotmart's API.
//!
//! Exit status: 0 when every delivery was finally answered `2xx` (or every
//! file parsed), 1 when some were not, 2 for bad usage (one line on stderr).
//! The hottok is never printed.

#![forbid(unsafe_code)]

mod cli;
mod inspect;
mod sales;
mod send;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Send(args) => send::run(args),
        Command::Inspect(args) => inspect::run(&args.files),
        Command::Sales(args) => sales::run(args),
    }
}

/// A bad setting: one clear line on stderr and exit status 2.
pub(crate) fn usage_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}
