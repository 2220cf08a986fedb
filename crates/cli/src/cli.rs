//! The command line, declared with clap. Checks that need more than one
//! argument (an event that a format cannot carry, a fraction out of range)
//! live in `send::plan`, so that every bad setting is one line and exit 2.

use std::fmt;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Send Hotmart-shaped webhook deliveries to any endpoint, and inspect
/// captured bodies.
#[derive(Parser)]
#[command(name = "hotmart", version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Deliver realistic Hotmart events to URL, with Hotmart's retries and a
    /// history of every attempt; or rehearse a launch with --count.
    Send(SendArgs),
    /// Print one JSON line per captured body with what the parser understood.
    Inspect(InspectArgs),
    /// List sales from Hotmart's API (sales history): the quickest check that
    /// HOTMART_CLIENT_ID / HOTMART_CLIENT_SECRET (or HOTMART_BASIC) work.
    Sales(SalesArgs),
}

/// `hotmart sales --since DATE [--until DATE] [--status S]… [--json]`
#[derive(Args)]
pub(crate) struct SalesArgs {
    /// First day (YYYY-MM-DD, UTC) or instant (RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub(crate) since: String,

    /// Last day, included (YYYY-MM-DD, UTC) or instant (RFC 3339); default now.
    #[arg(long, value_name = "DATE")]
    pub(crate) until: Option<String>,

    /// Only this status as the API spells it (APPROVED, COMPLETE, REFUNDED,
    /// CANCELLED, …; repeatable), or `all`. Default: Hotmart's, which lists
    /// only APPROVED and COMPLETE.
    #[arg(long, value_name = "S")]
    pub(crate) status: Vec<String>,

    /// One JSON object per sale instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `hotmart inspect FILE…`
#[derive(Args)]
pub(crate) struct InspectArgs {
    /// Captured bodies (v2 JSON, v1 form or v1 JSON), one delivery per file.
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<String>,
}

/// The payload version and shape of generated deliveries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// 2.0.0 JSON, hottok in the `X-HOTMART-HOTTOK` header (every event).
    V2,
    /// 1.0.0 form-encoded purchase postback, hottok in the `hottok` field
    /// (the purchase events).
    V1Form,
    /// 1.0.0 camelCase JSON, hottok in the body (cart abandonment,
    /// subscription cancellation, switch plan).
    V1Json,
}

/// The hottok given on the command line: its `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct Secret(pub(crate) String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// `hotmart send …`
#[derive(Args)]
pub(crate) struct SendArgs {
    /// The endpoint, e.g. http://localhost:3000/api/acl/webhooks/hotmart
    #[arg(long, value_name = "URL")]
    pub(crate) url: String,

    /// The account's hottok (or HOTMART_WEBHOOK_SECRET); never printed.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "HOTMART_WEBHOOK_SECRET",
        hide_env_values = true,
        value_parser = |s: &str| Ok::<_, std::convert::Infallible>(Secret(s.to_owned()))
    )]
    pub(crate) hottok: Secret,

    /// An event to send (repeatable), e.g. PURCHASE_APPROVED; default
    /// PURCHASE_APPROVED.
    #[arg(long = "event", value_name = "NAME", conflicts_with_all = ["all", "bodies"])]
    pub(crate) events: Vec<String>,

    /// Every event the format can carry, as the dashboard's "Send test" does.
    #[arg(long, conflicts_with = "bodies")]
    pub(crate) all: bool,

    /// The payload version and shape.
    #[arg(long, value_enum, default_value = "v2", conflicts_with = "bodies")]
    pub(crate) format: Format,

    /// Send a captured body as it is (its hottok replaced by --hottok when it
    /// has one); repeatable.
    #[arg(long = "body", value_name = "FILE")]
    pub(crate) bodies: Vec<PathBuf>,

    /// Launch mode: send this many deliveries (cycling through the events),
    /// show progress, then a summary.
    #[arg(long, value_name = "N")]
    pub(crate) count: Option<u64>,

    /// Deliveries in flight at once (each with its retries).
    #[arg(long, value_name = "C", default_value_t = 1)]
    pub(crate) concurrency: usize,

    /// Start at most this many deliveries per second.
    #[arg(long, value_name = "PER_SECOND")]
    pub(crate) rate: Option<f64>,

    /// Fraction of the --count deliveries that resend an earlier delivery's
    /// exact body, as Hotmart's retries and resends do (0 to 1, e.g. 0.2).
    #[arg(
        long,
        value_name = "FRACTION",
        default_value_t = 0.0,
        requires = "count"
    )]
    pub(crate) duplicates: f64,

    /// Seconds to wait for an answer before recording -1.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub(crate) timeout: f64,

    /// Retries after a non-2xx answer, a timeout or a closed connection
    /// (default: 5, or the number of --retry-delays); 0 sends once.
    #[arg(long, value_name = "N")]
    pub(crate) retries: Option<usize>,

    /// Seconds before each retry, comma-separated; the last repeats
    /// [default: 0,1,2,4,8]. Hotmart itself waits about 15 minutes.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub(crate) retry_delays: Option<Vec<f64>>,

    /// One JSON object per attempt (and, in launch mode, a final summary
    /// object) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_hottok_is_redacted_from_debug() {
        assert_eq!(
            format!("{:?}", Secret("s3cret".into())),
            "Secret(<redacted>)"
        );
    }
}
