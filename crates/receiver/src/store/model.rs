//! The values that cross the [`Store`](super::Store) interface: what a
//! delivery is when stored, what the queue hands out and records, and what
//! the reading side returns. Plain data, the same for every backend.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// Where a delivery came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Source {
    /// Hotmart's webhook POST, hottok verified.
    Webhook,
    /// Imported by reconcile from Hotmart's REST API (a sale the webhook
    /// missed).
    Reconcile,
}

impl Source {
    /// `"webhook"` or `"reconcile"`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Webhook => "webhook",
            Source::Reconcile => "reconcile",
        }
    }

    /// The inverse of [`Source::as_str`].
    pub fn parse(s: &str) -> Option<Source> {
        match s {
            "webhook" => Some(Source::Webhook),
            "reconcile" => Some(Source::Reconcile),
            _ => None,
        }
    }
}

/// The processing state of a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum State {
    /// Waiting for its next attempt (at `due_at`), or leased by a worker.
    Pending,
    /// The processor succeeded: never handed over again (unless replayed).
    Processed,
    /// Every attempt failed; `replay` or Hotmart's resend re-queues it.
    Failed,
    /// The body did not parse; `reparse` (after an upgrade) retries it.
    Unparsed,
    /// Reparsed into an event that another row already holds: nothing to do.
    Duplicate,
}

impl State {
    /// Every state, in display order.
    pub const ALL: [State; 5] = [
        State::Pending,
        State::Processed,
        State::Failed,
        State::Unparsed,
        State::Duplicate,
    ];

    /// The stored spelling: `pending`, `processed`, `failed`, `unparsed`,
    /// `duplicate`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Processed => "processed",
            State::Failed => "failed",
            State::Unparsed => "unparsed",
            State::Duplicate => "duplicate",
        }
    }

    /// The inverse of [`State::as_str`].
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|state| state.as_str() == s)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the parser made of a body, as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParseSummary {
    /// The idempotency (and dedupe) key; see [`crate::key`].
    pub key: String,
    /// Event name (`PURCHASE_APPROVED`; v1: `purchase`, `cart_abandonment`, …).
    pub event: Option<String>,
    /// The 2.0.0 event `id`.
    pub event_id: Option<String>,
    /// Purchase transaction code.
    pub transaction: Option<String>,
    /// Purchase status (2.0.0 spelling).
    pub status: Option<String>,
    /// Payload version (`2.0.0`, `1.0.0`, …).
    pub version: Option<String>,
    /// `None` when the body parsed; otherwise the parse error (message and
    /// JSON path only, never payload values).
    pub parse_error: Option<String>,
    /// What the tolerant parser noticed but accepted (paths and kinds only).
    pub problems: Vec<String>,
}

/// A verified delivery to store.
#[derive(Clone, Debug)]
pub struct NewDelivery {
    /// Where it came from.
    pub source: Source,
    /// Key, event, ids and parse outcome. A row whose `parse_error` is set is
    /// stored [`State::Unparsed`]; otherwise [`State::Pending`], due at once.
    pub summary: ParseSummary,
    /// Epoch milliseconds.
    pub received_at: i64,
    /// The body as received, with the hottok's value masked.
    pub body: Vec<u8>,
}

/// What [`Store::insert`](super::Store::insert) did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// A new row, durably committed.
    New {
        /// Its number.
        seq: i64,
    },
    /// A row with this key exists (already processed, or in flight):
    /// counted, nothing else changes.
    Duplicate {
        /// The existing row.
        seq: i64,
    },
    /// A row with this key exists and was not processed yet (failed,
    /// unparsed, or waiting for its next attempt): it is due at once.
    Requeued {
        /// The existing row.
        seq: i64,
    },
}

impl Inserted {
    /// The row's number.
    pub fn seq(self) -> i64 {
        match self {
            Inserted::New { seq } | Inserted::Duplicate { seq } | Inserted::Requeued { seq } => seq,
        }
    }
}

/// A row handed to a worker by [`Store::claim_due`](super::Store::claim_due).
#[derive(Clone, Debug)]
pub struct Claimed {
    /// Row number.
    pub seq: i64,
    /// Idempotency key.
    pub key: String,
    /// Attempts already made (this claim's attempt is `attempts + 1`).
    pub attempts: u32,
    /// The stored (masked) body.
    pub body: Vec<u8>,
}

/// How an attempt ended, as recorded in the `attempts` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AttemptOutcome {
    /// Whether the processor succeeded.
    pub ok: bool,
    /// The HTTP status the sink answered, when it answered.
    pub status: Option<u16>,
    /// Why it failed (no secret, no buyer data); `None` on success.
    pub error: Option<String>,
}

/// What becomes of the row after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Success: [`State::Processed`].
    Processed,
    /// Try again at this time (epoch ms).
    RetryAt(i64),
    /// No attempt left: [`State::Failed`].
    Failed,
    /// The stored body does not parse (any more): [`State::Unparsed`].
    Unparsed,
}

