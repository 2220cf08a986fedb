//! What the history page shows, as plain data: the handlers fill these from
//! the store, the templates in [`pages`](super::pages) and
//! [`chart`](super::chart) turn them into HTML. Nothing here is escaped yet:
//! the templates escape every value.

use hotmart_webhook::{Timestamp, Webhook};

/// One line of the deliveries list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DeliveryRow {
    /// The delivery's number in the store: its page is `/admin/deliveries/{number}`.
    pub(crate) number: i64,
    /// When it was received, in epoch milliseconds.
    pub(crate) received_at_ms: i64,
    /// The event name, when the body named one.
    pub(crate) event: Option<String>,
    /// The transaction, or else the event id: what a seller searches for.
    pub(crate) reference: Option<String>,
    /// How its processing went, in words: delivered, the last error,
    /// waiting, not parsable.
    pub(crate) outcome: String,
    /// Where it is in processing (`pending`, `processed`, `failed`, …).
    pub(crate) state: String,
    /// How many processing attempts it had.
    pub(crate) attempts: u32,
}

impl DeliveryRow {
    /// Whether the page offers to reprocess it: failed and unparsed
    /// deliveries (an unparsed one may parse after an upgrade).
    pub(crate) fn can_reprocess(&self) -> bool {
        self.state == "failed" || self.state == "unparsed"
    }
}

/// One processing attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AttemptView {
    /// 1 for the first attempt.
    pub(crate) number: u32,
    /// When it started, in epoch milliseconds.
    pub(crate) started_at_ms: i64,
    /// When it finished, if it did.
    pub(crate) finished_at_ms: Option<i64>,
    /// `success`, `failure`, …
    pub(crate) outcome: String,
    /// The status code or the error text (never a secret: the store keeps
    /// none).
    pub(crate) detail: Option<String>,
}

/// Everything a delivery's page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DeliveryDetail {
    /// The list's line for it.
    pub(crate) row: DeliveryRow,
    /// Its idempotency key.
    pub(crate) key: String,
    /// `webhook` or `reconcile`.
    pub(crate) source: String,
    /// The stored body (hottok masked), or `None` once pruned.
    pub(crate) body: Option<Vec<u8>>,
    /// What the parser found odd but tolerated, or why it could not parse.
    pub(crate) problems: Vec<String>,
    /// Every processing attempt, oldest first.
    pub(crate) attempts: Vec<AttemptView>,
}

/// The filters and page of the list, as they travel in the query string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ListQuery {
    /// Only deliveries in this state.
    pub(crate) state: Option<String>,
    /// Only deliveries of this event.
    pub(crate) event: Option<String>,
    /// The page, 0 for the newest.
    pub(crate) page: u32,
}

impl ListQuery {
    /// Reads `state`, `event` and `page` from a query string; empty values
    /// mean "any", and anything unreadable is ignored.
    pub(crate) fn parse(query: Option<&str>) -> Self {
        let mut parsed = ListQuery::default();
        for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let value = value.trim();
            match &*name {
                "state" if !value.is_empty() => parsed.state = Some(value.to_owned()),
                "event" if !value.is_empty() => parsed.event = Some(value.to_owned()),
                "page" => parsed.page = value.parse().unwrap_or(0).min(MAX_PAGE),
                _ => {}
            }
        }
        parsed
    }

    /// The query string of the same filters on another page.
    pub(crate) fn href(&self, page: u32) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(state) = &self.state {
            query.append_pair("state", state);
        }
        if let Some(event) = &self.event {
            query.append_pair("event", event);
        }
        if page > 0 {
            query.append_pair("page", &page.to_string());
        }
        let query = query.finish();
        if query.is_empty() {
            "/admin".to_owned()
        } else {
            format!("/admin?{query}")
        }
    }
}

/// The deepest page the list goes to: beyond it, narrow the filters.
pub(crate) const MAX_PAGE: u32 = 10_000;

/// Deliveries of one outcome received in one minute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MinuteCount {
    /// The start of the minute, in epoch milliseconds.
    pub(crate) minute_ms: i64,
    /// The outcome counted.
    pub(crate) outcome: String,
    /// How many.
    pub(crate) count: u64,
}

/// The chart's data: `minutes` minutes from `from_ms`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChartData {
    /// The start of the first minute shown, in epoch milliseconds.
    pub(crate) from_ms: i64,
    /// How many minutes are shown.
    pub(crate) minutes: u32,
    /// The counts; minutes without deliveries are simply absent.
    pub(crate) counts: Vec<MinuteCount>,
}

