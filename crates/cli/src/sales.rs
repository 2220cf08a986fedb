//! `hotmart sales`: list the sales history from Hotmart's API, the quickest
//! check that the API credentials work.
//!
//! Credentials from `HOTMART_CLIENT_ID` + `HOTMART_CLIENT_SECRET` or
//! `HOTMART_BASIC`; hosts from `HOTMART_API_URL` / `HOTMART_AUTH_URL`.
//! Buyer data is never printed.

use std::io::Write;
use std::process::ExitCode;

use hotmart_api::{Client, DayEdge, Sale, SalesFilter, TransactionStatus, Window, parse_date};
use hotmart_webhook::Timestamp;

use crate::cli::SalesArgs;
use crate::usage_error;

/// Runs `hotmart sales`: 0 when the listing was read, 1 when Hotmart failed,
/// 2 for bad usage or refused credentials.
pub(crate) fn run(args: SalesArgs) -> ExitCode {
    let since = match parse_date(&args.since, DayEdge::Start) {
        Ok(t) => t,
        Err(e) => return usage_error(format_args!("--since: {e}")),
    };
    let now = Timestamp::from_millis(now_millis());
    let until = match args.until.as_deref().map(|u| parse_date(u, DayEdge::End)) {
        None => now,
        Some(Ok(t)) => t.min(now),
        Some(Err(e)) => return usage_error(format_args!("--until: {e}")),
    };
    let Some(window) = Window::new(since, until) else {
        return usage_error("--since is after --until (or in the future)");
    };
    let statuses = match statuses(&args.status) {
        Ok(s) => s,
        Err(e) => return usage_error(e),
    };
    let client = match Client::from_env() {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(list(client, window, statuses, args.json))
}

/// `--status` values: none for Hotmart's default (APPROVED and COMPLETE),
/// `all` for every status, else each one given.
fn statuses(given: &[String]) -> Result<Vec<Option<TransactionStatus>>, String> {
    if given.is_empty() {
        return Ok(vec![None]);
    }
    if given.iter().any(|s| s.eq_ignore_ascii_case("all")) {
        let mut all: Vec<_> = TransactionStatus::with_webhook()
            .into_iter()
            .map(Some)
            .collect();
        all.extend(TransactionStatus::without_webhook().into_iter().map(Some));
        return Ok(all);
    }
    given
        .iter()
        .map(|s| {
            let s = s.trim().to_ascii_uppercase();
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
                Err(format!(
                    "--status: {s:?} is not a status such as APPROVED, REFUNDED or all"
                ))
            } else {
                Ok(Some(TransactionStatus::from(s.as_str())))
            }
        })
        .collect()
}

async fn list(
    client: Client,
    window: Window,
    statuses: Vec<Option<TransactionStatus>>,
    json: bool,
) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if !json {
        let _ = writeln!(
            out,
            "{:<20} {:<20} {:>10} {:<20} {:<20} {:>12}",
            "TRANSACTION", "STATUS", "PRODUCT", "ORDER DATE", "APPROVED", "PRICE"
        );
    }
    let mut count = 0u64;
    for status in statuses {
        let filter = match status {
            Some(s) => SalesFilter::new().status(s),
            None => SalesFilter::new(),
        };
        let mut walk = client.walk_sales(filter, window);
        loop {
            match walk.next_page().await {
                Ok(Some(sales)) => {
                    for sale in &sales {
                        count += 1;
                        let line = if json {
                            json_line(sale)
                        } else {
                            table_line(sale)
                        };
                        if writeln!(out, "{line}").is_err() {
                            return ExitCode::from(1);
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = out.flush();
                    eprintln!("error: {e}");
                    return ExitCode::from(if e.is_credentials() { 2 } else { 1 });
                }
            }
        }
    }
    if !json {
        let _ = writeln!(
            out,
            "{count} sale(s) from {} to {}",
            window.start(),
            window.end()
        );
    }
    ExitCode::SUCCESS
}

fn date(t: Option<Timestamp>) -> String {
    t.map_or_else(String::new, |t| t.to_string())
}

fn price(sale: &Sale) -> (Option<String>, Option<String>) {
    let price = sale.purchase.price.as_ref();
    (
        price.and_then(|p| p.value).map(|v| v.to_string()),
        price.and_then(|p| p.currency_code.clone()),
    )
}

fn table_line(sale: &Sale) -> String {
    let (value, currency) = price(sale);
    let mut status = sale.status().to_string();
    if sale.is_test() {
        status.push_str(" (test)");
    }
    format!(
        "{:<20} {:<20} {:>10} {:<20} {:<20} {:>12}",
        sale.transaction(),
        status,
        sale.product_id()
            .map_or_else(String::new, |id| id.to_string()),
        date(sale.purchase.order_date),
        date(sale.purchase.approved_date),
        format!(
            "{} {}",
            value.unwrap_or_default(),
            currency.unwrap_or_default()
        )
        .trim(),
    )
}

/// One JSON object per sale, without buyer data.
pub(crate) fn json_line(sale: &Sale) -> String {
    let (value, currency) = price(sale);
    serde_json::json!({
        "transaction": sale.transaction(),
        "status": sale.status().as_str(),
        "event": sale.status().webhook_event(),
        "product_id": sale.product_id(),
        "product_name": sale.product.as_ref().and_then(|p| p.name.as_deref()),
        "order_date": sale.purchase.order_date.map(|t| t.to_string()),
        "approved_date": sale.purchase.approved_date.map(|t| t.to_string()),
        "price": value,
        "currency": currency,
        "payment_type": sale.purchase.payment.as_ref().and_then(|p| p.kind.as_deref()),
        "test": sale.is_test(),
    })
    .to_string()
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
