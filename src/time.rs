//! [`Timestamp`]: the instants Hotmart sends, whatever their encoding.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::{Serialize, Serializer};

/// An instant, held as milliseconds since the Unix epoch (UTC).
///
/// Hotmart encodes instants three ways, and `Timestamp` reads all of them:
/// JSON integers of epoch milliseconds (nearly everything in 2.0.0), numeric
/// strings (`order_date` in the documentation's example), and ISO-8601 strings
/// (`warranty_date`, the charge-date change event, v1 dates:
/// `2017-12-27T00:00:00Z`, `2022-09-01T12:00:00.000Z`, offsets such as
/// `-03:00`; without an offset UTC is assumed).
///
/// Two timestamps are equal when they name the same instant. Serialising
/// writes the encoding that was read, so a re-serialised payload keeps the
/// shape Hotmart used.
///
/// ```
/// use hotmart_webhook::Timestamp;
///
/// let a: Timestamp = serde_json::from_str("1747447467789").unwrap();
/// let b: Timestamp = serde_json::from_str("\"2025-05-17T02:04:27.789Z\"").unwrap();
/// assert_eq!(a, b);
/// assert_eq!(a.as_millis(), 1_747_447_467_789);
/// ```
#[derive(Clone, Copy)]
pub struct Timestamp {
    millis: i64,
    encoding: Encoding,
}

/// How a [`Timestamp`] was written on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// A JSON integer of epoch milliseconds.
    Millis,
    /// A string of decimal epoch milliseconds.
    MillisString,
    /// An ISO-8601 / RFC 3339 string without fractional seconds.
    Iso8601,
    /// An ISO-8601 / RFC 3339 string with milliseconds (`…12:00:00.000Z`).
    Iso8601Millis,
}

impl Timestamp {
    /// A timestamp from epoch milliseconds.
    pub const fn from_millis(millis: i64) -> Self {
        Timestamp {
            millis,
            encoding: Encoding::Millis,
        }
    }

    /// Epoch milliseconds.
    pub const fn as_millis(self) -> i64 {
        self.millis
    }

    /// The encoding it was read from.
    pub const fn encoding(self) -> Encoding {
        self.encoding
    }

    /// The same instant, written with another encoding.
    pub const fn with_encoding(self, encoding: Encoding) -> Self {
        Timestamp {
            millis: self.millis,
            encoding,
        }
    }

    /// The text of this timestamp in its own encoding (digits for
    /// milliseconds), as a form field carries it.
    pub(crate) fn to_wire_string(self) -> String {
        match self.encoding {
            Encoding::Millis | Encoding::MillisString => self.millis.to_string(),
            Encoding::Iso8601 => Iso(self.millis, false).to_string(),
            Encoding::Iso8601Millis => Iso(self.millis, true).to_string(),
        }
    }

    /// The instant as a [`SystemTime`]. Never panics: an instant the
    /// platform's `SystemTime` cannot hold (far beyond any date Hotmart
    /// sends) gives the closest one it can; see
    /// [`checked_to_system_time`](Self::checked_to_system_time).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use hotmart_webhook::Timestamp;
    ///
    /// let t = Timestamp::from_millis(1_511_783_346_000);
    /// assert_eq!(t.to_system_time(), UNIX_EPOCH + Duration::from_millis(1_511_783_346_000));
    /// let _ = Timestamp::from_millis(i64::MIN).to_system_time(); // no panic
    /// ```
    pub fn to_system_time(self) -> SystemTime {
        if let Some(time) = self.checked_to_system_time() {
            return time;
        }
        // Saturate: the largest distance from the epoch, in this direction,
        // that the platform holds (binary search, at most 64 steps).
        let shift = |millis: u64| {
            let magnitude = Duration::from_millis(millis);
            if self.millis >= 0 {
                UNIX_EPOCH.checked_add(magnitude)
            } else {
                UNIX_EPOCH.checked_sub(magnitude)
            }
        };
        let (mut fits, mut overflows) = (0u64, self.millis.unsigned_abs());
        while overflows - fits > 1 {
            let middle = fits + (overflows - fits) / 2;
            if shift(middle).is_some() {
                fits = middle;
            } else {
                overflows = middle;
            }
        }
        shift(fits).unwrap_or(UNIX_EPOCH)
    }

