//! [`Text`]: a string that borrows from the request body whenever it can.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::ops::Deref;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::{Serialize, Serializer};

/// A string taken from a webhook body.
///
/// It borrows from the body when the bytes on the wire are already the string
/// (no JSON escape, no percent-encoding), and owns a decoded copy otherwise.
/// Unlike a `&'a str` field it never fails on an escaped string (`"Uberl\u00e2ndia"`,
/// `"https:\/\/…"`), and unlike `Cow<'a, str>` under serde it really borrows,
/// also inside `Option` and `Vec`.
///
/// `Text` dereferences to `str` and compares equal to string slices:
///
/// ```
/// use hotmart_webhook::Text;
///
/// let body = br#"["plain", "esc\u00e2ped"]"#;
/// let v: Vec<Text<'_>> = serde_json::from_slice(body).unwrap();
/// assert_eq!(v[0], "plain");
/// assert!(v[0].is_borrowed());
/// assert_eq!(v[1], "escâped");
/// assert!(!v[1].is_borrowed());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Text<'a>(Cow<'a, str>);

impl<'a> Text<'a> {
    /// A `Text` borrowing `s`.
    pub const fn borrowed(s: &'a str) -> Self {
        Text(Cow::Borrowed(s))
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `true` when the string points into the body it was parsed from.
    pub fn is_borrowed(&self) -> bool {
        matches!(self.0, Cow::Borrowed(_))
    }

    /// A copy that owns its string, for storing beyond the body's lifetime.
    pub fn into_owned(self) -> Text<'static> {
        Text(Cow::Owned(self.0.into_owned()))
    }

    /// The inner `Cow`.
    pub fn into_cow(self) -> Cow<'a, str> {
        self.0
    }
}

impl Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Text<'_> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(s: &'a str) -> Self {
        Text(Cow::Borrowed(s))
    }
}

impl From<String> for Text<'_> {
    fn from(s: String) -> Self {
        Text(Cow::Owned(s))
    }
}

impl<'a> From<Cow<'a, str>> for Text<'a> {
    fn from(s: Cow<'a, str>) -> Self {
        Text(s)
    }
}

impl PartialEq<str> for Text<'_> {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Text<'_>> for str {
    fn eq(&self, other: &Text<'_>) -> bool {
        *self == *other.0
    }
}

impl PartialEq<Text<'_>> for &str {
    fn eq(&self, other: &Text<'_>) -> bool {
        **self == *other.0
    }
}

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_json_string_is_borrowed() {
        let t: Text<'_> = serde_json::from_str(r#""HP2363007968""#).unwrap();
        assert!(t.is_borrowed());
        assert_eq!(t, "HP2363007968");
    }

    #[test]
    fn escaped_json_strings_are_decoded_and_owned() {
        let t: Text<'_> = serde_json::from_str(r#""Uberl\u00e2ndia \/ \"x\"""#).unwrap();
        assert!(!t.is_borrowed());
        assert_eq!(t, "Uberlândia / \"x\"");
    }

    #[test]
    fn non_string_is_an_error() {
        assert!(serde_json::from_str::<Text<'_>>("12").is_err());
    }

    #[test]
    fn into_owned_keeps_the_string() {
        let owned: Text<'static> = {
            let s = String::from("abc");
            Text::borrowed(&s).into_owned()
        };
        assert_eq!(owned, "abc");
    }
}
