//! [`parse_date`]: the `--since` / `--until` arguments of the command-line
//! tools.

use std::fmt;

use hotmart_webhook::Timestamp;

/// Which end of a day a bare `YYYY-MM-DD` stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayEdge {
    /// `00:00:00.000` UTC (for `--since`).
    Start,
    /// `23:59:59.999` UTC (for `--until`: the whole day is included).
    End,
}

const DAY_MS: i64 = 86_400_000;

/// Parses `YYYY-MM-DD` (a UTC day, its start or end per `edge`) or an RFC
/// 3339 date-time (`2026-01-31T12:00:00-03:00`).
///
/// ```
/// use hotmart_api::{parse_date, DayEdge};
/// assert_eq!(parse_date("1970-01-02", DayEdge::Start)?.as_millis(), 86_400_000);
/// assert_eq!(parse_date("1970-01-01", DayEdge::End)?.as_millis(), 86_399_999);
/// assert_eq!(parse_date("1970-01-01T00:00:01Z", DayEdge::End)?.as_millis(), 1000);
/// assert!(parse_date("yesterday", DayEdge::Start).is_err());
/// # Ok::<(), hotmart_api::InvalidDate>(())
/// ```
pub fn parse_date(text: &str, edge: DayEdge) -> Result<Timestamp, InvalidDate> {
    let text = text.trim();
    let b = text.as_bytes();
    let is_day = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if is_day {
        let month: u32 = text[5..7].parse().map_err(|_| InvalidDate)?;
        let day: u32 = text[8..10].parse().map_err(|_| InvalidDate)?;
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return Err(InvalidDate);
        }
        let start = Timestamp::parse_iso8601(&format!("{text}T00:00:00Z")).ok_or(InvalidDate)?;
        return Ok(match edge {
            DayEdge::Start => start,
            DayEdge::End => Timestamp::from_millis(start.as_millis() + DAY_MS - 1),
        });
    }
    if text.len() > 10
        && b.get(10)
            .is_some_and(|c| *c == b'T' || *c == b't' || *c == b' ')
    {
        return Timestamp::parse_iso8601(text)
            .map(|t| Timestamp::from_millis(t.as_millis()))
            .ok_or(InvalidDate);
    }
    Err(InvalidDate)
}

/// A date argument that is neither `YYYY-MM-DD` nor RFC 3339.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidDate;

impl fmt::Display for InvalidDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected a date as YYYY-MM-DD or RFC 3339 (2026-01-31T12:00:00-03:00)")
    }
}

impl std::error::Error for InvalidDate {}
