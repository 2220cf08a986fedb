//! Deserializers that accept the shapes Hotmart uses interchangeably.

use serde::{Deserialize, Deserializer};

/// A number written as a JSON number or as a string of digits; anything else
/// reads as absent.
pub(crate) fn u64_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        N(u64),
        F(f64),
        S(String),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Option::<Either>::deserialize(d)? {
        Some(Either::N(n)) => Some(n),
        Some(Either::F(f)) if f >= 0.0 && f.fract() == 0.0 && f < 1e19 => Some(f as u64),
        Some(Either::S(s)) => s.trim().parse().ok(),
        _ => None,
    })
}
