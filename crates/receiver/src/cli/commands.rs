//! What each command does.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use tracing_subscriber::EnvFilter;

use super::{Settings, Usage, parse_duration};
use crate::store::{
    self, DeliveryRef, ListFilter, OpenOptions, Reparsed, ReplaySelector, State, Store, now_ms,
};
use crate::{BoxError, Server, shutdown_signal};

pub(crate) enum Failure {
    Usage(Usage),
    Other(BoxError),
}

impl From<Usage> for Failure {
    fn from(u: Usage) -> Self {
        Failure::Usage(u)
    }
}

impl<E: Into<BoxError>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Other(e.into())
    }
}

fn init_logs(settings: &Settings) -> Result<(), Usage> {
    let json = settings.json_logs()?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
    Ok(())
}

pub(crate) async fn serve(settings: &Settings) -> Result<(), Failure> {
    let config = settings.config()?;
    init_logs(settings)?;
    let signal = shutdown_signal();
    let server = Server::new(config).bind().await?;
    server.run_until(signal).await;
    Ok(())
}

async fn open(settings: &Settings) -> Result<Arc<dyn Store>, Failure> {
    settings.json_logs()?;
    Ok(store::open(&settings.database_url(), &OpenOptions::default()).await?)
}

fn state(s: &str) -> Result<State, Usage> {
    State::parse(s).ok_or_else(|| {
        Usage(format!(
            "--state must be pending, processed, failed, unparsed or duplicate, got {s:?}"
        ))
    })
}

fn iso(ms: i64) -> String {
    hotmart_webhook::Timestamp::from_millis(ms).to_string()
}

pub(crate) async fn list(
    settings: &Settings,
    state_name: Option<String>,
    event: Option<String>,
    limit: u32,
    json: bool,
) -> Result<(), Failure> {
    let filter = ListFilter {
        state: state_name.as_deref().map(state).transpose()?,
        event,
        limit,
        ..ListFilter::default()
    };
    let store = open(settings).await?;
    let rows = store.list(&filter).await?;
    let mut out = std::io::stdout().lock();
    if json {
        for row in &rows {
            writeln!(out, "{}", serde_json::to_string(row)?)?;
        }
        return Ok(());
    }
    writeln!(
        out,
        "{:>6}  {:<24}  {:<10}  {:>8}  {:<28}  KEY",
        "#", "RECEIVED", "STATE", "ATTEMPTS", "EVENT"
    )?;
    for r in &rows {
        writeln!(
            out,
            "{:>6}  {:<24}  {:<10}  {:>8}  {:<28}  {}",
            r.seq,
            iso(r.received_at),
            r.state.as_str(),
            r.attempts,
            r.event.as_deref().unwrap_or("-"),
            r.key
        )?;
    }
    Ok(())
}

pub(crate) async fn show(settings: &Settings, id: &str) -> Result<(), Failure> {
    let store = open(settings).await?;
    let Some(detail) = store.get(&DeliveryRef::parse(id)).await? else {
        return Err(Usage(format!(
            "no delivery has the number, event id or key {id:?}"
        ))
        .into());
    };
    let mut value = serde_json::to_value(&detail)?;
    value["body"] = match &detail.body {
        None => serde_json::Value::Null,
        Some(body) => match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(json) => json,
            Err(_) => serde_json::Value::String(String::from_utf8_lossy(body).into_owned()),
        },
    };
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(())
}

fn since(text: &str) -> Result<i64, Usage> {
    if let Some(t) = hotmart_webhook::Timestamp::parse_iso8601(text) {
        return Ok(t.as_millis());
    }
    parse_duration(text)
        .map(|d| now_ms() - i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .map_err(|_| {
            Usage(format!(
                "--since must be an RFC 3339 time or a duration ago like 24h, got {text:?}"
            ))
        })
}

pub(crate) async fn replay(
    settings: &Settings,
    ids: Vec<String>,
    state_name: Option<String>,
    since_text: Option<String>,
) -> Result<(), Failure> {
    let selector = match (ids.is_empty(), state_name) {
        (false, None) => ReplaySelector::Ids(ids.iter().map(|s| DeliveryRef::parse(s)).collect()),
        (true, Some(s)) => ReplaySelector::State {
            state: state(&s)?,
            since: since_text.as_deref().map(since).transpose()?,
        },
        _ => return Err(Usage("give delivery ids, or --state STATE [--since T]".into()).into()),
    };
    let store = open(settings).await?;
    let n = store.replay(&selector).await?;
    println!("{n} deliveries re-queued; a running `serve` processes them within a second");
    Ok(())
}

pub(crate) async fn reparse(settings: &Settings) -> Result<(), Failure> {
    let store = open(settings).await?;
    let (mut after, mut parsed, mut still, mut duplicates) = (0, 0u64, 0u64, 0u64);
    loop {
        let rows = store.to_reparse(after, 200).await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for row in rows {
            let summary = crate::summary::summarize(&row.body);
            let ok = summary.parse_error.is_none();
            match store.store_reparse(row.seq, summary).await? {
                Reparsed::DuplicateOf(_) => duplicates += 1,
                Reparsed::Updated if ok => parsed += 1,
                Reparsed::Updated => still += 1,
            }
        }
    }
    println!(
        "{parsed} now parse and are queued; {duplicates} were duplicates of stored events; {still} still do not parse"
    );
    Ok(())
}

pub(crate) async fn prune(settings: &Settings, older_than: &str) -> Result<(), Failure> {
    let age = parse_duration(older_than).map_err(|e| Usage(format!("--older-than: {e}")))?;
    let store = open(settings).await?;
    let n = store
        .prune_bodies(now_ms() - i64::try_from(age.as_millis()).unwrap_or(i64::MAX))
        .await?;
    println!("bodies of {n} processed deliveries deleted (their metadata stays)");
    Ok(())
}

pub(crate) async fn backup(settings: &Settings, path: &Path) -> Result<(), Failure> {
    let store = open(settings).await?;
    store.backup(path).await?;
    println!("backup written to {}", path.display());
    Ok(())
}