/// The list page.
#[derive(Clone, Debug)]
pub(crate) struct ListView {
    /// The newest deliveries that match, at most one page.
    pub(crate) rows: Vec<DeliveryRow>,
    /// The filters and page shown.
    pub(crate) query: ListQuery,
    /// Whether an older page exists.
    pub(crate) has_older: bool,
    /// The CSRF token for the forms, `None` for bearer requests.
    pub(crate) csrf: Option<String>,
    /// The chart above the list.
    pub(crate) chart: ChartData,
    /// A line to show once, after an action (`?requeued=3`).
    pub(crate) notice: Option<String>,
}

/// A delivery's page.
#[derive(Clone, Debug)]
pub(crate) struct DetailView {
    /// The delivery.
    pub(crate) delivery: DeliveryDetail,
    /// The CSRF token for the forms, `None` for bearer requests.
    pub(crate) csrf: Option<String>,
    /// A line to show once, after an action.
    pub(crate) notice: Option<String>,
}

/// A time as people read it, to the second: `2026-11-29 23:24:02 UTC`.
pub(crate) fn format_time(ms: i64) -> String {
    let iso = Timestamp::from_millis(ms - ms.rem_euclid(1000)).to_string();
    format!("{} UTC", iso.trim_end_matches('Z').replacen('T', " ", 1))
}

/// The stored body made readable: JSON pretty-printed, a form one
/// `name = value` per line, anything else as (lossy) text.
pub(crate) fn pretty_body(body: &[u8]) -> String {
    let json = serde_json::from_slice::<serde_json::Value>(body).ok();
    if let Some(pretty) = json.and_then(|value| serde_json::to_string_pretty(&value).ok()) {
        return pretty;
    }
    let text = String::from_utf8_lossy(body);
    let looks_like_form = !text.trim().is_empty()
        && !text.contains(char::is_whitespace)
        && text.split('&').all(|pair| pair.contains('='));
    if looks_like_form {
        return form_urlencoded::parse(text.as_bytes())
            .map(|(name, value)| format!("{name} = {value}"))
            .collect::<Vec<_>>()
            .join("\n");
    }
    text.into_owned()
}

/// What the parser understood of a body, as label and value pairs, or the
/// parser's error.
pub(crate) fn understood(body: &[u8]) -> Result<Vec<(&'static str, String)>, String> {
    let webhook = hotmart_webhook::parse(body).map_err(|e| e.to_string())?;
    Ok(summarize(&webhook))
}

fn summarize(webhook: &Webhook<'_>) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("Version", webhook.version().to_owned()),
        ("Event", webhook.event_name().to_owned()),
        (
            "Known to this receiver",
            if webhook.is_known() {
                "yes"
            } else {
                "no (stored as is)"
            }
            .to_owned(),
        ),
    ];
    if let Some(id) = webhook.id() {
        fields.push(("Event id", id.to_owned()));
    }
    if let Some(transaction) = webhook.transaction() {
        fields.push(("Transaction", transaction.to_owned()));
    }
    if let Some(status) = webhook.purchase_status() {
        fields.push(("Purchase status", status.as_str().to_owned()));
    }
    if let Some(product) = webhook.product_id() {
        let product = match product {
            hotmart_webhook::Id::Number(n) => n.to_string(),
            hotmart_webhook::Id::Text(t) => t.to_string(),
        };
        fields.push(("Product", product));
    }
    if let Some(price) = webhook.price() {
        let currency = price.currency_value.as_ref().map_or("", |c| c.as_ref());
        fields.push((
            "Price",
            format!("{} {currency}", price.value).trim_end().to_owned(),
        ));
    }
    if let Some(code) = webhook.subscriber_code() {
        fields.push(("Subscriber", code.to_owned()));
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_query_round_trips_through_the_query_string() {
        let query = ListQuery::parse(Some("state=failed&event=PURCHASE%20%26%20MORE&page=2"));
        assert_eq!(query.state.as_deref(), Some("failed"));
        assert_eq!(query.event.as_deref(), Some("PURCHASE & MORE"));
        assert_eq!(query.page, 2);
        assert_eq!(ListQuery::parse(Some(&query.href(2)[7..])), query);
        assert_eq!(ListQuery::default().href(0), "/admin");
    }

    #[test]
    fn empty_and_unreadable_filters_mean_any() {
        let query = ListQuery::parse(Some("state=&event=+&page=x&other=1"));
        assert_eq!(query, ListQuery::default());
        assert_eq!(ListQuery::parse(Some("page=99999999")).page, MAX_PAGE);
    }

    #[test]
    fn times_read_as_utc() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_time(1_999), "1970-01-01 00:00:01 UTC");
    }

    #[test]
    fn json_bodies_are_pretty_printed_and_forms_split() {
        assert_eq!(pretty_body(br#"{"a":1}"#), "{\n  \"a\": 1\n}");
        assert_eq!(
            pretty_body(b"status=approved&name=Ana+B"),
            "status = approved\nname = Ana B"
        );
        assert_eq!(pretty_body(b"not json"), "not json");
    }
}
