//! `hotmart-receiver reconcile`: report (and with `--import`, recover) the
//! sales of Hotmart's sales history that the store never got.

use std::io::{IsTerminal, Write};

use hotmart_api::{Client, DayEdge, Window, parse_date};
use hotmart_webhook::Timestamp;

use super::commands::{Failure, open};
use super::{Settings, Usage};
use crate::reconcile::{self, MissingSale, ReconcileError};
use crate::store::{Inserted, now_ms};

/// The arguments of `reconcile`.
#[derive(Debug, clap::Args)]
pub(crate) struct ReconcileArgs {
    /// First day (YYYY-MM-DD, UTC) or instant (RFC 3339).
    #[arg(long, value_name = "DATE")]
    since: String,
    /// Last day, included (YYYY-MM-DD, UTC) or instant (RFC 3339); default now.
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// Store each missing sale as a delivery (source "reconcile") for the
    /// worker to process, under the key its webhook would get.
    #[arg(long)]
    import: bool,
    /// One JSON object per missing sale instead of a table.
    #[arg(long)]
    json: bool,
}

/// Exit 0 when nothing is missing or everything was imported, 1 when sales
/// are missing and were not imported, 2 for bad usage or credentials.
pub(crate) async fn run(settings: &Settings, args: ReconcileArgs) -> Result<(), Failure> {
    let since =
        parse_date(&args.since, DayEdge::Start).map_err(|e| Usage(format!("--since: {e}")))?;
    let now = Timestamp::from_millis(now_ms());
    let until = match args.until.as_deref() {
        None => now,
        Some(text) => parse_date(text, DayEdge::End)
            .map_err(|e| Usage(format!("--until: {e}")))?
            .min(now),
    };
    let window = Window::new(since, until)
        .ok_or_else(|| Usage("--since is after --until (or in the future)".into()))?;
    let client = Client::from_env().map_err(|e| Usage(e.to_string()))?;
    let store = open(settings).await?;

    let progress = std::io::stderr().is_terminal();
    let missing = reconcile::find_missing(&client, store.as_ref(), window, |p| {
        if progress {
            eprint!(
                "\r\x1b[2K{:<18} {} pages, {} sales read, {} missing",
                p.status.as_str(),
                p.walk.pages,
                p.walk.sales,
                p.missing
            );
        }
    })
    .await;
    if progress {
        eprint!("\r\x1b[2K");
    }
    let missing = missing.map_err(api_failure)?;

    let mut outcomes = Vec::with_capacity(missing.len());
    if args.import {
        let at = now_ms();
        for m in &missing {
            outcomes.push(Some(
                reconcile::import(store.as_ref(), m, at)
                    .await
                    .map_err(api_failure)?,
            ));
        }
    } else {
        outcomes.resize(missing.len(), None);
    }

    let mut out = std::io::stdout().lock();
    if args.json {
        for (m, outcome) in missing.iter().zip(&outcomes) {
            let mut line = m.to_json();
            if let Some(outcome) = outcome {
                line["imported"] = serde_json::Value::String(describe(*outcome).to_owned());
            }
            writeln!(out, "{line}")?;
        }
    } else {
        table(&mut out, &missing, &outcomes)?;
        let (from, to) = (window.start(), window.end());
        match (missing.len(), args.import) {
            (0, _) => writeln!(out, "nothing missing from {from} to {to}")?,
            (n, false) => writeln!(
                out,
                "{n} sale(s) from {from} to {to} are missing; `reconcile --import` stores them for processing"
            )?,
            (n, true) => writeln!(
                out,
                "{n} sale(s) from {from} to {to} imported; a running `serve` processes them"
            )?,
        }
    }
    out.flush()?;
    if !missing.is_empty() && !args.import {
        return Err(Failure::Exit(1));
    }
    Ok(())
}

fn api_failure(e: ReconcileError) -> Failure {
    match e {
        ReconcileError::Api(e) if e.is_credentials() => Failure::Usage(Usage(e.to_string())),
        other => Failure::Other(other.into()),
    }
}

fn describe(outcome: Inserted) -> &'static str {
    match outcome {
        Inserted::New { .. } => "new",
        Inserted::Duplicate { .. } => "duplicate",
        Inserted::Requeued { .. } => "requeued",
    }
}

fn table(
    out: &mut impl Write,
    missing: &[MissingSale],
    outcomes: &[Option<Inserted>],
) -> std::io::Result<()> {
    if missing.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{:<20} {:<20} {:<24} {:>10} {:<20} {:<20} IMPORTED",
        "TRANSACTION", "STATUS", "EVENT", "PRODUCT", "ORDER DATE", "APPROVED"
    )?;
    for (m, outcome) in missing.iter().zip(outcomes) {
        let p = &m.sale.purchase;
        writeln!(
            out,
            "{:<20} {:<20} {:<24} {:>10} {:<20} {:<20} {}",
            m.transaction(),
            m.sale.status().as_str(),
            m.event,
            m.sale
                .product_id()
                .map_or_else(String::new, |id| id.to_string()),
            p.order_date.map_or_else(String::new, |t| t.to_string()),
            p.approved_date.map_or_else(String::new, |t| t.to_string()),
            outcome.map_or("-", describe),
        )?;
    }
    Ok(())
}
