//! [`Page`]: one page of a listing, and its [`PageInfo`].

use serde::Deserialize;

/// One page of a listing: `{"items": [...], "page_info": {...}}`.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct Page<T> {
    /// The rows of this page.
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
    /// Where the next page is.
    #[serde(default)]
    pub page_info: PageInfo,
}

/// The paging part of a response. The next page is asked for with
/// `page_token = next_page_token`; the last page has none. (A client that
/// looks for a top-level `page_token` stops after the first page: a real bug
/// of one public client.)
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct PageInfo {
    /// Rows matching the query, over every page.
    #[serde(default)]
    pub total_results: Option<u64>,
    /// The token of the next page; `None` on the last page.
    #[serde(default)]
    pub next_page_token: Option<String>,
    /// The token of the previous page.
    #[serde(default)]
    pub prev_page_token: Option<String>,
    /// Rows per page.
    #[serde(default)]
    pub results_per_page: Option<u64>,
}

impl<T> Page<T> {
    /// The next page's token, if there is a next page (an empty token counts
    /// as none).
    pub fn next_page_token(&self) -> Option<&str> {
        self.page_info
            .next_page_token
            .as_deref()
            .filter(|t| !t.is_empty())
    }
}