    /// The instant as a [`SystemTime`], or `None` when the platform cannot
    /// hold it.
    pub fn checked_to_system_time(self) -> Option<SystemTime> {
        let magnitude = Duration::from_millis(self.millis.unsigned_abs());
        if self.millis >= 0 {
            UNIX_EPOCH.checked_add(magnitude)
        } else {
            UNIX_EPOCH.checked_sub(magnitude)
        }
    }

    /// Parses an ISO-8601 date-time (`YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]`).
    pub fn parse_iso8601(s: &str) -> Option<Self> {
        parse_iso(s.as_bytes()).map(|(millis, fractional)| Timestamp {
            millis,
            encoding: if fractional {
                Encoding::Iso8601Millis
            } else {
                Encoding::Iso8601
            },
        })
    }

    /// Parses any of the encodings Hotmart uses in a string: digits (epoch
    /// milliseconds) or ISO-8601.
    pub fn parse_str(s: &str) -> Option<Self> {
        let digits = s.strip_prefix('-').unwrap_or(s);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return s.parse().ok().map(|millis| Timestamp {
                millis,
                encoding: Encoding::MillisString,
            });
        }
        Self::parse_iso8601(s)
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.millis == other.millis
    }
}

impl Eq for Timestamp {}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.millis.cmp(&other.millis)
    }
}

impl Hash for Timestamp {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.millis.hash(state);
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Timestamp({} = {})",
            self.millis,
            Iso(self.millis, false)
        )
    }
}

impl fmt::Display for Timestamp {
    /// ISO-8601 in UTC.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&Iso(self.millis, false), f)
    }
}

impl From<Timestamp> for SystemTime {
    fn from(t: Timestamp) -> SystemTime {
        t.to_system_time()
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.encoding {
            Encoding::Millis => serializer.serialize_i64(self.millis),
            Encoding::MillisString => serializer.collect_str(&self.millis),
            Encoding::Iso8601 => serializer.collect_str(&Iso(self.millis, false)),
            Encoding::Iso8601Millis => serializer.collect_str(&Iso(self.millis, true)),
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TimestampVisitor)
    }
}

struct TimestampVisitor;

