//! [`SalesWalk`]: every sale of a closed [`Window`], each page read once,
//! each transaction yielded once, windows split where Hotmart times out.

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use hotmart_webhook::Timestamp;

use crate::sales::{Sale, SalesFilter};
use crate::transport::On502;
use crate::{Client, Error};

/// A closed range of instants, both ends included, in epoch milliseconds.
///
/// ```
/// use hotmart_api::Window;
/// use hotmart_webhook::Timestamp;
///
/// let w = Window::new(Timestamp::from_millis(0), Timestamp::from_millis(999)).unwrap();
/// let (a, b) = w.halves();
/// assert_eq!((a.start().as_millis(), a.end().as_millis()), (0, 499));
/// assert_eq!((b.start().as_millis(), b.end().as_millis()), (499, 999));
/// assert!(Window::new(Timestamp::from_millis(5), Timestamp::from_millis(4)).is_none());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    start: Timestamp,
    end: Timestamp,
}

impl Window {
    /// `[start, end]`, or `None` when `start` is after `end`.
    pub fn new(start: Timestamp, end: Timestamp) -> Option<Window> {
        (start <= end).then_some(Window { start, end })
    }

    /// The first instant.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// The last instant.
    pub fn end(&self) -> Timestamp {
        self.end
    }

    /// `end - start`.
    pub fn width(&self) -> Duration {
        Duration::from_millis((self.end.as_millis() - self.start.as_millis()).unsigned_abs())
    }

    /// The two halves. They share the middle millisecond: whether Hotmart's
    /// `end_date` is inclusive is undocumented, and an overlap is harmless
    /// (the walk dedupes by transaction) where a gap would lose sales.
    pub fn halves(&self) -> (Window, Window) {
        let (s, e) = (self.start.as_millis(), self.end.as_millis());
        let mid = s + (e - s) / 2;
        (
            Window {
                start: self.start,
                end: Timestamp::from_millis(mid),
            },
            Window {
                start: Timestamp::from_millis(mid),
                end: self.end,
            },
        )
    }
}

impl fmt::Debug for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Window({} ..= {})", self.start, self.end)
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} .. {}", self.start, self.end)
    }
}

/// How far a [`SalesWalk`] has got, for a progress line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WalkProgress {
    /// Pages read.
    pub pages: u64,
    /// Distinct transactions yielded.
    pub sales: u64,
    /// Rows skipped because their transaction was already yielded (pages
    /// shifted, or split windows overlapping).
    pub duplicates: u64,
    /// Windows split in two after a `502`.
    pub splits: u64,
    /// The window being read.
    pub window: Option<Window>,
    /// Hotmart's `total_results` for that window, when it said.
    pub window_total: Option<u64>,
}

/// A walk over the sales history of a closed window
/// ([`Client::walk_sales`]).
///
/// Paging is by offset (the page token decodes to `{"page":N,"rows":M}`), so
/// rows added during a walk would shift pages: walk windows that are over
/// (the end in the past). The walk follows `page_info.next_page_token` until
/// there is none, reads each page once, and yields each transaction once.
///
/// When Hotmart answers `502` (the query ran over its 30 s limit), the window
/// is split in two and both halves are walked, earlier half first; a window
/// narrower than [`Config::min_window`](crate::Config::min_window) is
/// retried with backoff instead. A `502` after some pages of a window splits
/// the whole window; the transactions already yielded are not yielded again.
///
/// Without a status in the filter Hotmart returns only `APPROVED` and
/// `COMPLETE` sales: walk once per status.
pub struct SalesWalk {
    client: Client,
    filter: SalesFilter,
    /// Windows still to read; the next one is last.
    pending: Vec<Window>,
    current: Option<Cursor>,
    seen: HashSet<String>,
    progress: WalkProgress,
}

struct Cursor {
    window: Window,
    page_token: Option<String>,
}

impl SalesWalk {
    pub(crate) fn new(client: Client, filter: SalesFilter, window: Window) -> Self {
        SalesWalk {
            client,
            filter,
            pending: vec![window],
            current: None,
            seen: HashSet::new(),
            progress: WalkProgress::default(),
        }
    }

    /// The next page's new sales (possibly none, when every row of the page
    /// was seen before), or `None` when the walk is over.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Sale>>, Error> {
        loop {
            let cursor = match self.current.take() {
                Some(cursor) => cursor,
                None => match self.pending.pop() {
                    Some(window) => {
                        self.progress.window = Some(window);
                        self.progress.window_total = None;
                        Cursor {
                            window,
                            page_token: None,
                        }
                    }
                    None => return Ok(None),
                },
            };
            let filter = self
                .filter
                .clone()
                .start_date(cursor.window.start)
                .end_date(cursor.window.end);
            let splittable = cursor.window.width() > self.client.config().min_window;
            let on_502 = if splittable {
                On502::Return
            } else {
                On502::Retry
            };
            let page = match self
                .client
                .sales_page(&filter, cursor.page_token.as_deref(), on_502)
                .await
            {
                Ok(page) => page,
                Err(err) if splittable && err.status() == Some(http::StatusCode::BAD_GATEWAY) => {
                    let (first, second) = cursor.window.halves();
                    tracing::info!(window = %cursor.window, "Hotmart timed out on the window; splitting it in two");
                    self.pending.push(second);
                    self.pending.push(first);
                    self.progress.splits += 1;
                    continue;
                }
                Err(err) => {
                    // Keep the position: calling again retries this page.
                    self.current = Some(cursor);
                    return Err(err);
                }
            };
            self.progress.pages += 1;
            if self.progress.window_total.is_none() {
                self.progress.window_total = page.page_info.total_results;
            }
            if let Some(next) = page.next_page_token() {
                self.current = Some(Cursor {
                    window: cursor.window,
                    page_token: Some(next.to_owned()),
                });
            }
            let mut fresh = Vec::with_capacity(page.items.len());
            for sale in page.items {
                if self.seen.insert(sale.purchase.transaction.clone()) {
                    fresh.push(sale);
                } else {
                    self.progress.duplicates += 1;
                }
            }
            self.progress.sales += fresh.len() as u64;
            return Ok(Some(fresh));
        }
    }

    /// Every remaining sale of the walk.
    pub async fn collect(mut self) -> Result<Vec<Sale>, Error> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page().await? {
            all.extend(page);
        }
        Ok(all)
    }

    /// How far the walk has got.
    pub fn progress(&self) -> &WalkProgress {
        &self.progress
    }
}

impl fmt::Debug for SalesWalk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SalesWalk")
            .field("filter", &self.filter)
            .field("progress", &self.progress)
            .finish_non_exhaustive()
    }
}
