//! `hotmart send`: checks the settings into a [`launch::Plan`], runs it, and
//! turns the tally into the exit status.
//!
//! - `deliveries`: the bodies, from templates shaped like real captures;
//! - `body_file`: `--body FILE`, a captured body replayed;
//! - `attempt`: one delivery and its retries over HTTP;
//! - `launch`: many deliveries at once (concurrency, rate, duplicates,
//!   progress);
//! - `report`: history lines, `--json` records, the summary.

mod attempt;
mod body_file;
mod deliveries;
mod launch;
mod report;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderValue, Uri};

use crate::cli::SendArgs;
use crate::usage_error;
use attempt::{Retries, Sender};
use launch::{Plan, Source};

/// Hotmart retries five times (its own article; the seed of issue 13).
const DEFAULT_RETRY_DELAYS: [f64; 5] = [0.0, 1.0, 2.0, 4.0, 8.0];

pub(crate) fn run(args: SendArgs) -> ExitCode {
    let (plan, sender) = match check(args) {
        Ok(checked) => checked,
        Err(reason) => return usage_error(reason),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(launch::run(plan, Arc::new(sender)));
    if outcome.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Every setting checked, or the one-line reason it is wrong.
fn check(args: SendArgs) -> Result<(Plan, Sender), String> {
    let uri: Uri = args
        .url
        .parse()
        .map_err(|e| format!("--url {:?} is not a URL: {e}", args.url))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(format!(
            "--url {:?} must start with http:// or https://",
            args.url
        ));
    }
    if uri.host().is_none() {
        return Err(format!("--url {:?} has no host", args.url));
    }
    let hottok_text = args.hottok.0;
    if hottok_text.is_empty() {
        return Err("--hottok is empty".into());
    }
    let mut hottok = HeaderValue::from_str(&hottok_text)
        .map_err(|_| "--hottok must be visible ASCII (it is sent as a header)".to_owned())?;
    hottok.set_sensitive(true);

    let source = if !args.bodies.is_empty() {
        let bodies = args
            .bodies
            .iter()
            .map(|path| body_file::load(path, &hottok_text).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()?;
        Source::Bodies(bodies)
    } else {
        let names: Vec<String> = if args.all {
            deliveries::names(args.format)
                .into_iter()
                .map(str::to_owned)
                .collect()
        } else if args.events.is_empty() {
            vec!["PURCHASE_APPROVED".to_owned()]
        } else {
            args.events
        };
        let kinds = names
            .iter()
            .map(|name| deliveries::kind(name, args.format))
            .collect::<Result<Vec<_>, _>>()?;
        Source::Kinds(kinds)
    };

    if args.count == Some(0) {
        return Err("--count must be at least 1".into());
    }
    if args.concurrency == 0 {
        return Err("--concurrency must be at least 1".into());
    }
    if let Some(rate) = args.rate {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(format!("--rate must be a positive number, not {rate}"));
        }
    }
    if !(0.0..1.0).contains(&args.duplicates) {
        return Err(format!(
            "--duplicates is a fraction from 0 to below 1, not {}",
            args.duplicates
        ));
    }
    let seconds = |name: &str, value: f64| {
        if (0.0..1e9).contains(&value) {
            Ok(Duration::from_secs_f64(value))
        } else {
            Err(format!(
                "{name} takes seconds (a number of 0 or more), not {value}"
            ))
        }
    };
    let timeout = seconds("--timeout", args.timeout)?;
    if timeout.is_zero() {
        return Err("--timeout must be more than 0 seconds".into());
    }
    let delays = args
        .retry_delays
        .unwrap_or_else(|| DEFAULT_RETRY_DELAYS.to_vec())
        .into_iter()
        .map(|d| seconds("--retry-delays", d))
        .collect::<Result<Vec<_>, _>>()?;
    let retries = Retries {
        count: args.retries.unwrap_or(delays.len()),
        delays,
    };

    let plan = Plan {
        count: args.count.unwrap_or(source.len() as u64),
        source,
        hottok: hottok_text,
        launch: args.count.is_some(),
        concurrency: args.concurrency,
        rate: args.rate,
        duplicates: args.duplicates,
        json: args.json,
    };
    Ok((plan, Sender::new(uri, hottok, timeout, retries)))
}