/// One attempt, for [`Store::record_attempt`](super::Store::record_attempt).
#[derive(Clone, Debug)]
pub struct AttemptRecord {
    /// The row.
    pub seq: i64,
    /// The attempt's number, from 1.
    pub number: u32,
    /// Epoch ms.
    pub started_at: i64,
    /// Epoch ms.
    pub finished_at: i64,
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// What the row becomes.
    pub next: Next,
}

/// One row of the `attempts` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// From 1.
    pub number: u32,
    /// Epoch ms.
    pub started_at: i64,
    /// Epoch ms.
    pub finished_at: i64,
    /// Whether it succeeded.
    pub ok: bool,
    /// The sink's HTTP status, if any.
    pub status: Option<u16>,
    /// Why it failed.
    pub error: Option<String>,
}

/// A row's metadata: no body, no buyer data, no token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliverySummary {
    /// Row number (what `deliveries show N` takes).
    pub seq: i64,
    /// Idempotency key.
    pub key: String,
    /// Where it came from.
    pub source: Source,
    /// Event name.
    pub event: Option<String>,
    /// 2.0.0 event id.
    pub event_id: Option<String>,
    /// Transaction code.
    pub transaction: Option<String>,
    /// Purchase status.
    pub status: Option<String>,
    /// Payload version.
    pub version: Option<String>,
    /// Processing state.
    pub state: State,
    /// Attempts made.
    pub attempts: u32,
    /// Further receipts of the same key.
    pub duplicates: u32,
    /// First receipt, epoch ms.
    pub received_at: i64,
    /// Last receipt, epoch ms.
    pub last_seen_at: i64,
    /// When the next attempt is due (pending rows), epoch ms.
    pub due_at: Option<i64>,
    /// When processing succeeded, epoch ms.
    pub processed_at: Option<i64>,
    /// The last attempt's error.
    pub last_error: Option<String>,
}

/// One row with everything: for `deliveries show` and the admin API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryDetail {
    /// The metadata.
    #[serde(flatten)]
    pub summary: DeliverySummary,
    /// The parse error, if the body did not parse.
    pub parse_error: Option<String>,
    /// What the tolerant parser noticed.
    pub problems: Vec<String>,
    /// The masked body; `None` once pruned by retention.
    #[serde(skip)]
    pub body: Option<Vec<u8>>,
    /// Every attempt, in order.
    pub attempts_made: Vec<Attempt>,
}

/// How to name a row: by number or by key / event id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryRef {
    /// The row number.
    Seq(i64),
    /// The event `id` or the idempotency key.
    Id(String),
}

impl DeliveryRef {
    /// A number is a row number; anything else an id.
    pub fn parse(s: &str) -> DeliveryRef {
        match s.parse::<i64>() {
            Ok(n) if n > 0 => DeliveryRef::Seq(n),
            _ => DeliveryRef::Id(s.to_owned()),
        }
    }
}

/// Filters and paging for [`Store::list`](super::Store::list), newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only this state.
    pub state: Option<State>,
    /// Only this event name.
    pub event: Option<String>,
    /// Only rows received at or after this time (epoch ms).
    pub since: Option<i64>,
    /// Only rows with a number below this (the previous page's last `seq`).
    pub before: Option<i64>,
    /// Skip this many (when not paging by `before`).
    pub offset: u64,
    /// At most this many; 0 means 50.
    pub limit: u32,
}

/// Counts for the statistics endpoint and `/metrics`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Statistics {
    /// Rows per event name (each key once).
    pub by_event: BTreeMap<String, u64>,
    /// Rows per state.
    pub by_state: BTreeMap<String, u64>,
    /// Further receipts of stored keys (duplicates).
    pub duplicates: u64,
    /// Rows whose body did not parse when received.
    pub unparsed_on_receipt: u64,
    /// Last receipt (including duplicates), epoch ms.
    pub last_delivery_at: Option<i64>,
}

/// Deliveries received in one minute, by state now.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MinuteCount {
    /// Start of the minute, epoch ms.
    pub minute: i64,
    /// Rows first received in it, per current state.
    pub by_state: BTreeMap<String, u64>,
}

/// Which rows [`Store::replay`](super::Store::replay) re-queues.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplaySelector {
    /// These rows (numbers or ids).
    Ids(Vec<DeliveryRef>),
    /// Every row in this state, optionally received since a time.
    State {
        /// The state (usually [`State::Failed`]).
        state: State,
        /// Epoch ms.
        since: Option<i64>,
    },
}

/// A row for `reparse`.
#[derive(Clone, Debug)]
pub struct ReparseRow {
    /// Row number.
    pub seq: i64,
    /// The stored (masked) body.
    pub body: Vec<u8>,
    /// Where it came from.
    pub source: Source,
}

/// What [`Store::store_reparse`](super::Store::store_reparse) did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reparsed {
    /// The row now holds the new parse result; it is pending (due at once)
    /// if it parsed, still unparsed if not.
    Updated,
    /// It parsed into a key another row holds: this row became
    /// [`State::Duplicate`] of that one.
    DuplicateOf(i64),
}
