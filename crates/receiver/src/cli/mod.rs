//! The command line: `serve` (the default) and the maintenance commands.
//! Every setting is a flag and an environment variable; a bad one is one
//! clear line on stderr and exit status 2.

mod commands;
mod settings;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use settings::{Settings, parse_duration};

/// Receive Hotmart webhooks without losing a sale: every delivery is stored
/// durably before the 200, then forwarded, signed, to your app.
#[derive(Debug, Parser)]
#[command(name = "hotmart-receiver", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    settings: Settings,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Receive, store and process deliveries (the default).
    Serve,
    /// Read stored deliveries (works while `serve` runs).
    #[command(subcommand)]
    Deliveries(Deliveries),
    /// Re-queue deliveries for processing: by id (event id, key or number)
    /// or by state.
    Replay {
        /// Event ids, keys or numbers (as `deliveries list` shows them).
        ids: Vec<String>,
        /// Every delivery in this state (usually `failed`).
        #[arg(long, conflicts_with = "ids")]
        state: Option<String>,
        /// With --state: only deliveries received since (RFC 3339 time, or
        /// a duration ago such as `24h`).
        #[arg(long, requires = "state")]
        since: Option<String>,
    },
    /// Parse again every delivery stored as unparsed (after an upgrade);
    /// those that parse now are queued for processing.
    Reparse,
    /// Delete the bodies (buyer data) of processed deliveries older than
    /// DURATION, keeping their metadata.
    Prune {
        /// For example `90d`.
        #[arg(long, value_name = "DURATION")]
        older_than: String,
    },
    /// Write a consistent copy of the database to PATH (safe while serving).
    Backup {
        /// A new file.
        path: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum Deliveries {
    /// Newest first.
    List {
        /// pending, processed, failed, unparsed or duplicate.
        #[arg(long)]
        state: Option<String>,
        /// An event name, e.g. PURCHASE_APPROVED.
        #[arg(long)]
        event: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// One delivery with its attempts and its (masked) body.
    Show {
        /// Event id, key or number.
        id: String,
    },
}

/// A user error: one line, exit status 2.
pub(crate) struct Usage(pub(crate) String);

/// The binary's entry point.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // One line: the first of clap's message, without the usage.
            let text = e.to_string();
            let line = text.lines().next().unwrap_or("invalid arguments");
            eprintln!(
                "hotmart-receiver: {} (see --help)",
                line.trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            // --help, --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("hotmart-receiver: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => commands::serve(&cli.settings).await,
            Command::Deliveries(Deliveries::List {
                state,
                event,
                limit,
                json,
            }) => commands::list(&cli.settings, state, event, limit, json).await,
            Command::Deliveries(Deliveries::Show { id }) => {
                commands::show(&cli.settings, &id).await
            }
            Command::Replay { ids, state, since } => {
                commands::replay(&cli.settings, ids, state, since).await
            }
            Command::Reparse => commands::reparse(&cli.settings).await,
            Command::Prune { older_than } => commands::prune(&cli.settings, &older_than).await,
            Command::Backup { path } => commands::backup(&cli.settings, &path).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(commands::Failure::Usage(Usage(line))) => {
            eprintln!("hotmart-receiver: {line}");
            ExitCode::from(2)
        }
        Err(commands::Failure::Other(e)) => {
            eprintln!("hotmart-receiver: {e}");
            ExitCode::FAILURE
        }
    }
}