impl Visitor<'_> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("epoch milliseconds or an ISO-8601 date-time")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
        Ok(Timestamp::from_millis(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
        i64::try_from(v)
            .map(Timestamp::from_millis)
            .map_err(|_| E::invalid_value(de::Unexpected::Other("an out-of-range integer"), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
        Timestamp::parse_str(v).ok_or_else(|| {
            E::invalid_value(de::Unexpected::Other("a string that is not a date"), &self)
        })
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
}

/// Epoch milliseconds, and whether the text had fractional seconds.
fn parse_iso(s: &[u8]) -> Option<(i64, bool)> {
    if s.len() < 19 || s[4] != b'-' || s[7] != b'-' || !matches!(s[10], b'T' | b't' | b' ') {
        return None;
    }
    if s[13] != b':' || s[16] != b':' {
        return None;
    }
    let (year, month, day) = (digits(&s[0..4])?, digits(&s[5..7])?, digits(&s[8..10])?);
    let (hour, minute, second) = (
        digits(&s[11..13])?,
        digits(&s[14..16])?,
        digits(&s[17..19])?,
    );
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => return None,
    };
    if day < 1 || day > days_in_month || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut millis = 0;
    let fractional = rest.first() == Some(&b'.');
    if let Some((b'.', frac)) = rest.split_first() {
        let len = frac.iter().take_while(|b| b.is_ascii_digit()).count();
        if len == 0 || len > 9 {
            return None;
        }
        let mut ms = digits(&frac[..len.min(3)])?;
        for _ in len..3 {
            ms *= 10;
        }
        millis = ms;
        rest = &frac[len..];
    }
    let offset_minutes = match rest {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            let h = digits(&[*h1, *h2])?;
            let m = digits(&[*m1, *m2])?;
            if h > 23 || m > 59 {
                return None;
            }
            let total = h * 60 + m;
            if *sign == b'-' { -total } else { total }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    let millis = secs * 1000 + millis;
    // An offset can push the instant out of the years 0000-9999, which the
    // writer (four-digit years, UTC) could not write back readably.
    let first = days_from_civil(0, 1, 1) * 86_400_000;
    let end = days_from_civil(10_000, 1, 1) * 86_400_000;
    (first..end)
        .contains(&millis)
        .then_some((millis, fractional))
}

/// Formats epoch milliseconds as `YYYY-MM-DDTHH:MM:SS[.mmm]Z`; the
/// milliseconds are written when non-zero or when asked for.
struct Iso(i64, bool);

impl fmt::Display for Iso {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.div_euclid(1000);
        let ms = self.0.rem_euclid(1000);
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        let sod = secs.rem_euclid(86_400);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            sod / 3600,
            sod % 3600 / 60,
            sod % 60
        )?;
        if ms != 0 || self.1 {
            write!(f, ".{ms:03}")?;
        }
        f.write_str("Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(json: &str) -> Timestamp {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn every_hotmart_encoding_is_read() {
        assert_eq!(ts("1511783344000").as_millis(), 1_511_783_344_000);
        assert_eq!(ts("\"123243546\"").as_millis(), 123_243_546);
        assert_eq!(
            ts("\"2017-12-27T00:00:00Z\"").as_millis(),
            1_514_332_800_000
        );
        assert_eq!(
            ts("\"2022-09-01T12:00:00.000Z\"").as_millis(),
            1_662_033_600_000
        );
        assert_eq!(ts("\"2022-06-23T19:38:39.173Z\"").as_millis() % 1000, 173);
        assert_eq!(
            ts("\"2023-01-01T07:00:00-03:00\""),
            ts("\"2023-01-01T10:00:00Z\"")
        );
    }

    #[test]
    fn nonsense_dates_are_errors() {
        for bad in [
            "\"2023-02-30T00:00:00Z\"",
            "\"2023-13-01T00:00:00Z\"",
            "\"yesterday\"",
            "\"2023-01-01T10:00:00+5\"",
            // Years 0000-9999 only, after the offset is applied.
            "\"0000-01-01T00:00:00+01:00\"",
            "\"9999-12-31T23:59:59-00:01\"",
            "true",
            "1.5",
            "\"\"",
        ] {
            assert!(serde_json::from_str::<Timestamp>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn serialising_keeps_the_encoding() {
        for text in [
            "1747447467789",
            "\"123243546\"",
            "\"2017-12-27T00:00:00Z\"",
            "\"2022-09-01T12:00:00.250Z\"",
            "\"2022-09-01T12:00:00.000Z\"",
        ] {
            assert_eq!(serde_json::to_string(&ts(text)).unwrap(), text);
        }
    }

    #[test]
    fn civil_conversion_round_trips_across_eras() {
        for days in [-800_000, -1, 0, 1, 19_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn system_time_never_panics_at_the_extremes() {
        for millis in [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX] {
            let t = Timestamp::from_millis(millis);
            let time = t.to_system_time();
            if let Some(exact) = t.checked_to_system_time() {
                assert_eq!(time, exact, "{millis}");
                let back = match time.duration_since(UNIX_EPOCH) {
                    Ok(after) => i128::try_from(after.as_millis()).unwrap(),
                    Err(before) => -i128::try_from(before.duration().as_millis()).unwrap(),
                };
                assert_eq!(back, i128::from(millis));
            }
            assert_eq!(time >= UNIX_EPOCH, millis >= 0, "{millis}");
        }
    }

    #[test]
    fn system_time_is_the_same_instant() {
        let t = Timestamp::from_millis(1_500);
        assert_eq!(
            t.to_system_time(),
            UNIX_EPOCH + Duration::from_millis(1_500)
        );
        let before = Timestamp::from_millis(-1_500);
        assert_eq!(
            before.to_system_time(),
            UNIX_EPOCH - Duration::from_millis(1_500)
        );
    }
}
