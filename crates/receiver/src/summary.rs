//! What the parser makes of a stored body: the row's key, event and ids.

use hotmart_webhook::Webhook;

use crate::key::{idempotency_key, unparsed_key};
use crate::store::ParseSummary;

/// The summary of a parsed delivery.
pub fn of_webhook(webhook: &Webhook<'_>) -> ParseSummary {
    ParseSummary {
        key: idempotency_key(webhook),
        event: Some(webhook.event_name().to_owned()),
        event_id: webhook.id().map(str::to_owned),
        transaction: webhook.transaction().map(str::to_owned),
        status: webhook.purchase_status().map(|s| s.as_str().to_owned()),
        version: Some(webhook.version().to_owned()),
        parse_error: None,
        problems: webhook.problems().iter().map(ToString::to_string).collect(),
    }
}

/// Parses a (masked) body: the summary of what it holds, or, when it does
/// not parse, a summary keyed by its hash that carries the parse error
/// (message and JSON path, never values).
pub fn summarize(masked_body: &[u8]) -> ParseSummary {
    match hotmart_webhook::parse(masked_body) {
        Ok(webhook) => of_webhook(&webhook),
        Err(e) => ParseSummary {
            key: unparsed_key(masked_body),
            parse_error: Some(e.to_string()),
            ..ParseSummary::default()
        },
    }
}
